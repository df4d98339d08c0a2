//! The gate every request passes first: a `Host` this server answers for ([`crate::host`]), and,
//! on the playground API, an `Origin` (when the request carries one) that is the server's own
//! or an `--allow-origin` one. A refused request gets 421 (a host) or 403 (an origin) with a JSON
//! body naming the flag that would allow it, and a log line naming what was refused.
//!
//! An admitted request carries its [`Reach`]: whether it comes from this machine, which decides
//! whether it may be given the secret key and see credentials unmasked.

use crate::cors::AllowedOrigins;
use crate::host::{is_same_origin, parse_authority, AllowedHosts, Authority, HostError};
use crate::http::json_response;
use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::{IpAddr, SocketAddr};

/// The local address a connection arrived on, inserted by the accept loop next to the client's
/// `ConnectInfo`: with `--bind 0.0.0.0`, the address learners typed is allowed as a `Host`.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub SocketAddr);

/// Where an admitted request comes from, for the key and for masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Over loopback, with a loopback `Host`, and no proxy header naming anything else: a
    /// program on this machine (a browser tab, the learner's Python, `trunk serve`'s proxy).
    ThisMachine,
    /// Anything else: another machine on the LAN, or a tunnel or port forward into loopback.
    Beyond,
}

/// Headers by which a proxy (a tunnel, a cloud IDE's port forwarding) says whom it forwards.
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

/// Why a request is not answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `Host` on HTTP/1.1.
    NoHost,
    /// More than one `Host` header.
    SeveralHosts,
    /// A `Host` that is not a host at all.
    BadHost { host: String, why: HostError },
    /// A well-formed `Host` that is not allowed.
    HostNotAllowed { host: String },
    /// An `Origin` on the playground API that is neither this server's nor allowed.
    OriginNotAllowed { origin: String },
}

/// The most characters of a refused value repeated in the answer and the log.
const MAX_SHOWN_CHARS: usize = 100;

/// A refused value as the answer and the log repeat it: at most [`MAX_SHOWN_CHARS`], and never
/// the credentials of a `user:password@` in it.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = match text.rsplit_once('@') {
        Some((before, after)) => {
            let scheme = before.find("://").map_or("", |end| &before[..end + 3]);
            format!("{scheme}***@{after}")
        }
        None => text.into_owned(),
    };
    text.chars().take(MAX_SHOWN_CHARS).collect()
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::OriginNotAllowed { .. } => StatusCode::FORBIDDEN,
            _ => StatusCode::MISDIRECTED_REQUEST,
        }
    }

    fn message(&self) -> String {
        match self {
            Refusal::NoHost => "The request has no Host header; this server answers only the hosts it knows.".into(),
            Refusal::SeveralHosts => "The request has more than one Host header.".into(),
            Refusal::BadHost { host, why } => format!("The Host {host:?} is not a host name: {why}."),
            Refusal::HostNotAllowed { host } => format!(
                "This server does not answer for the host {host:?} (a page under a name it does not know could be a DNS rebinding attack)."
            ),
            Refusal::OriginNotAllowed { origin } => format!(
                "The playground API does not answer pages from the origin {origin:?}."
            ),
        }
    }

    fn hint(&self) -> String {
        match self {
            Refusal::HostNotAllowed { host } => {
                let name = parse_authority(host.as_bytes())
                    .map(|a| a.host.to_string())
                    .unwrap_or_else(|_| "NAME".into());
                format!("start greeting-server with --allow-host {name}")
            }
            Refusal::OriginNotAllowed { .. } => {
                "start greeting-server with --allow-origin ORIGIN".into()
            }
            _ => "start greeting-server with --allow-host NAME".into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({
            "error": status.canonical_reason().unwrap_or("Refused"),
            "message": self.message(),
            "hint": self.hint(),
        });
        json_response(status, &body, [])
    }
}

/// What the gate checks against: the allowed hosts and the `--allow-origin` origins.
#[derive(Debug)]
pub struct Admission {
    hosts: AllowedHosts,
    origins: AllowedOrigins,
}

