//! The greeting server's rules, as the course's Flask server applies them, with no I/O.
//!
//! `GET /greeting` with HTTP Basic auth keeps a visit counter in Flask's signed `session`
//! cookie:
//!
//! * wrong or missing credentials: `401`, body `{}`, no cookie;
//! * a valid session of the same user with a whole-number `visit`: `visit + 1` and
//!   `"Welcome back, NAME! This is visit #N."`;
//! * anything else (no cookie, another user's session, a cookie that fails verification because
//!   it was tampered with, signed with another key, expired, from the future or malformed):
//!   `username = NAME`, `visit = 1` and `"Welcome, NAME!"`, silently, with status 200, as Flask
//!   does. Other keys of a verified session are kept, as Flask's session dict keeps them.
//!
//! [`Greeter::greet`] takes the raw `Authorization` and `Cookie` header values and the current
//! time, and returns everything the response needs (status, body, `Set-Cookie`) plus what the
//! playground shows about it. The server (axum) and the page's in-browser simulated server
//! (wasm32) both run this code, so they cannot disagree.

#![forbid(unsafe_code)]

pub mod attributes;
pub mod auth;
pub mod cookie;
pub mod json;
pub mod stored;
pub mod users;
pub mod wire;

pub use attributes::{
    AttributeError, CookieAttributes, Expiry, SameSite, BROWSER_MAX_NAME_VALUE, HOST_PREFIXED_NAME,
    WERKZEUG_MAX_COOKIE_SIZE,
};
pub use auth::{
    basic_auth_header, parse_basic_auth, AuthError, Credentials, MAX_AUTHORIZATION_LEN,
};
pub use cookie::{
    find_session_cookie, parse_cookie_header, SessionCookieLookup, MAX_COOKIE_HEADER_LEN,
    MAX_SESSION_COOKIE_LEN, SESSION_COOKIE_NAME,
};
pub use flask_cookie;
pub use json::flask_pretty;
pub use stored::{
    logout, logout_body, new_stored_session, stored_set_cookie, EntryAfter, LogoutOutcome,
    StoreLookup, FLASK_SESSION_EXPIRE_COOKIE, PERMANENT_KEY, STORE_KEY_PREFIX,
};
pub use users::{parse_user_spec, User, UserRecord, UserSpecError, Users, DEFAULT_USERS};
pub use wire::{
    ExchangeReport, Header, KeySource, ServerInfo, Session, SessionIn, SessionMode, StoreEntry,
    CARRIED_COOKIE, CARRIED_HEADER_NAMES, CARRIED_SET_COOKIE,
};

use serde_json::{Map, Value};
use std::fmt;

/// The body of a 401, as the course's server sends it: `{}` pretty-printed, plus a newline.
pub const UNAUTHORIZED_BODY: &str = "{}\n";

/// The attributes Werkzeug gives a non-permanent session cookie, exactly.
pub const SESSION_COOKIE_ATTRIBUTES: &str = "HttpOnly; Path=/";

/// The `Set-Cookie` value that makes a browser forget its session cookie (`POST
/// /playground/api/reset`), as Flask writes it when a session is emptied.
pub const EXPIRE_SESSION_COOKIE: &str =
    "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/";

/// The full `Set-Cookie` header value for a session cookie value.
pub fn set_cookie_header(cookie_value: &str) -> String {
    format!("{SESSION_COOKIE_NAME}={cookie_value}; {SESSION_COOKIE_ATTRIBUTES}")
}

/// The greeting's message for a user and visit number: visit 1 is a new session ("Welcome"),
/// later visits continue one ("Welcome back").
pub fn greeting_message(username: &str, visit: u64) -> String {
    welcome(username, visit > 1, visit)
}

/// "Welcome, NAME!", or for a continued session "Welcome back, NAME! This is visit #N.".
fn welcome(username: &str, continued: bool, visit: u64) -> String {
    if continued {
        format!("Welcome back, {username}! This is visit #{visit}.")
    } else {
        format!("Welcome, {username}!")
    }
}

