//! Sending greeting requests one at a time (to the server, or to the simulated server in the
//! page) and resetting the session.

use leptos::prelude::*;
use leptos::task::spawn_local;

use greeting_core::{ExchangeReport, Header};

use crate::model::errors::{classify, Code, Failure, Probe};
use crate::model::sim::SimRequest;
use crate::model::status::{reset_note, Banner};
use crate::model::target::{join, TargetKind};
use crate::model::timeline::Completion;
use crate::net;

use super::Playground;

impl Playground {
    /// The headers the page sets on a greeting request (the browser adds Cookie and the rest).
    pub(super) fn request_headers(&self, auth: &str, id: &str) -> Vec<Header> {
        vec![
            Header::new("Authorization", auth),
            Header::new("X-Playground-Exchange", id),
        ]
    }

    /// Sends one `GET /greeting` (or `path`) to the current target; resolves when it is in the
    /// timeline with its outcome. Returns the exchange number.
    pub async fn send(self, path: &'static str, batch: Option<String>) -> usize {
        let id = self.new_id();
        let auth = self.authorization();
        let session = self.session_mode.get_untracked();
        let kind = self.kind.get_untracked().unwrap_or(TargetKind::Simulated);
        let sent = self.request_headers(&auth, &id);
        // A batch asks the jar once, at its end.
        let ask_jar_after = session && batch.is_none();
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
            self.fetch_greeting(&id, "GET", path, sent, session, started)
                .await;
        }
        self.in_flight.update(|n| *n = n.saturating_sub(1));
        if ask_jar_after {
            self.learn_jar_after(number);
        }
        number
    }

    /// Hands requests to the simulated server (all at once when there are several) and returns
    /// its reports, each with the average handling time.
    pub(super) fn sim_handle(
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
        let completion = Completion::of_answer(
            report.status,
            report.body.clone(),
            report.response_headers.clone(),
            None,
            &self.context(Probe::NotTried),
        );
        let prefix = self.prefix.get_value();
        self.timeline.update(|t| {
            t.add_report(report, &prefix);
            t.complete(id, net::perf_now() - started, completion);
        });
    }

    /// Sends a page request (`method` `GET` or `POST`) and records how it ended in the timeline.
    pub(super) async fn fetch_greeting(
        &self,
        id: &str,
        method: &str,
        path: &str,
        sent: Vec<Header>,
        session: bool,
        started: f64,
    ) {
        let base = self.base.get_untracked();
        let url = join(&base, path);
        let timeout = self.timeout_ms.get_untracked().max(1);
        let result = net::fetch(method, &url, &sent, session, timeout).await;
        let elapsed = net::perf_now() - started;
        let completion = match result {
            Ok(f) => Completion::of_answer(
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
                if explanation.code == Code::ServerDown && ctx.kind == TargetKind::Server {
                    self.banner
                        .set(Banner::server_gone(explanation.detail.clone()));
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
        let playground = *self;
        spawn_local(async move {
            playground.note.set(None);
            playground.send("/greeting", None).await;
        });
    }

    pub fn send_sequence(&self) {
        let playground = *self;
        let n = playground.count.get_untracked().clamp(1, super::MAX_COUNT);
        spawn_local(async move {
            playground.note.set(None);
            for _ in 0..n {
                playground.send("/greeting", None).await;
            }
        });
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
                let headers = [Header::new("X-Playground-Exchange", self.new_id())];
                let timeout = self.timeout_ms.get_untracked().max(1);
                match net::fetch("POST", &url, &headers, true, timeout).await {
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
        let playground = *self;
        spawn_local(async move {
            let after = playground.timeline.with_untracked(|t| t.len());
            let result = playground.reset().await;
            if result.is_ok() {
                playground.timeline.update(|t| t.mark_reset());
                playground.refresh_jar();
            }
            let note = reset_note(result.as_ref().map(|()| after).map_err(String::as_str));
            playground.note.set(Some(note));
        });
    }
}
