//! `greeting_core::parse_cookie_header` and `find_session_cookie` on any `Cookie` value (lossy
//! UTF-8, as the server reads it). Never a panic; names are trimmed and non-empty; the session
//! lookup agrees with the pairs (first one wins, all counted).
#![no_main]

use greeting_core::{find_session_cookie, parse_cookie_header, MAX_COOKIE_HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
