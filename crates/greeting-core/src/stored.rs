//! Server-side sessions' rules (the greeting server's `--sessions server`, Flask-Session's),
//! with no I/O: what the store's answer for the cookie's id means for the greeting, what
//! `POST /logout` says and sends in each mode, and what a report shows of the store's entry.
//! The server runs them around its real store (memory or Redis), the page's simulated server
//! around a simulated one, so both say the same.

use crate::wire::{SessionMode, StoreEntry};
use crate::{OpenedSession, SessionIn, EXPIRE_SESSION_COOKIE, SESSION_COOKIE_NAME};
use serde_json::{Map, Value};
use std::time::{Duration, UNIX_EPOCH};

/// Flask's flag for a permanent session, which Flask-Session stores beside the session's keys.
pub const PERMANENT_KEY: &str = "_permanent";

/// The prefix of a session's key in the store (Flask-Session's `SESSION_KEY_PREFIX`).
pub const STORE_KEY_PREFIX: &str = "session:";

/// The `Set-Cookie` Flask-Session sends when a session is deleted: Werkzeug's `delete_cookie`
/// with the name, domain and path only (no `HttpOnly`, unlike Flask's own).
pub const FLASK_SESSION_EXPIRE_COOKIE: &str =
    "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/";

/// What a new server-side session starts with: Flask-Session's `{"_permanent": true}`.
pub fn new_stored_session() -> Map<String, Value> {
    let mut data = Map::new();
    data.insert(PERMANENT_KEY.into(), Value::Bool(true));
    data
}

/// `session=ID; Expires=DATE; HttpOnly; Path=/`, as Flask-Session sets it for a permanent
/// session (Werkzeug's attribute order), `Expires` one lifetime after `now` (Unix seconds).
pub fn stored_set_cookie(id: &str, now: u64, lifetime_secs: u64) -> String {
    let expires = now.saturating_add(lifetime_secs).min(LAST_HTTP_DATE_SECS);
    let expires = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(expires));
    format!("{SESSION_COOKIE_NAME}={id}; Expires={expires}; HttpOnly; Path=/")
}

/// The last second `httpdate` formats: 9999-12-31 23:59:59 UTC.
const LAST_HTTP_DATE_SECS: u64 = 253_402_300_799;

/// What the store said about the request's `session` cookie.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreLookup {
    /// No `session` cookie (or an empty one).
    NoCookie,
    /// The cookie's value is no session id (why).
    NotAnId(String),
    /// A well-formed id the store has no entry for.
    Missing,
    /// An entry this server cannot read (why).
    Unreadable(String),
    /// The session stored under the id.
    Found(Map<String, Value>),
}

impl StoreLookup {
    /// The session the greeting's rules run on, and whether it keeps the cookie's id (only a
    /// session found in the store does; any other starts under a new id, as Flask-Session's).
    pub fn open(self) -> (OpenedSession, bool) {
        let fresh = |reason: String| {
            OpenedSession::fresh(SessionIn::Rejected { reason }, new_stored_session())
        };
        match self {
            StoreLookup::NoCookie => (
                OpenedSession::fresh(SessionIn::None, new_stored_session()),
                false,
            ),
            StoreLookup::NotAnId(why) => (
                fresh(format!(
                    "not a session id: {why}; a new session starts with a new id"
                )),
                false,
            ),
            StoreLookup::Missing => (
                fresh(
                    "the server's store has no session with this id (logged out, expired, or never made here); a new session starts with a new id"
                        .into(),
                ),
                false,
            ),
            StoreLookup::Unreadable(why) => (
                fresh(format!(
                    "the store's entry for this id is not a session this server reads ({why}); a new session starts with a new id"
                )),
                false,
            ),
            StoreLookup::Found(data) => (OpenedSession::stored(data), true),
        }
    }
}

/// The store's entry for a session id after a request, as the server left it: the session it
/// holds (`None`: no entry, deleted by log out) and how long it lives on. Turned into the
/// report's [`StoreEntry`] only when some page may see the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryAfter {
    pub id: String,
    pub data: Option<Map<String, Value>>,
    /// Seconds the entry lives on (the lifetime, renewed on every save); `None` when unknown.
    pub ttl_secs: Option<u64>,
}

impl EntryAfter {
    /// The report's view of the entry: its key and its session as JSON text.
    pub fn report(&self) -> StoreEntry {
        StoreEntry {
            key: Some(format!("{STORE_KEY_PREFIX}{}", self.id)),
            value: self
                .data
                .as_ref()
                .map(|d| Value::Object(d.clone()).to_string()),
            ttl_secs: self.ttl_secs,
        }
    }
}

