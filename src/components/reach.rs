//! Reach and comfort: Ctrl/Cmd+Enter sends (installed by the copy panel), the shareable link is
//! applied when the page opens, and a clipboard helper with a visible fallback.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::app::Playground;
use crate::model::share::{self, Setup, ShareTarget};
use crate::model::target::TargetKind;

/// Ctrl+Enter (Cmd+Enter on a Mac) sends one greeting, wherever the focus is. `anchor` is an
/// element of the page: once it has left the document (the page was unmounted), the shortcut
/// does nothing, even before the listener is removed (which waits for the reactive owner).
pub fn install_shortcuts(playground: Playground, anchor: NodeRef<leptos::html::Section>) {
    let handle = window_event_listener(leptos::ev::keydown, move |e| {
        let mounted = anchor.get_untracked().is_some_and(|el| el.is_connected());
        if !mounted || playground.username.try_get_untracked().is_none() {
            return;
        }
        if (e.ctrl_key() || e.meta_key()) && e.key() == "Enter" && !e.repeat() && !e.is_composing()
        {
            e.prevent_default();
            playground.send_once();
        }
    });
    on_cleanup(move || handle.remove());
}

/// The page's address without query or fragment.
pub fn page_address() -> String {
    web_sys::window()
        .and_then(|w| {
            let l = w.location();
            Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
        })
        .unwrap_or_default()
}

/// The setup the page has now, as a link carries it.
pub fn current_setup(playground: &Playground) -> Setup {
    Setup {
        user: Some(playground.username.get()).filter(|u| !u.is_empty() && !u.contains(':')),
        session: Some(playground.session_mode.get()),
        count: Some(playground.count.get().clamp(1, crate::app::MAX_COUNT)),
        target: match playground.kind.get() {
            Some(TargetKind::Simulated) => Some(ShareTarget::Simulated),
            Some(TargetKind::Custom) => Some(ShareTarget::Url(playground.base.get())),
            Some(TargetKind::Server) => Some(ShareTarget::Server),
            None => None,
        },
    }
}

/// Applies the setup in the page's URL (`?user=...&session=...&n=...&target=...`) and returns
/// the target to start on. An explicit `start` (tests, the caller) wins over the link's target.
pub fn apply_link(playground: Playground, start: Option<TargetKind>) -> Option<TargetKind> {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let setup = share::parse(&search);
    if setup.is_empty() {
        return start;
    }
    let mut said = Vec::new();
    if let Some(u) = &setup.user {
        if *u != playground.username.get_untracked() {
            playground.username.set(u.clone());
            // The link never carries a password: the default one belongs to the default user.
            playground.password.set(String::new());
            said.push(format!(
                "user {u} (type the password: links never carry it)"
            ));
        }
    }
    if let Some(k) = setup.session {
        playground.session_mode.set(k);
        said.push(if k {
            "session: keep cookies".into()
        } else {
            "no session".into()
        });
    }
    if let Some(n) = setup.count {
        playground.count.set(n);
        said.push(format!("N = {n}"));
    }
    let target = match (&setup.target, start) {
        (_, Some(s)) => Some(s),
        (Some(ShareTarget::Server), None) => Some(TargetKind::Server),
        (Some(ShareTarget::Simulated), None) => Some(TargetKind::Simulated),
        (Some(ShareTarget::Url(u)), None) => {
            playground.custom_url.set(u.clone());
            said.push(format!("server {u}"));
            Some(TargetKind::Custom)
        }
        (None, None) => None,
    };
    if !said.is_empty() {
        playground
            .note
            .set(Some(format!("Set up from the link: {}.", said.join(", "))));
    }
    target
}

/// Copies `text` with `navigator.clipboard.writeText`. `Err` when the browser refuses (no
/// clipboard API, not a secure context, permission denied): the caller shows the text to copy
/// by hand.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let clipboard = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("clipboard"))
        .map_err(|_| "no clipboard")?;
    if clipboard.is_undefined() || clipboard.is_null() {
        return Err(
            "this browser gives the page no clipboard here (it needs https or localhost)".into(),
        );
    }
    let write = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("no clipboard.writeText")?;
    let promise = write
        .call1(&clipboard, &JsValue::from_str(text))
        .map_err(|_| "the clipboard refused")?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| "the clipboard refused")?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| {
            e.as_string()
                .unwrap_or_else(|| "the browser refused to copy".into())
        })
}
