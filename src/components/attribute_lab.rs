//! The attribute lab: the session cookie's attributes switched on the greeting server (teaching
//! mode), the `Set-Cookie` they give, then what the browser did with the cookie (stored or not,
//! sent or not to each probed path) beside what this page expected and Chrome's reason; where
//! requests' jar decides otherwise, and its real decision from the page's Python; a link from
//! the other site name for `SameSite`; and the 4 KB step. The rules and sentences are in
//! `model::attributes`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use greeting_core::{CookieAttributes, SameSite};

use crate::app::Playground;
use crate::model::attributes::{
    after_padding, chrome_sends, chrome_stores, echoed, other_site, parse_jar_answer,
    requests_differs, requests_jar_script, server_message, JarAnswer, NotSent, Probed, PROBES,
};
use crate::model::status::Level;
use crate::model::target::{join, parse_origin, Origin, TargetKind};
use crate::net;
use crate::python::{Load, Py, RunState};

/// The lab's cell in the page's Python.
const PY_CELL: &str = "attribute-lab";

/// What the server said the attributes are now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Applied {
    attributes: CookieAttributes,
    cookie_name: String,
    set_cookie: String,
}

/// One "Apply and try": the attributes, the page, what arrived where.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Trial {
    applied: Applied,
    page: Origin,
    probes: Vec<Probed>,
    first_visit: Option<u64>,
}

/// The 4 KB step's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Padded {
    cookie_bytes: usize,
    set_cookie_bytes: usize,
    browser_keeps: bool,
    werkzeug_warning: Option<String>,
}

fn page_origin() -> Option<Origin> {
    parse_origin(&net::page_origin())
}

/// The probes' answers: the greeting's visit for `/greeting`, the echo for the others.
async fn probe(playground: Playground, base: &str, name: &str, path: &'static str) -> Option<bool> {
    if path == "/greeting" {
        let number = playground.send("/greeting", None).await;
        let visit = playground
            .timeline
            .with_untracked(|t| t.get(number).and_then(|e| e.visit()))?;
        return Some(visit > 1);
    }
    let timeout = playground.timeout_ms.get_untracked().max(1);
    let f = net::fetch("GET", &join(base, path), &[], true, timeout)
        .await
        .ok()?;
    echoed(f.status, &f.body, name).map(|v| v.is_some())
}

/// The current cookie value the echo at `/playground/api/cookies` gets (what the next request
/// carries), as name and value length.
async fn carried(playground: Playground, base: &str, name: &str) -> Option<Option<usize>> {
    let timeout = playground.timeout_ms.get_untracked().max(1);
    let f = net::fetch(
        "GET",
        &join(base, "/playground/api/cookies"),
        &[],
        true,
        timeout,
    )
    .await
    .ok()?;
    echoed(f.status, &f.body, name).map(|v| v.map(|v| name.len() + 1 + v.len()))
}

