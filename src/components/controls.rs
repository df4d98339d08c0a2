//! Where requests go, the credentials, the session switch and the send buttons, and the one
//! place that says how to get and start a server.

use leptos::prelude::*;

use crate::app::MAX_COUNT;
use crate::app::{Playground, SideState};
use crate::model::status::START_HELP_ID;
use crate::model::target::{parse_origin, TargetKind};
use crate::net;

/// Target choice, timeout and the connection banner.
#[component]
pub fn TargetPanel() -> impl IntoView {
    let playground = expect_context::<Playground>();
    let kind_text = move || playground.kind.get().map(|k| k.as_str()).unwrap_or("");
    let is = move |k: TargetKind| playground.kind.get() == Some(k);
    let side = move || match playground.side.get() {
        SideState::Live => "side channel: live",
        SideState::Connecting => "side channel: connecting…",
        SideState::InPage => "side channel: in the page",
        SideState::None => "side channel: none (only the response body is visible)",
    };
    view! {
        <section class="card target" aria-label="Where requests go">
            <div class="row spread">
                <h2>"Server"</h2>
                <span class="pill" class:sim=move || is(TargetKind::Simulated)>
                    <span class="sr-only">"Target: "</span>
                    <span data-testid="target-kind">{kind_text}</span>
                </span>
            </div>
            <div class="target-choices" role="group" aria-label="Target">
                <button type="button" data-testid="use-server" class:active=move || is(TargetKind::Server)
                    on:click=move |_| playground.use_server()>"This page's server"</button>
                <button type="button" data-testid="use-simulated" class:active=move || is(TargetKind::Simulated)
                    on:click=move |_| playground.use_simulated()>"Simulated (in this page)"</button>
            </div>
            <form class="row custom" on:submit=move |ev| { ev.prevent_default(); playground.use_custom(); }>
                <label for="target-url">"Other server"</label>
                <input id="target-url" type="url" data-testid="target-url" placeholder="http://localhost:5000"
                    prop:value=move || playground.custom_url.get()
                    on:input=move |ev| playground.custom_url.set(event_target_value(&ev))/>
                <button type="submit" data-testid="use-custom" class:active=move || is(TargetKind::Custom)>"Use"</button>
            </form>
            <div class="row small">
                <label for="timeout-ms">"Give up after"</label>
                <input id="timeout-ms" type="number" min="100" max="60000" step="100" data-testid="timeout-ms"
                    prop:value=move || playground.timeout_ms.get().to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).trim().parse::<u32>() { playground.timeout_ms.set(v.clamp(1, 600_000)); }
                    }/>
                <span>"ms"</span>
                <span class="muted side">{side}</span>
            </div>
            <div data-testid="banner" role="status" aria-live="polite"
                class=move || format!("banner {}", playground.banner.with(|b| b.level.css_class()))>
                <strong>{move || playground.banner.with(|b| b.title.clone())}</strong>
                <p>{move || super::rich(playground.banner.with(|b| b.detail.clone()))}</p>
                <Show when=move || playground.banner.with(|b| b.start_help)>
                    <p><StartHelpLink/></p>
                </Show>
                <Show when=move || playground.banner.with(|b| b.offer_simulated)>
                    <button type="button" class="secondary" on:click=move |_| playground.use_simulated()>
                        "Use the simulated server instead"
                    </button>
                </Show>
            </div>
            <StartingAServer/>
        </section>
    }
}

/// A link to the "Starting a server" panel that opens it (a link alone scrolls to a closed
/// `<details>` without opening it).
#[component]
pub fn StartHelpLink() -> impl IntoView {
    let open = |ev: leptos::ev::MouseEvent| {
        use wasm_bindgen::JsCast;
        // The panel of this link's own playground (a test document may mount several).
        let selector = format!("#{START_HELP_ID}");
        let panel = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|a| a.closest(".playground").ok().flatten())
            .and_then(|p| p.query_selector(&selector).ok().flatten())
            .or_else(|| document().get_element_by_id(START_HELP_ID));
        if let Some(panel) = panel {
            let _ = panel.set_attribute("open", "");
        }
    };
    view! {
        <a href=format!("#{START_HELP_ID}") class="small" data-testid="start-help-link" on:click=open>
            "How to get and start a server"
        </a>
    }
}

