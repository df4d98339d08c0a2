//! The answers for requests the server refuses: JSON bodies, 4xx statuses; a 503 only when
//! the session store (`--session-store redis://...`) cannot be reached.

use crate::http::json_response;
use crate::side_channel::ExchangeFacts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A request the server refuses, and why.
#[derive(Debug)]
pub enum ApiError {
    /// No such path.
    NotFound { path: String },
    /// The path exists, the method doesn't; `allow` lists the methods that do.
    MethodNotAllowed { allow: &'static str },
    /// The request is understood but not acceptable (e.g. a planted cookie that isn't one).
    BadRequest { message: String },
    /// The body has the wrong media type.
    UnsupportedMediaType { expected: &'static str },
    /// The body is larger than the server reads.
    PayloadTooLarge { limit: usize },
    /// The client stopped sending its body.
    RequestTimeout { secs: u64 },
    /// Understood and refused (a wrong instructor token).
    Forbidden { message: String },
    /// The server cannot serve this now (no randomness for a page token): not the client's fault.
    Unavailable { message: String },
    /// The session store failed (Redis gone): not the request's fault.
    StoreUnavailable { message: String },
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::StoreUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn message(&self) -> String {
        match self {
            ApiError::NotFound { path } => format!(
                "No such path: {path}. This server answers GET /greeting, GET /user, POST /logout and /playground/api/*."
            ),
            ApiError::MethodNotAllowed { allow } => {
                format!("This path answers only {allow}.")
            }
            ApiError::BadRequest { message }
            | ApiError::Forbidden { message }
            | ApiError::Unavailable { message } => message.clone(),
            ApiError::UnsupportedMediaType { expected } => {
                format!("The request body must be {expected}.")
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("The request body is larger than {limit} bytes.")
            }
            ApiError::RequestTimeout { secs } => {
                format!("The request body did not arrive within {secs} s.")
            }
            ApiError::StoreUnavailable { message } => {
                format!("Sessions live on the server here, and {message}. Try again when it is back.")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({
            "error": status.canonical_reason().unwrap_or("Error"),
            "message": self.message(),
        });
        let extra = match self {
            ApiError::MethodNotAllowed { allow } => {
                vec![(header::ALLOW, HeaderValue::from_static(allow))]
            }
            _ => vec![],
        };
        let mut response = json_response(status, &body, extra);
        response.extensions_mut().insert(ExchangeFacts {
            notes: vec![self.message()],
            ..ExchangeFacts::default()
        });
        response
    }
}
