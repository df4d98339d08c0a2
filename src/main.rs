//! Sets the panic hook and mounts the page over the chapter prerendered into `index.html`;
//! everything else is in the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    // Panic messages in the console while developing; release builds abort without the
    // formatting machinery (the page has no panics by design).
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return sessions_playground::mount();
    };
    let reading = Reading::of(&document);
    sessions_playground::mount();
    take_over(&document, reading);
}

/// How far the learner had scrolled the prerendered page (index.html's `data-prerender` part).
#[cfg(target_arch = "wasm32")]
struct Reading {
    window_y: f64,
    chapter_top: i32,
}

#[cfg(target_arch = "wasm32")]
impl Reading {
    fn of(document: &web_sys::Document) -> Reading {
        Reading {
            window_y: web_sys::window()
                .and_then(|w| w.scroll_y().ok())
                .unwrap_or(0.0),
            chapter_top: document
                .query_selector("article[data-prerender-chapter]")
                .ok()
                .flatten()
                .map_or(0, |a| a.scroll_top()),
        }
    }
}

/// Removes the prerendered header and layout now that the app drew the same ones after them,
/// and puts the learner back where they were reading. It all happens before the next paint,
/// so there is no flash.
#[cfg(target_arch = "wasm32")]
fn take_over(document: &web_sys::Document, reading: Reading) {
    while let Ok(Some(prerendered)) = document.query_selector("[data-prerender]") {
        prerendered.remove();
    }
    if let Ok(Some(chapter)) = document.query_selector("article.chapter") {
        chapter.set_scroll_top(reading.chapter_top);
    }
    if let Some(window) = web_sys::window() {
        window.scroll_to_with_x_and_y(0.0, reading.window_y);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The page runs in a browser: build it with `trunk build` (or `cargo xtask run`).");
}
