//! The course exercises beside the chapter: task, hints one at a time, an automatic check
//! against the exchanges the page saw, the explanation once solved. Progress lives in
//! localStorage (model::progress); the page still works when storage is blocked.

use leptos::prelude::*;

use crate::app::Playground;
use crate::components::python::{first_chapter_sample, PythonCode};
use crate::model::exercises::{newly_solved, Exercise, Needs, EXERCISES};
use crate::model::progress::{Loaded, Progress, STORAGE_KEY};
use crate::model::target::TargetKind;
use crate::net;
use crate::python::Py;

fn storage() -> Option<web_sys::Storage> {
    // `localStorage` throws when the browser blocks storage (site data off, some sandboxes).
    web_sys::window()?.local_storage().ok().flatten()
}

/// What localStorage holds: `Err` when storage cannot be used at all.
fn read_stored() -> Result<Option<String>, ()> {
    storage().ok_or(())?.get_item(STORAGE_KEY).map_err(|_| ())
}

fn write_stored(text: &str) -> Result<(), ()> {
    storage()
        .ok_or(())?
        .set_item(STORAGE_KEY, text)
        .map_err(|_| ())
}

/// The exercises' shared state.
#[derive(Clone, Copy)]
struct State {
    progress: RwSignal<Progress>,
    /// Something to tell the learner about saving (blocked, reset, migrated, newer).
    notice: RwSignal<Option<String>>,
    writable: StoredValue<bool>,
    /// Checks look at timeline entries from this index on (moved forward by "Reset progress").
    from: RwSignal<usize>,
    /// Read by screen readers when an exercise gets solved.
    announce: RwSignal<String>,
}

impl State {
    fn load() -> State {
        let (progress, notice, writable) = match read_stored() {
            Err(()) => (
                Progress::default(),
                Some("This browser blocks the page's storage: the exercises work, but progress is not kept after you leave.".to_string()),
                true,
            ),
            Ok(text) => {
                let (p, loaded) = Progress::load(text.as_deref());
                let notice = loaded.notice();
                if matches!(loaded, Loaded::Reset { .. } | Loaded::Migrated { .. }) {
                    let _ = write_stored(&p.to_json());
                }
                (p, notice, loaded.writable())
            }
        };
        State {
            progress: RwSignal::new(progress),
            notice: RwSignal::new(notice),
            writable: StoredValue::new(writable),
            from: RwSignal::new(0),
            announce: RwSignal::new(String::new()),
        }
    }

    fn save(&self) {
        if !self.writable.get_value() {
            return;
        }
        let text = self.progress.with_untracked(Progress::to_json);
        if write_stored(&text).is_err() && self.notice.with_untracked(Option::is_none) {
            self.notice.set(Some(
                "Progress could not be saved (the browser refused the storage write).".into(),
            ));
        }
    }
}

#[component]
pub fn Exercises() -> impl IntoView {
    let playground = expect_context::<Playground>();
    let py = use_context::<Py>();
    let st = State::load();

    // Check the unsolved exercises whenever the timeline changes.
    Effect::new(move |_| {
        let from = st.from.get();
        // What the page's Python printed: some checks read it as well as the timeline.
        let printed = py.map(|py| py.finished_stdout()).unwrap_or_default();
        let solved: Vec<&'static Exercise> = playground.timeline.with(|t| {
            if t.len() < from {
                // The list was cleared: everything in it is new.
                st.from.set(0);
                return Vec::new();
            }
            st.progress.with_untracked(|p| {
                newly_solved(&t.entries[from..], &printed, |id| p.is_solved(id))
            })
        });
        if !solved.is_empty() {
            let now = net::now_ms();
            st.progress.update(|p| {
                for x in &solved {
                    p.solve(x.id, now);
                }
            });
            st.save();
            let titles: Vec<&str> = solved.iter().map(|x| x.title).collect();
            st.announce
                .set(format!("Exercise solved: {}.", titles.join("; ")));
        }
    });

    let ids: Vec<&'static str> = EXERCISES.iter().map(|x| x.id).collect();
    let total = ids.len();
    let solved_count = Memo::new(move |_| st.progress.with(|p| p.solved_count(&ids)));
    let count = move || solved_count.get();
    let count_now = count;
    // "Reset progress" asks before it wipes.
    let confirming = RwSignal::new(false);
    // The first unsolved exercise starts open.
    let first_open = st
        .progress
        .with_untracked(|p| EXERCISES.iter().position(|x| !p.is_solved(x.id)));

    view! {
        <section class="exercises" id="exercises" aria-labelledby="exercises-h">
            <div class="row spread">
                <h2 id="exercises-h">"Exercises"</h2>
                <span class="pill" data-testid="exercise-count">{move || format!("{} of {total} solved", count())}</span>
            </div>
            <p class="muted small">
                "Each exercise checks itself against the exchanges in the timeline: do it in the playground, and it ticks off."
            </p>
            <Show when=move || st.notice.with(Option::is_some)>
                <p class="note small" data-testid="progress-notice" role="status">{move || st.notice.get().unwrap_or_default()}</p>
            </Show>
            <ol class="exercise-list">
                {EXERCISES
                    .iter()
                    .enumerate()
                    .map(|(i, x)| view! { <ExerciseItem x=x st=st open=first_open == Some(i) number=i + 1/> })
                    .collect_view()}
            </ol>
            <div class="row">
                <Show when=move || !confirming.get()
                    fallback=move || view! {
                        <span class="small" data-testid="progress-reset-question">
                            {move || format!("Wipe the ticks and hints of {} solved exercise(s)? This cannot be undone.", count_now())}
                        </span>
                        <button type="button" class="danger small" data-testid="progress-reset-confirm"
                            on:click=move |_| {
                                confirming.set(false);
                                st.progress.set(Progress::default());
                                st.from.set(playground.timeline.with_untracked(|t| t.len()));
                                st.writable.set_value(true);
                                st.save();
                                st.announce.set("Progress reset: every exercise is open again.".into());
                            }>"Yes, reset"</button>
                        <button type="button" class="small" data-testid="progress-reset-cancel"
                            on:click=move |_| confirming.set(false)>"Keep my progress"</button>
                    }>
                    <button type="button" class="link small" data-testid="progress-reset"
                        on:click=move |_| confirming.set(true)>"Reset progress"</button>
                    <span class="muted small">"Clears ticks and hints (it asks first); exchanges already made no longer count."</span>
                </Show>
            </div>
            <p class="sr-only" role="status" aria-live="polite">{move || st.announce.get()}</p>
        </section>
    }
}

