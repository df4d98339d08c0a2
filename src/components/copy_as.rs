//! "Copy as Python" / "copy as curl" for what was just done, and the shareable link.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::Playground;
use crate::model::copy_as::{curl, last_action, python, Recipe};
use crate::model::share;
use crate::model::target::TargetKind;
use crate::net;

use super::reach::{copy_text, current_setup, page_address};

/// The address a Python script or curl should use for the current target.
fn target_base(playground: &Playground) -> (String, Option<&'static str>) {
    match playground.kind.get() {
        Some(TargetKind::Simulated) | None => (
            "http://localhost:5000".into(),
            Some("The simulated server lives only in this page. This code needs a server on http://localhost:5000: your own Flask app from the course (`flask run`), or the playground's `greeting-server`."),
        ),
        _ => {
            let base = playground.base.get();
            (if base.is_empty() { net::page_origin() } else { base }, None)
        }
    }
}

fn describe(r: &Recipe, done: bool) -> String {
    let what = match (r.count, r.parallel) {
        (1, _) => "1 request".to_string(),
        (n, false) => format!("{n} requests in a row"),
        (n, true) => format!("{n} requests at once"),
    };
    let how = if r.session {
        "in one session (cookies kept)"
    } else {
        "without a session (no cookies)"
    };
    let user = if r.username.is_empty() {
        String::from("without credentials")
    } else {
        format!("as {}", r.username)
    };
    if done {
        format!("What you just did: {what} {how}, {user}, to {}.", r.url)
    } else {
        format!(
            "Nothing sent yet. This is what “Send once” does now: {what} {how}, {user}, to {}.",
            r.url
        )
    }
}

#[component]
pub fn CopyAs() -> impl IntoView {
    let playground = expect_context::<Playground>();
    let recipe = Memo::new(move |_| {
        let (base, _) = target_base(&playground);
        match playground.timeline.with(|t| last_action(&t.entries, &base)) {
            Some(r) => (r, true),
            None => (
                Recipe {
                    session: playground.session_mode.get(),
                    username: playground.username.get(),
                    password: playground.password.get(),
                    count: 1,
                    parallel: false,
                    url: crate::model::target::join(&base, "/greeting"),
                },
                false,
            ),
        }
    });
    let py = Memo::new(move |_| recipe.with(|(r, _)| python(r)));
    let sh = Memo::new(move |_| recipe.with(|(r, _)| curl(r)));
    let link = Memo::new(move |_| share::link(&page_address(), &current_setup(&playground)));
    // The text the clipboard refused, shown to copy by hand.
    let fallback = RwSignal::new(None::<(String, String)>);
    let status = RwSignal::new(String::new());
    let copy = move |what: &'static str, text: String| {
        spawn_local(async move {
            match copy_text(&text).await {
                Ok(()) => {
                    fallback.set(None);
                    status.set(format!("Copied the {what} to the clipboard."));
                }
                Err(e) => {
                    status.set(format!(
                        "Could not copy ({e}): select the text below and press Ctrl+C (⌘C)."
                    ));
                    fallback.set(Some((what.to_string(), text)));
                }
            }
        });
    };
    // The page's keyboard shortcut lives here: Ctrl/Cmd+Enter sends once.
    let section = NodeRef::<leptos::html::Section>::new();
    super::reach::install_shortcuts(playground, section);
    let fallback_ref = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if fallback.with(Option::is_some) {
            if let Some(t) = fallback_ref.get() {
                let _ = t.focus();
                t.select();
            }
        }
    });
    view! {
        <section class="card copy-as" aria-labelledby="copy-as-h" node_ref=section>
            <h2 id="copy-as-h">"Do it yourself: Python and curl"</h2>
            <p class="small" data-testid="copy-summary">{move || recipe.with(|(r, done)| describe(r, *done))}</p>
            {move || target_base(&playground).1.map(|n| view! { <p class="muted small">{super::rich(n.to_string())}</p> })}
            <div class="copy-block">
                <div class="row spread">
                    <h3 id="copy-python-h">"Python (requests)"</h3>
                    <button type="button" data-testid="copy-python-button" aria-describedby="copy-python-h"
                        on:click=move |_| copy("Python code", py.get_untracked())>"Copy"</button>
                </div>
                <pre class="code" data-testid="copy-python" tabindex="0" aria-labelledby="copy-python-h"><code>{move || py.get()}</code></pre>
            </div>
            <div class="copy-block">
                <div class="row spread">
                    <h3 id="copy-curl-h">"curl"</h3>
                    <button type="button" data-testid="copy-curl-button" aria-describedby="copy-curl-h"
                        on:click=move |_| copy("curl commands", sh.get_untracked())>"Copy"</button>
                </div>
                <pre class="code" data-testid="copy-curl" tabindex="0" aria-labelledby="copy-curl-h"><code>{move || sh.get()}</code></pre>
            </div>
            <h3>"Share this setup"</h3>
            <div class="row share">
                <label for="share-link" class="small">"Link (user, session mode, N, server; never the password)"</label>
                <input id="share-link" type="text" readonly data-testid="share-link" prop:value=move || link.get()
                    on:focus=move |ev| {
                        use wasm_bindgen::JsCast;
                        if let Some(i) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) { i.select(); }
                    }/>
                <button type="button" data-testid="copy-link-button" on:click=move |_| copy("link", link.get_untracked())>"Copy link"</button>
            </div>
            <p class="small muted" role="status" aria-live="polite" data-testid="copy-status">{move || status.get()}</p>
            <Show when=move || fallback.with(Option::is_some)>
                <div class="copy-fallback">
                    <label for="copy-fallback" class="small">{move || fallback.with(|f| f.as_ref().map(|(w, _)| format!("The {w}, to copy by hand")).unwrap_or_default())}</label>
                    <textarea id="copy-fallback" data-testid="copy-fallback" readonly rows="6" node_ref=fallback_ref
                        prop:value=move || fallback.with(|f| f.as_ref().map(|(_, t)| t.clone()).unwrap_or_default())></textarea>
                </div>
            </Show>
        </section>
    }
}
