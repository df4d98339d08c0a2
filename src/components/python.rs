//! "Run Python" on the chapter's code: a `python` block is an editor whose code runs in the
//! page's Python (`src/python.rs`) with its output under it; a `pycon` block's `>>>` lines run
//! in the same namespace, as in Python's console, so the chapter reads and runs like a notebook.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlTextAreaElement, KeyboardEvent};

use crate::app::Playground;
use crate::components::timeline::format_ms;
use crate::content::{Block, CodeBlock, CHAPTER};
use crate::model::python::for_base;
use crate::model::target::TargetKind;
use crate::net;
use crate::python::{Load, Py, RunState};

/// The base URL the chapter's code should name for the current target: the greeting server
/// that serves the page, or "Other server"; the simulated server answers the chapter's URL.
fn target_base(playground: Playground) -> Option<String> {
    match playground.kind.get()? {
        TargetKind::Simulated => None,
        TargetKind::Server => {
            let base = playground.base.get();
            Some(if base.is_empty() {
                net::page_origin()
            } else {
                base
            })
        }
        TargetKind::Custom => Some(playground.base.get()),
    }
}

/// The chapter's first `python` sample, which an exercise's editor starts from (without its
/// `>>>` lines: they belong to the chapter).
pub fn first_chapter_sample() -> Option<CodeBlock> {
    CHAPTER.blocks.iter().find_map(|b| match b {
        Block::Code(c) if c.lang == "python" => Some(CodeBlock {
            statements: &[],
            ..*c
        }),
        _ => None,
    })
}

/// A chapter `python` block (or an exercise's copy of one, `cell` naming it): editable, with
/// Run Python, Stop and Reset.
#[component]
pub fn PythonCode(
    index: usize,
    c: CodeBlock,
    /// The run's name; `chapter-{index}` by default.
    #[prop(optional)]
    cell: Option<String>,
) -> impl IntoView {
    let playground = expect_context::<Playground>();
    let py = expect_context::<Py>();
    let cell = cell.unwrap_or_else(|| format!("chapter-{index}"));
    let edited = RwSignal::new(None::<String>);
    // Tab indents once the learner types here; Esc gives Tab back to the page (no keyboard trap).
    let tab_indents = RwSignal::new(false);
    let chapter_code = move || for_base(c.code, target_base(playground).as_deref());
    let code = move || edited.get().unwrap_or_else(chapter_code);
    let rows = c.code.lines().count().max(3) + 1;
    // The chapter's `>>>` lines for this sample (same `run=` id) show what its responses hold.
    let silent = (!c.statements.is_empty()).then_some(
        "It printed nothing: press \"Run these lines in Python\" under the >>> lines below to see its responses",
    );
    let run_cell = StoredValue::new(cell.clone());
    let run = move || {
        let code = edited
            .get_untracked()
            .unwrap_or_else(|| for_base(c.code, untrack(|| target_base(playground)).as_deref()));
        run_cell.with_value(|cell| py.run(playground, cell, code, "exec"));
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            run();
        } else if ev.key() == "Escape" {
            tab_indents.set(false);
        } else if ev.key() == "Tab" && !ev.shift_key() && tab_indents.get_untracked() {
            ev.prevent_default();
            if let Some(area) = ev
                .target()
                .and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
            {
                indent(&area);
                edited.set(Some(area.value()));
            }
        } else if ev.key().chars().count() == 1 || ev.key() == "Backspace" {
            tab_indents.set(true);
        }
    };
    let status_cell = cell.clone();
    view! {
        <textarea class="code lang-python py-editor" data-testid="python-editor"
            aria-label="The sample's Python code (editable; Ctrl+Enter runs it, Esc then Tab leaves the editor)"
            spellcheck="false" autocomplete="off" rows=rows.to_string()
            prop:value=code
            on:focus=move |_| py.warm(playground)
            on:input=move |ev| edited.set(Some(event_target_value(&ev)))
            on:keydown=on_keydown></textarea>
        <div class="run-bar py-bar">
            <button type="button" class="run" data-testid="run-python"
                prop:disabled=move || py.busy()
                on:pointerenter=move |_| py.warm(playground)
                on:click=move |_| run()>"▶ Run Python"</button>
            <Show when=move || py.busy()>
                <button type="button" data-testid="python-stop" on:click=move |_| py.stop()>"■ Stop"</button>
            </Show>
            <Show when=move || edited.with(Option::is_some)>
                <button type="button" class="link small" data-testid="python-reset"
                    on:click=move |_| edited.set(None)>"Reset to the chapter's code"</button>
            </Show>
            <Status cell=status_cell when_silent=silent/>
        </div>
        <Output cell=cell/>
    }
}

