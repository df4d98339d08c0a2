//! "Log out, then replay the old cookie": the two buttons and both session modes' runs side by
//! side (the sentences come from `model::logout`).

use leptos::prelude::*;

use crate::app::Playground;
use crate::model::logout::{mode_flag, other, ModeRun, Runner};
use crate::model::target::TargetKind;

#[component]
pub fn LogoutReplay() -> impl IntoView {
    let playground = expect_context::<Playground>();
    // A new target: the last runs were about another server.
    Effect::new(move |prev: Option<Option<TargetKind>>| {
        let kind = playground.kind.get();
        if prev.is_some_and(|p| p != kind) {
            playground.lesson.set(Default::default());
        }
        kind
    });
    let lesson = playground.lesson;
    let busy = move || lesson.with(|l| l.busy);
    let can_replay = move || lesson.with(|l| l.can_replay());
    let where_note = move || {
        let mode = playground.session_mode()?;
        let simulated = playground.kind.get() == Some(TargetKind::Simulated);
        Some(if simulated {
            "Both modes run on simulated servers in this page: cookie mode on the page's own, server mode on a second one with a simulated store.".to_string()
        } else {
            format!(
                "This greeting server runs --sessions {}; the other mode, --sessions {}, runs on a simulated server in this page with the same steps (as many visits, log out, replay).",
                mode_flag(mode),
                mode_flag(other(mode))
            )
        })
    };
    view! {
        <section class="card logout-lesson" aria-labelledby="logout-h" data-testid="logout-lesson">
            <h2 id="logout-h">"Log out, then replay the old cookie"</h2>
            <p class="muted small">
                "Log out keeps a copy of the session cookie, then sends POST /logout. "
                "Replay sends that copy with a greeting, as anyone who kept it could."
            </p>
            <div class="row">
                <button type="button" data-testid="log-out" prop:disabled=busy
                    on:click=move |_| playground.log_out()>"Log out"</button>
                <button type="button" data-testid="replay-old-cookie" prop:disabled=move || !can_replay()
                    on:click=move |_| playground.replay_old_cookie()>"Replay the old cookie"</button>
            </div>
            {move || lesson.with(|l| l.note.clone()).map(|n| view! {
                <p class="small" role="status" data-testid="logout-note">{n}</p>
            })}
            <Show when=move || lesson.with(|l| !l.runs.is_empty())>
                <p class="muted small" data-testid="logout-where">{where_note}</p>
                <div class="side-by-side">
                    {move || lesson.with(|l| l.runs.clone()).into_iter().map(|run| view! { <Run run=run/> }).collect_view()}
                </div>
            </Show>
        </section>
    }
}

#[component]
fn Run(run: ModeRun) -> impl IntoView {
    let testid = format!("logout-run-{}", mode_flag(run.mode));
    let runner = match run.runner {
        Runner::ThisServer => "server",
        Runner::Simulated => "simulated",
    };
    view! {
        <div class="mode-run" data-testid=testid data-runner=runner>
            <h3>{run.title()}</h3>
            <ol class="small">
                <li data-testid="kept">{run.kept()}<br/><span class="mono wrap">{run.old_cookie.clone()}</span></li>
                <li data-testid="logout-answer">{run.logout.as_ref().map(|s| {
                    format!("Log out answered {}: {}", s.status.map(|c| c.to_string()).unwrap_or_else(|| "nothing".into()), s.message)
                })}</li>
                <li data-testid="replay-answer">{match &run.replay {
                    Some(s) => format!("The replay was answered {}: {}", s.status.map(|c| c.to_string()).unwrap_or_else(|| "nothing".into()), s.message),
                    None => "Replay the old cookie: not yet.".to_string(),
                }}</li>
            </ol>
            {run.verdict().map(|v| view! { <p class="verdict-line" data-testid="replay-verdict">{v}</p> })}
        </div>
    }
}
