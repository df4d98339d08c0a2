//! What the page says about its connection (the banner above the controls) and about the last
//! action (the note under the send buttons): the sentences live here, the components only show
//! them.

use greeting_core::ServerInfo;

use super::target::parse_origin;

/// How a message should look: its CSS class is [`Level::css_class`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Level {
    #[default]
    Info,
    Ok,
    Warn,
    Error,
}

impl Level {
    pub fn css_class(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// The `id` of the "Starting a server" panel: the one place that says how to get and run each
/// kind of server. The messages below give their reader the short command and link there.
pub const START_HELP_ID: &str = "starting-a-server";

/// How to start the playground's server at the page's own address (`port`), and where a Flask
/// app goes.
pub fn start_at_this_address(port: u16) -> String {
    format!(
        "Start the playground's server again with `greeting-server --static dist --port {port}` (it served this \
         page). Your own Flask app, from the course: `flask run`, then “Other server”."
    )
}

/// How to start a server at another address than the page's: a Flask app or the greeting
/// server, both allowing `page` by CORS; `port` is the target's.
pub fn start_elsewhere(page: &str, port: u16) -> String {
    format!(
        "Your own Flask app, from the course: `flask run --port {port}`, with CORS for this page. \
         The playground's: `greeting-server --port {port} --allow-origin {page}`."
    )
}

/// The connection banner (`data-testid="banner"`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Banner {
    pub level: Level,
    pub title: String,
    /// May hold `code` spans in backticks (shown as code, never as literal backticks).
    pub detail: String,
    /// Offer the simulated server right in the banner.
    pub offer_simulated: bool,
    /// Link to the "Starting a server" panel ([`START_HELP_ID`]).
    pub start_help: bool,
}

impl Banner {
    /// While the page asks its own origin for `/playground/api/info`.
    pub fn looking() -> Banner {
        Banner {
            level: Level::Info,
            title: "Looking for the greeting server…".into(),
            ..Banner::default()
        }
    }

    /// Connected to the greeting server that served the page.
    pub fn connected(info: &ServerInfo, origin: &str) -> Banner {
        let key = match (info.teaching, &info.secret_key) {
            (true, Some(_)) => {
                "Teaching mode: the server told the page its secret key, so cookies are verified here."
            }
            _ => "The server keeps its secret key to itself: cookies are decoded but not verified.",
        };
        let side = if info.sees_all_clients {
            "Its side channel reports this page's exchanges and those of the other programs on this computer (run the chapter's Python code in a terminal and watch)."
        } else {
            "Its side channel reports this page's exchanges, and other clients' from this computer's address with their credentials and cookies hidden (the server is shared: a classroom, a LAN or a tunnel)."
        };
        Banner {
            level: Level::Ok,
            title: format!("Connected to {} {} at {origin}", info.name, info.version),
            detail: format!("Users: {}. {key} {side}", info.users.join(", ")),
            offer_simulated: false,
            start_help: false,
        }
    }

    /// No server answered at the page's origin: the simulated one took over.
    pub fn fell_back(reason: &str) -> Banner {
        Banner {
            level: Level::Warn,
            title: "No greeting server answered: using the simulated server in this page".into(),
            detail: format!(
                "{reason}. The simulated server runs the greeting server's own rules and cookie code, compiled into this \
                 page; its cookie jar is shown below. For a real server: the playground's is \
                 `greeting-server --static dist --port 5000`, then open http://localhost:5000/; your own Flask app, from \
                 the course, is `flask run`, then “Other server”."
            ),
            offer_simulated: false,
            start_help: true,
        }
    }

    /// The learner chose the simulated server.
    pub fn simulated() -> Banner {
        Banner {
            level: Level::Info,
            title: "Simulated server (in this page)".into(),
            detail: "Requests never leave the browser: the greeting rules and the Flask cookie code run here as \
                     WebAssembly, and a one-cookie jar stands in for the browser's. A real server instead: \
                     `greeting-server` for the playground's, `flask run` for your own Flask app."
                .into(),
            offer_simulated: false,
            start_help: true,
        }
    }

    /// "Other server" with something that is not a URL.
    pub fn not_an_address(why: String) -> Banner {
        Banner {
            level: Level::Error,
            title: "Not an address".into(),
            detail: why,
            offer_simulated: false,
            start_help: false,
        }
    }

