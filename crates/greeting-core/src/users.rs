//! The users the greeting server knows, their passwords, and their `/user` records.
//!
//! The course's server knows cobra/hiss, nagini/crawl, viper/bite and anaconda/slither; cobra's
//! record is given by the course's Authentication section, the others are made up in the same
//! shape. `--user NAME:PASSWORD` replaces the whole list.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::{Choice, ConstantTimeEq};

/// The record `GET /user` answers with: `{"email", "id", "name", "user"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub email: String,
    pub id: u64,
    pub name: String,
    pub user: String,
}

/// One user: a name, a password and a record. The password is kept only inside the SHA-256
/// digest of the whole credential (see [`credential_digest`]), computed once, so that checking
/// credentials costs one digest whatever the number of users.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    credential_digest: [u8; 32],
    pub record: UserRecord,
}

/// SHA-256 of the name's length (8 bytes, little-endian), the name and the password: one
/// digest per check for both. The length prefix keeps the split unambiguous (`("ab", "c")` and
/// `("a", "bc")` hash differently) without relying on names never holding a `:`.
fn credential_digest(name: &str, password: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update((name.len() as u64).to_le_bytes())
        .chain_update(name.as_bytes())
        .chain_update(password.as_bytes())
        .finalize()
        .into()
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("password", &"<hidden>")
            .field("record", &self.record)
            .finish()
    }
}

impl User {
    /// A user with a record made from the name (the course's record when the name is one of
    /// the course's users).
    pub fn new(name: &str, password: &str, id: u64) -> User {
        let record = default_record(name).unwrap_or_else(|| UserRecord {
            email: format!("{}@example.com", name.replace(char::is_whitespace, ".")),
            id,
            name: name.to_string(),
            user: name.to_string(),
        });
        User {
            name: name.to_string(),
            credential_digest: credential_digest(name, password),
            record,
        }
    }
}

/// The course's users, their passwords and (for cobra, the course's own) records.
pub const DEFAULT_USERS: [(&str, &str); 4] = [
    ("cobra", "hiss"),
    ("nagini", "crawl"),
    ("viper", "bite"),
    ("anaconda", "slither"),
];

fn default_record(name: &str) -> Option<UserRecord> {
    let (id, full, email) = match name {
        "cobra" => (1, "Jar Fowler", "jar.fowler@example.com"),
        "nagini" => (2, "Naga Ingram", "naga.ingram@example.com"),
        "viper" => (3, "Vi Perkins", "vi.perkins@example.com"),
        "anaconda" => (4, "Ana Condamine", "ana.condamine@example.com"),
        _ => return None,
    };
    Some(UserRecord {
        email: email.into(),
        id,
        name: full.into(),
        user: name.into(),
    })
}

/// Why a `NAME:PASSWORD` user spec was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSpecError {
    /// No `:` in the spec.
    NoColon,
    /// Nothing before the `:`.
    EmptyName,
    /// A control character in the name or password (it could never arrive in a header).
    ControlCharacter,
    /// The same name twice.
    Duplicate(String),
    /// No users at all.
    Empty,
}

impl fmt::Display for UserSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserSpecError::NoColon => write!(f, "a user is given as NAME:PASSWORD (no `:` found)"),
            UserSpecError::EmptyName => {
                write!(f, "a user is given as NAME:PASSWORD (the name is empty)")
            }
            UserSpecError::ControlCharacter => {
                write!(
                    f,
                    "user names and passwords cannot contain control characters"
                )
            }
            UserSpecError::Duplicate(name) => write!(f, "the user `{name}` is given twice"),
            UserSpecError::Empty => write!(f, "at least one user is needed"),
        }
    }
}

impl std::error::Error for UserSpecError {}

