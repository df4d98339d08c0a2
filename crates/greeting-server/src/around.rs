//! The shape this server's two layers share (the [`crate::edge`] layer and the reporter in
//! [`crate::side_channel`]): a `tower::Layer` whose service works on the request, calls the
//! service it wraps, then works on the answer, in one boxed future.

use axum::extract::Request;
use axum::response::Response;
use futures_util::future::BoxFuture;
use std::convert::Infallible;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// The future of a wrapped service's answer.
pub type Answer = BoxFuture<'static, Result<Response, Infallible>>;

/// What a layer does around the service it wraps: `inner` is ready, and is called at most once.
pub trait Around: Clone {
    fn around<S>(&self, inner: &mut S, request: Request) -> Answer
    where
        S: Service<Request, Response = Response, Error = Infallible>,
        S::Future: Send + 'static;
}

/// An [`Around`] as a `tower::Layer`.
#[derive(Debug, Clone)]
pub struct AroundLayer<A>(pub A);

impl<A: Around, S> Layer<S> for AroundLayer<A> {
    type Service = Wrapped<A, S>;

    fn layer(&self, inner: S) -> Wrapped<A, S> {
        Wrapped {
            around: self.0.clone(),
            inner,
        }
    }
}

/// A service with an [`Around`] around it.
#[derive(Debug, Clone)]
pub struct Wrapped<A, S> {
    around: A,
    inner: S,
}

impl<A, S> Service<Request> for Wrapped<A, S>
where
    A: Around,
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Answer {
        self.around.around(&mut self.inner, request)
    }
}