/// The greeting server's configuration: who may log in, which keys sign and verify, how old a
/// session may be.
#[derive(Debug, Clone)]
pub struct Greeter {
    pub users: Users,
    /// The first key signs; every key verifies (Flask's `SECRET_KEY` then
    /// `SECRET_KEY_FALLBACKS`). Derived once per thread into a [`flask_cookie::Keyring`]
    /// ([`flask_cookie::with_keyring`]) and reused while they stay the same, so a request hashes
    /// only its own cookie; kept as plain bytes here because callers build a `Greeter` field by
    /// field.
    pub keys: Vec<Vec<u8>>,
    /// Flask's `PERMANENT_SESSION_LIFETIME` in seconds (31 days by default).
    pub max_age_secs: u64,
}

/// Everything one `GET /greeting` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreetingOutcome {
    /// 200 or 401.
    pub status: u16,
    /// Flask's pretty JSON: `{"message": ...}` or `{}`, with a trailing newline.
    pub body: String,
    /// The whole `Set-Cookie` header value, `session=VALUE; HttpOnly; Path=/`.
    pub set_cookie: Option<String>,
    /// The authenticated user.
    pub user: Option<String>,
    /// What the incoming session cookie turned out to be. Described even on a 401 (where the
    /// server does not use it), so the learner sees what was sent.
    pub session_in: SessionIn,
    /// The session written to the new cookie.
    pub session_out: Option<Session>,
    /// The incoming `session` cookie value (the first, if several).
    pub cookie_in: Option<String>,
    /// The outgoing `session` cookie value.
    pub cookie_out: Option<String>,
    /// Why the credentials failed, when they did.
    pub auth_error: Option<AuthFailure>,
    /// Which key verified the incoming cookie: 0 = the signing key, 1.. = fallbacks.
    pub key_index: Option<usize>,
    /// Sentences for the learner about anything unusual.
    pub notes: Vec<String>,
    /// Server mode: the store's entry for the session after the request (set by the caller
    /// that keeps the store).
    pub store_entry: Option<EntryAfter>,
}

impl GreetingOutcome {
    /// The session's response headers in the chapter's order (after Content-Type and
    /// Content-Length, before Server and Date): `Vary: Cookie` and the `Set-Cookie`, on a 200
    /// only (a 401 never reads nor writes the session). The server and the page's simulated
    /// server both answer with these, so they cannot drift apart.
    pub fn session_headers(&self) -> Vec<(&'static str, String)> {
        self.session_header_values()
            .map(|(name, value)| (name, value.to_string()))
            .collect()
    }

    /// [`GreetingOutcome::session_headers`], borrowed from the outcome: the server makes its
    /// header values from these directly, without a vector and a copy of the `Set-Cookie` first.
    pub fn session_header_values(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let answered = self.status == 200;
        let vary = answered.then_some(("Vary", "Cookie"));
        let set_cookie = match &self.set_cookie {
            Some(value) if answered => Some(("Set-Cookie", value.as_str())),
            _ => None,
        };
        vary.into_iter().chain(set_cookie)
    }
}

/// Everything one `GET /user` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserOutcome {
    /// 200 or 401.
    pub status: u16,
    /// The user's record as Flask's pretty JSON, or `{}`.
    pub body: String,
    pub user: Option<String>,
    pub record: Option<UserRecord>,
    pub auth_error: Option<AuthFailure>,
    pub notes: Vec<String>,
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// The `Authorization` header gave no credentials.
    Header(AuthError),
    /// Well-formed credentials, but no user has that name and password.
    WrongCredentials { username: String },
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthFailure::Header(e) => e.fmt(f),
            AuthFailure::WrongCredentials { username } => write!(
                f,
                "the user name `{username}` and that password do not match a user of this server"
            ),
        }
    }
}

