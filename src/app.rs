//! The page's state and what its buttons do. Rendering lives in `components/`; decisions
//! (matching, explaining, decoding) in `model/`.

use leptos::prelude::*;
use leptos::task::spawn_local;

use greeting_core::{basic_auth_header, ExchangeReport, Header, ServerInfo};

use crate::model::errors::{classify, Context, Failure, Probe};
use crate::model::sim::{key_from_bytes, SimRequest, SimServer};
use crate::model::target::{join, normalize_base, parse_origin, TargetKind};
use crate::model::timeline::{message_of, Completion, Timeline};
use crate::net::{self, SideChannel};

/// How the page starts. `Options::default()` is the real page: it looks for the greeting server
/// that served it and falls back to the simulated one.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Start on this target without looking for a server (tests; `?target=simulated`).
    pub start: Option<TargetKind>,
    /// A fixed key for the simulated server (random when `None`).
    pub sim_key: Option<String>,
}

/// The connection banner (`data-testid="banner"`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Banner {
    /// `info`, `ok`, `warn`, `error`.
    pub level: &'static str,
    pub title: String,
    pub detail: String,
    /// Offer the simulated server right in the banner.
    pub offer_simulated: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideState {
    /// No side channel for this target.
    None,
    Connecting,
    Live,
    /// The simulated server reports directly.
    InPage,
}

/// The result of the last "Run in playground", per code block id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    pub block: usize,
    pub running: bool,
    /// `(expression, what the chapter printed, what the page got, matches)`.
    pub lines: Vec<(String, String, String, bool)>,
    pub note: Option<String>,
}

/// Everything the components share (all `Copy` handles).
#[derive(Clone, Copy)]
pub struct Pg {
    pub username: RwSignal<String>,
    pub password: RwSignal<String>,
    pub session_mode: RwSignal<bool>,
    pub count: RwSignal<u32>,
    pub timeout_ms: RwSignal<u32>,
    /// `None` while the page is still looking for a server.
    pub kind: RwSignal<Option<TargetKind>>,
    pub custom_url: RwSignal<String>,
    /// The base URL requests go to (`""`: the page's origin).
    pub base: RwSignal<String>,
    pub info: RwSignal<Option<ServerInfo>>,
    pub banner: RwSignal<Banner>,
    pub timeline: RwSignal<Timeline>,
    pub selected: RwSignal<Option<usize>>,
    pub expanded: RwSignal<Vec<usize>>,
    pub sim: StoredValue<SimServer>,
    pub sim_jar: RwSignal<Option<String>>,
    pub side: RwSignal<SideState>,
    channel: StoredValue<Option<SideChannel>, LocalStorage>,
    /// A sentence about the last batch or reset.
    pub note: RwSignal<Option<String>>,
    pub in_flight: RwSignal<u32>,
    pub run: RwSignal<Option<RunOutcome>>,
    prefix: StoredValue<String>,
    next_id: StoredValue<u64>,
}

const INFO_TIMEOUT_MS: u32 = 3000;

impl Pg {
    pub fn new(options: &Options) -> Pg {
        let key = options
            .sim_key
            .clone()
            .unwrap_or_else(|| key_from_bytes(&net::random_bytes(16)));
        let sim = SimServer::new(key);
        let prefix = format!("pg{}", key_from_bytes(&net::random_bytes(4)));
        Pg {
            username: RwSignal::new("cobra".into()),
            password: RwSignal::new("hiss".into()),
            session_mode: RwSignal::new(true),
            count: RwSignal::new(3),
            timeout_ms: RwSignal::new(5000),
            kind: RwSignal::new(None),
            custom_url: RwSignal::new("http://localhost:5000".into()),
            base: RwSignal::new(String::new()),
            info: RwSignal::new(None),
            banner: RwSignal::new(Banner {
                level: "info",
                title: "Looking for the greeting server…".into(),
                ..Banner::default()
            }),
            timeline: RwSignal::new(Timeline::new()),
            selected: RwSignal::new(None),
            expanded: RwSignal::new(Vec::new()),
            sim: StoredValue::new(sim),
            sim_jar: RwSignal::new(None),
            side: RwSignal::new(SideState::None),
            channel: StoredValue::new_local(None),
            note: RwSignal::new(None),
            in_flight: RwSignal::new(0),
            run: RwSignal::new(None),
            prefix: StoredValue::new(prefix),
            next_id: StoredValue::new(0),
        }
    }

