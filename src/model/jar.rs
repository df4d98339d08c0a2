//! The browser's cookie jar for the greeting server (the cookie the next request in session
//! mode carries), and what every other cookie in the timeline is to the learner: discarded,
//! another client's, planted, or replaced since.

use serde::Deserialize;

use super::timeline::{Exchange, Source, Timeline};

/// What the page knows of the browser's `session` cookie for the current server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Jar {
    /// Not asked yet, or the server cannot tell (an older greeting server, another server).
    #[default]
    Unknown,
    /// No `session` cookie: the next request in session mode starts a new session.
    Empty,
    /// This `session` cookie goes with the next request in session mode.
    Holds(String),
}

impl Jar {
    /// The jar from an optional cookie value (the simulated jar, a plant, a reset).
    pub fn of(value: Option<&str>) -> Jar {
        match value {
            Some(v) if !v.is_empty() => Jar::Holds(v.to_string()),
            _ => Jar::Empty,
        }
    }

    /// Reads the answer of `GET /playground/api/cookies`: `{"cookies": {"session": "..."}}`,
    /// `{"cookies": {}}` when the browser sent none. Any other status (a 404 from an older
    /// server) or shape leaves the jar unknown.
    pub fn from_cookies_answer(status: u16, body: &str) -> Jar {
        #[derive(Deserialize)]
        struct Answer {
            cookies: Cookies,
        }
        #[derive(Deserialize)]
        struct Cookies {
            session: Option<String>,
        }
        if status != 200 {
            return Jar::Unknown;
        }
        match serde_json::from_str::<Answer>(body) {
            Ok(a) => Jar::of(a.cookies.session.as_deref()),
            Err(_) => Jar::Unknown,
        }
    }

    pub fn value(&self) -> Option<&str> {
        match self {
            Jar::Holds(v) => Some(v),
            _ => None,
        }
    }
}

/// What a cookie set by an exchange is, seen from the jar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieRole {
    /// It is the jar's cookie now.
    InTheJar,
    /// The browser kept it, and a later answer (or a reset) replaced it.
    ReplacedSince,
    /// Sent with "No session": the browser dropped it.
    Discarded,
    /// Another client's cookie (its user agent and address): never in this browser.
    OtherClient { who: String },
}

impl CookieRole {
    /// A stable name, for `data-role` and CSS.
    pub fn as_str(&self) -> &'static str {
        match self {
            CookieRole::InTheJar => "jar",
            CookieRole::ReplacedSince => "replaced",
            CookieRole::Discarded => "discarded",
            CookieRole::OtherClient { .. } => "other-client",
        }
    }

    pub fn label(&self) -> String {
        match self {
            CookieRole::InTheJar => {
                "in the browser's jar now: the next request in session mode carries it".into()
            }
            CookieRole::ReplacedSince => "kept by the browser, replaced since".into(),
            CookieRole::Discarded => "discarded (no session): the browser did not keep it".into(),
            CookieRole::OtherClient { who } => {
                format!("another client's ({who}): never in this browser")
            }
        }
    }
}

/// Another client's user agent and address, as the server reported them.
pub fn other_client(e: &Exchange) -> String {
    e.report
        .as_ref()
        .map(|r| {
            let agent = r.user_agent.as_deref().unwrap_or("a client");
            // `python-requests/2.32.3` reads better without its version here.
            let agent = agent.split('/').next().unwrap_or(agent);
            let host = r
                .client
                .rsplit_once(':')
                .map_or(r.client.as_str(), |(h, _)| h);
            format!("{agent} from {host}")
        })
        .unwrap_or_else(|| "another client".into())
}

/// What cookie exchange `e` carried, in words (`None`: the server did not say).
pub fn carried(e: &Exchange) -> Option<String> {
    use greeting_core::SessionIn;
    let r = e.report.as_ref()?;
    Some(match (&r.session_in, r.cookie_in.is_some()) {
        (_, false) => "It carried no cookie.".into(),
        (SessionIn::Continued { username, visit }, _) => {
            format!("It carried {username}'s cookie at visit {visit}.")
        }
        (SessionIn::Rejected { .. }, _) => "It carried a cookie the server refused.".into(),
        _ => "It carried a cookie that did not continue this user's session.".into(),
    })
}