impl Admission {
    pub fn new(hosts: AllowedHosts, origins: AllowedOrigins) -> Admission {
        Admission { hosts, origins }
    }

    /// The verdict on one request: its [`Reach`], or why it is refused.
    pub fn check(&self, request: &Request) -> Result<Reach, Refusal> {
        let headers = request.headers();
        let local = request.extensions().get::<LocalAddr>().map(|l| l.0.ip());
        let host = self.host(request, local)?;
        if is_api(request.uri().path()) {
            if let Some(origin) = headers.get(header::ORIGIN) {
                if !self.origin_allowed(origin, host.as_ref(), headers) {
                    return Err(Refusal::OriginNotAllowed {
                        origin: shown(origin.as_bytes()),
                    });
                }
            }
        }
        let peer_loopback =
            peer(request).is_some_and(|peer| peer.ip().to_canonical().is_loopback());
        let this_machine = peer_loopback
            && host.is_some_and(|h| h.host.is_loopback())
            && forwarded_only_from_loopback(headers);
        Ok(if this_machine {
            Reach::ThisMachine
        } else {
            Reach::Beyond
        })
    }

    /// The request's host, checked: the `Host` header and, for a request target in absolute
    /// form (`GET http://host/path`), its authority, which then counts as the host (RFC 9112
    /// 3.2.2); both must be allowed. `None` for HTTP/1.0 without either.
    fn host(&self, request: &Request, local: Option<IpAddr>) -> Result<Option<Authority>, Refusal> {
        let mut values = request.headers().get_all(header::HOST).iter();
        let header_value = values.next();
        if values.next().is_some() {
            return Err(Refusal::SeveralHosts);
        }
        // Only an absolute target names a host (CONNECT's authority is the tunnel asked for, and
        // `GET greeting` is a malformed path, not a host).
        let target = match request.method() {
            &Method::CONNECT => None,
            _ => request.uri().scheme().and(request.uri().authority()),
        };
        let checked = |bytes: &[u8]| -> Result<Authority, Refusal> {
            let authority = parse_authority(bytes).map_err(|why| Refusal::BadHost {
                host: shown(bytes),
                why,
            })?;
            if !self.hosts.allows(&authority.host, local) {
                return Err(Refusal::HostNotAllowed { host: shown(bytes) });
            }
            Ok(authority)
        };
        let header_host = header_value.map(|v| checked(v.as_bytes())).transpose()?;
        let target_host = target.map(|a| checked(a.as_str().as_bytes())).transpose()?;
        match target_host.or(header_host) {
            Some(host) => Ok(Some(host)),
            None if request.version() <= Version::HTTP_10 => Ok(None),
            None => Err(Refusal::NoHost),
        }
    }

    /// Same origin as the page the request names (its `Host`, or the `X-Forwarded-Host` of a
    /// proxy such as `trunk serve`'s: a browser cannot set that header on a cross-origin
    /// request without a preflight, which lists no such header), or an `--allow-origin` one.
    fn origin_allowed(
        &self,
        origin: &HeaderValue,
        host: Option<&Authority>,
        headers: &HeaderMap,
    ) -> bool {
        if self.origins.contains(origin) {
            return true;
        }
        if host.is_some_and(|h| is_same_origin(origin.as_bytes(), h)) {
            return true;
        }
        let mut forwarded = headers.get_all(&X_FORWARDED_HOST).iter();
        match (forwarded.next(), forwarded.next()) {
            (Some(value), None) => parse_authority(value.as_bytes())
                .is_ok_and(|h| is_same_origin(origin.as_bytes(), &h)),
            _ => false,
        }
    }
}

/// The client's address: the accept loop's `ConnectInfo`, or the `MockConnectInfo` of
/// in-process tests (as axum's `ConnectInfo` extractor reads them).
pub fn peer(request: &Request) -> Option<SocketAddr> {
    let extensions = request.extensions();
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| extensions.get::<MockConnectInfo<SocketAddr>>().map(|m| m.0))
}

/// The playground's API paths (the side channel included).
fn is_api(path: &str) -> bool {
    path == "/playground/api" || path.starts_with("/playground/api/")
}

