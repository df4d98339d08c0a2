//! The cookie lab: any Flask session cookie pasted in, taken apart (payload with Flask's tags,
//! compression, timestamp, expiry, signature), verified with a key, edited and re-signed. All of
//! it runs on the codec crate (`flask_cookie`), in the browser: nothing is sent anywhere.

use flask_cookie::{decode, format_age, format_utc, Tagged};

use super::cookie_view::{view, CookieView};

/// Cleans what a learner pastes: a bare value, `session=VALUE`, a whole `Cookie:` or
/// `Set-Cookie:` header (attributes dropped), with quotes or line breaks around or inside.
pub fn clean_input(input: &str) -> String {
    let mut s = input.trim();
    for prefix in ["set-cookie:", "cookie:"] {
        if s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix) {
            s = s[prefix.len()..].trim_start();
        }
    }
    // `a=1; session=VALUE; HttpOnly` -> VALUE
    let value = match s
        .split(';')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("session="))
    {
        Some(v) => v,
        None => s.split(';').next().unwrap_or(""),
    };
    value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
        .collect()
}

/// One value inside the session, for the table of types and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRow {
    /// `visit`, `cart[0]`, `prefs.theme`.
    pub path: String,
    /// The Python type Flask gives back: `str`, `int`, `tuple`, `bytes`, `Markup`, ...
    pub python: &'static str,
    /// The tag key that carries it in the JSON (`" t"`, `" b"`...), if any.
    pub tag: Option<&'static str>,
    /// The value, short.
    pub value: String,
}

const MAX_ROWS: usize = 200;

/// The session's values with their Python types and Flask tags, depth first.
pub fn tag_rows(t: &Tagged) -> Vec<TagRow> {
    let mut rows = Vec::new();
    match t {
        Tagged::Object(entries) => {
            for (k, v) in entries {
                walk(k.clone(), v, &mut rows);
            }
        }
        other => walk(String::from("(session)"), other, &mut rows),
    }
    rows
}

fn walk(path: String, t: &Tagged, rows: &mut Vec<TagRow>) {
    if rows.len() >= MAX_ROWS {
        return;
    }
    let (python, tag) = python_type(t);
    rows.push(TagRow {
        path: path.clone(),
        python,
        tag,
        value: short(t),
    });
    match t {
        Tagged::Array(items) | Tagged::Tuple(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(format!("{path}[{i}]"), v, rows);
            }
        }
        Tagged::Object(entries) => {
            for (k, v) in entries {
                walk(format!("{path}.{k}"), v, rows);
            }
        }
        _ => {}
    }
}

fn python_type(t: &Tagged) -> (&'static str, Option<&'static str>) {
    match t {
        Tagged::Null => ("None", None),
        Tagged::Bool(_) => ("bool", None),
        Tagged::Number(n) if n.is_f64() => ("float", None),
        Tagged::Number(_) => ("int", None),
        Tagged::String(_) => ("str", None),
        Tagged::Array(_) => ("list", None),
        Tagged::Object(entries) => {
            let tagged_key = matches!(entries.as_slice(), [(k, _)] if flask_cookie::TAG_KEYS.contains(&k.as_str()));
            ("dict", tagged_key.then_some(" di"))
        }
        Tagged::Tuple(_) => ("tuple", Some(" t")),
        Tagged::Bytes(_) => ("bytes", Some(" b")),
        Tagged::Markup(_) => ("Markup", Some(" m")),
        Tagged::Uuid(_) => ("UUID", Some(" u")),
        Tagged::DateTime(_) => ("datetime", Some(" d")),
    }
}

fn short(t: &Tagged) -> String {
    let clip = |s: String| -> String {
        if s.chars().count() > 80 {
            format!("{}…", s.chars().take(80).collect::<String>())
        } else {
            s
        }
    };
    clip(match t {
        Tagged::Null => "None".into(),
        Tagged::Bool(b) => if *b { "True" } else { "False" }.into(),
        Tagged::Number(n) => n.to_string(),
        Tagged::String(s) | Tagged::Markup(s) => serde_json::Value::String(s.clone()).to_string(),
        Tagged::Array(v) | Tagged::Tuple(v) => {
            format!("{} item{}", v.len(), if v.len() == 1 { "" } else { "s" })
        }
        Tagged::Object(v) => format!("{} key{}", v.len(), if v.len() == 1 { "" } else { "s" }),
        Tagged::Bytes(b) => {
            let mut s = String::from("b'");
            for &c in b {
                match c {
                    b'\\' => s.push_str("\\\\"),
                    b'\'' => s.push_str("\\'"),
                    0x20..=0x7e => s.push(c as char),
                    _ => s.push_str(&format!("\\x{c:02x}")),
                }
            }
            s.push('\'');
            s
        }
        Tagged::Uuid(u) if u.len() == 32 && u.is_ascii() => {
            format!(
                "UUID('{}-{}-{}-{}-{}')",
                &u[0..8],
                &u[8..12],
                &u[12..16],
                &u[16..20],
                &u[20..32]
            )
        }
        Tagged::Uuid(u) => format!("UUID('{u}')"),
        Tagged::DateTime(d) => d.clone(),
    })
}

