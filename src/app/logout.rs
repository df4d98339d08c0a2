//! "Log out" and "Replay the old cookie": the page keeps a copy of its session cookie, sends
//! `POST /logout`, then sends the copy with a greeting (as a client that kept it would, through
//! the jar-carrying pair, so the browser's own jar stays logged out). The target's own mode runs
//! for real; the other mode runs on a simulated server with the same steps
//! ([`crate::model::logout`]), so the view shows both side by side.

use leptos::prelude::*;
use leptos::task::spawn_local;

use greeting_core::{Header, SessionMode, CARRIED_COOKIE};

use crate::model::logout::{other, shadow_log_out, shadow_replay, Clock, ModeRun, Runner, Step};
use crate::model::sim::{SimRequest, SimServer};
use crate::model::target::TargetKind;
use crate::model::timeline::Source;
use crate::net;

use super::Playground;

/// The browser's randomness for the simulated servers' session ids.
fn fill_random(bytes: &mut [u8]) {
    bytes.copy_from_slice(&net::random_bytes(bytes.len()));
}

/// The lesson's state: both modes' runs (cookie mode first) and the other mode's simulated server.
#[derive(Clone, Debug, Default)]
pub struct Lesson {
    pub runs: Vec<ModeRun>,
    /// The mode the target itself ran (the other ran on a simulated server).
    pub own_mode: Option<SessionMode>,
    /// The `Authorization` header the session was logged in with (the replay sends it again).
    pub auth: String,
    pub busy: bool,
    /// Why the last press did nothing, if it did nothing.
    pub note: Option<String>,
}

impl Lesson {
    /// The run the page's target made (real, or the page's own simulated server).
    pub fn own(&self) -> Option<&ModeRun> {
        self.runs.iter().find(|r| Some(r.mode) == self.own_mode)
    }

    pub fn can_replay(&self) -> bool {
        !self.busy && !self.runs.is_empty() && self.runs.iter().all(|r| r.replay.is_none())
    }
}

impl Playground {
    /// Where the target keeps sessions: the simulated server's mode, or the server's as
    /// `/playground/api/info` says (`None` when it said nothing).
    pub fn session_mode(&self) -> Option<SessionMode> {
        match self.kind.get()? {
            TargetKind::Simulated => Some(self.sim.with_value(SimServer::mode)),
            _ => self.info.with(|i| i.as_ref().map(|i| i.session_mode)),
        }
    }

    fn clock_date() -> (u64, String) {
        let now = net::now_ms();
        (now, net::http_date(now))
    }

    fn lesson_note(&self, note: &str) {
        self.lesson.update(|l| {
            l.busy = false;
            l.note = Some(note.to_string());
        });
    }

