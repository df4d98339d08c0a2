//! The attribute lab's server side (issue 19), in teaching mode only and to this machine only,
//! as the secret key: the session cookie's attributes switched at run time
//! (`GET`/`POST /playground/api/cookie-attributes`), the layer that writes them into every
//! session `Set-Cookie` the handlers write and reads the `__Host-` name back
//! ([`CookieSettings::write_into`], [`CookieSettings::request_cookies`]), and the 4 KB step
//! (`POST /playground/api/cookie-padding`). With Flask's attributes (the default) each costs
//! one atomic load and changes nothing (no layer: a `from_fn` route layer cost 6,200
//! instructions per `GET /greeting`).

use crate::error::ApiError;
use crate::guard::Reach;
use crate::handlers::{read_json_body, session_of};
use crate::http::{json_response, ordered_response, unix_now};
use crate::jar_pair;
use crate::sessions::Sessions;
use crate::side_channel::ExchangeFacts;
use crate::state::Config;
use arc_swap::ArcSwap;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Extension;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use greeting_core::{
    find_session_cookie, set_cookie_header, CookieAttributes, Expiry, BROWSER_MAX_NAME_VALUE,
    HOST_PREFIXED_NAME, SESSION_COOKIE_NAME, WERKZEUG_MAX_COOKIE_SIZE,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// The most padding one `POST /playground/api/cookie-padding` adds.
pub const MAX_PADDING: usize = 8192;

/// The session cookie's attributes of this moment, shared by the API and the layer.
#[derive(Clone)]
pub struct CookieSettings(Arc<Settings>);

struct Settings {
    /// Anything but Flask's attributes: only then is `current` read.
    custom: AtomicBool,
    current: ArcSwap<CookieAttributes>,
    /// Flask's `PERMANENT_SESSION_LIFETIME` (`--max-age`), for a permanent session's `Expires`.
    lifetime_secs: u64,
}

impl CookieSettings {
    /// Flask's attributes, with `lifetime_secs` for a permanent session.
    pub fn new(lifetime_secs: u64) -> CookieSettings {
        CookieSettings(Arc::new(Settings {
            custom: AtomicBool::new(false),
            current: ArcSwap::from_pointee(CookieAttributes::default()),
            lifetime_secs,
        }))
    }

    /// The attributes when they are not Flask's own.
    pub fn custom(&self) -> Option<Arc<CookieAttributes>> {
        self.0
            .custom
            .load(Ordering::Acquire)
            .then(|| self.0.current.load_full())
    }

    /// The attributes of this moment.
    pub fn current(&self) -> Arc<CookieAttributes> {
        self.0.current.load_full()
    }

    /// Puts `new` in place and returns the attributes it replaced.
    pub fn replace(&self, new: CookieAttributes) -> Arc<CookieAttributes> {
        let custom = !new.is_default();
        let old = self.0.current.swap(Arc::new(new));
        self.0.custom.store(custom, Ordering::Release);
        old
    }

    /// The `Set-Cookie` value these attributes give the session cookie `value` at `now`.
    pub fn written(&self, attributes: &CookieAttributes, value: &str, now: u64) -> String {
        self.write(attributes, value, now, true, None)
    }

    /// `value` with `attributes`: the lab's lifetime when it sets one, else `own_expires`.
    fn write(
        &self,
        attributes: &CookieAttributes,
        value: &str,
        now: u64,
        http_only: bool,
        own_expires: Option<&str>,
    ) -> String {
        match (attributes.lifetime(self.0.lifetime_secs), own_expires) {
            (Some((secs, max_age)), _) => attributes.set_cookie(
                value,
                Expiry::At {
                    expires: &http_date_at(now.saturating_add(secs)),
                    max_age,
                },
                http_only,
            ),
            (None, Some(expires)) => attributes.set_cookie(
                value,
                Expiry::At {
                    expires,
                    max_age: None,
                },
                http_only,
            ),
            (None, None) => attributes.set_cookie(value, Expiry::Session, http_only),
        }
    }

    /// One of a response's `Set-Cookie` values rewritten with `attributes`: only the `session`
    /// cookie's, keeping its value, whether it deletes the cookie, whether it is `HttpOnly`,
    /// and (with no lifetime of the lab's) its own `Expires` (Flask-Session's permanent one).
    fn rewrite(&self, attributes: &CookieAttributes, set_cookie: &str, now: u64) -> Option<String> {
        let mut parts = set_cookie.split(';').map(str::trim);
        let (name, value) = parts.next()?.split_once('=')?;
        if name != SESSION_COOKIE_NAME {
            return None;
        }
        let mut deleted = false;
        let mut http_only = false;
        let mut expires = None;
        for part in parts {
            let (key, val) = part.split_once('=').unwrap_or((part, ""));
            if key.eq_ignore_ascii_case("max-age") && val.trim() == "0" {
                deleted = true;
            } else if key.eq_ignore_ascii_case("httponly") {
                http_only = true;
            } else if key.eq_ignore_ascii_case("expires") {
                expires = Some(val.trim());
            }
        }
        Some(if deleted {
            attributes.set_cookie("", Expiry::Deleted, http_only)
        } else {
            self.write(attributes, value, now, http_only, expires)
        })
    }
}

fn http_date_at(secs: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs))
}

