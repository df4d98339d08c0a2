//! Where the session lives: `--sessions cookie` (the default, Flask's signed cookie holds it)
//! or `--sessions server` (the cookie holds a random id and the session lives in a store on the
//! server, as with Flask-Session: `--session-store memory` or `redis://HOST:PORT`).
//!
//! Both modes run the same greeting rules (`greeting_core::Greeter::greet_opened`), so the
//! greeting's messages are the same; only where the session is read from and written to
//! differs. Server mode follows Flask-Session 0.8: an id the store does not know (logged out,
//! expired, made up) starts a new session under a *new* id; the cookie is permanent
//! (`Expires` one session lifetime ahead); log out deletes the entry, so a replayed copy of the
//! old cookie starts over, where in cookie mode it still works until it expires.

use greeting_core::{
    find_session_cookie, stored_set_cookie, EntryAfter, Greeter, GreetingOutcome, LogoutOutcome,
    StoreLookup,
};
use session_store::{AnyStore, SessionId, SessionStore, StoreError, StoreSpec, Stored};
use std::time::Duration;

/// `--sessions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SessionMode {
    /// The session in Flask's signed cookie.
    #[default]
    Cookie,
    /// A random id in the cookie, the session in a store on the server (Flask-Session).
    Server,
}

/// Why a greeting or a log out could not be answered in server mode: the store, not the
/// request, failed (a 503, never a panic).
#[derive(Debug)]
pub enum SessionsError {
    Store(StoreError),
    NoRandomness(getrandom::Error),
}

impl std::fmt::Display for SessionsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionsError::Store(e) => write!(f, "the session store failed: {e}"),
            SessionsError::NoRandomness(e) => write!(f, "no randomness for a session id: {e}"),
        }
    }
}

impl std::error::Error for SessionsError {}

impl From<StoreError> for SessionsError {
    fn from(e: StoreError) -> Self {
        SessionsError::Store(e)
    }
}

impl From<SessionMode> for greeting_core::SessionMode {
    fn from(mode: SessionMode) -> Self {
        match mode {
            SessionMode::Cookie => greeting_core::SessionMode::Cookie,
            SessionMode::Server => greeting_core::SessionMode::Server,
        }
    }
}

/// How the server keeps sessions, decided at start.
#[derive(Clone)]
pub enum Sessions {
    Cookie,
    Server(AnyStore),
}

impl Sessions {
    /// The sessions of `--sessions MODE --session-store SPEC`, with sessions living `lifetime`
    /// (Flask's `PERMANENT_SESSION_LIFETIME`). A store given in cookie mode is an error, not
    /// silently ignored.
    pub async fn open(
        mode: SessionMode,
        store: Option<&StoreSpec>,
        lifetime: Duration,
    ) -> Result<Sessions, String> {
        match (mode, store) {
            (SessionMode::Cookie, None) => Ok(Sessions::Cookie),
            (SessionMode::Cookie, Some(_)) => Err(
                "--session-store needs --sessions server (in cookie mode the session lives in the cookie)"
                    .into(),
            ),
            (SessionMode::Server, spec) => {
                let spec = spec.cloned().unwrap_or(StoreSpec::Memory);
                AnyStore::open(&spec, lifetime)
                    .await
                    .map(Sessions::Server)
                    .map_err(|e| format!("--session-store: {e}"))
            }
        }
    }

    pub fn mode(&self) -> SessionMode {
        match self {
            Sessions::Cookie => SessionMode::Cookie,
            Sessions::Server(_) => SessionMode::Server,
        }
    }

    /// `GET /greeting` in this mode. Fails only when the store cannot be reached.
    pub async fn greet(
        &self,
        greeter: &Greeter,
        authorization: Option<&str>,
        cookie_header: Option<&str>,
        now: u64,
    ) -> Result<GreetingOutcome, SessionsError> {
        match self {
            Sessions::Cookie => Ok(greeter.greet(authorization, cookie_header, now)),
            Sessions::Server(store) => {
                greet_from_store(store, greeter, authorization, cookie_header, now).await
            }
        }
    }

    /// `POST /logout`: in server mode the session is deleted from the store; in both modes the
    /// browser is asked to forget its cookie.
    pub async fn logout(
        &self,
        cookie_header: Option<&str>,
    ) -> Result<LogoutOutcome, SessionsError> {
        let cookie_in = find_session_cookie(cookie_header).value;
        let deleted = match self {
            Sessions::Cookie => None,
            Sessions::Server(store) => {
                let id = cookie_in.as_deref().and_then(|v| SessionId::parse(v).ok());
                if let Some(id) = &id {
                    store.delete(id).await?;
                }
                id.map(|id| id.as_str().to_string())
            }
        };
        Ok(greeting_core::logout(
            self.mode().into(),
            cookie_in,
            deleted,
        ))
    }
}