/// How to get and start each server, said once: the course's Flask app, and the playground's
/// greeting server (what to run, and how to get the program).
#[component]
fn StartingAServer() -> impl IntoView {
    let page = net::page_origin();
    let origin = parse_origin(&page);
    let host = origin
        .as_ref()
        .map_or("localhost".to_string(), |o| o.host.clone());
    // Flask's own default, 5000, is often the playground's: another port unless the page is on it.
    let flask_port = match origin.and_then(|o| o.effective_port()) {
        Some(5001) => 5000,
        _ => 5001,
    };
    let cors = format!(
        "from flask_cors import CORS\nCORS(app, origins=[\"{page}\"], supports_credentials=True,\n     \
         allow_headers=[\"Authorization\", \"X-Playground-Exchange\"])"
    );
    view! {
        <details class="start-help" id=START_HELP_ID data-testid="start-help">
            <summary>"Starting a server"</summary>
            <h3>"Your own Flask app, from the course"</h3>
            <p class="small">"In your app's folder ("<code>"app.py"</code>"):"</p>
            <pre class="cmd mono small">{format!("pip install flask flask-cors\nflask --app app run --port {flask_port}")}</pre>
            <p class="small">
                "(A plain "<code>"flask run"</code>" finds "<code>"app.py"</code>" too, on port 5000.) Under “Other server” type "
                <code>{format!("http://{host}:{flask_port}")}</code>" and choose “Use”. This page is another origin, so your app "
                "must allow it by CORS, with cookies:"
            </p>
            <pre class="cmd mono small" data-testid="start-help-cors">{cors}</pre>
            <h3>"The playground's greeting server"</h3>
            <pre class="cmd mono small">"greeting-server --static dist --port 5000"</pre>
            <p class="small">
                "Then open "<code>"http://localhost:5000/"</code>" and choose “This page's server”. It serves this page and the \
                 chapter's "<code>"/greeting"</code>" on one port, and your terminal's Python requests show up in the timeline."
            </p>
            <p class="small">
                "Getting it: the program is built from the playground's source, which is Rust. With Rust installed ("
                <a href="https://rustup.rs" rel="noopener">"rustup.rs"</a>"), in the playground's folder:"
            </p>
            <pre class="cmd mono small">"cargo xtask run"</pre>
            <p class="small">
                "It installs what it needs (about 20 minutes the first time), builds the page into "<code>"dist/"</code>
                " and the server, and starts it on port 5000. After that, without cargo:"
            </p>
            <pre class="cmd mono small">"target/release/greeting-server --static dist --port 5000"</pre>
        </details>
    }
}

/// Credentials, session switch, send buttons.
#[component]
pub fn Controls() -> impl IntoView {
    let playground = expect_context::<Playground>();
    let header = move || {
        greeting_core::basic_auth_header(&playground.username.get(), &playground.password.get())
    };
    let decoded = move || {
        let h = header();
        let b64 = h.strip_prefix("Basic ").unwrap_or("").to_string();
        match greeting_core::parse_basic_auth(Some(&h)) {
            Ok(c) => format!("base64 “{b64}” decodes to “{}:{}”", c.username, c.password),
            Err(e) => format!("base64 “{b64}”: {e}"),
        }
    };
    let busy = move || playground.in_flight.get() > 0;
    // The N typed when it was outside the range and got changed.
    let capped = RwSignal::new(None::<u32>);
    view! {
        <section class="card controls" aria-label="Request">
            <h2>"Request"</h2>
            <div class="grid2">
                <label>"Username"
                    <input type="text" data-testid="username" autocomplete="off" spellcheck="false"
                        prop:value=move || playground.username.get()
                        on:input=move |ev| playground.username.set(event_target_value(&ev))/>
                </label>
                <label>"Password"
                    <input type="text" data-testid="password" autocomplete="off" spellcheck="false"
                        prop:value=move || playground.password.get()
                        on:input=move |ev| playground.password.set(event_target_value(&ev))/>
                </label>
            </div>
            <p class="mono auth">
                <span class="muted">"Authorization: "</span>
                <span data-testid="auth-header">{header}</span>
            </p>
            <p class="muted small" data-testid="auth-decoded">{decoded}</p>

            <fieldset class="modes">
                <legend>"Cookies"</legend>
                <label class="mode">
                    <input type="radio" name="mode" data-testid="mode-session"
                        prop:checked=move || playground.session_mode.get()
                        on:change=move |_| playground.session_mode.set(true)/>
                    <span><strong>"Session: keep cookies"</strong>
                        <span class="muted">" — like a "<code>"requests.Session()"</code>": the cookie from each answer goes back with the next request."</span></span>
                </label>
                <label class="mode">
                    <input type="radio" name="mode" data-testid="mode-no-session"
                        prop:checked=move || !playground.session_mode.get()
                        on:change=move |_| playground.session_mode.set(false)/>
                    <span><strong>"No session"</strong>
                        <span class="muted">" — like plain "<code>"requests.get(url, auth=...)"</code>" each time: no cookie is sent or kept."</span></span>
                </label>
            </fieldset>

            <div class="actions">
                <button type="button" class="primary" data-testid="send-once" on:click=move |_| playground.send_once()>"Send once"</button>
                <label class="count">"N = "
                    <input type="number" min="1" max=MAX_COUNT data-testid="count"
                        prop:value=move || playground.count.get().to_string()
                        on:input=move |ev| {
                            if let Ok(v) = event_target_value(&ev).trim().parse::<u32>() {
                                let n = v.clamp(1, MAX_COUNT);
                                capped.set((n != v).then_some(v));
                                playground.count.set(n);
                            }
                        }/>
                </label>
                <button type="button" data-testid="send-sequence" on:click=move |_| playground.send_sequence()>"Send N in a row"</button>
                <button type="button" data-testid="send-parallel" on:click=move |_| playground.send_parallel()>"Send N at once"</button>
                <button type="button" class="danger" data-testid="reset-session" on:click=move |_| playground.reset_session()>"Reset session"</button>
                <span class="muted small" aria-live="polite">{move || if busy() { "sending…" } else { "" }}</span>
            </div>
            {move || capped.get().map(|v| view! {
                <p class="note small" data-testid="count-capped" role="status">
                    {format!("N = {v} is outside 1 to {MAX_COUNT}: it was set to {}.", v.clamp(1, MAX_COUNT))}
                </p>
            })}
            <Show when=move || playground.note.with(Option::is_some)>
                <p class="note" data-testid="action-note">{move || playground.note.get().unwrap_or_default()}</p>
            </Show>
        </section>
    }
}