/// The role of the cookie exchange `e` set, given the jar.
pub fn role_of(e: &Exchange, jar: &Jar) -> CookieRole {
    match e.source {
        Source::Other => CookieRole::OtherClient {
            who: other_client(e),
        },
        Source::Python => CookieRole::OtherClient {
            who: format!("{}, in requests' own jar", super::python::CLIENT_LABEL),
        },
        Source::Page if !e.session_mode => CookieRole::Discarded,
        Source::Page if e.cookie_out().is_some() && e.cookie_out() == jar.value() => {
            CookieRole::InTheJar
        }
        Source::Page => CookieRole::ReplacedSince,
    }
}

/// Where the jar's cookie came from: the newest page exchange in session mode that set it, if
/// the timeline still lists it.
pub fn setter<'t>(t: &'t Timeline, jar: &Jar) -> Option<&'t Exchange> {
    let v = jar.value()?;
    t.entries
        .iter()
        .rev()
        .find(|e| e.source == Source::Page && e.session_mode && e.cookie_out() == Some(v))
}

/// What the jar most likely holds when the server cannot say: the cookie of the newest page
/// exchange in session mode that set one, unless a reset came after it. `Unknown` when the
/// timeline does not tell (after a reload, say).
pub fn inferred(t: &Timeline) -> Jar {
    let Some(e) = t
        .entries
        .iter()
        .rev()
        .find(|e| e.source == Source::Page && e.session_mode && e.cookie_out().is_some())
    else {
        return Jar::Unknown;
    };
    if t.resets.iter().any(|&after| after >= e.number) {
        return Jar::Empty;
    }
    Jar::of(e.cookie_out())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookies_endpoint_is_read_and_an_old_server_is_unknown() {
        assert_eq!(
            Jar::from_cookies_answer(200, r#"{"cookies": {"session": "a.b.c"}}"#),
            Jar::Holds("a.b.c".into())
        );
        assert_eq!(
            Jar::from_cookies_answer(200, r#"{"cookies": {}}"#),
            Jar::Empty
        );
        assert_eq!(Jar::from_cookies_answer(404, "Not Found"), Jar::Unknown);
        assert_eq!(Jar::from_cookies_answer(200, "<html>"), Jar::Unknown);
        assert_eq!(Jar::of(Some("")), Jar::Empty);
    }

    #[test]
    fn roles_name_what_each_cookie_is() {
        use greeting_core::Header;
        let mut t = Timeline::new();
        for (id, session) in [("p-1", true), ("p-2", true), ("p-3", false)] {
            t.begin(
                id,
                0,
                "/greeting",
                vec![Header::new("A", "b")],
                session,
                None,
            );
        }
        let report = |id: Option<&str>, out: &str, agent: &str| greeting_core::ExchangeReport {
            seq: 1,
            exchange_id: id.map(str::to_string),
            at_ms: 0,
            duration_micros: 1,
            client: "127.0.0.1:4242".into(),
            user_agent: Some(agent.into()),
            method: "GET".into(),
            path: "/greeting".into(),
            request_headers: vec![],
            status: 200,
            response_headers: vec![],
            body: "{\"message\": \"Welcome, cobra!\"}".into(),
            user: Some("cobra".into()),
            cookie_in: None,
            cookie_out: Some(out.into()),
            session_in: greeting_core::SessionIn::None,
            session_out: None,
            notes: vec![],
            store_entry: None,
        };
        t.add_report(report(Some("p-1"), "c1", "Chrome"), "p-");
        t.add_report(report(Some("p-2"), "c2", "Chrome"), "p-");
        t.add_report(report(Some("p-3"), "c3", "Chrome"), "p-");
        t.add_report(report(None, "py", "python-requests/2.32.3"), "p-");
        let jar = Jar::Holds("c2".into());
        let roles: Vec<_> = t.entries.iter().map(|e| role_of(e, &jar)).collect();
        assert_eq!(roles[0], CookieRole::ReplacedSince);
        assert_eq!(roles[1], CookieRole::InTheJar);
        assert_eq!(roles[2], CookieRole::Discarded);
        assert_eq!(
            roles[3].label(),
            "another client's (python-requests from 127.0.0.1): never in this browser"
        );
        assert_eq!(setter(&t, &jar).map(|e| e.number), Some(2));
        assert!(
            setter(&t, &Jar::Holds("c3".into())).is_none(),
            "a discarded cookie is no jar's"
        );
    }
}
