//! The exchange log line, in-process: one `tracing` line per reported exchange, none for the
//! other routes. Alone in its test binary: tracing caches per call site whether anyone listens,
//! and another test thread without the subscriber below could settle that first.

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::Request;
use greeting_server::{app, AppState, Config, ServeArgs};
use http_body_util::BodyExt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tower::ServiceExt;

/// A `MakeWriter` that collects what tracing writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn one_log_line_per_reported_exchange_and_none_for_the_rest() {
    let captured = Captured::default();
    let sink = captured.clone();
    // As the binary sets it up (colours off).
    let subscriber = greeting_server::logging::subscriber(move || sink.clone(), false);
    let _default = tracing::subscriber::set_default(subscriber);

    let config = Config::from_args_and_env(
        &ServeArgs::from_flags(&["--secret-key", "k"]).unwrap(),
        None,
    )
    .unwrap();
    let (_stop, shutdown) = watch::channel(false);
    let app = app(AppState::new(config, shutdown))
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50000))));
    for (path, authorization) in [
        ("/greeting", Some("Basic Y29icmE6aGlzcw==")),
        ("/playground/api/info", None),
        ("/user?query=not-logged", None),
    ] {
        let mut request = Request::get(path).header("host", "localhost");
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        response.into_body().collect().await.unwrap();
    }

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    // `2026-11-26T03:38:06.123456Z  INFO exchange seq=1 ...`
    let (stamp, rest) = lines[0].split_at(27);
    assert!(
        stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{stamp}"
    );
    assert_eq!(
        rest,
        "  INFO exchange seq=1 client=127.0.0.1:50000 method=GET path=/greeting status=200 user=\"cobra\" visit=1"
    );
    assert!(
        lines[1].ends_with(
            " INFO exchange seq=2 client=127.0.0.1:50000 method=GET path=/user status=401 user=\"-\" visit=0"
        ),
        "{}",
        lines[1]
    );
}
