//! "Send N at once": requests that leave together, grouped as one batch in the timeline, and
//! the note on what the batch did to the visit count.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::model::batch::BatchSummary;
use crate::model::target::TargetKind;
use crate::net;

use super::Playground;

impl Playground {
    pub fn send_parallel(&self) {
        let playground = *self;
        let n = playground.count.get_untracked().clamp(1, super::MAX_COUNT) as usize;
        let batch = playground.new_id();
        spawn_local(async move {
            playground.note.set(None);
            let before = playground
                .timeline
                .with_untracked(|t| t.entries.iter().rev().find_map(|e| e.visit()));
            if playground.kind.get_untracked() == Some(TargetKind::Simulated) {
                playground.sim_parallel(n, &batch).await;
            } else {
                let futures: Vec<_> = (0..n)
                    .map(|_| playground.send("/greeting", Some(batch.clone())))
                    .collect();
                futures::future::join_all(futures).await;
            }
            let session = playground.session_mode.get_untracked();
            let note = playground
                .timeline
                .with_untracked(|t| BatchSummary::of(t, &batch, before, session).note());
            playground.note.set(note);
            if session {
                playground.refresh_jar();
            }
        });
    }

    /// The simulated server takes the whole batch at once, as if every request left before
    /// any answer came back.
    async fn sim_parallel(&self, n: usize, batch: &str) {
        let auth = self.authorization();
        let session = self.session_mode.get_untracked();
        let ids: Vec<String> = (0..n).map(|_| self.new_id()).collect();
        let started = net::perf_now();
        for id in &ids {
            let sent = self.request_headers(&auth, id);
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
}