    /// "Log out": keeps a copy of the session cookie, then `POST /logout` to the target, and
    /// the same steps in the other mode on a simulated server.
    pub fn log_out(&self) {
        let playground = *self;
        let Some(mode) = untrack(|| playground.session_mode()) else {
            return playground.lesson_note(
                "This server does not say where it keeps sessions (no /playground/api/info), so the page cannot compare the modes.",
            );
        };
        let Some(old) = untrack(|| playground.jar_now()).value().map(str::to_string) else {
            return playground.lesson_note(
                "There is no session cookie to keep a copy of: send a greeting in session mode first.",
            );
        };
        let (visit, user) = playground.timeline.with_untracked(|t| {
            let setter = (1..=t.len())
                .rev()
                .filter_map(|n| t.get(n))
                .find(|e| e.cookie_out() == Some(old.as_str()));
            (
                setter.and_then(|e| e.visit()),
                setter
                    .and_then(|e| e.report.as_ref().and_then(|r| r.user.clone()))
                    .unwrap_or_else(|| playground.username.get_untracked()),
            )
        });
        let auth = playground.authorization();
        playground.lesson.set(Lesson {
            busy: true,
            auth: auth.clone(),
            own_mode: Some(mode),
            ..Lesson::default()
        });
        spawn_local(async move {
            let id = playground.new_id();
            let headers = vec![Header::new("X-Playground-Exchange", id.clone())];
            let (now, date) = Self::clock_date();
            let number = playground.timeline.try_update(|t| {
                t.begin_as(
                    &id,
                    now,
                    "POST",
                    "/logout",
                    headers.clone(),
                    true,
                    Source::Page,
                )
            });
            let started = net::perf_now();
            let kind = playground.kind.get_untracked();
            let runner = if kind == Some(TargetKind::Simulated) {
                let report = playground.sim.write_value().logout(&SimRequest {
                    path: "/logout",
                    include_cookies: true,
                    exchange_id: Some(&id),
                    user_agent: net::user_agent().as_deref(),
                    now_ms: now,
                    date: &date,
                    ..SimRequest::default()
                });
                playground.sim_jar.set(None);
                playground.finish_simulated(&id, started, report);
                Runner::Simulated
            } else {
                playground
                    .fetch_greeting(&id, "POST", "/logout", headers, true, started)
                    .await;
                playground.refresh_jar();
                Runner::ThisServer
            };
            let answer = playground.timeline.with_untracked(|t| {
                number
                    .and_then(|n| t.get(n))
                    .map(|e| Step::of(e.status(), e.body().unwrap_or_default()))
            });
            let own = ModeRun {
                mode,
                runner,
                user: user.clone(),
                visit,
                old_cookie: old,
                logout: answer,
                replay: None,
            };
            let mut shadow = SimServer::in_mode(
                playground.sim.with_value(|s| s.secret_key().to_string()),
                other(mode),
                fill_random,
            );
            let theirs = shadow_log_out(
                &mut shadow,
                &user,
                &auth,
                visit.unwrap_or(1),
                Clock {
                    now_ms: now,
                    date: &date,
                },
            );
            playground.shadow.set_value(Some(shadow));
            let mut runs = vec![own, theirs];
            runs.sort_by_key(|r| r.mode != SessionMode::Cookie);
            playground.lesson.update(|l| {
                l.runs = runs;
                l.busy = false;
            });
        });
    }

    /// "Replay the old cookie": the kept copy sent with a greeting, in both modes.
    pub fn replay_old_cookie(&self) {
        let playground = *self;
        let lesson = playground.lesson.get_untracked();
        let Some(own) = lesson.own().cloned() else {
            return playground
                .lesson_note("Log out first: the page keeps a copy of the cookie as it does.");
        };
        playground.lesson.update(|l| l.busy = true);
        spawn_local(async move {
            let id = playground.new_id();
            let (now, date) = Self::clock_date();
            let cookie = format!("session={}", own.old_cookie);
            let auth = lesson.auth.clone();
            let started = net::perf_now();
            let step = if own.runner == Runner::Simulated {
                playground.timeline.update(|t| {
                    t.begin(&id, now, "/greeting", Vec::new(), false, None);
                });
                let report = playground.sim.write_value().handle(&SimRequest {
                    path: "/greeting",
                    authorization: Some(&auth),
                    include_cookies: false,
                    cookie: Some(&cookie),
                    exchange_id: Some(&id),
                    user_agent: net::user_agent().as_deref(),
                    now_ms: now,
                    date: &date,
                });
                let step = Step::of(Some(report.status), &report.body);
                playground.finish_simulated(&id, started, report);
                step
            } else {
                // The copy travels as a client with its own jar sends it (the jar-carrying pair):
                // the browser's jar, logged out, is left alone.
                let headers = vec![
                    Header::new("Authorization", auth.clone()),
                    Header::new("X-Playground-Exchange", id.clone()),
                    Header::new(CARRIED_COOKIE, cookie.clone()),
                ];
                let number = playground
                    .timeline
                    .try_update(|t| t.begin(&id, now, "/greeting", headers.clone(), false, None));
                playground
                    .fetch_greeting(&id, "GET", "/greeting", headers, false, started)
                    .await;
                playground.timeline.with_untracked(|t| {
                    number
                        .and_then(|n| t.get(n))
                        .map(|e| Step::of(e.status(), e.body().unwrap_or_default()))
                        .unwrap_or(Step {
                            status: None,
                            message: "no answer".into(),
                        })
                })
            };
            let mut shadow = playground.shadow.get_value();
            playground.lesson.update(|l| {
                for run in &mut l.runs {
                    if run.mode == own.mode {
                        run.replay = Some(step.clone());
                    } else if let Some(sim) = shadow.as_mut() {
                        shadow_replay(
                            sim,
                            run,
                            &auth,
                            Clock {
                                now_ms: now,
                                date: &date,
                            },
                        );
                    }
                }
                l.busy = false;
            });
            playground.shadow.set_value(shadow);
        });
    }
}
