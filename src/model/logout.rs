//! "Log out, then replay the old cookie", side by side for both session modes: what each
//! mode's run did (the copy kept before log out, the log out's answer, the replay's answer) and
//! the sentences the view says about it, worked out from those answers alone.
//!
//! The mode the page's server runs is done for real; the other mode is done by a simulated
//! server in the page ([`SimServer::in_mode`]) with the same steps: as many visits as the real
//! session had, log out, replay ([`shadow_log_out`], [`shadow_replay`]).

use greeting_core::SessionMode;

use super::sim::{SimRequest, SimServer};
use super::timeline::{message_of, visit_from_message};

/// Who ran a mode's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// The greeting server this page talks to.
    ThisServer,
    /// The simulated server in this page.
    Simulated,
}

/// One answer of the lesson: its status and message (the body's `message`, else the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub status: Option<u16>,
    pub message: String,
}

impl Step {
    /// An answer's status and body; `status` `None` when the request failed (`body` says why).
    pub fn of(status: Option<u16>, body: &str) -> Step {
        Step {
            status,
            message: message_of(body).unwrap_or_else(|| body.trim().to_string()),
        }
    }
}

/// One mode's run of the lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeRun {
    pub mode: SessionMode,
    pub runner: Runner,
    pub user: String,
    /// The visit the session had reached when it logged out, when known.
    pub visit: Option<u64>,
    /// The copy of the `session` cookie kept before logging out.
    pub old_cookie: String,
    pub logout: Option<Step>,
    pub replay: Option<Step>,
}

/// A mode's name as the page says it.
pub fn mode_name(mode: SessionMode) -> &'static str {
    match mode {
        SessionMode::Cookie => "Cookie mode",
        SessionMode::Server => "Server mode",
    }
}

/// The flag value of a mode (`--sessions cookie`).
pub fn mode_flag(mode: SessionMode) -> &'static str {
    match mode {
        SessionMode::Cookie => "cookie",
        SessionMode::Server => "server",
    }
}

/// The other mode.
pub fn other(mode: SessionMode) -> SessionMode {
    match mode {
        SessionMode::Cookie => SessionMode::Server,
        SessionMode::Server => SessionMode::Cookie,
    }
}

impl ModeRun {
    /// "Cookie mode, on the greeting server (--sessions cookie)".
    pub fn title(&self) -> String {
        let on = match self.runner {
            Runner::ThisServer => format!(
                "on this page's greeting server (--sessions {})",
                mode_flag(self.mode)
            ),
            Runner::Simulated => "on the simulated server in this page".to_string(),
        };
        format!("{}, {on}", mode_name(self.mode))
    }

    /// What the kept copy is: the session itself, or only its id.
    pub fn kept(&self) -> String {
        let visit = self
            .visit
            .map(|v| format!(" at visit #{v}"))
            .unwrap_or_default();
        match self.mode {
            SessionMode::Cookie => format!(
                "Kept a copy of {}'s cookie{visit}: the signed session itself.",
                self.user
            ),
            SessionMode::Server => format!(
                "Kept a copy of {}'s cookie{visit}: only the session's id.",
                self.user
            ),
        }
    }

    /// What the replay showed, once it is done: one sentence true for what just happened.
    pub fn verdict(&self) -> Option<String> {
        let replay = self.replay.as_ref()?;
        if replay.status != Some(200) {
            return Some(match replay.status {
                Some(status) => format!("The replay was answered {status}, not greeted."),
                None => "The replay got no answer.".to_string(),
            });
        }
        let visit = visit_from_message(&replay.message);
        let continued = visit.is_some_and(|v| v > 1);
        Some(match (self.mode, continued) {
            (SessionMode::Cookie, true) => format!(
                "The old cookie still works: logged out, yet greeted as visit #{}. The server kept nothing it could delete; the cookie is valid until it expires.",
                visit.unwrap_or_default()
            ),
            (SessionMode::Cookie, false) => {
                "The old cookie did not continue the session: the server no longer accepts it."
                    .to_string()
            }
            (SessionMode::Server, false) => {
                "The old cookie starts over: its id has no entry in the server's store any more, so the server began a new session."
                    .to_string()
            }
            (SessionMode::Server, true) => {
                "The old cookie continued the session: the store still had an entry for its id."
                    .to_string()
            }
        })
    }
}

/// The time a simulated request is made at.
#[derive(Debug, Clone, Copy)]
pub struct Clock<'a> {
    pub now_ms: u64,
    /// The `Date` header for `now_ms`.
    pub date: &'a str,
}

fn request<'a>(
    path: &'a str,
    authorization: &'a str,
    include_cookies: bool,
    cookie: Option<&'a str>,
    clock: Clock<'a>,
) -> SimRequest<'a> {
    SimRequest {
        path,
        authorization: Some(authorization),
        include_cookies,
        cookie,
        exchange_id: None,
        user_agent: None,
        now_ms: clock.now_ms,
        date: clock.date,
    }
}

