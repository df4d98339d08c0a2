//! Why a greeting request failed, in words a learner can act on. A browser reports every
//! network-level failure as the same `TypeError: Failed to fetch`; the page adds what it knows
//! (same origin or not, a no-cors probe, the page's and the target's host names) to tell a
//! stopped server from a CORS refusal from a localhost/127.0.0.1 mix-up.

use super::status::{start_at_this_address, start_elsewhere};
use super::target::{loopback_name_mismatch, Origin, TargetKind};

/// What went wrong, as the fetch saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `fetch()` rejected: no connection, a CORS refusal, a blocked mixed-content request...
    Network { message: String },
    /// No answer within the timeout; the page aborted the request.
    Timeout { after_ms: u32 },
    /// An answer with a status other than 2xx.
    Status { status: u16, body: String },
    /// A 3xx answer: the page does not follow redirects (`redirect: "manual"`), it reports them.
    Redirect,
    /// A 2xx answer whose body is not the greeting's JSON.
    NotJson {
        status: u16,
        body: String,
        content_type: Option<String>,
    },
}

/// What a second, `mode: "no-cors"` request to the same address found out: an opaque answer
/// means something listens there, so a failed CORS request was refused rather than unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    NotTried,
    Reachable,
    Unreachable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub kind: TargetKind,
    /// The page's own origin.
    pub page: Option<Origin>,
    /// The origin requests went to (`None`: the page's origin).
    pub target: Option<Origin>,
    /// "Session: keep cookies" (`credentials: "include"`).
    pub session: bool,
    pub probe: Probe,
    /// The page is served by `trunk serve`, which proxies the API to port 5000.
    pub via_dev_proxy: bool,
    /// Who the request tried to log in as (`None`: not known).
    pub login: Option<Login>,
}

/// The user name a request sent, and the server's user names when it told them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    /// `None`: the server did not say which users it has.
    pub known_users: Option<Vec<String>>,
}

/// Why a greeting server answered 401, as far as the page can tell.
fn why_unauthorized(login: Option<&Login>) -> (String, String) {
    let fallback = (
        "401 Unauthorized: the server did not accept the user name and password".to_string(),
        "Check both (the chapter uses cobra / hiss).".to_string(),
    );
    let Some(login) = login else { return fallback };
    let name = &login.username;
    if name.is_empty() {
        return (
            "401 Unauthorized: no user name was sent".into(),
            "The Authorization header carried an empty user name, so there was no one to check. Type one \
             (the chapter uses cobra / hiss)."
                .into(),
        );
    }
    match &login.known_users {
        Some(users) if users.iter().any(|u| u == name) => (
            format!("401 Unauthorized: wrong password for {name}"),
            format!("The user {name} exists on this server, but not with that password."),
        ),
        Some(users) => (
            format!("401 Unauthorized: this server has no user {name}"),
            format!("The users it knows: {}.", users.join(", ")),
        ),
        None => fallback,
    }
}

impl Context {
    fn cross_origin(&self) -> bool {
        match (&self.page, &self.target) {
            (Some(p), Some(t)) => !p.same_origin(t),
            _ => false,
        }
    }
    fn target_url(&self) -> String {
        self.target
            .as_ref()
            .or(self.page.as_ref())
            .map(Origin::to_url)
            .unwrap_or_else(|| "this page's server".into())
    }
    fn page_url(&self) -> String {
        self.page
            .as_ref()
            .map(Origin::to_url)
            .unwrap_or_else(|| "this page's origin".into())
    }
    /// How to start a server where the requests go, for whoever reads: at the page's own
    /// address the playground's (or a Flask app elsewhere), at another one either, allowing
    /// this page by CORS.
    fn start_server(&self) -> String {
        match &self.target {
            Some(t) if self.cross_origin() => {
                start_elsewhere(&self.page_url(), t.effective_port().unwrap_or(5000))
            }
            _ if self.via_dev_proxy => "This page runs under `trunk serve`, which forwards /greeting to port 5000: \
                start the playground's server there (`greeting-server --port 5000`, or `cargo xtask dev`, which starts \
                both) or your own Flask app (`flask run` listens on 5000)."
                .to_string(),
            _ => start_at_this_address(
                self.page
                    .as_ref()
                    .and_then(Origin::effective_port)
                    .unwrap_or(5000),
            ),
        }
    }
    fn loopback_hint(&self) -> Option<String> {
        let (p, t) = (self.page.as_ref()?, self.target.as_ref()?);
        loopback_name_mismatch(p, t).then(|| {
            format!(
                "Note: this page is on {} and the server on {}. To the browser, localhost and 127.0.0.1 are different sites: \
                 cookies set by one are not sent to the other. Use the same host name for both.",
                p.host, t.host
            )
        })
    }
}

