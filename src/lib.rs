//! The Sessions playground page.
pub mod content;
pub mod model;
