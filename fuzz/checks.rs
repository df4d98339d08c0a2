//! The fuzz targets' checks, one function per target, shared by two runners:
//!
//! * the cargo-fuzz targets in `fuzz_targets/` (nightly, coverage-guided, on purpose), and
//! * `crates/greeting-core/tests/fuzz_corpus.rs` (stable, the normal suite), which replays every
//!   committed input in `fuzz/corpus/` and `fuzz/regressions/` through the same checks, so that
//!   an input that once crashed stays a regression test once it is saved there.
//!
//! Each check takes raw bytes, as the server reads a header (lossy UTF-8), and panics when an
//! invariant breaks. It needs flask_cookie, greeting_core, base64 and serde_json.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use greeting_core::{
    basic_auth_header, find_session_cookie, mask_authorization, parse_basic_auth,
    parse_cookie_header, Greeter, MAX_COOKIE_HEADER_LEN, UNAUTHORIZED_BODY,
};

pub const KEY: &str = "playground-demo-secret";
pub const FALLBACK: &str = "an-older-secret";

/// `flask_cookie::decode` on anything: never a panic, and what it accepts is canonical (the
/// segments re-encode to themselves, so no two texts decode to the same cookie).
pub fn cookie_decode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let decoded = match flask_cookie::decode(&text) {
        Ok(decoded) => decoded,
        Err(e) => {
            // Rejections describe themselves without panicking either.
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(decoded.signature.len(), 20);
    assert_eq!(
        format!(
            "{}.{}.{}",
            decoded.payload_segment, decoded.timestamp_segment, decoded.signature_segment
        ),
        text
    );
    assert_eq!(
        URL_SAFE_NO_PAD.encode(&decoded.signature),
        decoded.signature_segment
    );
    assert!(decoded.value.is_object());
    if !decoded.compressed {
        assert_eq!(
            URL_SAFE_NO_PAD.encode(decoded.json.as_bytes()),
            decoded.payload_segment
        );
    }
    let _ = flask_cookie::verify(&text, &[KEY.as_bytes()], decoded.timestamp, 60);
    let _ = flask_cookie::format_utc(decoded.timestamp);
}

/// `flask_cookie::verify` with a key and a fallback; input = 8 bytes of "now" (big-endian),
/// then the cookie. Whatever verifies carries the very signature of one of the keys over its
/// text, in its one canonical spelling, within the max age.
pub fn cookie_verify(data: &[u8]) {
    if data.len() < 8 {
        return;
    }
    let (now, cookie) = data.split_at(8);
    let now = u64::from_be_bytes(now.try_into().unwrap());
    let cookie = String::from_utf8_lossy(cookie);
    let keys: [&[u8]; 2] = [KEY.as_bytes(), FALLBACK.as_bytes()];
    let max_age = flask_cookie::DEFAULT_MAX_AGE_SECS;
    match flask_cookie::verify(&cookie, &keys, now, max_age) {
        Ok(verified) => {
            let d = &verified.decoded;
            let signed = format!("{}.{}", d.payload_segment, d.timestamp_segment);
            let expected = flask_cookie::signature_for(&signed, keys[verified.key_index]);
            assert_eq!(d.signature, expected);
            assert_eq!(
                format!("{signed}.{}", URL_SAFE_NO_PAD.encode(expected)),
                cookie
            );
            assert!(d.timestamp <= now && now - d.timestamp <= max_age);
        }
        Err(rejection) => {
            let _ = rejection.to_string();
        }
    }
}

/// `parse_basic_auth` and `mask_authorization` on any `Authorization` value: accepted
/// credentials round-trip; neither the masked form the side channel shows beyond loopback nor
/// `Debug` ever holds the password.
pub fn basic_auth(data: &[u8]) {
    let header = String::from_utf8_lossy(data);
    let masked = mask_authorization(&header);
    match parse_basic_auth(Some(&header)) {
        Ok(credentials) => {
            assert!(!credentials.username.is_empty());
            assert!(!credentials.username.contains(':'));
            let again = basic_auth_header(&credentials.username, &credentials.password);
            assert_eq!(parse_basic_auth(Some(&again)), Ok(credentials.clone()));
            assert_eq!(masked, format!("Basic <{}:***>", credentials.username));
            // Debug shows the user name and, in place of the password, only `<hidden>`.
            assert_eq!(
                format!("{credentials:?}"),
                format!(
                    "Credentials {{ username: {:?}, password: \"<hidden>\" }}",
                    credentials.username
                )
            );
        }
        Err(e) => {
            let _ = e.to_string();
            assert!(masked.ends_with("<hidden>"), "{masked}");
        }
    }
}

/// `parse_cookie_header` and `find_session_cookie` on any `Cookie` value: names trimmed and
/// non-empty; the lookup agrees with the pairs (the first session cookie, all of them counted).
pub fn cookie_header(data: &[u8]) {
    let header = String::from_utf8_lossy(data);
    let pairs = parse_cookie_header(&header);
    for (name, _) in &pairs {
        assert!(!name.is_empty());
        assert_eq!(name.trim(), name);
        assert!(!name.contains(';') && !name.contains('='), "{name:?}");
    }
    let lookup = find_session_cookie(Some(&header));
    let _ = lookup.note();
    if header.len() > MAX_COOKIE_HEADER_LEN {
        assert!(lookup.header_too_long && lookup.value.is_none());
        return;
    }
    let sessions: Vec<&String> = pairs
        .iter()
        .filter(|(n, _)| n == "session")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(lookup.count, sessions.len());
    assert_eq!(lookup.value.as_ref(), sessions.first().copied());
}

/// `Greeter::greet` and `user` with any `Authorization` and `Cookie` bytes at any time; input =
/// 8 bytes of "now", 2 bytes of the Authorization length, the Authorization bytes, then the
/// Cookie bytes. Only 200 or 401 in the documented shape, and a session the server hands out
/// always verifies and, sent back, continues.
pub fn greet(data: &[u8]) {
    if data.len() < 10 {
        return;
    }
    let now = u64::from_be_bytes(data[..8].try_into().unwrap());
    let auth_len = u16::from_be_bytes([data[8], data[9]]) as usize;
    let rest = &data[10..];
    let (auth, cookie) = rest.split_at(auth_len.min(rest.len()));
    let auth = String::from_utf8_lossy(auth);
    let cookie = String::from_utf8_lossy(cookie);
    let greeter = Greeter::new(KEY);

    let o = greeter.greet(Some(&auth), Some(&cookie), now);
    match o.status {
        401 => {
            assert_eq!(o.body, UNAUTHORIZED_BODY);
            assert!(o.set_cookie.is_none() && o.cookie_out.is_none() && o.user.is_none());
        }
        200 => {
            let user = o.user.clone().unwrap();
            let session = o.session_out.clone().unwrap();
            assert_eq!(session.username, user);
            let cookie_out = o.cookie_out.clone().unwrap();
            assert_eq!(
                o.set_cookie.as_deref(),
                Some(format!("session={cookie_out}; HttpOnly; Path=/").as_str())
            );
            let verified = flask_cookie::verify(&cookie_out, &[KEY.as_bytes()], now, 0)
                .expect("the server's own cookie verifies");
            assert_eq!(verified.decoded.value["visit"], session.visit);
            if session.visit < u64::MAX {
                let password = greeting_core::DEFAULT_USERS
                    .iter()
                    .find(|(n, _)| *n == user)
                    .map(|(_, p)| *p)
                    .unwrap();
                let next = greeter.greet(
                    Some(&basic_auth_header(&user, password)),
                    Some(&format!("session={cookie_out}")),
                    now,
                );
                assert_eq!(next.status, 200);
                assert_eq!(next.session_out.unwrap().visit, session.visit + 1);
            }
        }
        other => panic!("status {other}"),
    }
    let u = greeter.user(Some(&auth));
    assert!(u.status == 200 || (u.status == 401 && u.body == UNAUTHORIZED_BODY));
}

/// A target's check.
pub type Check = fn(&[u8]);

/// The checks by target name (the names of `fuzz/corpus/` directories).
pub const TARGETS: [(&str, Check); 5] = [
    ("cookie_decode", cookie_decode),
    ("cookie_verify", cookie_verify),
    ("basic_auth", basic_auth),
    ("cookie_header", cookie_header),
    ("greet", greet),
];
