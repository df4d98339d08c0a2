//! Types that travel between the greeting server and the page, as JSON.
//!
//! The server sends [`ExchangeReport`]s on `GET /playground/api/events` and a [`ServerInfo`] on
//! `GET /playground/api/info`; the page's simulated server builds the very same reports, so the
//! page shows a real and a simulated exchange alike.

use serde::{Deserialize, Serialize};

/// The opt-in request header of the jar-carrying pair: the `Cookie` header of a client that
/// keeps its own cookie jar inside a browser page (the page's Python: requests' jar), which a
/// page script cannot send as `Cookie`. Empty when the jar has nothing to send. The greeting
/// server reads it instead of `Cookie`, and answers with [`CARRIED_SET_COOKIE`].
pub const CARRIED_COOKIE: &str = "X-Playground-Cookie";
/// The response header of the pair: each `Set-Cookie` of the answer, repeated under a name a
/// page script may read. Sent only when the request carried [`CARRIED_COOKIE`].
pub const CARRIED_SET_COOKIE: &str = "X-Playground-Set-Cookie";
/// The third header of the pair: the answer's header names as an ordinary client gets them, in
/// the order and case they go on the wire, comma-separated, one per line of the head
/// (`Content-Type, Content-Length, Vary, Set-Cookie, Server, Date`). A page's fetch sees them
/// lowercased and sorted; with this list the page gives requests the server's own. Sent only
/// when the request carried [`CARRIED_COOKIE`].
pub const CARRIED_HEADER_NAMES: &str = "X-Playground-Header-Names";

/// One HTTP header, as sent or received (names as written on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Header {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// The greeting's part of a Flask session: who, and how many visits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub username: String,
    pub visit: u64,
}

/// What the server made of the incoming `session` cookie.
///
/// On the wire, an object tagged by `kind`: `{"kind": "continued", "username": "cobra",
/// "visit": 2}`. It is read through [`SessionInFields`] rather than serde's internally tagged
/// enum support, which buffers the object in serde's generic `Content` first: that costs the
/// page about 9 KB of wasm and a second pass over every report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "SessionInFields")]
pub enum SessionIn {
    /// The request carried no `session` cookie.
    None,
    /// A valid session of the authenticated user: the visit counter goes on from `visit`.
    Continued { username: String, visit: u64 },
    /// A valid session that does not continue: another user's, or one without a whole-number
    /// `visit` (`username` is `""` and `visit` 0 when the session lacks them). The counter
    /// starts over at 1.
    OtherUser { username: String, visit: u64 },
    /// A cookie that failed verification (tampered, another key, expired, from the future,
    /// malformed): treated as an empty session, silently, as Flask does. `reason` says which
    /// rule failed, for the learner.
    Rejected { reason: String },
}

/// [`SessionIn`] as its JSON object reads: the tag, and every variant's fields as optional.
#[derive(Deserialize)]
struct SessionInFields {
    kind: SessionInKind,
    username: Option<String>,
    visit: Option<u64>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum SessionInKind {
    None,
    Continued,
    OtherUser,
    Rejected,
}

impl TryFrom<SessionInFields> for SessionIn {
    type Error = String;

    fn try_from(f: SessionInFields) -> Result<SessionIn, String> {
        let missing = |field: &str| format!("session_in of this kind needs `{field}`");
        Ok(match f.kind {
            SessionInKind::None => SessionIn::None,
            SessionInKind::Continued => SessionIn::Continued {
                username: f.username.ok_or_else(|| missing("username"))?,
                visit: f.visit.ok_or_else(|| missing("visit"))?,
            },
            SessionInKind::OtherUser => SessionIn::OtherUser {
                username: f.username.ok_or_else(|| missing("username"))?,
                visit: f.visit.ok_or_else(|| missing("visit"))?,
            },
            SessionInKind::Rejected => SessionIn::Rejected {
                reason: f.reason.ok_or_else(|| missing("reason"))?,
            },
        })
    }
}

/// One request/response exchange the server handled, for the side channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeReport {
    /// Counts up from 1 per server start.
    pub seq: u64,
    /// The request header `X-Playground-Exchange`, which the page sets to match its own fetches.
    pub exchange_id: Option<String>,
    /// When the request arrived, Unix milliseconds.
    pub at_ms: u64,
    /// How long the server took to answer.
    pub duration_micros: u64,
    /// The client's address, `IP:PORT`.
    pub client: String,
    pub user_agent: Option<String>,
    pub method: String,
    pub path: String,
    /// The request headers as received. A server bound beyond loopback masks the credentials of
    /// an `Authorization` header; on loopback they are shown, as the chapter shows them.
    pub request_headers: Vec<Header>,
    pub status: u16,
    /// The response headers in the order sent.
    pub response_headers: Vec<Header>,
    pub body: String,
    /// The authenticated user, if the credentials were right.
    pub user: Option<String>,
    /// The `session` cookie value the request carried (the first, if several).
    pub cookie_in: Option<String>,
    /// The `session` cookie value the response set (`Some("")` when it expired the cookie).
    pub cookie_out: Option<String>,
    pub session_in: SessionIn,
    pub session_out: Option<Session>,
    /// Sentences for the learner about anything unusual (why the credentials failed, several
    /// session cookies, an oversized header, ...).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Server mode (`--sessions server`): the store's entry for the exchange's session id after
    /// the request. Absent in cookie mode and where the exchange touched no session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_entry: Option<StoreEntry>,
}

