//! `flask_cookie::decode` on any bytes (as the server reads a header: lossy UTF-8): never a
//! panic, and what it accepts is canonical (segments re-encode to themselves, so no two texts
//! decode to the same cookie).
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"playground-demo-secret";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(decoded) = flask_cookie::decode(&text) else {
        // Rejections must describe themselves without panicking either.
        if let Err(e) = flask_cookie::decode(&text) {
            let _ = e.to_string();
        }
        return;
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
    // Whatever decodes also verifies or is rejected, without panicking.
    let _ = flask_cookie::verify(&text, &[KEY], decoded.timestamp, 60);
    let _ = flask_cookie::format_utc(decoded.timestamp);
});
