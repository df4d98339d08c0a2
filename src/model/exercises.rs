//! The course exercises and their automatic checks.
//!
//! Exercises are authored in `content/exercises/*.md` (TOML front matter + Markdown); `build.rs`
//! (build/exercises.rs) checks them and turns them into [`EXERCISES`], so the page carries no
//! parser. Each names one [`Check`] from a fixed set. A check is a pure function over the
//! exchanges the page saw (its timeline): what the learner actually did, as the server (or the
//! simulated server) reported it.

use std::collections::{HashMap, HashSet};

use greeting_core::{parse_basic_auth, SessionIn};

use super::attributes::path_matches;
use super::timeline::{Exchange, Source};

/// One exercise, as written in its content file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exercise {
    /// Progress is saved under this id (front matter `id`).
    pub id: &'static str,
    /// The content file it came from.
    pub file: &'static str,
    pub title: &'static str,
    pub order: i64,
    pub check: Check,
    /// Inline HTML, rendered from Markdown at build time; revealed one at a time.
    pub hints: &'static [&'static str],
    /// The task, HTML rendered at build time (trusted: our own content).
    pub task_html: &'static str,
    /// The `## Explanation` section, shown once solved (may be empty).
    pub explanation_html: &'static str,
}

/// The fixed set of checks an exercise can name (`check = { kind = "...", ... }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `visit-reached`: a page request in session mode was counted as visit `visit` or later.
    VisitReached { visit: u64 },
    /// `always-first-visit`: `count` page greetings in a row, without a session, all visit 1.
    AlwaysFirstVisit { count: u32 },
    /// `unauthorized-then-ok`: a 401, then a 200 for the same user name.
    UnauthorizedThenOk,
    /// `restart-after-reset`: a session at `from_visit` or more, then the same user at visit 1
    /// with no cookie sent (the cookie was expired by a reset).
    RestartAfterReset { from_visit: u64 },
    /// `user-switch`: a session of one user at visit 2 or more, then another user (`to`, if
    /// given) greeted at visit 1 while carrying the first user's session.
    UserSwitch { to: Option<&'static str> },
    /// `tampered-restart`: a request whose cookie failed verification was silently answered as
    /// visit 1.
    TamperedRestart,
    /// `forged-visit`: visit `visit` or more, reached with a cookie the server never set but
    /// that verified (signed with the server's key).
    ForgedVisit { visit: u64 },
    /// `parallel-lost`: `count` or more requests sent at once in one session, and visits lost
    /// (several answers with the same visit number).
    ParallelLost { count: u32 },
    /// `other-client`: another client (its `User-Agent` contains `user_agent`) was greeted at
    /// visit `min_visit` or more, seen on the side channel.
    OtherClient {
        user_agent: &'static str,
        min_visit: u64,
    },
    /// `python-visits`: the page's Python was greeted `count` times in a row, in one session
    /// (visits up to `count`) or, with `session = false`, each time as a first visit with no
    /// cookie sent; and one run printed those greetings ([`Check::printed_shows`]).
    PythonVisits { count: u32, session: bool },
    /// `path-hides-cookie`: a greeting set the session cookie with a `Path` that `/greeting`
    /// is not under, and a later greeting in session mode went without it (visit 1, no cookie).
    PathHidesCookie,
    /// `replayed-after-logout`: after a `POST /logout`, the cookie that log out carried was
    /// sent again and continued the session (visit 2 or more): cookie mode's replay.
    ReplayedAfterLogout,
}

/// What a check needs to see, beyond the page's own answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Works on any target.
    Nothing,
    /// The cookies each request carried: the simulated server or the side channel.
    Reports,
    /// Other clients' requests: a real greeting server's side channel.
    OtherClients,
}

include!(concat!(env!("OUT_DIR"), "/exercises.rs"));

/// The exercise with this id.
pub fn exercise(id: &str) -> Option<&'static Exercise> {
    EXERCISES.iter().find(|x| x.id == id)
}

