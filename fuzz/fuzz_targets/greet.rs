//! The whole `GET /greeting` rule, `Greeter::greet`, on any `Authorization` and `Cookie` bytes
//! at any time: input = 8 bytes of "now", 2 bytes of the Authorization length, the
//! Authorization bytes, then the Cookie bytes. Never a panic, only 200 or 401 in the documented
//! shape, and a session the server hands out always verifies and continues.
//! The checks live in fuzz/checks.rs, shared with the stable replay test.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::greet(data));