/// Everything the lab shows about a cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabView {
    pub cookie: CookieView,
    pub rows: Vec<TagRow>,
    /// The payload for the editor: the session's JSON (Flask's tagged form), one key a line.
    pub edit_text: String,
    /// When the server stops accepting it (signed at + max age), as a sentence.
    pub expiry: String,
    pub expired: bool,
    /// Length of the signature in bytes (20 for HMAC-SHA1).
    pub signature_len: usize,
}

/// Takes a pasted cookie apart; verifies it when `key` is not empty. `Err`: why it is not a
/// Flask session cookie.
pub fn inspect(
    input: &str,
    key: &str,
    now_secs: u64,
    max_age_secs: u64,
) -> Result<LabView, String> {
    let value = clean_input(input);
    if value.is_empty() {
        return Err("Paste a session cookie: PAYLOAD.TIMESTAMP.SIGNATURE".into());
    }
    let key = (!key.is_empty()).then_some(key.as_bytes());
    let cookie = view(&value, key, now_secs, max_age_secs)?;
    let d = decode(&value).map_err(|e| e.to_string())?;
    let until = d.timestamp.saturating_add(max_age_secs);
    let expired = now_secs > until;
    let expiry = if d.timestamp > now_secs {
        format!(
            "signed in the future: a server rejects it until {}",
            format_utc(d.timestamp)
        )
    } else if expired {
        format!(
            "expired {} ago ({}): a server starts a new session instead",
            format_age(now_secs - until),
            format_utc(until)
        )
    } else {
        format!(
            "a server accepts it until {} (in {})",
            format_utc(until),
            format_age(until - now_secs)
        )
    };
    Ok(LabView {
        rows: tag_rows(&d.tagged),
        edit_text: super::cookie_view::pretty_json(&d.json),
        signature_len: d.signature.len(),
        cookie,
        expiry,
        expired,
    })
}

/// Signs an edited payload (JSON object, tags in Flask's form) with `key` at `now_secs`.
pub fn resign(edited: &str, key: &str, now_secs: u64) -> Result<String, String> {
    if key.is_empty() {
        return Err("Type a key to sign with. Any text will do: a key that is not the server's makes a cookie the server rejects.".into());
    }
    let value: serde_json::Value =
        serde_json::from_str(edited.trim()).map_err(|e| format!("The payload is not JSON: {e}"))?;
    if !value.is_object() {
        return Err(
            "The payload must be a JSON object, such as {\"username\": \"cobra\", \"visit\": 99}"
                .into(),
        );
    }
    Tagged::from_json(&value).map_err(|e| format!("The payload has a bad tag: {e}"))?;
    flask_cookie::sign(&value, key.as_bytes(), now_secs).map_err(|e| e.to_string())
}

