//! The session cookie's attributes as the attribute lab switches them (issue 19): `SameSite`,
//! `Secure`, `Domain`, `Path`, a lifetime (Flask's permanent session, or Werkzeug's `max_age`)
//! and the `__Host-` prefix, checked, and written into a `Set-Cookie` value the way Werkzeug's
//! `dump_cookie` writes them (its attribute order and spelling), so the default is exactly the
//! chapter's `session=VALUE; HttpOnly; Path=/`. Shared by the server (which sets them) and the
//! page (which sends them and explains what the browser did).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::SESSION_COOKIE_NAME;

/// The session cookie's name with the `__Host-` prefix on.
pub const HOST_PREFIXED_NAME: &str = "__Host-session";

/// Werkzeug's `dump_cookie(max_size=4093)`, Flask's `MAX_COOKIE_SIZE`: a longer `Set-Cookie`
/// value gets its "cookie is too large" warning.
pub const WERKZEUG_MAX_COOKIE_SIZE: usize = 4093;

/// What browsers keep of one cookie: name plus value at most 4096 bytes (RFC 6265bis; Chrome
/// refuses a longer one with `NameValuePairExceedsMaxSize`).
pub const BROWSER_MAX_NAME_VALUE: usize = 4096;

/// The longest `Path` and `Domain` accepted (browsers refuse attribute values over 1024 bytes).
pub const MAX_ATTRIBUTE_LEN: usize = 1024;

/// `SameSite`'s three values, spelled as Werkzeug writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SameSite {
    Lax,
    Strict,
    None,
}

impl SameSite {
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
            SameSite::None => "None",
        }
    }
}

/// The session cookie's attributes. Every field has the default of Flask's own session cookie,
/// so `{}` in JSON is the default, and a field left out keeps Flask's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CookieAttributes {
    /// `SESSION_COOKIE_SAMESITE`; `None` writes no `SameSite` (Flask's default).
    pub same_site: Option<SameSite>,
    /// `SESSION_COOKIE_SECURE`.
    pub secure: bool,
    /// `SESSION_COOKIE_DOMAIN`; `None` is a host-only cookie (Flask's default).
    pub domain: Option<String>,
    /// `SESSION_COOKIE_PATH` (`/`).
    pub path: String,
    /// `session.permanent = True`: `Expires` at now plus `PERMANENT_SESSION_LIFETIME`.
    pub permanent: bool,
    /// `response.set_cookie(max_age=N)`: `Expires` and `Max-Age` (overrides `permanent`).
    pub max_age: Option<u64>,
    /// `SESSION_COOKIE_NAME = "__Host-session"`.
    pub host_prefix: bool,
}

impl Default for CookieAttributes {
    fn default() -> CookieAttributes {
        CookieAttributes {
            same_site: None,
            secure: false,
            domain: None,
            path: "/".into(),
            permanent: false,
            max_age: None,
            host_prefix: false,
        }
    }
}

/// Why attributes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeError {
    /// A `Path` that does not start with `/`.
    PathNotAbsolute,
    /// A character that cannot stand in the attribute unquoted.
    BadCharacter {
        attribute: &'static str,
        character: char,
    },
    /// Longer than [`MAX_ATTRIBUTE_LEN`].
    TooLong { attribute: &'static str, len: usize },
    /// An empty `Domain` (leave it out for a host-only cookie).
    EmptyDomain,
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeError::PathNotAbsolute => write!(f, "Path must start with `/`"),
            AttributeError::BadCharacter {
                attribute,
                character,
            } => write!(
                f,
                "{attribute} cannot contain {character:?} (allowed: letters, digits and {})",
                if *attribute == "Path" {
                    "- . _ ~ % ! $ & ' ( ) * + , / : = @"
                } else {
                    "- ."
                }
            ),
            AttributeError::TooLong { attribute, len } => write!(
                f,
                "{attribute} is {len} bytes long; browsers ignore attribute values over {MAX_ATTRIBUTE_LEN}"
            ),
            AttributeError::EmptyDomain => {
                write!(f, "Domain is empty: leave it out (null) for a host-only cookie")
            }
        }
    }
}