/// Which kind of failure an [`Explanation`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Timeout,
    Redirect,
    Unauthorized,
    ProxyBackendDown,
    ServerError,
    NotFound,
    ClientError,
    NotJson,
    MixedContent,
    ServerDown,
    Cors,
    UnreachableOrCors,
}

impl Code {
    /// Whether the failure's reader needs to start a server: the page links its message to the
    /// "Starting a server" panel.
    pub fn needs_a_server(self) -> bool {
        matches!(
            self,
            Code::ServerDown | Code::UnreachableOrCors | Code::ProxyBackendDown
        )
    }

    /// A stable kebab-case name (`server-down`), for tests and CSS.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Timeout => "timeout",
            Code::Redirect => "redirect",
            Code::Unauthorized => "unauthorized",
            Code::ProxyBackendDown => "proxy-backend-down",
            Code::ServerError => "server-error",
            Code::NotFound => "not-found",
            Code::ClientError => "client-error",
            Code::NotJson => "not-json",
            Code::MixedContent => "mixed-content",
            Code::ServerDown => "server-down",
            Code::Cors => "cors",
            Code::UnreachableOrCors => "unreachable-or-cors",
        }
    }
}

/// A classified failure: what kind, a title and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub code: Code,
    pub title: String,
    /// May hold `code` spans in backticks.
    pub detail: String,
}

/// Bodies larger than this are cut before the page keeps or shows them.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// `body` cut to at most [`MAX_BODY_BYTES`] (on a character boundary) with a note saying how
/// large it was, so a hostile or mistaken server cannot flood the timeline.
pub fn cap_body(body: String) -> String {
    if body.len() <= MAX_BODY_BYTES {
        return body;
    }
    let mut end = MAX_BODY_BYTES;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n… [truncated: the answer had {} bytes; the playground keeps the first {} KiB]",
        &body[..end],
        body.len(),
        MAX_BODY_BYTES / 1024
    )
}

/// At most `n` characters of a body, for quoting in a message (shown as text, never as HTML).
pub fn excerpt(body: &str, n: usize) -> String {
    let t = body.trim();
    let mut out: String = t.chars().take(n).collect();
    if t.chars().count() > n {
        out.push('…');
    }
    out
}

