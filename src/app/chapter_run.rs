//! "Run in playground" for a chapter code block: a fresh session (as a new
//! `requests.Session()` has an empty jar), then the sample's requests, then its `>>>` lines
//! recomputed from what came back.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::content::{Scenario, Statement};
use crate::model::chapter_run::{ComparedLine, RunResponse};
use crate::net;

use super::{Playground, RunOutcome, SideState};

impl Playground {
    pub fn run_block(
        &self,
        block: usize,
        scenario: &'static Scenario,
        statements: &'static [Statement],
    ) {
        let playground = *self;
        playground.run.set(Some(RunOutcome {
            block,
            running: true,
            lines: Vec::new(),
            note: None,
        }));
        playground.note.set(None);
        spawn_local(async move {
            playground.username.set(scenario.username.to_string());
            playground.password.set(scenario.password.to_string());
            playground.session_mode.set(scenario.session);
            let mut note = None;
            if scenario.session {
                match playground.reset().await {
                    Ok(()) => playground.timeline.update(|t| t.mark_reset()),
                    Err(e) => {
                        note = Some(format!("Could not start from an empty cookie jar ({e}); the count may go on from before."))
                    }
                }
            }
            let mut responses = Vec::new();
            for name in scenario.responses_for(statements) {
                let number = playground.send(scenario.path, None).await;
                let r = playground.wait_for_report(number).await;
                responses.push(RunResponse {
                    name: name.to_string(),
                    ..r
                });
            }
            let lines = statements
                .iter()
                .map(|s| ComparedLine::compute(s.expr, s.expected, &responses))
                .collect();
            playground.run.set(Some(RunOutcome {
                block,
                running: false,
                lines,
                note,
            }));
        });
    }

    /// The response of exchange `number` for the chapter comparison, once the side channel has
    /// reported it (or after a short wait, with what the page itself saw).
    async fn wait_for_report(self, number: usize) -> RunResponse {
        let waits = if self.side.get_untracked() == SideState::None {
            0
        } else {
            20
        };
        for _ in 0..waits {
            if self
                .timeline
                .with_untracked(|t| t.get(number).is_some_and(|e| e.report.is_some()))
            {
                break;
            }
            net::sleep(50).await;
        }
        self.timeline.with_untracked(|t| {
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
}
