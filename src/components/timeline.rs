//! The timeline of exchanges: the page's own and other clients'.
//!
//! The model (`playground.timeline`) keeps every exchange; the list draws the newest [`WINDOW`] of them
//! (a button shows earlier ones), one row per exchange number. Rows do not watch the timeline
//! themselves: one effect does, and hands each drawn row its entry's revision through the row's
//! own signal, so an answer or a report arriving redraws that row and no other, and a change to
//! the timeline costs one pass over the drawn rows' numbers.

use std::collections::HashMap;

use leptos::prelude::*;

use greeting_core::{Header, SessionIn};

use super::controls::StartHelpLink;
use crate::app::Playground;
use crate::model::batch::carried_visit;
use crate::model::jar::other_client;
use crate::model::tags::{tags, Tag};
use crate::model::timeline::{Exchange, Source, Timeline};
use crate::net;

/// How many of the newest exchanges the list draws at first, and how many more each
/// "Show earlier exchanges" adds.
pub const WINDOW: usize = 200;

/// What a drawn row follows of the timeline: its entry's revision (`None` once the entry is gone),
/// and whether a session reset comes right after it.
type RowKey = (Option<u32>, bool);

fn row_key(t: &Timeline, n: usize) -> RowKey {
    (t.get(n).map(|e| e.revision), t.reset_after(n))
}

/// The drawn rows' signals, by exchange number, with the key each was last given (compared
/// here without reading the signals).
#[derive(Clone, Copy)]
struct DrawnRows(StoredValue<HashMap<usize, (RwSignal<RowKey>, RowKey)>>);

