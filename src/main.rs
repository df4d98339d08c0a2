//! Sets the panic hook and mounts the page; everything else is in the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    sessions_playground::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The page runs in a browser: build it with `trunk build` (or `cargo xtask run`).");
}
