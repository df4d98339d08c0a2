//! The Sessions playground page: the chapter beside live greeting requests.
//!
//! `content` and `model` are pure and build natively (`cargo test -p sessions-playground`);
//! the components and the browser plumbing exist only on wasm32.

pub mod content;
pub mod model;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod net;
#[cfg(target_arch = "wasm32")]
pub mod python;

#[cfg(target_arch = "wasm32")]
pub use app::Options;
#[cfg(target_arch = "wasm32")]
pub use components::App;

/// Mounts the page into `<body>` (what `main` does).
#[cfg(target_arch = "wasm32")]
pub fn mount() {
    let options = options_from_url();
    leptos::mount::mount_to_body(move || leptos::view! { <App options=options.clone()/> });
}

/// `?target=simulated` starts on the simulated server without looking for one.
#[cfg(target_arch = "wasm32")]
fn options_from_url() -> Options {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let start = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| match kv {
            "target=simulated" => Some(model::target::TargetKind::Simulated),
            "target=server" => Some(model::target::TargetKind::Server),
            _ => None,
        });
    Options {
        start,
        ..Options::default()
    }
}
