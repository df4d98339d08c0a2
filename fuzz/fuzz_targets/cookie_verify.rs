//! `flask_cookie::verify` with a key and a fallback: input = 8 bytes of "now" (big-endian) then
//! the cookie. Never a panic; whatever verifies carries the very signature of one of the keys
//! over its text, in its one canonical spelling, within the max age.
//! The checks live in fuzz/checks.rs, shared with the stable replay test.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::cookie_verify(data));
