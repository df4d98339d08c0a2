//! The opt-in header pair for a client whose cookie jar lives in a browser page (the page's
//! Python: requests' own jar). A page script can neither send `Cookie` nor read `Set-Cookie`,
//! so such a client sends its Cookie header as `X-Playground-Cookie` (empty when its jar has
//! nothing), with `credentials: "omit"` so that the browser's own jar stays out, and reads the
//! answer's `Set-Cookie` from `X-Playground-Set-Cookie`. `X-Playground-Header-Names` lists the
//! answer's header names in the order and case they go on the wire (a page's fetch only sees
//! them lowercased and sorted), so the page can give requests the server's own `r.headers`.
//!
//! Honoured only when asked: a request without `X-Playground-Cookie` is answered exactly as
//! before (ordinary clients get the chapter's response, byte for byte). [`crate::cors`] lets
//! allowed origins send the request header and read the response header.

use crate::http::{cookie_header, title_case};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use std::borrow::Cow;

pub static CARRIED_COOKIE: HeaderName = HeaderName::from_static("x-playground-cookie");
pub static CARRIED_SET_COOKIE: HeaderName = HeaderName::from_static("x-playground-set-cookie");
pub static CARRIED_HEADER_NAMES: HeaderName = HeaderName::from_static("x-playground-header-names");

/// Whether the request asks for the pair.
pub fn asked(headers: &HeaderMap) -> bool {
    headers.contains_key(&CARRIED_COOKIE)
}

/// The cookies the request brings: the carried ones when it asks for the pair (its `Cookie`
/// header, if any, is the browser's and ignored), else its `Cookie` header.
pub fn request_cookies(headers: &HeaderMap) -> Option<Cow<'_, str>> {
    if !asked(headers) {
        return cookie_header(headers);
    }
    let carried = headers.get(&CARRIED_COOKIE)?;
    let text = String::from_utf8_lossy(carried.as_bytes());
    (!text.trim().is_empty()).then_some(text)
}

/// Repeats every `Set-Cookie` of `response` as `X-Playground-Set-Cookie` (when asked).
pub fn carry_set_cookie(asked: bool, response: &mut Response) {
    if !asked {
        return;
    }
    let values: Vec<HeaderValue> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    for value in values {
        response
            .headers_mut()
            .append(CARRIED_SET_COOKIE.clone(), value);
    }
}

/// Adds `X-Playground-Header-Names` (when asked): the names of `response`'s headers as hyper
/// writes them (title case, one per value, in the map's order), the pair's own left out. Called
/// by [`crate::edge`] once `Server` and `Date` are in and before any CORS header, so the list is
/// what an ordinary client gets.
pub fn name_headers(asked: bool, response: &mut Response) {
    if !asked {
        return;
    }
    let names: Vec<String> = response
        .headers()
        .iter()
        .map(|(name, _)| name)
        .filter(|name| !name.as_str().starts_with("x-playground-"))
        .map(|name| title_case(name.as_str()))
        .collect();
    if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
        response
            .headers_mut()
            .insert(CARRIED_HEADER_NAMES.clone(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_shared_constants() {
        assert!(CARRIED_COOKIE
            .as_str()
            .eq_ignore_ascii_case(greeting_core::CARRIED_COOKIE));
        assert!(CARRIED_SET_COOKIE
            .as_str()
            .eq_ignore_ascii_case(greeting_core::CARRIED_SET_COOKIE));
        assert!(CARRIED_HEADER_NAMES
            .as_str()
            .eq_ignore_ascii_case(greeting_core::CARRIED_HEADER_NAMES));
    }

    #[test]
    fn carried_cookie_replaces_the_browser_cookie_only_when_asked() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("session=browser"));
        assert_eq!(request_cookies(&h).as_deref(), Some("session=browser"));
        h.insert(CARRIED_COOKIE.clone(), HeaderValue::from_static(""));
        assert_eq!(request_cookies(&h), None);
        h.insert(
            CARRIED_COOKIE.clone(),
            HeaderValue::from_static("session=jar"),
        );
        assert_eq!(request_cookies(&h).as_deref(), Some("session=jar"));
    }

    #[test]
    fn header_names_in_wire_order_only_when_asked() {
        let answer = || {
            let mut response = Response::new(axum::body::Body::empty());
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            h.insert(header::VARY, HeaderValue::from_static("Cookie"));
            h.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
            h.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
            h.insert(header::DATE, HeaderValue::from_static("now"));
            response
        };
        let mut plain = answer();
        name_headers(false, &mut plain);
        assert!(!plain.headers().contains_key(&CARRIED_HEADER_NAMES));
        let mut asked = answer();
        carry_set_cookie(true, &mut asked);
        name_headers(true, &mut asked);
        assert_eq!(
            asked.headers()[&CARRIED_HEADER_NAMES],
            "Content-Type, Vary, Set-Cookie, Set-Cookie, Date"
        );
    }
}
