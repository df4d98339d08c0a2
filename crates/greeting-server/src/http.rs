//! HTTP details shared by the handlers: the chapter's header order, dates, header reading.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use greeting_core::{flask_pretty, Session, SessionIn};
use std::borrow::Cow;
use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

/// The `Server` header: `greeting-server/VERSION` (the chapter's says `Werkzeug/2.0.2 Python/3.8.10`).
pub const SERVER_NAME: &str = concat!("greeting-server/", env!("CARGO_PKG_VERSION"));

/// What a handler tells the exchange reporter beyond the response itself.
#[derive(Debug, Clone, Default)]
pub struct ExchangeFacts {
    pub user: Option<String>,
    pub cookie_in: Option<String>,
    pub cookie_out: Option<String>,
    pub session_in: Option<SessionIn>,
    pub session_out: Option<Session>,
    pub notes: Vec<String>,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `Date`, as an HTTP date (`Wed, 17 Nov 2021 20:42:27 GMT`).
///
/// The text changes once a second, so each worker thread keeps the value of the current second
/// and hands out clones (a reference count), instead of formatting a date for every response.
pub fn http_date() -> HeaderValue {
    thread_local! {
        static CURRENT: RefCell<Option<(u64, HeaderValue)>> = const { RefCell::new(None) };
    }
    let now = SystemTime::now();
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    CURRENT.with(|current| {
        let Ok(mut current) = current.try_borrow_mut() else {
            return format_http_date(now);
        };
        match &*current {
            Some((second, value)) if *second == secs => value.clone(),
            _ => {
                let value = format_http_date(now);
                *current = Some((secs, value.clone()));
                value
            }
        }
    })
}

fn format_http_date(at: SystemTime) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(at))
        .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// Appends `Server` and `Date` when a response lacks them (hyper would add `Date` itself, but at
/// its own place; setting it here keeps the chapter's order).
///
/// Every response passes here up to three times (built, reported, at the edge), so the names are
/// scanned once instead of looked up twice: a response has a handful of headers, and comparing
/// their names costs less than hashing two names for `contains_key`.
pub fn ensure_server_headers(headers: &mut HeaderMap) {
    let (mut server, mut date) = (false, false);
    for name in headers.keys() {
        server |= name == header::SERVER;
        date |= name == header::DATE;
    }
    if !server {
        headers.insert(header::SERVER, HeaderValue::from_static(SERVER_NAME));
    }
    if !date {
        headers.insert(header::DATE, http_date());
    }
}

/// A response whose headers come in the chapter's order: `Content-Type`, `Content-Length`, then
/// `extra` (e.g. `Vary`, `Set-Cookie`), then `Server` and `Date`.
pub fn ordered_response(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: String,
    extra: impl IntoIterator<Item = (HeaderName, HeaderValue)>,
) -> Response {
    let extra = extra.into_iter();
    // Content-Type, Content-Length, Vary, Set-Cookie, Server, Date: room for all without regrowing.
    let mut headers = HeaderMap::with_capacity(6 + extra.size_hint().0);
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    if status != StatusCode::NO_CONTENT {
        // From the digits, copied once: `HeaderValue::from(usize)` writes them into a 20-byte
        // buffer and then allocates again to share it. Digits are always a valid value.
        let mut digits = itoa::Buffer::new();
        if let Ok(length) = HeaderValue::from_str(digits.format(body.len())) {
            headers.insert(header::CONTENT_LENGTH, length);
        }
    }
    // Taken by value: cloning a value made from a String (the Set-Cookie) would allocate.
    for (name, value) in extra {
        headers.append(name, value);
    }
    ensure_server_headers(&mut headers);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// A JSON response formatted like Flask's pretty `jsonify`.
pub fn json_response(
    status: StatusCode,
    value: &serde_json::Value,
    extra: impl IntoIterator<Item = (HeaderName, HeaderValue)>,
) -> Response {
    ordered_response(status, Some("application/json"), flask_pretty(value), extra)
}

/// The first value of a header as text (bytes that are not UTF-8 become U+FFFD, so they can
/// never match anything but are still seen).
pub fn header_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The `Authorization` header as Flask sees it: Werkzeug's server joins repeated headers with
/// `,`, which no Basic credentials survive, so a request carrying two is refused (401) rather
/// than answered for whichever came first.
pub fn authorization_header(headers: &HeaderMap) -> Option<Cow<'_, str>> {
    joined_header(headers, header::AUTHORIZATION, ",")
}

/// All `Cookie` headers joined with `; ` (HTTP/2 clients may split them).
pub fn cookie_header(headers: &HeaderMap) -> Option<Cow<'_, str>> {
    joined_header(headers, header::COOKIE, "; ")
}

/// Every value of a repeated header, joined; `None` when the header is absent. The usual single
/// UTF-8 value is borrowed, not copied.
fn joined_header<'a>(
    headers: &'a HeaderMap,
    name: HeaderName,
    separator: &str,
) -> Option<Cow<'a, str>> {
    let mut values = headers.get_all(name).iter();
    let first = header_str(values.next()?.as_bytes());
    let mut rest = values.peekable();
    if rest.peek().is_none() {
        return Some(first);
    }
    let mut joined = first.into_owned();
    for value in rest {
        joined.push_str(separator);
        joined.push_str(&header_str(value.as_bytes()));
    }
    Some(Cow::Owned(joined))
}

/// A header value as text: borrowed when it is UTF-8 (the usual case, checked by the fast
/// `from_utf8`), with U+FFFD for the bytes that are not otherwise.
fn header_str(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// `content-type` -> `Content-Type`, as the names go on the wire (hyper writes title case here).
pub fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        upper = c == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_case_names() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-playground-exchange"), "X-Playground-Exchange");
        assert_eq!(title_case("www-authenticate"), "Www-Authenticate");
    }

    #[test]
    fn chapter_order() {
        let r = ordered_response(
            StatusCode::OK,
            Some("application/json"),
            "{}\n".into(),
            [(header::VARY, HeaderValue::from_static("Cookie"))],
        );
        let names: Vec<&str> = r.headers().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            ["content-type", "content-length", "vary", "server", "date"]
        );
    }
}
