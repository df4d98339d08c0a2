//! Vectors made by the real Flask (tests/vectors/generate.py wrote tests/vectors/flask_vectors.json;
//! the Flask and itsdangerous versions are recorded in that file). No Python is needed here.

use flask_cookie::{decode, decode_session, serialize_session, sign, verify, Keyring, Rejection};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Vectors {
    versions: Value,
    max_age_secs: u64,
    accepted: Vec<Accepted>,
    rejected: Vec<Rejected>,
    divergences: Vec<Divergence>,
}

#[derive(Deserialize)]
struct Accepted {
    name: String,
    keys_hex: Vec<String>,
    key_index: usize,
    timestamp: u64,
    now: u64,
    cookie: String,
    set_cookie: String,
    compressed: bool,
    json: String,
    value: Value,
    tagged: Value,
}

#[derive(Deserialize)]
struct Rejected {
    name: String,
    cookie: String,
    keys_hex: Vec<String>,
    now: u64,
    max_age_secs: u64,
    expect: String,
    flask_exception: String,
}

#[derive(Deserialize)]
struct Divergence {
    name: String,
    cookie: String,
    keys_hex: Vec<String>,
    now: u64,
    max_age_secs: u64,
    expect: String,
}

fn vectors() -> Vectors {
    serde_json::from_str(include_str!("vectors/flask_vectors.json")).expect("vectors parse")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn keys(hex: &[String]) -> Vec<Vec<u8>> {
    hex.iter().map(|h| unhex(h)).collect()
}

fn kind(result: &Result<flask_cookie::VerifiedCookie, Rejection>) -> &'static str {
    match result {
        Ok(_) => "accepted",
        Err(r) => r.kind(),
    }
}

#[test]
fn the_file_is_what_we_think() {
    let v = vectors();
    assert!(v.versions["flask"]
        .as_str()
        .is_some_and(|s| s.starts_with('3')));
    assert!(v.accepted.len() >= 100, "{}", v.accepted.len());
    assert!(v.accepted.iter().filter(|a| a.compressed).count() >= 5);
    assert!(v.rejected.len() >= 15);
    assert_eq!(v.max_age_secs, flask_cookie::DEFAULT_MAX_AGE_SECS);
}

#[test]
fn every_flask_cookie_verifies_and_decodes_to_flasks_value() {
    let v = vectors();
    for a in &v.accepted {
        let keys = keys(&a.keys_hex);
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let ok = verify(&a.cookie, &refs, a.now, v.max_age_secs)
            .unwrap_or_else(|e| panic!("{}: {e}", a.name));
        let d = &ok.decoded;
        assert_eq!(ok.key_index, a.key_index, "{}", a.name);
        assert_eq!(d.timestamp, a.timestamp, "{}", a.name);
        assert_eq!(d.compressed, a.compressed, "{}", a.name);
        assert_eq!(d.json, a.json, "{}", a.name);
        assert_eq!(d.value, a.value, "{}", a.name);
        assert_eq!(
            serde_json::to_value(&d.tagged).unwrap(),
            a.tagged,
            "{}",
            a.name
        );
        assert_eq!(d.tagged.to_tagged_json(), a.value, "{}", a.name);
        assert_eq!(
            a.set_cookie,
            format!("session={}; HttpOnly; Path=/", a.cookie),
            "{}",
            a.name
        );
        // decode() without a key agrees with verify().
        assert_eq!(&decode(&a.cookie).unwrap(), d, "{}", a.name);
        // And decode_session() with decode()'s value (tags checked, not resolved).
        let session = decode_session(&a.cookie).unwrap_or_else(|e| panic!("{}: {e}", a.name));
        assert_eq!(Value::Object(session), a.value, "{}", a.name);
        // So does the server's lean read.
        let opened = Keyring::new(&refs)
            .open(&a.cookie, a.now, v.max_age_secs)
            .unwrap_or_else(|e| panic!("{}: {e}", a.name));
        assert_eq!(Value::Object(opened.session), a.value, "{}", a.name);
        assert_eq!(
            (opened.key_index, opened.timestamp),
            (a.key_index, a.timestamp),
            "{}",
            a.name
        );
    }
}

