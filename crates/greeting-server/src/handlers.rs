//! The handlers. Each reads like the protocol it serves; the rules themselves live in
//! `greeting_core`, so the page's simulated server runs the same code.

use crate::attributes::CookieSettings;
use crate::error::ApiError;
use crate::guard::Reach;
use crate::http::{authorization_header, cookie_header, json_response, ordered_response, unix_now};
use crate::jar_pair;
use crate::sessions::{Sessions, SessionsError};
use crate::side_channel::ExchangeFacts;
use crate::state::{Config, ServerInfos};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Extension;
use greeting_core::{
    find_session_cookie, parse_cookie_header, set_cookie_header, validate_planted_cookie,
    EntryAfter, GreetingOutcome, Session, UserOutcome, EXPIRE_SESSION_COOKIE,
};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The largest request body read (plant, and the attribute lab's two `POST`s).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// `GET /greeting`: Basic auth in, the visit counter in the session (the cookie, or the
/// server's store with `--sessions server`). With `X-Playground-Cookie` the cookies travel in
/// the opt-in pair instead ([`jar_pair`]).
pub async fn greeting(
    State(config): State<Arc<Config>>,
    State(sessions): State<Sessions>,
    State(attributes): State<CookieSettings>,
    request: Request,
) -> Result<Response, ApiError> {
    let headers = request.headers();
    let authorization = authorization_header(headers);
    let cookies = attributes.request_cookies(headers);
    let outcome = sessions
        .greet(
            &config.greeter,
            authorization.as_deref(),
            cookies.as_deref(),
            unix_now(),
        )
        .await
        .map_err(store_unavailable)?;
    let mut response = Greeting {
        outcome,
        www_authenticate: config.www_authenticate,
    }
    .into_response();
    attributes.write_into(&mut response);
    jar_pair::carry_set_cookie(jar_pair::asked(headers), &mut response);
    Ok(response)
}

/// `POST /logout`: ends the session. With `--sessions server` its entry is deleted from the
/// store; in both modes the browser is asked to forget its cookie (in cookie mode a copy of the
/// old cookie still works until it expires: the lesson).
pub async fn logout(
    State(sessions): State<Sessions>,
    State(attributes): State<CookieSettings>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let outcome = sessions
        .logout(attributes.request_cookies(&headers).as_deref())
        .await
        .map_err(store_unavailable)?;
    let mut response = json_response(
        StatusCode::OK,
        &serde_json::json!({ "message": outcome.message }),
        [(
            header::SET_COOKIE,
            HeaderValue::from_static(outcome.set_cookie),
        )],
    );
    response.extensions_mut().insert(ExchangeFacts {
        cookie_in: outcome.cookie_in,
        cookie_out: Some(String::new()),
        notes: vec![outcome.message],
        store_entry: outcome.deleted.map(|id| EntryAfter {
            id,
            data: None,
            ttl_secs: None,
        }),
        ..ExchangeFacts::default()
    });
    attributes.write_into(&mut response);
    jar_pair::carry_set_cookie(jar_pair::asked(&headers), &mut response);
    Ok(response)
}

fn store_unavailable(e: SessionsError) -> ApiError {
    tracing::warn!("session store: {e}");
    ApiError::StoreUnavailable {
        message: e.to_string(),
    }
}

/// `GET /user`: the authenticated user's record.
pub async fn user(
    State(config): State<Arc<Config>>,
    State(attributes): State<CookieSettings>,
    request: Request,
) -> Response {
    let headers = request.headers();
    let authorization = authorization_header(headers);
    let outcome = config.greeter.user(authorization.as_deref());
    let cookie_in = find_session_cookie(attributes.request_cookies(headers).as_deref()).value;
    UserResponse {
        outcome,
        cookie_in,
        www_authenticate: config.www_authenticate,
    }
    .into_response()
}

/// `POST /playground/api/reset`: 204 and the `session` cookie expired.
pub async fn reset(State(attributes): State<CookieSettings>, headers: HeaderMap) -> Response {
    let mut response = ordered_response(
        StatusCode::NO_CONTENT,
        None,
        String::new(),
        [(
            header::SET_COOKIE,
            HeaderValue::from_static(EXPIRE_SESSION_COOKIE),
        )],
    );
    response.extensions_mut().insert(ExchangeFacts {
        cookie_in: find_session_cookie(attributes.cookie_header(&headers).as_deref()).value,
        cookie_out: Some(String::new()),
        notes: vec!["The session cookie was expired: the browser forgets it.".into()],
        ..ExchangeFacts::default()
    });
    attributes.write_into(&mut response);
    response
}

/// The body of `POST /playground/api/plant`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlantRequest {
    cookie: String,
}

