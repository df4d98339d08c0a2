//! The cookie lab: paste any Flask session cookie and take it apart (in the browser: nothing is
//! sent), verify it with a key, edit and re-sign it, plant it in the browser's cookie jar.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::Playground;
use crate::model::cookie_view::Verdict;
use crate::model::lab::{clean_input, inspect, plantable, resign, LabView};
use crate::model::status::Level;
use crate::model::target::{join, TargetKind};
use crate::net;

/// A line under the lab's buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Said {
    level: Level,
    text: String,
}

fn now_secs() -> u64 {
    net::now_ms() / 1000
}

/// `POST {base}/playground/api/plant` with `{"cookie": value}`, credentials included, so the
/// server sets it as the HttpOnly `session` cookie.
async fn plant_on_server(base: &str, value: &str) -> Result<(), String> {
    use gloo_net::http::Request;
    use web_sys::RequestCredentials;
    let url = join(base, "/playground/api/plant");
    let body = serde_json::json!({ "cookie": value });
    let req = Request::post(&url)
        .credentials(RequestCredentials::Include)
        .json(&body)
        .map_err(|e| format!("could not build the request: {e}"))?;
    match req.send().await {
        Ok(r) if (200..300).contains(&r.status()) => Ok(()),
        Ok(r) if r.status() == 404 || r.status() == 405 => Err(format!(
            "{url} answered {}: this server cannot plant cookies (only the greeting server has /playground/api/plant). \
             A page script cannot set an HttpOnly cookie itself.",
            r.status()
        )),
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            let msg = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
                .unwrap_or_else(|| crate::model::errors::excerpt(&text, 200));
            Err(format!("the server answered {status}: {msg}"))
        }
        Err(e) => Err(format!("the request to {url} failed ({e}); is the server still running?")),
    }
}

