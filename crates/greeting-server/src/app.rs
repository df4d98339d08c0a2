//! The router: the routes of docs/architecture.md, the reporter around the reported ones and
//! the edge layer around everything.

use crate::attributes::{get_attributes, pad, set_attributes};
use crate::edge::Edge;
use crate::guard::Admission;
use crate::handlers::{
    cookies, greeting, info, logout, not_found, plant, reset, user, MethodsAllowed,
};
use crate::page;
use crate::side_channel::{events, Reporter};
use crate::state::AppState;
use axum::routing::{any, get, post};
use axum::Router;

/// The whole application. Every request passes the gate first ([`crate::guard`]: an allowed
/// `Host`, and on the API an allowed `Origin`); every route and both fallbacks answer through
/// the edge layer (CORS, `Server` and `Date`); the exchanges the side channel reports are every
/// method of `/greeting`, `/user`, `/logout`, reset, plant and the lab's padding, the 405 and
/// the plain `OPTIONS` answer included; their session cookie carries the attribute lab's
/// attributes ([`crate::attributes::CookieSettings`]).
pub fn app(state: AppState) -> Router {
    const GET: MethodsAllowed = MethodsAllowed("GET, HEAD, OPTIONS");
    const POST: MethodsAllowed = MethodsAllowed("POST, OPTIONS");
    const GET_POST: MethodsAllowed = MethodsAllowed("GET, HEAD, POST, OPTIONS");

    let reported = Router::new()
        .route("/greeting", GET.around(get(greeting)))
        .route("/user", GET.around(get(user)))
        .route("/logout", POST.around(post(logout)))
        .route("/playground/api/reset", POST.around(post(reset)))
        .route("/playground/api/plant", POST.around(post(plant)))
        .route("/playground/api/cookie-padding", POST.around(post(pad)))
        .route_layer(Reporter::layer(state.side_channel.clone()));

    let routes = Router::new()
        .merge(reported)
        .route("/playground/api/info", GET.around(get(info)))
        .route("/playground/api/events", GET.around(get(events)))
        .route("/playground/api/cookies", GET.around(get(cookies)))
        // The same echo under the greeting's path, for a cookie with `Path=/greeting`.
        .route("/greeting/cookies", GET.around(get(cookies)))
        .route(
            "/playground/api/cookie-attributes",
            GET_POST.around(get(get_attributes).post(set_attributes)),
        )
        // API paths are never the page, even with --static.
        .route("/playground/api", any(not_found))
        .route("/playground/api/{*rest}", any(not_found));

    let routes = match &state.config.static_dir {
        Some(dir) => routes.fallback_service(page::files(dir)),
        None => routes.fallback(not_found),
    };

    let admission = Admission::new(
        state.config.allowed_hosts.clone(),
        state.config.allowed_origins.clone(),
    );
    // Around every route and the fallback (`Router::layer`): a request passes the edge of the
    // one it is routed to, after a single routing.
    let edge = Edge::layer(admission, state.config.allowed_origins.clone());
    routes.with_state(state).layer(edge)
}
