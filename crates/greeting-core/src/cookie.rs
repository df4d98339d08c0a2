//! The `Cookie` request header, read the way Werkzeug (Flask's HTTP layer) reads it.
//!
//! `name=value` pairs separated by `;`, surrounding whitespace dropped, a value in double quotes
//! unquoted. When a request carries several `session` cookies (a browser can hold one per path or
//! domain and sends them all), Werkzeug's `request.cookies.get("session")` returns the *first*,
//! and so does [`find_session_cookie`]; it also counts them so the playground can say so.

use std::borrow::Cow;

/// The cookie name Flask uses for its session (`SESSION_COOKIE_NAME`).
pub const SESSION_COOKIE_NAME: &str = "session";

/// The longest `Cookie` header read, in bytes. A browser sends at most about 4 KiB per cookie;
/// a longer header is ignored as a whole (as if the request had no cookies).
pub const MAX_COOKIE_HEADER_LEN: usize = 8192;

/// The longest session cookie value accepted, in bytes (browsers store at most 4096 bytes for
/// name, value and attributes together).
pub const MAX_SESSION_COOKIE_LEN: usize = 4093;

/// What the `Cookie` header says about the session cookie.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionCookieLookup {
    /// The first `session` cookie's value, if any.
    pub value: Option<String>,
    /// How many `session` cookies the header carries (0, 1 or more).
    pub count: usize,
    /// The header was longer than [`MAX_COOKIE_HEADER_LEN`] and was not read.
    pub header_too_long: bool,
}

impl SessionCookieLookup {
    /// A sentence for the learner when something about the cookies is unusual.
    pub fn note(&self) -> Option<String> {
        if self.header_too_long {
            Some(format!(
                "The Cookie header is longer than {MAX_COOKIE_HEADER_LEN} bytes; the server ignored it."
            ))
        } else if self.count > 1 {
            Some(format!(
                "The request carried {} `session` cookies; like Flask (Werkzeug), the server used the first one.",
                self.count
            ))
        } else {
            None
        }
    }
}

/// All `(name, value)` pairs of a `Cookie` header, in order, as Werkzeug's `parse_cookie` gives
/// them (pairs with an empty name are skipped).
pub fn parse_cookie_header(header: &str) -> Vec<(String, String)> {
    cookie_pairs(header)
        .map(|(name, value)| (name.to_string(), value.into_owned()))
        .collect()
}

/// The pairs of [`parse_cookie_header`], borrowed from the header: a value is copied only when
/// it was quoted (unquoting changes it), so looking for the session cookie copies nothing but
/// the value it keeps.
fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, Cow<'_, str>)> {
    let bytes = header.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            // Name: up to '=' or ';'.
            let start = i;
            while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b';' {
                i += 1;
            }
            let name = header[start..i].trim();
            let mut value = Cow::Borrowed("");
            if i < bytes.len() && bytes[i] == b'=' {
                i += 1;
                // Skip leading whitespace of the value.
                while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b'"' {
                    // A quoted value may hold ';' and backslash escapes.
                    let qstart = i;
                    i += 1;
                    let mut closed = false;
                    while i < bytes.len() {
                        match bytes[i] {
                            b'\\' => {
                                // Skip the backslash and the whole character it escapes.
                                i += 2;
                                while i < bytes.len() && !header.is_char_boundary(i) {
                                    i += 1;
                                }
                            }
                            b'"' => {
                                i += 1;
                                closed = true;
                                break;
                            }
                            _ => i += 1,
                        }
                    }
                    // A trailing backslash can step past the end.
                    i = i.min(bytes.len());
                    let i_end = i;
                    let raw = &header[qstart..i_end];
                    // Anything after the closing quote up to ';' belongs to the value too.
                    let rest_start = i_end;
                    while i < bytes.len() && bytes[i] != b';' {
                        i += 1;
                    }
                    let rest = &header[rest_start..i];
                    value = if closed && rest.trim().is_empty() {
                        Cow::Owned(unslash(&raw[1..raw.len() - 1]))
                    } else {
                        Cow::Owned(format!("{raw}{rest}").trim().to_string())
                    };
                } else {
                    let vstart = i;
                    while i < bytes.len() && bytes[i] != b';' {
                        i += 1;
                    }
                    value = Cow::Borrowed(header[vstart..i].trim());
                }
            }
            // Now at ';' or the end.
            i += 1;
            if !name.is_empty() {
                return Some((name, value));
            }
        }
        None
    })
}