impl CookieSettings {
    /// The cookies a request brings ([`jar_pair::request_cookies`]) as the session code reads
    /// them: with the `__Host-` prefix on, `__Host-session` is the session and a plain `session`
    /// is not (Flask, with the new name, looks for that one only).
    pub fn request_cookies<'a>(&self, headers: &'a HeaderMap) -> Option<Cow<'a, str>> {
        self.prefixed(jar_pair::request_cookies(headers))
    }

    /// The request's own `Cookie` header read the same way (reset and plant read that one).
    pub fn cookie_header<'a>(&self, headers: &'a HeaderMap) -> Option<Cow<'a, str>> {
        self.prefixed(crate::http::cookie_header(headers))
    }

    fn prefixed<'a>(&self, cookies: Option<Cow<'a, str>>) -> Option<Cow<'a, str>> {
        match self.custom() {
            Some(attributes) if attributes.host_prefix => {
                cookies.and_then(|c| renamed(&c)).map(Cow::Owned)
            }
            _ => cookies,
        }
    }

    /// Writes every `session` `Set-Cookie` of `response` with the attributes (call it before
    /// [`jar_pair::carry_set_cookie`], so the copies carry them too). With Flask's attributes
    /// it reads one atomic flag and returns.
    pub fn write_into(&self, response: &mut Response) {
        let Some(attributes) = self.custom() else {
            return;
        };
        let now = unix_now();
        let headers = response.headers_mut();
        let rewritten: Vec<HeaderValue> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|value| {
                value
                    .to_str()
                    .ok()
                    .and_then(|text| self.rewrite(&attributes, text, now))
                    .and_then(|text| HeaderValue::from_str(&text).ok())
                    .unwrap_or_else(|| value.clone())
            })
            .collect();
        if rewritten.is_empty() {
            return;
        }
        headers.remove(header::SET_COOKIE);
        for value in rewritten {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

/// A `Cookie` header with `__Host-session=V` as `session=V` and any plain `session` pair left
/// out; `None` when nothing is left.
fn renamed(cookies: &str) -> Option<String> {
    let pairs: Vec<String> = cookies
        .split(';')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| match pair.split_once('=') {
            Some((n, _)) if n.trim() == SESSION_COOKIE_NAME => None,
            Some((n, v)) if n.trim() == HOST_PREFIXED_NAME => {
                Some(format!("{SESSION_COOKIE_NAME}={v}"))
            }
            _ => Some(pair.to_string()),
        })
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

/// Refused unless teaching mode and a request from this machine, like the secret key.
fn teaching_here(config: &Config, reach: Option<Extension<Reach>>) -> Result<(), ApiError> {
    let here = reach.is_some_and(|Extension(r)| r == Reach::ThisMachine);
    if config.teaching && here {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            message: "The cookie attributes and the cookie's size can be changed only in teaching mode, from this machine (as the secret key is shown only there).".into(),
        })
    }
}

