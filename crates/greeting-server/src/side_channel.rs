//! The side channel: every reported exchange (`/greeting`, `/user`, `/logout`, reset and plant) is logged in
//! one line and, when a subscribed page may see it, becomes an [`ExchangeReport`] sent to that
//! page on `GET /playground/api/events` (Server-Sent Events, event name `exchange`).
//!
//! Who sees what is decided by page, not by address ([`crate::pages`]): a subscriber gets a
//! token in its `hello` event, and each exchange is queued only for the pages that may see it,
//! in full or masked.
//!
//! A report is built only when some page may see it: a page sees the exchanges from the moment
//! it subscribed, which is all it could see anyway. With `--session-store redis://...` the Redis
//! relay ([`crate::shared_channel`]) takes every report too, since a page on another server may
//! be listening; the other servers' reports reach this one's pages by the same rule.

use crate::around::{Answer, Around, AroundLayer};
use crate::error::ApiError;
use crate::guard::{peer, Reach};
use crate::http::{ensure_server_headers, header_text, title_case, unix_now_ms};
use crate::logging::EXCHANGE_TARGET;
use crate::pages::{masked, Audience, Delivery, Pages, Source, PAGE_TOKEN};
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, Method};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::stream::{self, StreamExt};
use greeting_core::{EntryAfter, ExchangeReport, Header, Session, SessionIn};
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::{broadcast, watch};
use tower::Service;

/// The request header the page sets to match a report with its own fetch.
pub static EXCHANGE_ID: HeaderName = HeaderName::from_static("x-playground-exchange");

/// The longest exchange id copied into a report.
const MAX_EXCHANGE_ID_CHARS: usize = 128;

/// The longest path logged or reported (in characters), so a long URL cannot flood either.
pub const MAX_PATH_CHARS: usize = 200;

/// The longest response body copied into a report (the greeting's are tiny).
const MAX_REPORTED_BODY: usize = 64 * 1024;

/// How many reports wait for a slow page before it skips some.
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
    /// Server mode: the store's entry for the session after the request.
    pub store_entry: Option<EntryAfter>,
}

/// One of this server's reports for the Redis relay ([`crate::shared_channel`]): who made the
/// exchange (for the visibility rule on the other servers) and the report as JSON, in full and
/// masked.
#[derive(Debug)]
pub struct Published {
    pub ip: IpAddr,
    /// The request's `X-Playground-Page`, if any.
    pub token: Option<String>,
    pub reach: Reach,
    pub full: Arc<str>,
    pub masked: Arc<str>,
}

/// The channel itself, shared by the reporter layer and the events route.
#[derive(Clone)]
pub struct SideChannel(Arc<Channel>);

struct Channel {
    pages: Pages,
    /// This server's reports, for the Redis relay when there is one.
    relay: broadcast::Sender<Arc<Published>>,
    /// Numbers the exchanges, from 1.
    seq: AtomicU64,
    /// Bound to loopback (and not `--classroom`): the learner's own machine.
    loopback: bool,
    /// `--instructor-token`.
    instructor_token: Option<String>,
    /// Turns true when the server shuts down (ends the event streams).
    shutdown: watch::Receiver<bool>,
}

impl SideChannel {
    pub fn new(
        loopback: bool,
        instructor_token: Option<String>,
        shutdown: watch::Receiver<bool>,
    ) -> SideChannel {
        SideChannel(Arc::new(Channel {
            pages: Pages::new(loopback, EVENT_BUFFER),
            relay: broadcast::channel(EVENT_BUFFER).0,
            seq: AtomicU64::new(0),
            loopback,
            instructor_token,
            shutdown,
        }))
    }

