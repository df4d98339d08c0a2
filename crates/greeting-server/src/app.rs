//! The application: its configuration, its shared state and its router.

use crate::cli::{ServeArgs, SECRET_KEY_ENV};
use crate::edge::Edge;
use crate::events::{events, Published, ReportLayer};
use crate::handlers::{greeting, info, not_found, plant, reset, user, MethodsAllowed};
use crate::{cors, handlers};
use axum::handler::Handler;
use axum::http::HeaderValue;
use axum::routing::{any, get, post, MethodRouter};
use axum::Router;
use greeting_core::{Greeter, KeySource, ServerInfo, Users};
use std::net::IpAddr;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tower_http::services::{ServeDir, ServeFile};

/// The largest request body read (only `POST /playground/api/plant` reads one, in
/// `handlers::read_body`).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How many reports the side channel buffers for a slow subscriber before it skips some.
const EVENT_BUFFER: usize = 1024;

/// Everything decided at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub greeter: Greeter,
    pub key_source: KeySource,
    /// The signing key as text, for teaching mode.
    pub secret_key_text: String,
    pub fallback_keys: usize,
    pub www_authenticate: bool,
    pub allowed_origins: Vec<HeaderValue>,
    /// Bound to loopback (and not `--classroom`): every side-channel subscriber sees every
    /// exchange, credentials shown.
    pub loopback: bool,
    /// `--classroom`: treated as beyond loopback although bound to a loopback address.
    pub classroom: bool,
    /// How long a client may take to send headers or a body; also the idle keep-alive limit.
    pub read_timeout: Duration,
    /// The secret key is revealed at `/playground/api/info`.
    pub teaching: bool,
    pub static_dir: Option<PathBuf>,
}

impl Config {
    /// The configuration for `serve`, reading `GREETING_SECRET_KEY` when `--secret-key` is absent.
    pub fn from_args(args: &ServeArgs) -> Result<Config, String> {
        let env_key = std::env::var(SECRET_KEY_ENV).ok();
        Config::from_args_and_env(args, env_key)
    }

    pub fn from_args_and_env(args: &ServeArgs, env_key: Option<String>) -> Result<Config, String> {
        let (secret, key_source) = match (&args.secret_key, env_key) {
            (Some(key), _) => (key.clone(), KeySource::Flag),
            (None, Some(key)) if !key.is_empty() => (key, KeySource::Env),
            (None, _) => (random_key()?, KeySource::Random),
        };
        if secret.is_empty() {
            return Err(
                "the secret key is empty: Flask refuses to sign sessions without one".into(),
            );
        }
        let mut keys = vec![secret.as_bytes().to_vec()];
        for fallback in &args.fallback_keys {
            if fallback.is_empty() {
                return Err("a --fallback-key is empty".into());
            }
            keys.push(fallback.as_bytes().to_vec());
        }
        let users = if args.users.is_empty() {
            Users::course_defaults()
        } else {
            Users::from_specs(&args.users).map_err(|e| format!("--user: {e}"))?
        };
        let allowed_origins = args
            .allow_origins
            .iter()
            .map(|o| cors::parse_origin(o))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(dir) = &args.static_dir {
            if !dir.is_dir() {
                return Err(format!("--static {}: no such directory", dir.display()));
            }
        }
        let loopback = is_loopback(args.bind) && !args.classroom;
        let teaching = !args.no_teaching && (loopback || args.reveal_secret_key);
        Ok(Config {
            greeter: Greeter {
                users,
                keys,
                max_age_secs: args.max_age,
            },
            key_source,
            secret_key_text: secret,
            fallback_keys: args.fallback_keys.len(),
            www_authenticate: args.www_authenticate,
            allowed_origins,
            loopback,
            classroom: args.classroom,
            read_timeout: Duration::from_secs(args.read_timeout),
            teaching,
            static_dir: args.static_dir.clone(),
        })
    }

