//! Finding out which `session` cookie the browser holds for the server: the greeting server's
//! `GET /playground/api/cookies` answers with the cookies the request carried. The simulated
//! server's jar is known in the page.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::model::jar::Jar;
use crate::model::target::{join, TargetKind};
use crate::net;

use super::{Playground, INFO_TIMEOUT_MS};

impl Playground {
    /// After the page's own send in session mode (exchange `number`). Against the page's own
    /// server, when the server's report already says which cookie the answer set, that cookie is
    /// the jar's (a same-origin answer's `Set-Cookie` is stored before its fetch resolves), so
    /// nothing is asked; otherwise (no report yet, another origin) the server is asked.
    pub(super) fn learn_jar_after(&self, number: usize) {
        let set = (self.kind.get_untracked() == Some(TargetKind::Server))
            .then(|| {
                self.timeline.with_untracked(|t| {
                    t.get(number)
                        .filter(|e| e.status() == Some(200))
                        .and_then(|e| e.cookie_out().map(str::to_string))
                })
            })
            .flatten();
        match set {
            Some(cookie) => {
                let jar = Jar::Holds(cookie);
                if self.jar.with_untracked(|j| *j != jar) {
                    self.jar.set(jar);
                }
            }
            None => self.refresh_jar(),
        }
    }

    /// Asks the server what the browser's jar holds now (after a reload, a send, a reset, a
    /// plant). A server without the endpoint leaves the jar unknown.
    pub fn refresh_jar(&self) {
        let playground = *self;
        if matches!(
            playground.kind.get_untracked(),
            Some(TargetKind::Simulated) | None
        ) {
            return;
        }
        let url = join(&playground.base.get_untracked(), "/playground/api/cookies");
        spawn_local(async move {
            let jar = match net::fetch("GET", &url, &[], true, INFO_TIMEOUT_MS).await {
                Ok(f) => Jar::from_cookies_answer(f.status, &f.body),
                Err(_) => Jar::Unknown,
            };
            if playground.jar.with_untracked(|j| *j != jar) {
                playground.jar.set(jar);
            }
        });
    }
}
