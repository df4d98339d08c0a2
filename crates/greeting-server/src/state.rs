//! What the server knows: the configuration decided at start ([`Config`]) and the state the
//! handlers share ([`AppState`]). A layer or handler takes only its part, through axum's
//! `FromRef`: the configuration, the server's self-description, or the side channel.

use crate::attributes::CookieSettings;
use crate::cli::{ServeArgs, SECRET_KEY_ENV};
use crate::cors::AllowedOrigins;
use crate::guard::Reach;
use crate::host::AllowedHosts;
use crate::sessions::Sessions;
use crate::side_channel::SideChannel;
use axum::extract::FromRef;
use greeting_core::{Greeter, KeySource, ServerInfo, Users};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Everything decided at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub greeter: Greeter,
    pub key_source: KeySource,
    /// The signing key as text, for teaching mode.
    pub secret_key_text: String,
    pub fallback_keys: usize,
    pub www_authenticate: bool,
    pub allowed_origins: AllowedOrigins,
    /// The `Host` names answered (the default list and `--allow-host`).
    pub allowed_hosts: AllowedHosts,
    /// `--instructor-token`: the side channel's instructor view.
    pub instructor_token: Option<String>,
    /// Bound to loopback (and not `--classroom`): the learner's own machine, where a page sees
    /// the other programs on it (the learner's Python) with their credentials.
    pub loopback: bool,
    /// `--classroom`: treated as beyond loopback although bound to a loopback address.
    pub classroom: bool,
    /// How long a client may take to send headers or a body; also the idle keep-alive limit.
    pub read_timeout: Duration,
    /// The secret key is revealed at `/playground/api/info`, to requests from this machine only
    /// ([`Reach::ThisMachine`]).
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
        let allowed_origins = AllowedOrigins::parse(&args.allow_origins)?;
        if let Some(dir) = &args.static_dir {
            if !dir.is_dir() {
                return Err(format!("--static {}: no such directory", dir.display()));
            }
        }
        let allowed_hosts = AllowedHosts::new(args.bind, &args.allow_hosts)?;
        if args
            .instructor_token
            .as_deref()
            .is_some_and(|t| t.len() < 8)
        {
            return Err(
                "--instructor-token: give at least 8 characters (learners must not guess it)"
                    .into(),
            );
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
            allowed_hosts,
            instructor_token: args.instructor_token.clone(),
            loopback,
            classroom: args.classroom,
            read_timeout: Duration::from_secs(args.read_timeout),
            teaching,
            static_dir: args.static_dir.clone(),
        })
    }

    /// `GET /playground/api/info` for a request from `reach`: the key never leaves this machine.
    pub fn server_info(&self, reach: Reach) -> ServerInfo {
        let here = reach == Reach::ThisMachine;
        let teaching = self.teaching && here;
        ServerInfo {
            name: "greeting-server".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            users: self.greeter.users.names(),
            key_source: self.key_source,
            teaching,
            secret_key: teaching.then(|| self.secret_key_text.clone()),
            max_age_secs: self.greeter.max_age_secs,
            sees_all_clients: self.loopback && here,
            fallback_keys: self.fallback_keys,
            www_authenticate: self.www_authenticate,
            // Cookie until the sessions are chosen (`AppState::with_sessions`).
            session_mode: greeting_core::SessionMode::Cookie,
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

/// `GET /playground/api/info`, worked out once for each [`Reach`].
#[derive(Debug)]
pub struct ServerInfos {
    pub this_machine: ServerInfo,
    pub beyond: ServerInfo,
}

impl ServerInfos {
    pub fn of(&self, reach: Reach) -> &ServerInfo {
        match reach {
            Reach::ThisMachine => &self.this_machine,
            Reach::Beyond => &self.beyond,
        }
    }
}

/// The state every handler shares, behind one reference count: the router clones it for
/// every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
#[derive(Clone)]
pub struct Shared {
    pub config: Arc<Config>,
    pub info: Arc<ServerInfos>,
    pub side_channel: SideChannel,
    /// Where sessions live (`--sessions`); the cookie unless [`AppState::with_sessions`].
    pub sessions: Sessions,
    /// The session cookie's attributes of this moment (the attribute lab, teaching mode).
    pub cookie_attributes: CookieSettings,
}

impl AppState {
    /// The state for `config`; `shutdown` turning true ends the side channel's streams.
    pub fn new(config: Config, shutdown: watch::Receiver<bool>) -> AppState {
        let info = Arc::new(ServerInfos {
            this_machine: config.server_info(Reach::ThisMachine),
            beyond: config.server_info(Reach::Beyond),
        });
        let side_channel =
            SideChannel::new(config.loopback, config.instructor_token.clone(), shutdown);
        let cookie_attributes = CookieSettings::new(config.greeter.max_age_secs);
        AppState(Arc::new(Shared {
            cookie_attributes,
            config: Arc::new(config),
            info,
            side_channel,
            sessions: Sessions::Cookie,
        }))
    }

    /// The same state with sessions kept as `sessions` says (opened at start, see
    /// [`Sessions::open`]).
    pub fn with_sessions(mut self, sessions: Sessions) -> AppState {
        let shared = Arc::make_mut(&mut self.0);
        let mode = sessions.mode().into();
        let mut info = ServerInfos {
            this_machine: shared.info.this_machine.clone(),
            beyond: shared.info.beyond.clone(),
        };
        info.this_machine.session_mode = mode;
        info.beyond.session_mode = mode;
        shared.info = Arc::new(info);
        shared.sessions = sessions;
        self
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for Sessions {
    fn from_ref(state: &AppState) -> Sessions {
        state.sessions.clone()
    }
}

impl FromRef<AppState> for CookieSettings {
    fn from_ref(state: &AppState) -> CookieSettings {
        state.cookie_attributes.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Arc<Config> {
        state.config.clone()
    }
}

impl FromRef<AppState> for Arc<ServerInfos> {
    fn from_ref(state: &AppState) -> Arc<ServerInfos> {
        state.info.clone()
    }
}

impl FromRef<AppState> for SideChannel {
    fn from_ref(state: &AppState) -> SideChannel {
        state.side_channel.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(flags: &[&str]) -> ServeArgs {
        ServeArgs::from_flags(flags).unwrap()
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
            (
                c.loopback,
                c.server_info(Reach::ThisMachine).sees_all_clients
            ),
            (false, false)
        );
        let c = Config::from_args_and_env(&args(&["--bind", "0.0.0.0", "--secret-key", "k"]), None)
            .unwrap();
        let info = c.server_info(Reach::ThisMachine);
        assert_eq!(
            (info.secret_key, info.sees_all_clients, info.teaching),
            (None, false, false)
        );
        let c = Config::from_args_and_env(&args(&["--secret-key", "k"]), None).unwrap();
        assert_eq!(
            c.server_info(Reach::ThisMachine).secret_key.as_deref(),
            Some("k")
        );
    }

    #[test]
    fn users_and_bad_args() {
        let c =
            Config::from_args_and_env(&args(&["--user", "a:1", "--user", "b:2"]), None).unwrap();
        assert_eq!(c.server_info(Reach::ThisMachine).users, vec!["a", "b"]);
        assert!(Config::from_args_and_env(&args(&["--user", "nocolon"]), None).is_err());
        assert!(Config::from_args_and_env(&args(&["--allow-origin", "*"]), None).is_err());
        assert!(Config::from_args_and_env(&args(&["--static", "/no/such/dir"]), None).is_err());
        assert!(Config::from_args_and_env(&args(&["--fallback-key", ""]), None).is_err());
    }
}