/// The lab's view of the attributes: them, the cookie's name and a `Set-Cookie` they give now.
fn described(settings: &CookieSettings, attributes: &CookieAttributes) -> Value {
    json!({
        "attributes": attributes,
        "cookie_name": attributes.cookie_name(),
        "set_cookie": settings.written(attributes, "PAYLOAD.TIMESTAMP.SIGNATURE", unix_now()),
        "lifetime_secs": settings.0.lifetime_secs,
        "werkzeug_max_cookie_size": WERKZEUG_MAX_COOKIE_SIZE,
        "browser_max_name_value": BROWSER_MAX_NAME_VALUE,
    })
}

/// `GET /playground/api/cookie-attributes`: the attributes of this moment.
pub async fn get_attributes(
    State(config): State<Arc<Config>>,
    State(settings): State<CookieSettings>,
    reach: Option<Extension<Reach>>,
) -> Result<Response, ApiError> {
    teaching_here(&config, reach)?;
    Ok(json_response(
        StatusCode::OK,
        &described(&settings, &settings.current()),
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    ))
}

/// `POST /playground/api/cookie-attributes` with the attributes as JSON (a field left out is
/// Flask's; `{}` is Flask's cookie again): 200 and the new attributes described, plus a
/// `Set-Cookie` deleting the session cookie set under the previous ones (so each change starts
/// from no cookie, and none is left behind under an old `Path` or `Domain`).
pub async fn set_attributes(
    State(config): State<Arc<Config>>,
    State(settings): State<CookieSettings>,
    reach: Option<Extension<Reach>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    teaching_here(&config, reach)?;
    let body = read_json_body(body, &headers, config.read_timeout).await?;
    let wanted: CookieAttributes =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
            message: format!(
                "Expected the cookie attributes as JSON, e.g. {{\"same_site\": \"Lax\", \"secure\": false, \"domain\": null, \"path\": \"/\", \"permanent\": false, \"max_age\": null, \"host_prefix\": false}}: {e}"
            ),
        })?;
    let wanted = wanted.checked().map_err(|e| ApiError::BadRequest {
        message: format!("Cannot set those attributes: {e}."),
    })?;
    let described = described(&settings, &wanted);
    let old = settings.replace(wanted.clone());
    let mut extra = vec![(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    if *old != wanted {
        let forget = old.set_cookie("", Expiry::Deleted, true);
        if let Ok(value) = HeaderValue::from_str(&forget) {
            extra.push((header::SET_COOKIE, value));
        }
    }
    Ok(json_response(StatusCode::OK, &described, extra))
}

/// The body of `POST /playground/api/cookie-padding`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaddingRequest {
    bytes: usize,
}

/// Werkzeug's warning for a `Set-Cookie` value over [`WERKZEUG_MAX_COOKIE_SIZE`], word for word.
pub fn werkzeug_warning(name: &str, value_len: usize, header_len: usize) -> Option<String> {
    (header_len > WERKZEUG_MAX_COOKIE_SIZE).then(|| {
        format!(
            "The '{name}' cookie is too large: the value was {value_len} bytes but the header required {} extra bytes. The final size was {header_len} bytes but the limit is {WERKZEUG_MAX_COOKIE_SIZE} bytes. Browsers may silently ignore cookies larger than this.",
            header_len - value_len
        )
    })
}

