//! `flask_cookie::decode` on any bytes (as the server reads a header: lossy UTF-8): never a
//! panic, and what it accepts is canonical (segments re-encode to themselves, so no two texts
//! decode to the same cookie).
//! The checks live in fuzz/checks.rs, shared with the stable replay test.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::cookie_decode(data));