#[component]
pub fn AttributeLab() -> impl IntoView {
    let playground = expect_context::<Playground>();
    let py = expect_context::<Py>();
    let form = RwSignal::new(CookieAttributes::default());
    let trial = RwSignal::new(None::<Trial>);
    let said = RwSignal::new(None::<(Level, String)>);
    let busy = RwSignal::new(false);
    let pad_bytes = RwSignal::new(String::from("3000"));
    let padded = RwSignal::new(None::<(Padded, String)>);
    let asked_jar = RwSignal::new(false);
    // The attributes the server has now (another page, or an earlier visit, may have set them).
    let current = RwSignal::new(None::<Applied>);
    // How many trials and growths so far: a test waits for the next one.
    let steps = RwSignal::new(0u32);

    let usable = move || {
        playground.kind.get() == Some(TargetKind::Server)
            && playground
                .info
                .with(|i| i.as_ref().is_some_and(|i| i.teaching))
    };

    Effect::new(move |loaded: Option<bool>| {
        if loaded == Some(true) || !usable() {
            return loaded.unwrap_or(false);
        }
        let base = playground.base.get_untracked();
        spawn_local(async move {
            let url = join(&base, "/playground/api/cookie-attributes");
            let timeout = playground.timeout_ms.get_untracked().max(1);
            if let Ok(f) = net::fetch("GET", &url, &[], false, timeout).await {
                if let (200, Ok(a)) = (f.status, serde_json::from_str::<Applied>(&f.body)) {
                    form.set(a.attributes.clone());
                    current.set(Some(a));
                }
            }
        });
        true
    });

    let apply = move |attributes: CookieAttributes| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        said.set(Some((
            Level::Info,
            "Applying, then greeting and probing…".into(),
        )));
        spawn_local(async move {
            let base = playground.base.get_untracked();
            let url = join(&base, "/playground/api/cookie-attributes");
            let body = serde_json::to_value(&attributes).unwrap_or_default();
            let applied = match net::post_json(&url, &body).await {
                Ok((200, text)) => serde_json::from_str::<Applied>(&text)
                    .map_err(|_| "the server's answer was not the lab's".to_string()),
                Ok((status, text)) => Err(server_message(status, &text)),
                Err(e) => Err(e),
            };
            let applied = match applied {
                Ok(a) => a,
                Err(e) => {
                    said.set(Some((Level::Error, format!("Not applied: {e}"))));
                    steps.update(|n| *n += 1);
                    busy.set(false);
                    return;
                }
            };
            let note = if playground.session_mode.get_untracked() {
                ""
            } else {
                playground.session_mode.set(true);
                " The cookie switch is now on “Session: keep cookies”, or no cookie would be sent."
            };
            let page = page_origin().unwrap_or(Origin {
                scheme: "http".into(),
                host: "localhost".into(),
                port: None,
            });
            let a = applied.attributes.clone();
            let name = applied.cookie_name.clone();
            // The first greeting sets the cookie (the change deleted the old one); the echoes
            // and a second greeting show where it goes.
            let first = playground.send("/greeting", None).await;
            let first_visit = playground
                .timeline
                .with_untracked(|t| t.get(first).and_then(|e| e.visit()));
            let mut probes = Vec::new();
            for path in [PROBES[1], PROBES[2], PROBES[0]] {
                let arrived = probe(playground, &base, &name, path).await;
                probes.push(Probed {
                    path,
                    predicted: chrome_sends(&a, &page, path, false),
                    arrived,
                });
            }
            probes.sort_by_key(|p| PROBES.iter().position(|q| *q == p.path));
            playground.refresh_jar();
            current.set(Some(applied.clone()));
            trial.set(Some(Trial {
                applied,
                page,
                probes,
                first_visit,
            }));
            padded.set(None);
            asked_jar.set(false);
            said.set(Some((Level::Ok, format!("Applied and tried.{note}"))));
            steps.update(|n| *n += 1);
            busy.set(false);
        });
    };

    let grow = move || {
        if busy.get_untracked() {
            return;
        }
        let Ok(bytes) = pad_bytes.get_untracked().trim().parse::<usize>() else {
            said.set(Some((
                Level::Error,
                "Type how many bytes to add, a whole number such as 3000.".into(),
            )));
            return;
        };
        busy.set(true);
        said.set(Some((Level::Info, "Growing the session…".into())));
        spawn_local(async move {
            let base = playground.base.get_untracked();
            let name = current
                .with_untracked(|c| c.as_ref().map(|c| c.cookie_name.clone()))
                .unwrap_or_else(|| "session".into());
            let url = join(&base, "/playground/api/cookie-padding");
            let answer = match net::post_json(&url, &serde_json::json!({ "bytes": bytes })).await {
                Ok((200, text)) => serde_json::from_str::<Padded>(&text)
                    .map_err(|_| "the server's answer was not the lab's".to_string()),
                Ok((status, text)) => Err(server_message(status, &text)),
                Err(e) => Err(e),
            };
            match answer {
                Ok(p) => {
                    // What the next request carries, then that request.
                    let next = carried(playground, &base, &name).await;
                    let sentence = match next {
                        Some(len) => after_padding(p.browser_keeps, len, p.cookie_bytes),
                        None => "The echo did not answer: what the browser kept is unknown.".into(),
                    };
                    playground.send("/greeting", None).await;
                    padded.set(Some((p, sentence)));
                    said.set(None);
                    steps.update(|n| *n += 1);
                }
                Err(e) => {
                    said.set(Some((Level::Error, format!("Not grown: {e}"))));
                    steps.update(|n| *n += 1);
                }
            }
            busy.set(false);
        });
    };

    let ask_jar = move || {
        let Some(t) = trial.get_untracked() else {
            return;
        };
        asked_jar.set(true);
        let script = requests_jar_script(&t.page.to_url(), &t.applied.set_cookie);
        py.run(playground, PY_CELL, script, "exec");
    };
    let jar_answer = move || -> Option<Result<JarAnswer, String>> {
        if !asked_jar.get() {
            return None;
        }
        let run = py.run_of(PY_CELL);
        match (run.as_ref().map(|r| &r.state), py.load.get()) {
            (_, Load::Failed(e)) => Some(Err(format!("Python did not load: {e}"))),
            (Some(RunState::Finished { .. }), _) => {
                let run = run?;
                let out: String = run
                    .output
                    .iter()
                    .filter(|(err, _)| !err)
                    .map(|(_, t)| t.as_str())
                    .collect();
                let errors: String = run
                    .output
                    .iter()
                    .filter(|(err, _)| *err)
                    .map(|(_, t)| t.as_str())
                    .collect();
                Some(
                    parse_jar_answer(&out)
                        .ok_or_else(|| format!("requests' jar gave no answer: {}", errors.trim())),
                )
            }
            (Some(RunState::Stopped), _) => Some(Err("Stopped.".into())),
            (_, Load::Loading(progress)) => Some(Err(progress)),
            _ => Some(Err("Asking requests' jar…".into())),
        }
    };

    let same_site_select = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        form.update(|f| {
            f.same_site = match v.as_str() {
                "Lax" => Some(SameSite::Lax),
                "Strict" => Some(SameSite::Strict),
                "None" => Some(SameSite::None),
                _ => None,
            }
        });
    };
    let lifetime_select = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        form.update(|f| {
            f.permanent = v == "permanent";
            f.max_age = (v == "max-age").then_some(60);
        });
    };

    let trial_view = move || {
        trial.get().map(|t| {
            let a = &t.applied.attributes;
            let not_stored = chrome_stores(a, &t.page, 0);
            let stored = not_stored.is_empty();
            let arrived_somewhere = t.probes.iter().any(|p| p.arrived == Some(true));
            let stored_text = match not_stored.first() {
                None => "Chrome stores it.".to_string(),
                Some(r) => format!("Chrome refuses it ({}): {}", r.name(), r.why()),
            };
            let nowhere_on_path = t.probes.iter().all(|p| p.predicted.contains(&NotSent::NotOnPath));
            let seen = if arrived_somewhere {
                " The server got it back: the browser holds it."
            } else if stored && nowhere_on_path {
                " No probe got it back: none of them is under its Path."
            } else {
                " No probe got it back."
            };
            let reasons = not_stored.iter().map(|r| r.name()).collect::<Vec<_>>().join(" ");
            let rows = t
                .probes
                .iter()
                .map(|p| {
                    let agrees = p.agrees(stored);
                    let reason = if stored {
                        p.predicted.first().map(|r| r.name()).unwrap_or("")
                    } else {
                        ""
                    };
                    let class = match agrees {
                        Some(false) => "verdict rejected",
                        _ => "",
                    };
                    let mark = match agrees {
                        Some(true) => "yes",
                        Some(false) => "no: the browser did otherwise",
                        None => "",
                    };
                    view! {
                        <tr data-testid="attr-probe" data-path=p.path data-reason=reason
                            data-arrived=p.arrived.map(|a| a.to_string()).unwrap_or_default()>
                            <td class="mono">{p.path}</td>
                            <td>{p.sentence(stored)}</td>
                            <td class=class>{mark}</td>
                        </tr>
                    }
                })
                .collect_view();
            let differs = requests_differs(a, &t.page);
            let visit = match t.first_visit {
                Some(1) => "The first greeting was visit #1: a new session (a change deletes the cookie set under the previous attributes).".to_string(),
                Some(v) => format!("The first greeting was visit #{v}: the attributes had not changed, and the session went on."),
                None => String::new(),
            };
            view! {
                <div class="lab-out" data-testid="attr-trial">
                    <p class="small muted">{visit}</p>
                    <p data-testid="attr-stored" data-reason=reasons>
                        <strong>"Stored? "</strong>{stored_text}{seen}
                    </p>
                    <table class="tags small attr-probes" data-testid="attr-probes">
                        <caption class="sr-only">"Each path the lab asked, what Chrome was expected to do and what the server got"</caption>
                        <thead><tr><th scope="col">"path"</th><th scope="col">"sent? (Chrome's reason) and what the server got"</th><th scope="col">"as expected?"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    {(!differs.is_empty()).then(|| view! {
                        <div data-testid="attr-requests-differs">
                            <p><strong>"Python's requests decides otherwise:"</strong></p>
                            <ul class="small">{differs.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                        </div>
                    })}
                </div>
            }
        })
    };

    let other_site_view = move || {
        let page = page_origin()?;
        let other = other_site(&page)?;
        let a = current.with(|c| c.as_ref().map(|c| c.attributes.clone()))?;
        let why = chrome_sends(&a, &other, "/greeting/cookies", true);
        let reason = why.first().map(|r| r.name()).unwrap_or("");
        let expected = match why.first() {
            None => format!("A cookie {} set under these attributes goes along: a link followed is a top-level GET, where Lax and no SameSite still go.", other.host),
            Some(r) => format!("A cookie {} set under these attributes stays back ({}): {}", other.host, r.name(), r.why()),
        };
        let href = format!("{}/greeting/cookies", other.to_url());
        let there = format!("{}/#attribute-lab", other.to_url());
        Some(view! {
            <div class="lab-out" data-testid="attr-other-site-step">
                <h3>"From another site"</h3>
                <p class="small">
                    {format!("{} and {} are two sites with separate cookies. A page on one fetching from the other sends them as third-party cookies: Chromium as the tests run it blocks those whatever SameSite says (its reason: UserPreferences), and a browser that allows them sends only SameSite=None; Secure ones. SameSite shows on a link followed from the other site. Open ", page.host, other.host)}
                    <a href=there.clone() data-testid="attr-other-site-page">{there.clone()}</a>
                    ", press “Apply and try” there, come back here and follow this link to its echo:"
                </p>
                <p><a href=href.clone() data-testid="attr-other-site" class="mono">{href.clone()}</a></p>
                <p class="small" data-testid="attr-other-site-reason" data-reason=reason>{expected}</p>
            </div>
        })
    };

    view! {
        <section class="card lab" aria-labelledby="attr-h" id="attribute-lab" data-testid="attribute-lab">
            <h2 id="attr-h">"Cookie attributes, tried for real"</h2>
            <Show when=usable fallback=|| view! {
                <p class="small muted" data-testid="attr-unavailable">
                    "This lab switches the greeting server's own cookie attributes, so it needs the greeting server that served this page, in teaching mode (" <code>"cargo xtask run"</code> " on this machine)."
                </p>
            }>
                <p class="small">"Each change goes to the server, which deletes the cookie set under the previous attributes; the lab then greets, asks the server's echoes which cookie arrived, and greets again."</p>
                <div class="row lab-row attr-form">
                    <label>"SameSite "
                        <select data-testid="attr-samesite" on:change=same_site_select>
                            <option value="" selected=move || form.with(|f| f.same_site.is_none())>"(not set)"</option>
                            <option value="Lax" selected=move || form.with(|f| f.same_site == Some(SameSite::Lax))>"Lax"</option>
                            <option value="Strict" selected=move || form.with(|f| f.same_site == Some(SameSite::Strict))>"Strict"</option>
                            <option value="None" selected=move || form.with(|f| f.same_site == Some(SameSite::None))>"None"</option>
                        </select>
                    </label>
                    <label><input type="checkbox" data-testid="attr-secure"
                        prop:checked=move || form.with(|f| f.secure)
                        on:change=move |ev| { let on = event_target_checked(&ev); form.update(|f| f.secure = on); }/>" Secure"</label>
                    <label><input type="checkbox" data-testid="attr-prefix"
                        prop:checked=move || form.with(|f| f.host_prefix)
                        on:change=move |ev| { let on = event_target_checked(&ev); form.update(|f| f.host_prefix = on); }/>" __Host- prefix"</label>
                </div>
                <div class="row lab-row attr-form">
                    <label>"Domain "
                        <input type="text" data-testid="attr-domain" placeholder="(none: host-only)" spellcheck="false" autocomplete="off"
                            prop:value=move || form.with(|f| f.domain.clone().unwrap_or_default())
                            on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.domain = (!v.trim().is_empty()).then_some(v)); }/>
                    </label>
                    <label>"Path "
                        <input type="text" data-testid="attr-path" spellcheck="false" autocomplete="off"
                            prop:value=move || form.with(|f| f.path.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.path = v); }/>
                    </label>
                    <label>"Lifetime "
                        <select data-testid="attr-lifetime" on:change=lifetime_select>
                            <option value="session" selected=move || form.with(|f| !f.permanent && f.max_age.is_none())>"until the browser closes"</option>
                            <option value="permanent" selected=move || form.with(|f| f.permanent && f.max_age.is_none())>"permanent session (Flask: Expires)"</option>
                            <option value="max-age" selected=move || form.with(|f| f.max_age.is_some())>"max_age=60 (Expires and Max-Age)"</option>
                        </select>
                    </label>
                </div>
                <div class="row lab-row">
                    <button type="button" class="primary" data-testid="attr-apply" prop:disabled=move || busy.get()
                        on:click=move |_| apply(form.get_untracked())>"Apply and try"</button>
                    <button type="button" data-testid="attr-default" prop:disabled=move || busy.get()
                        on:click=move |_| { form.set(CookieAttributes::default()); apply(CookieAttributes::default()); }>"Flask's cookie again"</button>
                </div>
                <p class="small">"Set-Cookie: "
                    <code class="mono wrap" data-testid="attr-set-cookie">{move || current.with(|c| c.as_ref().map(|c| c.set_cookie.clone()).unwrap_or_default())}</code>
                </p>
                <p data-testid="attr-message" role="status" aria-live="polite" data-step=move || steps.get().to_string()
                    class=move || format!("small lab-said {}", said.with(|s| s.as_ref().map(|s| s.0.css_class()).unwrap_or("")))>
                    {move || said.with(|s| s.as_ref().map(|s| s.1.clone()).unwrap_or_default())}
                </p>
                {trial_view}
                <Show when=move || trial.with(Option::is_some)>
                    <div class="row lab-row">
                        <button type="button" data-testid="attr-ask-requests" prop:disabled=move || py.busy()
                            on:click=move |_| ask_jar()>"Ask requests' own jar (loads Python)"</button>
                    </div>
                    {move || jar_answer().map(|answer| match answer {
                        Ok(j) => view! {
                            <div class="lab-out" data-testid="attr-requests-jar">
                                <p class="small"><strong>"requests' jar stored: "</strong>
                                    {if j.stored.is_empty() { "nothing".to_string() } else { j.stored.join(", ") }}</p>
                                <ul class="small">{j.sent.iter().map(|(path, header)| {
                                    let text = match header {
                                        Some(h) => format!("{path}: sends Cookie: {h}"),
                                        None => format!("{path}: sends no cookie"),
                                    };
                                    view! { <li data-testid="attr-requests-sent" data-path=path.clone() data-sent=header.is_some().to_string()>{text}</li> }
                                }).collect_view()}</ul>
                                <details class="small"><summary>"http.cookiejar's own reasons"</summary>
                                    <pre class="mono wrap">{j.log.join("\n")}</pre></details>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="small muted" data-testid="attr-requests-jar-status">{e}</p> }.into_any(),
                    })}
                </Show>
                {other_site_view}
                <div class="lab-out" data-testid="attr-size-step">
                    <h3>"The 4 KB step"</h3>
                    <p class="small">"Grow the session with random characters (zlib cannot shorten them) until the cookie passes the 4096 bytes a browser keeps of a cookie's name and value. Werkzeug warns past 4093 bytes of Set-Cookie, and sends it anyway."</p>
                    <div class="row lab-row">
                        <label>"Add "
                            <input type="number" min="0" max="8192" data-testid="attr-pad-bytes" class="narrow"
                                prop:value=move || pad_bytes.get()
                                on:input=move |ev| pad_bytes.set(event_target_value(&ev))/>
                            " bytes"</label>
                        <button type="button" data-testid="attr-grow" prop:disabled=move || busy.get()
                            on:click=move |_| grow()>"Grow the session"</button>
                    </div>
                    {move || padded.get().map(|(p, after)| view! {
                        <div data-testid="attr-size" data-keeps=p.browser_keeps.to_string() data-bytes=p.cookie_bytes.to_string()>
                            <p class="small">{format!(
                                "The new cookie: {} bytes of name and value ({} of Set-Cookie). {}",
                                p.cookie_bytes,
                                p.set_cookie_bytes,
                                if p.browser_keeps { "A browser keeps that." } else { "Over 4096: Chrome refuses it (NameValuePairExceedsMaxSize), without telling the page or the server." }
                            )}</p>
                            {p.werkzeug_warning.map(|w| view! {
                                <p class="small"><strong>"Werkzeug would warn: "</strong><span data-testid="attr-werkzeug-warning">{w}</span></p>
                            })}
                            <p class="small" data-testid="attr-size-after">{after}</p>
                        </div>
                    })}
                </div>
            </Show>
        </section>
    }
}
