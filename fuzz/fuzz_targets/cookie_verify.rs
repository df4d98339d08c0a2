//! `flask_cookie::verify` with a key and a fallback: input = 8 bytes of "now" (big-endian) then
//! the cookie. Never a panic; whatever verifies carries the very signature of one of the keys
//! over its text, in its one canonical spelling, within the max age.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"playground-demo-secret";
const FALLBACK: &[u8] = b"an-older-secret";
const MAX_AGE: u64 = flask_cookie::DEFAULT_MAX_AGE_SECS;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (now, cookie) = data.split_at(8);
    let now = u64::from_be_bytes(now.try_into().unwrap());
    let cookie = String::from_utf8_lossy(cookie);
    let keys: [&[u8]; 2] = [KEY, FALLBACK];
    match flask_cookie::verify(&cookie, &keys, now, MAX_AGE) {
        Ok(verified) => {
            let d = &verified.decoded;
            let signed = format!("{}.{}", d.payload_segment, d.timestamp_segment);
            let expected = flask_cookie::signature_for(&signed, keys[verified.key_index]);
            assert_eq!(d.signature, expected);
            assert_eq!(
                format!("{signed}.{}", URL_SAFE_NO_PAD.encode(expected)),
                cookie
            );
            assert!(d.timestamp <= now && now - d.timestamp <= MAX_AGE);
        }
        Err(rejection) => {
            let _ = rejection.to_string();
        }
    }
});