    /// `GET /playground/api/info`.
    pub fn server_info(&self) -> ServerInfo {
        ServerInfo {
            name: "greeting-server".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            users: self.greeter.users.names(),
            key_source: self.key_source,
            teaching: self.teaching,
            secret_key: self.teaching.then(|| self.secret_key_text.clone()),
            max_age_secs: self.greeter.max_age_secs,
            sees_all_clients: self.loopback,
            fallback_keys: self.fallback_keys,
            www_authenticate: self.www_authenticate,
        }
    }
}

/// 127.0.0.0/8, ::1, and IPv4-mapped loopback.
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// 32 random bytes as 64 hex digits: a key a learner can paste into Flask's `SECRET_KEY`.
fn random_key() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a secret key: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The state every handler shares.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: Config,
    pub info: ServerInfo,
    /// The side channel: one message per reported exchange.
    pub events: broadcast::Sender<Arc<Published>>,
    /// How many clients are subscribed to the side channel, counted by `events::events` (up
    /// before it subscribes, down after its receiver is gone). Read on every exchange instead of
    /// `events.receiver_count()`, which takes the channel's lock: two worker threads taking it
    /// for every request contend for it.
    pub subscribers: AtomicUsize,
    /// Turns true when the server shuts down (ends the event streams).
    pub shutdown: watch::Receiver<bool>,
    /// Numbers the exchanges.
    pub seq: ExchangeCounter,
}

/// The exchange counter, alone on its cache line: every exchange increments it, from whichever
/// core runs the request, and the fields read on every request (the configuration, the side
/// channel) must not share the line that keeps moving between the cores.
#[repr(align(128))]
pub struct ExchangeCounter(AtomicU64);

impl ExchangeCounter {
    /// The next exchange's number, from 1.
    pub fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed) + 1
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(config: Config, shutdown: watch::Receiver<bool>) -> AppState {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let info = config.server_info();
        AppState(Arc::new(Shared {
            config,
            info,
            events,
            subscribers: AtomicUsize::new(0),
            shutdown,
            seq: ExchangeCounter(AtomicU64::new(0)),
        }))
    }
}

/// The whole application: the routes of docs/architecture.md behind the layer every response
/// passes through ([`Edge`]: CORS, `Server` and `Date`).
///
/// The edge layer wraps the router once instead of being added with `Router::layer`, which
/// would wrap every route's boxed service in another box, cloned on every request. The effect is
/// the same: every route and both fallbacks answer through it.
pub fn app(state: AppState) -> Edge<Router> {
    Edge::new(router(state.clone()), state)
}

/// The routes of docs/architecture.md, without the edge layer (see [`app`]).
fn router(state: AppState) -> Router {
    const GET: MethodsAllowed = MethodsAllowed("GET, HEAD, OPTIONS");
    const POST: MethodsAllowed = MethodsAllowed("POST, OPTIONS");

    // The exchanges the side channel reports: every method of these paths, the 405 and the
    // plain OPTIONS answer included.
    let reported = Reported(ReportLayer::new(state.clone()));
    let reported = Router::new()
        .route("/greeting", reported.get(greeting, GET))
        .route("/user", reported.get(user, GET))
        .route("/playground/api/reset", reported.post(reset, POST))
        .route("/playground/api/plant", reported.post(plant, POST));

    let mut app = Router::new()
        .merge(reported)
        .route(
            "/playground/api/info",
            get(info).options(GET.options()).fallback(GET.fallback()),
        )
        .route(
            "/playground/api/events",
            get(events).options(GET.options()).fallback(GET.fallback()),
        )
        // API paths are never the page, even with --static.
        .route("/playground/api", any(not_found))
        .route("/playground/api/{*rest}", any(not_found));

    app = match &state.config.static_dir {
        Some(dir) => app
            .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => app.fallback(handlers::not_found),
    };

    app.with_state(state)
}

/// The method routers of the reported paths: the report layer around each handler by itself
/// (`Handler::layer`), the 405 fallback and the plain `OPTIONS` answer included.
///
/// `Router::route_layer` would do the same around the routes, but every route is then a boxed
/// service around the layer around another boxed service: two boxed services cloned and two
/// futures boxed on every request, where a layered handler has one of each.
struct Reported(ReportLayer);

