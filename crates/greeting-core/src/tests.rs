//! The greeting rules, one test per rule and per bad input.

use super::*;
use flask_cookie::DEFAULT_MAX_AGE_SECS;
use serde_json::json;

const KEY: &str = "playground-demo-secret";
const TS: u64 = 1637258013;
/// Flask's own cookies for the check vectors in shared/notes/flask-session-cookie.md.
const VISIT1: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE";
const VISIT2: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9.YZaTHQ.T0Q_E2UqDzye7bXltKjGyT7hxRg";
const COBRA: &str = "Basic Y29icmE6aGlzcw==";

fn greeter() -> Greeter {
    Greeter::new(KEY)
}

fn cookie(value: &str) -> String {
    format!("session={value}")
}

fn payload(cookie_value: &str) -> &str {
    cookie_value.split('.').next().unwrap()
}

fn sign(v: serde_json::Value, key: &str, ts: u64) -> String {
    flask_cookie::sign(&v, key.as_bytes(), ts).unwrap()
}

fn assert_fresh_start(o: &GreetingOutcome, name: &str) {
    assert_eq!(o.status, 200);
    assert_eq!(
        o.body,
        format!("{{\n  \"message\": \"Welcome, {name}!\"\n}}\n")
    );
    assert_eq!(
        o.session_out,
        Some(Session {
            username: name.into(),
            visit: 1
        })
    );
    assert!(o.set_cookie.is_some());
}

#[test]
fn first_visit_sets_flasks_own_cookie() {
    let o = greeter().greet(Some(COBRA), None, TS);
    assert_fresh_start(&o, "cobra");
    assert_eq!(o.body.len(), 35);
    assert_eq!(o.session_in, SessionIn::None);
    assert_eq!(o.cookie_in, None);
    assert_eq!(o.cookie_out.as_deref(), Some(VISIT1));
    assert_eq!(
        o.set_cookie.as_deref(),
        Some(format!("session={VISIT1}; HttpOnly; Path=/").as_str())
    );
    assert_eq!(o.user.as_deref(), Some("cobra"));
    assert_eq!(o.auth_error, None);
    assert!(o.notes.is_empty(), "{:?}", o.notes);
}

#[test]
fn the_chapters_three_requests() {
    let g = greeter();
    let first = g.greet(Some(COBRA), None, TS);
    let second = g.greet(
        Some(COBRA),
        Some(&cookie(first.cookie_out.as_ref().unwrap())),
        TS,
    );
    assert_eq!(second.status, 200);
    assert_eq!(
        second.body,
        "{\n  \"message\": \"Welcome back, cobra! This is visit #2.\"\n}\n"
    );
    assert_eq!(second.body.len(), 58);
    assert_eq!(
        second.session_in,
        SessionIn::Continued {
            username: "cobra".into(),
            visit: 1
        }
    );
    assert_eq!(second.cookie_out.as_deref(), Some(VISIT2));
    assert_eq!(second.key_index, Some(0));
    let third = g.greet(
        Some(COBRA),
        Some(&cookie(second.cookie_out.as_ref().unwrap())),
        TS + 5,
    );
    assert_eq!(
        third.body,
        "{\n  \"message\": \"Welcome back, cobra! This is visit #3.\"\n}\n"
    );
    assert_eq!(
        third.session_out,
        Some(Session {
            username: "cobra".into(),
            visit: 3
        })
    );
    assert_eq!(
        payload(third.cookie_out.as_ref().unwrap()),
        "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjN9"
    );
}

#[test]
fn without_the_cookie_every_request_is_visit_one() {
    let g = greeter();
    for _ in 0..3 {
        assert_fresh_start(&g.greet(Some(COBRA), None, TS), "cobra");
    }
}

#[test]
fn another_users_session_starts_over() {
    let nagini = basic_auth_header("nagini", "crawl");
    let o = greeter().greet(Some(&nagini), Some(&cookie(VISIT2)), TS);
    assert_fresh_start(&o, "nagini");
    assert_eq!(
        o.session_in,
        SessionIn::OtherUser {
            username: "cobra".into(),
            visit: 2
        }
    );
    assert_eq!(
        payload(o.cookie_out.as_ref().unwrap()),
        "eyJ1c2VybmFtZSI6Im5hZ2luaSIsInZpc2l0IjoxfQ"
    );
}

