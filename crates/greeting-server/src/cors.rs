//! CORS for the exact origins given with `--allow-origin`, with credentials.
//!
//! A page on another origin (e.g. Trunk's dev server on :8080) calls `/greeting` with
//! `credentials: "include"` and an `Authorization` header, so the browser first sends a
//! preflight `OPTIONS` without credentials: it is answered 204 here, before any auth, listing
//! `Authorization` and `X-Playground-Exchange` explicitly (a wildcard does not cover
//! `Authorization`, and with credentials no wildcard counts at all). A request from any other
//! origin gets no CORS headers, so the browser keeps the response from that page.
//!
//! Applied to every response by [`crate::edge`].

use crate::http::ordered_response;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use std::sync::Arc;

pub const ALLOW_METHODS: &str = "GET, POST";
pub const ALLOW_HEADERS: &str =
    "Authorization, X-Playground-Exchange, X-Playground-Page, X-Playground-Cookie, Content-Type";
/// Response headers a cross-origin page may read besides the safelisted ones (`Set-Cookie`
/// is never readable by a script, whatever the server says).
pub const EXPOSE_HEADERS: &str =
    "Date, Server, Vary, X-Playground-Set-Cookie, X-Playground-Header-Names";

/// Checks an `--allow-origin` value: `scheme://host[:port]`, no path, no wildcard.
pub fn parse_origin(origin: &str) -> Result<HeaderValue, String> {
    let trimmed = origin.trim().trim_end_matches('/');
    let valid = trimmed == "null"
        || match trimmed.split_once("://") {
            Some((scheme, rest)) => {
                !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                    && !rest.is_empty()
                    && !rest.contains(['/', '*', '?', '#', ' ', ','])
            }
            None => false,
        };
    if !valid {
        return Err(format!(
            "--allow-origin {origin:?}: give an exact origin like http://localhost:8080 (no path, no wildcard)"
        ));
    }
    HeaderValue::from_str(trimmed)
        .map_err(|_| format!("--allow-origin {origin:?}: not a valid header value"))
}

/// The origins given with `--allow-origin`, checked at start.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(Arc<[HeaderValue]>);

impl AllowedOrigins {
    /// Every `--allow-origin` value checked by [`parse_origin`].
    pub fn parse(origins: &[String]) -> Result<AllowedOrigins, String> {
        let origins = origins
            .iter()
            .map(|origin| parse_origin(origin))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AllowedOrigins(origins.into()))
    }

    /// Whether `origin` is one of these.
    pub fn contains(&self, origin: &HeaderValue) -> bool {
        self.0.contains(origin)
    }

    /// The request's `Origin` when it is one of these (`None` for any other origin, or none):
    /// the origin to answer to.
    pub fn of(&self, request: &Request) -> Option<HeaderValue> {
        let origin = request.headers().get(header::ORIGIN)?;
        self.0.contains(origin).then(|| origin.clone())
    }
}

/// A preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here, before any
/// route or auth.
pub fn is_preflight(request: &Request) -> bool {
    request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// 204 to a preflight from an allowed origin.
pub fn preflight_response(origin: HeaderValue) -> Response {
    ordered_response(
        StatusCode::NO_CONTENT,
        None,
        String::new(),
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin),
            (
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOW_METHODS),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            ),
            (
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            ),
            (header::VARY, HeaderValue::from_static("Origin")),
        ],
    )
}

/// The CORS headers on an answer to an allowed origin.
pub fn allow(response: &mut Response, origin: HeaderValue) {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_allowed_origins_are_answered() {
        let allowed = AllowedOrigins::parse(&["http://localhost:8080/".into()]).unwrap();
        let from = |origin: Option<&str>| {
            let mut request = Request::new(axum::body::Body::empty());
            if let Some(origin) = origin {
                request
                    .headers_mut()
                    .insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            }
            allowed.of(&request)
        };
        assert_eq!(
            from(Some("http://localhost:8080"))
                .as_ref()
                .map(|o| o.to_str().unwrap()),
            Some("http://localhost:8080")
        );
        assert_eq!(from(Some("http://localhost:8081")), None);
        assert_eq!(from(None), None);
        assert!(AllowedOrigins::parse(&["*".into()]).is_err());
    }

    #[test]
    fn origins() {
        assert_eq!(
            parse_origin("http://localhost:8080").unwrap(),
            "http://localhost:8080"
        );
        assert_eq!(
            parse_origin("http://localhost:8080/").unwrap(),
            "http://localhost:8080"
        );
        assert!(parse_origin("null").is_ok());
        for bad in [
            "*",
            "localhost:8080",
            "http://",
            "http://a/b",
            "http://*.example.com",
            "://x",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
