//! The accept loop: hyper's HTTP/1.1 server with the chapter's title-case header names, header
//! size limits, the client address for each request, each connection on one of the
//! [`crate::lanes`], and a graceful shutdown on Ctrl-C.
//!
//! `axum::serve` would do, except that it writes header names in lower case (`content-type`),
//! while the chapter prints `Content-Type`, and Python's `requests` shows names as received.

use crate::app::app;
use crate::cli::ServeArgs;
use crate::guard::LocalAddr;
use crate::lanes::Lanes;
use crate::sessions::Sessions;
use crate::shared_channel;
use crate::state::{AppState, Config};
use axum::extract::ConnectInfo;
use axum::http::Request;
use greeting_core::KeySource;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use session_store::AnyStore;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// The most bytes of request line and headers read (hyper answers 431 beyond).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most request headers read (hyper answers 431 beyond).
pub const MAX_HEADERS: usize = 64;
/// How long the shutdown waits for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs the server until Ctrl-C (or SIGTERM).
pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let config = Config::from_args(&args)?;
    let sessions = Sessions::open(
        args.sessions,
        args.session_store.as_ref(),
        Duration::from_secs(config.greeter.max_age_secs),
    )
    .await?;
    announce(&config);

    let listener = TcpListener::bind(SocketAddr::new(args.bind, args.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.bind, args.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;

    let read_timeout = config.read_timeout;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = AppState::new(config, shutdown_rx).with_sessions(sessions);
    if let Sessions::Server(AnyStore::Redis(redis)) = &state.sessions {
        shared_channel::share(&state.side_channel, redis)
            .await
            .map_err(|e| format!("--session-store: the shared side channel: {e}"))?;
    }
    let app = app(state);

    let mut http = http1::Builder::new();
    http.title_case_headers(true)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .timer(TokioTimer::new())
        // Hyper restarts this timer whenever a keep-alive connection goes idle, so it is also
        // the idle timeout: a quiet client (or a classroom of browsers) can't hold connections.
        .header_read_timeout(read_timeout);
    let graceful = GracefulShutdown::new();
    let lanes =
        Lanes::per_core().map_err(|e| format!("cannot start the connection threads: {e}"))?;

    // Tests parse this line to learn the port.
    println!("greeting-server listening on http://{addr}");
    let _ = std::io::stdout().flush();

    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // E.g. out of file descriptors: wait a little rather than spin.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().ok().map(LocalAddr);
                let app = app.clone();
                let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(remote));
                    if let Some(local) = local {
                        request.extensions_mut().insert(local);
                    }
                    app.clone().oneshot(request)
                });
                let http = http.clone();
                let watcher = graceful.watcher();
                let served = lanes.serve(stream, move |stream| async move {
                    let connection = http.serve_connection(TokioIo::new(stream), service);
                    if let Err(e) = watcher.watch(connection).await {
                        tracing::debug!("connection from {remote}: {e}");
                    }
                });
                if let Err(e) = served {
                    tracing::warn!("cannot serve the connection from {remote}: {e}");
                }
            }
            _ = &mut stop => break,
        }
    }

    tracing::info!("shutting down");
    drop(listener);
    let _ = shutdown_tx.send(true);
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections closed"),
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("some connections were still open; closing anyway"),
    }
    drop(lanes);
    Ok(())
}

/// What the operator should know at start; never the key itself.
fn announce(config: &Config) {
    match config.key_source {
        KeySource::Flag => tracing::info!("secret key: from --secret-key"),
        KeySource::Env => tracing::info!("secret key: from the GREETING_SECRET_KEY environment variable"),
        KeySource::Random => tracing::warn!(
            "secret key: random, made up at this start; every session ends when the server restarts \
             (give --secret-key or set GREETING_SECRET_KEY to keep sessions across restarts)"
        ),
    }
    if config.fallback_keys > 0 {
        tracing::info!(
            "{} fallback key(s) still verify old cookies",
            config.fallback_keys
        );
    }
    tracing::info!("users: {}", config.greeter.users.names().join(", "));
    if config.teaching {
        tracing::info!(
            "teaching mode: /playground/api/info reveals the secret key to requests from this machine"
        );
    }
    tracing::info!("answering the hosts {}", config.allowed_hosts);
    if !config.loopback {
        tracing::warn!(
            "{}: each page sees its own exchanges, and other clients' from its address masked{}",
            if config.classroom {
                "classroom mode"
            } else {
                "bound beyond loopback"
            },
            if config.teaching {
                "; the secret key IS revealed (--reveal-secret-key)"
            } else {
                ""
            }
        );
    }
    if let Some(dir) = &config.static_dir {
        tracing::info!("serving the page from {}", dir.display());
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
