//! The decoded session cookie, what changed since the previous one, and the simulated jar.

use leptos::prelude::*;

use crate::app::Playground;
use crate::model::cookie_view::{view as decode_view, CookieView};
use crate::model::diff::{char_diff, Op};
use crate::model::target::TargetKind;
use crate::net;

#[component]
pub fn CookiePanel() -> impl IntoView {
    let playground = expect_context::<Playground>();
    // (number, cookie, previous (number, cookie))
    let pair = move || {
        let sel = playground.selected.get();
        playground.timeline.with(|t| {
            t.cookie_pair(sel).map(|(cur, prev)| {
                (
                    cur.number,
                    cur.cookie_out().unwrap_or_default().to_string(),
                    prev.map(|p| (p.number, p.cookie_out().unwrap_or_default().to_string())),
                )
            })
        })
    };
    let decoded = move || {
        let (_, cookie, _) = pair()?;
        let key = playground.verify_key();
        Some(decode_view(
            &cookie,
            key.as_deref().map(str::as_bytes),
            net::now_ms() / 1000,
            playground.max_age_secs(),
        ))
    };
    let empty_text = move || {
        match playground.kind.get() {
        Some(TargetKind::Custom) if playground.info.with(Option::is_none) => {
            "This server has no side channel, and a page script can never read Set-Cookie or an HttpOnly cookie: \
             its cookies stay invisible here (the browser still sends them)."
        }
        _ => "No session cookie yet: send a request.",
    }
    };
    view! {
        <section class="card cookie" aria-label="Session cookie">
            <h2>"Session cookie"</h2>
            {move || match (pair(), decoded()) {
                (Some((n, cookie, prev)), Some(Ok(v))) => view! { <Decoded n=n v=v cookie=cookie prev=prev/> }.into_any(),
                (Some((n, cookie, _)), Some(Err(e))) => view! {
                    <p class="mono wrap">{cookie}</p>
                    <p class="xerror" data-testid="cookie-verdict">{format!("Exchange #{n} set a cookie that is not a Flask session cookie: {e}")}</p>
                }.into_any(),
                _ => view! { <p class="muted small">{empty_text}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Decoded(
    n: usize,
    v: CookieView,
    cookie: String,
    prev: Option<(usize, String)>,
) -> impl IntoView {
    let diff = prev.as_ref().map(|(pn, p)| (*pn, char_diff(p, &cookie)));
    let verdict_class = format!("verdict {}", v.verdict.code());
    let pretty = crate::model::cookie_view::pretty_json(&v.json);
    view! {
        <p class="muted small">{format!("Set by exchange #{n}")}{if v.compressed { " · compressed payload" } else { "" }}</p>
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