/// Whether a value can be planted as the `session` cookie (the server's own rule).
pub fn plantable(cookie: &str) -> Result<(), String> {
    greeting_core::validate_planted_cookie(cookie)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cookie_view::Verdict;
    use serde_json::json;

    const SECRET: &str = "playground-demo-secret";
    const V1: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE";
    const COMPRESSED: &str = ".eJyrVsrLL0lVslLKyCwuViCJUNJRKi1OLcpLzAXpT85PKkoECpVlFmeWKFkZ1gIAp20fNg.YZaTHQ.myDVbKeBIXWUJds1ecjtWCiEfw4";
    const TS: u64 = 1_637_258_013;
    const DAY: u64 = 86_400;
    const MAX: u64 = 31 * DAY;

    #[test]
    fn cleans_what_people_paste() {
        assert_eq!(clean_input(V1), V1);
        assert_eq!(
            clean_input(&format!("  session={V1}; HttpOnly; Path=/ ")),
            V1
        );
        assert_eq!(
            clean_input(&format!("Set-Cookie: session={V1}; HttpOnly; Path=/")),
            V1
        );
        assert_eq!(
            clean_input(&format!("Cookie: theme=dark; session={V1}")),
            V1
        );
        assert_eq!(clean_input(&format!("'{V1}'")), V1);
        assert_eq!(clean_input(&format!("{}\n{}", &V1[..20], &V1[20..])), V1);
    }

    #[test]
    fn inspects_the_check_vector() {
        let v = inspect(V1, SECRET, TS + 60, MAX).unwrap();
        assert_eq!(v.cookie.json, r#"{"username":"cobra","visit":1}"#);
        assert_eq!(v.cookie.verdict, Verdict::Verified);
        assert!(!v.cookie.compressed);
        assert_eq!(v.cookie.date, "2021-11-18 17:53:33 UTC");
        assert_eq!(v.signature_len, 20);
        assert_eq!(v.cookie.signature_hex.len(), 40);
        assert_eq!(
            v.edit_text,
            "{\n  \"username\": \"cobra\",\n  \"visit\": 1\n}"
        );
        assert!(!v.expired);
        assert!(v.expiry.contains("2021-12-19 17:53:33 UTC"), "{}", v.expiry);
        let rows: Vec<(&str, &str)> = v.rows.iter().map(|r| (r.path.as_str(), r.python)).collect();
        assert_eq!(rows, [("username", "str"), ("visit", "int")]);
        // No key: decoded, not checked. Wrong key: rejected.
        assert_eq!(
            inspect(V1, "", TS, MAX).unwrap().cookie.verdict,
            Verdict::KeyUnknown
        );
        assert!(matches!(
            inspect(V1, "nope", TS, MAX).unwrap().cookie.verdict,
            Verdict::Rejected { .. }
        ));
    }

    #[test]
    fn compressed_payloads_and_expiry() {
        let v = inspect(COMPRESSED, SECRET, TS + 40 * DAY, MAX).unwrap();
        assert!(v.cookie.compressed);
        assert!(v.cookie.json.contains("hiss hiss"));
        assert!(v.expired);
        assert!(v.expiry.starts_with("expired 9 days ago"), "{}", v.expiry);
        assert!(matches!(
            v.cookie.verdict,
            Verdict::Rejected {
                kind: "expired",
                ..
            }
        ));
        let future = inspect(V1, "", TS - 100, MAX).unwrap();
        assert!(future.expiry.contains("future"));
    }

    #[test]
    fn tags_are_named() {
        let session = json!({
            "cart": {" t": [1, "two"]},
            "raw": {" b": "AP8n"},
            "note": {" m": "<b>hi</b>"},
            "id": {" u": "12345678123456781234567812345678"},
            "when": {" d": "Thu, 18 Nov 2021 17:53:33 GMT"},
            "odd": {" di": {" t__": 5}},
            "ratio": 0.5,
            "ok": true,
            "none": null,
        });
        let cookie = flask_cookie::sign(&session, SECRET.as_bytes(), TS).unwrap();
        let v = inspect(&cookie, SECRET, TS, MAX).unwrap();
        let find = |p: &str| {
            v.rows
                .iter()
                .find(|r| r.path == p)
                .unwrap_or_else(|| panic!("no row {p}: {:?}", v.rows))
                .clone()
        };
        assert_eq!(
            (
                find("cart").python,
                find("cart").tag,
                find("cart").value.as_str()
            ),
            ("tuple", Some(" t"), "2 items")
        );
        assert_eq!(
            (find("cart[1]").python, find("cart[1]").value.as_str()),
            ("str", "\"two\"")
        );
        assert_eq!(
            (
                find("raw").python,
                find("raw").tag,
                find("raw").value.as_str()
            ),
            ("bytes", Some(" b"), "b'\\x00\\xff\\''")
        );
        assert_eq!(
            (find("note").python, find("note").tag),
            ("Markup", Some(" m"))
        );
        assert_eq!(
            find("id").value,
            "UUID('12345678-1234-5678-1234-567812345678')"
        );
        assert_eq!(
            (find("when").python, find("when").tag),
            ("datetime", Some(" d"))
        );
        assert_eq!((find("odd").python, find("odd").tag), ("dict", Some(" di")));
        assert_eq!(find("odd. t").python, "int");
        assert_eq!(find("ratio").python, "float");
        assert_eq!(find("ok").value, "True");
        assert_eq!(find("none").python, "None");
    }

    #[test]
    fn resign_round_trips_and_forges() {
        let v = inspect(V1, SECRET, TS, MAX).unwrap();
        let edited = v.edit_text.replace("\"visit\": 1", "\"visit\": 99");
        let forged = resign(&edited, SECRET, TS).unwrap();
        let back = inspect(&forged, SECRET, TS, MAX).unwrap();
        assert_eq!(back.cookie.json, r#"{"username":"cobra","visit":99}"#);
        assert_eq!(back.cookie.verdict, Verdict::Verified);
        // Unchanged payload, same key and time: the very same cookie.
        assert_eq!(resign(&v.edit_text, SECRET, TS).unwrap(), V1);
        // Another key: a cookie the server rejects.
        let tampered = resign(&edited, "guess", TS).unwrap();
        assert!(matches!(
            inspect(&tampered, SECRET, TS, MAX).unwrap().cookie.verdict,
            Verdict::Rejected {
                kind: "bad_signature",
                ..
            }
        ));
        assert!(plantable(&forged).is_ok() && plantable(&tampered).is_ok());
    }

    #[test]
    fn resign_explains_mistakes() {
        assert!(resign("{}", "", TS).unwrap_err().contains("Type a key"));
        assert!(resign("{\"visit\": ", "k", TS)
            .unwrap_err()
            .contains("not JSON"));
        assert!(resign("[1]", "k", TS).unwrap_err().contains("JSON object"));
        assert!(resign("{\"x\": {\" b\": \"%%%\"}}", "k", TS)
            .unwrap_err()
            .contains("bad tag"));
    }

    #[test]
    fn garbage_is_explained() {
        assert!(inspect("", "", TS, MAX).unwrap_err().contains("Paste"));
        assert!(inspect("hello", "", TS, MAX).is_err());
        assert!(plantable("a b").is_err());
        assert!(plantable("abc").is_err());
    }
}
