//! HTTP details shared by the handlers: the chapter's header order, dates, header reading.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use greeting_core::flask_pretty;
use std::borrow::Cow;
use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

/// The `Server` header: `greeting-server/VERSION` (the chapter's says `Werkzeug/2.0.2 Python/3.8.10`).
pub const SERVER_NAME: &str = concat!("greeting-server/", env!("CARGO_PKG_VERSION"));

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

/// `Date`, as an HTTP date (`Wed, 17 Nov 2021 20:42:27 GMT`), formatted once a second on each
/// thread (as hyper does for its own `Date`).
pub fn http_date() -> HeaderValue {
    thread_local! {
        static LAST: RefCell<(u64, HeaderValue)> =
            const { RefCell::new((0, HeaderValue::from_static(EPOCH_DATE))) };
    }
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    LAST.with_borrow_mut(|(kept_secs, kept)| {
        if *kept_secs != secs {
            *kept = HeaderValue::from_str(&httpdate::fmt_http_date(now))
                .unwrap_or(HeaderValue::from_static(EPOCH_DATE));
            *kept_secs = secs;
        }
        kept.clone()
    })
}

const EPOCH_DATE: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

/// Appends `Server` and `Date` when a response lacks them (hyper would add `Date` itself, but at
/// its own place; setting it here keeps the chapter's order).
pub fn ensure_server_headers(headers: &mut HeaderMap) {
    if !headers.contains_key(header::SERVER) {
        headers.insert(header::SERVER, HeaderValue::from_static(SERVER_NAME));
    }
    if !headers.contains_key(header::DATE) {
        headers.insert(header::DATE, http_date());
    }
}

/// Room for the chapter's six response headers and the CORS ones, so the map grows at most once.
const RESPONSE_HEADERS: usize = 12;

/// A response whose headers come in the chapter's order: `Content-Type`, `Content-Length`, then
/// `extra` (e.g. `Vary`, `Set-Cookie`), then `Server` and `Date`.
pub fn ordered_response(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: String,
    extra: impl IntoIterator<Item = (HeaderName, HeaderValue)>,
) -> Response {
    let mut headers = HeaderMap::with_capacity(RESPONSE_HEADERS);
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    if status != StatusCode::NO_CONTENT {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
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

/// Every value of a repeated header, joined; `None` when the header is absent. A single UTF-8
/// value is borrowed (bytes that are not UTF-8 become U+FFFD).
fn joined_header<'a>(
    headers: &'a HeaderMap,
    name: HeaderName,
    separator: &str,
) -> Option<Cow<'a, str>> {
    let mut values = headers.get_all(name).iter();
    let first = String::from_utf8_lossy(values.next()?.as_bytes());
    let mut rest = values.peekable();
    if rest.peek().is_none() {
        return Some(first);
    }
    let mut joined = first.into_owned();
    for value in rest {
        joined.push_str(separator);
        joined.push_str(&String::from_utf8_lossy(value.as_bytes()));
    }
    Some(Cow::Owned(joined))
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
    fn the_kept_date_is_httpdates_of_this_second() {
        // The first call formats, the next ones are served from the kept value.
        for _ in 0..3 {
            let before = SystemTime::now();
            let date = http_date();
            let after = SystemTime::now();
            let formatted = [before, after].map(httpdate::fmt_http_date);
            assert!(formatted.iter().any(|f| date == f.as_str()), "{date:?}");
        }
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