/// The other mode's steps up to log out on a fresh simulated server: a session of `user`
/// (`auth`: their `Authorization` header) greeted `visits` times, a copy of its cookie kept,
/// then log out.
pub fn shadow_log_out(
    sim: &mut SimServer,
    user: &str,
    auth: &str,
    visits: u64,
    clock: Clock<'_>,
) -> ModeRun {
    sim.reset();
    let mut reached = None;
    for _ in 0..visits.max(1) {
        let r = sim.handle(&request("/greeting", auth, true, None, clock));
        reached = r.session_out.map(|s| s.visit);
    }
    let old_cookie = sim.jar().unwrap_or_default().to_string();
    let out = sim.logout(&request("/logout", auth, true, None, clock));
    ModeRun {
        mode: sim.mode(),
        runner: Runner::Simulated,
        user: user.to_string(),
        visit: reached,
        old_cookie,
        logout: Some(Step::of(Some(out.status), &out.body)),
        replay: None,
    }
}

/// The other mode's replay: the kept copy sent with a greeting, as a client holding it would.
pub fn shadow_replay(sim: &mut SimServer, run: &mut ModeRun, auth: &str, clock: Clock<'_>) {
    let cookie = format!("session={}", run.old_cookie);
    let r = sim.handle(&request("/greeting", auth, false, Some(&cookie), clock));
    run.replay = Some(Step::of(Some(r.status), &r.body));
}

#[cfg(test)]
mod tests {
    use super::*;
    use greeting_core::basic_auth_header;

    const CLOCK: Clock<'static> = Clock {
        now_ms: 1_700_000_000_000,
        date: "Tue, 14 Nov 2023 22:13:20 GMT",
    };

    fn cobra() -> String {
        basic_auth_header("cobra", "hiss")
    }

    fn random(bytes: &mut [u8]) {
        bytes.fill(7);
    }

    #[test]
    fn side_by_side_cookie_mode_still_works_and_server_mode_starts_over() {
        let mut cookie = SimServer::in_mode("k", SessionMode::Cookie, random);
        let mut run = shadow_log_out(&mut cookie, "cobra", &cobra(), 2, CLOCK);
        assert_eq!((run.mode, run.visit), (SessionMode::Cookie, Some(2)));
        assert!(run
            .logout
            .as_ref()
            .unwrap()
            .message
            .starts_with("Logged out"));
        assert_eq!(cookie.jar(), None);
        shadow_replay(&mut cookie, &mut run, &cobra(), CLOCK);
        assert_eq!(
            run.replay.as_ref().unwrap().message,
            "Welcome back, cobra! This is visit #3."
        );
        assert!(run
            .verdict()
            .unwrap()
            .starts_with("The old cookie still works: logged out, yet greeted as visit #3."));
        assert!(run.kept().contains("the signed session itself"));

        let mut server = SimServer::in_mode("k", SessionMode::Server, random);
        let mut run = shadow_log_out(&mut server, "cobra", &cobra(), 2, CLOCK);
        assert_eq!(run.old_cookie.len(), 43);
        shadow_replay(&mut server, &mut run, &cobra(), CLOCK);
        assert_eq!(run.replay.as_ref().unwrap().message, "Welcome, cobra!");
        assert!(run
            .verdict()
            .unwrap()
            .starts_with("The old cookie starts over"));
        assert_eq!(
            run.title(),
            "Server mode, on the simulated server in this page"
        );
    }

    #[test]
    fn the_verdict_says_what_happened_not_what_was_expected() {
        let mut run = ModeRun {
            mode: SessionMode::Cookie,
            runner: Runner::ThisServer,
            user: "cobra".into(),
            visit: Some(2),
            old_cookie: "a.b.c".into(),
            logout: None,
            replay: None,
        };
        assert_eq!(run.verdict(), None, "no replay yet");
        run.replay = Some(Step::of(Some(200), "{\"message\": \"Welcome, cobra!\"}"));
        assert!(run.verdict().unwrap().contains("did not continue"));
        run.replay = Some(Step::of(Some(401), "{}"));
        assert_eq!(
            run.verdict().unwrap(),
            "The replay was answered 401, not greeted."
        );
        run.mode = SessionMode::Server;
        run.replay = Some(Step::of(
            Some(200),
            "{\"message\": \"Welcome back, cobra! This is visit #3.\"}",
        ));
        assert!(run.verdict().unwrap().contains("store still had an entry"));
        assert_eq!(
            run.title(),
            "Server mode, on this page's greeting server (--sessions server)"
        );
        run.replay = Some(Step::of(None, "the server is gone"));
        assert_eq!(run.verdict().unwrap(), "The replay got no answer.");
    }
}