/// `POST /playground/api/cookie-padding` with `{"bytes": N}`: the request's verified session
/// with `padding` set to N random characters (64 kinds, so zlib cannot shorten them and the
/// cookie grows by about N bytes), signed, as the new session cookie. The answer says how
/// large the cookie is, whether a browser keeps it (name and value at most 4096 bytes) and
/// Werkzeug's warning; the greeting keeps the padding (it keeps a session's other keys).
pub async fn pad(
    State(config): State<Arc<Config>>,
    State(settings): State<CookieSettings>,
    State(sessions): State<Sessions>,
    reach: Option<Extension<Reach>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    teaching_here(&config, reach)?;
    if !matches!(sessions, Sessions::Cookie) {
        return Err(ApiError::BadRequest {
            message: "With --sessions server the cookie holds only the session's id: growing the session grows the store's entry, not the cookie. Start the server with --sessions cookie for the size step.".into(),
        });
    }
    let body = read_json_body(body, &headers, config.read_timeout).await?;
    let request: PaddingRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
            message: format!("Expected {{\"bytes\": N}} with N from 0 to {MAX_PADDING}: {e}"),
        })?;
    if request.bytes > MAX_PADDING {
        return Err(ApiError::BadRequest {
            message: format!(
                "{} bytes of padding is more than this lab adds ({MAX_PADDING}).",
                request.bytes
            ),
        });
    }
    let cookies = settings.request_cookies(&headers);
    let cookie_in = find_session_cookie(cookies.as_deref()).value;
    let now = unix_now();
    let greeter = &config.greeter;
    let opened = cookie_in.as_deref().and_then(|cookie| {
        flask_cookie::with_keyring(&greeter.keys, |keys| {
            keys.open(cookie, now, greeter.max_age_secs)
        })
        .ok()
    });
    let Some(mut session) = opened.map(|o| o.session) else {
        return Err(ApiError::BadRequest {
            message: "No valid session cookie came with this request: send a greeting first, then grow its session.".into(),
        });
    };
    session.insert("padding".into(), Value::String(padding(request.bytes)?));
    let cookie = flask_cookie::with_keyring(&greeter.keys, |keys| {
        keys.sign(&Value::Object(session.clone()), now)
    })
    .map_err(|e| ApiError::BadRequest {
        message: format!("The session could not be signed: {e}"),
    })?;
    let attributes = settings.current();
    let name = attributes.cookie_name();
    let written = settings.written(&attributes, &cookie, now);
    let name_value = name.len() + 1 + cookie.len();
    let kept = name_value <= BROWSER_MAX_NAME_VALUE;
    let warning = werkzeug_warning(name, cookie.len(), written.len());
    let body = json!({
        "cookie_bytes": name_value,
        "set_cookie_bytes": written.len(),
        "browser_keeps": kept,
        "browser_max_name_value": BROWSER_MAX_NAME_VALUE,
        "werkzeug_max_cookie_size": WERKZEUG_MAX_COOKIE_SIZE,
        "werkzeug_warning": warning,
    });
    let set_cookie =
        HeaderValue::from_str(&set_cookie_header(&cookie)).map_err(|_| ApiError::BadRequest {
            message: "The padded cookie cannot be sent.".into(),
        })?;
    let mut response = ordered_response(
        StatusCode::OK,
        Some("application/json"),
        greeting_core::flask_pretty(&body),
        [(header::SET_COOKIE, set_cookie)],
    );
    let session_out = session_of(&session);
    let fate = if kept {
        "a browser keeps it"
    } else {
        "over the 4096 bytes a browser keeps: it drops this cookie silently and keeps the one it had"
    };
    response.extensions_mut().insert(ExchangeFacts {
        cookie_in,
        cookie_out: Some(cookie),
        session_out,
        notes: vec![format!(
            "Padded the session with {} bytes: the cookie is {name_value} bytes (name and value), {fate}.",
            request.bytes
        )],
        ..ExchangeFacts::default()
    });
    settings.write_into(&mut response);
    jar_pair::carry_set_cookie(jar_pair::asked(&headers), &mut response);
    Ok(response)
}