    /// Every report this server makes from now on (the Redis relay's feed).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.0.relay.subscribe()
    }

    /// Hands another server's report to the pages here that may see it.
    pub fn publish(&self, published: Published) {
        let audience = self.0.pages.audience(&Source {
            ip: published.ip,
            token: published.token.as_deref(),
            reach: published.reach,
        });
        audience.deliver(Some(published.full), Some(published.masked));
    }

    fn next_seq(&self) -> u64 {
        self.0.seq.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// The reporter (`route_layer(Reporter::layer(side_channel))` around the reported routes,
/// their 405s and plain `OPTIONS` answers included): logs each exchange in one line and, when
/// a page may see it, reports it to the pages that may.
#[derive(Clone)]
pub struct Reporter(SideChannel);

impl Reporter {
    pub fn layer(channel: SideChannel) -> AroundLayer<Reporter> {
        AroundLayer(Reporter(channel))
    }
}

impl Around for Reporter {
    fn around<S>(&self, inner: &mut S, request: Request) -> Answer
    where
        S: Service<Request, Response = Response, Error = Infallible>,
        S::Future: Send + 'static,
    {
        let exchange = Exchange::begin(self.0.clone(), &request);
        let answer = inner.call(request);
        Box::pin(async move { Ok(exchange.end(answer.await?).await) })
    }
}

/// One reported exchange: what the log and the report take from the request, before the
/// handler consumes it.
struct Exchange {
    channel: SideChannel,
    seq: u64,
    client: SocketAddr,
    method: Method,
    path: String,
    /// The request's `X-Playground-Page`, if any.
    token: Option<String>,
    ip: IpAddr,
    reach: Reach,
    audience: Audience,
    relayed: bool,
    /// Only when some page or the relay may see the report.
    seen: Option<SeenRequest>,
}

impl Exchange {
    fn begin(channel: SideChannel, request: &Request) -> Exchange {
        let seq = channel.next_seq();
        let client = peer(request).unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
        let token = request
            .headers()
            .get(&PAGE_TOKEN)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let source = Source {
            ip: client.ip().to_canonical(),
            token: token.as_deref(),
            reach: request
                .extensions()
                .get::<Reach>()
                .copied()
                .unwrap_or(Reach::Beyond),
        };
        let audience = channel.0.pages.audience(&source);
        let (ip, reach) = (source.ip, source.reach);
        let relayed = channel.0.relay.receiver_count() > 0;
        let seen = (relayed || !audience.is_empty()).then(|| SeenRequest::of(request.headers()));
        Exchange {
            channel,
            seq,
            client,
            method: request.method().clone(),
            path: request.uri().path().chars().take(MAX_PATH_CHARS).collect(),
            token,
            ip,
            reach,
            audience,
            relayed,
            seen,
        }
    }

    /// Logs the exchange and reports it to whoever may see it.
    async fn end(self, mut response: Response) -> Response {
        let facts = response
            .extensions_mut()
            .remove::<ExchangeFacts>()
            .unwrap_or_default();
        tracing::info!(
            target: EXCHANGE_TARGET,
            seq = self.seq,
            client = %self.client,
            method = %self.method,
            path = %self.path,
            status = response.status().as_u16(),
            user = facts.user.as_deref().unwrap_or("-"),
            visit = facts.session_out.as_ref().map_or(0, |s| s.visit),
            "exchange"
        );
        let Some(seen) = self.seen else {
            return response;
        };

        let (mut parts, body) = response.into_parts();
        // As the client will see them (the edge layer adds these to the rest).
        ensure_server_headers(&mut parts.headers);
        let bytes = to_bytes(body, MAX_REPORTED_BODY).await.unwrap_or_default();
        let report = ExchangeReport {
            seq: self.seq,
            exchange_id: seen.exchange_id,
            at_ms: seen.at_ms,
            duration_micros: seen.started.elapsed().as_micros() as u64,
            client: self.client.to_string(),
            user_agent: seen.user_agent,
            method: self.method.to_string(),
            path: self.path,
            request_headers: seen.headers,
            status: parts.status.as_u16(),
            response_headers: shown_headers(&parts.headers),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            user: facts.user,
            cookie_in: facts.cookie_in,
            cookie_out: facts.cookie_out,
            session_in: facts.session_in.unwrap_or(SessionIn::None),
            session_out: facts.session_out,
            notes: facts.notes,
            store_entry: facts.store_entry.as_ref().map(EntryAfter::report),
        };
        let json = |report: &ExchangeReport| -> Option<Arc<str>> {
            serde_json::to_string(report).ok().map(Arc::from)
        };
        let relayed = self.relayed;
        let full = (relayed || self.audience.wants_full())
            .then(|| json(&report))
            .flatten();
        let hidden = (relayed || self.audience.wants_masked())
            .then(|| json(&masked(&report)))
            .flatten();
        if let (true, Some(full), Some(masked)) = (relayed, &full, &hidden) {
            // The relay may have gone since the check above: then the report stays here.
            let _ = self.channel.0.relay.send(Arc::new(Published {
                ip: self.ip,
                token: self.token,
                reach: self.reach,
                full: full.clone(),
                masked: masked.clone(),
            }));
        }
        self.audience.deliver(full, hidden);
        Response::from_parts(parts, Body::from(bytes))
    }
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
    fn of(headers: &HeaderMap) -> SeenRequest {
        SeenRequest {
            started: Instant::now(),
            at_ms: unix_now_ms(),
            exchange_id: header_text(headers, &EXCHANGE_ID)
                .map(|id| id.chars().take(MAX_EXCHANGE_ID_CHARS).collect()),
            user_agent: header_text(headers, &header::USER_AGENT),
            headers: shown_headers(headers),
        }
    }
}

/// Headers as the report shows them: title-case names, text values (masked, if at all, for
/// the pages that see a masked report: [`masked`]).
fn shown_headers(headers: &HeaderMap) -> Vec<Header> {
    headers
        .iter()
        .map(|(name, value)| {
            Header::new(
                title_case(name.as_str()),
                String::from_utf8_lossy(value.as_bytes()),
            )
        })
        .collect()
}

/// The query of `GET /playground/api/events`.
#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// `--instructor-token`'s value: the instructor view.
    instructor: Option<String>,
}