#[test]
fn our_json_is_flasks_json_byte_for_byte() {
    for a in &vectors().accepted {
        assert_eq!(serialize_session(&a.value).unwrap(), a.json, "{}", a.name);
    }
}

#[test]
fn every_cookie_resigns_byte_for_byte_compressed_or_not() {
    // Compressed ones too: below 4 KiB of JSON the signer runs zlib's own deflate
    // (transcribed), so its zlib stream is Flask's.
    let v = vectors();
    let mut compressed = 0;
    for a in &v.accepted {
        let key = unhex(&a.keys_hex[a.key_index]);
        let ours = sign(&a.value, &key, a.timestamp).unwrap();
        assert_eq!(ours, a.cookie, "{}", a.name);
        compressed += usize::from(a.compressed);
    }
    assert!(compressed > 0);
}

#[test]
fn cookies_flask_refuses_are_refused_with_the_right_kind() {
    for r in &vectors().rejected {
        let keys = keys(&r.keys_hex);
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let got = verify(&r.cookie, &refs, r.now, r.max_age_secs);
        let opened = Keyring::new(&refs).open(&r.cookie, r.now, r.max_age_secs);
        assert_eq!(opened.err(), got.clone().err(), "{}", r.name);
        // Without a key, decode_session() refuses exactly the malformed ones, as decode() does.
        assert_eq!(
            decode_session(&r.cookie).err(),
            decode(&r.cookie).err(),
            "{}",
            r.name
        );
        assert_eq!(
            kind(&got),
            r.expect,
            "{} (Flask: {}): {:?}",
            r.name,
            r.flask_exception,
            got.err().map(|e| e.to_string())
        );
    }
}

#[test]
fn documented_divergences_behave_as_documented() {
    for d in &vectors().divergences {
        let keys = keys(&d.keys_hex);
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let got = verify(&d.cookie, &refs, d.now, d.max_age_secs);
        assert_eq!(kind(&got), d.expect, "{}", d.name);
    }
}

#[test]
fn the_notes_check_vectors() {
    let key: &[u8] = b"playground-demo-secret";
    let ts = 1_637_258_013;
    let cases = [
        (
            serde_json::json!({"username": "cobra", "visit": 1}),
            "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE",
        ),
        (
            serde_json::json!({"username": "cobra", "visit": 2}),
            "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9.YZaTHQ.T0Q_E2UqDzye7bXltKjGyT7hxRg",
        ),
        (
            serde_json::json!({"note": "hiss ".repeat(10), "username": "cobra", "visit": 1}),
            ".eJyrVsrLL0lVslLKyCwuViCJUNJRKi1OLcpLzAXpT85PKkoECpVlFmeWKFkZ1gIAp20fNg.YZaTHQ.myDVbKeBIXWUJds1ecjtWCiEfw4",
        ),
    ];
    for (value, cookie) in cases {
        let ok = verify(cookie, &[key], ts, flask_cookie::DEFAULT_MAX_AGE_SECS).unwrap();
        assert_eq!(ok.decoded.value, value);
        assert_eq!(
            flask_cookie::format_utc(ok.decoded.timestamp),
            "2021-11-18 17:53:33 UTC"
        );
        assert_eq!(sign(&value, key, ts).unwrap(), cookie);
    }
}

#[test]
fn the_chapters_own_cookie_decodes_but_its_key_is_unknown() {
    // From shared/seed/sessions-chapter.txt: the course server's first Set-Cookie.
    let cookie = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.OR2ZuTCLFhYlbq0ne7jdx9CbbpU";
    let d = decode(cookie).unwrap();
    assert_eq!(d.json, r#"{"username":"cobra","visit":1}"#);
    assert_eq!(
        d.tagged.get("username").and_then(|t| t.as_str()),
        Some("cobra")
    );
    assert_eq!(d.tagged.get("visit").and_then(|t| t.as_i64()), Some(1));
    assert_eq!(d.signature.len(), 20);
    assert_eq!(
        verify(cookie, &[b"playground-demo-secret"], d.timestamp, 60),
        Err(Rejection::BadSignature)
    );
}
