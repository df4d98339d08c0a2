//! How long each step may run before the xtask stops it (and all it started) and says which
//! step hung: about three times its usual time on a busy 2-core machine (README's timings).

use std::time::Duration;

/// One tool install (trunk from source is the longest: about 15 minutes).
pub const INSTALL: Duration = Duration::from_secs(60 * 60);
/// `cargo test --workspace --exclude e2e-tests` (6 minutes from cold).
pub const NATIVE_TESTS: Duration = Duration::from_secs(30 * 60);
/// The page's wasm-bindgen tests in headless Chromium (5.5 minutes from cold).
pub const WASM_TESTS: Duration = Duration::from_secs(30 * 60);
/// `trunk build --release` (8.5 minutes from cold).
pub const RELEASE_PAGE: Duration = Duration::from_secs(30 * 60);
/// The end-to-end tests (5 minutes; the `trunk serve` ones build a debug page first).
pub const E2E_TESTS: Duration = Duration::from_secs(40 * 60);
/// `cargo build -p greeting-server` (a few minutes from cold in release mode).
pub const SERVER_BUILD: Duration = Duration::from_secs(20 * 60);
/// `cargo xtask bench` (a full run takes about 10 minutes).
pub const BENCH: Duration = Duration::from_secs(60 * 60);
/// A short command (pip, npm, apt-get update).
pub const SHORT: Duration = Duration::from_secs(15 * 60);

/// Longer limits for a slower machine: `XTASK_TIME_LIMIT_FACTOR=2` doubles every one.
pub fn scaled(limit: Duration) -> Duration {
    let factor = std::env::var("XTASK_TIME_LIMIT_FACTOR")
        .ok()
        .and_then(|f| f.parse::<f64>().ok())
        .filter(|f| *f > 0.0)
        .unwrap_or(1.0);
    limit.mul_f64(factor)
}