/// Parses `NAME:PASSWORD` (split at the first `:`, as Basic auth splits, so a name can't hold a
/// colon and a password can). Returns `(name, password)`.
pub fn parse_user_spec(spec: &str) -> Result<(String, String), UserSpecError> {
    let (name, password) = spec.split_once(':').ok_or(UserSpecError::NoColon)?;
    if name.is_empty() {
        return Err(UserSpecError::EmptyName);
    }
    if spec.chars().any(char::is_control) {
        return Err(UserSpecError::ControlCharacter);
    }
    Ok((name.to_string(), password.to_string()))
}

/// The users a server knows, checked in constant time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Users {
    users: Vec<User>,
}

impl Default for Users {
    fn default() -> Self {
        Users::course_defaults()
    }
}

impl Users {
    /// cobra/hiss, nagini/crawl, viper/bite, anaconda/slither.
    pub fn course_defaults() -> Users {
        Users {
            users: DEFAULT_USERS
                .iter()
                .enumerate()
                .map(|(i, (n, p))| User::new(n, p, i as u64 + 1))
                .collect(),
        }
    }

    /// Users from `NAME:PASSWORD` specs (they replace the defaults).
    pub fn from_specs<S: AsRef<str>>(specs: &[S]) -> Result<Users, UserSpecError> {
        let mut pairs = Vec::new();
        for spec in specs {
            pairs.push(parse_user_spec(spec.as_ref())?);
        }
        Users::from_pairs(pairs.iter().map(|(n, p)| (n.as_str(), p.as_str())))
    }

