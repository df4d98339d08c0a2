//! The routes in-process (`app(state).oneshot(request)`, as in axum's testing example): status,
//! headers in the chapter's order, bodies, CORS, the reporter's log line and side channel.
//! What only the wire shows (title-case names, timeouts, shutdown) stays in the binary tests.

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use futures_util::StreamExt;
use greeting_core::{ExchangeReport, KeySource, ServerInfo, Session, SessionIn};
use greeting_server::{app, AppState, Config, ServeArgs};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::watch;
use tower::ServiceExt;

mod common;

use common::{
    report_header, unix_now, KEY, REPORTED_GREETING_HEADERS, VISIT1_PAYLOAD, VISIT2_PAYLOAD,
    VISIT3_PAYLOAD, WELCOME,
};

const COBRA: &str = "Basic Y29icmE6aGlzcw==";
const MAX_AGE: u64 = flask_cookie::DEFAULT_MAX_AGE_SECS;
const WELCOME_BACK: &str = "{\n  \"message\": \"Welcome back, cobra! This is visit #2.\"\n}\n";

fn client() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 50000))
}

/// The app for these flags (after `--secret-key KEY`), as if every request came from
/// 127.0.0.1:50000, and the sender that shuts it down (its event streams end when it is dropped).
fn app_and_shutdown(flags: &[&str]) -> (Router, watch::Sender<bool>) {
    let mut all = vec!["--secret-key", KEY];
    all.extend_from_slice(flags);
    app_for(&all, None)
}

/// The app for exactly these flags, with `GREETING_SECRET_KEY` as `env_key`.
fn app_for(flags: &[&str], env_key: Option<&str>) -> (Router, watch::Sender<bool>) {
    let args = ServeArgs::from_flags(flags).unwrap();
    let config = Config::from_args_and_env(&args, env_key.map(String::from)).unwrap();
    let (stop, shutdown) = watch::channel(false);
    let app = app(AppState::new(config, shutdown)).layer(MockConnectInfo(client()));
    (app, stop)
}

/// [`app_and_shutdown`] for the tests that read no event stream.
fn app_with(flags: &[&str]) -> Router {
    app_and_shutdown(flags).0
}

fn get(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::get(path).header(header::HOST, "localhost");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).unwrap()
}

/// Sends `request` (with `Host: localhost` unless it names a host, as every HTTP/1.1 client does).
async fn send(app: &Router, mut request: Request<Body>) -> (Response<()>, String) {
    request
        .headers_mut()
        .entry(header::HOST)
        .or_insert(header::HeaderValue::from_static("localhost"));
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        Response::from_parts(parts, ()),
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

fn names(headers: &HeaderMap) -> Vec<&str> {
    headers.keys().map(|name| name.as_str()).collect()
}

fn value(response: &Response<()>, name: header::HeaderName) -> &str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// The `session=VALUE` part of a `Set-Cookie`.
fn session_pair(response: &Response<()>) -> String {
    value(response, header::SET_COOKIE)
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// `Authorization: Basic` for `user:password`.
fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let credentials = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

/// `GET /greeting` as cobra, carrying `cookie` (a `session=VALUE` pair, or a whole header) when given.
async fn greet(app: &Router, cookie: Option<&str>) -> (Response<()>, String) {
    let mut headers = vec![("authorization", COBRA)];
    headers.extend(cookie.map(|c| ("cookie", c)));
    send(app, get("/greeting", &headers)).await
}

/// The chapter's three requests, each answer's cookie sent with the next, as a
/// `requests.Session` does.
#[tokio::test]
async fn the_chapters_three_requests() {
    let app = app_with(&[]);
    let expected = [
        ("Welcome, cobra!", 35, VISIT1_PAYLOAD),
        ("Welcome back, cobra! This is visit #2.", 58, VISIT2_PAYLOAD),
        ("Welcome back, cobra! This is visit #3.", 58, VISIT3_PAYLOAD),
    ];
    let mut cookie: Option<String> = None;
    for (message, length, payload) in expected {
        let (response, body) = greet(&app, cookie.as_deref()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            names(response.headers()),
            [
                "content-type",
                "content-length",
                "vary",
                "set-cookie",
                "server",
                "date"
            ]
        );
        assert_eq!(value(&response, header::CONTENT_TYPE), "application/json");
        assert_eq!(value(&response, header::CONTENT_LENGTH), length.to_string());
        assert_eq!(value(&response, header::VARY), "Cookie");
        assert_eq!(value(&response, header::SERVER), "greeting-server/0.1.0");
        assert!(value(&response, header::DATE).ends_with(" GMT"));
        assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
        let pair = session_pair(&response);
        assert_eq!(
            value(&response, header::SET_COOKIE),
            format!("{pair}; HttpOnly; Path=/")
        );
        let cookie_value = pair.strip_prefix("session=").unwrap();
        let parts: Vec<&str> = cookie_value.split('.').collect();
        assert_eq!(parts.len(), 3, "{cookie_value}");
        assert_eq!(parts[0], payload);
        assert_eq!(parts[2].len(), 27);
        flask_cookie::verify(cookie_value, &[KEY.as_bytes()], unix_now(), MAX_AGE).unwrap();
        assert_eq!(body.len(), length);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json, serde_json::json!({ "message": message }));
        cookie = Some(pair);
    }
}

#[tokio::test]
async fn without_a_cookie_every_request_is_visit_one() {
    let app = app_with(&[]);
    for _ in 0..3 {
        let (response, body) = greet(&app, None).await;
        assert!(session_pair(&response).starts_with(&format!("session={VISIT1_PAYLOAD}.")));
        assert_eq!(body, WELCOME);
    }
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401_and_an_empty_object() {
    let app = app_with(&[]);
    let long = format!("Basic {}", "QUFB".repeat(2000));
    let cases: Vec<Option<String>> = vec![
        None,
        Some("Basic Y29icmE6bWVvdw==".into()), // cobra:meow, the course's wrong password
        Some("Basic bm9ib2R5Omhpc3M=".into()), // nobody:hiss
        Some("Bearer Y29icmE6aGlzcw==".into()),
        Some("Y29icmE6aGlzcw==".into()),
        Some("Basic".into()),
        Some("Basic %%%%".into()),
        Some("Basic Y29icmFoaXNz".into()), // cobrahiss: no colon
        Some("Basic Omhpc3M=".into()),     // :hiss: empty user
        Some("Basic /y9icmE6aGlzcw==".into()),
        Some(long),
    ];
    let cookie = format!("session={VISIT1_PAYLOAD}.x.y");
    for path in ["/greeting", "/user"] {
        for authorization in &cases {
            let mut headers = vec![("cookie", cookie.as_str())];
            headers.extend(authorization.as_deref().map(|a| ("authorization", a)));
            let (response, body) = send(&app, get(path, &headers)).await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{path} {authorization:?}"
            );
            assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
            assert!(!response.headers().contains_key(header::SET_COOKIE));
            assert_eq!(
                names(response.headers()),
                ["content-type", "content-length", "server", "date"]
            );
            assert_eq!(body, "{}\n");
        }
    }
}

#[tokio::test]
async fn www_authenticate_is_opt_in() {
    let app = app_with(&["--www-authenticate"]);
    let (response, _) = send(&app, get("/greeting", &[])).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        value(&response, header::WWW_AUTHENTICATE),
        "Basic realm=\"greeting\""
    );
    let wrong = basic("cobra", "meow");
    let (response, _) = send(&app, get("/user", &[("authorization", &wrong)])).await;
    assert_eq!(
        value(&response, header::WWW_AUTHENTICATE),
        "Basic realm=\"greeting\""
    );
}

