//! The opt-in header pair for a client whose cookie jar lives in a browser page (the page's
//! Python: requests' own jar). A page script can neither send `Cookie` nor read `Set-Cookie`,
//! so such a client sends its Cookie header as `X-Playground-Cookie` (empty when its jar has
//! nothing), with `credentials: "omit"` so that the browser's own jar stays out, and reads the
//! answer's `Set-Cookie` from `X-Playground-Set-Cookie`.
//!
//! Honoured only when asked: a request without `X-Playground-Cookie` is answered exactly as
//! before (ordinary clients get the chapter's response, byte for byte). [`crate::cors`] lets
//! allowed origins send the request header and read the response header.

use crate::http::cookie_header;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use std::borrow::Cow;

pub static CARRIED_COOKIE: HeaderName = HeaderName::from_static("x-playground-cookie");
pub static CARRIED_SET_COOKIE: HeaderName = HeaderName::from_static("x-playground-set-cookie");

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
}
