//! `greeting_core::parse_basic_auth` on any `Authorization` value (read as the server reads it:
//! lossy UTF-8). Never a panic; accepted credentials round-trip; the masked form the side
//! channel shows beyond loopback never holds the password.
//! The checks live in fuzz/checks.rs, shared with the stable replay test.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::basic_auth(data));