impl std::error::Error for AttributeError {}

/// When a written cookie ends, as the `Set-Cookie` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry<'a> {
    /// No `Expires`: the cookie lasts as long as the browser session.
    Session,
    /// `Expires=DATE`, and `Max-Age=N` when given.
    At {
        expires: &'a str,
        max_age: Option<u64>,
    },
    /// Deleted: `Expires` at the epoch and `Max-Age=0`, as Werkzeug's `delete_cookie`.
    Deleted,
}

/// The HTTP date Werkzeug's `delete_cookie` writes.
pub const EPOCH_HTTP_DATE: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

impl CookieAttributes {
    /// Flask's own session cookie's attributes.
    pub fn is_default(&self) -> bool {
        *self == CookieAttributes::default()
    }

    /// The cookie's name: `session`, or `__Host-session`.
    pub fn cookie_name(&self) -> &'static str {
        if self.host_prefix {
            HOST_PREFIXED_NAME
        } else {
            SESSION_COOKIE_NAME
        }
    }

    /// These attributes checked and normalized as Werkzeug normalizes them (a `Domain`'s
    /// leading dots and port dropped, lower case).
    pub fn checked(mut self) -> Result<CookieAttributes, AttributeError> {
        if !self.path.starts_with('/') {
            return Err(AttributeError::PathNotAbsolute);
        }
        check("Path", &self.path, |c| {
            c.is_ascii_alphanumeric() || "-._~%!$&'()*+,/:=@".contains(c)
        })?;
        if let Some(domain) = self.domain.take() {
            let domain = domain
                .trim()
                .split(':')
                .next()
                .unwrap_or("")
                .trim_start_matches('.')
                .to_ascii_lowercase();
            if domain.is_empty() {
                return Err(AttributeError::EmptyDomain);
            }
            check("Domain", &domain, |c| {
                c.is_ascii_alphanumeric() || c == '-' || c == '.'
            })?;
            self.domain = Some(domain);
        }
        Ok(self)
    }

    /// The seconds from now at which [`Expiry::At`] should say the cookie ends, and its
    /// `Max-Age`: `max_age` wins, then `permanent` (`lifetime_secs`, Flask's
    /// `PERMANENT_SESSION_LIFETIME`), else `None` (a browser-session cookie).
    pub fn lifetime(&self, lifetime_secs: u64) -> Option<(u64, Option<u64>)> {
        match (self.max_age, self.permanent) {
            (Some(n), _) => Some((n, Some(n))),
            (None, true) => Some((lifetime_secs, None)),
            (None, false) => None,
        }
    }

    /// The `Set-Cookie` value for `value`, as Werkzeug's `dump_cookie` writes it: `NAME=VALUE;
    /// Domain=; Expires=; Max-Age=; Secure; HttpOnly; Path=; SameSite=`, each only when set.
    pub fn set_cookie(&self, value: &str, expiry: Expiry<'_>, http_only: bool) -> String {
        let mut out = String::with_capacity(value.len() + 96);
        out.push_str(self.cookie_name());
        out.push('=');
        if expiry != Expiry::Deleted {
            out.push_str(value);
        }
        if let Some(domain) = &self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        match expiry {
            Expiry::Session => {}
            Expiry::At { expires, max_age } => {
                out.push_str("; Expires=");
                out.push_str(expires);
                if let Some(n) = max_age {
                    out.push_str(&format!("; Max-Age={n}"));
                }
            }
            Expiry::Deleted => {
                out.push_str("; Expires=");
                out.push_str(EPOCH_HTTP_DATE);
                out.push_str("; Max-Age=0");
            }
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if http_only {
            out.push_str("; HttpOnly");
        }
        out.push_str("; Path=");
        out.push_str(&self.path);
        if let Some(same_site) = self.same_site {
            out.push_str("; SameSite=");
            out.push_str(same_site.as_str());
        }
        out
    }
}