/// Why a value can't be planted as the session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlantError {
    /// Longer than [`MAX_SESSION_COOKIE_LEN`].
    TooLong { len: usize },
    /// A character that can't stand in a cookie value unquoted (only `A-Z a-z 0-9 - _ .`
    /// appear in a Flask session cookie).
    BadCharacter { character: char },
    /// Not a well-formed Flask session cookie.
    Malformed(flask_cookie::MalformedCookie),
}

impl fmt::Display for PlantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlantError::TooLong { len } => write!(
                f,
                "the cookie is {len} bytes long; a browser keeps at most {MAX_SESSION_COOKIE_LEN}"
            ),
            PlantError::BadCharacter { character } => write!(
                f,
                "the character {character:?} cannot appear in a Flask session cookie (only A-Z a-z 0-9 - _ .)"
            ),
            PlantError::Malformed(m) => write!(f, "not a Flask session cookie: {m}"),
        }
    }
}

impl std::error::Error for PlantError {}

/// Checks a value for `POST /playground/api/plant`: cookie-safe characters, a browser's size,
/// and well-formed (it need not verify: planting a forged cookie is the point of the exercise).
pub fn validate_planted_cookie(value: &str) -> Result<flask_cookie::DecodedCookie, PlantError> {
    if value.len() > MAX_SESSION_COOKIE_LEN {
        return Err(PlantError::TooLong { len: value.len() });
    }
    if let Some(character) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(PlantError::BadCharacter { character });
    }
    flask_cookie::decode(value).map_err(PlantError::Malformed)
}

/// An `Authorization` header value with the credentials hidden: `Basic <cobra:***>`, for
/// reports that others might see.
pub fn mask_authorization(value: &str) -> String {
    match parse_basic_auth(Some(value)) {
        Ok(c) => format!("Basic <{}:***>", c.username),
        Err(_) => match value.trim().split_once(' ') {
            Some((scheme, _)) => {
                format!("{} <hidden>", scheme.chars().take(32).collect::<String>())
            }
            None => "<hidden>".to_string(),
        },
    }
}

/// The incoming session, as Flask's `open_session` would have it, plus how to describe it: from
/// the signed cookie ([`Greeter::greet`]) or from a server-side store (the server's
/// `--sessions server`), before the greeting's rules ([`Greeter::greet_opened`]) run on it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedSession {
    /// How the request's session reads when it brought none the server can use (no cookie, a
    /// rejected one, an id the store does not know); `None` when `data` is a session the
    /// server trusts.
    pub session_in_seen: Option<SessionIn>,
    /// The session's keys and values (empty when there is none).
    pub data: Map<String, Value>,
    /// Which key verified a signed cookie.
    pub key_index: Option<usize>,
    /// `data` is a session the server made (verified, or found in its store).
    pub verified: bool,
}

impl OpenedSession {
    /// No session to continue, described as `session_in`; `data` is what a new session starts
    /// with (Flask-Session's `{"_permanent": true}`, or nothing).
    pub fn fresh(session_in: SessionIn, data: Map<String, Value>) -> OpenedSession {
        OpenedSession {
            session_in_seen: Some(session_in),
            data,
            key_index: None,
            verified: false,
        }
    }

    /// A session the server trusts, found in its store.
    pub fn stored(data: Map<String, Value>) -> OpenedSession {
        OpenedSession {
            session_in_seen: None,
            data,
            key_index: None,
            verified: true,
        }
    }
}

/// What [`Greeter::greet_opened`] decided: the outcome without a cookie yet, and the session
/// to write (on a 200), in a signed cookie or in a store.
#[derive(Debug, Clone, PartialEq)]
pub struct Greeted {
    pub outcome: GreetingOutcome,
    pub session: Option<Map<String, Value>>,
}

impl Greeter {
    /// The course's users, one signing key, Flask's default max age (31 days).
    pub fn new(secret_key: impl Into<Vec<u8>>) -> Greeter {
        Greeter {
            users: Users::course_defaults(),
            keys: vec![secret_key.into()],
            max_age_secs: flask_cookie::DEFAULT_MAX_AGE_SECS,
        }
    }

