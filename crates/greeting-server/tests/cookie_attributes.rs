//! The attribute lab's server side in-process (`app(state).oneshot`): the default `Set-Cookie`
//! byte for byte, `GET`/`POST /playground/api/cookie-attributes` (typed 4xx for bad input,
//! refused outside teaching mode), every session `Set-Cookie` carrying the attributes, the
//! `__Host-` name read back, the 4 KB step, and the attributes written as Werkzeug's own
//! `dump_cookie` writes them (when Python has Werkzeug).

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use greeting_core::{CookieAttributes, Expiry, SameSite};
use greeting_server::{app, AppState, Config, ServeArgs};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::net::SocketAddr;
use tokio::sync::watch;
use tower::ServiceExt;

const KEY: &str = "playground-demo-secret";
const COBRA: &str = "Basic Y29icmE6aGlzcw==";
const ATTRIBUTES: &str = "/playground/api/cookie-attributes";
const PADDING: &str = "/playground/api/cookie-padding";

struct Lab {
    app: Router,
    _stop: watch::Sender<bool>,
}

impl Lab {
    fn new(flags: &[&str]) -> Lab {
        Lab::from([127, 0, 0, 1], flags)
    }

    fn from(ip: [u8; 4], flags: &[&str]) -> Lab {
        let mut all = vec!["--secret-key", KEY];
        all.extend_from_slice(flags);
        let config =
            Config::from_args_and_env(&ServeArgs::from_flags(&all).unwrap(), None).unwrap();
        let (stop, shutdown) = watch::channel(false);
        let app = app(AppState::new(config, shutdown))
            .layer(MockConnectInfo(SocketAddr::from((ip, 50000))));
        Lab { app, _stop: stop }
    }

    async fn send(&self, request: Request<Body>) -> (Response<()>, String) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            Response::from_parts(parts, ()),
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    async fn greet(&self, cookie: Option<&str>) -> Response<()> {
        let mut r = Request::get("/greeting")
            .header(header::HOST, "localhost")
            .header(header::AUTHORIZATION, COBRA);
        if let Some(cookie) = cookie {
            r = r.header(header::COOKIE, cookie);
        }
        self.send(r.body(Body::empty()).unwrap()).await.0
    }

    async fn post(&self, path: &str, body: &str, cookie: Option<&str>) -> (Response<()>, String) {
        let mut r = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(cookie) = cookie {
            r = r.header(header::COOKIE, cookie);
        }
        self.send(r.body(Body::from(body.to_string())).unwrap())
            .await
    }

    async fn set(&self, attributes: Value) -> (Response<()>, Value) {
        let (response, body) = self.post(ATTRIBUTES, &attributes.to_string(), None).await;
        let parsed = serde_json::from_str(&body).unwrap_or(Value::Null);
        (response, parsed)
    }
}

fn set_cookies(response: &Response<()>) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn set_cookie(response: &Response<()>) -> String {
    let all = set_cookies(response);
    assert_eq!(all.len(), 1, "{all:?}");
    all[0].clone()
}

/// `NAME=VALUE` of a `Set-Cookie`.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