    pub fn authorization(&self) -> String {
        basic_auth_header(
            &self.username.get_untracked(),
            &self.password.get_untracked(),
        )
    }

    pub(crate) fn new_id(&self) -> String {
        let n = self.next_id.get_value() + 1;
        self.next_id.set_value(n);
        format!("{}-{n}", self.prefix.get_value())
    }

    /// The key cookies can be verified with: the simulated server's, or the server's in
    /// teaching mode.
    pub fn verify_key(&self) -> Option<String> {
        match self.kind.get()? {
            TargetKind::Simulated => Some(self.sim.with_value(|s| s.secret_key().to_string())),
            TargetKind::Server | TargetKind::Custom => self
                .info
                .with(|i| i.as_ref().and_then(|i| i.secret_key.clone())),
        }
    }

    pub fn max_age_secs(&self) -> u64 {
        self.info
            .with(|i| i.as_ref().map(|i| i.max_age_secs))
            .unwrap_or(flask_cookie::DEFAULT_MAX_AGE_SECS)
    }

    fn close_channel(&self) {
        self.channel.set_value(None);
        self.side.set(SideState::None);
    }

    fn open_channel(&self, base: &str, with_credentials: bool) {
        self.close_channel();
        let pg = *self;
        let prefix = self.prefix.get_value();
        let on_report = move |r: ExchangeReport| {
            pg.timeline.update(|t| {
                t.add_report(r, &prefix);
            });
        };
        let info_base = base.to_string();
        let on_state = move |up: bool| {
            let was_live = pg.side.get_untracked() == SideState::Live;
            pg.side.set(if up {
                SideState::Live
            } else {
                SideState::Connecting
            });
            if up && !was_live && pg.info.with_untracked(Option::is_some) {
                // (Re)connected: the server may have restarted with another key.
                let base = info_base.clone();
                spawn_local(async move {
                    if let Ok(info) = net::server_info(&base, INFO_TIMEOUT_MS).await {
                        if pg.info.with_untracked(|i| i.as_ref() != Some(&info)) {
                            pg.info.set(Some(info));
                        }
                    }
                });
            }
        };
        let ch = SideChannel::open(base, with_credentials, on_report, on_state);
        self.side.set(if ch.is_some() {
            SideState::Connecting
        } else {
            SideState::None
        });
        self.channel.set_value(ch);
    }

    // ---------------------------------------------------------------------------------------
    // Targets

    /// Looks for the greeting server that served the page; falls back to the simulated one.
    pub fn use_server(&self) {
        let pg = *self;
        pg.kind.set(None);
        pg.close_channel();
        pg.banner.set(Banner {
            level: "info",
            title: "Looking for the greeting server…".into(),
            ..Banner::default()
        });
        spawn_local(async move {
            match net::server_info("", INFO_TIMEOUT_MS).await {
                Ok(info) => {
                    pg.base.set(String::new());
                    pg.banner.set(server_banner(&info, &net::page_origin()));
                    pg.info.set(Some(info));
                    pg.kind.set(Some(TargetKind::Server));
                    pg.open_channel("", false);
                }
                Err(reason) => pg.fall_back(&reason),
            }
        });
    }

    fn fall_back(&self, reason: &str) {
        self.use_simulated();
        self.banner.set(Banner {
            level: "warn",
            title: "No greeting server answered: using the simulated server in this page".into(),
            detail: format!(
                "{reason}. The simulated server runs the greeting server's own rules and cookie code, compiled into this \
                 page; its cookie jar is shown below. To use the real server, run `cargo xtask run` in the project folder \
                 (it serves this page at http://localhost:5000), then choose \"This page's server\"."
            ),
            offer_simulated: false,
        });
    }

