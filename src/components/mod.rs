//! The page's components. `App` lays out the chapter beside the playground.

mod attribute_lab;
mod chapter;
mod chart;
mod controls;
mod cookie;
mod cookie_lab;
mod copy_as;
mod exercises;
mod logout;
mod python;
pub mod reach;
mod session_where;
mod timeline;

use leptos::prelude::*;

use crate::app::{Options, Playground};
use crate::model::target::TargetKind;

pub use attribute_lab::AttributeLab;
pub use chapter::Chapter;
pub use chart::VisitChart;
pub use controls::{Controls, TargetPanel};
pub use cookie::{CookieJar, CookiePanel};
pub use cookie_lab::CookieLab;
pub use copy_as::CopyAs;
pub use exercises::Exercises;
pub use logout::LogoutReplay;
pub use timeline::TimelineView;

/// The whole page.
#[component]
pub fn App(#[prop(optional)] options: Option<Options>) -> impl IntoView {
    let options = options.unwrap_or_default();
    let playground = Playground::new(&options);
    provide_context(playground);
    provide_context(crate::python::Py::new());
    // A shared link (?user=&session=&n=&target=) sets the page up.
    let start = reach::apply_link(playground, options.start);
    match start {
        Some(TargetKind::Simulated) => playground.use_simulated(),
        Some(TargetKind::Custom) => playground.use_custom(),
        Some(TargetKind::Server) | None => playground.use_server(),
    }
    view! {
        <a class="skip-link" href="#playground" data-testid="skip-to-playground">"Skip to the playground"</a>
        <header class="topbar">
            <span class="brand">"Sessions playground"</span>
            <span class="tagline">"Read the chapter, send its requests, watch the session cookie work."</span>
            <nav class="jumps" aria-label="On this page">
                <a href="#exercises" data-testid="header-exercises">"Exercises"</a>
                <a href="#playground" data-testid="header-playground">"Playground"</a>
            </nav>
        </header>
        <main class="layout">
            <article class="chapter" aria-label="Chapter">
                <Chapter/>
                <Exercises/>
            </article>
            <section class="playground" id="playground" tabindex="-1" aria-label="Playground">
                <TargetPanel/>
                <Controls/>
                <TimelineView/>
                <div class="panels">
                    <CookiePanel/>
                    <VisitChart/>
                </div>
                <LogoutReplay/>
                <CookieJar/>
                <CopyAs/>
                <CookieLab/>
                <AttributeLab/>
            </section>
        </main>
    }
}

/// Text with `backtick` spans shown as code. Everything stays text: a server's message that
/// contains HTML is displayed, never interpreted.
pub fn rich(text: String) -> impl IntoView {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            let part = part.to_string();
            if i % 2 == 1 {
                view! { <code>{part}</code> }.into_any()
            } else {
                part.into_any()
            }
        })
        .collect_view()
}
