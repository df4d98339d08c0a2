//! The decoded session cookie, what changed since the previous one, and the simulated jar.

use leptos::prelude::*;

use crate::app::Playground;
use crate::components::session_where::SessionWhere;
use crate::model::cookie_view::{view as decode_view, CookieView};
use crate::model::diff::{char_diff, Op};
use crate::model::jar::{carried, inferred, role_of, setter, CookieRole, Jar};
use crate::model::target::TargetKind;
use crate::model::timeline::{Exchange, Timeline};
use crate::net;
use greeting_core::SessionMode;

/// What the cookie panel shows: the selected exchange's cookie, else the browser's jar.
#[derive(Clone, Debug, PartialEq)]
enum Shown {
    /// Exchange `n` set `cookie`; `role` says what it is to the jar.
    Exchange {
        n: usize,
        cookie: String,
        role: CookieRole,
        carried: Option<String>,
        prev: Option<(usize, String)>,
    },
    /// The jar's cookie, with the exchange that set it (or the lab that planted it); `sure`
    /// when the server (or the simulated jar) said so, not when the page inferred it.
    Jar {
        sure: bool,
        cookie: String,
        set_by: Option<usize>,
        planted: bool,
        prev: Option<(usize, String)>,
    },
    JarEmpty,
    JarUnknown,
}

impl Shown {
    fn source(&self) -> &'static str {
        match self {
            Shown::Exchange { .. } => "exchange",
            _ => "jar",
        }
    }

    /// `jar` names the jar: the browser's, or the simulated one.
    fn caption(&self, jar: &str) -> String {
        match self {
            Shown::Exchange {
                n, role, carried, ..
            } => format!(
                "Exchange #{n}'s cookie: {}. {}",
                role.label(),
                carried.as_deref().unwrap_or_default()
            ),
            Shown::Jar {
                sure,
                set_by,
                planted,
                ..
            } => {
                let from = match (set_by, planted) {
                    (Some(n), _) => format!(" (set by exchange #{n})"),
                    (None, true) => " (planted with the cookie lab)".into(),
                    (None, false) => String::new(),
                };
                if *sure {
                    format!("In {jar}{from}: the next request in session mode carries it.")
                } else {
                    format!(
                        "Most likely in {jar}{from}: the last cookie an answer in session mode set. \
                         This server cannot tell the page for sure (it has no /playground/api/cookies)."
                    )
                }
            }
            Shown::JarEmpty => String::new(),
            Shown::JarUnknown => String::new(),
        }
    }
}

/// The previous cookie to diff exchange `e`'s against: same chart line first, else any.
fn previous(t: &Timeline, e: &Exchange) -> Option<(usize, String)> {
    t.cookie_pair(Some(e.number))
        .filter(|(cur, _)| cur.number == e.number)
        .and_then(|(_, prev)| prev)
        .map(|p| (p.number, p.cookie_out().unwrap_or_default().to_string()))
}

