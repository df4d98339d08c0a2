//! Where the session lives, at the top of the cookie panel: the mode's headline and, in server
//! mode, the store's entry after the selected (else the newest) exchange that reported one.

use leptos::prelude::*;

use crate::app::Playground;
use crate::model::where_session::{entry_view, headline};

#[component]
pub fn SessionWhere() -> impl IntoView {
    let playground = expect_context::<Playground>();
    let entry = Memo::new(move |_| {
        let selected = playground.selected.get();
        playground.timeline.with(|t| {
            let with_entry = |n: usize| {
                t.get(n).and_then(|e| {
                    e.report
                        .as_ref()
                        .and_then(|r| r.store_entry.clone())
                        .map(|s| (n, s))
                })
            };
            selected
                .and_then(with_entry)
                .or_else(|| (1..=t.len()).rev().find_map(with_entry))
        })
    });
    view! {
        {move || playground.session_mode().map(|mode| view! {
            <div class="session-where" data-testid="session-where" data-mode=crate::model::logout::mode_flag(mode)>
                <p class="small">{headline(mode)}</p>
                {move || entry.get().map(|(n, e)| {
                    let v = entry_view(n, &e);
                    view! {
                        <div class="store-entry" data-testid="store-entry">
                            <p class="small">{v.title}</p>
                            {v.value.map(|value| view! { <p class="mono wrap small">{value}</p> })}
                            {v.note.map(|note| view! { <p class="small">{note}</p> })}
                        </div>
                    }
                })}
            </div>
        })}
    }
}