    pub fn use_simulated(&self) {
        self.close_channel();
        self.info.set(None);
        self.base.set(String::new());
        self.kind.set(Some(TargetKind::Simulated));
        self.side.set(SideState::InPage);
        self.sim_jar
            .set(self.sim.with_value(|s| s.jar().map(str::to_string)));
        self.banner.set(Banner {
            level: "info",
            title: "Simulated server (in this page)".into(),
            detail: "Requests never leave the browser: the greeting rules and the Flask cookie code run here as \
                     WebAssembly, and a one-cookie jar stands in for the browser's."
                .into(),
            offer_simulated: false,
        });
    }

    pub fn use_custom(&self) {
        let pg = *self;
        let base = match normalize_base(&pg.custom_url.get_untracked()) {
            Ok(b) => b,
            Err(e) => {
                pg.banner.set(Banner {
                    level: "error",
                    title: "Not an address".into(),
                    detail: e,
                    offer_simulated: false,
                });
                return;
            }
        };
        pg.close_channel();
        pg.info.set(None);
        pg.base.set(base.clone());
        pg.custom_url.set(base.clone());
        pg.kind.set(Some(TargetKind::Custom));
        let page = net::page_origin();
        let mismatch = match (parse_origin(&page), parse_origin(&base)) {
            (Some(p), Some(t)) => crate::model::target::loopback_name_mismatch(&p, &t),
            _ => false,
        };
        pg.banner.set(Banner {
            level: if mismatch { "warn" } else { "info" },
            title: format!("Requests go to {base}"),
            detail: format!(
                "That is another origin than this page ({page}): the server must allow it by CORS, with credentials, or \
                 the browser hides its answers.{}",
                if mismatch {
                    " Careful: one side says localhost and the other 127.0.0.1. Browsers treat them as different sites, \
                     so the session cookie will not be sent back. Use the same name for both."
                } else {
                    ""
                }
            ),
            offer_simulated: false,
        });
        spawn_local(async move {
            if let Ok(info) = net::server_info(&base, INFO_TIMEOUT_MS).await {
                pg.info.set(Some(info));
                pg.open_channel(&base, true);
            }
        });
    }

    // ---------------------------------------------------------------------------------------
    // Requests

    pub(crate) fn context(&self, probe: Probe) -> Context {
        let kind = self.kind.get_untracked().unwrap_or_default();
        let page = parse_origin(&net::page_origin());
        let base = self.base.get_untracked();
        Context {
            kind,
            target: if base.is_empty() {
                page.clone()
            } else {
                parse_origin(&base)
            },
            page,
            session: self.session_mode.get_untracked(),
            probe,
            via_dev_proxy: false,
        }
    }

    /// Sends one `GET /greeting` (or `path`) to the current target; resolves when it is in the
    /// timeline with its outcome. Returns the exchange number.
    pub async fn send(self, path: &'static str, batch: Option<String>) -> usize {
        let id = self.new_id();
        let auth = self.authorization();
        let session = self.session_mode.get_untracked();
        let kind = self.kind.get_untracked().unwrap_or(TargetKind::Simulated);
        let sent = vec![
            Header::new("Authorization", auth.clone()),
            Header::new("X-Playground-Exchange", id.clone()),
        ];
        let number = self
            .timeline
            .try_update(|t| t.begin(&id, net::now_ms(), path, sent.clone(), session, batch))
            .unwrap_or(0);
        self.in_flight.update(|n| *n += 1);
        let started = net::perf_now();
        if kind == TargetKind::Simulated {
            // Let the pending row render, as a network request would.
            net::sleep(0).await;
            let report = self
                .sim_handle(&[path], &auth, session, std::slice::from_ref(&id))
                .remove(0);
            self.finish_simulated(&id, started, report);
        } else {
            self.fetch_greeting(&id, path, sent, session, started).await;
        }
        self.in_flight.update(|n| *n = n.saturating_sub(1));
        number
    }

