//! What every scenario needs (the built page, the server binary, chromedriver, Chromium), found
//! from the environment or the workspace, or the reason it is missing.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use test_support::workspace_root;

pub fn timeout() -> Duration {
    let secs = std::env::var("E2E_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// An environment variable naming a path; a relative path is taken from the workspace root
/// (where `cargo test` is usually typed), not from e2e/ (where the test binaries run).
fn env_path(var: &str) -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var_os(var)?);
    Some(if p.is_relative() {
        workspace_root().join(p)
    } else {
        p
    })
}

/// What every scenario needs.
#[derive(Clone, Debug)]
pub struct Prereqs {
    pub dist: PathBuf,
    pub server_bin: PathBuf,
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
}

/// The greeting server built here (once per test binary) when GREETING_SERVER_BIN is not set.
fn build_server() -> std::result::Result<PathBuf, String> {
    static BUILT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| test_support::build_binary("greeting-server", "greeting-server", false))
        .clone()
}

/// Find everything or say what is missing.
pub fn prereqs() -> std::result::Result<Prereqs, String> {
    let dist = env_path("E2E_DIST").unwrap_or_else(|| workspace_root().join("dist"));
    if !dist.join("index.html").is_file() {
        return Err(format!(
            "no built page at {} (run `trunk build --release`, or `cargo xtask test` which does it)",
            dist.join("index.html").display()
        ));
    }
    let chromedriver = env_path("CHROMEDRIVER")
        .or_else(|| test_support::which("chromedriver"))
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    if !chromedriver.is_file() {
        return Err(format!(
            "chromedriver not found at {} (Debian: apt-get install chromium chromium-driver; or `cargo xtask setup`)",
            chromedriver.display()
        ));
    }
    let chromium = env_path("CHROMIUM").unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        return Err(format!(
            "chromium not found at {} (apt-get install chromium)",
            chromium.display()
        ));
    }
    let server_bin = match env_path("GREETING_SERVER_BIN") {
        Some(p) => p,
        None => build_server()?,
    };
    if !server_bin.is_file() {
        return Err(format!(
            "greeting-server binary not found at {}",
            server_bin.display()
        ));
    }
    Ok(Prereqs {
        dist,
        server_bin,
        chromedriver,
        chromium,
    })
}