impl Check {
    /// The name used in content files.
    pub fn name(&self) -> &'static str {
        match self {
            Check::VisitReached { .. } => "visit-reached",
            Check::AlwaysFirstVisit { .. } => "always-first-visit",
            Check::UnauthorizedThenOk => "unauthorized-then-ok",
            Check::RestartAfterReset { .. } => "restart-after-reset",
            Check::UserSwitch { .. } => "user-switch",
            Check::TamperedRestart => "tampered-restart",
            Check::ForgedVisit { .. } => "forged-visit",
            Check::ParallelLost { .. } => "parallel-lost",
            Check::OtherClient { .. } => "other-client",
            Check::PythonVisits { .. } => "python-visits",
            Check::PathHidesCookie => "path-hides-cookie",
            Check::ReplayedAfterLogout => "replayed-after-logout",
        }
    }

    pub fn needs(&self) -> Needs {
        match self {
            Check::TamperedRestart | Check::PathHidesCookie | Check::ReplayedAfterLogout => {
                Needs::Reports
            }
            Check::OtherClient { .. } => Needs::OtherClients,
            _ => Needs::Nothing,
        }
    }

    /// Whether the exchanges show the exercise done.
    pub fn passes(&self, exchanges: &[Exchange]) -> bool {
        let page: Vec<&Exchange> = exchanges
            .iter()
            .filter(|e| e.source.is_own() && !e.is_pending())
            .collect();
        match *self {
            Check::VisitReached { visit } => page
                .iter()
                .any(|e| e.session_mode && e.visit().is_some_and(|v| v >= visit)),
            Check::AlwaysFirstVisit { count } => {
                // Runs of consecutive page greetings (200s) made without a session.
                let mut run = 0u32;
                for e in page.iter().filter(|e| e.visit().is_some()) {
                    if !e.session_mode && e.visit() == Some(1) {
                        run += 1;
                        if run >= count {
                            return true;
                        }
                    } else {
                        run = 0;
                    }
                }
                false
            }
            // Each "an earlier exchange, then a later one" check is one pass that remembers
            // what it saw (not a scan of the rest per exchange: 1,000 exchanges made that
            // a million steps on every timeline change).
            Check::UnauthorizedThenOk => {
                // From the end: the users greeted (200 with a visit) after each exchange.
                let mut greeted_later: HashSet<Option<String>> = HashSet::new();
                page.iter().rev().any(|e| {
                    let status = e.status();
                    if status == Some(401) && greeted_later.contains(&sent_user(e)) {
                        return true;
                    }
                    if status == Some(200) && e.visit().is_some() {
                        greeted_later.insert(sent_user(e));
                    }
                    false
                })
            }
            Check::RestartAfterReset { from_visit } => {
                let mut reached: HashSet<Option<String>> = HashSet::new();
                page.iter().any(|l| {
                    if l.session_mode
                        && l.visit() == Some(1)
                        && match &l.report {
                            Some(r) => r.session_in == SessionIn::None,
                            None => true,
                        }
                        && reached.contains(&l.user())
                    {
                        return true;
                    }
                    if l.session_mode && l.visit().is_some_and(|v| v >= from_visit) {
                        reached.insert(l.user());
                    }
                    false
                })
            }
            Check::UserSwitch { to } => {
                // Users seen in a session at visit 2 or more so far.
                let mut firsts: HashSet<String> = HashSet::new();
                page.iter().any(|l| {
                    if l.session_mode && l.visit() == Some(1) && !firsts.is_empty() {
                        if let Some(second) = l.user().filter(|s| to.is_none_or(|t| t == s)) {
                            let switched = match l.report.as_ref().map(|r| &r.session_in) {
                                Some(SessionIn::OtherUser { username, .. }) => {
                                    *username != second && firsts.contains(username)
                                }
                                Some(_) => false,
                                None => firsts.iter().any(|f| *f != second),
                            };
                            if switched {
                                return true;
                            }
                        }
                    }
                    if l.session_mode && l.visit().is_some_and(|v| v >= 2) {
                        if let Some(u) = l.user() {
                            firsts.insert(u);
                        }
                    }
                    false
                })
            }
            Check::ReplayedAfterLogout => {
                let mut logged_out: HashSet<&str> = HashSet::new();
                page.iter().any(|e| {
                    if e.method == "POST" && e.path == "/logout" && e.status() == Some(200) {
                        logged_out.extend(e.cookie_in().filter(|c| !c.is_empty()));
                        return false;
                    }
                    e.visit().is_some_and(|v| v >= 2)
                        && e.cookie_in().is_some_and(|c| logged_out.contains(c))
                        && e.report
                            .as_ref()
                            .is_some_and(|r| matches!(r.session_in, SessionIn::Continued { .. }))
                })
            }
            Check::TamperedRestart => page.iter().any(|e| {
                e.visit() == Some(1)
                    && e.cookie_in().is_some()
                    && e.report
                        .as_ref()
                        .is_some_and(|r| matches!(r.session_in, SessionIn::Rejected { .. }))
            }),
            Check::ForgedVisit { visit } => {
                // In timeline order: the cookies set so far (anyone's), and each user's latest
                // visit among the page's answers so far.
                let mut set_before: HashSet<&str> = HashSet::new();
                let mut last_visit: HashMap<Option<String>, u64> = HashMap::new();
                exchanges.iter().any(|e| {
                    let counted = e.source.is_own() && !e.is_pending();
                    let forged = counted
                        && e.visit().is_some_and(|v| v >= visit)
                        && match &e.report {
                            // Verified, and not a cookie any earlier answer set.
                            Some(r) => r.cookie_in.as_deref().is_some_and(|cin| {
                                matches!(r.session_in, SessionIn::Continued { .. })
                                    && !set_before.contains(cin)
                            }),
                            // No report (a server without side channel): a jump in the count.
                            None => last_visit
                                .get(&e.user())
                                .is_none_or(|&v| v + 1 < e.visit().unwrap_or(0)),
                        };
                    if let Some(c) = e.cookie_out() {
                        set_before.insert(c);
                    }
                    if counted {
                        if let Some(v) = e.visit() {
                            last_visit.insert(e.user(), v);
                        }
                    }
                    forged
                })
            }
            Check::ParallelLost { count } => {
                let mut visits: HashMap<&str, Vec<u64>> = HashMap::new();
                for e in &page {
                    if let Some(b) = e.batch.as_deref() {
                        let v = visits.entry(b).or_default();
                        if let Some(x) = e.visit().filter(|_| e.session_mode) {
                            v.push(x);
                        }
                    }
                }
                visits.into_values().any(|visits| {
                    let distinct: HashSet<u64> = visits.iter().copied().collect();
                    visits.len() >= count as usize && distinct.len() < visits.len()
                })
            }
            Check::PythonVisits { count, session } => {
                let mut run = 0u32;
                for e in page.iter().filter(|e| e.source == Source::Python) {
                    let Some(visit) = e.visit() else {
                        run = 0;
                        continue;
                    };
                    let counts = if session {
                        visit == u64::from(run) + 1
                    } else {
                        visit == 1 && !e.session_mode
                    };
                    run = if counts {
                        run + 1
                    } else {
                        u32::from(visit == 1)
                    };
                    if run >= count {
                        return true;
                    }
                }
                false
            }
            Check::PathHidesCookie => {
                let mut hidden = false;
                for e in page.iter().filter(|e| e.path == "/greeting") {
                    if hidden
                        && e.session_mode
                        && e.visit() == Some(1)
                        && e.report.is_some()
                        && e.cookie_in().is_none()
                    {
                        return true;
                    }
                    if let Some(path) = set_cookie_path(e) {
                        hidden = !path_matches("/greeting", path);
                    }
                }
                false
            }
            Check::OtherClient {
                user_agent,
                min_visit,
            } => exchanges.iter().any(|e| {
                e.source == Source::Other
                    && e.visit().is_some_and(|v| v >= min_visit)
                    && e.report.as_ref().is_some_and(|r| {
                        let ua = r.user_agent.as_deref().unwrap_or("").to_ascii_lowercase();
                        ua.contains(&user_agent.to_ascii_lowercase())
                    })
            }),
        }
    }
}