fn assert_rejected(o: &GreetingOutcome, reason_contains: &str) {
    assert_fresh_start(o, "cobra");
    match &o.session_in {
        SessionIn::Rejected { reason } => {
            assert!(reason.to_lowercase().contains(reason_contains), "{reason}")
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[test]
fn tampered_cookie_is_silently_a_new_session() {
    // The payload of visit 2 with the signature of visit 1: the classic forgery.
    let forged = format!("{}.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE", payload(VISIT2));
    let o = greeter().greet(Some(COBRA), Some(&cookie(&forged)), TS);
    assert_rejected(&o, "signature");
    assert_eq!(o.cookie_in.as_deref(), Some(forged.as_str()));
}

#[test]
fn cookie_signed_with_another_key_is_a_new_session() {
    let other = sign(json!({"username": "cobra", "visit": 5}), "another-key", TS);
    assert_rejected(
        &greeter().greet(Some(COBRA), Some(&cookie(&other)), TS),
        "signature",
    );
}

#[test]
fn expired_cookie_is_a_new_session() {
    let now = TS + DEFAULT_MAX_AGE_SECS + 3600;
    assert_rejected(
        &greeter().greet(Some(COBRA), Some(&cookie(VISIT2)), now),
        "expired",
    );
    // One second inside the max age still continues.
    let o = greeter().greet(
        Some(COBRA),
        Some(&cookie(VISIT2)),
        TS + DEFAULT_MAX_AGE_SECS - 1,
    );
    assert_eq!(o.session_out.unwrap().visit, 3);
}

#[test]
fn max_age_is_configurable() {
    let mut g = greeter();
    g.max_age_secs = 60;
    assert_rejected(
        &g.greet(Some(COBRA), Some(&cookie(VISIT2)), TS + 120),
        "expired",
    );
    assert_eq!(
        g.greet(Some(COBRA), Some(&cookie(VISIT2)), TS + 30)
            .session_out
            .unwrap()
            .visit,
        3
    );
}

#[test]
fn cookie_from_the_future_is_a_new_session() {
    assert_rejected(
        &greeter().greet(Some(COBRA), Some(&cookie(VISIT2)), TS - 3600),
        "future",
    );
}

#[test]
fn malformed_cookies_are_new_sessions() {
    for bad in [
        "garbage",
        "a.b",
        "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9.YZaTHQ",
        "!!!.YZaTHQ.T0Q_E2UqDzye7bXltKjGyT7hxRg",
        "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9.YZaTHQ.T0Q_E2UqDzye7bXltKjGyT7hxRg.extra",
        ".notzlib.YZaTHQ.T0Q_E2UqDzye7bXltKjGyT7hxRg",
        "é.é.é",
    ] {
        let o = greeter().greet(Some(COBRA), Some(&cookie(bad)), TS);
        assert_fresh_start(&o, "cobra");
        assert!(
            matches!(o.session_in, SessionIn::Rejected { .. }),
            "{bad}: {:?}",
            o.session_in
        );
    }
}

#[test]
fn oversized_cookie_is_refused_before_verifying() {
    let big = "A".repeat(MAX_SESSION_COOKIE_LEN + 1);
    assert_rejected(
        &greeter().greet(Some(COBRA), Some(&cookie(&big)), TS),
        "bytes long",
    );
}

#[test]
fn empty_session_cookie_is_no_cookie_like_flask() {
    let o = greeter().greet(Some(COBRA), Some("session="), TS);
    assert_fresh_start(&o, "cobra");
    assert_eq!(o.session_in, SessionIn::None);
    assert_eq!(o.notes.len(), 1);
}

#[test]
fn several_session_cookies_use_the_first() {
    let g = greeter();
    let o = g.greet(
        Some(COBRA),
        Some(&format!("session={VISIT2}; theme=dark; session=garbage")),
        TS,
    );
    assert_eq!(o.session_out.as_ref().unwrap().visit, 3);
    assert!(
        o.notes.iter().any(|n| n.contains("2 `session` cookies")),
        "{:?}",
        o.notes
    );
    let o = g.greet(
        Some(COBRA),
        Some(&format!("session=garbage; session={VISIT2}")),
        TS,
    );
    assert!(matches!(o.session_in, SessionIn::Rejected { .. }));
    assert_eq!(o.cookie_in.as_deref(), Some("garbage"));
}

#[test]
fn fallback_keys_verify_and_the_first_key_signs() {
    let g = Greeter {
        keys: vec![b"new-key".to_vec(), KEY.as_bytes().to_vec()],
        ..greeter()
    };
    let o = g.greet(Some(COBRA), Some(&cookie(VISIT2)), TS);
    assert_eq!(
        o.session_in,
        SessionIn::Continued {
            username: "cobra".into(),
            visit: 2
        }
    );
    assert_eq!(o.key_index, Some(1));
    assert!(o.notes.iter().any(|n| n.contains("older key")));
    let out = o.cookie_out.unwrap();
    assert!(flask_cookie::verify(&out, &[b"new-key"], TS, DEFAULT_MAX_AGE_SECS).is_ok());
    assert!(flask_cookie::verify(&out, &[KEY.as_bytes()], TS, DEFAULT_MAX_AGE_SECS).is_err());
}

#[test]
fn other_session_keys_are_kept() {
    let c = sign(
        json!({"username": "cobra", "visit": 4, "theme": "dark", "cart": {" t": [1, 2]}}),
        KEY,
        TS,
    );
    let o = greeter().greet(Some(COBRA), Some(&cookie(&c)), TS);
    assert_eq!(o.session_out.as_ref().unwrap().visit, 5);
    let decoded = flask_cookie::decode(o.cookie_out.as_ref().unwrap()).unwrap();
    assert_eq!(
        decoded.value,
        json!({"username": "cobra", "visit": 5, "theme": "dark", "cart": {" t": [1, 2]}})
    );
    // Another user's session keeps them too; only username and visit change.
    let o = greeter().greet(
        Some(&basic_auth_header("viper", "bite")),
        Some(&cookie(&c)),
        TS,
    );
    let decoded = flask_cookie::decode(o.cookie_out.as_ref().unwrap()).unwrap();
    assert_eq!(
        decoded.value,
        json!({"username": "viper", "visit": 1, "theme": "dark", "cart": {" t": [1, 2]}})
    );
}

#[test]
fn a_visit_that_is_not_a_whole_number_starts_over() {
    for visit in [
        json!("2"),
        json!(2.5),
        json!(-3),
        json!(null),
        json!(true),
        json!(u64::MAX),
    ] {
        let c = sign(json!({"username": "cobra", "visit": visit}), KEY, TS);
        let o = greeter().greet(Some(COBRA), Some(&cookie(&c)), TS);
        assert_fresh_start(&o, "cobra");
        assert!(
            matches!(o.session_in, SessionIn::OtherUser { ref username, .. } if username == "cobra")
        );
        if visit != json!(u64::MAX) {
            assert!(
                o.notes.iter().any(|n| n.contains("starts over")),
                "{visit}: {:?}",
                o.notes
            );
        }
    }
    // A session without a username or visit at all (e.g. `{}`).
    let c = sign(json!({}), KEY, TS);
    let o = greeter().greet(Some(COBRA), Some(&cookie(&c)), TS);
    assert_fresh_start(&o, "cobra");
    assert_eq!(
        o.session_in,
        SessionIn::OtherUser {
            username: String::new(),
            visit: 0
        }
    );
}

#[test]
fn a_visit_of_zero_continues_to_visit_one_welcome_back() {
    let c = sign(json!({"username": "cobra", "visit": 0}), KEY, TS);
    let o = greeter().greet(Some(COBRA), Some(&cookie(&c)), TS);
    assert_eq!(
        o.session_in,
        SessionIn::Continued {
            username: "cobra".into(),
            visit: 0
        }
    );
    assert_eq!(
        o.body,
        "{\n  \"message\": \"Welcome back, cobra! This is visit #1.\"\n}\n"
    );
}

#[test]
fn large_visit_counts_keep_counting() {
    let c = sign(
        json!({"username": "cobra", "visit": 1_000_000_000_000u64}),
        KEY,
        TS,
    );
    let o = greeter().greet(Some(COBRA), Some(&cookie(&c)), TS);
    assert_eq!(
        o.body,
        "{\n  \"message\": \"Welcome back, cobra! This is visit #1000000000001.\"\n}\n"
    );
}

fn assert_unauthorized(o: &GreetingOutcome) {
    assert_eq!(o.status, 401);
    assert_eq!(o.body, "{}\n");
    assert_eq!(o.set_cookie, None);
    assert_eq!(o.cookie_out, None);
    assert_eq!(o.session_out, None);
    assert_eq!(o.user, None);
    assert!(o.auth_error.is_some());
    assert!(o.notes[0].starts_with("401: "), "{:?}", o.notes);
}

#[test]
fn wrong_or_missing_credentials_are_401_with_empty_object() {
    let g = greeter();
    let not_utf8 = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"\xff:x")
    );
    let long = format!("Basic {}", "A".repeat(5000));
    let cases: Vec<(Option<String>, AuthFailure)> = vec![
        (None, AuthFailure::Header(AuthError::Missing)),
        (
            Some("Bearer abc".into()),
            AuthFailure::Header(AuthError::NotBasic {
                scheme: "Bearer".into(),
            }),
        ),
        (
            Some("Basic %%%".into()),
            AuthFailure::Header(AuthError::BadBase64),
        ),
        (
            Some("Basic Y29icmFoaXNz".into()),
            AuthFailure::Header(AuthError::NoColon),
        ),
        (Some(not_utf8), AuthFailure::Header(AuthError::NotUtf8)),
        (
            Some(basic_auth_header("", "hiss")),
            AuthFailure::Header(AuthError::EmptyUser),
        ),
        (
            Some(long),
            AuthFailure::Header(AuthError::TooLong { len: 5006 }),
        ),
        (
            Some(basic_auth_header("cobra", "meow")),
            AuthFailure::WrongCredentials {
                username: "cobra".into(),
            },
        ),
        (
            Some(basic_auth_header("python", "hiss")),
            AuthFailure::WrongCredentials {
                username: "python".into(),
            },
        ),
    ];
    for (header, expected) in cases {
        let o = g.greet(header.as_deref(), Some(&cookie(VISIT1)), TS);
        assert_unauthorized(&o);
        assert_eq!(o.auth_error.as_ref(), Some(&expected));
        // The incoming cookie is still described, though the server does not use it.
        assert_eq!(o.cookie_in.as_deref(), Some(VISIT1));
        assert_eq!(
            o.session_in,
            SessionIn::OtherUser {
                username: "cobra".into(),
                visit: 1
            }
        );
        assert!(!o.notes[0].contains("meow"));
    }
}

#[test]
fn without_keys_nothing_verifies_and_nothing_is_signed() {
    let g = Greeter {
        keys: vec![],
        ..greeter()
    };
    let o = g.greet(Some(COBRA), Some(&cookie(VISIT1)), TS);
    assert_eq!(o.status, 200);
    assert_eq!(o.set_cookie, None);
    assert!(matches!(o.session_in, SessionIn::Rejected { .. }));
    assert!(!o.notes.is_empty());
}

#[test]
fn custom_and_non_ascii_users() {
    let g = Greeter {
        users: Users::from_specs(&["zoë:pw"]).unwrap(),
        ..greeter()
    };
    let o = g.greet(Some(&basic_auth_header("zoë", "pw")), None, TS);
    assert_eq!(o.body, "{\n  \"message\": \"Welcome, zo\\u00eb!\"\n}\n");
    assert_eq!(o.session_out.as_ref().unwrap().username, "zoë");
    let o2 = g.greet(
        Some(&basic_auth_header("zoë", "pw")),
        Some(&cookie(o.cookie_out.as_ref().unwrap())),
        TS,
    );
    assert_eq!(o2.session_out.unwrap().visit, 2);
    assert_unauthorized(&g.greet(Some(COBRA), None, TS));
}

#[test]
fn user_endpoint() {
    let g = greeter();
    let o = g.user(Some(COBRA));
    assert_eq!(o.status, 200);
    assert_eq!(
        o.body,
        "{\n  \"email\": \"jar.fowler@example.com\",\n  \"id\": 1,\n  \"name\": \"Jar Fowler\",\n  \"user\": \"cobra\"\n}\n"
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&o.body).unwrap(),
        json!({"email": "jar.fowler@example.com", "id": 1, "name": "Jar Fowler", "user": "cobra"})
    );
    assert_eq!(o.user.as_deref(), Some("cobra"));
    for (n, p) in &DEFAULT_USERS[1..] {
        let o = g.user(Some(&basic_auth_header(n, p)));
        assert_eq!(o.status, 200);
        assert_eq!(o.record.unwrap().user, *n);
    }
    for bad in [
        None,
        Some(basic_auth_header("cobra", "meow")),
        Some("Basic".to_string()),
    ] {
        let o = g.user(bad.as_deref());
        assert_eq!((o.status, o.body.as_str(), o.record), (401, "{}\n", None));
        assert!(o.auth_error.is_some());
    }
}