pub fn classify(failure: &Failure, ctx: &Context) -> Explanation {
    let target = ctx.target_url();
    match failure {
        Failure::Timeout { after_ms } => Explanation {
            code: Code::Timeout,
            title: format!("No answer within {after_ms} ms"),
            detail: format!(
                "The page gave up and aborted the request. The server at {target} accepted the connection or is unreachable \
                 without refusing it, but did not answer in time: it may be stopped in a debugger, overloaded, or a firewall \
                 drops the packets. Raise the timeout or check the server's terminal."
            ),
        },
        Failure::Network { message } => classify_network(message, ctx),
        Failure::Redirect => Explanation {
            code: Code::Redirect,
            title: "The server answered with a redirect (3xx)".into(),
            detail: format!(
                "{target} sent the request somewhere else instead of answering it. The playground reports redirects \
                 rather than following them: a browser drops the Authorization header when a redirect leaves the \
                 origin, and a session cookie may not go to the new address. Point the target at the final URL \
                 (a Flask route `/greeting/` redirects `/greeting`, for example)."
            ),
        },
        Failure::Status { status: 401, body } => {
            let (title, why) = why_unauthorized(ctx.login.as_ref());
            Explanation {
                code: Code::Unauthorized,
                title,
                detail: format!(
                    "{why} A 401 never touches the session: no cookie is set, and the one the browser holds stays as it \
                     was. The server answered: {}",
                    if body.trim().is_empty() { "(empty body)".to_string() } else { excerpt(body, 200) }
                ),
            }
        }
        Failure::Status { status, body } if (500..600).contains(status) => {
            let proxy = ctx.via_dev_proxy && matches!(ctx.kind, TargetKind::Server) && matches!(status, 500 | 502 | 503 | 504);
            if proxy {
                Explanation {
                    code: Code::ProxyBackendDown,
                    title: format!("{status} from the development proxy: the greeting server is not answering"),
                    detail: format!(
                        "{} Proxy said: {}",
                        ctx.start_server(),
                        excerpt(body, 200)
                    ),
                }
            } else {
                Explanation {
                    code: Code::ServerError,
                    title: format!("{status}: the server failed while answering"),
                    detail: format!(
                        "A 5xx status means the server itself ran into a problem; its terminal shows the details \
                         (a Flask app prints a traceback). The body it sent: {}",
                        if body.trim().is_empty() { "(empty)".to_string() } else { excerpt(body, 300) }
                    ),
                }
            }
        }
        Failure::Status { status: 404, body } => Explanation {
            code: Code::NotFound,
            title: "404: there is no /greeting at this address".into(),
            detail: format!(
                "Something answers at {target}, but it is not the greeting server (or it was started without the \
                 greeting route). Check the address and the port. The body: {}",
                excerpt(body, 200)
            ),
        },
        Failure::Status { status, body } => Explanation {
            code: Code::ClientError,
            title: format!("Status {status}"),
            detail: format!("The server refused the request. The body: {}", excerpt(body, 300)),
        },
        Failure::NotJson { status, body, content_type } => Explanation {
            code: Code::NotJson,
            title: format!("Status {status}, but the body is not the greeting's JSON"),
            detail: format!(
                "Expected JSON like {{\"message\": \"Welcome, cobra!\"}}; got {} starting with: {}. \
                 The address probably points at something other than the greeting server (a static file server \
                 answers every path with an HTML page, for example).",
                content_type.as_deref().map(|c| format!("Content-Type {c}")).unwrap_or_else(|| "no Content-Type".into()),
                if body.trim().is_empty() { "(nothing)".to_string() } else { excerpt(body, 160) }
            ),
        },
    }
}

