//! The chapter text, then the sections after it (content/beyond/), rendered from Markdown at
//! build time, with "Run in playground" beside their runnable samples.

use leptos::prelude::*;

use crate::app::Playground;
use crate::components::python::{ConsoleCell, PythonCode};
use crate::content::{scenario, Block, CodeBlock, BEYOND, CHAPTER};

/// The chapter's blocks first and unchanged, then each section after it in a
/// `<section class="beyond">` (the same markup build/prerender.rs writes). A code block's index
/// counts on across the documents, so each "Run in playground" has its own.
#[component]
pub fn Chapter() -> impl IntoView {
    let mut first = CHAPTER.blocks.len();
    let beyond = BEYOND
        .iter()
        .map(|d| {
            let start = first;
            first += d.blocks.len();
            view! {
                <section class="beyond" data-beyond=d.slug>
                    {blocks(d.blocks, start)}
                </section>
            }
        })
        .collect_view();
    view! {
        {blocks(CHAPTER.blocks, 0)}
        {beyond}
    }
}

fn blocks(blocks: &'static [Block], first: usize) -> impl IntoView {
    blocks
        .iter()
        .enumerate()
        .map(move |(i, b)| match b {
            Block::Html(h) => view! { <div class="prose" inner_html=*h></div> }.into_any(),
            Block::Code(c) => view! { <Code index=first + i c=*c/> }.into_any(),
        })
        .collect_view()
}

#[component]
fn Code(index: usize, c: CodeBlock) -> impl IntoView {
    let playground = expect_context::<Playground>();
    let runnable = c
        .run
        .and_then(scenario)
        .filter(|_| !c.statements.is_empty());
    let mine = move || {
        playground
            .run
            .with(|r| r.as_ref().is_some_and(|r| r.block == index))
    };
    let running = move || {
        playground
            .run
            .with(|r| r.as_ref().is_some_and(|r| r.block == index && r.running))
    };
    view! {
        <div class="code-block">
            // tabindex: a code block that scrolls sideways (on a phone) must be reachable by keyboard.
            {if c.lang == "python" {
                view! { <PythonCode index=index c=c/> }.into_any()
            } else {
                view! { <pre class=format!("code lang-{}", c.lang) tabindex="0"><code>{c.code}</code></pre> }.into_any()
            }}
            {(c.lang == "pycon").then(|| view! { <ConsoleCell index=index c=c/> })}
            {runnable.map(|s| view! {
                <div class="run-bar">
                    <button type="button" class="run" data-testid="run-in-playground"
                        prop:disabled=running
                        on:click=move |_| playground.run_block(index, s, c.statements)>
                        {move || if running() { "Running…" } else { "▶ Run in playground" }}
                    </button>
                    <span class="muted small" data-testid="run-what">
                        {format!(
                            "{} request{} as {}, {} ",
                            s.responses_for(c.statements).len(),
                            if s.responses_for(c.statements).len() == 1 { "" } else { "s" },
                            s.username,
                            if s.session { "in a fresh session" } else { "without a session" },
                        )}
                    </span>
                </div>
                <Show when=mine>
                    // On a phone the playground is far below: say where the exchanges went.
                    <a class="jump-to-results" href="#exchanges" data-testid="jump-to-results">
                        "The exchanges of this run are in the playground ↓"
                    </a>
                    <RunResult index=index/>
                </Show>
            })}
        </div>
    }
}

#[component]
fn RunResult(index: usize) -> impl IntoView {
    let playground = expect_context::<Playground>();
    let outcome = move || playground.run.get().filter(|r| r.block == index);
    let expected = move || {
        outcome()
            .map(|r| {
                r.lines
                    .iter()
                    .map(|l| format!(">>> {}\n{}", l.expression, l.chapter_printed))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    let actual = move || {
        outcome().map(|r| {
            r.lines
                .iter()
                .map(|l| {
                    view! {
                        <span class="stmt" class:same=l.same data-not-comparable=l.not_comparable.is_some().then_some("true")>
                            {format!(">>> {}\n{}\n", l.expression, l.got)}
                            {l.not_comparable.map(|why| format!("# {why}\n"))}
                        </span>
                    }
                })
                .collect_view()
        })
    };
    let note = move || outcome().and_then(|r| r.note);
    view! {
        <div class="run-result">
            <div>
                <h4>"The chapter printed"</h4>
                <pre class="mono" data-testid="chapter-expected">{expected}</pre>
            </div>
            <div>
                <h4>"You just got"</h4>
                <pre class="mono" data-testid="chapter-actual">
                    {move || if outcome().is_some_and(|r| r.running) { None } else { actual() }}
                </pre>
            </div>
            {move || note().map(|n| view! { <p class="small note">{n}</p> })}
            <p class="muted small full" data-testid="run-comparison-note">"Cookie values differ from the chapter's: they carry the time of your request and your server's signature. Lines marked “not comparable” show what a browser sent, which a Python script would not."</p>
        </div>
    }
}
