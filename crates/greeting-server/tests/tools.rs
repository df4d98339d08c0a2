//! The instructor's subcommands: `decode` and `sign`.

use serde_json::Value;
use std::process::{Command, Output};

const KEY: &str = "playground-demo-secret";
const VISIT1: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE";
const COMPRESSED: &str =
    ".eJyrVsrLL0lVslLKyCwuViCJUNJRKi1OLcpLzAXpT85PKkoECpVlFmeWKFkZ1gIAp20fNg.YZaTHQ.myDVbKeBIXWUJds1ecjtWCiEfw4";
const TS: u64 = 1637258013;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_greeting-server"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn sign_makes_flasks_own_cookie() {
    let o = run(&[
        "sign",
        r#"{"username": "cobra", "visit": 1}"#,
        "--secret-key",
        KEY,
        "--timestamp",
        &TS.to_string(),
    ]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), VISIT1);
    let o = run(&[
        "sign",
        r#"{"visit": 2, "username": "cobra"}"#,
        "--secret-key",
        KEY,
        "--timestamp",
        &TS.to_string(),
    ]);
    assert_eq!(
        stdout(&o).trim(),
        "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9.YZaTHQ.T0Q_E2UqDzye7bXltKjGyT7hxRg"
    );
    // Without --timestamp: now, so it verifies now.
    let o = run(&[
        "sign",
        r#"{"username": "viper", "visit": 7}"#,
        "--secret-key",
        KEY,
    ]);
    let cookie = stdout(&o).trim().to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    flask_cookie::verify(&cookie, &[KEY.as_bytes()], now + 1, 60).unwrap();
}

#[test]
fn sign_refuses_what_flask_would_not_sign() {
    for (json, key) in [("[1, 2]", KEY), ("not json", KEY), (r#"{"a": 1}"#, "")] {
        let o = run(&["sign", json, "--secret-key", key]);
        assert_eq!(o.status.code(), Some(2), "{json}");
        assert!(!o.stderr.is_empty());
        assert!(o.stdout.is_empty());
    }
    assert!(
        !run(&["sign", "{}"]).status.success(),
        "--secret-key is required"
    );
}

#[test]
fn decode_without_a_key() {
    let o = run(&[
        "decode",
        &format!("session={VISIT1}; HttpOnly; Path=/"),
        "--now",
        &(TS + 90).to_string(),
    ]);
    assert!(o.status.success());
    let text = stdout(&o);
    for expected in [
        "\"username\": \"cobra\"",
        "compressed  no",
        "tags        none",
        "timestamp   1637258013 = 2021-11-18 17:53:33 UTC (1 min 30 s ago)",
        "signature   fb0966136ffa7e44dde01238eb84f69178d7f1e1",
        "verdict     not checked",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn decode_verdicts_and_exit_codes() {
    let now = (TS + 60).to_string();
    let o = run(&["decode", VISIT1, "--secret-key", KEY, "--now", &now]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("verdict     valid"));

    let o = run(&["decode", VISIT1, "--secret-key", "wrong", "--now", &now]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("REJECTED: signature does not match"));

    let o = run(&[
        "decode",
        VISIT1,
        "--secret-key",
        "wrong",
        "--secret-key",
        KEY,
        "--now",
        &now,
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("key #2 of 2"));

    let o = run(&["decode", VISIT1, "--secret-key", KEY]);
    assert_eq!(o.status.code(), Some(1), "a 2021 cookie has expired by now");
    assert!(stdout(&o).contains("REJECTED: expired"));

    let o = run(&[
        "decode",
        VISIT1,
        "--secret-key",
        KEY,
        "--now",
        &(TS - 10).to_string(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("in the future"));

    for bad in [
        "garbage",
        "a.b",
        "",
        "!!.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE",
    ] {
        let o = run(&["decode", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("malformed cookie"),
            "{bad}"
        );
    }
}

#[test]
fn decode_json() {
    let o = run(&[
        "decode",
        COMPRESSED,
        "--json",
        "--secret-key",
        KEY,
        "--now",
        &(TS + 5).to_string(),
    ]);
    assert!(o.status.success());
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["compressed"], true);
    assert_eq!(v["payload"]["note"], "hiss ".repeat(10));
    assert_eq!(v["timestamp"], TS);
    assert_eq!(v["timestamp_utc"], "2021-11-18 17:53:33 UTC");
    assert_eq!(v["age_secs"], 5);
    assert_eq!(v["signature_hex"].as_str().unwrap().len(), 40);
    assert_eq!(v["verdict"]["valid"], true);
    assert_eq!(v["verdict"]["key_index"], 0);

    let o = run(&[
        "decode",
        VISIT1,
        "--json",
        "--secret-key",
        "nope",
        "--now",
        &TS.to_string(),
    ]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"]["valid"], false);
    assert_eq!(v["verdict"]["rejection"]["kind"], "bad_signature");

    let o = run(&["decode", "garbage", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["message"].as_str().unwrap().contains("three parts"));
}

#[test]
fn decode_shows_flasks_tags() {
    // A tuple and bytes, as Flask's tagged JSON writes them.
    let session = serde_json::json!({"cart": {" t": [1, 2]}, "raw": {" b": "aGk="}, "username": "cobra", "visit": 1});
    let cookie = flask_cookie::sign(&session, KEY.as_bytes(), TS).unwrap();
    let o = run(&["decode", &cookie, "--now", &TS.to_string()]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(
        text.contains("tuple at $.cart") && text.contains("bytes at $.raw"),
        "{text}"
    );
}

#[test]
fn help_lists_the_commands() {
    let o = run(&["--help"]);
    let text = stdout(&o);
    for word in [
        "serve",
        "decode",
        "sign",
        "--secret-key",
        "--user",
        "--static",
        "--allow-origin",
        "--www-authenticate",
    ] {
        assert!(text.contains(word), "{word}");
    }
}