/// `len` random characters of base64url's alphabet.
fn padding(len: usize) -> Result<String, ApiError> {
    let mut bytes = vec![0u8; len.div_ceil(4) * 3];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Unavailable {
        message: format!("No randomness for the padding: {e}"),
    })?;
    let mut text = URL_SAFE_NO_PAD.encode(bytes);
    text.truncate(len);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use greeting_core::{SameSite, EXPIRE_SESSION_COOKIE};

    fn lab() -> CookieAttributes {
        CookieAttributes {
            same_site: Some(SameSite::Strict),
            secure: true,
            path: "/greeting".into(),
            ..CookieAttributes::default()
        }
    }

    #[test]
    fn rewrites_only_the_session_cookie_keeping_what_it_says() {
        let s = CookieSettings::new(100);
        let a = lab();
        assert_eq!(
            s.rewrite(&a, "session=v; HttpOnly; Path=/", 0).as_deref(),
            Some("session=v; Secure; HttpOnly; Path=/greeting; SameSite=Strict")
        );
        assert_eq!(
            s.rewrite(&a, EXPIRE_SESSION_COOKIE, 0).as_deref(),
            Some("session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly; Path=/greeting; SameSite=Strict")
        );
        // Flask-Session's: its own Expires, no HttpOnly on its deletion.
        assert_eq!(
            s.rewrite(&a, "session=id; Expires=Fri, 01 Jan 2027 19:42:42 GMT; HttpOnly; Path=/", 0)
                .as_deref(),
            Some("session=id; Expires=Fri, 01 Jan 2027 19:42:42 GMT; Secure; HttpOnly; Path=/greeting; SameSite=Strict")
        );
        assert_eq!(
            s.rewrite(&a, "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/", 0)
                .as_deref(),
            Some("session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; Path=/greeting; SameSite=Strict")
        );
        assert_eq!(s.rewrite(&a, "other=v; Path=/", 0), None);
        let p = CookieAttributes {
            permanent: true,
            host_prefix: true,
            ..lab()
        };
        assert_eq!(
            s.rewrite(&p, "session=v; HttpOnly; Path=/", 0).as_deref(),
            Some("__Host-session=v; Expires=Thu, 01 Jan 1970 00:01:40 GMT; Secure; HttpOnly; Path=/greeting; SameSite=Strict")
        );
    }

    #[test]
    fn flasks_attributes_are_not_custom() {
        let s = CookieSettings::new(100);
        assert!(s.custom().is_none());
        s.replace(lab());
        assert_eq!(s.custom().as_deref(), Some(&lab()));
        assert_eq!(*s.replace(CookieAttributes::default()), lab());
        assert!(s.custom().is_none());
    }

    #[test]
    fn the_prefixed_name_is_read_as_the_session() {
        assert_eq!(
            renamed("a=1; session=old; __Host-session=new").as_deref(),
            Some("a=1; session=new")
        );
        assert_eq!(renamed("session=old"), None);
        let s = CookieSettings::new(100);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("session=old; __Host-session=new"),
        );
        assert_eq!(
            s.cookie_header(&h).as_deref(),
            Some("session=old; __Host-session=new")
        );
        s.replace(CookieAttributes {
            host_prefix: true,
            ..CookieAttributes::default()
        });
        assert_eq!(s.cookie_header(&h).as_deref(), Some("session=new"));
        assert_eq!(s.request_cookies(&h).as_deref(), Some("session=new"));
    }

    #[test]
    fn werkzeugs_warning_word_for_word() {
        assert_eq!(werkzeug_warning("session", 4000, 4093), None);
        assert_eq!(
            werkzeug_warning("session", 4080, 4104).as_deref(),
            Some("The 'session' cookie is too large: the value was 4080 bytes but the header required 24 extra bytes. The final size was 4104 bytes but the limit is 4093 bytes. Browsers may silently ignore cookies larger than this.")
        );
        let p = padding(300).unwrap();
        assert_eq!(p.len(), 300);
        assert!(p
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
