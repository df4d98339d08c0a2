//! The timeline of exchanges: the page's own and other clients'.

use leptos::prelude::*;

use greeting_core::{Header, SessionIn};

use crate::app::Pg;
use crate::model::timeline::{Exchange, Source};
use crate::net;

#[component]
pub fn TimelineView() -> impl IntoView {
    let pg = expect_context::<Pg>();
    let list = NodeRef::<leptos::html::Ol>::new();
    // Keep the newest row in view.
    Effect::new(move |_| {
        let n = pg.timeline.with(|t| t.len());
        if let Some(el) = list.get() {
            if n > 0 {
                el.set_scroll_top(el.scroll_height());
            }
        }
    });
    let rows = move || {
        pg.timeline.with(|t| {
            t.entries
                .iter()
                .map(|e| {
                    let reset = t.reset_before(e.number);
                    (
                        (
                            e.number,
                            e.is_pending(),
                            e.report.is_some(),
                            e.session,
                            e.error().is_some(),
                            reset,
                        ),
                        (e.clone(), reset),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="card timeline-card" aria-label="Timeline">
            <div class="row spread">
                <h2>"Exchanges"</h2>
                <button type="button" class="link small" on:click=move |_| {
                    pg.timeline.update(|t| t.clear());
                    pg.expanded.set(Vec::new());
                    pg.selected.set(None);
                    pg.note.set(None);
                }>"Clear list"</button>
            </div>
            <div class="thead" aria-hidden="true">
                <span>"#"</span><span>"time"</span><span>"status"</span><span>"message"</span><span>"visit"</span><span>"took"</span><span></span>
            </div>
            <ol class="timeline" data-testid="timeline" node_ref=list>
                <For each=rows key=|(k, _)| *k children=move |(_, (e, reset))| view! { <ExchangeRow e=e reset_before=reset/> }/>
            </ol>
            <Show when=move || pg.timeline.with(|t| t.is_empty())>
                <p class="muted small empty">"No exchanges yet. Press “Send once”."</p>
            </Show>
        </section>
    }
}

/// `0.4 ms`, `12 ms` without float formatting.
fn format_ms(d: f64) -> String {
    let tenths = (d * 10.0).round().max(0.0) as u64;
    if tenths < 100 {
        format!("{}.{} ms", tenths / 10, tenths % 10)
    } else {
        format!("{} ms", (tenths + 5) / 10)
    }
}

fn status_class(status: Option<u16>) -> &'static str {
    match status {
        Some(200..=299) => "status ok",
        Some(401) => "status auth",
        Some(400..=499) => "status client",
        Some(_) => "status server",
        None => "status none",
    }
}

#[component]
fn ExchangeRow(e: Exchange, reset_before: bool) -> impl IntoView {
    let pg = expect_context::<Pg>();
    let n = e.number;
    let expanded = move || pg.expanded.with(|v| v.contains(&n));
    let toggle = move |_| {
        pg.expanded.update(|v| {
            if let Some(i) = v.iter().position(|x| *x == n) {
                v.remove(i);
            } else {
                v.push(n);
            }
        })
    };
    let status = e.status();
    let visit = e.visit();
    let source = e.source;
    let message = e.message();
    let error = e.error().cloned();
    let pending = e.is_pending();
    let status_text = match (status, pending) {
        (Some(s), _) => s.to_string(),
        (None, true) => "…".into(),
        (None, false) => "—".into(),
    };
    let who = match source {
        Source::Page => None,
        Source::Other => Some(
            e.report
                .as_ref()
                .map(|r| {
                    format!(
                        "{} from {}",
                        r.user_agent.clone().unwrap_or_else(|| "a client".into()),
                        r.client
                    )
                })
                .unwrap_or_default(),
        ),
    };
    let duration = e.duration_ms.map(format_ms).unwrap_or_default();
    let has_cookie = e.cookie_out().is_some();
    let details = e.clone();
    view! {
        <li data-testid="exchange-row" class="exchange" class:other=source == Source::Other class:pending=pending
            class:selected=move || pg.selected.get() == Some(n)
            data-status=status.map(|s| s.to_string())
            data-visit=visit.map(|v| v.to_string())
            data-source=source.as_str()>
            {reset_before.then(|| view! { <div class="reset-divider" role="separator">"session reset: the cookie was expired"</div> })}
            <div class="xrow" on:click=move |_| if has_cookie { pg.selected.set(Some(n)) }>
                <span class="num">{format!("#{n}")}</span>
                <span class="time mono">{net::clock(e.at_ms)}</span>
                <span class=status_class(status)>{status_text}</span>
                <span class="msg">
                    {who.map(|w| view! { <span class="who">{w}</span> })}
                    <span data-testid="exchange-message">{message.unwrap_or_default()}</span>
                </span>
                <span class="visit">{visit.map(|v| format!("visit {v}")).unwrap_or_default()}</span>
                <span class="dur mono">{duration}</span>
                <button type="button" class="link small" data-testid="exchange-toggle"
                    aria-expanded=move || expanded().to_string()
                    on:click=move |ev| { ev.stop_propagation(); toggle(ev) }>
                    {move || if expanded() { "hide" } else { "details" }}
                </button>
            </div>
            {error.map(|x| view! {
                <p class="xerror" data-testid="exchange-error"><strong>{format!("{}. ", x.title)}</strong>{super::rich(x.detail)}</p>
            })}
            <Show when=expanded>
                <Details e=details.clone()/>
            </Show>
        </li>
    }
}

fn header_list(headers: &[Header]) -> impl IntoView + use<> {
    let items = headers
        .iter()
        .map(|h| {
            let hl = h.name.eq_ignore_ascii_case("set-cookie") || h.name.eq_ignore_ascii_case("cookie");
            view! { <div class="hdr" class:hl=hl><span class="hname">{h.name.clone()}": "</span><span class="hval">{h.value.clone()}</span></div> }
        })
        .collect_view();
    view! { <div class="headers mono">{items}</div> }
}

fn session_in_text(s: &SessionIn) -> String {
    match s {
        SessionIn::None => "The request carried no session cookie.".into(),
        SessionIn::Continued { username, visit } => {
            format!("The cookie held {username}'s session at visit {visit}; the server counted on.")
        }
        SessionIn::OtherUser { username, visit } if username.is_empty() => {
            format!("The cookie held a session without a user name (visit {visit}); the count starts over.")
        }
        SessionIn::OtherUser { username, visit } => {
            format!("The cookie held {username}'s session (visit {visit}), another user: the count starts over.")
        }
        SessionIn::Rejected { reason } => {
            format!("The server refused the cookie ({reason}) and silently started a new session.")
        }
    }
}

#[component]
fn Details(e: Exchange) -> impl IntoView {
    let (req_title, req) = match &e.report {
        Some(r) if !r.request_headers.is_empty() => ("Request headers, as the server received them", r.request_headers.clone()),
        _ => ("Request headers the page set (the browser adds Cookie and others, which a page cannot see)", e.sent_headers.clone()),
    };
    let (resp_title, resp) = match &e.report {
        Some(r) if !r.response_headers.is_empty() => (
            "Response headers, as the server sent them",
            r.response_headers.clone(),
        ),
        _ => (
            "Response headers the browser let the page read (never Set-Cookie)",
            e.visible_response_headers.clone(),
        ),
    };
    let mode = if e.source == crate::model::timeline::Source::Page {
        Some(if e.session_mode {
            "Sent with credentials: \"include\" (session)."
        } else {
            "Sent with credentials: \"omit\" (no session)."
        })
    } else {
        None
    };
    let session = e.report.as_ref().map(|r| session_in_text(&r.session_in));
    let notes = e
        .report
        .as_ref()
        .map(|r| r.notes.clone())
        .unwrap_or_default();
    let body = e.body().map(str::to_string);
    view! {
        <div class="details" data-testid="exchange-details">
            <p class="muted small">{format!("{} {}", e.method, e.path)}" · "{mode}" "{session}</p>
            {notes.into_iter().map(|n| view! { <p class="small note">{n}</p> }).collect_view()}
            <h4>{req_title}</h4>
            {header_list(&req)}
            <h4>{resp_title}</h4>
            {header_list(&resp)}
            <h4>"Body, as received"</h4>
            <pre class="body">{body.unwrap_or_else(|| "(none)".into())}</pre>
        </div>
    }
}