    /// Requests go to another origin than the page's; `name_mismatch` when one side says
    /// localhost and the other 127.0.0.1.
    pub fn other_server(base: &str, page: &str, name_mismatch: bool) -> Banner {
        let port = parse_origin(base)
            .and_then(|o| o.effective_port())
            .unwrap_or(5000);
        let careful = if name_mismatch {
            " Careful: one side says localhost and the other 127.0.0.1. Browsers treat them as different sites, \
             so the session cookie will not be sent back. Use the same name for both."
        } else {
            ""
        };
        Banner {
            level: if name_mismatch {
                Level::Warn
            } else {
                Level::Info
            },
            title: format!("Requests go to {base}"),
            detail: format!(
                "That is another origin than this page ({page}): the server must allow it by CORS, with credentials, or \
                 the browser hides its answers.{careful} {}",
                start_elsewhere(page, port)
            ),
            offer_simulated: false,
            start_help: true,
        }
    }

    /// The page's own server stopped answering; `detail` says what the failed request found.
    pub fn server_gone(detail: String) -> Banner {
        Banner {
            level: Level::Error,
            title: "The greeting server is not running any more".into(),
            detail,
            offer_simulated: true,
            start_help: true,
        }
    }
}

/// The note after a reset: `after` is the number of the last exchange before it.
pub fn reset_note(result: Result<usize, &str>) -> String {
    match result {
        Ok(after) => format!(
            "Session reset after exchange #{after}: the cookie is gone, the next request starts again at visit 1."
        ),
        Err(why) => format!("Reset failed: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(teaching: bool) -> ServerInfo {
        ServerInfo {
            name: "greeting-server".into(),
            version: "0.1.0".into(),
            users: vec!["cobra".into(), "alice".into()],
            teaching,
            secret_key: teaching.then(|| "k".to_string()),
            max_age_secs: 100,
            sees_all_clients: true,
            key_source: greeting_core::KeySource::Flag,
            fallback_keys: 0,
            www_authenticate: false,
            session_mode: greeting_core::SessionMode::Cookie,
        }
    }

    #[test]
    fn connected_names_the_server_users_and_key_mode() {
        let b = Banner::connected(&info(true), "http://localhost:5000");
        assert_eq!(b.level, Level::Ok);
        assert_eq!(
            b.title,
            "Connected to greeting-server 0.1.0 at http://localhost:5000"
        );
        assert!(b.detail.starts_with("Users: cobra, alice. Teaching mode"));
        let b = Banner::connected(&info(false), "http://x");
        assert!(b.detail.contains("decoded but not verified"));
    }

    #[test]
    fn fallback_says_how_to_start_the_server_once() {
        let b = Banner::fell_back("Nothing answered");
        assert_eq!(b.level, Level::Warn);
        assert!(b.detail.starts_with("Nothing answered. "));
        assert_eq!(b.detail.matches("greeting-server --static dist").count(), 1);
        assert!(b.detail.contains("`flask run`") && !b.detail.contains("cargo"));
        assert!(b.start_help);
        let s = Banner::simulated();
        assert!(
            s.start_help
                && s.detail.contains("`greeting-server`")
                && s.detail.contains("`flask run`")
        );
    }

    #[test]
    fn loopback_mismatch_warns() {
        let b = Banner::other_server("http://127.0.0.1:5000", "http://localhost:8080", true);
        assert_eq!(b.level, Level::Warn);
        assert!(b.detail.contains("different sites"));
        assert!(b.start_help);
        assert!(b.detail.contains("`flask run --port 5000`"));
        assert!(b
            .detail
            .contains("`greeting-server --port 5000 --allow-origin http://localhost:8080`"));
        let b = Banner::other_server("http://localhost:5000", "http://localhost:8080", false);
        assert_eq!(
            (b.level, b.detail.contains("Careful")),
            (Level::Info, false)
        );
    }

    #[test]
    fn levels_are_css_classes() {
        let all = [Level::Info, Level::Ok, Level::Warn, Level::Error];
        let classes: Vec<_> = all.iter().map(|l| l.css_class()).collect();
        assert_eq!(classes, ["info", "ok", "warn", "error"]);
        assert!(Banner::server_gone(String::new()).offer_simulated);
    }

    #[test]
    fn reset_notes() {
        assert!(reset_note(Ok(3)).starts_with("Session reset after exchange #3"));
        assert_eq!(reset_note(Err("no server")), "Reset failed: no server");
    }
}