#[test]
fn messages() {
    assert_eq!(greeting_message("cobra", 1), "Welcome, cobra!");
    assert_eq!(
        greeting_message("cobra", 2),
        "Welcome back, cobra! This is visit #2."
    );
    assert_eq!(
        set_cookie_header("a.b.c"),
        "session=a.b.c; HttpOnly; Path=/"
    );
}

#[test]
fn planting() {
    assert!(validate_planted_cookie(VISIT1).is_ok());
    // A forged cookie is well-formed: planting it is allowed (it will fail verification).
    assert!(validate_planted_cookie(&format!(
        "{}.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE",
        payload(VISIT2)
    ))
    .is_ok());
    assert!(matches!(
        validate_planted_cookie(&format!("{VISIT1}; Path=/x")),
        Err(PlantError::BadCharacter { character: ';' })
    ));
    assert!(matches!(
        validate_planted_cookie("a\r\nb"),
        Err(PlantError::BadCharacter { .. })
    ));
    assert!(matches!(
        validate_planted_cookie("garbage"),
        Err(PlantError::Malformed(_))
    ));
    assert!(matches!(
        validate_planted_cookie(""),
        Err(PlantError::Malformed(_))
    ));
    assert!(matches!(
        validate_planted_cookie(&"A".repeat(5000)),
        Err(PlantError::TooLong { len: 5000 })
    ));
    for e in [
        PlantError::TooLong { len: 1 },
        PlantError::BadCharacter { character: ';' },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn masking_credentials() {
    assert_eq!(mask_authorization(COBRA), "Basic <cobra:***>");
    assert_eq!(mask_authorization("Bearer secret-token"), "Bearer <hidden>");
    assert_eq!(mask_authorization("secret"), "<hidden>");
    assert!(!mask_authorization("Basic Y29icmE6aGlzcw==").contains("hiss"));
}

fn object(v: serde_json::Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("the tests pass objects"),
    }
}

#[test]
fn a_stored_session_continues_and_keeps_its_other_keys() {
    let stored = object(json!({"_permanent": true, "username": "cobra", "visit": 2}));
    let g = greeter().greet_opened(
        Some(COBRA),
        OpenedSession::stored(stored),
        Some("an-id".into()),
        vec![],
    );
    assert_eq!(
        g.outcome.body,
        "{\n  \"message\": \"Welcome back, cobra! This is visit #3.\"\n}\n"
    );
    assert_eq!(
        g.outcome.session_in,
        SessionIn::Continued {
            username: "cobra".into(),
            visit: 2
        }
    );
    assert_eq!((g.outcome.set_cookie, g.outcome.cookie_out), (None, None));
    assert_eq!(
        g.session,
        Some(object(
            json!({"_permanent": true, "username": "cobra", "visit": 3})
        ))
    );
}

#[test]
fn a_fresh_session_starts_from_the_data_given() {
    let g = greeter().greet_opened(
        Some(COBRA),
        OpenedSession::fresh(SessionIn::None, object(json!({"_permanent": true}))),
        None,
        vec![],
    );
    assert_eq!(g.outcome.body, "{\n  \"message\": \"Welcome, cobra!\"\n}\n");
    assert_eq!(g.outcome.session_in, SessionIn::None);
    assert_eq!(
        g.session,
        Some(object(
            json!({"_permanent": true, "username": "cobra", "visit": 1})
        ))
    );
    // A 401 writes no session.
    let g = greeter().greet_opened(
        Some("Basic bm9ib2R5Ong="),
        OpenedSession::stored(object(json!({"username": "cobra", "visit": 2}))),
        None,
        vec![],
    );
    assert_eq!((g.outcome.status, g.session), (401, None));
}

#[test]
fn greet_is_greet_opened_plus_the_signed_cookie() {
    let o = greeter().greet(Some(COBRA), Some(&cookie(VISIT1)), TS);
    let opened = OpenedSession::stored(object(json!({"username": "cobra", "visit": 1})));
    let g = greeter().greet_opened(Some(COBRA), opened, Some(VISIT1.into()), vec![]);
    assert_eq!(o.body, g.outcome.body);
    assert_eq!(o.session_in, g.outcome.session_in);
    assert_eq!(
        flask_cookie::decode(o.cookie_out.as_deref().unwrap())
            .unwrap()
            .value,
        Value::Object(g.session.unwrap())
    );
}