/// No proxy header names a client or a host beyond this machine (`trunk serve` names
/// `localhost:8080`; a tunnel names its public host or the remote client).
fn forwarded_only_from_loopback(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::FORWARDED) {
        return false;
    }
    let all_loopback = |name: &HeaderName, loopback: fn(&str) -> bool| {
        headers.get_all(name).iter().all(|value| {
            value
                .to_str()
                .is_ok_and(|text| text.split(',').map(str::trim).all(loopback))
        })
    };
    all_loopback(&X_FORWARDED_HOST, |host| {
        parse_authority(host.as_bytes()).is_ok_and(|a| a.host.is_loopback())
    }) && all_loopback(&X_FORWARDED_FOR, ip_is_loopback)
        && all_loopback(&X_REAL_IP, ip_is_loopback)
}

fn ip_is_loopback(text: &str) -> bool {
    let text = text.trim_start_matches('[').trim_end_matches(']');
    text.parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

impl Admission {
    /// The gate, first on every request ([`crate::edge`]): an admitted request gets its
    /// [`Reach`] as an extension; a refused one is answered here, and logged.
    pub fn admit(&self, request: &mut Request) -> Result<(), Response> {
        match self.check(request) {
            Ok(reach) => {
                request.extensions_mut().insert(reach);
                Ok(())
            }
            Err(refusal) => {
                let client = peer(request).map_or_else(|| "-".into(), |peer| peer.to_string());
                tracing::warn!(
                    "refused {} {} from {client}: {} ({})",
                    request.method(),
                    shown(request.uri().path().as_bytes()),
                    refusal.message(),
                    refusal.hint()
                );
                Err(refusal.into_response())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::net::Ipv4Addr;

    fn admission(bound: &str, allow_hosts: &[&str], origins: &[&str]) -> Admission {
        let hosts = AllowedHosts::new(
            bound.parse().unwrap(),
            &allow_hosts
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
        Admission::new(hosts, AllowedOrigins::parse(&origins).unwrap())
    }

    fn request(path: &str, headers: &[(&str, &[u8])], peer: [u8; 4]) -> Request {
        let mut builder = Request::builder().uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, HeaderValue::from_bytes(value).unwrap());
        }
        let mut request = builder.body(Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((Ipv4Addr::from(peer), 40000))));
        request
    }

    const LOOPBACK: [u8; 4] = [127, 0, 0, 1];

    #[test]
    fn refused_values_never_repeat_credentials() {
        assert_eq!(shown(b"cobra:hiss@localhost:5000"), "***@localhost:5000");
        assert_eq!(
            shown(b"http://cobra:hiss@evil.example"),
            "http://***@evil.example"
        );
        assert_eq!(shown(b"a@b@c"), "***@c");
        assert_eq!(shown(b"evil.example"), "evil.example");
        assert_eq!(shown(&[b'a'; 500]).len(), MAX_SHOWN_CHARS);
    }

    #[test]
    fn hosts() {
        let gate = admission("127.0.0.1", &["class.example"], &[]);
        let check = |host: &[u8]| gate.check(&request("/greeting", &[("host", host)], LOOPBACK));
        assert_eq!(check(b"localhost:5000"), Ok(Reach::ThisMachine));
        assert_eq!(check(b"127.0.0.1:5000"), Ok(Reach::ThisMachine));
        assert_eq!(check(b"[::1]:5000"), Ok(Reach::ThisMachine));
        // A tunnel: over loopback, but under another name.
        assert_eq!(check(b"class.example"), Ok(Reach::Beyond));
        assert_eq!(
            check(b"evil.example:5000"),
            Err(Refusal::HostNotAllowed {
                host: "evil.example:5000".into()
            })
        );
        assert!(matches!(
            check(b""),
            Err(Refusal::BadHost {
                why: HostError::Empty,
                ..
            })
        ));
        assert_eq!(
            check(b"cobra:hiss@localhost"),
            Err(Refusal::BadHost {
                host: "***@localhost".into(),
                why: HostError::Credentials,
            })
        );
        assert!(matches!(
            check("b\u{fc}cher.example".as_bytes()),
            Err(Refusal::BadHost {
                why: HostError::NotAscii,
                ..
            })
        ));
        let long = vec![b'a'; 10_000];
        match check(&long) {
            Err(Refusal::BadHost {
                host,
                why: HostError::TooLong,
            }) => {
                assert_eq!(host.len(), MAX_SHOWN_CHARS)
            }
            other => panic!("{other:?}"),
        }
        // No Host on HTTP/1.1, two of them, or one that disagrees with the request target.
        let none = request("/greeting", &[], LOOPBACK);
        assert_eq!(gate.check(&none), Err(Refusal::NoHost));
        let two = request(
            "/greeting",
            &[("host", b"localhost"), ("host", b"localhost")],
            LOOPBACK,
        );
        assert_eq!(gate.check(&two), Err(Refusal::SeveralHosts));
        let absolute = request(
            "http://evil.example/greeting",
            &[("host", b"localhost")],
            LOOPBACK,
        );
        assert!(matches!(
            gate.check(&absolute),
            Err(Refusal::HostNotAllowed { .. })
        ));
        // The target's authority is the host: from a loopback target, this machine.
        let absolute = request(
            "http://localhost/greeting",
            &[("host", b"class.example")],
            LOOPBACK,
        );
        assert_eq!(gate.check(&absolute), Ok(Reach::ThisMachine));
        let mut connect = request("127.0.0.1:80", &[("host", b"localhost")], LOOPBACK);
        *connect.method_mut() = Method::CONNECT;
        assert_eq!(gate.check(&connect), Ok(Reach::ThisMachine));
        let absolute = request("http://evil.example/greeting", &[], LOOPBACK);
        assert!(matches!(
            gate.check(&absolute),
            Err(Refusal::HostNotAllowed { .. })
        ));
        let mut old = request("/greeting", &[], LOOPBACK);
        *old.version_mut() = Version::HTTP_10;
        assert_eq!(gate.check(&old), Ok(Reach::Beyond));
    }

    #[test]
    fn reach() {
        let gate = admission("0.0.0.0", &[], &[]);
        let reach = |headers: &[(&str, &[u8])], peer| gate.check(&request("/", headers, peer));
        let host: (&str, &[u8]) = ("host", b"localhost:5000");
        assert_eq!(reach(&[host], LOOPBACK), Ok(Reach::ThisMachine));
        // Another machine typing "localhost" into a proxy of its own still is not this one.
        assert_eq!(reach(&[host], [192, 168, 1, 7]), Ok(Reach::Beyond));
        // trunk serve's proxy: Host is the backend, X-Forwarded-Host the page's.
        assert_eq!(
            reach(
                &[
                    ("host", b"127.0.0.1"),
                    ("x-forwarded-host", b"localhost:8080")
                ],
                LOOPBACK
            ),
            Ok(Reach::ThisMachine)
        );
        for forwarded in [
            ("x-forwarded-host", b"abc.tunnel.example".as_slice()),
            ("x-forwarded-host", b"localhost, abc.tunnel.example"),
            ("x-forwarded-for", b"203.0.113.9"),
            ("x-forwarded-for", b"127.0.0.1, 203.0.113.9"),
            ("x-forwarded-for", b"garbage"),
            ("x-real-ip", b"203.0.113.9"),
            ("forwarded", b"for=127.0.0.1"),
        ] {
            assert_eq!(
                reach(&[host, forwarded], LOOPBACK),
                Ok(Reach::Beyond),
                "{forwarded:?}"
            );
        }
        assert_eq!(
            reach(&[host, ("x-forwarded-for", b"127.0.0.1, ::1")], LOOPBACK),
            Ok(Reach::ThisMachine)
        );
        // Bound to every address: the address of the connection is a host.
        let mut lan = request("/", &[("host", b"192.168.1.10:5000")], [192, 168, 1, 7]);
        assert!(matches!(
            gate.check(&lan),
            Err(Refusal::HostNotAllowed { .. })
        ));
        lan.extensions_mut()
            .insert(LocalAddr(SocketAddr::from(([192, 168, 1, 10], 5000))));
        assert_eq!(gate.check(&lan), Ok(Reach::Beyond));
        // No client address (never from the accept loop): not this machine.
        let mut unknown = request("/", &[host], LOOPBACK);
        unknown.extensions_mut().remove::<ConnectInfo<SocketAddr>>();
        assert_eq!(gate.check(&unknown), Ok(Reach::Beyond));
    }

    #[test]
    fn origins_on_the_api() {
        let gate = admission("127.0.0.1", &["class.example"], &["http://localhost:8080"]);
        let check = |path: &str, host: &[u8], origin: &[u8]| {
            gate.check(&request(
                path,
                &[("host", host), ("origin", origin)],
                LOOPBACK,
            ))
        };
        let api = "/playground/api/events";
        assert!(check(api, b"localhost:5000", b"http://localhost:5000").is_ok());
        assert!(check(api, b"class.example", b"https://class.example").is_ok());
        assert!(check(api, b"localhost:5000", b"http://localhost:8080").is_ok());
        for origin in [
            b"http://evil.example".as_slice(),
            b"http://localhost:5001",
            b"http://127.0.0.1:5000",
            b"null",
            b"",
            b"http://localhost:8080, http://evil.example",
            "http://b\u{fc}cher.example".as_bytes(),
        ] {
            assert!(
                matches!(
                    check(api, b"localhost:5000", origin),
                    Err(Refusal::OriginNotAllowed { .. })
                ),
                "{origin:?}"
            );
            assert!(
                matches!(
                    check("/playground/api/reset", b"localhost:5000", origin),
                    Err(Refusal::OriginNotAllowed { .. })
                ),
                "{origin:?}"
            );
            // The chapter's endpoint and the page answer any origin (CORS decides what it reads).
            assert!(check("/greeting", b"localhost:5000", origin).is_ok());
            assert!(check("/", b"localhost:5000", origin).is_ok());
        }
        // trunk serve's proxy: the page's origin is the forwarded host's.
        let proxied = request(
            "/playground/api/reset",
            &[
                ("host", b"127.0.0.1"),
                ("x-forwarded-host", b"localhost:8081"),
                ("origin", b"http://localhost:8081"),
            ],
            LOOPBACK,
        );
        assert_eq!(gate.check(&proxied), Ok(Reach::ThisMachine));
    }

    #[tokio::test]
    async fn refusals_answer_json_with_the_flag() {
        use tower::ServiceExt;
        let gate = admission("127.0.0.1", &[], &[]);
        let service = axum::Router::new()
            .fallback(|reach: Option<axum::Extension<Reach>>| async move {
                format!("{:?}", reach.map(|r| r.0))
            })
            .layer(crate::edge::Edge::layer(gate, AllowedOrigins::default()));
        let answer = |request: Request| {
            let service = service.clone();
            async move {
                let response = service.oneshot(request).await.unwrap();
                let status = response.status();
                let body = axum::body::to_bytes(response.into_body(), 10_000)
                    .await
                    .unwrap();
                (status, String::from_utf8(body.to_vec()).unwrap())
            }
        };
        let hint = |body: &str| {
            serde_json::from_str::<serde_json::Value>(body).unwrap()["hint"]
                .as_str()
                .unwrap()
                .to_string()
        };

        let admitted = answer(request("/", &[("host", b"localhost")], LOOPBACK)).await;
        assert_eq!(admitted, (StatusCode::OK, "Some(ThisMachine)".into()));

        let foreign = request("/greeting", &[("host", b"evil.example:5000")], LOOPBACK);
        let (status, body) = answer(foreign).await;
        assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
        assert_eq!(
            hint(&body),
            "start greeting-server with --allow-host evil.example"
        );
        assert!(
            body.contains("\"error\": \"Misdirected Request\""),
            "{body}"
        );

        let cross_site = request(
            "/playground/api/info",
            &[("host", b"localhost"), ("origin", b"http://evil.example")],
            LOOPBACK,
        );
        let (status, body) = answer(cross_site).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            hint(&body),
            "start greeting-server with --allow-origin ORIGIN"
        );
    }
}
