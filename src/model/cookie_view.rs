//! A session cookie taken apart for display, using the codec crate (never a copy of it).

use flask_cookie::{decode, format_age, format_utc, verify};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The signature matches the key and the cookie is within its max age.
    Verified,
    /// The key is known and the cookie does not pass: why, in words.
    Rejected { kind: &'static str, reason: String },
    /// The page does not know the key (a server not in teaching mode, a custom server).
    KeyUnknown,
}

impl Verdict {
    /// Short text for `data-testid="cookie-verdict"`.
    pub fn label(&self) -> String {
        match self {
            Verdict::Verified => "verifies: signed with the server's key".into(),
            Verdict::Rejected { reason, .. } => format!("does not verify: {reason}"),
            Verdict::KeyUnknown => {
                "not checked: the page does not know this server's secret key".into()
            }
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Rejected { .. } => "rejected",
            Verdict::KeyUnknown => "unknown-key",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieView {
    pub raw: String,
    pub payload_segment: String,
    pub timestamp_segment: String,
    pub signature_segment: String,
    pub compressed: bool,
    /// The session's JSON text as stored in the cookie (compact, keys sorted).
    pub json: String,
    pub timestamp: u64,
    /// `2021-11-18 17:53:33 UTC`.
    pub date: String,
    /// `5 min 3 s` (or `in the future by ...`).
    pub age: String,
    /// The 20 signature bytes in hex.
    pub signature_hex: String,
    pub verdict: Verdict,
}

/// Decodes `cookie` (the value after `session=`); verifies it when `key` is given.
/// `Err` carries the codec's reason when the value is not a Flask session cookie at all.
pub fn view(
    cookie: &str,
    key: Option<&[u8]>,
    now_secs: u64,
    max_age_secs: u64,
) -> Result<CookieView, String> {
    let d = decode(cookie).map_err(|e| e.to_string())?;
    let age = if d.timestamp > now_secs {
        format!("{} in the future", format_age(d.timestamp - now_secs))
    } else {
        format!("{} old", format_age(now_secs - d.timestamp))
    };
    let verdict = match key {
        None => Verdict::KeyUnknown,
        Some(k) => match verify(cookie, &[k], now_secs, max_age_secs) {
            Ok(_) => Verdict::Verified,
            Err(r) => Verdict::Rejected {
                kind: r.kind(),
                reason: r.to_string(),
            },
        },
    };
    Ok(CookieView {
        raw: cookie.to_string(),
        signature_hex: d.signature.iter().map(|b| format!("{b:02x}")).collect(),
        payload_segment: d.payload_segment,
        timestamp_segment: d.timestamp_segment,
        signature_segment: d.signature_segment,
        compressed: d.compressed,
        json: d.json,
        timestamp: d.timestamp,
        date: format_utc(d.timestamp),
        age,
        verdict,
    })
}

/// The session JSON with one top-level key per line (nested values stay compact), for display.
/// Falls back to the text as it is when it is not a JSON object.
pub fn pretty_json(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(map)) if !map.is_empty() => {
            let lines: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("  {}: {}", serde_json::Value::String(k.clone()), v))
                .collect();
            format!("{{\n{}\n}}", lines.join(",\n"))
        }
        _ => json.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"playground-demo-secret";
    const V1: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE";
    const TS: u64 = 1637258013;

    #[test]
    fn decodes_the_check_vector() {
        let v = view(
            V1,
            Some(SECRET),
            TS + 60,
            flask_cookie::DEFAULT_MAX_AGE_SECS,
        )
        .unwrap();
        assert_eq!(v.json, r#"{"username":"cobra","visit":1}"#);
        assert_eq!(v.timestamp, TS);
        assert_eq!(v.date, "2021-11-18 17:53:33 UTC");
        assert!(v.age.ends_with("old"));
        assert_eq!(v.signature_hex.len(), 40);
        assert_eq!(v.verdict, Verdict::Verified);
        assert!(!v.compressed);
    }

    #[test]
    fn wrong_key_and_unknown_key() {
        let v = view(V1, Some(b"other"), TS, flask_cookie::DEFAULT_MAX_AGE_SECS).unwrap();
        assert!(matches!(
            v.verdict,
            Verdict::Rejected {
                kind: "bad_signature",
                ..
            }
        ));
        assert!(v.verdict.label().starts_with("does not verify"));
        let v = view(V1, None, TS, flask_cookie::DEFAULT_MAX_AGE_SECS).unwrap();
        assert_eq!(v.verdict, Verdict::KeyUnknown);
    }

    #[test]
    fn future_timestamp_is_described() {
        let v = view(V1, None, TS - 10, flask_cookie::DEFAULT_MAX_AGE_SECS).unwrap();
        assert!(v.age.contains("future"));
    }

    #[test]
    fn pretty_json_one_key_per_line() {
        assert_eq!(
            pretty_json(r#"{"username":"cobra","visit":1}"#),
            "{\n  \"username\": \"cobra\",\n  \"visit\": 1\n}"
        );
        assert_eq!(
            pretty_json(r#"{"a":{"b":[1,2]}}"#),
            "{\n  \"a\": {\"b\":[1,2]}\n}"
        );
        assert_eq!(pretty_json("{}"), "{}");
        assert_eq!(pretty_json("[1]"), "[1]");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(view("not-a-cookie", None, TS, 10).is_err());
        assert!(view("", None, TS, 10).is_err());
    }
}