fn message(body: &str) -> String {
    serde_json::from_str::<Value>(body).unwrap()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn by_default_the_cookie_is_flasks_byte_for_byte() {
    let lab = Lab::new(&[]);
    let first = lab.greet(None).await;
    let written = set_cookie(&first);
    let value = pair(&written)["session=".len()..].to_string();
    assert_eq!(written, format!("session={value}; HttpOnly; Path=/"));

    let (r, body) = lab
        .send(
            Request::get(ATTRIBUTES)
                .header(header::HOST, "localhost")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["set_cookie"],
        "session=PAYLOAD.TIMESTAMP.SIGNATURE; HttpOnly; Path=/"
    );
    assert_eq!(body["cookie_name"], "session");
    assert_eq!(body["werkzeug_max_cookie_size"], 4093);
    assert_eq!(body["browser_max_name_value"], 4096);

    // Switching something and back to `{}` is Flask's cookie again, byte for byte.
    lab.set(json!({"same_site": "Strict"})).await;
    let (r, _) = lab.set(json!({})).await;
    assert_eq!(
        set_cookies(&r),
        ["session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Strict"]
    );
    let again = lab.greet(Some(&pair(&written))).await;
    let written = set_cookie(&again);
    assert!(written.starts_with("session=") && written.ends_with("; HttpOnly; Path=/"));
    assert_eq!(written.matches(';').count(), 2, "{written}");
    // Setting the same attributes again deletes nothing.
    let (r, _) = lab.set(json!({})).await;
    assert!(set_cookies(&r).is_empty());
}

#[tokio::test]
async fn every_session_cookie_carries_the_attributes_and_a_change_deletes_the_old_one() {
    let lab = Lab::new(&[]);
    let (r, body) = lab
        .set(json!({"same_site": "None", "secure": true, "path": "/greeting", "domain": "localhost"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        body["set_cookie"],
        "session=PAYLOAD.TIMESTAMP.SIGNATURE; Domain=localhost; Secure; HttpOnly; Path=/greeting; SameSite=None"
    );
    // The cookie set under Flask's attributes is deleted as Flask deletes it.
    assert_eq!(
        set_cookies(&r),
        ["session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"]
    );
    assert_eq!(r.headers().get(header::CACHE_CONTROL).unwrap(), "no-store");

    let first = lab.greet(None).await;
    let written = set_cookie(&first);
    assert!(
        written.ends_with("; Domain=localhost; Secure; HttpOnly; Path=/greeting; SameSite=None"),
        "{written}"
    );
    let second = lab.greet(Some(&pair(&written))).await;
    assert_eq!(second.status(), StatusCode::OK);
    // Reset deletes the cookie where it lives (its Path and Domain), or the browser keeps it.
    let (reset, _) = lab.post("/playground/api/reset", "", None).await;
    assert_eq!(
        set_cookie(&reset),
        "session=; Domain=localhost; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly; Path=/greeting; SameSite=None"
    );

    // Flask's permanent session: Expires a lifetime from now; max_age adds Max-Age.
    lab.set(json!({"permanent": true})).await;
    let permanent = set_cookie(&lab.greet(None).await);
    let expires = permanent
        .split("; ")
        .find_map(|p| p.strip_prefix("Expires="))
        .unwrap();
    let at = httpdate::parse_http_date(expires).unwrap();
    let days = at
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs()
        / 86400;
    assert_eq!(days, 30, "{permanent}"); // 31 days less a moment
    assert!(!permanent.contains("Max-Age"));
    lab.set(json!({"max_age": 120})).await;
    let timed = set_cookie(&lab.greet(None).await);
    assert!(timed.contains("; Max-Age=120; HttpOnly; Path=/"), "{timed}");
}

#[tokio::test]
async fn the_host_prefix_renames_the_cookie_and_reads_it_back() {
    let lab = Lab::new(&[]);
    let (_, body) = lab.set(json!({"host_prefix": true, "secure": true})).await;
    assert_eq!(body["cookie_name"], "__Host-session");
    let first = set_cookie(&lab.greet(None).await);
    assert!(first.starts_with("__Host-session="), "{first}");
    assert!(first.ends_with("; Secure; HttpOnly; Path=/"), "{first}");
    let second = lab.greet(Some(&pair(&first))).await;
    let (_, body) = lab
        .send(
            Request::get("/greeting")
                .header(header::HOST, "localhost")
                .header(header::AUTHORIZATION, COBRA)
                .header(header::COOKIE, pair(&set_cookie(&second)))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(message(&body), "Welcome back, cobra! This is visit #3.");
    // A plain `session` cookie is not the session any more, as in Flask with the new name.
    let plain = pair(&first).replace("__Host-session", "session");
    let (_, body) = lab
        .send(
            Request::get("/greeting")
                .header(header::HOST, "localhost")
                .header(header::AUTHORIZATION, COBRA)
                .header(header::COOKIE, plain)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(message(&body), "Welcome, cobra!");
}

#[tokio::test]
async fn bad_attributes_get_a_400_with_the_reason() {
    let lab = Lab::new(&[]);
    for (body, says) in [
        (r#"{"path": "greeting"}"#, "Path must start with `/`"),
        (r#"{"path": "/a;b"}"#, "Path cannot contain ';'"),
        (r#"{"domain": "a b"}"#, "Domain cannot contain ' '"),
        (r#"{"domain": ""}"#, "Domain is empty"),
        (
            r#"{"same_site": "sometimes"}"#,
            "unknown variant `sometimes`",
        ),
        (r#"{"colour": "blue"}"#, "unknown field `colour`"),
        (r#"{"max_age": -1}"#, "invalid value"),
        ("not json", "Expected the cookie attributes as JSON"),
    ] {
        let (r, text) = lab.post(ATTRIBUTES, body, None).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}: {text}");
        assert!(message(&text).contains(says), "{body}: {text}");
        assert!(set_cookies(&r).is_empty());
    }
    let (r, _) = lab
        .send(
            Request::post(ATTRIBUTES)
                .header(header::HOST, "localhost")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (r, _) = lab
        .send(
            Request::delete(ATTRIBUTES)
                .header(header::HOST, "localhost")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    // Nothing was changed by the refused ones.
    let written = set_cookie(&lab.greet(None).await);
    assert!(written.ends_with("; HttpOnly; Path=/"));
}

#[tokio::test]
async fn refused_outside_teaching_mode_and_beyond_this_machine() {
    for (lab, why) in [
        (Lab::new(&["--no-teaching"]), "--no-teaching"),
        (
            Lab::from([10, 0, 0, 7], &["--bind", "0.0.0.0", "--reveal-secret-key"]),
            "from another machine",
        ),
    ] {
        for (path, body) in [
            (ATTRIBUTES, r#"{"secure": true}"#),
            (PADDING, r#"{"bytes": 10}"#),
        ] {
            let (r, text) = lab.post(path, body, None).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{why} {path}: {text}");
            assert!(message(&text).contains("teaching mode"), "{text}");
        }
        let written = set_cookie(&lab.greet(None).await);
        assert!(written.ends_with("; HttpOnly; Path=/"), "{why}");
    }
}

#[tokio::test]
async fn the_size_step_grows_the_session_past_what_a_browser_keeps() {
    let lab = Lab::new(&[]);
    let (r, text) = lab.post(PADDING, r#"{"bytes": 10}"#, None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(message(&text).contains("send a greeting first"), "{text}");
    let (r, _) = lab.post(PADDING, r#"{"bytes": 9000}"#, None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let first = pair(&set_cookie(&lab.greet(None).await));
    let (r, text) = lab.post(PADDING, r#"{"bytes": 3000}"#, Some(&first)).await;
    assert_eq!(r.status(), StatusCode::OK, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let padded = pair(&set_cookie(&r));
    assert_eq!(body["cookie_bytes"], padded.len());
    // Random characters of 64 kinds: zlib cannot shorten them, the cookie grows with them.
    assert!((3000..3200).contains(&padded.len()), "{}", padded.len());
    assert_eq!(body["browser_keeps"], true);
    assert_eq!(body["werkzeug_warning"], Value::Null);

    // The greeting keeps the padding (a session's other keys stay) and continues the visits.
    let second = lab.greet(Some(&padded)).await;
    let kept = pair(&set_cookie(&second));
    assert!(kept.len() > 3000);

    let (r, text) = lab.post(PADDING, r#"{"bytes": 4200}"#, Some(&kept)).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["browser_keeps"], false, "{text}");
    let too_big = set_cookie(&r);
    assert_eq!(body["set_cookie_bytes"], too_big.len());
    let warning = body["werkzeug_warning"].as_str().unwrap();
    assert!(
        warning.starts_with("The 'session' cookie is too large: the value was ")
            && warning.ends_with("but the limit is 4093 bytes. Browsers may silently ignore cookies larger than this."),
        "{warning}"
    );
    assert_eq!(
        warning,
        format!(
            "The 'session' cookie is too large: the value was {} bytes but the header required 26 extra bytes. The final size was {} bytes but the limit is 4093 bytes. Browsers may silently ignore cookies larger than this.",
            too_big.len() - 26,
            too_big.len()
        )
    );
}

#[tokio::test]
async fn the_echo_under_the_greetings_path() {
    let lab = Lab::new(&[]);
    let (r, body) = lab
        .send(
            Request::get("/greeting/cookies")
                .header(header::HOST, "localhost")
                .header(header::COOKIE, "session=a.b.c; other=1")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"cookies": {"session": "a.b.c", "other": "1"}})
    );
}

/// Werkzeug's own `dump_cookie`, for attribute sets that cover every attribute.
#[test]
fn written_as_werkzeugs_dump_cookie_writes_them() {
    let python = match test_support::python_with("werkzeug") {
        Ok(python) => python,
        Err(reason) => return test_support::skip(reason),
    };
    const EXPIRES: &str = "Wed, 02 Dec 2026 00:00:00 GMT";
    let cases = [
        CookieAttributes::default(),
        CookieAttributes {
            same_site: Some(SameSite::Lax),
            ..CookieAttributes::default()
        },
        CookieAttributes {
            same_site: Some(SameSite::None),
            secure: true,
            domain: Some("localhost".into()),
            path: "/greeting".into(),
            ..CookieAttributes::default()
        },
        CookieAttributes {
            same_site: Some(SameSite::Strict),
            permanent: true,
            max_age: Some(60),
            host_prefix: true,
            secure: true,
            ..CookieAttributes::default()
        },
    ];
    let script = r#"
import json, sys
from werkzeug.http import dump_cookie
for line in sys.stdin:
    c = json.loads(line)
    print(dump_cookie(c["name"], "v.a.l", max_age=c["max_age"], expires=c["expires"],
        path=c["path"], domain=c["domain"], secure=c["secure"], httponly=True,
        samesite=c["same_site"]))
    print(dump_cookie(c["name"], "", max_age=0, expires=0, path=c["path"],
        domain=c["domain"], secure=c["secure"], httponly=True, samesite=c["same_site"]))
"#;
    let mut input = String::new();
    let mut ours = Vec::new();
    for a in &cases {
        let lifetime = a.lifetime(3600);
        input.push_str(
            &json!({
                "name": a.cookie_name(),
                "max_age": lifetime.and_then(|(_, m)| m),
                "expires": lifetime.map(|_| EXPIRES),
                "path": a.path,
                "domain": a.domain,
                "secure": a.secure,
                "same_site": a.same_site.map(SameSite::as_str),
            })
            .to_string(),
        );
        input.push('\n');
        let expiry = match lifetime {
            Some((_, max_age)) => Expiry::At {
                expires: EXPIRES,
                max_age,
            },
            None => Expiry::Session,
        };
        ours.push(a.set_cookie("v.a.l", expiry, true));
        ours.push(a.set_cookie("", Expiry::Deleted, true));
    }
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let theirs: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(theirs, ours);
}