#[component]
pub fn TimelineView() -> impl IntoView {
    let playground = expect_context::<Playground>();
    let drawn = DrawnRows(StoredValue::new(HashMap::new()));
    // The one subscriber of the timeline among the rows: tells each drawn row whose entry moved.
    Effect::new(move |_| {
        let mut moved = Vec::new();
        playground.timeline.with(|t| {
            drawn.0.update_value(|rows| {
                for (&n, (sig, last)) in rows.iter_mut() {
                    let key = row_key(t, n);
                    if *last != key {
                        *last = key;
                        moved.push((*sig, key));
                    }
                }
            })
        });
        for (sig, key) in moved {
            sig.try_set(key);
        }
    });
    let len = Memo::new(move |_| playground.timeline.with(|t| t.len()));
    // (the page's exchanges, of which finished): the totals, whatever the list draws.
    let page_counts = Memo::new(move |_| playground.timeline.with(|t| t.page_counts()));
    // Keep the newest row in view while the reader is at the bottom of the list; leave the list
    // where it is when they scrolled up to read.
    let at_bottom = StoredValue::new(true);
    // How many rows to draw: WINDOW, more after "Show earlier exchanges".
    let shown = RwSignal::new(WINDOW);
    // The first exchange drawn. The window moves on with new exchanges only while the reader is
    // at the bottom: rows do not vanish above someone reading them.
    let first = Memo::new(move |prev: Option<&usize>| {
        let newest_window = len.get().saturating_sub(shown.get()) + 1;
        match prev {
            Some(&p) if !at_bottom.get_value() => p.min(newest_window),
            _ => newest_window,
        }
    });
    let hidden = move || first.get() - 1;

    let scroller = NodeRef::<leptos::html::Div>::new();
    let list = NodeRef::<leptos::html::Ol>::new();
    // The scroll position this list last set itself (its scroll event is not the reader's).
    let ours = StoredValue::new(None::<i32>);
    let queued = StoredValue::new(false);
    Effect::new(move |_| {
        // Any change may add rows or make the newest ones taller (an answer on two lines).
        playground.timeline.track();
        if at_bottom.get_value() && !queued.get_value() {
            queued.set_value(true);
            // In the next frame, whose layout the browser does anyway, rather than forcing one
            // per change now.
            request_animation_frame(move || {
                queued.set_value(false);
                match scroller.get_untracked() {
                    Some(el) if at_bottom.get_value() => {
                        el.set_scroll_top(el.scroll_height());
                        ours.set_value(Some(el.scroll_top()));
                    }
                    _ => {}
                }
            });
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            let top = el.scroll_top();
            if ours.get_value() == Some(top) {
                return;
            }
            ours.set_value(None);
            at_bottom.set_value(top + el.client_height() + 24 >= el.scroll_height());
        }
    };
    let show_earlier = move |_| {
        let last_batch = hidden() <= WINDOW;
        shown.set(len.get_untracked() + 1 - first.get_untracked() + WINDOW);
        if last_batch {
            // The button goes away: focus the first row's toggle rather than losing focus.
            request_animation_frame(move || {
                if let Some(el) = list.get_untracked() {
                    if let Ok(Some(b)) = el.query_selector("[data-testid=exchange-toggle]") {
                        if let Ok(b) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(b) {
                            let _ = b.focus();
                        }
                    }
                }
            });
        }
    };
    view! {
        <section class="card timeline-card" id="exchanges" tabindex="-1" aria-label="Timeline">
            <div class="row spread">
                <h2>"Exchanges"</h2>
                <button type="button" class="link small" data-testid="clear-list" on:click=move |_| {
                    playground.timeline.update(|t| t.clear());
                    playground.expanded.set(Vec::new());
                    playground.selected.set(None);
                    playground.note.set(None);
                    shown.set(WINDOW);
                    at_bottom.set_value(true);
                }>"Clear list"</button>
            </div>
            <div class="thead" aria-hidden="true">
                <span>"#"</span><span>"time"</span><span>"status"</span><span>"message"</span><span>"visit"</span><span>"took"</span><span></span>
            </div>
            <div class="timeline-scroll" node_ref=scroller on:scroll=on_scroll>
                <Show when=move || hidden() != 0>
                    <p class="earlier">
                        <button type="button" class="link small" data-testid="show-earlier" on:click=show_earlier>
                            {move || match hidden() {
                                h if h > WINDOW => format!("Show {WINDOW} earlier exchanges ({h} hidden)"),
                                h => format!("Show earlier exchanges ({h} hidden)"),
                            }}
                        </button>
                    </p>
                </Show>
                <ol class="timeline" data-testid="timeline" node_ref=list
                    data-rows=move || len.get().to_string()
                    data-page-rows=move || page_counts.get().0.to_string()
                    data-page-finished=move || page_counts.get().1.to_string()>
                    <For each=move || first.get()..=len.get() key=|n| *n let:n>
                        <ExchangeRow n=n drawn=drawn/>
                    </For>
                </ol>
            </div>
            <Show when=move || len.get() == 0>
                <p class="muted small empty">"No exchanges yet. Press “Send once”."</p>
            </Show>
        </section>
    }
}

/// `0.4 ms`, `12 ms` without float formatting.
pub(crate) fn format_ms(d: f64) -> String {
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

/// What a row shows of its exchange (the rest of the exchange stays in the model).
#[derive(Clone, Debug, Default, PartialEq)]
struct RowState {
    status: Option<u16>,
    pending: bool,
    visit: Option<u64>,
    message: String,
    /// Another client's user agent and address.
    who: Option<String>,
    /// (title, detail, whether the reader needs to start a server) of a failure.
    error: Option<(String, String, bool)>,
    duration: String,
    has_cookie: bool,
    tags: Vec<Tag>,
    /// In a batch: (position from 1, size), and the visit its cookie carried (0: none).
    batch: Option<(usize, usize)>,
    carried: Option<u64>,
}

impl RowState {
    fn of(t: &Timeline, e: &Exchange) -> RowState {
        let batch = e.batch.as_deref().map(|b| {
            let members = t.entries.iter().filter(|o| o.batch.as_deref() == Some(b));
            let position = members.clone().take_while(|o| o.number != e.number).count() + 1;
            (position, members.count())
        });
        RowState {
            status: e.status(),
            pending: e.is_pending(),
            visit: e.visit(),
            message: e.message().unwrap_or_default(),
            who: match e.source {
                Source::Page => None,
                Source::Python => Some(crate::model::python::CLIENT_LABEL.to_string()),
                Source::Other => Some(other_client(e)),
            },
            error: e
                .error()
                .map(|x| (x.title.clone(), x.detail.clone(), x.code.needs_a_server())),
            // Another client's round trip is unknown: the server reports its own time only.
            duration: match (e.source, e.duration_ms) {
                (Source::Other, Some(d)) => format!("server {}", format_ms(d)),
                (_, d) => d.map(format_ms).unwrap_or_default(),
            },
            has_cookie: e.cookie_out().is_some(),
            tags: tags(t, e),
            batch,
            carried: e.batch.as_ref().and_then(|_| carried_visit(e)),
        }
    }

    fn status_text(&self) -> String {
        match (self.status, self.pending) {
            (Some(s), _) => s.to_string(),
            (None, true) => "…".into(),
            (None, false) => "—".into(),
        }
    }
}

#[component]
fn ExchangeRow(n: usize, drawn: DrawnRows) -> impl IntoView {
    let playground = expect_context::<Playground>();
    let initial = playground.timeline.with_untracked(|t| row_key(t, n));
    let key = RwSignal::new(initial);
    drawn.0.update_value(|rows| {
        rows.insert(n, (key, initial));
    });
    on_cleanup(move || {
        // Only this row's own entry: after "Clear list" a new row may hold the number already.
        drawn.0.update_value(|rows| {
            if rows.get(&n).is_some_and(|(k, _)| *k == key) {
                rows.remove(&n);
            }
        })
    });
    let revision = Memo::new(move |_| key.with(|k| k.0));
    let reset_after = Memo::new(move |_| key.with(|k| k.1));
    let state = Memo::new(move |_| {
        // `get`, not `track`: a memo nobody read yet has no value (and no sources) to track.
        revision.get();
        playground
            .timeline
            .with_untracked(|t| t.get(n).map(|e| RowState::of(t, e)))
            .unwrap_or_default()
    });
    let error = Memo::new(move |_| state.with(|s| s.error.clone()));
    let who = Memo::new(move |_| state.with(|s| s.who.clone()));
    let (source, at_ms) = playground
        .timeline
        .with_untracked(|t| t.get(n).map(|e| (e.source, e.at_ms)))
        .unwrap_or((Source::Page, 0));
    let expanded = Memo::new(move |_| playground.expanded.with(|v| v.contains(&n)));
    let toggle = move || {
        playground.expanded.update(|v| {
            if let Some(i) = v.iter().position(|x| *x == n) {
                v.remove(i);
            } else {
                v.push(n);
            }
        })
    };
    view! {
        <li data-testid="exchange-row" class="exchange" class:other=source == Source::Other class:python=source == Source::Python
            class:pending=move || state.with(|s| s.pending)
            class:selected=move || playground.selected.get() == Some(n)
            data-exchange=n.to_string()
            data-status=move || state.with(|s| s.status.map(|x| x.to_string()))
            data-visit=move || state.with(|s| s.visit.map(|v| v.to_string()))
            data-source=source.as_str()
            data-tags=move || state.with(|s| s.tags.iter().map(Tag::as_str).collect::<Vec<_>>().join(" "))
            data-batch=move || state.with(|s| s.batch.map(|(_, size)| size.to_string()))
            data-carried=move || state.with(|s| s.carried.map(|v| v.to_string()))
            class:in-batch=move || state.with(|s| s.batch.is_some())>
            {move || state.with(|s| match s.batch {
                Some((1, size)) => Some(view! { <div class="batch-head" data-testid="batch-head">{format!("{size} requests sent together")}</div> }),
                _ => None,
            })}
            <div class="xrow" on:click=move |_| if state.with_untracked(|s| s.has_cookie) { playground.selected.set(Some(n)) }>
                <span class="num">{format!("#{n}")}</span>
                <span class="time mono">{net::clock(at_ms)}</span>
                <span class=move || state.with(|s| status_class(s.status))>{move || state.with(RowState::status_text)}</span>
                <span class="msg">
                    {move || who.get().map(|w| view! { <span class="who" data-testid="exchange-who">{w}</span> })}
                    <span data-testid="exchange-message">{move || state.with(|s| s.message.clone())}</span>
                    {move || state.with(|s| s.tags.iter().map(|tag| view! {
                        <span class=format!("tag {}", tag.as_str()) data-testid="exchange-tag" title=tag.title()>{tag.text()}</span>
                    }).collect_view())}
                </span>
                <span class="visit" data-testid="exchange-visit">{move || state.with(|s| match (s.carried, s.visit) {
                    (Some(c), Some(v)) => format!("{} → visit {v}", if c == 0 { "no cookie".to_string() } else { format!("carried {c}") }),
                    (_, Some(v)) => format!("visit {v}"),
                    _ => String::new(),
                })}</span>
                <span class="dur mono">{move || state.with(|s| s.duration.clone())}</span>
                <button type="button" class="link small" data-testid="exchange-toggle"
                    aria-expanded=move || expanded.get().to_string()
                    on:click=move |ev| { ev.stop_propagation(); toggle() }>
                    {move || if expanded.get() { "hide" } else { "details" }}
                </button>
            </div>
            {move || error.get().map(|(title, detail, start_help)| view! {
                <p class="xerror" data-testid="exchange-error"><strong>{format!("{title}. ")}</strong>{super::rich(detail)}
                    {start_help.then(|| view! { " " <StartHelpLink/> })}</p>
            })}
            <Show when=move || expanded.get()>
                <Details n=n revision=revision/>
            </Show>
            <Show when=move || reset_after.get()>
                <div class="reset-divider" role="separator" data-testid="reset-divider">"session reset: the cookie was expired"</div>
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

fn session_in_text(s: &SessionIn, status: Option<u16>) -> String {
    match s {
        SessionIn::Continued { username, visit } | SessionIn::OtherUser { username, visit }
            if status == Some(401) && !username.is_empty() =>
        {
            format!("The cookie held {username}'s session at visit {visit}; a 401 neither reads nor changes it.")
        }
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

/// The headers and body of exchange `n`, redrawn when its revision moves (only while open).
#[component]
fn Details(n: usize, revision: Memo<Option<u32>>) -> impl IntoView {
    let playground = expect_context::<Playground>();
    move || {
        revision.get();
        playground
            .timeline
            .with_untracked(|t| t.get(n).map(details))
    }
}

fn details(e: &Exchange) -> impl IntoView + use<> {
    let (req_title, req) = match &e.report {
        Some(r) if !r.request_headers.is_empty() => ("Request headers, as the server received them", &r.request_headers),
        _ => ("Request headers the page set (the browser adds Cookie and others, which a page cannot see)", &e.sent_headers),
    };
    let (resp_title, resp) = match &e.report {
        Some(r) if !r.response_headers.is_empty() => (
            "Response headers, as the server sent them",
            &r.response_headers,
        ),
        _ => (
            "Response headers the browser let the page read (never Set-Cookie)",
            &e.visible_response_headers,
        ),
    };
    let mode = match e.source {
        Source::Page => Some(if e.session_mode {
            "Sent with credentials: \"include\" (session)."
        } else {
            "Sent with credentials: \"omit\" (no session)."
        }),
        Source::Python => Some(
            "Sent by Python in this page: requests' own cookie jar chose the Cookie header, the browser's jar was kept out.",
        ),
        Source::Other => None,
    };
    let session = e
        .report
        .as_ref()
        .map(|r| session_in_text(&r.session_in, Some(r.status)));
    let notes = e
        .report
        .as_ref()
        .map(|r| r.notes.clone())
        .unwrap_or_default();
    let body = e.body().map(str::to_string);
    // Headings one level below the card's <h2>.
    view! {
        <div class="details" data-testid="exchange-details">
            <p class="muted small">{format!("{} {}", e.method, e.path)}" · "{mode}" "{session}</p>
            {notes.into_iter().map(|n| view! { <p class="small note" data-testid="exchange-note">{super::rich(n)}</p> }).collect_view()}
            <h3>{req_title}</h3>
            {header_list(req)}
            <h3>{resp_title}</h3>
            {header_list(resp)}
            <h3>"Body, as received"</h3>
            <pre class="body">{body.unwrap_or_else(|| "(none)".into())}</pre>
        </div>
    }
}