    fn open_session(
        &self,
        cookie_value: Option<&str>,
        now: u64,
        notes: &mut Vec<String>,
    ) -> OpenedSession {
        let empty = |session_in: SessionIn| OpenedSession::fresh(session_in, Map::new());
        let Some(value) = cookie_value else {
            return empty(SessionIn::None);
        };
        if value.is_empty() {
            // Flask: `if not val: return self.session_class()`, as if there were no cookie.
            notes
                .push("The `session` cookie is empty; the server treats that as no cookie.".into());
            return empty(SessionIn::None);
        }
        if value.len() > MAX_SESSION_COOKIE_LEN {
            return empty(SessionIn::Rejected {
                reason: format!(
                    "the session cookie is {} bytes long; a browser keeps at most {MAX_SESSION_COOKIE_LEN}, so this server refuses it",
                    value.len()
                ),
            });
        }
        if self.keys.is_empty() {
            return empty(SessionIn::Rejected {
                reason: flask_cookie::Rejection::NoSecretKey.to_string(),
            });
        }
        // `open` accepts and refuses exactly as `verify` does, without building the decoded
        // view (segments, resolved tags) that is not used here.
        let opened =
            flask_cookie::with_keyring(&self.keys, |keys| keys.open(value, now, self.max_age_secs));
        match opened {
            Ok(opened) => {
                if opened.key_index > 0 {
                    notes.push(format!(
                        "The session cookie was signed with an older key (fallback #{}); the new cookie is signed with the current key.",
                        opened.key_index
                    ));
                }
                OpenedSession {
                    session_in_seen: None,
                    data: opened.session,
                    key_index: Some(opened.key_index),
                    verified: true,
                }
            }
            Err(rejection) => empty(SessionIn::Rejected {
                reason: rejection.to_string(),
            }),
        }
    }

    fn authenticate(&self, authorization: Option<&str>) -> Result<&User, AuthFailure> {
        let credentials = auth::decode_basic_auth(authorization).map_err(AuthFailure::Header)?;
        self.users
            .authenticate(credentials.username(), credentials.password())
            .ok_or_else(|| AuthFailure::WrongCredentials {
                username: credentials.username().to_string(),
            })
    }

    /// `GET /greeting`: the `Authorization` and `Cookie` header values (as received, `None` when
    /// absent) and the current time in Unix seconds.
    pub fn greet(
        &self,
        authorization: Option<&str>,
        cookie_header: Option<&str>,
        now: u64,
    ) -> GreetingOutcome {
        let mut notes = Vec::new();
        let lookup = find_session_cookie(cookie_header);
        if let Some(note) = lookup.note() {
            notes.push(note);
        }
        let cookie_in = lookup.value;
        let incoming = self.open_session(cookie_in.as_deref(), now, &mut notes);
        let Greeted {
            mut outcome,
            session,
        } = self.greet_opened(authorization, incoming, cookie_in, notes);
        let Some(data) = session else {
            return outcome;
        };
        let notes = &mut outcome.notes;
        let (cookie_out, set_cookie) = match self.keys.first() {
            None => {
                notes.push(flask_cookie::SignError::NoSecretKey.to_string());
                (None, None)
            }
            Some(_) => match flask_cookie::with_keyring(&self.keys, |keys| {
                keys.sign(&Value::Object(data), now)
            }) {
                Ok(cookie) => {
                    if cookie.len() > MAX_SESSION_COOKIE_LEN {
                        notes.push(format!(
                            "The new session cookie is {} bytes long; browsers drop cookies over about 4096 bytes.",
                            cookie.len()
                        ));
                    }
                    let header = set_cookie_header(&cookie);
                    (Some(cookie), Some(header))
                }
                Err(e) => {
                    notes.push(format!("The session could not be signed: {e}"));
                    (None, None)
                }
            },
        };
        outcome.cookie_out = cookie_out;
        outcome.set_cookie = set_cookie;
        outcome
    }