    fn sim_handle(
        &self,
        paths: &[&str],
        auth: &str,
        include: bool,
        ids: &[String],
    ) -> Vec<ExchangeReport> {
        let now = net::now_ms();
        let date = net::http_date(now);
        let ua = net::user_agent();
        let reqs: Vec<SimRequest> = paths
            .iter()
            .zip(ids)
            .map(|(p, id)| SimRequest {
                path: p,
                authorization: Some(auth),
                include_cookies: include,
                cookie: None,
                exchange_id: Some(id),
                user_agent: ua.as_deref(),
                now_ms: now,
                date: &date,
            })
            .collect();
        let t0 = net::perf_now();
        let mut reports = if reqs.len() == 1 {
            vec![self.sim.write_value().handle(&reqs[0])]
        } else {
            self.sim.write_value().handle_parallel(&reqs)
        };
        let micros = ((net::perf_now() - t0) * 1000.0 / reqs.len().max(1) as f64) as u64;
        for r in &mut reports {
            r.duration_micros = micros;
        }
        self.sim_jar
            .set(self.sim.with_value(|s| s.jar().map(str::to_string)));
        reports
    }

    pub(crate) fn finish_simulated(&self, id: &str, started: f64, report: ExchangeReport) {
        let headers = report.response_headers.clone();
        let completion = completion_for(
            report.status,
            report.body.clone(),
            headers,
            None,
            &self.context(Probe::NotTried),
        );
        let prefix = self.prefix.get_value();
        self.timeline.update(|t| {
            t.add_report(report, &prefix);
            t.complete(id, net::perf_now() - started, completion);
        });
    }

    async fn fetch_greeting(
        &self,
        id: &str,
        path: &str,
        sent: Vec<Header>,
        session: bool,
        started: f64,
    ) {
        let base = self.base.get_untracked();
        let url = join(&base, path);
        let timeout = self.timeout_ms.get_untracked().max(1);
        let result = net::fetch("GET", &url, &sent, session, timeout).await;
        let elapsed = net::perf_now() - started;
        let completion = match result {
            Ok(f) => completion_for(
                f.status,
                f.body,
                f.headers,
                f.content_type,
                &self.context(Probe::NotTried),
            ),
            Err(failure) => {
                let mut ctx = self.context(Probe::NotTried);
                let cross = match (&ctx.page, &ctx.target) {
                    (Some(p), Some(t)) => !p.same_origin(t),
                    _ => false,
                };
                if matches!(failure, Failure::Network { .. }) && cross {
                    ctx.probe = if net::probe(&url).await {
                        Probe::Reachable
                    } else {
                        Probe::Unreachable
                    };
                }
                let explanation = classify(&failure, &ctx);
                if matches!(explanation.code, "server-down") && ctx.kind == TargetKind::Server {
                    self.banner.set(Banner {
                        level: "error",
                        title: "The greeting server is not running any more".into(),
                        detail: explanation.detail.clone(),
                        offer_simulated: true,
                    });
                }
                Completion::Failure {
                    explanation,
                    status: None,
                    body: None,
                    headers: Vec::new(),
                }
            }
        };
        self.timeline
            .update(|t| t.complete(id, elapsed, completion));
    }

    pub fn send_once(&self) {
        let pg = *self;
        spawn_local(async move {
            pg.note.set(None);
            pg.send("/greeting", None).await;
        });
    }

    pub fn send_sequence(&self) {
        let pg = *self;
        let n = pg.count.get_untracked().clamp(1, 50);
        spawn_local(async move {
            pg.note.set(None);
            for _ in 0..n {
                pg.send("/greeting", None).await;
            }
        });
    }

    pub fn send_parallel(&self) {
        let pg = *self;
        let n = pg.count.get_untracked().clamp(1, 50) as usize;
        let batch = pg.new_id();
        spawn_local(async move {
            pg.note.set(None);
            let before = pg
                .timeline
                .with_untracked(|t| t.entries.iter().rev().find_map(|e| e.visit()));
            if pg.kind.get_untracked() == Some(TargetKind::Simulated) {
                pg.sim_parallel(n, &batch).await;
            } else {
                let futures: Vec<_> = (0..n)
                    .map(|_| pg.send("/greeting", Some(batch.clone())))
                    .collect();
                futures::future::join_all(futures).await;
            }
            let summary = pg.timeline.with_untracked(|t| t.lost_in_batch(&batch));
            if let Some((answered, top)) = summary {
                pg.note.set(Some(parallel_note(
                    answered,
                    top,
                    before,
                    pg.session_mode.get_untracked(),
                )));
            }
        });
    }