/// The `Path` of the `Set-Cookie` an exchange answered with, as the server reported it.
fn set_cookie_path(e: &Exchange) -> Option<&str> {
    let h = e
        .response_headers()
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("set-cookie"))?;
    h.value
        .split(';')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Path="))
}

impl Check {
    /// Whether the check also reads what a run of the page's Python printed.
    pub fn reads_printed(&self) -> bool {
        matches!(self, Check::PythonVisits { .. })
    }

    /// Whether `printed` (one run's standard output) shows the greetings the check asks for:
    /// for `python-visits`, `count` greeting lines in a row, visit 1 (`Welcome, ...`) then
    /// `visit #2` to `visit #count` in a session, or visit 1 every time without one.
    pub fn printed_shows(&self, printed: &str) -> bool {
        let Check::PythonVisits { count, session } = *self else {
            return true;
        };
        let mut run = 0u32;
        for visit in printed.lines().filter_map(printed_visit) {
            let next = if session { u64::from(run) + 1 } else { 1 };
            run = if visit == next {
                run + 1
            } else {
                u32::from(visit == 1)
            };
            if run >= count {
                return true;
            }
        }
        false
    }
}

/// The visit a printed greeting names: `Welcome, cobra!` is 1, `... This is visit #3.` is 3;
/// `None` for a line that is not a greeting.
fn printed_visit(line: &str) -> Option<u64> {
    let at = line.find("Welcome")?;
    let rest = &line[at..];
    match rest.find("visit #") {
        Some(i) => {
            let digits: String = rest[i + "visit #".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        }
        None => Some(1),
    }
}

/// The user name in the `Authorization` header a page request was sent with.
fn sent_user(e: &Exchange) -> Option<String> {
    let h = e
        .sent_headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("authorization"))?;
    parse_basic_auth(Some(&h.value)).ok().map(|c| c.username)
}