#[tokio::test]
async fn the_user_endpoint() {
    let app = app_with(&[]);
    let (response, body) = send(&app, get("/user", &[("authorization", COBRA)])).await;
    assert_eq!(response.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"email": "jar.fowler@example.com", "id": 1, "name": "Jar Fowler", "user": "cobra"})
    );
    for (user, password) in [
        ("nagini", "crawl"),
        ("viper", "bite"),
        ("anaconda", "slither"),
    ] {
        let credentials = basic(user, password);
        let (_, body) = send(&app, get("/user", &[("authorization", &credentials)])).await;
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["user"], user);
        assert_eq!(json.as_object().unwrap().len(), 4);
    }
}

#[tokio::test]
async fn custom_users_replace_the_defaults() {
    let app = app_with(&["--user", "python:pip", "--user", "zoë:ü:x"]);
    let python = basic("python", "pip");
    let (_, body) = send(&app, get("/greeting", &[("authorization", &python)])).await;
    assert_eq!(body, "{\n  \"message\": \"Welcome, python!\"\n}\n");
    let zoe = basic("zoë", "ü:x");
    let (_, body) = send(&app, get("/greeting", &[("authorization", &zoe)])).await;
    assert_eq!(body, "{\n  \"message\": \"Welcome, zo\\u00eb!\"\n}\n");
    let (gone, _) = greet(&app, None).await;
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookies_that_fail_verification_silently_start_over() {
    let app = app_with(&[]);
    let now = unix_now();
    let session = serde_json::json!({"username": "cobra", "visit": 5});
    let good = flask_cookie::sign(&session, KEY.as_bytes(), now).unwrap();
    let (payload, rest) = good.split_once('.').unwrap();
    let bad_cookies = vec![
        // The payload of visit 2 with visit 5's timestamp and signature: tampered.
        format!("{VISIT2_PAYLOAD}.{rest}"),
        flask_cookie::sign(&session, b"another-key", now).unwrap(),
        flask_cookie::sign(&session, KEY.as_bytes(), now - MAX_AGE - 60).unwrap(),
        flask_cookie::sign(&session, KEY.as_bytes(), now + 3600).unwrap(),
        format!("{payload}.{}", rest.replace('.', "..")),
        "garbage".into(),
        "\"quoted.value.here\"".into(),
        "x".repeat(4000),
    ];
    for cookie in &bad_cookies {
        let (response, body) = greet(&app, Some(&format!("session={cookie}"))).await;
        assert_eq!(response.status(), StatusCode::OK, "{cookie}");
        assert!(session_pair(&response).starts_with(&format!("session={VISIT1_PAYLOAD}.")));
        assert_eq!(body, WELCOME, "{cookie}");
    }
    // The good one continues, and several session cookies use the first.
    let (_, body) = greet(
        &app,
        Some(&format!("theme=dark; session={good}; session=garbage")),
    )
    .await;
    assert_eq!(
        body,
        "{\n  \"message\": \"Welcome back, cobra! This is visit #6.\"\n}\n"
    );
}

#[tokio::test]
async fn another_users_session_starts_over() {
    let app = app_with(&[]);
    let (first, _) = greet(&app, None).await;
    let cobras = session_pair(&first);
    let viper = basic("viper", "bite");
    let (vipers, body) = send(
        &app,
        get(
            "/greeting",
            &[("authorization", &viper), ("cookie", &cobras)],
        ),
    )
    .await;
    assert_eq!(body, "{\n  \"message\": \"Welcome, viper!\"\n}\n");
    let (_, body) = greet(&app, Some(&session_pair(&vipers))).await;
    assert_eq!(body, WELCOME);
}

#[tokio::test]
async fn other_methods_and_unknown_paths() {
    let app = app_with(&[]);
    for (method, path, allow) in [
        ("POST", "/greeting", "GET, HEAD, OPTIONS"),
        ("DELETE", "/greeting", "GET, HEAD, OPTIONS"),
        ("PUT", "/user", "GET, HEAD, OPTIONS"),
        ("GET", "/playground/api/reset", "POST, OPTIONS"),
        ("GET", "/playground/api/plant", "POST, OPTIONS"),
        ("POST", "/playground/api/info", "GET, HEAD, OPTIONS"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, COBRA)
            .body(Body::empty())
            .unwrap();
        let (response, body) = send(&app, request).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(value(&response, header::ALLOW), allow);
        assert_eq!(value(&response, header::CONTENT_TYPE), "application/json");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"], "Method Not Allowed");
    }
    let options = Request::options("/greeting").body(Body::empty()).unwrap();
    let (options, _) = send(&app, options).await;
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    assert_eq!(value(&options, header::ALLOW), "GET, HEAD, OPTIONS");

    for path in [
        "/",
        "/nope",
        "/greeting/",
        "/playground/api",
        "/playground/api/nope",
        "/%FF",
    ] {
        let (response, body) = send(&app, get(path, &[])).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(value(&response, header::CONTENT_TYPE), "application/json");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"], "Not Found");
    }
    let (query, _) = send(&app, get("/greeting?x=1/../", &[])).await;
    assert_eq!(query.status(), StatusCode::UNAUTHORIZED);

    let head = Request::head("/greeting")
        .header(header::AUTHORIZATION, COBRA)
        .body(Body::empty())
        .unwrap();
    let (head, _) = send(&app, head).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(value(&head, header::CONTENT_LENGTH), "35");
}

#[tokio::test]
async fn refused_and_unknown() {
    let app = app_with(&[]);
    let (no_auth, body) = send(&app, get("/greeting", &[])).await;
    assert_eq!(no_auth.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body, "{}\n");
    assert_eq!(
        names(no_auth.headers()),
        ["content-type", "content-length", "server", "date"]
    );

    let with_challenge = app_with(&["--www-authenticate"]);
    let (challenged, _) = send(&with_challenge, get("/user", &[])).await;
    assert_eq!(
        value(&challenged, header::WWW_AUTHENTICATE),
        "Basic realm=\"greeting\""
    );

    let (user, body) = send(&app, get("/user", &[("authorization", COBRA)])).await;
    assert_eq!(user.status(), StatusCode::OK);
    assert!(body.contains("\"user\": \"cobra\""), "{body}");

    let delete = Request::delete("/greeting").body(Body::empty()).unwrap();
    let (not_allowed, body) = send(&app, delete).await;
    assert_eq!(not_allowed.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(value(&not_allowed, header::ALLOW), "GET, HEAD, OPTIONS");
    assert!(body.contains("Method Not Allowed"), "{body}");

    let options = Request::options("/playground/api/plant")
        .body(Body::empty())
        .unwrap();
    let (options, _) = send(&app, options).await;
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    assert_eq!(value(&options, header::ALLOW), "POST, OPTIONS");

    for path in [
        "/nowhere",
        "/playground/api",
        "/playground/api/nothing/here",
    ] {
        let (missing, body) = send(&app, get(path, &[])).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("No such path"), "{path}: {body}");
        assert_eq!(value(&missing, header::CONTENT_TYPE), "application/json");
    }
}

#[tokio::test]
async fn reset_plant_and_info() {
    let app = app_with(&[]);
    let reset = Request::post("/playground/api/reset")
        .body(Body::empty())
        .unwrap();
    let (reset, body) = send(&app, reset).await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_eq!(body, "");
    assert!(value(&reset, header::SET_COOKIE).starts_with("session=; Expires=Thu, 01 Jan 1970"));

    let (first, _) = send(&app, get("/greeting", &[("authorization", COBRA)])).await;
    let cookie = session_pair(&first);
    let value_only = cookie.trim_start_matches("session=");
    let plant = |content_type: &str, body: String| {
        Request::post("/playground/api/plant")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let (planted, _) = send(
        &app,
        plant(
            "application/json",
            format!("{{\"cookie\": \"{value_only}\"}}"),
        ),
    )
    .await;
    assert_eq!(planted.status(), StatusCode::NO_CONTENT);
    assert_eq!(session_pair(&planted), cookie);

    let (not_json, _) = send(&app, plant("text/plain", "x".into())).await;
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (bad, body) = send(
        &app,
        plant("application/json", "{\"cookie\": \"a b\"}".into()),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(body.contains("Cannot plant that cookie"), "{body}");

    let (info, body) = send(&app, get("/playground/api/info", &[])).await;
    assert_eq!(info.status(), StatusCode::OK);
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["secret_key"], KEY);
    assert_eq!(info["sees_all_clients"], true);
}

#[tokio::test]
async fn cors_for_the_allowed_origin_only() {
    let app = app_with(&["--allow-origin", "http://localhost:8080"]);
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/greeting")
        .header(header::ORIGIN, "http://localhost:8080")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .body(Body::empty())
        .unwrap();
    let (preflight, _) = send(&app, preflight).await;
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    // axum's `Content-Length: 0` comes last; hyper never writes it on a 204.
    let mut preflight_names = names(preflight.headers());
    preflight_names.retain(|name| *name != "content-length");
    assert_eq!(
        preflight_names,
        [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-max-age",
            "vary",
            "server",
            "date"
        ]
    );
    assert_eq!(
        value(&preflight, header::ACCESS_CONTROL_ALLOW_HEADERS),
        "Authorization, X-Playground-Exchange, X-Playground-Page, X-Playground-Cookie, Content-Type"
    );

    let (allowed, _) = send(
        &app,
        get(
            "/greeting",
            &[
                ("authorization", COBRA),
                ("origin", "http://localhost:8080"),
            ],
        ),
    )
    .await;
    assert_eq!(
        value(&allowed, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "http://localhost:8080"
    );
    let vary: Vec<_> = allowed
        .headers()
        .get_all(header::VARY)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(vary, ["Cookie", "Origin"]);

    let (other, _) = send(
        &app,
        get(
            "/greeting",
            &[("authorization", COBRA), ("origin", "http://evil.example")],
        ),
    )
    .await;
    assert!(!other
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    let other_preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/greeting")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .body(Body::empty())
        .unwrap();
    let (other_preflight, _) = send(&app, other_preflight).await;
    // Not a CORS answer: the route's plain OPTIONS answer.
    assert_eq!(value(&other_preflight, header::ALLOW), "GET, HEAD, OPTIONS");
    assert!(!other_preflight
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

#[tokio::test]
async fn a_subscriber_sees_the_report() {
    let (app, stop) = app_and_shutdown(&[]);

    let (hello, mut events) = Subscriber::open_with_hello(&app).await;
    assert!(hello.contains("\"sees_all_clients\":true"), "{hello}");

    let (_, body) = send(
        &app,
        get(
            "/greeting",
            &[("authorization", COBRA), ("x-playground-exchange", "ex-1")],
        ),
    )
    .await;
    assert_eq!(body, WELCOME);
    let (name, data) = events.next().await;
    assert_eq!(name, "exchange", "{data}");
    let report: ExchangeReport = serde_json::from_str(&data).unwrap();
    assert_eq!(
        (
            report.seq,
            report.exchange_id.as_deref(),
            report.status,
            report.body.as_str()
        ),
        (1, Some("ex-1"), 200, WELCOME)
    );
    assert_eq!(report.user.as_deref(), Some("cobra"));
    assert_eq!(report.session_out.map(|s| s.visit), Some(1));
    let response_names: Vec<&str> = report
        .response_headers
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(response_names, REPORTED_GREETING_HEADERS);
    // Loopback: the credentials are shown as sent.
    assert!(report
        .request_headers
        .iter()
        .any(|h| h.name == "Authorization" && h.value == COBRA));

    // The shutdown ends the stream.
    stop.send(true).unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), events.events.next())
        .await
        .expect("the stream ends within 5 s");
    assert_eq!(end, None);
}

/// The app with sessions kept in the server's memory (`--sessions server`).
async fn server_mode_app() -> Router {
    let args = ServeArgs::from_flags(&["--secret-key", KEY, "--sessions", "server"]).unwrap();
    let config = Config::from_args_and_env(&args, None).unwrap();
    let sessions = greeting_server::sessions::Sessions::open(
        args.sessions,
        args.session_store.as_ref(),
        Duration::from_secs(config.greeter.max_age_secs),
    )
    .await
    .unwrap();
    let (_, shutdown) = watch::channel(false);
    app(AppState::new(config, shutdown).with_sessions(sessions)).layer(MockConnectInfo(client()))
}

fn post(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).unwrap()
}

/// `--sessions server` with the memory store: the chapter's visits 1, 2, 3 under one session id.
#[tokio::test]
async fn the_chapters_exchange_in_server_mode_with_the_memory_store() {
    let app = server_mode_app().await;
    let mut cookie: Option<String> = None;
    let mut ids = Vec::new();
    for visit in 1..=3 {
        let (response, body) = greet(&app, cookie.as_deref()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let message: serde_json::Value = serde_json::from_str(&body).unwrap();
        let expected = match visit {
            1 => "Welcome, cobra!".to_string(),
            n => format!("Welcome back, cobra! This is visit #{n}."),
        };
        assert_eq!(message["message"], expected.as_str());
        let pair = session_pair(&response);
        let attributes = value(&response, header::SET_COOKIE)
            .strip_prefix(&format!("{pair}; "))
            .unwrap()
            .to_string();
        assert!(attributes.starts_with("Expires="), "{attributes}");
        assert!(
            attributes.ends_with("GMT; HttpOnly; Path=/"),
            "{attributes}"
        );
        assert_eq!(pair.trim_start_matches("session=").len(), 43, "{pair}");
        ids.push(pair.clone());
        cookie = Some(pair);
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one id: {ids:?}");
}

#[tokio::test]
async fn logout_in_both_modes_and_what_a_replayed_cookie_gets() {
    for (app, replay_body) in [
        (app_with(&[]), WELCOME_BACK),
        (server_mode_app().await, WELCOME),
    ] {
        let (first, body) = send(&app, get("/greeting", &[("Authorization", COBRA)])).await;
        assert_eq!(body, WELCOME);
        let old = session_pair(&first);

        let (out, body) = send(&app, post("/logout", &[("Cookie", &old)])).await;
        assert_eq!(out.status(), StatusCode::OK);
        assert_eq!(
            names(out.headers())[..3],
            ["content-type", "content-length", "set-cookie"]
        );
        assert!(value(&out, header::SET_COOKIE)
            .starts_with("session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"));
        let message: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(message["message"]
            .as_str()
            .unwrap()
            .starts_with("Logged out"));

        let (_, body) = send(
            &app,
            get("/greeting", &[("Authorization", COBRA), ("Cookie", &old)]),
        )
        .await;
        assert_eq!(body, replay_body);
    }
    let (response, _) = send(&app_with(&[]), get("/logout", &[])).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(value(&response, header::ALLOW), "POST, OPTIONS");
}

#[tokio::test]
async fn the_jar_echo() {
    let app = app_with(&["--allow-origin", "http://localhost:8080"]);
    let (empty, body) = send(&app, get("/playground/api/cookies", &[])).await;
    assert_eq!(empty.status(), StatusCode::OK);
    assert_eq!(body, "{\n  \"cookies\": {}\n}\n");
    assert_eq!(value(&empty, header::CACHE_CONTROL), "no-store");
    assert_eq!(
        names(empty.headers()),
        [
            "content-type",
            "content-length",
            "cache-control",
            "server",
            "date"
        ]
    );

    let (jar, body) = send(
        &app,
        get(
            "/playground/api/cookies",
            &[
                (
                    "cookie",
                    "session=abc.def.ghi; theme=\"dark\"; session=second",
                ),
                ("origin", "http://localhost:8080"),
            ],
        ),
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"cookies": {"session": "abc.def.ghi", "theme": "dark"}})
    );
    assert_eq!(
        value(&jar, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "http://localhost:8080"
    );

    let post = Request::post("/playground/api/cookies")
        .body(Body::empty())
        .unwrap();
    let (not_allowed, _) = send(&app, post).await;
    assert_eq!(not_allowed.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(value(&not_allowed, header::ALLOW), "GET, HEAD, OPTIONS");
}

#[tokio::test]
async fn the_jar_echo_is_not_reported() {
    let (app, _stop) = app_and_shutdown(&[]);
    let mut events = Subscriber::open(&app).await;
    send(
        &app,
        get("/playground/api/cookies", &[("cookie", "session=x")]),
    )
    .await;
    send(
        &app,
        get("/greeting", &[("x-playground-exchange", "after")]),
    )
    .await;
    // The first report is the greeting's: the jar echo before it was not reported.
    let (name, exchange) = events.next().await;
    assert_eq!(name, "exchange");
    assert!(exchange.contains("\"exchange_id\":\"after\""), "{exchange}");
    assert!(exchange.contains("\"seq\":1,"), "{exchange}");
}

/// A built page in a fresh directory: index.html, a hashed wasm with both twins, a plain file.
fn page_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("greeting-page-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |file: &str, bytes: &[u8]| std::fs::write(dir.join(file), bytes).unwrap();
    write("index.html", b"<!doctype html><title>playground</title>");
    write(WASM, b"\0asm identity");
    write(&format!("{WASM}.br"), b"brotli twin");
    write(&format!("{WASM}.gz"), b"gzip twin");
    write("favicon.ico", b"icon");
    dir
}

const WASM: &str = "sessions-playground-0123456789abcdef_bg.wasm";

#[tokio::test]
async fn the_page_precompressed_and_cached_by_name() {
    let dir = page_dir("encodings");
    let app = app_with(&["--static", dir.to_str().unwrap()]);
    let wasm = format!("/{WASM}");
    for (accept, encoding, body) in [
        (Some("br"), Some("br"), "brotli twin"),
        (Some("gzip"), Some("gzip"), "gzip twin"),
        (Some("deflate"), None, "\0asm identity"),
        (None, None, "\0asm identity"),
    ] {
        let headers: Vec<(&str, &str)> =
            accept.map(|a| ("accept-encoding", a)).into_iter().collect();
        let (response, text) = send(&app, get(&wasm, &headers)).await;
        assert_eq!(response.status(), StatusCode::OK, "{accept:?}");
        assert_eq!(text, body, "{accept:?}");
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        assert_eq!(value(&response, header::CONTENT_TYPE), "application/wasm");
        assert_eq!(
            value(&response, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(value(&response, header::VARY), "Accept-Encoding");
        assert!(value(&response, header::SERVER).starts_with("greeting-server/"));
    }

    for path in ["/", "/index.html", "/some/page", "/favicon.ico"] {
        let (response, text) = send(&app, get(path, &[("accept-encoding", "br")])).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            value(&response, header::CACHE_CONTROL),
            "no-cache",
            "{path}"
        );
        assert!(
            !response.headers().contains_key(header::CONTENT_ENCODING),
            "{path}"
        );
        if path != "/favicon.ico" {
            assert!(text.contains("playground"), "{path}: {text}");
        }
    }

    for path in [
        "/sessions-playground-fedcba9876543210_bg.wasm",
        "/missing.js",
    ] {
        let (response, text) = send(&app, get(path, &[("accept-encoding", "br")])).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(value(&response, header::CONTENT_TYPE), "application/json");
        assert!(text.contains("No such path"), "{path}: {text}");
        assert_eq!(
            value(&response, header::CACHE_CONTROL),
            "no-cache",
            "{path}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The opt-in pair (the page's Python, whose cookie jar is requests' own): the jar's cookie in
/// `X-Playground-Cookie`, the answer's `Set-Cookie` repeated in `X-Playground-Set-Cookie`; the
/// browser's `Cookie` ignored when the pair is asked for; nothing changes for other clients.
#[tokio::test]
async fn the_jar_carrying_pair_only_when_asked() {
    let app = app_with(&["--allow-origin", "http://localhost:8080"]);
    let (plain, _) = send(&app, get("/greeting", &[("authorization", COBRA)])).await;
    assert!(!plain.headers().contains_key("x-playground-set-cookie"));
    assert!(!plain.headers().contains_key("x-playground-header-names"));

    let (first, body) = send(
        &app,
        get(
            "/greeting",
            &[
                ("authorization", COBRA),
                ("x-playground-cookie", ""),
                ("cookie", "session=the-browsers-own"),
            ],
        ),
    )
    .await;
    assert_eq!(body, WELCOME, "the browser's cookie was not ignored");
    assert_eq!(
        names(first.headers()),
        [
            "content-type",
            "content-length",
            "vary",
            "set-cookie",
            "server",
            "date",
            "x-playground-set-cookie",
            "x-playground-header-names"
        ]
    );
    // What an ordinary client gets, as hyper writes it: the pair's own headers left out.
    assert_eq!(
        first.headers()["x-playground-header-names"]
            .to_str()
            .unwrap(),
        "Content-Type, Content-Length, Vary, Set-Cookie, Server, Date"
    );
    assert_eq!(
        value(&first, header::SET_COOKIE),
        first.headers()["x-playground-set-cookie"].to_str().unwrap()
    );

    let (second, body) = send(
        &app,
        get(
            "/greeting",
            &[
                ("authorization", COBRA),
                ("x-playground-cookie", &session_pair(&first)),
                ("origin", "http://localhost:8080"),
            ],
        ),
    )
    .await;
    assert_eq!(body, WELCOME_BACK);
    assert_eq!(
        value(&second, header::ACCESS_CONTROL_EXPOSE_HEADERS),
        "Date, Server, Vary, X-Playground-Set-Cookie, X-Playground-Header-Names"
    );
    // The CORS headers come after the list: a terminal gets none of them.
    assert_eq!(
        second.headers()["x-playground-header-names"]
            .to_str()
            .unwrap(),
        "Content-Type, Content-Length, Vary, Set-Cookie, Server, Date"
    );
    assert!(second.headers()["x-playground-set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("session="));

    // A 401 sets no cookie, so nothing is carried back.
    let (refused, _) = send(&app, get("/greeting", &[("x-playground-cookie", "")])).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(!refused.headers().contains_key("x-playground-set-cookie"));
}

#[tokio::test]
async fn info_reveals_the_key_only_in_teaching_mode() {
    let info = |app: Router| async move {
        let (_, body) = send(&app, get("/playground/api/info", &[])).await;
        serde_json::from_str::<ServerInfo>(&body).unwrap()
    };
    let i = info(app_with(&[])).await;
    assert_eq!(
        (i.name.as_str(), i.version.as_str()),
        ("greeting-server", "0.1.0")
    );
    assert_eq!(i.users, ["cobra", "nagini", "viper", "anaconda"]);
    assert_eq!(
        (i.key_source, i.teaching, i.sees_all_clients),
        (KeySource::Flag, true, true)
    );
    assert_eq!(i.secret_key.as_deref(), Some(KEY));
    assert_eq!(i.max_age_secs, MAX_AGE);

    let i = info(app_with(&["--no-teaching"])).await;
    assert_eq!((i.teaching, i.secret_key), (false, None));

    let i = info(app_for(&[], Some("from-env")).0).await;
    assert_eq!(
        (i.key_source, i.secret_key.as_deref()),
        (KeySource::Env, Some("from-env"))
    );

    let (random, _stop) = app_for(&["--user", "a:b"], None);
    let i = info(random.clone()).await;
    assert_eq!(i.key_source, KeySource::Random);
    assert_eq!(i.users, ["a"]);
    // The random key signs this server's cookies.
    let credentials = basic("a", "b");
    let (response, _) = send(
        &random,
        get("/greeting", &[("authorization", &credentials)]),
    )
    .await;
    let pair = session_pair(&response);
    let key = i.secret_key.unwrap();
    flask_cookie::verify(
        pair.strip_prefix("session=").unwrap(),
        &[key.as_bytes()],
        unix_now(),
        i.max_age_secs,
    )
    .unwrap();
}

#[tokio::test]
async fn reset_expires_the_session_cookie() {
    let app = app_with(&[]);
    let (first, _) = greet(&app, None).await;
    let (second, _) = greet(&app, Some(&session_pair(&first))).await;
    let reset = Request::post("/playground/api/reset")
        .header(header::COOKIE, session_pair(&second))
        .body(Body::empty())
        .unwrap();
    let (reset, _) = send(&app, reset).await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        value(&reset, header::SET_COOKIE),
        "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"
    );
    // The browser drops the cookie, so the next greeting starts over.
    let (_, body) = greet(&app, None).await;
    assert_eq!(body, WELCOME);
}

/// Whether any `Access-Control-*` header is in the answer.
fn has_cors_headers(response: &Response<()>) -> bool {
    response
        .headers()
        .keys()
        .any(|k| k.as_str().starts_with("access-control-"))
}

#[tokio::test]
async fn cors_for_exact_origins_only() {
    let page = "http://localhost:8080";
    let app = app_with(&[
        "--allow-origin",
        page,
        "--allow-origin",
        "http://127.0.0.1:8080",
    ]);
    let preflight = |origin: &str, request_headers: Option<&str>| {
        let mut request = Request::options("/greeting")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET");
        if let Some(h) = request_headers {
            request = request.header(header::ACCESS_CONTROL_REQUEST_HEADERS, h);
        }
        request.body(Body::empty()).unwrap()
    };

    // The preflight: no credentials, answered before auth.
    let (response, _) = send(
        &app,
        preflight(page, Some("authorization,x-playground-exchange")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(value(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN), page);
    assert_eq!(
        value(&response, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        "true"
    );
    assert_eq!(
        value(&response, header::ACCESS_CONTROL_ALLOW_METHODS),
        "GET, POST"
    );
    let allowed = value(&response, header::ACCESS_CONTROL_ALLOW_HEADERS);
    assert!(
        allowed.contains("Authorization") && allowed.contains("X-Playground-Exchange"),
        "{allowed}"
    );
    assert!(!allowed.contains('*'));

    // The request itself, with and without credentials.
    let (response, _) = send(
        &app,
        get("/greeting", &[("origin", page), ("authorization", COBRA)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(value(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN), page);
    assert_eq!(
        value(&response, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        "true"
    );
    let (response, _) = send(&app, get("/greeting", &[("origin", page)])).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(value(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN), page);

    // Any other origin gets no CORS headers at all.
    for origin in [
        "http://evil.example",
        "http://localhost:8081",
        "http://localhost:8080.evil.example",
        "null",
    ] {
        let (response, _) = send(&app, preflight(origin, None)).await;
        assert!(response.status().is_success(), "{origin}");
        assert!(!has_cors_headers(&response), "{origin}");
        let (response, _) = send(
            &app,
            get("/greeting", &[("origin", origin), ("authorization", COBRA)]),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{origin}");
        assert!(!has_cors_headers(&response), "{origin}");
    }
    // Without --allow-origin, no origin is allowed.
    let (response, _) = send(&app_with(&[]), get("/greeting", &[("origin", page)])).await;
    assert!(!response
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

#[tokio::test]
async fn static_serves_the_page_beside_the_greeting() {
    let dir = page_dir("static");
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("assets/app.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let app = app_with(&["--static", dir.to_str().unwrap()]);

    let (response, body) = send(&app, get("/", &[])).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(value(&response, header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(value(&response, header::SERVER), "greeting-server/0.1.0");
    assert!(body.contains("playground"));
    let (response, _) = send(&app, get("/assets/app.wasm", &[])).await;
    assert_eq!(value(&response, header::CONTENT_TYPE), "application/wasm");
    // Unknown page paths fall back to the page; API paths never do.
    let (_, body) = send(&app, get("/some/page", &[])).await;
    assert!(body.contains("playground"));
    let (response, _) = send(&app, get("/playground/api/nope", &[])).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(value(&response, header::CONTENT_TYPE), "application/json");
    for escape in [
        "/../../etc/passwd",
        "/etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let (_, body) = send(&app, get(escape, &[])).await;
        assert!(!body.contains("root:"), "{escape}");
    }
    let (_, body) = greet(&app, None).await;
    assert_eq!(body, WELCOME);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An in-process subscriber to the side channel that has read the stream's `hello`.
struct Subscriber {
    events: test_support::Events,
}

impl Subscriber {
    async fn open(app: &Router) -> Subscriber {
        Subscriber::open_with_hello(app).await.1
    }

    /// [`Subscriber::open`], returning the `hello` event's data too.
    async fn open_with_hello(app: &Router) -> (String, Subscriber) {
        let events = app
            .clone()
            .oneshot(get("/playground/api/events", &[]))
            .await
            .unwrap();
        assert_eq!(events.status(), StatusCode::OK);
        assert_eq!(events.headers()[header::CONTENT_TYPE], "text/event-stream");
        let mut subscriber = Subscriber {
            events: test_support::events(events.into_body().into_data_stream()),
        };
        let (name, hello) = subscriber.next().await;
        assert_eq!(name, "hello", "{hello}");
        (hello, subscriber)
    }

    /// The next event as (name, data), within 5 s.
    async fn next(&mut self) -> (String, String) {
        test_support::next_event(&mut self.events, Duration::from_secs(5))
            .await
            .expect("an event within 5 s")
    }

    /// The report whose `exchange_id` is `id` (earlier reports skipped).
    async fn report(&mut self, id: &str) -> ExchangeReport {
        loop {
            let (name, data) = self.next().await;
            if name == "exchange" {
                let report: ExchangeReport = serde_json::from_str(&data).unwrap();
                if report.exchange_id.as_deref() == Some(id) {
                    return report;
                }
            }
        }
    }
}

fn post_json(path: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn plant_sets_a_well_formed_cookie_and_refuses_others() {
    let (app, _stop) = app_and_shutdown(&[]);
    let mut events = Subscriber::open(&app).await;
    let planted = flask_cookie::sign(
        &serde_json::json!({"username": "cobra", "visit": 41}),
        KEY.as_bytes(),
        unix_now(),
    )
    .unwrap();
    let plant = |cookie: &str| {
        let mut request = post_json(
            "/playground/api/plant",
            "application/json",
            serde_json::json!({ "cookie": cookie }).to_string(),
        );
        request
            .headers_mut()
            .insert("x-playground-exchange", "p-1".parse().unwrap());
        request
    };
    let (response, _) = send(&app, plant(&planted)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        value(&response, header::SET_COOKIE),
        format!("session={planted}; HttpOnly; Path=/")
    );
    let report = events.report("p-1").await;
    assert_eq!(report.cookie_out.as_deref(), Some(planted.as_str()));
    assert_eq!(
        report.session_out,
        Some(Session {
            username: "cobra".into(),
            visit: 41
        })
    );
    let (_, body) = greet(&app, Some(&session_pair(&response))).await;
    assert!(body.contains("visit #42."), "{body}");

    // A forged cookie is well-formed: it is planted, and then silently refused.
    let forged = format!("{VISIT3_PAYLOAD}.{}", planted.split_once('.').unwrap().1);
    let (response, _) = send(&app, plant(&forged)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, body) = greet(&app, Some(&session_pair(&response))).await;
    assert_eq!(body, WELCOME);

    for (body, status) in [
        (serde_json::json!({"cookie": "garbage"}), 400),
        (
            serde_json::json!({"cookie": format!("{planted}; Path=/admin")}),
            400,
        ),
        (serde_json::json!({"cookie": ""}), 400),
        (serde_json::json!({"cookie": 5}), 400),
        (serde_json::json!({"biscuit": planted}), 400),
        (serde_json::json!({"cookie": "A".repeat(5000)}), 400),
        (serde_json::json!({"cookie": "A".repeat(20_000)}), 413),
    ] {
        let request = post_json(
            "/playground/api/plant",
            "application/json",
            body.to_string(),
        );
        let (response, text) = send(&app, request).await;
        assert_eq!(response.status().as_u16(), status, "{text}");
        assert!(!response.headers().contains_key(header::SET_COOKIE));
        assert_eq!(value(&response, header::CONTENT_TYPE), "application/json");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(json["message"].as_str().unwrap().len() > 10, "{json}");
    }
    let as_text = post_json(
        "/playground/api/plant",
        "text/plain",
        format!("{{\"cookie\": \"{planted}\"}}"),
    );
    let (response, _) = send(&app, as_text).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let not_json = post_json("/playground/api/plant", "application/json", "{not json");
    let (response, _) = send(&app, not_json).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_side_channel_reports_each_exchange_matched_by_its_id() {
    let (app, _stop) = app_and_shutdown(&[]);
    let mut events = Subscriber::open(&app).await;
    let tagged = |id: &'static str, cookie: Option<&str>| {
        let mut headers = vec![("authorization", COBRA), ("x-playground-exchange", id)];
        headers.extend(cookie.map(|c| ("cookie", c)));
        get("/greeting", &headers)
    };

    let (response, _) = send(&app, tagged("g-1", None)).await;
    let pair = session_pair(&response);
    let cookie = pair.strip_prefix("session=").unwrap();
    // The greeting response carries nothing beyond the chapter's headers.
    assert_eq!(response.headers().len(), 6);
    let report = events.report("g-1").await;
    assert_eq!(
        (report.method.as_str(), report.path.as_str(), report.status),
        ("GET", "/greeting", 200)
    );
    assert_eq!(report.user.as_deref(), Some("cobra"));
    assert_eq!(report.session_in, SessionIn::None);
    assert_eq!(
        report.session_out,
        Some(Session {
            username: "cobra".into(),
            visit: 1
        })
    );
    assert_eq!(report.cookie_in, None);
    assert_eq!(report.cookie_out.as_deref(), Some(cookie));
    assert_eq!(report.body, WELCOME);
    assert!(report.client.starts_with("127.0.0.1:"));
    assert!(report.seq >= 1);
    let names: Vec<&str> = report
        .response_headers
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(names, REPORTED_GREETING_HEADERS);
    // On loopback the learner sees their own request as sent, credentials included.
    assert_eq!(
        report_header(&report.request_headers, "Authorization"),
        Some(COBRA)
    );
    assert_eq!(
        report_header(&report.request_headers, "X-Playground-Exchange"),
        Some("g-1")
    );

    send(&app, tagged("g-2", Some(&pair))).await;
    let report = events.report("g-2").await;
    assert_eq!(
        report.session_in,
        SessionIn::Continued {
            username: "cobra".into(),
            visit: 1
        }
    );
    assert_eq!(report.cookie_in.as_deref(), Some(cookie));
    assert_eq!(report.session_out.unwrap().visit, 2);

    // A tampered cookie: the report says why it was refused; the response does not.
    let tampered = format!(
        "session={VISIT2_PAYLOAD}.{}",
        cookie.split_once('.').unwrap().1
    );
    send(&app, tagged("g-3", Some(&tampered))).await;
    match events.report("g-3").await.session_in {
        SessionIn::Rejected { reason } => assert!(reason.contains("signature"), "{reason}"),
        other => panic!("{other:?}"),
    }

    let wrong = basic("cobra", "meow");
    send(
        &app,
        get(
            "/user",
            &[("authorization", &wrong), ("x-playground-exchange", "u-1")],
        ),
    )
    .await;
    let report = events.report("u-1").await;
    assert_eq!(
        (report.status, report.body.as_str(), report.user),
        (401, "{}\n", None)
    );
    assert!(report.notes[0].starts_with("401"), "{:?}", report.notes);

    let post = Request::post("/greeting")
        .header("x-playground-exchange", "m-1")
        .body(Body::empty())
        .unwrap();
    send(&app, post).await;
    assert_eq!(events.report("m-1").await.status, 405);
}
