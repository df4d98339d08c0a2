//! Sets the panic hook and mounts the page; everything else is in the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    // Panic messages in the console while developing; release builds abort without the
    // formatting machinery (the page has no panics by design).
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    sessions_playground::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The page runs in a browser: build it with `trunk build` (or `cargo xtask run`).");
}