/// `GET /playground/api/events`: a `hello` event (with the page's token), then one `exchange`
/// event per report this page may see; a `lagged` event if it fell behind and missed some.
/// Ends when the server shuts down.
pub async fn events(
    State(channel): State<SideChannel>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    reach: Option<Extension<Reach>>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest {
        message: format!("The side channel's query is not understood: {e}"),
    })?;
    let instructor = match (&query.instructor, &channel.0.instructor_token) {
        (None, _) => false,
        (Some(given), Some(expected))
            if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) =>
        {
            true
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::Forbidden {
                message: "Wrong instructor token: open the page with the --instructor-token the server was started with.".into(),
            })
        }
        (Some(_), None) => {
            return Err(ApiError::Forbidden {
                message: "This server has no instructor view: start greeting-server with --instructor-token TOKEN.".into(),
            })
        }
    };
    let reach = reach.map_or(Reach::Beyond, |Extension(reach)| reach);
    let subscription = channel
        .0
        .pages
        .subscribe(client.ip(), reach, instructor)
        .map_err(|e| ApiError::Unavailable {
            message: format!("No randomness for a page token: {e}"),
        })?;
    let sees_all = instructor || (channel.0.loopback && reach == Reach::ThisMachine);
    let hello = Event::default().event("hello").data(
        json!({
            "client": client.to_string(),
            "sees_all_clients": sees_all,
            "instructor": instructor,
            "token": subscription.token().as_str(),
        })
        .to_string(),
    );
    let reports = stream::unfold(subscription, |mut subscription| async move {
        let delivery = subscription.next().await?;
        Some((delivery, subscription))
    })
    .map(|delivery| {
        Ok::<Event, Infallible>(match delivery {
            Delivery::Exchange(view) => view.event(),
            Delivery::Lagged(missed) => Event::default().event("lagged").data(missed.to_string()),
        })
    });
    let mut shutdown = channel.0.shutdown.clone();
    let stream = stream::once(std::future::ready(Ok(hello)))
        .chain(reports)
        .take_until(async move {
            let _ = shutdown.wait_for(|down| *down).await;
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
