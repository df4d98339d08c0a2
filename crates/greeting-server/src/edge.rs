//! What every request passes first and every response last, around every route and the
//! fallback (a `tower::Layer`, [`Edge::layer`], given to `Router::layer`): the gate ([`crate::guard`]: an allowed
//! `Host`, on the API an allowed `Origin`), a CORS preflight from an allowed origin answered
//! before any route or auth, `Server` and `Date` when the response has none (the static
//! files'), the opt-in pair's list of header names ([`crate::jar_pair::name_headers`]), then the
//! CORS headers for an allowed origin ([`crate::cors`]).

use crate::around::{Answer, Around, AroundLayer};
use crate::cors::{self, AllowedOrigins};
use crate::guard::Admission;
use crate::http::ensure_server_headers;
use crate::jar_pair;
use axum::extract::Request;
use axum::response::Response;
use std::convert::Infallible;
use std::sync::Arc;
use tower::Service;

/// The edge: what it admits and the origins it answers with CORS headers.
#[derive(Debug, Clone)]
pub struct Edge {
    admission: Arc<Admission>,
    allowed: AllowedOrigins,
}

impl Edge {
    /// The layer: `Edge::layer(admission, origins).layer(router)`.
    pub fn layer(admission: Admission, allowed: AllowedOrigins) -> AroundLayer<Edge> {
        AroundLayer(Edge {
            admission: Arc::new(admission),
            allowed,
        })
    }
}

impl Around for Edge {
    fn around<S>(&self, inner: &mut S, mut request: Request) -> Answer
    where
        S: Service<Request, Response = Response, Error = Infallible>,
        S::Future: Send + 'static,
    {
        if let Err(refusal) = self.admission.admit(&mut request) {
            return Box::pin(std::future::ready(Ok(refusal)));
        }
        let origin = self.allowed.of(&request);
        if let Some(origin) = origin.as_ref().filter(|_| cors::is_preflight(&request)) {
            let mut response = cors::preflight_response(origin.clone());
            ensure_server_headers(response.headers_mut());
            return Box::pin(std::future::ready(Ok(response)));
        }
        let asked = jar_pair::asked(request.headers());
        let answer = inner.call(request);
        Box::pin(async move {
            let mut response = answer.await?;
            ensure_server_headers(response.headers_mut());
            jar_pair::name_headers(asked, &mut response);
            if let Some(origin) = origin {
                cors::allow(&mut response, origin);
            }
            Ok(response)
        })
    }
}
