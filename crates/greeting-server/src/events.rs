//! The side channel: every reported exchange becomes an [`ExchangeReport`], logged in one line
//! and sent to the subscribers of `GET /playground/api/events` (Server-Sent Events, event name
//! `exchange`).
//!
//! Who sees what: bound to loopback, every subscriber sees every exchange (so a learner's Python
//! script shows up in their page). Bound beyond loopback, a subscriber sees only the exchanges
//! of its own IP address, and the credentials in `Authorization` are masked.

use crate::app::AppState;
use crate::http::{ensure_server_headers, header_text, title_case, unix_now_ms, ExchangeFacts};
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderName, Method, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use greeting_core::{mask_authorization, ExchangeReport, Header, SessionIn};
use pin_project_lite::pin_project;
use serde_json::json;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tower::{Layer, Service, ServiceExt};

/// The request header the page sets to match a report with its own fetch.
pub static EXCHANGE_ID: HeaderName = HeaderName::from_static("x-playground-exchange");

/// The longest exchange id copied into a report.
const MAX_EXCHANGE_ID_CHARS: usize = 128;

/// The longest response body copied into a report (the greeting's are tiny).
const MAX_REPORTED_BODY: usize = 64 * 1024;

/// One report on the channel: the client's IP (for the visibility rule) and the report as JSON.
#[derive(Debug)]
pub struct Published {
    pub ip: IpAddr,
    pub json: String,
}

/// The client's address, inserted by the accept loop (0.0.0.0:0 if it was not).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(&parts.extensions)))
    }
}

/// The layer (for `route_layer`) around `/greeting`, `/user`, reset and plant: logs each
/// exchange in one line and, when someone is subscribed to the side channel, reports it.
///
/// With no subscriber (a server under load with no page open, or a course exercise run from a
/// script) nothing is collected: no header copies, no buffered body, no JSON, and the response
/// is passed through by [`ReportFuture`] without boxing anything. A page that subscribes later
/// sees the exchanges from then on, which is all it could see anyway.
#[derive(Clone)]
pub struct ReportLayer {
    app: AppState,
}

impl ReportLayer {
    pub fn new(app: AppState) -> ReportLayer {
        ReportLayer { app }
    }
}

impl<S> Layer<S> for ReportLayer {
    type Service = Report<S>;
    fn layer(&self, inner: S) -> Report<S> {
        Report {
            inner,
            app: self.app.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Report<S> {
    inner: S,
    app: AppState,
}

impl<S> Service<Request> for Report<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ReportFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let client = client_addr(request.extensions());
        let seq = self.app.seq.next();
        if self.app.subscribers.load(Ordering::Acquire) == 0 {
            let pending = PendingLine {
                seq,
                client,
                method: request.method().clone(),
                uri: request.uri().clone(),
            };
            return ReportFuture::Logged {
                future: self.inner.call(request),
                line: Some(pending),
            };
        }
        // The service made ready by `poll_ready` goes along with the request; a clone stays.
        let ready = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, ready);
        ReportFuture::Reported {
            future: Box::pin(report(self.app.clone(), client, seq, request, inner)),
        }
    }
}

/// The client's address, inserted by the accept loop (0.0.0.0:0 if it was not).
fn client_addr(extensions: &Extensions) -> SocketAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0))
}

/// What the log line needs from the request, kept until the response is there.
pub struct PendingLine {
    seq: u64,
    client: SocketAddr,
    method: Method,
    uri: Uri,
}

pin_project! {
    #[project = ReportProjection]
    pub enum ReportFuture<F> {
        /// No subscriber: the inner future, then the log line.
        Logged {
            #[pin]
            future: F,
            line: Option<PendingLine>,
        },
        /// Someone is subscribed: the whole report, built by [`report`].
        Reported {
            future: Pin<Box<dyn Future<Output = Response> + Send>>,
        },
    }
}

impl<F> Future for ReportFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            ReportProjection::Logged { future, line } => {
                let mut response = match future.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(response)) => response,
                    Poll::Ready(Err(never)) => match never {},
                };
                // Server and Date before the CORS headers the outer layer adds, as the report's
                // responses always had them.
                ensure_server_headers(response.headers_mut());
                let facts = response
                    .extensions_mut()
                    .remove::<ExchangeFacts>()
                    .unwrap_or_default();
                if let Some(line) = line.take() {
                    log_exchange(
                        line.seq,
                        line.client,
                        line.method.as_str(),
                        line.uri.path(),
                        response.status().as_u16(),
                        &facts,
                    );
                }
                Poll::Ready(Ok(response))
            }
            ReportProjection::Reported { future } => future.as_mut().poll(cx).map(Ok),
        }
    }
}