    /// The greeting's rules on a session already opened (from the cookie, or from a store):
    /// authenticate, continue or start the visit counter. `cookie_in` is the request's
    /// `session` cookie value and `notes` what was noticed opening it. The outcome has no
    /// cookie yet; the caller writes [`Greeted::session`] where sessions live.
    pub fn greet_opened(
        &self,
        authorization: Option<&str>,
        incoming: OpenedSession,
        cookie_in: Option<String>,
        mut notes: Vec<String>,
    ) -> Greeted {
        let user = match self.authenticate(authorization) {
            Ok(user) => user,
            Err(failure) => {
                notes.insert(0, format!("401: {failure}."));
                let session_in = incoming
                    .session_in_seen
                    .unwrap_or_else(|| describe_other(&incoming.data));
                let outcome = GreetingOutcome {
                    status: 401,
                    body: UNAUTHORIZED_BODY.to_string(),
                    set_cookie: None,
                    user: None,
                    session_in,
                    session_out: None,
                    cookie_in,
                    cookie_out: None,
                    auth_error: Some(failure),
                    key_index: incoming.key_index,
                    notes,
                    store_entry: None,
                };
                return Greeted {
                    outcome,
                    session: None,
                };
            }
        };
        let name = user.name.clone();

        let mut data = incoming.data;
        let previous_visit = if incoming.verified
            && data.get("username").and_then(Value::as_str) == Some(name.as_str())
        {
            data.get("visit")
                .and_then(Value::as_u64)
                .filter(|v| v.checked_add(1).is_some())
        } else {
            None
        };
        let (session_in, visit) = match (previous_visit, incoming.session_in_seen) {
            (Some(previous), _) => (
                SessionIn::Continued {
                    username: name.clone(),
                    visit: previous,
                },
                previous + 1,
            ),
            (None, Some(seen)) => (seen, 1),
            (None, None) => {
                let described = describe_other(&data);
                if let SessionIn::OtherUser { username, .. } = &described {
                    if username == &name {
                        notes.push(format!(
                            "The session is {name}'s but its `visit` is not a whole number the server can count on from; it starts over."
                        ));
                    }
                }
                (described, 1)
            }
        };

        // A continued session always says "Welcome back", even from a visit of 0 (as the
        // course's `session["visit"] += 1` would).
        let message = welcome(&name, previous_visit.is_some(), visit);
        data.insert("username".into(), Value::String(name.clone()));
        data.insert("visit".into(), Value::from(visit));
        let session_out = Session {
            username: name.clone(),
            visit,
        };

        Greeted {
            outcome: GreetingOutcome {
                status: 200,
                body: flask_pretty(&serde_json::json!({ "message": message })),
                set_cookie: None,
                user: Some(name),
                session_in,
                session_out: Some(session_out),
                cookie_in,
                cookie_out: None,
                auth_error: None,
                key_index: incoming.key_index,
                notes,
                store_entry: None,
            },
            session: Some(data),
        }
    }

    /// `GET /user`: the authenticated user's record, or 401 with `{}`.
    pub fn user(&self, authorization: Option<&str>) -> UserOutcome {
        match self.authenticate(authorization) {
            Ok(user) => UserOutcome {
                status: 200,
                body: flask_pretty(&serde_json::to_value(&user.record).unwrap_or(Value::Null)),
                user: Some(user.name.clone()),
                record: Some(user.record.clone()),
                auth_error: None,
                notes: Vec::new(),
            },
            Err(failure) => UserOutcome {
                status: 401,
                body: UNAUTHORIZED_BODY.to_string(),
                user: None,
                record: None,
                notes: vec![format!("401: {failure}.")],
                auth_error: Some(failure),
            },
        }
    }
}

/// A verified session that does not continue: whose it is and its visit, as far as it says.
fn describe_other(data: &Map<String, Value>) -> SessionIn {
    SessionIn::OtherUser {
        username: data
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        visit: data.get("visit").and_then(Value::as_u64).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests;