async fn greet_from_store(
    store: &AnyStore,
    greeter: &Greeter,
    authorization: Option<&str>,
    cookie_header: Option<&str>,
    now: u64,
) -> Result<GreetingOutcome, SessionsError> {
    let mut notes = Vec::new();
    let lookup = find_session_cookie(cookie_header);
    if let Some(note) = lookup.note() {
        notes.push(note);
    }
    let cookie_in = lookup.value;
    // A session found keeps its keys' stored order when saved again (Flask-Session's dict order).
    let mut key_order = Vec::new();
    let (id, found) = match cookie_in.as_deref() {
        None | Some("") => (None, StoreLookup::NoCookie),
        Some(value) => match SessionId::parse(value) {
            Err(e) => (None, StoreLookup::NotAnId(e.to_string())),
            Ok(id) => match store.load_stored(&id).await {
                Ok(Some(stored)) => {
                    key_order = stored.key_order;
                    (Some(id), StoreLookup::Found(stored.session))
                }
                Ok(None) => (None, StoreLookup::Missing),
                Err(StoreError::Unreadable(e)) => (None, StoreLookup::Unreadable(e.to_string())),
                Err(e) => return Err(e.into()),
            },
        },
    };
    let (opened, _) = found.open();
    let greeted = greeter.greet_opened(authorization, opened, cookie_in, notes);
    let mut outcome = greeted.outcome;
    let Some(data) = greeted.session else {
        return Ok(outcome);
    };
    let id = match id {
        Some(id) => id,
        None => SessionId::random().map_err(SessionsError::NoRandomness)?,
    };
    let stored = Stored {
        session: data,
        key_order,
    };
    store.save_stored(&id, &stored).await?;
    let data = stored.session;
    outcome.set_cookie = Some(stored_set_cookie(
        id.as_str(),
        now,
        store.lifetime().as_secs(),
    ));
    outcome.cookie_out = Some(id.as_str().to_string());
    outcome.store_entry = Some(EntryAfter {
        id: id.as_str().to_string(),
        data: Some(data),
        // Just saved: the entry lives one whole lifetime from now.
        ttl_secs: Some(store.lifetime().as_secs()),
    });
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use greeting_core::{SessionIn, EXPIRE_SESSION_COOKIE, FLASK_SESSION_EXPIRE_COOKIE};
    use serde_json::Value;
    use session_store::MemoryStore;

    const COBRA: &str = "Basic Y29icmE6aGlzcw==";
    const NAGINI: &str = "Basic bmFnaW5pOmNyYXds";
    /// The moment of shared/notes/server-side-sessions.md: 2026-12-01 19:42:42 UTC.
    const NOW: u64 = 1796154162;
    const MONTH: Duration = Duration::from_secs(31 * 24 * 3600);

    fn server_mode() -> (Sessions, MemoryStore) {
        let store = MemoryStore::new(MONTH);
        (Sessions::Server(AnyStore::Memory(store.clone())), store)
    }

    fn cookie_header(outcome: &GreetingOutcome) -> String {
        format!("session={}", outcome.cookie_out.as_deref().unwrap())
    }

    fn message(outcome: &GreetingOutcome) -> String {
        serde_json::from_str::<Value>(&outcome.body).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[tokio::test]
    async fn the_chapters_three_requests_read_the_same_in_both_modes() {
        let greeter = Greeter::new("k");
        let (server, _) = server_mode();
        for sessions in [Sessions::Cookie, server] {
            let first = sessions
                .greet(&greeter, Some(COBRA), None, NOW)
                .await
                .unwrap();
            let second = sessions
                .greet(&greeter, Some(COBRA), Some(&cookie_header(&first)), NOW)
                .await
                .unwrap();
            let third = sessions
                .greet(&greeter, Some(COBRA), Some(&cookie_header(&second)), NOW)
                .await
                .unwrap();
            assert_eq!(
                [first.body.len(), second.body.len()],
                [35, 58],
                "the chapter's Content-Length values"
            );
            assert_eq!(
                [message(&first), message(&second), message(&third)],
                [
                    "Welcome, cobra!",
                    "Welcome back, cobra! This is visit #2.",
                    "Welcome back, cobra! This is visit #3."
                ]
            );
        }
    }

    #[tokio::test]
    async fn server_mode_keeps_the_session_in_the_store_under_one_id() {
        let greeter = Greeter::new("k");
        let (sessions, store) = server_mode();
        let first = sessions
            .greet(&greeter, Some(COBRA), None, NOW)
            .await
            .unwrap();
        let id = first.cookie_out.clone().unwrap();
        assert_eq!(id.len(), 43);
        assert_eq!(
            first.set_cookie.as_deref(),
            Some(
                format!("session={id}; Expires=Fri, 01 Jan 2027 19:42:42 GMT; HttpOnly; Path=/")
                    .as_str()
            )
        );
        let stored = store.load(&SessionId::parse(&id).unwrap()).await.unwrap();
        assert_eq!(
            stored.map(Value::Object),
            Some(serde_json::json!({"_permanent": true, "username": "cobra", "visit": 1}))
        );
        let second = sessions
            .greet(
                &greeter,
                Some(COBRA),
                Some(&cookie_header(&first)),
                NOW + 60,
            )
            .await
            .unwrap();
        assert_eq!(second.cookie_out.as_deref(), Some(id.as_str()));
        assert_eq!(
            second.session_in,
            SessionIn::Continued {
                username: "cobra".into(),
                visit: 1
            }
        );
        // Another user with cobra's id: the session is cobra's, so nagini starts over, under
        // the same id (Flask-Session keeps the id of a session it found).
        let other = sessions
            .greet(&greeter, Some(NAGINI), Some(&cookie_header(&second)), NOW)
            .await
            .unwrap();
        assert_eq!(message(&other), "Welcome, nagini!");
        assert_eq!(other.cookie_out.as_deref(), Some(id.as_str()));
    }

    #[tokio::test]
    async fn log_out_then_replay_the_old_cookie() {
        let greeter = Greeter::new("k");
        let (server, store) = server_mode();

        // Server mode: the entry is deleted; the old cookie starts over under a new id.
        let first = server
            .greet(&greeter, Some(COBRA), None, NOW)
            .await
            .unwrap();
        let old = cookie_header(&first);
        let out = server.logout(Some(&old)).await.unwrap();
        assert_eq!(out.set_cookie, FLASK_SESSION_EXPIRE_COOKIE);
        assert!(out.message.contains("deleted"), "{}", out.message);
        let id = SessionId::parse(first.cookie_out.as_deref().unwrap()).unwrap();
        assert_eq!(store.load(&id).await.unwrap(), None);
        let replayed = server
            .greet(&greeter, Some(COBRA), Some(&old), NOW)
            .await
            .unwrap();
        assert_eq!(message(&replayed), "Welcome, cobra!");
        assert_ne!(replayed.cookie_out, first.cookie_out);
        assert!(
            matches!(&replayed.session_in, SessionIn::Rejected { reason } if reason.contains("no session with this id")),
            "{:?}",
            replayed.session_in
        );

        // Cookie mode: the browser is asked to forget, but a copy still works.
        let first = Sessions::Cookie
            .greet(&greeter, Some(COBRA), None, NOW)
            .await
            .unwrap();
        let old = cookie_header(&first);
        let out = Sessions::Cookie.logout(Some(&old)).await.unwrap();
        assert_eq!(out.set_cookie, EXPIRE_SESSION_COOKIE);
        assert!(out.message.contains("still works"), "{}", out.message);
        let replayed = Sessions::Cookie
            .greet(&greeter, Some(COBRA), Some(&old), NOW)
            .await
            .unwrap();
        assert_eq!(message(&replayed), "Welcome back, cobra! This is visit #2.");

        // Logging out with no session is fine too.
        let out = server.logout(None).await.unwrap();
        assert!(out.message.contains("nothing to delete"), "{}", out.message);
    }

    #[tokio::test]
    async fn cookies_that_are_no_session_id_start_over_and_401s_store_nothing() {
        let greeter = Greeter::new("k");
        let (sessions, store) = server_mode();
        // A Flask signed cookie (cookie mode's) is no id: a new session.
        let signed = Sessions::Cookie
            .greet(&greeter, Some(COBRA), None, NOW)
            .await
            .unwrap();
        for header in [
            cookie_header(&signed),
            "session=".to_string(),
            "session=\"a;b\"".to_string(),
            format!("session={}", "x".repeat(5000)),
        ] {
            let o = sessions
                .greet(&greeter, Some(COBRA), Some(&header), NOW)
                .await
                .unwrap();
            assert_eq!(message(&o), "Welcome, cobra!", "{header}");
            assert_eq!(o.cookie_out.as_ref().map(String::len), Some(43), "{header}");
        }
        let before = store.entry_count();
        let o = sessions
            .greet(&greeter, Some("Basic bm9wZTpubw=="), None, NOW)
            .await
            .unwrap();
        assert_eq!((o.status, o.set_cookie), (401, None));
        assert_eq!(store.entry_count(), before);
    }

    #[tokio::test]
    async fn a_store_given_in_cookie_mode_is_an_error() {
        let e = Sessions::open(SessionMode::Cookie, Some(&StoreSpec::Memory), MONTH)
            .await
            .err()
            .unwrap();
        assert!(e.contains("--sessions server"), "{e}");
        let s = Sessions::open(SessionMode::Server, None, MONTH)
            .await
            .unwrap();
        assert_eq!(s.mode(), SessionMode::Server);
        let e = Sessions::open(
            SessionMode::Server,
            Some(&StoreSpec::Redis("redis://127.0.0.1:1".into())),
            MONTH,
        )
        .await
        .err()
        .unwrap();
        assert!(e.starts_with("--session-store: Redis"), "{e}");
    }
}