fn classify_network(message: &str, ctx: &Context) -> Explanation {
    let target = ctx.target_url();
    let page = ctx.page_url();
    let mixed = ctx.page.as_ref().is_some_and(|p| p.scheme == "https")
        && ctx
            .target
            .as_ref()
            .is_some_and(|t| t.scheme == "http" && !t.is_loopback());
    if mixed {
        return Explanation {
            code: Code::MixedContent,
            title: "Blocked: an https page may not call an http server".into(),
            detail: format!("The browser blocks requests from {page} to {target}. Serve both over the same scheme."),
        };
    }
    let hint = ctx
        .loopback_hint()
        .map(|h| format!(" {h}"))
        .unwrap_or_default();
    let raw = if message.trim().is_empty() {
        String::new()
    } else {
        format!(" (The browser only said: {})", excerpt(message, 120))
    };
    if !ctx.cross_origin() {
        return Explanation {
            code: Code::ServerDown,
            title: "The server is not answering".into(),
            detail: format!(
                "Nothing answered at {target}: the greeting server has stopped or was never started. {}{raw}",
                ctx.start_server()
            ),
        };
    }
    let cors_fix = format!(
        "For the greeting server, start it with `--allow-origin {page}`. Your own Flask app must answer with \
         `Access-Control-Allow-Origin: {page}` (the exact origin: `*` is not allowed with credentials), \
         `Access-Control-Allow-Credentials: true`, and answer the OPTIONS preflight (without asking for a password) \
         listing `Authorization` and `X-Playground-Exchange` in `Access-Control-Allow-Headers`."
    );
    match ctx.probe {
        Probe::Reachable => Explanation {
            code: Code::Cors,
            title: "Refused by CORS: the server answered, but not to this page".into(),
            detail: format!(
                "Something is listening at {target}, but its answer did not allow {page} to read it{}. {cors_fix}{hint}{raw}",
                if ctx.session { " with credentials (cookies)" } else { "" }
            ),
        },
        Probe::Unreachable => Explanation {
            code: Code::ServerDown,
            title: format!("Nothing is listening at {target}"),
            detail: format!(
                "The connection failed. Is the server running, on this port? {}{hint}{raw}",
                ctx.start_server()
            ),
        },
        Probe::NotTried => Explanation {
            code: Code::UnreachableOrCors,
            title: format!("No usable answer from {target}"),
            detail: format!(
                "Either no server is running there or it refused this page by CORS. {} {cors_fix}{hint}{raw}",
                ctx.start_server()
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redirect_is_reported_not_followed() {
        let ctx = Context {
            kind: TargetKind::Custom,
            page: None,
            target: None,
            session: true,
            probe: Probe::NotTried,
            via_dev_proxy: false,
            login: None,
        };
        let e = classify(&Failure::Redirect, &ctx);
        assert_eq!(e.code, Code::Redirect);
        assert!(e.detail.contains("final URL"));
    }

    #[test]
    fn huge_bodies_are_capped_with_a_note() {
        let small = "x".repeat(100);
        assert_eq!(cap_body(small.clone()), small);
        let huge = "é".repeat(MAX_BODY_BYTES); // 2 bytes each: the cut falls inside a character
        let capped = cap_body(huge.clone());
        assert!(capped.len() < huge.len());
        assert!(capped.contains(&format!("the answer had {} bytes", huge.len())));
        assert!(capped.starts_with("éé"));
    }

    use super::*;
    use crate::model::target::parse_origin;

    fn ctx(page: &str, target: Option<&str>, probe: Probe) -> Context {
        Context {
            kind: if target.is_some() {
                TargetKind::Custom
            } else {
                TargetKind::Server
            },
            page: parse_origin(page),
            target: target.and_then(parse_origin),
            session: true,
            probe,
            via_dev_proxy: false,
            login: None,
        }
    }

    fn net() -> Failure {
        Failure::Network {
            message: "TypeError: Failed to fetch".into(),
        }
    }

    #[test]
    fn same_origin_network_failure_is_a_stopped_server() {
        let e = classify(&net(), &ctx("http://localhost:5000", None, Probe::NotTried));
        assert_eq!(e.code, Code::ServerDown);
        assert!(e.code.needs_a_server());
        // The page came from the playground's server: that command first, then a Flask app's.
        assert!(e
            .detail
            .contains("`greeting-server --static dist --port 5000` (it served this page)"));
        assert!(e.detail.contains("`flask run`, then “Other server”"));
        assert!(!e.detail.contains("cargo"), "{}", e.detail);
        assert_ne!(e.title, "Failed to fetch");
        let mut proxied = ctx("http://localhost:8080", None, Probe::NotTried);
        proxied.via_dev_proxy = true;
        let e = classify(&net(), &proxied);
        assert!(
            e.detail.contains("`trunk serve`") && e.detail.contains("`flask run` listens on 5000")
        );
        assert!(!e.detail.contains("it served this page"), "{}", e.detail);
    }

    #[test]
    fn cross_origin_with_listener_is_cors() {
        let e = classify(
            &net(),
            &ctx(
                "http://localhost:8080",
                Some("http://localhost:5000"),
                Probe::Reachable,
            ),
        );
        assert_eq!(e.code, Code::Cors);
        assert!(e.detail.contains("--allow-origin http://localhost:8080"));
        assert!(e.detail.contains("Access-Control-Allow-Credentials: true"));
        assert!(!e.detail.contains("127.0.0.1"));
    }

    #[test]
    fn cross_origin_without_listener_is_down() {
        let e = classify(
            &net(),
            &ctx(
                "http://localhost:8080",
                Some("http://localhost:5999"),
                Probe::Unreachable,
            ),
        );
        assert_eq!(e.code, Code::ServerDown);
        assert!(e.title.contains("localhost:5999"));
        // Another address: both servers on its port, both allowing this page.
        assert!(e
            .detail
            .contains("`flask run --port 5999`, with CORS for this page"));
        assert!(e
            .detail
            .contains("`greeting-server --port 5999 --allow-origin http://localhost:8080`"));
    }

    #[test]
    fn localhost_and_127_are_pointed_out() {
        let e = classify(
            &net(),
            &ctx(
                "http://localhost:8080",
                Some("http://127.0.0.1:5000"),
                Probe::Reachable,
            ),
        );
        assert_eq!(e.code, Code::Cors);
        assert!(e
            .detail
            .contains("localhost and 127.0.0.1 are different sites"));
    }

    #[test]
    fn unknown_cross_origin_mentions_both_causes() {
        let e = classify(
            &net(),
            &ctx(
                "http://localhost:8080",
                Some("http://localhost:5000"),
                Probe::NotTried,
            ),
        );
        assert_eq!(e.code, Code::UnreachableOrCors);
        assert!(e.code.needs_a_server());
        assert!(e.detail.contains("`flask run --port 5000`") && e.detail.contains("CORS"));
        assert!(!Code::Cors.needs_a_server() && !Code::Unauthorized.needs_a_server());
    }

    #[test]
    fn mixed_content() {
        let e = classify(
            &net(),
            &ctx(
                "https://course.example",
                Some("http://example.org:5000"),
                Probe::NotTried,
            ),
        );
        assert_eq!(e.code, Code::MixedContent);
    }

    #[test]
    fn statuses() {
        let c = ctx("http://localhost:5000", None, Probe::NotTried);
        assert_eq!(
            classify(
                &Failure::Status {
                    status: 401,
                    body: "{}\n".into()
                },
                &c
            )
            .code,
            Code::Unauthorized
        );
        let e = classify(
            &Failure::Status {
                status: 500,
                body: "<h1>Internal Server Error</h1>".into(),
            },
            &c,
        );
        assert_eq!(e.code, Code::ServerError);
        assert!(
            e.detail.contains("<h1>Internal Server Error</h1>"),
            "HTML is quoted as text, the view escapes it"
        );
        assert_eq!(
            classify(
                &Failure::Status {
                    status: 404,
                    body: String::new()
                },
                &c
            )
            .code,
            Code::NotFound
        );
        assert_eq!(
            classify(
                &Failure::Status {
                    status: 418,
                    body: String::new()
                },
                &c
            )
            .code,
            Code::ClientError
        );
        let mut p = c.clone();
        p.via_dev_proxy = true;
        assert_eq!(
            classify(
                &Failure::Status {
                    status: 502,
                    body: "connection refused".into()
                },
                &p
            )
            .code,
            Code::ProxyBackendDown
        );
    }

    #[test]
    fn timeout_and_not_json() {
        let c = ctx("http://localhost:5000", None, Probe::NotTried);
        let e = classify(&Failure::Timeout { after_ms: 3000 }, &c);
        assert_eq!(e.code, Code::Timeout);
        assert!(e.title.contains("3000 ms"));
        let e = classify(
            &Failure::NotJson {
                status: 200,
                body: "<!doctype html><html>".into(),
                content_type: Some("text/html".into()),
            },
            &c,
        );
        assert_eq!(e.code, Code::NotJson);
        assert!(e.detail.contains("text/html"));
    }

    #[test]
    fn a_401_says_why() {
        let unauthorized = |username: &str, known: Option<&[&str]>| {
            let mut c = ctx("http://localhost:5000", None, Probe::NotTried);
            c.login = Some(Login {
                username: username.into(),
                known_users: known.map(|k| k.iter().map(|u| u.to_string()).collect()),
            });
            let body = "{}\n".to_string();
            classify(&Failure::Status { status: 401, body }, &c)
        };
        let e = unauthorized("cobra", Some(&["cobra", "alice"]));
        assert_eq!(e.title, "401 Unauthorized: wrong password for cobra");
        let e = unauthorized("bob", Some(&["cobra", "alice"]));
        assert_eq!(e.title, "401 Unauthorized: this server has no user bob");
        assert!(e.detail.contains("The users it knows: cobra, alice."));
        let e = unauthorized("", Some(&["cobra"]));
        assert_eq!(e.title, "401 Unauthorized: no user name was sent");
        let e = unauthorized("cobra", None);
        assert!(e.title.contains("did not accept"));
        for e in [
            unauthorized("cobra", Some(&["cobra"])),
            unauthorized("x", None),
        ] {
            assert!(!e.detail.contains("another user"), "{e:?}");
            assert!(!e.title.contains('`') && !e.detail.contains('`'), "{e:?}");
        }
    }

    #[test]
    fn excerpt_cuts_on_characters() {
        assert_eq!(excerpt("  héllo world ", 5), "héllo…");
        assert_eq!(excerpt("abc", 5), "abc");
    }
}