/// Undoes the backslash escapes of a quoted cookie value (`\"`, `\\`, `\012` octal).
fn unslash(s: &str) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let oct = &b[i + 1..b.len().min(i + 4)];
            if oct.len() == 3 && oct.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = (oct[0] - b'0') as u32 * 64
                    + (oct[1] - b'0') as u32 * 8
                    + (oct[2] - b'0') as u32;
                if v <= 255 {
                    out.push(v as u8);
                    i += 4;
                    continue;
                }
            }
            out.push(b[i + 1]);
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Finds the `session` cookie in a `Cookie` header (the first one if there are several).
pub fn find_session_cookie(header: Option<&str>) -> SessionCookieLookup {
    let Some(header) = header else {
        return SessionCookieLookup::default();
    };
    if header.len() > MAX_COOKIE_HEADER_LEN {
        return SessionCookieLookup {
            value: None,
            count: 0,
            header_too_long: true,
        };
    }
    let mut lookup = SessionCookieLookup::default();
    for (name, value) in cookie_pairs(header) {
        if name == SESSION_COOKIE_NAME {
            lookup.count += 1;
            if lookup.value.is_none() {
                lookup.value = Some(value.into_owned());
            }
        }
    }
    lookup
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(h: &str) -> Vec<(String, String)> {
        parse_cookie_header(h)
    }

    #[test]
    fn the_chapters_cookie_header() {
        let v = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.OR2ZuTCLFhYlbq0ne7jdx9CbbpU";
        let l = find_session_cookie(Some(&format!("session={v}")));
        assert_eq!(l.value.as_deref(), Some(v));
        assert_eq!(l.count, 1);
        assert_eq!(l.note(), None);
    }

    #[test]
    fn no_header_or_no_session_cookie() {
        assert_eq!(find_session_cookie(None), SessionCookieLookup::default());
        let l = find_session_cookie(Some("theme=dark; lang=en"));
        assert_eq!(l.value, None);
        assert_eq!(l.count, 0);
        assert_eq!(find_session_cookie(Some("")).value, None);
    }

    #[test]
    fn among_other_cookies_with_whitespace() {
        let l = find_session_cookie(Some("  theme=dark ;session = abc.def.ghi ; lang=en"));
        assert_eq!(l.value.as_deref(), Some("abc.def.ghi"));
    }

    #[test]
    fn several_session_cookies_use_the_first_like_werkzeug() {
        let l = find_session_cookie(Some("session=first; other=1; session=second"));
        assert_eq!(l.value.as_deref(), Some("first"));
        assert_eq!(l.count, 2);
        assert!(l.note().unwrap().contains("first one"));
    }

    #[test]
    fn names_are_case_sensitive() {
        assert_eq!(find_session_cookie(Some("Session=abc")).value, None);
        assert_eq!(find_session_cookie(Some("sessionx=abc")).value, None);
    }

    #[test]
    fn empty_value_and_missing_equals() {
        assert_eq!(
            find_session_cookie(Some("session=")).value.as_deref(),
            Some("")
        );
        assert_eq!(
            find_session_cookie(Some("session")).value.as_deref(),
            Some("")
        );
        assert_eq!(
            pairs(";;=x; ;a=1"),
            vec![("a".to_string(), "1".to_string())]
        );
    }

    #[test]
    fn value_with_equals_signs_kept_whole() {
        assert_eq!(
            find_session_cookie(Some("session=a=b=c")).value.as_deref(),
            Some("a=b=c")
        );
    }

    #[test]
    fn quoted_values_unquoted() {
        assert_eq!(
            pairs(r#"a="x;y"; b="q\"z\\"; c="\101\102""#),
            vec![
                ("a".to_string(), "x;y".to_string()),
                ("b".to_string(), "q\"z\\".to_string()),
                ("c".to_string(), "AB".to_string()),
            ]
        );
        // An unterminated quote is kept as it is.
        assert_eq!(
            pairs("a=\"abc"),
            vec![("a".to_string(), "\"abc".to_string())]
        );
        assert_eq!(
            pairs("a=\"ab\\"),
            vec![("a".to_string(), "\"ab\\".to_string())]
        );
    }

    #[test]
    fn too_long_header_ignored() {
        let h = format!("session={}", "a".repeat(MAX_COOKIE_HEADER_LEN));
        let l = find_session_cookie(Some(&h));
        assert_eq!(l.value, None);
        assert!(l.header_too_long);
        assert!(l.note().unwrap().contains("ignored"));
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        for h in [
            "\"",
            "=",
            ";",
            "a=\"",
            "a=\"\\",
            "é=ü; session=\"é\"",
            "\u{0}session=\u{0}",
            "a=\"\\1\"",
            "a=\"\\é\"",
            "a=\"\\é",
        ] {
            let _ = parse_cookie_header(h);
            let _ = find_session_cookie(Some(h));
        }
    }
}