/// A chapter `pycon` block: its `>>>` lines, run in the page's Python namespace.
#[component]
pub fn ConsoleCell(index: usize, c: CodeBlock) -> impl IntoView {
    let playground = expect_context::<Playground>();
    let py = expect_context::<Py>();
    let cell = format!("chapter-{index}");
    let statements: Vec<&'static str> = c.statements.iter().map(|s| s.expr).collect();
    let run_cell = cell.clone();
    let run = move |_| {
        let json = serde_json::to_string(&statements).unwrap_or_default();
        py.run(playground, &run_cell, json, "console");
    };
    let status_cell = cell.clone();
    (!c.statements.is_empty()).then(|| {
        view! {
            <div class="run-bar py-bar">
                <button type="button" class="run" data-testid="run-python-console"
                    prop:disabled=move || py.busy()
                    on:pointerenter=move |_| py.warm(playground)
                    on:click=run>"▶ Run these lines in Python"</button>
                <Show when=move || py.busy()>
                    <button type="button" data-testid="python-stop" on:click=move |_| py.stop()>"■ Stop"</button>
                </Show>
                <Status cell=status_cell when_silent=None/>
            </div>
            <Output cell=cell/>
        }
    })
}

#[component]
fn Status(
    cell: String,
    /// Said after a run that printed nothing: where its results can be seen.
    when_silent: Option<&'static str>,
) -> impl IntoView {
    let py = expect_context::<Py>();
    let text = move || {
        let run = py.run_of(&cell)?;
        Some(match run.state {
            RunState::Waiting => match py.load.get() {
                Load::Loading(t) => t,
                Load::Failed(_) => "Python could not start.".into(),
                _ => "Starting Python…".into(),
            },
            RunState::Running => "Running…".into(),
            RunState::Finished { ok } => format!(
                "{} in {}{}",
                if ok {
                    "Finished"
                } else {
                    "Ended with an error"
                },
                run.total_ms.map(format_ms).unwrap_or_default(),
                match when_silent {
                    Some(hint) if ok && run.output.is_empty() => format!(". {hint}"),
                    _ => String::new(),
                }
            ),
            RunState::Stopped => "Stopped.".into(),
        })
    };
    view! { <span class="muted small" data-testid="python-status" role="status">{text}</span> }
}

#[component]
fn Output(cell: String) -> impl IntoView {
    let py = expect_context::<Py>();
    let run = Memo::new(move |_| py.run_of(&cell));
    move || {
        run.get().map(|r| {
            let state = match r.state {
                RunState::Waiting | RunState::Running => "running",
                RunState::Finished { ok: true } => "ok",
                RunState::Finished { ok: false } => "error",
                RunState::Stopped => "stopped",
            };
            // For the benchmark: where the load's time went, and how early it began.
            let milestones = py.milestones.with(|ms| {
                ms.iter()
                    .map(|(name, at)| format!("{name}: {at:.0}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            });
            view! {
                <pre class="mono py-output" data-testid="python-output" data-state=state
                    data-first-output-ms=r.first_output_ms.map(|m| (m.round() as u64).to_string())
                    data-worker-lead-ms=(r.worker_lead_ms.round() as u64).to_string()
                    data-load-milestones=milestones
                    aria-live="polite">
                    {r.output.into_iter().map(|(err, t)| view! {
                        <span class:stderr=err>{t}</span>
                    }).collect_view()}
                </pre>
            }
        })
    }
}

/// Inserts four spaces at the caret (what Tab does in a code editor).
fn indent(area: &HtmlTextAreaElement) {
    let value = area.value();
    let start = area.selection_start().ok().flatten().unwrap_or(0) as usize;
    let end = area.selection_end().ok().flatten().unwrap_or(0) as usize;
    // Selection offsets count UTF-16 units.
    let to_byte = |units: usize| {
        value
            .char_indices()
            .scan(0usize, |n, (i, ch)| {
                let here = *n;
                *n += ch.len_utf16();
                Some((here, i))
            })
            .find(|(n, _)| *n >= units)
            .map_or(value.len(), |(_, i)| i)
    };
    let (a, b) = (to_byte(start), to_byte(end.max(start)));
    area.set_value(&format!("{}    {}", &value[..a], &value[b..]));
    let caret = (start + 4) as u32;
    let _ = area.set_selection_range(caret, caret);
}
