//! Which `Host` (and `Origin`) this server answers: the defence against DNS rebinding.
//!
//! A page on `http://evil.example:5000` whose name an attacker makes resolve to 127.0.0.1 is
//! same-origin with a server on 127.0.0.1:5000, so it could read `/playground/api/info` and the
//! side channel. The browser still sends `Host: evil.example:5000`, so a server that answers only
//! the names it knows (webpack-dev-server's `allowedHosts`, Vite's `server.allowedHosts`) closes
//! the hole. Allowed by default: `localhost`, any loopback address (`127.0.0.1`, `[::1]`), the
//! address the server is bound to and the address the connection arrived on (a LAN classroom
//! reached by IP), on any port; `--allow-host NAME` adds a name, `.NAME` a domain and its
//! subdomains.
//!
//! Parsing is strict: no credentials (`user@host`), no non-ASCII (browsers send punycode), IPv6
//! only in brackets and without a zone, a port of at most 65535, at most 253 characters of name.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest host name (RFC 1035), without the trailing dot.
const MAX_NAME_CHARS: usize = 253;

/// The host part of a `Host` header or an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostName {
    /// An IPv4 address or a bracketed IPv6 one, canonical (`::ffff:127.0.0.1` is `127.0.0.1`).
    Ip(IpAddr),
    /// A DNS name, lower case, without a trailing dot.
    Name(String),
}

impl HostName {
    /// `localhost` or a loopback address: a name that only this machine can serve.
    pub fn is_loopback(&self) -> bool {
        match self {
            HostName::Ip(ip) => ip.is_loopback(),
            HostName::Name(name) => name == "localhost",
        }
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostName::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            HostName::Ip(ip) => write!(f, "{ip}"),
            HostName::Name(name) => f.write_str(name),
        }
    }
}

/// A `Host` header value: `host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub host: HostName,
    pub port: Option<u16>,
}

/// Why a `Host` (or the authority of an `Origin`) is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    Empty,
    TooLong,
    NotAscii,
    Credentials,
    BadPort,
    BadIpv6,
    UnbracketedIpv6,
    BadCharacter(char),
    EmptyLabel,
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Empty => f.write_str("it is empty"),
            HostError::TooLong => write!(f, "it is longer than {MAX_NAME_CHARS} characters"),
            HostError::NotAscii => f.write_str("it is not ASCII (a name goes in punycode)"),
            HostError::Credentials => f.write_str("it carries credentials (user@host)"),
            HostError::BadPort => f.write_str("its port is not a number from 0 to 65535"),
            HostError::BadIpv6 => f.write_str("it is not an IPv6 address in brackets"),
            HostError::UnbracketedIpv6 => f.write_str("an IPv6 address goes in brackets"),
            HostError::BadCharacter(c) => write!(f, "it contains {c:?}"),
            HostError::EmptyLabel => f.write_str("it has an empty label (..)"),
        }
    }
}

impl std::error::Error for HostError {}

/// Parses a `Host` header value (bytes, as received).
pub fn parse_authority(bytes: &[u8]) -> Result<Authority, HostError> {
    if bytes.is_empty() {
        return Err(HostError::Empty);
    }
    if !bytes.is_ascii() {
        return Err(HostError::NotAscii);
    }
    // ASCII is UTF-8.
    let text = std::str::from_utf8(bytes).map_err(|_| HostError::NotAscii)?;
    if text.len() > MAX_NAME_CHARS + "[]:65535".len() {
        return Err(HostError::TooLong);
    }
    if text.contains('@') {
        return Err(HostError::Credentials);
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(HostError::BadIpv6)?;
        let ip: Ipv6Addr = inside.parse().map_err(|_| HostError::BadIpv6)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(HostError::BadPort)?),
        };
        (HostName::Ip(IpAddr::V6(ip).to_canonical()), port)
    } else {
        let (name, port) = match text.split_once(':') {
            Some((_, port)) if port.contains(':') => return Err(HostError::UnbracketedIpv6),
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        };
        (parse_name(name)?, port)
    };
    let port = match port {
        // `Host: example:` is allowed by RFC 9110 (port = *DIGIT): no port.
        None | Some("") => None,
        Some(digits) => Some(parse_port(digits)?),
    };
    Ok(Authority { host, port })
}