/// `POST /playground/api/plant` with `{"cookie": "PAYLOAD.TIMESTAMP.SIGNATURE"}`: 204 and that
/// value set as the `session` cookie (a page script cannot write an HttpOnly cookie itself).
/// The value must be a well-formed session cookie; it need not verify (forging is the lesson).
pub async fn plant(
    State(config): State<Arc<Config>>,
    State(attributes): State<CookieSettings>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_json_body(body, &headers, config.read_timeout).await?;
    let request: PlantRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
            message: format!("Expected {{\"cookie\": \"PAYLOAD.TIMESTAMP.SIGNATURE\"}}: {e}"),
        })?;
    let decoded = validate_planted_cookie(&request.cookie).map_err(|e| ApiError::BadRequest {
        message: format!("Cannot plant that cookie: {e}"),
    })?;
    let set_cookie = HeaderValue::from_str(&set_cookie_header(&request.cookie)).map_err(|_| {
        ApiError::BadRequest {
            message: "Cannot plant that cookie.".into(),
        }
    })?;

    let session_out = decoded.value.as_object().and_then(session_of);
    let mut response = ordered_response(
        StatusCode::NO_CONTENT,
        None,
        String::new(),
        [(header::SET_COOKIE, set_cookie)],
    );
    response.extensions_mut().insert(ExchangeFacts {
        cookie_in: find_session_cookie(attributes.cookie_header(&headers).as_deref()).value,
        cookie_out: Some(request.cookie),
        session_out,
        notes: vec![
            "Planted: the browser now holds this session cookie (it was not verified).".into(),
        ],
        ..ExchangeFacts::default()
    });
    attributes.write_into(&mut response);
    Ok(response)
}

/// The greeting's part of a session (its user name and visit count), when it has both.
pub(crate) fn session_of(data: &serde_json::Map<String, Value>) -> Option<Session> {
    Some(Session {
        username: data.get("username")?.as_str()?.to_string(),
        visit: data.get("visit")?.as_u64()?,
    })
}

/// [`read_body`] of a request that must say its body is JSON (else 415).
pub(crate) async fn read_json_body(
    body: Body,
    headers: &HeaderMap,
    limit: Duration,
) -> Result<Bytes, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false);
    if !is_json {
        return Err(ApiError::UnsupportedMediaType {
            expected: "JSON (Content-Type: application/json)",
        });
    }
    read_body(body, headers, limit).await
}

/// Reads a request body of at most [`MAX_BODY_BYTES`] within `limit`: a client that announces
/// more gets 413 at once, one that stalls gets 408 (and hyper closes the connection), so a
/// slow or hung client cannot hold a connection open.
async fn read_body(body: Body, headers: &HeaderMap, limit: Duration) -> Result<Bytes, ApiError> {
    let too_large = ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large);
    }
    match tokio::time::timeout(limit, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Err(_) => Err(ApiError::RequestTimeout {
            secs: limit.as_secs(),
        }),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            let limited = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            if limited {
                Err(too_large)
            } else {
                Err(ApiError::BadRequest {
                    message: format!("The request body could not be read: {e}"),
                })
            }
        }
    }
}

/// `GET /playground/api/info`: the key only to a request from this machine in teaching mode.
pub async fn info(
    State(infos): State<Arc<ServerInfos>>,
    reach: Option<Extension<Reach>>,
) -> Response {
    let reach = reach.map_or(Reach::Beyond, |Extension(reach)| reach);
    json_response(
        StatusCode::OK,
        &serde_json::to_value(infos.of(reach)).unwrap_or(Value::Null),
        [],
    )
}