fn check(
    attribute: &'static str,
    value: &str,
    allowed: impl Fn(char) -> bool,
) -> Result<(), AttributeError> {
    if value.len() > MAX_ATTRIBUTE_LEN {
        return Err(AttributeError::TooLong {
            attribute,
            len: value.len(),
        });
    }
    match value.chars().find(|&c| !allowed(c)) {
        Some(character) => Err(AttributeError::BadCharacter {
            attribute,
            character,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{set_cookie_header, EXPIRE_SESSION_COOKIE};

    #[test]
    fn the_default_is_flasks_cookie_byte_for_byte() {
        let a = CookieAttributes::default();
        assert!(a.is_default());
        assert_eq!(
            a.set_cookie("a.b.c", Expiry::Session, true),
            set_cookie_header("a.b.c")
        );
        assert_eq!(
            a.set_cookie("a.b.c", Expiry::Deleted, true),
            EXPIRE_SESSION_COOKIE
        );
        let parsed: CookieAttributes = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, a);
    }

    #[test]
    fn every_attribute_in_werkzeugs_order() {
        let a = CookieAttributes {
            same_site: Some(SameSite::None),
            secure: true,
            domain: Some("localhost".into()),
            path: "/greeting".into(),
            permanent: true,
            max_age: Some(60),
            host_prefix: false,
        };
        assert_eq!(
            a.set_cookie(
                "v",
                Expiry::At {
                    expires: "Wed, 02 Dec 2026 00:01:00 GMT",
                    max_age: Some(60)
                },
                true
            ),
            "session=v; Domain=localhost; Expires=Wed, 02 Dec 2026 00:01:00 GMT; Max-Age=60; Secure; HttpOnly; Path=/greeting; SameSite=None"
        );
        assert_eq!(a.lifetime(100), Some((60, Some(60))));
        let p = CookieAttributes {
            permanent: true,
            host_prefix: true,
            ..CookieAttributes::default()
        };
        assert_eq!(p.lifetime(100), Some((100, None)));
        assert_eq!(
            p.set_cookie("v", Expiry::Deleted, true),
            "__Host-session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"
        );
        assert_eq!(CookieAttributes::default().lifetime(100), None);
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let with = |path: &str, domain: Option<&str>| {
            CookieAttributes {
                path: path.into(),
                domain: domain.map(str::to_string),
                ..CookieAttributes::default()
            }
            .checked()
        };
        assert_eq!(with("greeting", None), Err(AttributeError::PathNotAbsolute));
        assert!(matches!(
            with("/a;b", None),
            Err(AttributeError::BadCharacter {
                attribute: "Path",
                character: ';'
            })
        ));
        assert!(matches!(
            with("/", Some("evil;x")),
            Err(AttributeError::BadCharacter {
                attribute: "Domain",
                ..
            })
        ));
        assert_eq!(with("/", Some("..")), Err(AttributeError::EmptyDomain));
        assert!(matches!(
            with(&format!("/{}", "a".repeat(1100)), None),
            Err(AttributeError::TooLong { .. })
        ));
        // Werkzeug's normalization: leading dots and a port dropped.
        assert_eq!(
            with("/", Some(".LocalHost:5000"))
                .unwrap()
                .domain
                .as_deref(),
            Some("localhost")
        );
        assert!(serde_json::from_str::<CookieAttributes>(r#"{"same_site": "lax"}"#).is_err());
        assert!(serde_json::from_str::<CookieAttributes>(r#"{"colour": 1}"#).is_err());
        let e = with("/a b", None).unwrap_err().to_string();
        assert!(e.contains("Path cannot contain ' '"), "{e}");
    }
}
