//! Property tests: whatever the headers, the rules answer 200 or 401 in the documented shape and
//! never panic; credentials and cookies round-trip; a changed cookie never continues a session.

use greeting_core::{
    basic_auth_header, find_session_cookie, parse_basic_auth, Credentials, Greeter, SessionIn,
};
use proptest::prelude::*;

const KEY: &str = "playground-demo-secret";
const TS: u64 = 1637258013;

fn greeter() -> Greeter {
    Greeter::new(KEY)
}

fn check_shape(o: &greeting_core::GreetingOutcome) {
    match o.status {
        200 => {
            let v: serde_json::Value = serde_json::from_str(&o.body).unwrap();
            assert!(v["message"].as_str().unwrap().starts_with("Welcome"));
            assert!(o
                .set_cookie
                .as_ref()
                .unwrap()
                .ends_with("; HttpOnly; Path=/"));
            assert!(o.user.is_some());
        }
        401 => {
            assert_eq!(o.body, "{}\n");
            assert!(o.set_cookie.is_none() && o.session_out.is_none() && o.user.is_none());
        }
        other => panic!("status {other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_headers_get_a_documented_answer(auth in proptest::option::of(".{0,200}"), cookie in proptest::option::of(".{0,300}"), now in 0u64..=u64::MAX) {
        let o = greeter().greet(auth.as_deref(), cookie.as_deref(), now);
        check_shape(&o);
        let u = greeter().user(auth.as_deref());
        let empty_401 = u.status == 401 && u.body == greeting_core::UNAUTHORIZED_BODY;
        prop_assert!(u.status == 200 || empty_401);
    }

    #[test]
    fn basic_prefix_with_any_payload(payload in "[A-Za-z0-9+/=: %\u{80}-\u{10FFFF}]{0,100}") {
        let header = format!("Basic {payload}");
        let _ = parse_basic_auth(Some(&header));
        check_shape(&greeter().greet(Some(&header), None, TS));
    }

    #[test]
    fn credentials_round_trip(user in "[^:\\p{Cc}]{1,40}", password in "\\PC{0,40}") {
        let header = basic_auth_header(&user, &password);
        prop_assert_eq!(parse_basic_auth(Some(&header)), Ok(Credentials { username: user, password }));
    }

    #[test]
    fn the_first_session_cookie_is_found(
        before in proptest::collection::vec(("[a-rt-z][a-z0-9_]{0,8}", "[A-Za-z0-9._-]{0,20}"), 0..5),
        value in "[A-Za-z0-9._-]{1,60}",
        after in proptest::collection::vec(("[a-z][a-z0-9_]{0,8}", "[A-Za-z0-9._-]{0,20}"), 0..5),
    ) {
        let mut parts: Vec<String> = before.iter().map(|(n, v)| format!("{n}={v}")).collect();
        parts.push(format!("session={value}"));
        parts.extend(after.iter().map(|(n, v)| format!("{n}={v}")));
        let lookup = find_session_cookie(Some(&parts.join("; ")));
        prop_assert_eq!(lookup.value.as_deref(), Some(value.as_str()));
        prop_assert_eq!(lookup.count, 1 + after.iter().filter(|(n, _)| n == "session").count());
    }

    #[test]
    fn a_changed_cookie_never_continues(position in 0usize..200, replacement in "[A-Za-z0-9._-]") {
        let g = greeter();
        let first = g.greet(Some(&basic_auth_header("cobra", "hiss")), None, TS);
        let cookie = first.cookie_out.unwrap();
        let position = position % cookie.len();
        let mut mutated = cookie.clone();
        mutated.replace_range(position..position + 1, &replacement);
        let o = g.greet(Some(&basic_auth_header("cobra", "hiss")), Some(&format!("session={mutated}")), TS);
        check_shape(&o);
        if mutated == cookie {
            prop_assert_eq!(o.session_out.unwrap().visit, 2);
        } else {
            prop_assert!(matches!(o.session_in, SessionIn::Rejected { .. }), "{} -> {:?}", mutated, o.session_in);
            prop_assert_eq!(o.session_out.unwrap().visit, 1);
        }
    }
}