/// The exchange with a subscriber: request headers copied, the response body buffered, the
/// report sent as JSON, and the line logged.
async fn report<S>(
    app: AppState,
    client: SocketAddr,
    seq: u64,
    request: Request,
    inner: S,
) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let started = Instant::now();
    let at_ms = unix_now_ms();
    let method = request.method().to_string();
    let path = request.uri().path().chars().take(200).collect::<String>();
    let exchange_id = header_text(request.headers(), &EXCHANGE_ID)
        .map(|id| id.chars().take(MAX_EXCHANGE_ID_CHARS).collect::<String>());
    let user_agent = header_text(request.headers(), &header::USER_AGENT);
    let mask = !app.config.loopback;
    let request_headers: Vec<Header> = request
        .headers()
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let text = if mask && name == header::AUTHORIZATION {
                mask_authorization(&text)
            } else {
                text
            };
            Header::new(title_case(name.as_str()), text)
        })
        .collect();

    let response = match inner.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };

    let (mut parts, body) = response.into_parts();
    ensure_server_headers(&mut parts.headers);
    let bytes = to_bytes(body, MAX_REPORTED_BODY).await.unwrap_or_default();
    let facts = parts
        .extensions
        .remove::<ExchangeFacts>()
        .unwrap_or_default();
    log_exchange(seq, client, &method, &path, parts.status.as_u16(), &facts);
    let report = ExchangeReport {
        seq,
        exchange_id,
        at_ms,
        duration_micros: started.elapsed().as_micros() as u64,
        client: client.to_string(),
        user_agent,
        method,
        path,
        request_headers,
        status: parts.status.as_u16(),
        response_headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                Header::new(
                    title_case(n.as_str()),
                    String::from_utf8_lossy(v.as_bytes()),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        user: facts.user,
        cookie_in: facts.cookie_in,
        cookie_out: facts.cookie_out,
        session_in: facts.session_in.unwrap_or(SessionIn::None),
        session_out: facts.session_out,
        notes: facts.notes,
    };
    if let Ok(json) = serde_json::to_string(&report) {
        // Every subscriber may have left since the check above: then the send fails and the
        // report is dropped.
        let _ = app.events.send(std::sync::Arc::new(Published {
            ip: client.ip().to_canonical(),
            json,
        }));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// One line per exchange: never the credentials, the cookies or the key.
fn log_exchange(
    seq: u64,
    client: SocketAddr,
    method: &str,
    path: &str,
    status: u16,
    facts: &ExchangeFacts,
) {
    crate::log::exchange(&crate::log::ExchangeLine {
        seq,
        client,
        method,
        path,
        status,
        user: facts.user.as_deref().unwrap_or("-"),
        visit: facts.session_out.as_ref().map(|s| s.visit).unwrap_or(0),
    });
}

/// `GET /playground/api/events`: a `hello` event, then one `exchange` event per report this
/// client may see; a `lagged` event if it fell behind and missed some. Ends when the server
/// shuts down.
pub async fn events(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
) -> impl IntoResponse {
    // Counted before subscribing, so an exchange that starts after the subscription is always
    // reported; the guard goes with the stream and counts down when it is dropped.
    let subscribed = Subscribed::new(&app);
    let receiver = app.events.subscribe();
    let my_ip = client.ip().to_canonical();
    let sees_all = app.config.loopback;
    let hello = Event::default()
        .event("hello")
        .data(json!({"client": client.to_string(), "sees_all_clients": sees_all}).to_string());
    let reports = BroadcastStream::new(receiver).filter_map(move |message| {
        let _still_subscribed = &subscribed;
        let event = match message {
            Ok(published) if sees_all || published.ip == my_ip => Some(
                Event::default()
                    .event("exchange")
                    .data(published.json.as_str()),
            ),
            Ok(_) => None,
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                Some(Event::default().event("lagged").data(missed.to_string()))
            }
        };
        std::future::ready(event.map(Ok::<Event, Infallible>))
    });
    let mut shutdown = app.shutdown.clone();
    let stream = stream::once(std::future::ready(Ok(hello)))
        .chain(reports)
        .take_until(async move {
            let _ = shutdown.wait_for(|down| *down).await;
        });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// One subscriber in `Shared::subscribers`, for as long as this lives.
struct Subscribed(AppState);

impl Subscribed {
    fn new(app: &AppState) -> Subscribed {
        app.subscribers.fetch_add(1, Ordering::SeqCst);
        Subscribed(app.clone())
    }
}

impl Drop for Subscribed {
    fn drop(&mut self) {
        self.0.subscribers.fetch_sub(1, Ordering::SeqCst);
    }
}
