//! `greeting_core::parse_cookie_header` and `find_session_cookie` on any `Cookie` value (lossy
//! UTF-8, as the server reads it). Never a panic; names are trimmed and non-empty; the session
//! lookup agrees with the pairs (first one wins, all counted).
//! The checks live in fuzz/checks.rs, shared with the stable replay test.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::cookie_header(data));