/// The exercises newly passed by `exchanges` (and, for those that read it, by one of the
/// `printed` outputs of the page's Python), among those not yet in `solved`.
pub fn newly_solved(
    exchanges: &[Exchange],
    printed: &[String],
    solved: impl Fn(&str) -> bool,
) -> Vec<&'static Exercise> {
    EXERCISES
        .iter()
        .filter(|x| {
            !solved(x.id)
                && x.check.passes(exchanges)
                && (!x.check.reads_printed() || printed.iter().any(|p| x.check.printed_shows(p)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::errors::Explanation;
    use crate::model::sim::{SimRequest, SimServer};
    use crate::model::timeline::{Completion, Timeline};
    use greeting_core::{basic_auth_header, ExchangeReport, Header};

    const KEY: &str = "playground-demo-secret";
    const NOW_MS: u64 = 1_700_000_000_000;

    /// The page's flow in miniature: the simulated server answers, the timeline records the
    /// request, its report and its completion (as `Pg::send` does), or only the completion
    /// when `reports` is off (a server without a side channel).
    struct Learner {
        sim: SimServer,
        t: Timeline,
        n: u64,
        user: String,
        password: String,
        session: bool,
        reports: bool,
    }

    impl Learner {
        fn new() -> Learner {
            Learner {
                sim: SimServer::new(KEY),
                t: Timeline::new(),
                n: 0,
                user: "cobra".into(),
                password: "hiss".into(),
                session: true,
                reports: true,
            }
        }

        fn login(&mut self, user: &str, password: &str) -> &mut Self {
            self.user = user.into();
            self.password = password.into();
            self
        }

        fn send_batch(&mut self, k: usize, batch: Option<&str>) {
            let auth = basic_auth_header(&self.user, &self.password);
            let ids: Vec<String> = (0..k)
                .map(|_| {
                    self.n += 1;
                    format!("p-{}", self.n)
                })
                .collect();
            let reqs: Vec<SimRequest> = ids
                .iter()
                .map(|id| SimRequest {
                    path: "/greeting",
                    authorization: Some(&auth),
                    include_cookies: self.session,
                    cookie: None,
                    exchange_id: Some(id),
                    user_agent: Some("Mozilla/5.0"),
                    now_ms: NOW_MS,
                    date: "Tue, 14 Nov 2023 22:13:20 GMT",
                })
                .collect();
            let reports = if k == 1 {
                vec![self.sim.handle(&reqs[0])]
            } else {
                self.sim.handle_parallel(&reqs)
            };
            for (id, r) in ids.iter().zip(reports) {
                let sent = vec![
                    Header::new("Authorization", auth.clone()),
                    Header::new("X-Playground-Exchange", id.clone()),
                ];
                self.t.begin(
                    id,
                    NOW_MS,
                    "/greeting",
                    sent,
                    self.session,
                    batch.map(str::to_string),
                );
                let completion = if r.status == 200 {
                    Completion::Answer {
                        status: 200,
                        body: r.body.clone(),
                        headers: vec![],
                    }
                } else {
                    Completion::Failure {
                        explanation: Explanation {
                            code: crate::model::errors::Code::Unauthorized,
                            title: "401".into(),
                            detail: String::new(),
                        },
                        status: Some(r.status),
                        body: Some(r.body.clone()),
                        headers: vec![],
                    }
                };
                if self.reports {
                    self.t.add_report(r, "p-");
                }
                self.t.complete(id, 1.0, completion);
            }
        }

        /// A report recorded as the page records its own request's.
        fn record(&mut self, method: &str, r: ExchangeReport) {
            self.n += 1;
            let id = format!("p-{}", self.n);
            let r = ExchangeReport {
                exchange_id: Some(id.clone()),
                ..r
            };
            let body = r.body.clone();
            let path = r.path.clone();
            self.t
                .begin_as(&id, NOW_MS, method, &path, vec![], false, Source::Page);
            self.t.add_report(r, "p-");
            self.t.complete(
                &id,
                1.0,
                Completion::Answer {
                    status: 200,
                    body,
                    headers: vec![],
                },
            );
        }

        /// Log out (the jar's cookie kept first), then that cookie sent again.
        fn log_out_and_replay(&mut self) -> &mut Self {
            let auth = basic_auth_header(&self.user, &self.password);
            let old = format!("session={}", self.sim.jar().expect("a session"));
            let request = |cookie: Option<&'static str>| SimRequest {
                path: "/greeting",
                authorization: None,
                include_cookies: true,
                cookie,
                exchange_id: None,
                user_agent: None,
                now_ms: NOW_MS,
                date: "Tue, 14 Nov 2023 22:13:20 GMT",
            };
            let out = self.sim.logout(&request(None));
            self.record("POST", out);
            let replayed = self.sim.handle(&SimRequest {
                authorization: Some(&auth),
                include_cookies: false,
                cookie: Some(&old),
                ..request(None)
            });
            self.record("GET", replayed);
            self
        }

        fn send(&mut self, times: usize) -> &mut Self {
            for _ in 0..times {
                self.send_batch(1, None);
            }
            self
        }

        fn parallel(&mut self, k: usize) -> &mut Self {
            let b = format!("batch-{}", self.n);
            self.send_batch(k, Some(&b));
            self
        }

        fn passes(&self, c: Check) -> bool {
            c.passes(&self.t.entries)
        }

        fn visits(&self) -> Vec<Option<u64>> {
            self.t.entries.iter().map(|e| e.visit()).collect()
        }

        /// The latest cookie, with its session edited and re-signed with `key`.
        fn edited_cookie(&self, visit: u64, key: &str) -> String {
            let c = self.sim.jar().expect("a cookie in the jar");
            let mut v = flask_cookie::decode(c).unwrap().value;
            v["visit"] = visit.into();
            flask_cookie::sign(&v, key.as_bytes(), NOW_MS / 1000).unwrap()
        }
    }

    fn script_session(t: &mut Timeline, ua: &str, visit: u64) {
        let mut sim = SimServer::new(KEY);
        let auth = basic_auth_header("cobra", "hiss");
        let mut last = None;
        for _ in 0..visit {
            let r: ExchangeReport = sim.handle(&SimRequest {
                path: "/greeting",
                authorization: Some(&auth),
                include_cookies: true,
                cookie: None,
                exchange_id: None,
                user_agent: Some(ua),
                now_ms: NOW_MS,
                date: "x",
            });
            last = Some(r.clone());
            t.add_report(r, "p-");
        }
        assert_eq!(last.unwrap().session_out.unwrap().visit, visit);
    }

    #[test]
    fn the_shipped_exercises_cover_the_course() {
        let names: Vec<&str> = EXERCISES.iter().map(|x| x.check.name()).collect();
        for want in [
            "visit-reached",
            "always-first-visit",
            "unauthorized-then-ok",
            "restart-after-reset",
            "user-switch",
            "tampered-restart",
            "forged-visit",
            "parallel-lost",
            "other-client",
            "python-visits",
            "path-hides-cookie",
            "replayed-after-logout",
        ] {
            assert!(names.contains(&want), "no exercise uses {want}: {names:?}");
        }
        let mut ids: Vec<&str> = EXERCISES.iter().map(|x| x.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), EXERCISES.len(), "ids are unique");
        assert!(
            EXERCISES.windows(2).all(|w| w[0].order <= w[1].order),
            "sorted by order"
        );
        for x in EXERCISES {
            assert!(!x.title.is_empty() && !x.task_html.is_empty(), "{}", x.file);
            assert!(!x.hints.is_empty(), "{} has hints", x.file);
            assert!(
                !x.explanation_html.is_empty(),
                "{} has an explanation",
                x.file
            );
            assert!(
                !x.task_html.contains("Explanation</h2>"),
                "{}: the explanation is split off",
                x.file
            );
            assert!(
                x.hints.iter().all(|h| !h.starts_with("<p>")),
                "{}: hints are inline",
                x.file
            );
        }
        assert_eq!(
            exercise("forge").map(|x| x.check),
            Some(Check::ForgedVisit { visit: 100 })
        );
        assert_eq!(
            exercise("python-terminal").map(|x| x.check),
            Some(Check::OtherClient {
                user_agent: "python-requests",
                min_visit: 3
            })
        );
        assert!(exercise("three-visits").unwrap().hints[0]
            .contains("<strong>Session: keep cookies</strong>"));
    }

    /// `times` greetings from the page's Python, its jar kept (`session`) or not.
    fn python_greetings(t: &mut Timeline, sim: &mut SimServer, times: usize, session: bool) {
        let auth = basic_auth_header("cobra", "hiss");
        let mut jar: Option<String> = None;
        for _ in 0..times {
            let id = format!("p-py{}", t.len() + 1);
            let cookie = jar.as_ref().map(|c| format!("session={c}"));
            let r = sim.handle(&SimRequest {
                path: "/greeting",
                authorization: Some(&auth),
                include_cookies: false,
                cookie: cookie.as_deref(),
                exchange_id: Some(&id),
                user_agent: Some("python-requests/2.34.2"),
                now_ms: NOW_MS,
                date: "x",
            });
            if session {
                jar = r.cookie_out.clone();
            }
            t.begin_as(
                &id,
                NOW_MS,
                "GET",
                "/greeting",
                vec![],
                cookie.is_some(),
                Source::Python,
            );
            let body = r.body.clone();
            t.add_report(r, "p-");
            t.complete(
                &id,
                1.0,
                Completion::Answer {
                    status: 200,
                    body,
                    headers: vec![],
                },
            );
        }
    }

    #[test]
    fn python_visits_come_from_the_page_python_only() {
        let in_session = Check::PythonVisits {
            count: 5,
            session: true,
        };
        let apart = Check::PythonVisits {
            count: 5,
            session: false,
        };
        // The playground's own buttons do not count.
        let mut l = Learner::new();
        l.send(5);
        assert!(!l.passes(in_session));
        l.session = false;
        l.send(5);
        assert!(!l.passes(apart));

        let mut sim = SimServer::new(KEY);
        let mut t = Timeline::new();
        python_greetings(&mut t, &mut sim, 4, true);
        assert!(!in_session.passes(&t.entries));
        python_greetings(&mut t, &mut sim, 5, true);
        assert!(in_session.passes(&t.entries));
        assert!(!apart.passes(&t.entries));

        let mut t = Timeline::new();
        python_greetings(&mut t, &mut sim, 5, false);
        assert!(apart.passes(&t.entries));
        assert!(!in_session.passes(&t.entries));
    }

    #[test]
    fn python_visits_read_what_the_script_printed() {
        let in_session = Check::PythonVisits {
            count: 5,
            session: true,
        };
        let apart = Check::PythonVisits {
            count: 5,
            session: false,
        };
        let five = "Welcome, cobra!\n\
                    Welcome back, cobra! This is visit #2.\n\
                    Welcome back, cobra! This is visit #3.\n\
                    {'message': 'Welcome back, cobra! This is visit #4.'}\n\
                    Welcome back, cobra! This is visit #5.\n";
        assert!(in_session.printed_shows(five));
        assert!(!apart.printed_shows(five));
        assert!(!in_session.printed_shows(""));
        assert!(!in_session.printed_shows(&five.replace("#4", "#6")));
        assert!(!in_session.printed_shows("visit #5\n"));
        let plain = "Welcome, cobra!\n".repeat(5);
        assert!(apart.printed_shows(&plain));
        assert!(!apart.printed_shows(&"Welcome, cobra!\n".repeat(4)));
        assert!(!in_session.printed_shows(&plain));
        // Other checks do not read it.
        assert!(!Check::TamperedRestart.reads_printed());
        assert!(Check::TamperedRestart.printed_shows(""));

        // Solved only when a run printed the greetings, besides the timeline.
        let mut sim = SimServer::new(KEY);
        let mut t = Timeline::new();
        python_greetings(&mut t, &mut sim, 5, true);
        let solved = |printed: &[String]| {
            newly_solved(&t.entries, printed, |_| false)
                .iter()
                .any(|x| x.id == "python-loop")
        };
        assert!(!solved(&[]));
        assert!(!solved(&["done\n".to_string()]));
        assert!(solved(&["x\n".to_string(), five.to_string()]));
    }

    #[test]
    fn visit_reached() {
        let c = Check::VisitReached { visit: 3 };
        let mut l = Learner::new();
        l.send(2);
        assert!(!l.passes(c));
        l.send(1);
        assert_eq!(l.visits(), [Some(1), Some(2), Some(3)]);
        assert!(l.passes(c));
        // Three greetings without a session are three first visits.
        let mut l = Learner::new();
        l.session = false;
        l.send(3);
        assert!(!l.passes(c));
    }

    #[test]
    fn always_first_visit_needs_a_run_without_session() {
        let c = Check::AlwaysFirstVisit { count: 3 };
        let mut l = Learner::new();
        l.send(3);
        assert!(!l.passes(c), "a session's first visit alone does not count");
        l.session = false;
        l.send(2);
        assert!(!l.passes(c));
        l.session = true;
        l.send(1);
        l.session = false;
        l.send(2);
        assert!(!l.passes(c), "runs are consecutive");
        l.send(1);
        assert!(l.passes(c));
    }

    #[test]
    fn unauthorized_then_ok() {
        let c = Check::UnauthorizedThenOk;
        let mut l = Learner::new();
        l.send(1);
        l.login("cobra", "meow").send(1);
        assert_eq!(l.t.entries[1].status(), Some(401));
        assert!(!l.passes(c), "a 200 before the 401 does not fix it");
        l.login("nagini", "crawl").send(1);
        assert!(!l.passes(c), "another user is not a fix");
        l.login("cobra", "hiss").send(1);
        assert!(l.passes(c));
        // A 401 sets no cookie: the session goes on after the fix.
        let mut l = Learner::new();
        l.send(1);
        l.login("cobra", "meow").send(1);
        l.login("cobra", "hiss").send(1);
        assert_eq!(l.visits(), [Some(1), None, Some(2)]);
        assert!(l.passes(c));
    }

    #[test]
    fn restart_after_reset() {
        let c = Check::RestartAfterReset { from_visit: 2 };
        let mut l = Learner::new();
        l.send(1);
        l.sim.reset();
        l.send(1);
        assert!(!l.passes(c), "visit 1 then visit 1 is not a restart from 2");
        l.send(1);
        assert!(!l.passes(c));
        l.sim.reset();
        l.send(1);
        assert!(l.passes(c));
        // A tampered cookie also gives visit 1, but the request carried a cookie: not a reset.
        let mut l = Learner::new();
        l.send(2);
        let bad = l.edited_cookie(7, "not-the-key");
        l.sim.plant(Some(bad));
        l.send(1);
        assert_eq!(l.visits(), [Some(1), Some(2), Some(1)]);
        assert!(!l.passes(c));
        // Without reports the page goes by the count alone.
        let mut l = Learner::new();
        l.reports = false;
        l.send(2);
        l.sim.reset();
        l.send(1);
        assert!(l.passes(c));
    }

    #[test]
    fn user_switch() {
        let c = Check::UserSwitch { to: None };
        let mut l = Learner::new();
        l.send(1);
        l.login("nagini", "crawl").send(1);
        assert!(!l.passes(c), "cobra was only at visit 1");
        l.login("cobra", "hiss").send(2);
        assert!(!l.passes(c));
        l.login("nagini", "crawl").send(1);
        assert!(l.passes(c));
        assert!(l.passes(Check::UserSwitch { to: Some("nagini") }));
        assert!(!l.passes(Check::UserSwitch { to: Some("viper") }));
        // After a reset the second user carries no session: not a switch.
        let mut l = Learner::new();
        l.send(2);
        l.sim.reset();
        l.login("viper", "bite").send(1);
        assert!(!l.passes(c));
        // Without a session there is nothing to switch.
        let mut l = Learner::new();
        l.send(2);
        l.session = false;
        l.login("viper", "bite").send(1);
        assert!(!l.passes(c));
    }

    #[test]
    fn path_hides_cookie() {
        let c = Check::PathHidesCookie;
        // The attribute lab's server writes the Path; the simulated browser then loses the
        // cookie as a real one does (a reset stands for it).
        let with_path = |path: &str| {
            let mut l = Learner::new();
            l.send(1);
            let report = l.t.entries.last_mut().unwrap().report.as_mut().unwrap();
            for h in report.response_headers.iter_mut() {
                if h.name.eq_ignore_ascii_case("set-cookie") {
                    h.value = h.value.replace("Path=/", &format!("Path={path}"));
                }
            }
            l.sim.reset();
            l.send(1);
            l.passes(c)
        };
        assert!(with_path("/playground"));
        assert!(with_path("/greet"));
        assert!(!with_path("/"), "a plain reset is another exercise");
        assert!(!with_path("/greeting"));
        let mut l = Learner::new();
        l.send(3);
        assert!(!l.passes(c));
    }

    #[test]
    fn replayed_after_logout_in_cookie_mode_only() {
        let c = Check::ReplayedAfterLogout;
        let mut l = Learner::new();
        l.send(2);
        assert!(!l.passes(c));
        l.log_out_and_replay();
        assert_eq!(l.visits().last(), Some(&Some(3)));
        assert!(l.passes(c));
        // Server mode: the replay starts over, so the check stays open.
        let mut l = Learner::new();
        l.sim = SimServer::in_mode(KEY, greeting_core::SessionMode::Server, |b| b.fill(3));
        l.send(2).log_out_and_replay();
        assert_eq!(l.visits().last(), Some(&Some(1)));
        assert!(!l.passes(c));
        // A greeting that merely continues a session, without a log out first, is no replay.
        let mut l = Learner::new();
        l.send(3);
        assert!(!l.passes(c));
    }

    #[test]
    fn tampered_restart() {
        let c = Check::TamperedRestart;
        let mut l = Learner::new();
        l.send(2);
        assert!(!l.passes(c));
        let bad = l.edited_cookie(50, "guessed-key");
        l.sim.plant(Some(bad));
        l.send(1);
        assert!(matches!(
            l.t.entries
                .last()
                .unwrap()
                .report
                .as_ref()
                .unwrap()
                .session_in,
            SessionIn::Rejected { .. }
        ));
        assert_eq!(l.visits().last(), Some(&Some(1)));
        assert!(l.passes(c));
        // A forged (correctly signed) cookie is not tampering.
        let mut l = Learner::new();
        l.send(1);
        let good = l.edited_cookie(5, KEY);
        l.sim.plant(Some(good));
        l.send(1);
        assert!(!l.passes(c));
    }

    #[test]
    fn forged_visit() {
        let c = Check::ForgedVisit { visit: 100 };
        let mut l = Learner::new();
        l.send(1);
        let forged = l.edited_cookie(99, KEY);
        l.sim.plant(Some(forged));
        l.send(1);
        assert_eq!(l.visits(), [Some(1), Some(100)]);
        assert!(l.passes(c));
        assert!(!l.passes(Check::ForgedVisit { visit: 101 }));
        // The honest way is not forging: the cookies were all the server's own.
        let mut l = Learner::new();
        l.send(5);
        assert!(!l.passes(Check::ForgedVisit { visit: 5 }));
        // A forged cookie under the wrong key is rejected: visit 1.
        let mut l = Learner::new();
        l.send(1);
        let bad = l.edited_cookie(99, "wrong");
        l.sim.plant(Some(bad));
        l.send(1);
        assert!(!l.passes(c));
        // Without reports: a jump in the count.
        let mut l = Learner::new();
        l.reports = false;
        l.send(1);
        let forged = l.edited_cookie(99, KEY);
        l.sim.plant(Some(forged));
        l.send(1);
        assert!(l.passes(c));
    }

    #[test]
    fn parallel_lost() {
        let c = Check::ParallelLost { count: 5 };
        let mut l = Learner::new();
        l.send(1);
        l.parallel(4);
        assert!(!l.passes(c), "four is not five");
        l.parallel(5);
        assert_eq!(&l.visits()[5..], [Some(3); 5]);
        assert!(l.passes(c));
        // Five in a row lose nothing.
        let mut l = Learner::new();
        l.send(5);
        assert!(!l.passes(c));
        // Five at once without a session: all visit 1, but nothing to lose.
        let mut l = Learner::new();
        l.session = false;
        l.parallel(5);
        assert!(!l.passes(c));
    }

    #[test]
    fn other_client() {
        let c = Check::OtherClient {
            user_agent: "python-requests",
            min_visit: 3,
        };
        let mut t = Timeline::new();
        script_session(&mut t, "curl/8.5.0", 3);
        assert!(!c.passes(&t.entries));
        script_session(&mut t, "python-requests/2.32.3", 2);
        assert!(!c.passes(&t.entries));
        script_session(&mut t, "python-requests/2.32.3", 3);
        assert!(c.passes(&t.entries));
        // The page's own requests are not another client.
        let mut l = Learner::new();
        l.send(3);
        assert!(!l.passes(Check::OtherClient {
            user_agent: "",
            min_visit: 1
        }));
        assert!(Check::OtherClient {
            user_agent: "",
            min_visit: 1
        }
        .passes(&t.entries));
    }

    #[test]
    fn pending_and_empty_timelines_pass_nothing() {
        for x in EXERCISES {
            assert!(!x.check.passes(&[]), "{}", x.id);
        }
        let mut t = Timeline::new();
        t.begin("p-1", 0, "/greeting", vec![], true, None);
        assert!(EXERCISES.iter().all(|x| !x.check.passes(&t.entries)));
    }

    #[test]
    fn newly_solved_skips_the_solved() {
        let mut l = Learner::new();
        l.send(3);
        let ids: Vec<&str> = newly_solved(&l.t.entries, &[], |_| false)
            .iter()
            .map(|x| x.id)
            .collect();
        assert_eq!(ids, ["three-visits"]);
        assert!(newly_solved(&l.t.entries, &[], |id| id == "three-visits").is_empty());
    }

    #[test]
    fn needs() {
        assert_eq!(Check::TamperedRestart.needs(), Needs::Reports);
        assert_eq!(
            Check::OtherClient {
                user_agent: "x",
                min_visit: 1
            }
            .needs(),
            Needs::OtherClients
        );
        assert_eq!(Check::VisitReached { visit: 3 }.needs(), Needs::Nothing);
    }
}
