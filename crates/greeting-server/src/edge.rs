//! What every response passes through on its way out (an `axum::middleware::from_fn` layer
//! around the whole router): a CORS preflight from an allowed origin answered before any route
//! or auth, the CORS headers for an allowed origin ([`crate::cors`]), then `Server` and `Date`
//! when the response has none (the static files').

use crate::cors::{self, AllowedOrigins};
use crate::http::ensure_server_headers;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// The layer's function: `from_fn_with_state(allowed_origins, edge)`.
pub async fn edge(State(allowed): State<AllowedOrigins>, request: Request, next: Next) -> Response {
    let origin = allowed.of(&request);
    let mut response = match &origin {
        Some(origin) if cors::is_preflight(&request) => cors::preflight_response(origin.clone()),
        _ => {
            let mut response = next.run(request).await;
            if let Some(origin) = origin {
                cors::allow(&mut response, origin);
            }
            response
        }
    };
    ensure_server_headers(response.headers_mut());
    response
}
