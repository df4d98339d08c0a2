//! What every response passes through on its way out (an `axum::middleware::from_fn` layer
//! around the whole router): a CORS preflight from an allowed origin answered before any route
//! or auth, `Server` and `Date` when the response has none (the static files'), the opt-in
//! pair's list of header names ([`crate::jar_pair::name_headers`]), then the CORS headers for
//! an allowed origin ([`crate::cors`]).

use crate::cors::{self, AllowedOrigins};
use crate::http::ensure_server_headers;
use crate::jar_pair;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// The layer's function: `from_fn_with_state(allowed_origins, edge)`.
pub async fn edge(State(allowed): State<AllowedOrigins>, request: Request, next: Next) -> Response {
    let origin = allowed.of(&request);
    let asked = jar_pair::asked(request.headers());
    let mut response = match &origin {
        Some(origin) if cors::is_preflight(&request) => cors::preflight_response(origin.clone()),
        _ => {
            let mut response = next.run(request).await;
            ensure_server_headers(response.headers_mut());
            jar_pair::name_headers(asked, &mut response);
            if let Some(origin) = origin {
                cors::allow(&mut response, origin);
            }
            response
        }
    };
    ensure_server_headers(response.headers_mut());
    response
}
