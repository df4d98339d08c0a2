//! End-to-end harness: the real `greeting-server` binary serving the release page (dist/) on an
//! ephemeral loopback port, a real headless Chromium driven through chromedriver (fantoccini).
//!
//! Every scenario runs through [`scenario`]: it checks the prerequisites (a counted skip with its
//! reason outside CI, a failure under `CI=true`: `test_support::skip_test`), starts chromedriver
//! and Chromium with a fresh profile, runs the test body, and on failure saves a screenshot, the
//! page's HTML, the browser console log and the server's output under `e2e-artifacts/<test>/`,
//! printing that path.
//!
//! The pieces: `prereqs` (what a scenario needs, or why it is missing), `process` (the server
//! processes: greeting server, static host, Python peer, `trunk serve`), `browser` (the Chromium
//! session), `page` (helpers about the page's timeline), `scenario` (one scenario end to end) and
//! `artifacts` (what a failure leaves behind).
//!
//! Environment (all optional; `cargo xtask test` sets them):
//!   E2E_DIST             the built page (default: <workspace>/dist)
//!   GREETING_SERVER_BIN  the server binary (default: built here with `cargo build -p greeting-server`)
//!   CHROMEDRIVER         chromedriver (default: on PATH, else /usr/bin/chromedriver)
//!   CHROMIUM             the browser (default: /usr/bin/chromium)
//!   PLAYGROUND_PYTHON    the Python peers' python (default: python3; the xtask sets .tools/venv's)
//!   E2E_TIMEOUT_SECS     how long each wait may take (default 20)
//!   E2E_HEADED=1         show the browser window (needs a display)

mod artifacts;
mod browser;
mod page;
mod prereqs;
mod process;
mod scenario;

pub use anyhow::{anyhow, bail, ensure, Context, Result};
pub use browser::{Browser, Row};
pub use page::{aim_at, chronological, newest_first, send_once, show_rows, CHAPTER};
pub use prereqs::{prereqs, timeout, Prereqs};
pub use process::{
    http_ok, python_requests, stop_child, LogBuf, PythonPeer, Server, StaticServer, TrunkServe,
};
pub use scenario::{scenario, scenario_with_network_log, Ctx};
pub use test_support::{free_port, python_with, skip_test, under_ci, workspace_root};