impl Reported {
    /// `GET` (and so `HEAD`) answered by `handler`, reported.
    fn get<H, T>(&self, handler: H, allowed: MethodsAllowed) -> MethodRouter<AppState>
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.allowed(get(handler.layer(self.0.clone())), allowed)
    }

    /// `POST` answered by `handler`, reported.
    fn post<H, T>(&self, handler: H, allowed: MethodsAllowed) -> MethodRouter<AppState>
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.allowed(post(handler.layer(self.0.clone())), allowed)
    }

    /// The `OPTIONS` answer and the 405 for the other methods, reported.
    fn allowed(
        &self,
        methods: MethodRouter<AppState>,
        allowed: MethodsAllowed,
    ) -> MethodRouter<AppState> {
        methods
            .options(allowed.options().layer(self.0.clone()))
            .fallback(allowed.fallback().layer(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> ServeArgs {
        let mut argv = vec!["greeting-server"];
        argv.extend_from_slice(extra);
        crate::cli::Cli::parse_from(argv).serve
    }

    #[test]
    fn key_sources() {
        let c = Config::from_args_and_env(&args(&["--secret-key", "k"]), Some("e".into())).unwrap();
        assert_eq!(
            (c.key_source, c.secret_key_text.as_str()),
            (KeySource::Flag, "k")
        );
        let c = Config::from_args_and_env(&args(&[]), Some("e".into())).unwrap();
        assert_eq!(
            (c.key_source, c.secret_key_text.as_str()),
            (KeySource::Env, "e")
        );
        let c = Config::from_args_and_env(&args(&[]), None).unwrap();
        assert_eq!(c.key_source, KeySource::Random);
        assert_eq!(c.secret_key_text.len(), 64);
        let d = Config::from_args_and_env(&args(&[]), Some(String::new())).unwrap();
        assert_ne!(c.secret_key_text, d.secret_key_text);
        assert!(Config::from_args_and_env(&args(&["--secret-key", ""]), None).is_err());
    }

    #[test]
    fn teaching_mode() {
        let on = |a: &[&str]| Config::from_args_and_env(&args(a), None).unwrap().teaching;
        assert!(on(&[]));
        assert!(on(&["--bind", "::1"]));
        assert!(!on(&["--no-teaching"]));
        assert!(!on(&["--bind", "0.0.0.0"]));
        assert!(on(&["--bind", "0.0.0.0", "--reveal-secret-key"]));
        // --classroom on loopback is treated as beyond loopback.
        assert!(!on(&["--classroom"]));
        assert!(on(&["--classroom", "--reveal-secret-key"]));
        let c = Config::from_args_and_env(&args(&["--classroom"]), None).unwrap();
        assert_eq!(
            (c.loopback, c.server_info().sees_all_clients),
            (false, false)
        );
        let c = Config::from_args_and_env(&args(&["--bind", "0.0.0.0", "--secret-key", "k"]), None)
            .unwrap();
        let info = c.server_info();
        assert_eq!(
            (info.secret_key, info.sees_all_clients, info.teaching),
            (None, false, false)
        );
        let c = Config::from_args_and_env(&args(&["--secret-key", "k"]), None).unwrap();
        assert_eq!(c.server_info().secret_key.as_deref(), Some("k"));
    }

    #[test]
    fn users_and_bad_args() {
        let c =
            Config::from_args_and_env(&args(&["--user", "a:1", "--user", "b:2"]), None).unwrap();
        assert_eq!(c.server_info().users, vec!["a", "b"]);
        assert!(Config::from_args_and_env(&args(&["--user", "nocolon"]), None).is_err());
        assert!(Config::from_args_and_env(&args(&["--allow-origin", "*"]), None).is_err());
        assert!(Config::from_args_and_env(&args(&["--static", "/no/such/dir"]), None).is_err());
        assert!(Config::from_args_and_env(&args(&["--fallback-key", ""]), None).is_err());
    }
}