fn parse_port(digits: &str) -> Result<u16, HostError> {
    if digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HostError::BadPort);
    }
    digits.parse().map_err(|_| HostError::BadPort)
}

/// A name or an IPv4 address, without brackets or port.
fn parse_name(name: &str) -> Result<HostName, HostError> {
    if name.is_empty() {
        return Err(HostError::Empty);
    }
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        return Ok(HostName::Ip(IpAddr::V4(ip)));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        return Err(HostError::BadCharacter(c));
    }
    // `localhost.` is `localhost`: the same name, fully qualified.
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > MAX_NAME_CHARS {
        return Err(HostError::TooLong);
    }
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return Err(HostError::EmptyLabel);
    }
    Ok(HostName::Name(name.to_ascii_lowercase()))
}

/// One `--allow-host` value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    /// `NAME` or an address: exactly that host.
    Exact(HostName),
    /// `.NAME`: that name and every name under it.
    Domain(String),
}

/// The hosts this server answers for (see the module docs).
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    bound: IpAddr,
    extra: Vec<Allowed>,
}

impl AllowedHosts {
    /// The default list for a server bound to `bound`, plus the `--allow-host` values.
    pub fn new(bound: IpAddr, allow_hosts: &[String]) -> Result<AllowedHosts, String> {
        let extra = allow_hosts
            .iter()
            .map(|value| parse_allowed(value))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AllowedHosts {
            bound: bound.to_canonical(),
            extra,
        })
    }

    /// Whether a request with this `Host`, arriving on the local address `local` (when known),
    /// is answered.
    pub fn allows(&self, host: &HostName, local: Option<IpAddr>) -> bool {
        if host.is_loopback() {
            return true;
        }
        if let HostName::Ip(ip) = host {
            let local = local.map(|l| l.to_canonical());
            if !ip.is_unspecified() && (*ip == self.bound || Some(*ip) == local) {
                return true;
            }
        }
        self.extra.iter().any(|allowed| match (allowed, host) {
            (Allowed::Exact(exact), host) => exact == host,
            (Allowed::Domain(domain), HostName::Name(name)) => {
                name == domain
                    || name
                        .strip_suffix(domain.as_str())
                        .is_some_and(|head| head.ends_with('.'))
            }
            (Allowed::Domain(_), HostName::Ip(_)) => false,
        })
    }
}

impl fmt::Display for AllowedHosts {
    /// `localhost, loopback addresses, 192.168.1.10, class.example, .tunnel.example`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("localhost, the loopback addresses")?;
        if self.bound.is_unspecified() {
            f.write_str(", the address each connection arrives on")?;
        } else if !self.bound.is_loopback() {
            write!(f, ", {}", HostName::Ip(self.bound))?;
        }
        for allowed in &self.extra {
            match allowed {
                Allowed::Exact(host) => write!(f, ", {host}")?,
                Allowed::Domain(domain) => write!(f, ", .{domain}")?,
            }
        }
        Ok(())
    }
}

/// Checks an `--allow-host` value: a name, `.name`, an IPv4 address or `[IPv6]`, no port.
fn parse_allowed(value: &str) -> Result<Allowed, String> {
    let bad = |why: String| {
        format!("--allow-host {value:?}: {why}; give a name like class.example, .class.example (with its subdomains) or an address")
    };
    let (domain, rest) = match value.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let authority = parse_authority(rest.as_bytes()).map_err(|e| bad(e.to_string()))?;
    if authority.port.is_some() || rest.ends_with(':') {
        return Err(bad("a port is not needed (every port is allowed)".into()));
    }
    match (domain, authority.host) {
        (false, host) => Ok(Allowed::Exact(host)),
        (true, HostName::Name(name)) => Ok(Allowed::Domain(name)),
        (true, HostName::Ip(_)) => Err(bad("an address has no subdomains".into())),
    }
}