/// Where the server keeps sessions (`--sessions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionMode {
    /// In Flask's signed cookie: the cookie is the session.
    #[default]
    Cookie,
    /// In a store on the server (Flask-Session): the cookie holds a random id.
    Server,
}

/// A server-side session's entry in the store, after an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreEntry {
    /// The store's key, `session:` + the id; `None` in a report masked for another client (the
    /// id is as good as the cookie).
    pub key: Option<String>,
    /// The session the entry holds, as JSON text (`{"_permanent":true,"username":"cobra",
    /// "visit":2}`); `None` when there is no entry (deleted by log out).
    pub value: Option<String>,
    /// Seconds the entry lives on; `None` when unknown.
    pub ttl_secs: Option<u64>,
}

/// Where the server's secret key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// `--secret-key`.
    Flag,
    /// The `GREETING_SECRET_KEY` environment variable.
    Env,
    /// Made up at start: sessions end when the server restarts.
    Random,
}

/// `GET /playground/api/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// `"greeting-server"`.
    pub name: String,
    pub version: String,
    /// The user names (never the passwords).
    pub users: Vec<String>,
    pub key_source: KeySource,
    /// Teaching mode: the secret key is revealed so the learner can verify and forge cookies.
    pub teaching: bool,
    /// The secret key that signs, only in teaching mode.
    pub secret_key: Option<String>,
    /// How old a session cookie may be, in seconds (Flask's `PERMANENT_SESSION_LIFETIME`).
    pub max_age_secs: u64,
    /// Whether every side-channel subscriber sees every client's exchanges (bound to loopback)
    /// or only its own IP's.
    pub sees_all_clients: bool,
    /// How many older keys still verify (Flask's `SECRET_KEY_FALLBACKS`).
    #[serde(default)]
    pub fallback_keys: usize,
    /// Whether a 401 carries `WWW-Authenticate: Basic` (`--www-authenticate`).
    #[serde(default)]
    pub www_authenticate: bool,
    /// Where this server keeps sessions (`--sessions`).
    #[serde(default)]
    pub session_mode: SessionMode,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn session_in_is_tagged_by_kind() {
        assert_eq!(
            serde_json::to_value(SessionIn::None).unwrap(),
            json!({"kind": "none"})
        );
        assert_eq!(
            serde_json::to_value(SessionIn::Continued {
                username: "cobra".into(),
                visit: 2
            })
            .unwrap(),
            json!({"kind": "continued", "username": "cobra", "visit": 2})
        );
        assert_eq!(
            serde_json::to_value(SessionIn::OtherUser {
                username: "viper".into(),
                visit: 7
            })
            .unwrap(),
            json!({"kind": "other_user", "username": "viper", "visit": 7})
        );
        let r: SessionIn =
            serde_json::from_value(json!({"kind": "rejected", "reason": "x"})).unwrap();
        assert_eq!(r, SessionIn::Rejected { reason: "x".into() });
    }

    #[test]
    fn session_in_reads_back_every_kind_and_names_what_is_missing() {
        for s in [
            SessionIn::None,
            SessionIn::Continued {
                username: "cobra".into(),
                visit: 2,
            },
            SessionIn::OtherUser {
                username: String::new(),
                visit: 0,
            },
            SessionIn::Rejected {
                reason: "tampered".into(),
            },
        ] {
            let text = serde_json::to_string(&s).unwrap();
            assert_eq!(
                serde_json::from_str::<SessionIn>(&text).unwrap(),
                s,
                "{text}"
            );
        }
        let e = serde_json::from_str::<SessionIn>(r#"{"kind": "continued", "visit": 2}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs `username`"), "{e}");
        let e = serde_json::from_str::<SessionIn>(r#"{"kind": "lost"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `lost`"), "{e}");
    }

    #[test]
    fn key_source_snake_case() {
        assert_eq!(
            serde_json::to_value(KeySource::Random).unwrap(),
            json!("random")
        );
        assert_eq!(
            serde_json::to_value(KeySource::Flag).unwrap(),
            json!("flag")
        );
        assert_eq!(serde_json::to_value(KeySource::Env).unwrap(), json!("env"));
    }

    #[test]
    fn report_round_trips_and_tolerates_missing_notes() {
        let r = ExchangeReport {
            seq: 1,
            exchange_id: Some("e1".into()),
            at_ms: 5,
            duration_micros: 7,
            client: "127.0.0.1:5".into(),
            user_agent: None,
            method: "GET".into(),
            path: "/greeting".into(),
            request_headers: vec![Header::new("Accept", "*/*")],
            status: 200,
            response_headers: vec![],
            body: "{}\n".into(),
            user: Some("cobra".into()),
            cookie_in: None,
            cookie_out: Some("a.b.c".into()),
            session_in: SessionIn::None,
            session_out: Some(Session {
                username: "cobra".into(),
                visit: 1,
            }),
            notes: vec![],
            store_entry: None,
        };
        let mut v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            serde_json::from_value::<ExchangeReport>(v.clone()).unwrap(),
            r
        );
        assert!(v.get("store_entry").is_none(), "absent in cookie mode: {v}");
        v.as_object_mut().unwrap().remove("notes");
        assert_eq!(serde_json::from_value::<ExchangeReport>(v).unwrap(), r);
        let entry = StoreEntry {
            key: Some("session:x".into()),
            value: None,
            ttl_secs: None,
        };
        let with_entry = ExchangeReport {
            store_entry: Some(entry),
            ..r
        };
        let text = serde_json::to_string(&with_entry).unwrap();
        assert_eq!(
            serde_json::from_str::<ExchangeReport>(&text).unwrap(),
            with_entry
        );
    }
}