/// What `POST /logout` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutOutcome {
    /// The message of the 200's body.
    pub message: String,
    /// The `Set-Cookie` that makes the browser forget its session cookie.
    pub set_cookie: &'static str,
    /// The request's `session` cookie value.
    pub cookie_in: Option<String>,
    /// Server mode, with a session id: the id whose entry was deleted.
    pub deleted: Option<String>,
}

/// `POST /logout` in `mode`, once the store (server mode) has deleted the entry of `deleted`,
/// the request's session id (`None`: it carried none).
pub fn logout(
    mode: SessionMode,
    cookie_in: Option<String>,
    deleted: Option<String>,
) -> LogoutOutcome {
    let (message, set_cookie) = match (mode, &deleted) {
        (SessionMode::Cookie, _) => (
            "Logged out: the browser was asked to forget its session cookie. The session was in \
             that cookie, so a copy of it still works until it expires.",
            EXPIRE_SESSION_COOKIE,
        ),
        (SessionMode::Server, Some(_)) => (
            "Logged out: the session was deleted from the server's store, so a copy of the old \
             cookie starts over.",
            FLASK_SESSION_EXPIRE_COOKIE,
        ),
        (SessionMode::Server, None) => (
            "Logged out: the request carried no session id; there was nothing to delete.",
            FLASK_SESSION_EXPIRE_COOKIE,
        ),
    };
    LogoutOutcome {
        message: message.into(),
        set_cookie,
        cookie_in,
        deleted,
    }
}

/// The body of a `POST /logout` answer: `{"message": ...}`, Flask's pretty JSON.
pub fn logout_body(outcome: &LogoutOutcome) -> String {
    crate::flask_pretty(&serde_json::json!({ "message": outcome.message }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_found_session_keeps_its_id() {
        let mut data = new_stored_session();
        data.insert("username".into(), "cobra".into());
        let (opened, keeps) = StoreLookup::Found(data.clone()).open();
        assert!(keeps && opened.verified);
        assert_eq!(opened.data, data);
        for lookup in [
            StoreLookup::NoCookie,
            StoreLookup::Missing,
            StoreLookup::NotAnId("x".into()),
            StoreLookup::Unreadable("y".into()),
        ] {
            let (opened, keeps) = lookup.clone().open();
            assert!(!keeps && !opened.verified, "{lookup:?}");
            assert_eq!(opened.data, new_stored_session());
        }
        let (opened, _) = StoreLookup::Missing.open();
        assert!(matches!(
            opened.session_in_seen,
            Some(SessionIn::Rejected { reason }) if reason.contains("no session with this id")
        ));
    }

    #[test]
    fn log_out_says_what_each_mode_can_do() {
        let cookie = logout(SessionMode::Cookie, Some("a.b.c".into()), None);
        assert_eq!(cookie.set_cookie, EXPIRE_SESSION_COOKIE);
        assert!(cookie.message.contains("still works"));
        let server = logout(SessionMode::Server, Some("id".into()), Some("id".into()));
        assert_eq!(server.set_cookie, FLASK_SESSION_EXPIRE_COOKIE);
        assert!(server.message.contains("deleted"));
        let none = logout(SessionMode::Server, None, None);
        assert!(none.message.contains("nothing to delete"));
        assert_eq!(
            logout_body(&cookie),
            format!("{{\n  \"message\": \"{}\"\n}}\n", cookie.message)
        );
    }

    #[test]
    fn the_reported_entry_names_its_key_and_session() {
        let mut data = new_stored_session();
        data.insert("visit".into(), 2.into());
        let entry = EntryAfter {
            id: "abc".into(),
            data: Some(data),
            ttl_secs: Some(60),
        };
        assert_eq!(
            entry.report(),
            StoreEntry {
                key: Some("session:abc".into()),
                value: Some(r#"{"_permanent":true,"visit":2}"#.into()),
                ttl_secs: Some(60),
            }
        );
    }

    #[test]
    fn the_expires_date_is_werkzeugs() {
        // The moment of shared/notes/server-side-sessions.md: 2026-12-01 19:42:42 UTC, 31 days.
        let (now, month) = (1796154162, 31 * 24 * 3600);
        assert_eq!(
            stored_set_cookie("YsfLea-LHOxaTzAZt7T1Zsexi3eeCqr5I7WXFitbdWE", now, month),
            "session=YsfLea-LHOxaTzAZt7T1Zsexi3eeCqr5I7WXFitbdWE; Expires=Fri, 01 Jan 2027 19:42:42 GMT; HttpOnly; Path=/"
        );
        assert!(stored_set_cookie("abc", u64::MAX, month)
            .contains("Expires=Fri, 31 Dec 9999 23:59:59 GMT"));
    }
}