/// Whether `origin` (an `Origin` header value, `scheme://host[:port]`) is the origin of a page
/// served under `host` (the request's `Host`): same name, same port (80 for http, 443 for
/// https when not given, so a page reached through an https tunnel counts too).
pub fn is_same_origin(origin: &[u8], host: &Authority) -> bool {
    let Ok(origin) = std::str::from_utf8(origin) else {
        return false;
    };
    let (scheme, default_port) = if origin.starts_with("http://") {
        ("http://", 80)
    } else if origin.starts_with("https://") {
        ("https://", 443)
    } else {
        return false;
    };
    match parse_authority(origin[scheme.len()..].as_bytes()) {
        Ok(page) => {
            page.host == host.host
                && page.port.unwrap_or(default_port) == host.port.unwrap_or(default_port)
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn host(text: &str) -> Result<Authority, HostError> {
        parse_authority(text.as_bytes())
    }

    fn name(n: &str) -> HostName {
        HostName::Name(n.into())
    }

    #[test]
    fn parses_names_addresses_and_ports() {
        assert_eq!(
            host("LocalHost:5000"),
            Ok(Authority {
                host: name("localhost"),
                port: Some(5000)
            })
        );
        assert_eq!(host("localhost.").unwrap().host, name("localhost"));
        assert_eq!(host("localhost:").unwrap().port, None);
        assert_eq!(
            host("127.0.0.1").unwrap().host,
            HostName::Ip(Ipv4Addr::LOCALHOST.into())
        );
        assert_eq!(
            host("[::1]:8080"),
            Ok(Authority {
                host: HostName::Ip(Ipv6Addr::LOCALHOST.into()),
                port: Some(8080)
            })
        );
        assert_eq!(
            host("[0:0:0:0:0:0:0:1]").unwrap().host,
            HostName::Ip(Ipv6Addr::LOCALHOST.into())
        );
        // An IPv4-mapped address is the IPv4 address.
        assert_eq!(
            host("[::ffff:127.0.0.1]").unwrap().host,
            HostName::Ip(Ipv4Addr::LOCALHOST.into())
        );
        assert_eq!(host("class.example:0").unwrap().port, Some(0));
        assert_eq!(host("a_b.example").unwrap().host, name("a_b.example"));
    }

    #[test]
    fn refuses_what_is_not_a_host() {
        let long = "a".repeat(254);
        let long_labels = format!("{}.example", "a.".repeat(130));
        for (text, why) in [
            ("", HostError::Empty),
            (":5000", HostError::Empty),
            ("user@localhost", HostError::Credentials),
            ("user:pw@localhost:5000", HostError::Credentials),
            ("::1", HostError::UnbracketedIpv6),
            ("[::1", HostError::BadIpv6),
            ("[fe80::1%25eth0]", HostError::BadIpv6),
            ("[127.0.0.1]", HostError::BadIpv6),
            ("[::1]5000", HostError::BadPort),
            ("localhost:65536", HostError::BadPort),
            ("localhost:+80", HostError::BadPort),
            ("localhost:000080", HostError::BadPort),
            ("localhost:http", HostError::BadPort),
            ("local host", HostError::BadCharacter(' ')),
            ("localhost/x", HostError::BadCharacter('/')),
            ("*.example", HostError::BadCharacter('*')),
            ("a..example", HostError::EmptyLabel),
            (".example", HostError::EmptyLabel),
            (".", HostError::EmptyLabel),
            (long.as_str(), HostError::TooLong),
            (long_labels.as_str(), HostError::TooLong),
        ] {
            assert_eq!(host(text), Err(why), "{text:?}");
        }
        assert_eq!(
            parse_authority("bücher.example".as_bytes()),
            Err(HostError::NotAscii)
        );
        assert_eq!(
            parse_authority(b"\xff\xfe.example"),
            Err(HostError::NotAscii)
        );
        assert_eq!(parse_authority(&[b'a'; 100_000]), Err(HostError::TooLong));
    }

    #[test]
    fn default_list_is_loopback_and_the_bound_address() {
        let hosts = AllowedHosts::new(Ipv4Addr::LOCALHOST.into(), &[]).unwrap();
        let allows = |text: &str| hosts.allows(&host(text).unwrap().host, None);
        for ok in [
            "localhost",
            "localhost:8080",
            "LOCALHOST.",
            "127.0.0.1:5000",
            "127.0.0.2",
            "[::1]:5000",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(allows(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:5000",
            "localhost.evil.example",
            "evillocalhost",
            "sub.localhost",
            "10.0.0.1",
            "[::2]",
            "0.0.0.0",
        ] {
            assert!(!allows(refused), "{refused}");
        }

        let lan = AllowedHosts::new("192.168.1.10".parse().unwrap(), &[]).unwrap();
        assert!(lan.allows(&host("192.168.1.10:5000").unwrap().host, None));
        assert!(!lan.allows(&host("192.168.1.11").unwrap().host, None));
        // Bound to every address: the one the connection came in on.
        let any = AllowedHosts::new(Ipv4Addr::UNSPECIFIED.into(), &[]).unwrap();
        let h = host("192.168.1.10:5000").unwrap().host;
        assert!(any.allows(&h, Some("192.168.1.10".parse().unwrap())));
        assert!(!any.allows(&h, Some("10.0.0.1".parse().unwrap())));
        assert!(!any.allows(&h, None));
        assert!(!any.allows(&host("0.0.0.0").unwrap().host, None));
    }

    #[test]
    fn allow_host_names_domains_and_addresses() {
        let hosts = AllowedHosts::new(
            Ipv4Addr::LOCALHOST.into(),
            &[
                "Class.Example".into(),
                ".tunnel.example".into(),
                "10.0.0.5".into(),
                "[fd00::5]".into(),
            ],
        )
        .unwrap();
        let allows = |text: &str| hosts.allows(&host(text).unwrap().host, None);
        for ok in [
            "class.example",
            "class.example:443",
            "tunnel.example",
            "abc.tunnel.example",
            "a.b.tunnel.example:8443",
            "10.0.0.5",
            "[fd00::5]:5000",
        ] {
            assert!(allows(ok), "{ok}");
        }
        for refused in [
            "sub.class.example",
            "xclass.example",
            "eviltunnel.example",
            "tunnel.example.evil",
            "10.0.0.6",
        ] {
            assert!(!allows(refused), "{refused}");
        }
        assert_eq!(
            hosts.to_string(),
            "localhost, the loopback addresses, class.example, .tunnel.example, 10.0.0.5, [fd00::5]"
        );
        for bad in [
            "",
            ".",
            "*",
            "*.example",
            "class.example:5000",
            "class.example:",
            ".10.0.0.5",
            "user@class.example",
            "::1",
            "bücher.example",
        ] {
            let e = AllowedHosts::new(Ipv4Addr::LOCALHOST.into(), &[bad.into()]).unwrap_err();
            assert!(e.starts_with("--allow-host"), "{bad}: {e}");
        }
    }

    #[test]
    fn same_origin() {
        let at = |text: &str| host(text).unwrap();
        assert!(is_same_origin(
            b"http://localhost:5000",
            &at("localhost:5000")
        ));
        assert!(is_same_origin(
            b"http://LOCALHOST:5000",
            &at("localhost:5000")
        ));
        assert!(is_same_origin(b"http://[::1]:5000", &at("[::1]:5000")));
        assert!(is_same_origin(
            b"http://class.example",
            &at("class.example:80")
        ));
        assert!(is_same_origin(
            b"https://class.example",
            &at("class.example")
        ));
        for (origin, h) in [
            ("http://localhost:8080", "localhost:5000"),
            ("http://evil.example:5000", "localhost:5000"),
            ("http://localhost", "localhost:5000"),
            ("https://class.example", "class.example:80"),
            ("null", "localhost:5000"),
            ("", "localhost:5000"),
            ("ftp://localhost:5000", "localhost:5000"),
            ("http://user@localhost:5000", "localhost:5000"),
            ("http://localhost:5000/", "localhost:5000"),
            (
                "http://localhost:5000, http://evil.example",
                "localhost:5000",
            ),
        ] {
            assert!(!is_same_origin(origin.as_bytes(), &at(h)), "{origin} {h}");
        }
        assert!(!is_same_origin(b"http://\xff:5000", &at("localhost:5000")));
    }
}
