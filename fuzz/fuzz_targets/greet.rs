//! The whole `GET /greeting` rule, `Greeter::greet`, on any `Authorization` and `Cookie` bytes
//! at any time: input = 8 bytes of "now", 2 bytes of the Authorization length, the
//! Authorization bytes, then the Cookie bytes. Never a panic, only 200 or 401 in the documented
//! shape, and a session the server hands out always verifies and continues.
#![no_main]

use greeting_core::{basic_auth_header, Greeter, UNAUTHORIZED_BODY};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "playground-demo-secret";

fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    let now = u64::from_be_bytes(data[..8].try_into().unwrap());
    let auth_len = u16::from_be_bytes([data[8], data[9]]) as usize;
    let rest = &data[10..];
    let (auth, cookie) = rest.split_at(auth_len.min(rest.len()));
    let auth = String::from_utf8_lossy(auth);
    let cookie = String::from_utf8_lossy(cookie);
    let greeter = Greeter::new(KEY);

    let o = greeter.greet(Some(&auth), Some(&cookie), now);
    match o.status {
        401 => {
            assert_eq!(o.body, UNAUTHORIZED_BODY);
            assert!(o.set_cookie.is_none() && o.cookie_out.is_none() && o.user.is_none());
        }
        200 => {
            let user = o.user.clone().unwrap();
            let session = o.session_out.clone().unwrap();
            assert_eq!(session.username, user);
            let cookie_out = o.cookie_out.clone().unwrap();
            assert_eq!(
                o.set_cookie.as_deref(),
                Some(format!("session={cookie_out}; HttpOnly; Path=/").as_str())
            );
            let verified = flask_cookie::verify(&cookie_out, &[KEY.as_bytes()], now, 0)
                .expect("the server's own cookie verifies");
            assert_eq!(verified.decoded.value["visit"], session.visit);
            // Sent back at once, it continues (unless the counter is at its end).
            if session.visit < u64::MAX {
                let next = greeter.greet(
                    Some(&basic_auth_header(&user, password_of(&user))),
                    Some(&format!("session={cookie_out}")),
                    now,
                );
                assert_eq!(next.status, 200);
                assert_eq!(next.session_out.unwrap().visit, session.visit + 1);
            }
        }
        other => panic!("status {other}"),
    }
    let u = greeter.user(Some(&auth));
    assert!(u.status == 200 || (u.status == 401 && u.body == UNAUTHORIZED_BODY));
});

fn password_of(user: &str) -> &'static str {
    greeting_core::DEFAULT_USERS
        .iter()
        .find(|(n, _)| *n == user)
        .map(|(_, p)| *p)
        .unwrap()
}
