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
use axum::http::{header, HeaderName};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use greeting_core::{mask_authorization, ExchangeReport, Header, SessionIn};
use serde_json::json;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

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
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0)
                .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)),
        ))
    }
}

/// Middleware around `/greeting`, `/user`, reset and plant: times the exchange, logs it in one
/// line and, when someone is subscribed to the side channel, reports it.
///
/// With no subscriber (a server under load with no page open, or a course exercise run from a
/// script) nothing is collected: no header copies, no buffered body, no JSON. A page that
/// subscribes later sees the exchanges from then on, which is all it could see anyway.
pub async fn report_exchange(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    request: Request,
    next: Next,
) -> Response {
    let seq = app.seq.fetch_add(1, Ordering::Relaxed) + 1;
    if app.events.receiver_count() == 0 {
        let method = request.method().clone();
        let uri = request.uri().clone();
        let response = next.run(request).await;
        let (mut parts, body) = response.into_parts();
        ensure_server_headers(&mut parts.headers);
        let facts = parts
            .extensions
            .remove::<ExchangeFacts>()
            .unwrap_or_default();
        log_exchange(
            seq,
            client,
            method.as_str(),
            uri.path(),
            parts.status.as_u16(),
            &facts,
        );
        return Response::from_parts(parts, body);
    }
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

    let response = next.run(request).await;

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
    let receiver = app.events.subscribe();
    let my_ip = client.ip().to_canonical();
    let sees_all = app.config.loopback;
    let hello = Event::default()
        .event("hello")
        .data(json!({"client": client.to_string(), "sees_all_clients": sees_all}).to_string());
    let reports = BroadcastStream::new(receiver).filter_map(move |message| {
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
