//! The stored form of a session: MessagePack of the session map, as Flask-Session 0.8 writes
//! it with msgspec (`msgspec.msgpack.Encoder().encode(dict(session))`).
//!
//! msgspec and rmp-serde both write each value in its shortest MessagePack form (fixmap,
//! fixstr, positive fixint, `true` as `c3`, floats as float64), so the bytes are the same; the
//! tests hold the bytes Flask-Session wrote for the chapter's session.

use crate::store::{SessionData, Stored};
use serde_json::Value;

/// Flask's flag for a permanent session, stored among the session's keys. Flask-Session makes
/// every session permanent by default (`SESSION_PERMANENT = True`), so its cookie has an
/// `Expires`.
pub const PERMANENT_KEY: &str = "_permanent";

/// The bytes stored for a session, its keys sorted. (A map of JSON values always has a
/// MessagePack form; the error is rmp-serde's signature, not a case this crate knows of.)
pub fn encode_session(session: &SessionData) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    rmp_serde::to_vec(session)
}

/// The bytes stored for a session, its keys in their stored order (msgspec writes a dict in
/// insertion order).
pub fn encode_stored(stored: &Stored) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    rmp_serde::to_vec(stored)
}

/// A stored session read back: MessagePack, or JSON as Flask-Session's decoder also accepts
/// (its `alternate_decoder`, for sessions stored with `SESSION_SERIALIZATION_FORMAT = "json"`).
/// Fails when the bytes are neither a map of values the session can hold (for instance bytes
/// or a timestamp that another app stored); the error is MessagePack's.
pub fn decode_session(bytes: &[u8]) -> Result<SessionData, rmp_serde::decode::Error> {
    decode_stored(bytes).map(|stored| stored.session)
}

/// [`decode_session`] with the keys' stored order.
pub fn decode_stored(bytes: &[u8]) -> Result<Stored, rmp_serde::decode::Error> {
    if let Ok(stored) = rmp_serde::from_slice::<Stored>(bytes) {
        return Ok(stored);
    }
    // Not a MessagePack map: say what it is, unless it is a JSON one.
    let msgpack = match rmp_serde::from_slice::<Value>(bytes) {
        Ok(other) => rmp_serde::decode::Error::Syntax(format!(
            "a stored session is a map, not {}",
            kind(&other)
        )),
        Err(e) => e,
    };
    serde_json::from_slice::<Stored>(bytes).map_err(|_| msgpack)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> SessionData {
        match value {
            Value::Object(m) => m,
            _ => unreachable!("the tests pass objects"),
        }
    }

    /// The value Flask-Session 0.8.0 with msgspec 0.23 stored for the chapter's session after
    /// two visits (shared/notes/server-side-sessions.md).
    const FLASK_SESSION_VISIT_2: &[u8] =
        b"\x83\xaa_permanent\xc3\xa8username\xa5cobra\xa5visit\x02";

    #[test]
    fn the_chapters_session_has_flask_sessions_bytes() {
        let session = map(json!({"_permanent": true, "username": "cobra", "visit": 2}));
        assert_eq!(encode_session(&session).unwrap(), FLASK_SESSION_VISIT_2);
        assert_eq!(decode_session(FLASK_SESSION_VISIT_2).unwrap(), session);
    }

    #[test]
    fn integers_take_their_shortest_form_as_msgspec_writes_them() {
        for (visit, tail) in [
            (127u64, vec![0x7f]),
            (128, vec![0xcc, 0x80]),
            (256, vec![0xcd, 0x01, 0x00]),
            (65536, vec![0xce, 0x00, 0x01, 0x00, 0x00]),
            (1 << 32, vec![0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
        ] {
            let bytes = encode_session(&map(json!({ "visit": visit }))).unwrap();
            assert_eq!(bytes[..7], *b"\x81\xa5visit", "visit {visit}");
            assert_eq!(bytes[7..], tail, "visit {visit}");
        }
        let bytes = encode_session(&map(json!({ "n": -1, "f": 1.5, "x": null }))).unwrap();
        assert_eq!(
            bytes,
            b"\x83\xa1f\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xa1n\xff\xa1x\xc0"
        );
    }

    #[test]
    fn other_keys_and_nested_values_survive_a_round_trip() {
        let session = map(json!({
            "_permanent": true, "username": "cobra", "visit": 9,
            "cart": [1, "two", {"three": 3.0}], "theme": "dark",
        }));
        assert_eq!(
            decode_session(&encode_session(&session).unwrap()).unwrap(),
            session
        );
    }

    #[test]
    fn a_session_keeps_the_order_its_keys_were_stored_in() {
        // {"_permanent": True, "visit": 2, "username": "cobra"}, as msgspec writes that dict.
        let stored_bytes = b"\x83\xaa_permanent\xc3\xa5visit\x02\xa8username\xa5cobra";
        let mut stored = decode_stored(stored_bytes).unwrap();
        assert_eq!(stored.key_order, ["_permanent", "visit", "username"]);
        assert_eq!(encode_stored(&stored).unwrap(), stored_bytes);
        // The sorted form is another byte string for the same session.
        assert_ne!(encode_session(&stored.session).unwrap(), stored_bytes);
        // Changed in place, a key keeps its place; a new one goes last, as in a Python dict.
        stored.session.insert("visit".into(), 3.into());
        stored.session.insert("cart".into(), json!([]));
        assert_eq!(
            encode_stored(&stored).unwrap(),
            b"\x84\xaa_permanent\xc3\xa5visit\x03\xa8username\xa5cobra\xa4cart\x90"
        );
        // A key removed is skipped.
        stored.session.remove("visit");
        assert_eq!(
            stored.keys().collect::<Vec<_>>(),
            ["_permanent", "username", "cart"]
        );
    }

    #[test]
    fn a_session_stored_as_json_is_read_as_flask_session_reads_it() {
        let session = map(json!({"_permanent": true, "username": "cobra", "visit": 2}));
        let json = br#"{"_permanent":true,"username":"cobra","visit":2}"#;
        assert_eq!(decode_session(json).unwrap(), session);
    }

    #[test]
    fn bytes_that_are_not_a_stored_session_are_an_error() {
        assert!(decode_session(b"").is_err());
        assert!(decode_session(b"\x93\x01\x02\x03").is_err()); // an array
        assert!(decode_session(b"\x81\xa5visit").is_err()); // cut short
        assert!(decode_session(b"[1, 2]").is_err()); // JSON, but not a map
        assert!(decode_session(b"\x81\xa1b\xc4\x01\x00").is_err()); // bytes value
    }
}
