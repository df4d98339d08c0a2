//! What every response passes through on its way out: CORS for the allowed origins
//! ([`crate::cors`]), then `Server` and `Date` when the response has none (the static files').
//!
//! A hand-written tower layer rather than two `axum::middleware::from_fn` layers: `from_fn`
//! clones the boxed inner service and boxes a future on every request, twice for two layers,
//! while this one calls the inner service directly and wraps its future without allocating.

use crate::app::AppState;
use crate::cors;
use crate::http::ensure_server_headers;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::response::Response;
use pin_project_lite::pin_project;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::Service;

/// The service around the whole router (see `app::app`).
#[derive(Clone)]
pub struct Edge<S> {
    inner: S,
    app: AppState,
}

impl<S> Edge<S> {
    pub fn new(inner: S, app: AppState) -> Edge<S> {
        Edge { inner, app }
    }
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let origin = cors::allowed_origin(&self.app, &request);
        match origin {
            Some(origin) if cors::is_preflight(&request) => EdgeFuture::Answered {
                ready: std::future::ready(Ok(finish(cors::preflight_response(origin), None))),
            },
            origin => EdgeFuture::Inner {
                future: self.inner.call(request),
                origin,
            },
        }
    }
}

/// The CORS headers (for an allowed origin), then `Server` and `Date`, in that order as before
/// (CORS was the inner of the two layers).
fn finish(mut response: Response, origin: Option<HeaderValue>) -> Response {
    if let Some(origin) = origin {
        cors::allow(&mut response, origin);
    }
    ensure_server_headers(response.headers_mut());
    response
}

pin_project! {
    #[project = EdgeProjection]
    pub enum EdgeFuture<F> {
        /// A preflight, answered without the inner service.
        Answered {
            #[pin]
            ready: std::future::Ready<Result<Response, Infallible>>,
        },
        Inner {
            #[pin]
            future: F,
            origin: Option<HeaderValue>,
        },
    }
}

impl<F> Future for EdgeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            EdgeProjection::Answered { ready } => ready.poll(cx),
            EdgeProjection::Inner { future, origin } => match future.poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(response)) => Poll::Ready(Ok(finish(response, origin.take()))),
                Poll::Ready(Err(never)) => match never {},
            },
        }
    }
}
