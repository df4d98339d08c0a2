//! Where the greeting requests go, and URL facts the page needs (origins, loopback names).

/// The three kinds of target; `as_str` is what `data-testid="target-kind"` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetKind {
    /// The greeting server that served the page (same origin, or through `trunk serve`'s proxy).
    #[default]
    Server,
    /// A server at a URL the learner typed (cross-origin: needs CORS with credentials).
    Custom,
    /// The greeting rules running inside the page, with an in-page cookie jar.
    Simulated,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Server => "server",
            TargetKind::Custom => "custom",
            TargetKind::Simulated => "simulated",
        }
    }
}

/// `scheme://host[:port]` taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
}

impl Origin {
    pub fn effective_port(&self) -> Option<u16> {
        self.port.or(match self.scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        })
    }

    pub fn same_origin(&self, other: &Origin) -> bool {
        self.scheme.eq_ignore_ascii_case(&other.scheme)
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.effective_port() == other.effective_port()
    }

    pub fn is_loopback(&self) -> bool {
        let h = self.host.to_ascii_lowercase();
        h == "localhost" || h.ends_with(".localhost") || h.starts_with("127.") || h == "[::1]"
    }

    pub fn to_url(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{}", self.scheme, self.host, p),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }
}

/// The origin of an absolute `http(s)://` URL; `None` for anything else.
pub fn parse_origin(url: &str) -> Option<Origin> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    if authority.is_empty() {
        return None;
    }
    let (host, port) = if let Some(end) = authority.strip_prefix('[').and_then(|a| a.find(']')) {
        let host = &authority[..end + 2];
        let port = authority[end + 2..].strip_prefix(':');
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some("") | None => None,
        Some(p) => Some(p.parse::<u16>().ok()?),
    };
    if host.is_empty() {
        return None;
    }
    Some(Origin {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// The base URL a learner typed, cleaned: no trailing slash, and a trailing `/greeting` taken
/// off (people paste the endpoint). Adds `http://` when no scheme is given.
pub fn normalize_base(input: &str) -> Result<String, String> {
    let mut s = input.trim().to_string();
    if s.is_empty() {
        return Err("Type the address of a greeting server, such as http://localhost:5000".into());
    }
    if !s.contains("://") {
        s = format!("http://{s}");
    }
    while s.ends_with('/') {
        s.pop();
    }
    for suffix in ["/greeting", "/user"] {
        if let Some(stripped) = s.strip_suffix(suffix) {
            s = stripped.to_string();
        }
    }
    match parse_origin(&s) {
        Some(_) => Ok(s),
        None => Err(format!("{input:?} is not an http:// or https:// address")),
    }
}

/// `base` + `path`, with exactly one slash between them; an empty base means the page's origin.
pub fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = path.trim_start_matches('/');
    format!("{base}/{path}")
}

/// One side says `localhost`, the other a `127.x` address (or `[::1]`): the browser treats them
/// as different sites, so a cookie set by one is not sent to the other.
pub fn loopback_name_mismatch(a: &Origin, b: &Origin) -> bool {
    let named = |o: &Origin| o.host == "localhost" || o.host.ends_with(".localhost");
    a.is_loopback() && b.is_loopback() && named(a) != named(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let o = parse_origin("http://localhost:5000/greeting").unwrap();
        assert_eq!(
            (o.scheme.as_str(), o.host.as_str(), o.port),
            ("http", "localhost", Some(5000))
        );
        assert!(o.is_loopback());
        assert_eq!(o.to_url(), "http://localhost:5000");
        let v6 = parse_origin("http://[::1]:8080").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("[::1]", Some(8080)));
        assert!(parse_origin("ftp://x").is_none());
        assert!(parse_origin("localhost:5000").is_none());
        assert!(parse_origin("http://h:99999").is_none());
        assert_eq!(
            parse_origin("HTTPS://Example.org")
                .unwrap()
                .effective_port(),
            Some(443)
        );
    }

    #[test]
    fn same_origin_counts_default_ports() {
        let a = parse_origin("http://example.org").unwrap();
        let b = parse_origin("http://example.org:80/x").unwrap();
        let c = parse_origin("http://example.org:5000").unwrap();
        assert!(a.same_origin(&b));
        assert!(!a.same_origin(&c));
    }

    #[test]
    fn normalize() {
        assert_eq!(
            normalize_base("localhost:5000/").unwrap(),
            "http://localhost:5000"
        );
        assert_eq!(
            normalize_base("http://127.0.0.1:5000/greeting").unwrap(),
            "http://127.0.0.1:5000"
        );
        assert!(normalize_base("  ").is_err());
        assert!(normalize_base("http://").is_err());
    }

    #[test]
    fn join_paths() {
        assert_eq!(join("http://h:1/", "/greeting"), "http://h:1/greeting");
        assert_eq!(join("", "/greeting"), "/greeting");
    }

    #[test]
    fn localhost_vs_127() {
        let l = parse_origin("http://localhost:8080").unwrap();
        let n = parse_origin("http://127.0.0.1:5000").unwrap();
        let l2 = parse_origin("http://localhost:5000").unwrap();
        assert!(loopback_name_mismatch(&l, &n));
        assert!(!loopback_name_mismatch(&l, &l2));
        let remote = parse_origin("http://example.org").unwrap();
        assert!(!loopback_name_mismatch(&l, &remote));
    }
}
