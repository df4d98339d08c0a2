//! Benchmarks for issue 6: the greeting server under load beside the course's Flask reference
//! (Flask's development server and gunicorn) and a hyper "hello" ceiling, the cookie codec beside
//! itsdangerous, the page's bundle size, and Python in the page's first run. `run-benchmarks` runs them all and writes
//! BENCHMARKS.md; `loadgen` and `hello-server` are the pieces, usable alone.

pub mod browser;
pub mod delivery;
pub mod load;
pub mod procs;
pub mod python;
pub mod stats;
