//! The shareable link: the playground's setup (user, session mode, N, target) in the page URL's
//! query, `?user=cobra&session=keep&n=5&target=server`. Never the password: it is not written,
//! and a `password` parameter in a link is ignored.

use super::target::normalize_base;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareTarget {
    /// The greeting server that served the page.
    Server,
    /// The simulated server in the page.
    Simulated,
    /// Another server, by its base URL.
    Url(String),
}

/// The setup a link carries; each part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    pub user: Option<String>,
    /// `true`: "Session: keep cookies"; `false`: "No session".
    pub session: Option<bool>,
    /// N, 1 to 50.
    pub count: Option<u32>,
    pub target: Option<ShareTarget>,
}

impl Setup {
    pub fn is_empty(&self) -> bool {
        *self == Setup::default()
    }
}

/// Reads a query string (`?a=b&c=d`, the leading `?` or `#` optional). Unknown, malformed and
/// out-of-range parameters are ignored.
pub fn parse(query: &str) -> Setup {
    let mut s = Setup::default();
    let q = query.trim_start_matches(['?', '#']);
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k), decode(v));
        match k.as_str() {
            "user" => {
                let v = v.trim();
                if !v.is_empty() && v.len() <= 100 && !v.contains(':') {
                    s.user = Some(v.to_string());
                }
            }
            "session" => {
                s.session = match v.as_str() {
                    "keep" | "1" | "true" | "on" => Some(true),
                    "none" | "0" | "false" | "off" => Some(false),
                    _ => s.session,
                }
            }
            "n" => {
                if let Ok(n) = v.trim().parse::<u32>() {
                    if (1..=50).contains(&n) {
                        s.count = Some(n);
                    }
                }
            }
            "target" => {
                s.target = match v.as_str() {
                    "server" => Some(ShareTarget::Server),
                    "simulated" => Some(ShareTarget::Simulated),
                    other if other.starts_with("http://") || other.starts_with("https://") => {
                        normalize_base(other)
                            .ok()
                            .map(ShareTarget::Url)
                            .or(s.target)
                    }
                    _ => s.target,
                }
            }
            _ => {}
        }
    }
    s
}

/// The query string for a setup, `user=cobra&session=keep&n=3&target=server` (no `?`).
pub fn to_query(s: &Setup) -> String {
    let mut parts = Vec::new();
    if let Some(u) = &s.user {
        parts.push(format!("user={}", encode(u)));
    }
    if let Some(k) = s.session {
        parts.push(format!("session={}", if k { "keep" } else { "none" }));
    }
    if let Some(n) = s.count {
        parts.push(format!("n={n}"));
    }
    match &s.target {
        Some(ShareTarget::Server) => parts.push("target=server".into()),
        Some(ShareTarget::Simulated) => parts.push("target=simulated".into()),
        Some(ShareTarget::Url(u)) => parts.push(format!("target={}", encode(u))),
        None => {}
    }
    parts.join("&")
}

/// The link: `page` (the page's address without query or fragment) + `?` + the setup.
pub fn link(page: &str, s: &Setup) -> String {
    let base = page.split(['?', '#']).next().unwrap_or(page);
    let q = to_query(s);
    if q.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{q}")
    }
}

/// Percent-encodes a query value (keeps `:` and `/`, which are fine in a query and make URLs
/// readable).
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` and `+`; invalid escapes stay as written, invalid UTF-8 becomes U+FFFD.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = Setup {
            user: Some("nagini".into()),
            session: Some(false),
            count: Some(5),
            target: Some(ShareTarget::Url("http://localhost:5000".into())),
        };
        let q = to_query(&s);
        assert_eq!(
            q,
            "user=nagini&session=none&n=5&target=http://localhost:5000"
        );
        assert_eq!(parse(&format!("?{q}")), s);
        let s2 = Setup {
            user: Some("o brien&x=1".into()),
            session: Some(true),
            count: None,
            target: Some(ShareTarget::Simulated),
        };
        assert_eq!(parse(&to_query(&s2)), s2);
        assert_eq!(
            link("http://127.0.0.1:5000/?old=1#x", &s2),
            format!("http://127.0.0.1:5000/?{}", to_query(&s2))
        );
        assert_eq!(link("http://h/", &Setup::default()), "http://h/");
    }

    #[test]
    fn never_the_password() {
        let s = parse("?user=cobra&password=hiss&pass=hiss&pw=hiss");
        assert_eq!(
            s,
            Setup {
                user: Some("cobra".into()),
                ..Setup::default()
            }
        );
        assert!(!link("http://h/", &s).contains("hiss"));
        // A user field cannot smuggle `user:password` either.
        assert_eq!(parse("user=cobra:hiss").user, None);
    }

    #[test]
    fn bad_values_are_ignored() {
        let s = parse(
            "n=0&n=51&n=x&session=maybe&target=ftp://x&target=javascript:alert(1)&user=&zz=1&%ZZ=%",
        );
        assert_eq!(s, Setup::default());
        assert!(s.is_empty());
        assert_eq!(parse("n=50").count, Some(50));
        assert_eq!(parse("session=keep&session=0").session, Some(false));
        assert_eq!(parse("target=server").target, Some(ShareTarget::Server));
        // A pasted endpoint is cleaned the way the target field cleans it.
        assert_eq!(
            parse("target=http%3A%2F%2Flocalhost%3A5000%2Fgreeting").target,
            Some(ShareTarget::Url("http://localhost:5000".into()))
        );
    }

    #[test]
    fn percent_coding() {
        assert_eq!(encode("a b&é"), "a%20b%26%C3%A9");
        assert_eq!(decode("a%20b%26%C3%A9+c"), "a b&é c");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%FF"), "\u{fffd}");
    }
}