#[component]
fn ExerciseItem(x: &'static Exercise, st: State, open: bool, number: usize) -> impl IntoView {
    let playground = expect_context::<Playground>();
    let id = x.id;
    let solved = move || st.progress.with(|p| p.is_solved(id));
    let shown = move || {
        st.progress
            .with(|p| p.get(id).hints_shown as usize)
            .min(x.hints.len())
    };
    let needs_note = move || {
        let kind = playground.kind.get();
        match (x.check.needs(), kind) {
            (Needs::OtherClients, Some(TargetKind::Simulated)) => Some(
                "This one needs the real greeting server: the simulated server lives in this page, so no other program can reach it.",
            ),
            (Needs::OtherClients | Needs::Reports, Some(TargetKind::Custom)) if playground.info.with(Option::is_none) => Some(
                "This one needs to see the cookies each request carried: the greeting server's side channel or the simulated server.",
            ),
            _ => None,
        }
    };
    let hint_label = move || {
        let n = shown();
        if n >= x.hints.len() {
            "No more hints".to_string()
        } else {
            format!("Show a hint ({} of {})", n + 1, x.hints.len())
        }
    };
    view! {
        <li>
            <details class="exercise" data-testid="exercise" data-id=id
                data-solved=move || solved().to_string() class:solved=solved open=open>
                <summary>
                    <span class="ex-mark" aria-hidden="true">{move || if solved() { "✓".to_string() } else { number.to_string() }}</span>
                    <span class="ex-title">{x.title}</span>
                    <span class="sr-only">{move || if solved() { " (solved)" } else { "" }}</span>
                </summary>
                <div class="ex-body">
                    <div class="prose ex-task" inner_html=x.task_html></div>
                    // An exercise that asks for code gets an editor, starting from the chapter's
                    // first sample; its check reads what the run printed.
                    {x.check.reads_printed().then(first_chapter_sample).flatten().map(|c| view! {
                        <div class="code-block ex-code" data-testid="exercise-code">
                            <PythonCode index=0 c=c cell=format!("exercise-{id}")/>
                        </div>
                    })}
                    {move || needs_note().map(|n| view! { <p class="note small">{n}</p> })}
                    <ol class="hints" aria-live="polite">
                        {move || {
                            x.hints[..shown()]
                                .iter()
                                .enumerate()
                                .map(|(i, h)| view! {
                                    <li data-testid="exercise-hint"><span class="muted">{format!("Hint {}: ", i + 1)}</span><span inner_html=*h></span></li>
                                })
                                .collect_view()
                        }}
                    </ol>
                    <div class="row">
                        <button type="button" data-testid="exercise-hint-next" class="small"
                            prop:disabled=move || { shown() >= x.hints.len() }
                            aria-label=move || format!("{} for “{}”", hint_label(), x.title)
                            on:click=move |_| {
                                st.progress.update(|p| { p.reveal_hint(id, x.hints.len()); });
                                st.save();
                            }>{hint_label}</button>
                        <span class="muted small" data-testid="exercise-status">
                            {move || if solved() { "Solved." } else { "Not solved yet." }}
                        </span>
                    </div>
                    <Show when=solved>
                        <div class="explanation" data-testid="exercise-explanation">
                            <h3>"Why it works"</h3>
                            <div class="prose" inner_html=x.explanation_html></div>
                        </div>
                    </Show>
                </div>
            </details>
        </li>
    }
}
