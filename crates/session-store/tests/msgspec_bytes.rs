//! The stored bytes against msgspec's own encoder (what Flask-Session 0.8 stores), for sessions
//! beyond the chapter's: large and negative numbers, floats, nesting, long and non-ASCII
//! strings. A counted skip when Python lacks msgspec.

use serde_json::{json, Value};
use session_store::{decode_session, encode_session, SessionData};
use std::io::Write;
use std::process::{Command, Stdio};

/// Keys in sorted order: `encode_session` writes a session's keys sorted (serde_json's map),
/// and msgspec writes a dict in insertion order, so sorted dicts give the same bytes. (The
/// stores keep a loaded session's own order: `encode_stored`, and tests/store_order.rs of the
/// greeting server.)
fn cases() -> Vec<SessionData> {
    [
        json!({"_permanent": true, "username": "cobra", "visit": 1}),
        json!({"_permanent": true, "username": "cobra", "visit": 127}),
        json!({"_permanent": true, "username": "cobra", "visit": 128}),
        json!({"_permanent": true, "username": "cobra", "visit": 65535}),
        json!({"_permanent": true, "username": "cobra", "visit": 4294967296u64}),
        json!({"_permanent": true, "username": "cobra", "visit": u64::MAX}),
        json!({"a": -1, "b": -32, "c": -33, "d": -129, "e": -40000, "f": i64::MIN}),
        json!({"f": 1.5, "g": 0.1, "h": -2.0e300, "n": null, "t": false}),
        json!({"cart": [1, "two", {"three": 3.0}], "empty": {}, "list": []}),
        json!({"name": "s".repeat(31), "other": "s".repeat(32), "third": "s".repeat(300)}),
        json!({"nested": {"deeper": {"deepest": [true, null]}}, "ünïcödé": "蛇 🐍"}),
        json!({"long": (0..20).map(|i| json!(i)).collect::<Vec<_>>()}),
    ]
    .into_iter()
    .map(|v| match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    })
    .collect()
}

#[test]
fn our_bytes_are_msgspecs_bytes() {
    let python = match test_support::python_with("msgspec") {
        Ok(python) => python,
        Err(reason) => return test_support::skip(reason),
    };
    let script = r#"
import json, sys, msgspec
enc = msgspec.msgpack.Encoder()
dec = msgspec.msgpack.Decoder()
for line in sys.stdin:
    ours = bytes.fromhex(line.strip())
    session = dec.decode(ours)
    print(enc.encode(session).hex(), flush=True)
"#;
    let child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!("cannot start `{python}`: {e}"),
    };
    let ours: Vec<Vec<u8>> = cases().iter().map(|c| encode_session(c).unwrap()).collect();
    {
        let mut stdin = child.stdin.take().unwrap();
        for bytes in &ours {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            writeln!(stdin, "{hex}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        panic!("msgspec failed: {err}");
    }
    let theirs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(theirs.len(), ours.len());
    for ((case, ours), theirs) in cases().iter().zip(&ours).zip(&theirs) {
        let hex: String = ours.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(&hex, theirs, "{case:?}");
        assert_eq!(&decode_session(ours).unwrap(), case);
    }
}
