//! Session ids: what the cookie carries in server mode.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::fmt;

/// The length of a new id: 32 random bytes in unpadded URL-safe base64, as Flask-Session's
/// `secrets.token_urlsafe(32)` (its default `SESSION_ID_LENGTH`).
pub const SESSION_ID_LEN: usize = 43;

/// The longest id accepted from a cookie. Flask-Session makes ids of `SESSION_ID_LENGTH` bytes
/// of randomness, so an app configured for longer ids still interoperates; anything longer is
/// not an id this store could have made.
pub const MAX_SESSION_ID_LEN: usize = 256;

/// A session id: 1 to [`MAX_SESSION_ID_LEN`] characters of `A-Z a-z 0-9 - _`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

/// Why a cookie value is not a session id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidSessionId {
    Empty,
    TooLong { len: usize },
    BadCharacter { character: char },
}

impl fmt::Display for InvalidSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidSessionId::Empty => f.write_str("the session id is empty"),
            InvalidSessionId::TooLong { len } => write!(
                f,
                "the session id is {len} characters long; ids have at most {MAX_SESSION_ID_LEN}"
            ),
            InvalidSessionId::BadCharacter { character } => write!(
                f,
                "the character {character:?} cannot appear in a session id (only A-Z a-z 0-9 - _)"
            ),
        }
    }
}

impl std::error::Error for InvalidSessionId {}

impl SessionId {
    /// A new id from the operating system's random source.
    pub fn random() -> Result<SessionId, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(SessionId(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Reads an id from a cookie value.
    pub fn parse(value: &str) -> Result<SessionId, InvalidSessionId> {
        if value.is_empty() {
            return Err(InvalidSessionId::Empty);
        }
        if value.len() > MAX_SESSION_ID_LEN {
            return Err(InvalidSessionId::TooLong { len: value.len() });
        }
        if let Some(character) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(InvalidSessionId::BadCharacter { character });
        }
        Ok(SessionId(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shortened, so that a log or a panic message does not hand out a live session.
impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head: String = self.0.chars().take(6).collect();
        write!(f, "SessionId({head}...)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_look_like_token_urlsafe_32_and_differ() {
        let a = SessionId::random().unwrap();
        let b = SessionId::random().unwrap();
        assert_eq!(a.as_str().len(), SESSION_ID_LEN);
        assert_ne!(a, b);
        assert_eq!(SessionId::parse(a.as_str()), Ok(a));
    }

    #[test]
    fn flask_sessions_id_parses() {
        let id = "YsfLea-LHOxaTzAZt7T1Zsexi3eeCqr5I7WXFitbdWE";
        assert_eq!(SessionId::parse(id).unwrap().as_str(), id);
    }

    #[test]
    fn cookie_values_that_are_not_ids_are_refused() {
        assert_eq!(SessionId::parse(""), Err(InvalidSessionId::Empty));
        assert_eq!(
            SessionId::parse("eyJ1c2VybmFtZSI6ImNvYnJhIn0.YZaTHQ.OR2Z"),
            Err(InvalidSessionId::BadCharacter { character: '.' })
        );
        assert_eq!(
            SessionId::parse(&"a".repeat(MAX_SESSION_ID_LEN + 1)),
            Err(InvalidSessionId::TooLong {
                len: MAX_SESSION_ID_LEN + 1
            })
        );
        assert!(SessionId::parse("session:*").is_err());
    }

    #[test]
    fn debug_does_not_print_the_whole_id() {
        let id = SessionId::parse("YsfLea-LHOxaTzAZt7T1Zsexi3eeCqr5I7WXFitbdWE").unwrap();
        assert_eq!(format!("{id:?}"), "SessionId(YsfLea...)");
    }
}