#[component]
pub fn CookieLab() -> impl IntoView {
    let playground = expect_context::<Playground>();
    let input = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let key_touched = RwSignal::new(false);
    let edit = RwSignal::new(String::new());
    let said = RwSignal::new(None::<Said>);
    let planted = RwSignal::new(false);

    // The key field follows the key the page knows (simulated server, teaching mode) until
    // the learner types in it.
    Effect::new(move |_| {
        let known = playground.verify_key();
        if !key_touched.get_untracked() {
            key.set(known.unwrap_or_default());
        }
    });
    // A new cookie in the input: the editor shows its payload.
    Effect::new(move |_| {
        let i = input.get();
        if let Ok(v) = inspect(&i, "", now_secs(), playground.max_age_secs()) {
            edit.set(v.edit_text);
        }
    });

    let lab = Memo::new(move |_| {
        let i = input.get();
        if i.trim().is_empty() {
            return None;
        }
        Some(inspect(
            &i,
            &key.get(),
            now_secs(),
            playground.max_age_secs(),
        ))
    });
    // What the server's own key says, when the page knows it and the field holds another key.
    let server_verdict = move || {
        let known = playground.verify_key()?;
        if known == key.get() {
            return None;
        }
        let value = clean_input(&input.get());
        crate::model::cookie_view::view(
            &value,
            Some(known.as_bytes()),
            now_secs(),
            playground.max_age_secs(),
        )
        .ok()
        .map(|v| v.verdict)
    };
    let latest = move || {
        playground
            .timeline
            .with(|t| {
                t.entries
                    .iter()
                    .rev()
                    .find_map(|e| e.cookie_out().map(str::to_string))
            })
            .or_else(|| {
                if playground.kind.get() == Some(TargetKind::Simulated) {
                    playground.sim_jar.get()
                } else {
                    None
                }
            })
    };
    let key_source = move || {
        match (playground.kind.get(), playground.verify_key()) {
        (_, Some(k)) if k != key.get() => "Not the server's key: the line “Server's key” above says what the server makes of the cookie.",
        (Some(TargetKind::Simulated), _) => "Prefilled with the simulated server's key.",
        (_, Some(_)) => "Prefilled with the server's key: it runs in teaching mode and told the page.",
        _ => "This server keeps its key to itself: type one to verify or sign with.",
    }
    };

    let do_resign = move || {
        said.set(None);
        match resign(&edit.get_untracked(), &key.get_untracked(), now_secs()) {
            Ok(c) => {
                let verified = playground
                    .verify_key()
                    .is_some_and(|k| k == key.get_untracked());
                input.set(c);
                planted.set(false);
                said.set(Some(Said {
                    level: Level::Ok,
                    text: if verified {
                        "Re-signed with the server's key: the new cookie is above. Plant it to use it.".into()
                    } else {
                        "Signed with the key you typed: the new cookie is above. Plant it to see what the server makes of it.".into()
                    },
                }));
            }
            Err(e) => said.set(Some(Said {
                level: Level::Error,
                text: e,
            })),
        }
    };

    let do_plant = move || {
        let value = clean_input(&input.get_untracked());
        if let Err(e) = plantable(&value) {
            said.set(Some(Said {
                level: Level::Error,
                text: format!("Cannot plant that: {e}"),
            }));
            return;
        }
        let session_note = if playground.session_mode.get_untracked() {
            ""
        } else {
            playground.session_mode.set(true);
            " The cookie switch is now on “Session: keep cookies”, or the cookie would not be sent."
        };
        match playground.kind.get_untracked() {
            Some(TargetKind::Simulated) | None => {
                playground.sim.write_value().plant(Some(value.clone()));
                playground.timeline.update(|t| t.note_planted(&value));
                playground.sim_jar.set(Some(value));
                planted.set(true);
                said.set(Some(Said {
                    level: Level::Ok,
                    text: format!("Planted in the simulated browser's cookie jar. Send a greeting to see what the server makes of it.{session_note}"),
                }));
            }
            Some(_) => {
                let base = playground.base.get_untracked();
                said.set(Some(Said {
                    level: Level::Ok,
                    text: "Planting…".into(),
                }));
                spawn_local(async move {
                    match plant_on_server(&base, &value).await {
                        Ok(()) => {
                            planted.set(true);
                            playground.timeline.update(|t| t.note_planted(&value));
                            playground.refresh_jar();
                            said.set(Some(Said {
                                level: Level::Ok,
                                text: format!(
                                    "Planted: the server set it as this browser's HttpOnly session cookie. Send a greeting to see what it makes of it.{session_note}"
                                ),
                            }));
                        }
                        Err(e) => said.set(Some(Said {
                            level: Level::Error,
                            text: format!("Not planted: {e}"),
                        })),
                    }
                });
            }
        }
    };

    view! {
        <section class="card lab" aria-labelledby="lab-h" id="cookie-lab">
            <h2 id="lab-h">"Cookie lab"</h2>
            <p class="privacy small" data-testid="lab-privacy">
                <strong>"Decoded in your browser; nothing is sent."</strong>
                " Only “Plant in browser” talks to the server, and only when you press it."
            </p>
            <label for="lab-input">"A Flask session cookie"</label>
            <textarea id="lab-input" data-testid="lab-input" rows="3" spellcheck="false" autocomplete="off"
                placeholder="eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE (or session=…, or a whole Set-Cookie line)"
                prop:value=move || input.get()
                on:input=move |ev| { input.set(event_target_value(&ev)); planted.set(false); said.set(None); }></textarea>
            <div class="row lab-row">
                <button type="button" data-testid="lab-use-latest" prop:disabled=move || latest().is_none()
                    on:click=move |_| { if let Some(c) = latest() { input.set(c); planted.set(false); said.set(None); } }>
                    "Use the latest cookie"
                </button>
                <button type="button" class="link" data-testid="lab-clear" on:click=move |_| { input.set(String::new()); said.set(None); }>"Clear"</button>
            </div>
            {move || lab.get().map(|r| match r {
                Ok(v) => view! { <LabDecoded v=v server=server_verdict()/> }.into_any(),
                Err(e) => view! { <p class="xerror" data-testid="lab-error" role="alert">{format!("Not a Flask session cookie: {e}")}</p> }.into_any(),
            })}

            <div class="lab-key">
                <label for="lab-key">"Secret key"</label>
                <input id="lab-key" type="text" data-testid="lab-key" autocomplete="off" spellcheck="false"
                    aria-describedby="lab-key-help"
                    prop:value=move || key.get()
                    on:input=move |ev| { key_touched.set(true); key.set(event_target_value(&ev)); }/>
                <p id="lab-key-help" class="muted small">{key_source}</p>
                <Show when=move || playground.verify_key().is_some_and(|k| k != key.get())>
                    <button type="button" class="small" data-testid="lab-restore-key"
                        on:click=move |_| {
                            key_touched.set(false);
                            key.set(playground.verify_key_untracked().unwrap_or_default());
                        }>"Use the server's key again"</button>
                </Show>
            </div>
            <label for="lab-edit">"Payload to sign (JSON; Flask's tags such as " <code>"{\" t\": [...]}"</code> " as in the cookie)"</label>
            <textarea id="lab-edit" data-testid="lab-edit" rows="5" spellcheck="false" autocomplete="off"
                prop:value=move || edit.get()
                on:input=move |ev| edit.set(event_target_value(&ev))></textarea>
            <div class="row lab-row">
                <button type="button" data-testid="lab-resign" on:click=move |_| do_resign()>"Re-sign with this key"</button>
                <button type="button" data-testid="lab-plant" prop:disabled=move || input.with(|i| i.trim().is_empty())
                    on:click=move |_| do_plant()>"Plant in browser"</button>
                <Show when=move || planted.get()>
                    <button type="button" class="primary" data-testid="lab-send" on:click=move |_| playground.send_once()>"Send a greeting with it"</button>
                </Show>
            </div>
            <p data-testid="lab-message" role="status" aria-live="polite"
                class=move || format!("small lab-said {}", said.with(|s| s.as_ref().map(|s| s.level.css_class()).unwrap_or("")))>
                {move || said.with(|s| s.as_ref().map(|s| s.text.clone()).unwrap_or_default())}
            </p>
        </section>
    }
}

