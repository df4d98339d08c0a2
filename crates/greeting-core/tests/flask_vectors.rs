//! The greeting rules against cookies made by the real Flask (the codec's committed vectors,
//! crates/flask-cookie/tests/vectors/flask_vectors.json): every Flask session of a user with a
//! whole-number visit continues at visit + 1 (other keys kept); every cookie Flask refuses
//! starts over at visit 1, silently.

use greeting_core::{basic_auth_header, Greeter, SessionIn, Users};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../flask-cookie/tests/vectors/flask_vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("the codec's Flask vectors");
    serde_json::from_str(&text).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn greeter_for(v: &Value, username: &str) -> Greeter {
    Greeter {
        users: Users::from_pairs([(username, "pw")]).unwrap(),
        keys: v["keys_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| unhex(k.as_str().unwrap()))
            .collect(),
        max_age_secs: v
            .get("max_age_secs")
            .and_then(Value::as_u64)
            .unwrap_or(flask_cookie::DEFAULT_MAX_AGE_SECS),
    }
}

#[test]
fn flask_sessions_continue() {
    let all = vectors();
    let mut continued = 0;
    for v in all["accepted"].as_array().unwrap() {
        let value = &v["value"];
        let (Some(username), Some(visit)) = (value["username"].as_str(), value["visit"].as_u64())
        else {
            continue;
        };
        let g = greeter_for(v, username);
        let cookie = format!("session={}", v["cookie"].as_str().unwrap());
        let now = v["now"].as_u64().unwrap();
        let o = g.greet(Some(&basic_auth_header(username, "pw")), Some(&cookie), now);
        let name = v["name"].as_str().unwrap();
        assert_eq!(o.status, 200, "{name}");
        assert_eq!(
            o.session_in,
            SessionIn::Continued {
                username: username.into(),
                visit
            },
            "{name}"
        );
        assert_eq!(o.session_out.as_ref().unwrap().visit, visit + 1, "{name}");
        assert_eq!(
            o.key_index,
            v["key_index"].as_u64().map(|k| k as usize),
            "{name}"
        );
        // The new cookie holds Flask's session with only the visit changed, signed by the first key.
        let out = flask_cookie::verify(
            o.cookie_out.as_ref().unwrap(),
            &[g.keys[0].as_slice()],
            now,
            g.max_age_secs,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut expected = value.clone();
        expected["visit"] = Value::from(visit + 1);
        assert_eq!(out.decoded.value, expected, "{name}");
        continued += 1;
    }
    assert!(continued >= 50, "only {continued} vectors continued");
}

#[test]
fn cookies_flask_refuses_start_over() {
    let all = vectors();
    let mut cases: Vec<&Value> = all["rejected"].as_array().unwrap().iter().collect();
    cases.extend(all["divergences"].as_array().unwrap().iter());
    assert!(cases.len() >= 20);
    for v in cases {
        let name = v["name"].as_str().unwrap();
        let g = greeter_for(v, "cobra");
        let cookie = format!("session={}", v["cookie"].as_str().unwrap());
        let o = g.greet(
            Some(&basic_auth_header("cobra", "pw")),
            Some(&cookie),
            v["now"].as_u64().unwrap(),
        );
        assert_eq!(o.status, 200, "{name}");
        assert_eq!(
            o.body, "{\n  \"message\": \"Welcome, cobra!\"\n}\n",
            "{name}"
        );
        assert!(
            matches!(o.session_in, SessionIn::Rejected { .. }),
            "{name}: {:?}",
            o.session_in
        );
        assert_eq!(o.session_out.unwrap().visit, 1, "{name}");
    }
}
