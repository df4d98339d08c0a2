//! The instructor's subcommands, like flask-unsign's: `decode` takes a session cookie apart,
//! `sign` makes one.
//!
//! Exit status of `decode`: 0 when the cookie is well-formed (and, given keys, verifies); 1 when
//! a key was given and the cookie fails verification; 2 when it is malformed.

use crate::cli::{DecodeArgs, SignArgs};
use crate::http::unix_now;
use flask_cookie::{format_age, format_utc, DecodedCookie, Rejection, Tagged, VerifiedCookie};
use serde_json::{json, Value};
use std::process::ExitCode;

/// The cookie value from what a user might paste: `session=...; HttpOnly; Path=/`,
/// `Cookie: session=...`, or the bare value.
pub fn normalize_cookie_arg(arg: &str) -> String {
    let mut s = arg.trim();
    for prefix in ["Set-Cookie:", "set-cookie:", "Cookie:", "cookie:"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim();
        }
    }
    if let Some(rest) = s.strip_prefix("session=") {
        s = rest;
    }
    let s = s.split(';').next().unwrap_or("").trim();
    s.trim_matches('"').to_string()
}

/// Where Flask's tags occur in a session: `(path, kind)`, e.g. `("$.cart", "tuple")`.
pub fn tag_paths(tagged: &Tagged) -> Vec<(String, &'static str)> {
    fn walk(t: &Tagged, path: String, out: &mut Vec<(String, &'static str)>) {
        match t {
            Tagged::Array(items) | Tagged::Tuple(items) => {
                if matches!(t, Tagged::Tuple(_)) {
                    out.push((path.clone(), "tuple"));
                }
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{path}[{i}]"), out);
                }
            }
            Tagged::Object(entries) => {
                for (key, item) in entries {
                    walk(item, format!("{path}.{key}"), out);
                }
            }
            Tagged::Bytes(_) => out.push((path, "bytes")),
            Tagged::Markup(_) => out.push((path, "markup")),
            Tagged::Uuid(_) => out.push((path, "uuid")),
            Tagged::DateTime(_) => out.push((path, "datetime")),
            Tagged::Null | Tagged::Bool(_) | Tagged::Number(_) | Tagged::String(_) => {}
        }
    }
    let mut out = Vec::new();
    walk(tagged, "$".into(), &mut out);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn age_text(timestamp: u64, now: u64) -> String {
    if now >= timestamp {
        format!("{} ago", format_age(now - timestamp))
    } else {
        format!("{} in the future", format_age(timestamp - now))
    }
}

/// `greeting-server decode COOKIE [--secret-key K]... [--json]`.
pub fn decode(args: DecodeArgs) -> ExitCode {
    let cookie = normalize_cookie_arg(&args.cookie);
    let now = args.now.unwrap_or_else(unix_now);
    let decoded = match flask_cookie::decode(&cookie) {
        Ok(decoded) => decoded,
        Err(malformed) => {
            if args.json {
                println!(
                    "{}",
                    json!({"cookie": cookie, "malformed": malformed, "message": malformed.to_string()})
                );
            } else {
                eprintln!("malformed cookie: {malformed}");
            }
            return ExitCode::from(2);
        }
    };
    let keys: Vec<&[u8]> = args.secret_keys.iter().map(|k| k.as_bytes()).collect();
    let verdict: Option<Result<VerifiedCookie, Rejection>> =
        (!keys.is_empty()).then(|| flask_cookie::verify(&cookie, &keys, now, args.max_age));

    if args.json {
        println!("{}", decode_json(&cookie, &decoded, now, &verdict));
    } else {
        print!(
            "{}",
            decode_text(&decoded, now, &verdict, args.secret_keys.len())
        );
    }
    match verdict {
        Some(Err(_)) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn decode_json(
    cookie: &str,
    d: &DecodedCookie,
    now: u64,
    verdict: &Option<Result<VerifiedCookie, Rejection>>,
) -> String {
    let tags: Vec<Value> = tag_paths(&d.tagged)
        .into_iter()
        .map(|(path, kind)| json!({"path": path, "kind": kind}))
        .collect();
    let verdict = match verdict {
        None => json!({"checked": false}),
        Some(Ok(v)) => json!({"checked": true, "valid": true, "key_index": v.key_index}),
        Some(Err(r)) => json!({"checked": true, "valid": false, "rejection": r}),
    };
    let out = json!({
        "cookie": cookie,
        "payload_segment": d.payload_segment,
        "timestamp_segment": d.timestamp_segment,
        "signature_segment": d.signature_segment,
        "compressed": d.compressed,
        "json": d.json,
        "payload": d.value,
        "tagged": d.tagged,
        "tags": tags,
        "timestamp": d.timestamp,
        "timestamp_utc": format_utc(d.timestamp),
        "age_secs": now as i128 - d.timestamp as i128,
        "signature_hex": hex(&d.signature),
        "verdict": verdict,
    });
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

fn decode_text(
    d: &DecodedCookie,
    now: u64,
    verdict: &Option<Result<VerifiedCookie, Rejection>>,
    key_count: usize,
) -> String {
    let mut out = String::new();
    let pretty = serde_json::to_string_pretty(&d.value).unwrap_or_else(|_| d.json.clone());
    out.push_str("payload     ");
    out.push_str(&pretty.replace('\n', "\n            "));
    out.push('\n');
    out.push_str(&format!(
        "compressed  {}\n",
        if d.compressed {
            "yes (the payload starts with '.': zlib, then base64url)"
        } else {
            "no"
        }
    ));
    let tags = tag_paths(&d.tagged);
    if tags.is_empty() {
        out.push_str("tags        none (plain JSON)\n");
    } else {
        let list: Vec<String> = tags.iter().map(|(p, k)| format!("{k} at {p}")).collect();
        out.push_str(&format!("tags        {}\n", list.join(", ")));
    }
    out.push_str(&format!(
        "timestamp   {} = {} ({})\n",
        d.timestamp,
        format_utc(d.timestamp),
        age_text(d.timestamp, now)
    ));
    out.push_str(&format!(
        "signature   {} (HMAC-SHA1, {} bytes)\n",
        hex(&d.signature),
        d.signature.len()
    ));
    let verdict = match verdict {
        None => "not checked: give --secret-key KEY to verify".to_string(),
        Some(Ok(v)) if key_count > 1 => {
            format!("valid: signed with key #{} of {key_count}", v.key_index + 1)
        }
        Some(Ok(_)) => "valid: signed with this key, within the max age".to_string(),
        Some(Err(r)) => format!("REJECTED: {r}"),
    };
    out.push_str(&format!("verdict     {verdict}\n"));
    out
}

/// `greeting-server sign JSON --secret-key K [--timestamp T]`.
pub fn sign(args: SignArgs) -> ExitCode {
    let value: Value = match serde_json::from_str(&args.json) {
        Ok(value) => value,
        Err(e) => {
            eprintln!("not JSON: {e}");
            return ExitCode::from(2);
        }
    };
    if args.secret_key.is_empty() {
        eprintln!("the secret key is empty: Flask refuses to sign sessions without one");
        return ExitCode::from(2);
    }
    let timestamp = args.timestamp.unwrap_or_else(unix_now);
    match flask_cookie::sign(&value, args.secret_key.as_bytes(), timestamp) {
        Ok(cookie) => {
            println!("{cookie}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot sign: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_arguments() {
        for arg in [
            "a.b.c",
            "session=a.b.c",
            " session=a.b.c; HttpOnly; Path=/",
            "Set-Cookie: session=a.b.c; HttpOnly; Path=/",
            "Cookie: session=a.b.c",
            "\"a.b.c\"",
        ] {
            assert_eq!(normalize_cookie_arg(arg), "a.b.c", "{arg}");
        }
    }

    #[test]
    fn ages() {
        assert!(age_text(10, 20).ends_with("ago"));
        assert!(age_text(20, 10).ends_with("in the future"));
    }
}