    async fn sim_parallel(&self, n: usize, batch: &str) {
        let auth = self.authorization();
        let session = self.session_mode.get_untracked();
        let ids: Vec<String> = (0..n).map(|_| self.new_id()).collect();
        let started = net::perf_now();
        for id in &ids {
            let sent = vec![
                Header::new("Authorization", auth.clone()),
                Header::new("X-Playground-Exchange", id.clone()),
            ];
            self.timeline.update(|t| {
                t.begin(
                    id,
                    net::now_ms(),
                    "/greeting",
                    sent,
                    session,
                    Some(batch.to_string()),
                );
            });
        }
        net::sleep(0).await;
        let paths = vec!["/greeting"; n];
        let reports = self.sim_handle(&paths, &auth, session, &ids);
        for (id, r) in ids.iter().zip(reports) {
            self.finish_simulated(id, started, r);
        }
    }

    /// Forgets the session: the server expires the cookie (the page cannot touch an HttpOnly
    /// cookie itself), or the simulated jar is emptied.
    pub async fn reset(self) -> Result<(), String> {
        match self.kind.get_untracked() {
            Some(TargetKind::Simulated) | None => {
                self.sim.write_value().reset();
                self.sim_jar.set(None);
                Ok(())
            }
            Some(_) => {
                let base = self.base.get_untracked();
                let url = join(&base, "/playground/api/reset");
                let id = self.new_id();
                let headers = [Header::new("X-Playground-Exchange", id)];
                match net::fetch("POST", &url, &headers, true, self.timeout_ms.get_untracked().max(1)).await {
                    Ok(f) if (200..300).contains(&f.status) => Ok(()),
                    Ok(f) => Err(format!(
                        "{url} answered {}: this server has no reset. The cookie is HttpOnly, so the page cannot delete it; \
                         clear this site's cookies in the browser, or restart a server whose key is random.",
                        f.status
                    )),
                    Err(f) => Err(classify(&f, &self.context(Probe::NotTried)).title),
                }
            }
        }
    }

    pub fn reset_session(&self) {
        let pg = *self;
        spawn_local(async move {
            let n = pg.timeline.with_untracked(|t| t.len());
            match pg.reset().await {
                Ok(()) => {
                    pg.timeline.update(|t| t.mark_reset());
                    pg.note.set(Some(format!(
                    "Session reset after exchange #{n}: the cookie is gone, the next request starts again at visit 1."
                    )))
                }
                Err(e) => pg.note.set(Some(format!("Reset failed: {e}"))),
            }
        });
    }

    /// "Run in playground" for a chapter code block: a fresh session (as a new
    /// `requests.Session()` has an empty jar), then the sample's requests, then its `>>>` lines
    /// recomputed from what came back.
    pub fn run_block(
        &self,
        block: usize,
        scenario: &'static crate::content::Scenario,
        statements: &'static [crate::content::Statement],
    ) {
        use crate::model::chapter_run::{eval, same_story, RunResponse};
        let pg = *self;
        pg.run.set(Some(RunOutcome {
            block,
            running: true,
            lines: Vec::new(),
            note: None,
        }));
        spawn_local(async move {
            pg.username.set(scenario.username.to_string());
            pg.password.set(scenario.password.to_string());
            pg.session_mode.set(scenario.session);
            let mut note = None;
            if scenario.session {
                match pg.reset().await {
                    Ok(()) => pg.timeline.update(|t| t.mark_reset()),
                    Err(e) => {
                        note = Some(format!("Could not start from an empty cookie jar ({e}); the count may go on from before."))
                    }
                }
            }
            let mut responses = Vec::new();
            for name in scenario.responses {
                let number = pg.send(scenario.path, None).await;
                let r = wait_for_report(pg, number).await;
                responses.push(RunResponse {
                    name: name.to_string(),
                    ..r
                });
            }
            let lines = statements
                .iter()
                .map(|s| {
                    let actual = eval(s.expr, &responses).unwrap_or_else(|e| format!("# {e}"));
                    let same = same_story(s.expected, &actual);
                    (s.expr.to_string(), s.expected.to_string(), actual, same)
                })
                .collect();
            pg.run.set(Some(RunOutcome {
                block,
                running: false,
                lines,
                note,
            }));
        });
    }
}

