//! Pure logic behind the page: no DOM, no fetch. Everything here builds and is unit-tested
//! natively (`cargo test -p sessions-playground`); the components under `src/components/` only
//! wire it to the browser.

pub mod attributes;
pub mod batch;
pub mod chapter_run;
pub mod chart;
pub mod cookie_view;
pub mod copy_as;
pub mod diff;
pub mod errors;
pub mod exercises;
pub mod jar;
pub mod lab;
pub mod logout;
pub mod progress;
pub mod pyrepr;
pub mod python;
pub mod share;
pub mod sim;
pub mod status;
pub mod tags;
pub mod target;
pub mod timeline;
pub mod where_session;
