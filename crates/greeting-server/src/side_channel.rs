//! The side channel: every reported exchange (`/greeting`, `/user`, `/logout`, reset and plant) is logged in
//! one line and, while someone listens, becomes an [`ExchangeReport`] sent to the subscribers of
//! `GET /playground/api/events` (Server-Sent Events, event name `exchange`).
//!
//! Who sees what: bound to loopback, every subscriber sees every exchange (so a learner's Python
//! script shows up in their page). Bound beyond loopback, a subscriber sees only the exchanges
//! of its own IP address, and the credentials in `Authorization` are masked.
//!
//! A report is built only while at least one client is subscribed: a page sees the exchanges
//! from the moment it subscribed, which is all it could see anyway. With
//! `--session-store redis://...` the Redis relay ([`crate::shared_channel`]) is always
//! subscribed, since a page on another server may be listening.

use crate::http::{ensure_server_headers, header_text, title_case, unix_now_ms};
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use greeting_core::{mask_authorization, ExchangeReport, Header, Session, SessionIn};
use serde_json::json;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

/// The request header the page sets to match a report with its own fetch.
pub static EXCHANGE_ID: HeaderName = HeaderName::from_static("x-playground-exchange");

/// The longest exchange id copied into a report.
const MAX_EXCHANGE_ID_CHARS: usize = 128;

/// The longest path logged or reported (in characters), so a long URL cannot flood either.
pub const MAX_PATH_CHARS: usize = 200;

/// The longest response body copied into a report (the greeting's are tiny).
const MAX_REPORTED_BODY: usize = 64 * 1024;

/// How many reports the channel buffers for a slow subscriber before it skips some.
const EVENT_BUFFER: usize = 1024;

/// What a handler tells the reporter beyond the response itself, as a response extension.
#[derive(Debug, Clone, Default)]
pub struct ExchangeFacts {
    pub user: Option<String>,
    pub cookie_in: Option<String>,
    pub cookie_out: Option<String>,
    pub session_in: Option<SessionIn>,
    pub session_out: Option<Session>,
    pub notes: Vec<String>,
}

/// One report on the channel: the client's IP (for the visibility rule) and the report as JSON.
#[derive(Debug)]
pub struct Published {
    pub ip: IpAddr,
    pub json: String,
    /// Reported by another greeting server sharing this one's Redis ([`crate::shared_channel`]),
    /// not by this one.
    pub from_peer: bool,
}

/// The channel itself, shared by the reporter layer and the events route.
#[derive(Clone)]
pub struct SideChannel(Arc<Channel>);

struct Channel {
    sender: broadcast::Sender<Arc<Published>>,
    /// Numbers the exchanges, from 1.
    seq: AtomicU64,
    /// Bound to loopback (and not `--classroom`): every subscriber sees every exchange,
    /// credentials shown.
    sees_all_clients: bool,
    /// Turns true when the server shuts down (ends the event streams).
    shutdown: watch::Receiver<bool>,
}

impl SideChannel {
    pub fn new(sees_all_clients: bool, shutdown: watch::Receiver<bool>) -> SideChannel {
        let (sender, _) = broadcast::channel(EVENT_BUFFER);
        SideChannel(Arc::new(Channel {
            sender,
            seq: AtomicU64::new(0),
            sees_all_clients,
            shutdown,
        }))
    }

    /// Every report from now on, as the events route sees them (the Redis relay's feed).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.0.sender.subscribe()
    }

    /// Hands a report to this server's subscribers (one another server made).
    pub fn publish(&self, published: Published) {
        // No subscriber: nobody to show it to.
        let _ = self.0.sender.send(Arc::new(published));
    }

    fn next_seq(&self) -> u64 {
        self.0.seq.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// The reporter (`route_layer(from_fn_with_state(side_channel, report))` around the reported
/// routes, their 405s and plain `OPTIONS` answers included): logs each exchange in one line
/// and, when someone is subscribed, reports it.
pub async fn report(
    State(channel): State<SideChannel>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let seq = channel.next_seq();
    let method = request.method().clone();
    let path: String = request.uri().path().chars().take(MAX_PATH_CHARS).collect();
    let seen = (channel.0.sender.receiver_count() > 0)
        .then(|| SeenRequest::of(request.headers(), !channel.0.sees_all_clients));

    let mut response = next.run(request).await;
    let facts = response
        .extensions_mut()
        .remove::<ExchangeFacts>()
        .unwrap_or_default();
    tracing::info!(
        seq,
        client = %client,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        user = facts.user.as_deref().unwrap_or("-"),
        visit = facts.session_out.as_ref().map_or(0, |s| s.visit),
        "exchange"
    );
    let Some(seen) = seen else {
        return response;
    };

    let (mut parts, body) = response.into_parts();
    // As the client will see them (the edge layer adds these to the rest).
    ensure_server_headers(&mut parts.headers);
    let bytes = to_bytes(body, MAX_REPORTED_BODY).await.unwrap_or_default();
    let report = ExchangeReport {
        seq,
        exchange_id: seen.exchange_id,
        at_ms: seen.at_ms,
        duration_micros: seen.started.elapsed().as_micros() as u64,
        client: client.to_string(),
        user_agent: seen.user_agent,
        method: method.to_string(),
        path,
        request_headers: seen.headers,
        status: parts.status.as_u16(),
        response_headers: shown_headers(&parts.headers, false),
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
        let _ = channel.0.sender.send(Arc::new(Published {
            ip: client.ip().to_canonical(),
            json,
            from_peer: false,
        }));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// What a report says about the request, taken before the handler consumes it.
struct SeenRequest {
    started: Instant,
    at_ms: u64,
    exchange_id: Option<String>,
    user_agent: Option<String>,
    headers: Vec<Header>,
}

impl SeenRequest {
    fn of(headers: &HeaderMap, mask_credentials: bool) -> SeenRequest {
        SeenRequest {
            started: Instant::now(),
            at_ms: unix_now_ms(),
            exchange_id: header_text(headers, &EXCHANGE_ID)
                .map(|id| id.chars().take(MAX_EXCHANGE_ID_CHARS).collect()),
            user_agent: header_text(headers, &header::USER_AGENT),
            headers: shown_headers(headers, mask_credentials),
        }
    }
}

/// Headers as the report shows them: title-case names, text values, `Authorization` masked
/// when asked.
fn shown_headers(headers: &HeaderMap, mask_credentials: bool) -> Vec<Header> {
    headers
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let text = if mask_credentials && name == header::AUTHORIZATION {
                mask_authorization(&text)
            } else {
                text
            };
            Header::new(title_case(name.as_str()), text)
        })
        .collect()
}

/// `GET /playground/api/events`: a `hello` event, then one `exchange` event per report this
/// client may see; a `lagged` event if it fell behind and missed some. Ends when the server
/// shuts down.
pub async fn events(
    State(channel): State<SideChannel>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
) -> impl IntoResponse {
    let receiver = channel.0.sender.subscribe();
    let my_ip = client.ip().to_canonical();
    let sees_all = channel.0.sees_all_clients;
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
    let mut shutdown = channel.0.shutdown.clone();
    let stream = stream::once(std::future::ready(Ok(hello)))
        .chain(reports)
        .take_until(async move {
            let _ = shutdown.wait_for(|down| *down).await;
        });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