#[component]
fn LabDecoded(v: LabView, server: Option<Verdict>) -> impl IntoView {
    let c = v.cookie;
    let verdict = match &c.verdict {
        Verdict::KeyUnknown => "not checked: no key in the key field".to_string(),
        Verdict::Verified => "verifies with the key below".to_string(),
        other => format!("{} (with the key below)", other.label()),
    };
    let verdict_class = format!("verdict {}", c.verdict.code());
    let rows = v
        .rows
        .into_iter()
        .map(|r| {
            let tag = r.tag.map(|t| format!("{t:?}")).unwrap_or_default();
            view! { <tr><td class="mono">{r.path}</td><td>{r.python}</td><td class="mono">{tag}</td><td class="mono val">{r.value}</td></tr> }
        })
        .collect_view();
    view! {
        <div class="lab-out" data-testid="lab-decoded">
            <div class="segments mono wrap" aria-label="The cookie's three parts">
                <span class="seg payload" title="payload">{c.payload_segment.clone()}</span>
                "."
                <span class="seg ts" title="timestamp">{c.timestamp_segment.clone()}</span>
                "."
                <span class="seg sig" title="signature">{c.signature_segment.clone()}</span>
            </div>
            <dl class="facts">
                <dt>"Payload"</dt>
                <dd>
                    <pre class="mono" data-testid="lab-payload">{crate::model::cookie_view::pretty_json(&c.json)}</pre>
                    <span class="muted small" data-testid="lab-compression">{if c.compressed {
                        "zlib-compressed, then base64url (a compressed payload starts with a dot)"
                    } else {
                        "base64url of the JSON, not compressed"
                    }}</span>
                </dd>
                <dt>"Types"</dt>
                <dd>
                    <table class="tags small" data-testid="lab-tags">
                        <caption class="sr-only">"Each value in the session, its Python type and Flask's tag"</caption>
                        <thead><tr><th scope="col">"key"</th><th scope="col">"Python type"</th><th scope="col">"tag"</th><th scope="col">"value"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </dd>
                <dt>"Signed at"</dt>
                <dd data-testid="lab-date">{c.date.clone()}" · "{c.age.clone()}</dd>
                <dt>"Expiry"</dt>
                <dd data-testid="lab-expiry" class:expired=v.expired>
                    {v.expiry}
                    <span class="muted small">" The browser keeps it until it closes: Flask sets no Expires on it."</span>
                </dd>
                <dt>"Signature"</dt>
                <dd><span class="mono wrap small" data-testid="lab-signature">{c.signature_hex.clone()}</span>
                    <span class="muted small">{format!(" ({} bytes: HMAC-SHA1 of payload.timestamp)", v.signature_len)}</span></dd>
                <dt>"Verifies?"</dt>
                <dd class=verdict_class data-testid="lab-verdict">{verdict}</dd>
                {server.map(|sv| {
                    let class = format!("verdict {}", sv.code());
                    let text = match &sv {
                        Verdict::Verified => "verifies: the server accepts it".to_string(),
                        other => format!("{}: the server would silently start a new session", other.label()),
                    };
                    view! {
                        <dt>"Server's key"</dt>
                        <dd class=class data-testid="lab-server-verdict">{text}</dd>
                    }
                })}
            </dl>
        </div>
    }
}
