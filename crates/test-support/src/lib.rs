//! What the e2e tests, the benchmarks, the xtask and the greeting server's tests share, written
//! once: where the workspace is, a free loopback port, waiting for a port to listen, stopping a
//! child process (or its whole process group), starting a server that announces `listening on
//! URL`, building a workspace binary, finding a tool on PATH, the Python the xtask
//! prepared, the one way a test says it skips (counted by `cargo xtask test`, a failure
//! under `CI=true`), (feature `sse`) reading Server-Sent Events, (feature `chromedriver`) chromedriver's own
//! commands, and (feature `classroom`) issue 17's classroom under load.

mod cargo;
mod child;
#[cfg(feature = "chromedriver")]
pub mod chromedriver;
#[cfg(feature = "classroom")]
pub mod classroom;
mod listening;
mod net;
mod paths;
mod python;
mod skip;
#[cfg(feature = "sse")]
pub mod sse;

pub use cargo::{build_binary, executable_in};
pub use child::{
    cpu_times, process_group_alive, signal_process_group, stop_child, stop_process_group, Signal,
    STOP_GRACE,
};
pub use listening::{
    start_listening, Announcing, ListeningChild, OutputLog, Sink, StartError, StartFailure,
};
pub use net::{free_port, wait_for_port};
pub use paths::{tool_path, which, workspace_root};
pub use python::{python, python_with, PYTHON_ENV};
pub use skip::{
    current_test_name, read_skip_log, skip, skip_test, under_ci, Skip, SkipSettings, SKIP_LOG_ENV,
};
#[cfg(feature = "sse")]
pub use sse::{events, next_event, Events};