    /// Users from `(name, password)` pairs.
    pub fn from_pairs<'a, I: IntoIterator<Item = (&'a str, &'a str)>>(
        pairs: I,
    ) -> Result<Users, UserSpecError> {
        let mut users: Vec<User> = Vec::new();
        for (name, password) in pairs {
            if name.is_empty() {
                return Err(UserSpecError::EmptyName);
            }
            if name.contains(':') {
                return Err(UserSpecError::NoColon);
            }
            if name.chars().chain(password.chars()).any(char::is_control) {
                return Err(UserSpecError::ControlCharacter);
            }
            if users.iter().any(|u| u.name == name) {
                return Err(UserSpecError::Duplicate(name.to_string()));
            }
            let id = users.len() as u64 + 1;
            users.push(User::new(name, password, id));
        }
        if users.is_empty() {
            return Err(UserSpecError::Empty);
        }
        Ok(Users { users })
    }

    /// The user names, in order (never the passwords).
    pub fn names(&self) -> Vec<String> {
        self.users.iter().map(|u| u.name.clone()).collect()
    }

    /// All users.
    pub fn iter(&self) -> impl Iterator<Item = &User> {
        self.users.iter()
    }

    /// The user with this name and password, if any.
    ///
    /// Constant time with respect to the secrets: the name and password are digested together
    /// once (SHA-256, see [`credential_digest`]) and every user's stored digest is compared
    /// without an early exit, so neither the position of a matching user nor the length or
    /// content of a stored password shows in the time taken.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<&User> {
        let digest = credential_digest(username, password);
        let mut found: Option<&User> = None;
        for user in &self.users {
            // OR of the XORs: zero exactly when all 32 bytes match, with no branch on any of
            // them; `subtle` turns the result into a `Choice` without letting the compiler
            // shortcut it.
            let difference = user
                .credential_digest
                .iter()
                .zip(&digest)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            let matches: Choice = difference.ct_eq(&0);
            // Names are unique, so at most one user matches; keep looping regardless.
            if bool::from(matches) {
                found = Some(user);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_users() {
        let users = Users::default();
        assert_eq!(users.names(), vec!["cobra", "nagini", "viper", "anaconda"]);
        for (n, p) in DEFAULT_USERS {
            assert_eq!(users.authenticate(n, p).map(|u| u.name.as_str()), Some(n));
        }
        assert!(users.authenticate("cobra", "meow").is_none());
        assert!(users.authenticate("cobra", "").is_none());
        assert!(users.authenticate("Cobra", "hiss").is_none());
        assert!(users.authenticate("cobra", "hiss ").is_none());
        assert!(users.authenticate("nagini", "hiss").is_none());
        assert!(users.authenticate("python", "hiss").is_none());
    }

    #[test]
    fn cobras_record_is_the_courses() {
        let users = Users::default();
        let cobra = users.authenticate("cobra", "hiss").unwrap();
        assert_eq!(
            serde_json::to_value(&cobra.record).unwrap(),
            serde_json::json!({"email": "jar.fowler@example.com", "id": 1, "name": "Jar Fowler", "user": "cobra"})
        );
        let ids: Vec<u64> = users.iter().map(|u| u.record.id).collect();
        assert_eq!(ids, vec![1, 2, 3, 4]);
        for u in users.iter() {
            assert_eq!(u.record.user, u.name);
            assert!(u.record.email.ends_with("@example.com"));
        }
    }

    #[test]
    fn specs() {
        assert_eq!(
            parse_user_spec("cobra:hiss"),
            Ok(("cobra".into(), "hiss".into()))
        );
        assert_eq!(
            parse_user_spec("cobra:a:b"),
            Ok(("cobra".into(), "a:b".into()))
        );
        assert_eq!(parse_user_spec("cobra:"), Ok(("cobra".into(), "".into())));
        assert_eq!(parse_user_spec("cobra"), Err(UserSpecError::NoColon));
        assert_eq!(parse_user_spec(":hiss"), Err(UserSpecError::EmptyName));
        assert_eq!(
            parse_user_spec("co\nbra:hiss"),
            Err(UserSpecError::ControlCharacter)
        );
    }

    #[test]
    fn custom_users_replace_the_defaults() {
        let users = Users::from_specs(&["python:pip", "cobra:secret", "Zoë Ray:x"]).unwrap();
        assert_eq!(users.names(), vec!["python", "cobra", "Zoë Ray"]);
        assert!(users.authenticate("cobra", "hiss").is_none());
        assert!(users.authenticate("cobra", "secret").is_some());
        let python = users.authenticate("python", "pip").unwrap();
        assert_eq!(
            python.record,
            UserRecord {
                email: "python@example.com".into(),
                id: 1,
                name: "python".into(),
                user: "python".into()
            }
        );
        // A course user keeps the course's record.
        assert_eq!(
            users.authenticate("cobra", "secret").unwrap().record.name,
            "Jar Fowler"
        );
        assert_eq!(
            users.authenticate("Zoë Ray", "x").unwrap().record.email,
            "Zoë.Ray@example.com"
        );
    }

    #[test]
    fn bad_user_lists() {
        assert_eq!(
            Users::from_specs(&["a:1", "a:2"]),
            Err(UserSpecError::Duplicate("a".into()))
        );
        assert_eq!(Users::from_specs::<&str>(&[]), Err(UserSpecError::Empty));
        assert_eq!(
            Users::from_pairs([("a:b", "c")]),
            Err(UserSpecError::NoColon)
        );
        assert_eq!(
            Users::from_pairs([("", "c")]),
            Err(UserSpecError::EmptyName)
        );
        assert_eq!(
            Users::from_pairs([("a", "c\u{7}")]),
            Err(UserSpecError::ControlCharacter)
        );
        for e in [
            UserSpecError::NoColon,
            UserSpecError::EmptyName,
            UserSpecError::ControlCharacter,
            UserSpecError::Duplicate("a".into()),
            UserSpecError::Empty,
        ] {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn name_and_password_do_not_run_into_each_other() {
        let users = Users::from_pairs([("ab", "c")]).unwrap();
        assert!(users.authenticate("ab", "c").is_some());
        assert!(users.authenticate("a", "bc").is_none());
        assert!(users.authenticate("abc", "").is_none());
        assert!(users.authenticate("", "abc").is_none());
    }

    #[test]
    fn debug_hides_passwords() {
        let s = format!("{:?}", Users::default());
        assert!(!s.contains("hiss") && !s.contains("slither"), "{s}");
    }
}