#[component]
pub fn CookiePanel() -> impl IntoView {
    let playground = expect_context::<Playground>();
    let shown = Memo::new(move |_| {
        let jar = playground.jar_now();
        let selected = playground.selected.get();
        playground.timeline.with(|t| {
            let sure = jar != Jar::Unknown;
            let jar = if sure { jar } else { inferred(t) };
            if let Some(e) = selected
                .and_then(|n| t.get(n))
                .filter(|e| e.cookie_out().is_some())
            {
                return Shown::Exchange {
                    n: e.number,
                    cookie: e.cookie_out().unwrap_or_default().to_string(),
                    role: role_of(e, &jar),
                    carried: carried(e),
                    prev: previous(t, e),
                };
            }
            match &jar {
                Jar::Holds(cookie) => {
                    let setter = setter(t, &jar);
                    Shown::Jar {
                        sure,
                        cookie: cookie.clone(),
                        set_by: setter.map(|e| e.number),
                        planted: t.was_planted(cookie),
                        prev: setter.and_then(|e| previous(t, e)),
                    }
                }
                Jar::Empty => Shown::JarEmpty,
                Jar::Unknown => Shown::JarUnknown,
            }
        })
    });
    let decoded = move || {
        let cookie = match shown.get() {
            Shown::Exchange { cookie, .. } | Shown::Jar { cookie, .. } => cookie,
            _ => return None,
        };
        let key = playground.verify_key();
        Some(decode_view(
            &cookie,
            key.as_deref().map(str::as_bytes),
            net::now_ms() / 1000,
            playground.max_age_secs(),
        ))
    };
    let empty_text = move || {
        match (shown.get(), playground.kind.get()) {
        (_, Some(TargetKind::Custom)) if playground.info.with(Option::is_none) => {
            "This server has no side channel, and a page script can never read Set-Cookie or an HttpOnly cookie: \
             its cookies stay invisible here (the browser still sends them)."
        }
        (Shown::JarEmpty, Some(TargetKind::Simulated)) => {
            "The simulated jar holds no session cookie: the next request in session mode starts a new session."
        }
        (Shown::JarEmpty, _) => {
            "The browser holds no session cookie for this server: the next request in session mode starts a new session."
        }
        (_, None) => "Looking for the server…",
        _ => "Unknown: this server cannot tell the page which cookie the browser holds (an older greeting server \
              without /playground/api/cookies). The browser still sends whatever it holds.",
    }
    };
    let show_jar = move |_| playground.selected.set(None);
    view! {
        <section class="card cookie" aria-label="Session cookie">
            <h2>"Session cookie"</h2>
            <SessionWhere/>
            <p class="small cookie-source" data-testid="cookie-source"
                data-source=move || shown.with(Shown::source)
                data-role=move || shown.with(|s| match s { Shown::Exchange { role, .. } => role.as_str(), _ => "jar" })>
                {move || {
                    let jar = if playground.kind.get() == Some(TargetKind::Simulated) { "the simulated jar" } else { "the browser's jar" };
                    shown.with(|s| s.caption(jar))
                }}
                <Show when=move || shown.with(|s| matches!(s, Shown::Exchange { .. }))>
                    " "<button type="button" class="link small" data-testid="cookie-show-jar" on:click=show_jar>"Show the jar's cookie"</button>
                </Show>
            </p>
            {move || match (shown.get(), decoded()) {
                (Shown::Exchange { cookie, prev, .. } | Shown::Jar { cookie, prev, .. }, Some(Ok(v))) => {
                    view! { <Decoded v=v cookie=cookie prev=prev/> }.into_any()
                }
                (Shown::Exchange { cookie, .. } | Shown::Jar { cookie, .. }, Some(Err(_)))
                    if playground.session_mode() == Some(SessionMode::Server) => view! {
                    <p class="mono wrap" data-testid="cookie-id">{cookie}</p>
                    <p class="muted small" data-testid="cookie-verdict">"A session id, not a signed session: the server looks it up in its store."</p>
                }.into_any(),
                (Shown::Exchange { cookie, .. } | Shown::Jar { cookie, .. }, Some(Err(e))) => view! {
                    <p class="mono wrap">{cookie}</p>
                    <p class="xerror" data-testid="cookie-verdict">{format!("Not a Flask session cookie: {e}")}</p>
                }.into_any(),
                _ => view! { <p class="muted small" data-testid="cookie-empty">{empty_text}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Decoded(v: CookieView, cookie: String, prev: Option<(usize, String)>) -> impl IntoView {
    let diff = prev.as_ref().map(|(pn, p)| (*pn, char_diff(p, &cookie)));
    let verdict_class = format!("verdict {}", v.verdict.code());
    let pretty = crate::model::cookie_view::pretty_json(&v.json);
    view! {
        {v.compressed.then(|| view! { <p class="muted small">"Compressed payload"</p> })}
        <div class="segments mono wrap" aria-label="The cookie's three parts">
            <span class="seg payload" title="payload: the session, base64">{v.payload_segment.clone()}</span>
            "."
            <span class="seg ts" title="timestamp">{v.timestamp_segment.clone()}</span>
            "."
            <span class="seg sig" title="signature">{v.signature_segment.clone()}</span>
        </div>
        <dl class="facts">
            <dt>"Payload"</dt>
            <dd><pre class="mono" data-testid="cookie-payload" title=v.json.clone()>{pretty}</pre></dd>
            <dt>"Signed at"</dt>
            <dd>{v.date.clone()}" · "{v.age.clone()}</dd>
            <dt>"Signature"</dt>
            <dd class="mono wrap small">{v.signature_hex.clone()}</dd>
            <dt>"Verifies?"</dt>
            <dd class=verdict_class data-testid="cookie-verdict">{v.verdict.label()}</dd>
        </dl>
        <h3>"What changed"</h3>
        {match diff {
            Some((pn, segs)) if crate::model::diff::changed_chars(&segs) == 0 => view! {
                <p class="muted small" data-testid="cookie-diff">{format!("Exactly the cookie of exchange #{pn}: same session, same visit, same second, so the same signature.")}</p>
            }.into_any(),
            Some((pn, segs)) => {
                let spans = segs
                    .into_iter()
                    .map(|s| {
                        let class = match s.op {
                            Op::Same => "d-same",
                            Op::Added => "d-add",
                            Op::Removed => "d-del",
                        };
                        view! { <span class=class>{s.text}</span> }
                    })
                    .collect_view();
                view! {
                    <p class="muted small">{format!("Since the cookie of exchange #{pn}: ")}<ins>"added"</ins>" / "<del>"removed"</del></p>
                    <p class="mono wrap diff" data-testid="cookie-diff">{spans}</p>
                }.into_any()
            }
            None => view! { <p class="muted small" data-testid="cookie-diff">"The first cookie: nothing to compare with yet."</p> }.into_any(),
        }}
    }
}

/// The simulated browser's cookie jar (simulated target only).
#[component]
pub fn CookieJar() -> impl IntoView {
    let playground = expect_context::<Playground>();
    view! {
        <Show when=move || playground.kind.get() == Some(TargetKind::Simulated)>
            <section class="card jar" aria-label="Simulated cookie jar">
                <h2>"Cookie jar (simulated browser)"</h2>
                <div data-testid="cookie-jar" class="mono wrap">
                    {move || match playground.sim_jar.get() {
                        Some(v) => format!("session={v}  (HttpOnly; Path=/)"),
                        None => "empty: no session cookie".into(),
                    }}
                </div>
                <p class="muted small">
                    "With “Session: keep cookies” this cookie goes out with every request and each answer replaces it; "
                    "with “No session” the jar is left alone."
                </p>
            </section>
        </Show>
    }
}