/// The response of exchange `number` for the chapter comparison, once the side channel has
/// reported it (or after a short wait, with what the page itself saw).
async fn wait_for_report(pg: Pg, number: usize) -> crate::model::chapter_run::RunResponse {
    use crate::model::chapter_run::RunResponse;
    let waits = if pg.side.get_untracked() == SideState::None {
        0
    } else {
        20
    };
    for _ in 0..waits {
        if pg
            .timeline
            .with_untracked(|t| t.get(number).is_some_and(|e| e.report.is_some()))
        {
            break;
        }
        net::sleep(50).await;
    }
    pg.timeline.with_untracked(|t| {
        let Some(e) = t.get(number) else {
            return RunResponse {
                error: Some("lost".into()),
                ..Default::default()
            };
        };
        RunResponse {
            name: String::new(),
            status: e.status(),
            body: e.body().map(str::to_string),
            response_headers: e.response_headers().to_vec(),
            request_headers: e
                .report
                .as_ref()
                .map(|r| r.request_headers.clone())
                .unwrap_or_default(),
            headers_from_server: e.report.is_some(),
            error: match (e.error(), e.status()) {
                (Some(x), None) => Some(x.title.clone()),
                _ => None,
            },
        }
    })
}

/// A 2xx with the greeting JSON is an answer; anything else is an explained failure (that keeps
/// the status and body for the details).
pub(crate) fn completion_for(
    status: u16,
    body: String,
    headers: Vec<Header>,
    content_type: Option<String>,
    ctx: &Context,
) -> Completion {
    let failure = if !(200..300).contains(&status) {
        Some(Failure::Status {
            status,
            body: body.clone(),
        })
    } else if message_of(&body).is_none() {
        let content_type = content_type.or_else(|| {
            headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-type"))
                .map(|h| h.value.clone())
        });
        Some(Failure::NotJson {
            status,
            body: body.clone(),
            content_type,
        })
    } else {
        None
    };
    match failure {
        None => Completion::Answer {
            status,
            body,
            headers,
        },
        Some(f) => {
            let mut ctx = ctx.clone();
            ctx.via_dev_proxy = matches!(
                f,
                Failure::Status {
                    status: 502..=504,
                    ..
                }
            ) || matches!(&f, Failure::Status { status: 500, body } if serde_json::from_str::<serde_json::Value>(body).is_err() && body.len() < 400);
            Completion::Failure {
                explanation: classify(&f, &ctx),
                status: Some(status),
                body: Some(body),
                headers,
            }
        }
    }
}

fn parallel_note(answered: usize, top: u64, before: Option<u64>, session: bool) -> String {
    if !session {
        return format!(
            "{answered} requests answered, all without a cookie: each one is a first visit."
        );
    }
    let start = before.unwrap_or(0);
    let expected = start + answered as u64;
    if top >= expected {
        format!("{answered} requests answered and the count went from {start} to {top}: nothing lost this time.")
    } else {
        format!(
            "{answered} requests were sent at once and the count went from {start} to {top}, not {expected}: {} visit(s) \
             lost. Every request that left before an answer came back carried the same old cookie, so their answers all \
             counted from the same number; the browser kept whichever cookie arrived last.",
            expected - top
        )
    }
}

fn server_banner(info: &ServerInfo, origin: &str) -> Banner {
    let key = match (info.teaching, &info.secret_key) {
        (true, Some(_)) => {
            "Teaching mode: the server told the page its secret key, so cookies are verified here."
        }
        _ => "The server keeps its secret key to itself: cookies are decoded but not verified.",
    };
    Banner {
        level: "ok",
        title: format!("Connected to {} {} at {origin}", info.name, info.version),
        detail: format!(
            "Users: {}. {key} {}",
            info.users.join(", "),
            if info.sees_all_clients {
                "Its side channel reports every exchange, including other clients' (run the chapter's Python code in a terminal and watch)."
            } else {
                "Its side channel reports the exchanges of this computer's address only (the server is not bound to loopback)."
            }
        ),
        offer_simulated: false,
    }
}