/// `GET /playground/api/cookies`: every cookie of the request's `Cookie` header as JSON, like
/// httpbin's `/cookies`: `{"cookies": {"session": "VALUE"}}`, `{"cookies": {}}` without any (the
/// first value of a repeated name, as Flask's `request.cookies` gives it). `no-store`: the
/// answer is the jar of this moment. Lets the page learn the HttpOnly session cookie its
/// browser holds, e.g. after a reload.
pub async fn cookies(headers: HeaderMap) -> Response {
    let mut jar = serde_json::Map::new();
    if let Some(header) = cookie_header(&headers) {
        for (name, value) in parse_cookie_header(&header) {
            jar.entry(name).or_insert(Value::String(value));
        }
    }
    json_response(
        StatusCode::OK,
        &serde_json::json!({ "cookies": jar }),
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
}

/// Any unknown path.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound {
        path: uri.path().chars().take(200).collect(),
    }
}

/// The methods a path answers: the 405 fallback and the plain `OPTIONS` answer.
#[derive(Clone, Copy)]
pub struct MethodsAllowed(pub &'static str);

impl MethodsAllowed {
    /// `methods` with the plain `OPTIONS` answer and the 405 for every other method.
    pub fn around<S: Clone + Send + Sync + 'static>(
        self,
        methods: MethodRouter<S>,
    ) -> MethodRouter<S> {
        methods.options(self.options()).fallback(self.fallback())
    }

    /// 405 with `Allow`.
    fn fallback(self) -> impl Fn() -> std::future::Ready<ApiError> + Clone + Send + Sync + 'static {
        move || std::future::ready(ApiError::MethodNotAllowed { allow: self.0 })
    }

    /// 204 with `Allow` (a CORS preflight from an allowed origin is answered before this).
    fn options(self) -> impl Fn() -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
        move || {
            std::future::ready(ordered_response(
                StatusCode::NO_CONTENT,
                None,
                String::new(),
                [(header::ALLOW, HeaderValue::from_static(self.0))],
            ))
        }
    }
}

/// The response to `GET /greeting`, headers in the chapter's order.
struct Greeting {
    outcome: GreetingOutcome,
    www_authenticate: bool,
}

fn www_authenticate_header() -> (HeaderName, HeaderValue) {
    (
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"greeting\""),
    )
}

impl IntoResponse for Greeting {
    fn into_response(self) -> Response {
        let mut o = self.outcome;
        let body = std::mem::take(&mut o.body);
        let challenge = (o.status != 200 && self.www_authenticate).then(www_authenticate_header);
        let extra = o
            .session_header_values()
            .filter_map(|(name, value)| session_header(name, value))
            .chain(challenge);
        let status = StatusCode::from_u16(o.status).unwrap_or(StatusCode::UNAUTHORIZED);
        let mut response = ordered_response(status, Some("application/json"), body, extra);
        response.extensions_mut().insert(ExchangeFacts {
            user: o.user,
            cookie_in: o.cookie_in,
            cookie_out: o.cookie_out,
            session_in: Some(o.session_in),
            session_out: o.session_out,
            notes: o.notes,
            store_entry: o.store_entry,
        });
        response
    }
}

/// One of `GreetingOutcome::session_header_values` as a header.
fn session_header(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    Some((
        HeaderName::from_bytes(name.as_bytes()).ok()?,
        HeaderValue::from_str(value).ok()?,
    ))
}

/// The response to `GET /user`.
struct UserResponse {
    outcome: UserOutcome,
    cookie_in: Option<String>,
    www_authenticate: bool,
}

impl IntoResponse for UserResponse {
    fn into_response(self) -> Response {
        let o = self.outcome;
        let mut extra = Vec::new();
        if o.status != 200 && self.www_authenticate {
            extra.push(www_authenticate_header());
        }
        let status = StatusCode::from_u16(o.status).unwrap_or(StatusCode::UNAUTHORIZED);
        let mut response = ordered_response(status, Some("application/json"), o.body, extra);
        response.extensions_mut().insert(ExchangeFacts {
            user: o.user,
            cookie_in: self.cookie_in,
            notes: o.notes,
            ..ExchangeFacts::default()
        });
        response
    }
}
