//! `greeting-server`: the Sessions chapter's Flask greeting server, in Rust.
//!
//! The chapter's exchange, byte for byte where it matters:
//!
//! * `GET /greeting` with Basic auth answers `{"message": "Welcome, cobra!"}` and sets
//!   `session=PAYLOAD.TIMESTAMP.SIGNATURE; HttpOnly; Path=/`, a Flask session cookie that a Flask
//!   app with the same secret key accepts (and vice versa); sent back, it gives
//!   `"Welcome back, cobra! This is visit #2."`. Headers come in the chapter's order
//!   (`Content-Type`, `Content-Length`, `Vary`, `Set-Cookie`, `Server`, `Date`) and the body is
//!   Flask's pretty JSON, so `Content-Length` is 35, then 58.
//! * `GET /user` answers the user's record; wrong or missing credentials get 401 and `{}`.
//! * `/playground/api/*` serves the playground page: server info, the exchange side channel
//!   (Server-Sent Events), and resetting or planting the HttpOnly session cookie.
//!
//! The rules live in `greeting_core` (pure, also compiled to wasm32 for the page's simulated
//! server); this crate is the HTTP around them. Layout, as in axum's examples: [`state`] (the
//! configuration and shared state), [`app`] (the router), [`handlers`], [`error`] (an error type
//! that is a response), [`side_channel`] (the exchange log and reports, and the events route),
//! [`pages`] (who sees which exchange, by page token), [`cors`], [`edge`] (the layer every
//! request and response passes through, built on [`around`]), [`guard`] (the gate every request passes first: the allowed
//! [`host`]s against DNS rebinding, the API's allowed origins), [`page`] (the built page,
//! precompressed and cached), [`attributes`] (the attribute lab: the session cookie's
//! attributes switched at run time in teaching mode, and the 4 KB step), [`http`] (header order and reading), [`sessions`] (where the
//! session lives: the cookie, or a store with `--sessions server`), [`shared_channel`] (the side
//! channel through Redis pub/sub), [`serve`] (the accept loop) and [`lanes`] (the connections'
//! threads),
//! [`logging`] (the log's format), [`cli`] and [`tools`] (the subcommands).
//!
//! Routes are tested in-process, as in axum's testing example:
//!
//! ```
//! use axum::body::Body;
//! use axum::extract::connect_info::MockConnectInfo;
//! use axum::http::Request;
//! use greeting_server::{app, AppState, Config, ServeArgs};
//! use std::net::SocketAddr;
//! use tower::ServiceExt;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let config = Config::from_args_and_env(&ServeArgs::from_flags(&["--secret-key", "k"]).unwrap(), None).unwrap();
//! let (_shutdown, stop) = tokio::sync::watch::channel(false);
//! let client = SocketAddr::from(([127, 0, 0, 1], 50000));
//! let response = app(AppState::new(config, stop))
//!     .layer(MockConnectInfo(client))
//!     .oneshot(Request::get("/greeting").header("host", "localhost").body(Body::empty()).unwrap())
//!     .await
//!     .unwrap();
//! assert_eq!(response.status(), 401);
//! # });
//! ```

pub mod app;
pub mod around;
pub mod attributes;
pub mod cli;
pub mod cors;
pub mod edge;
pub mod error;
pub mod guard;
pub mod handlers;
pub mod host;
pub mod http;
pub mod jar_pair;
pub mod lanes;
pub mod logging;
pub mod page;
pub mod pages;
pub mod serve;
pub mod sessions;
pub mod shared_channel;
pub mod side_channel;
pub mod state;
pub mod tools;

pub use app::app;
pub use cli::{Cli, Command, ServeArgs};
pub use serve::serve;
pub use state::{AppState, Config};
