//! The exchanges the page shows: its own fetches, merged with the server's side-channel reports
//! (matched by the `X-Playground-Exchange` id), and other clients' requests (reports with no id
//! of ours: a Python script in a terminal, another tab).

use greeting_core::{ExchangeReport, Header, SessionIn};

use super::errors::{classify, Context, Explanation, Failure};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A request this page made.
    Page,
    /// A request another client made, seen on the side channel.
    Other,
    /// A request the learner's Python made in this page (requests' own cookie jar).
    Python,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Page => "page",
            Source::Other => "other",
            Source::Python => "python",
        }
    }

    /// Sent from this page (its buttons or its Python), so answered and checked here.
    pub fn is_own(self) -> bool {
        !matches!(self, Source::Other)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Pending,
    /// An HTTP answer (any status).
    Answered {
        status: u16,
        body: String,
    },
    /// No usable answer, or one that is an error: explained.
    Failed(Explanation),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// 1, 2, 3... in the order the timeline learned of them.
    pub number: usize,
    /// The page's exchange id (`X-Playground-Exchange`), or the id another client sent.
    pub id: Option<String>,
    pub source: Source,
    /// When it started, Unix milliseconds.
    pub at_ms: u64,
    pub duration_ms: Option<f64>,
    pub method: String,
    pub path: String,
    /// The headers the page set on the fetch (the browser adds Cookie, User-Agent... itself).
    pub sent_headers: Vec<Header>,
    /// The response headers a page script could read.
    pub visible_response_headers: Vec<Header>,
    pub phase: Phase,
    /// The failure behind `Phase::Failed` also keeps the answer's status, when there was one.
    pub failed_status: Option<u16>,
    /// ... and its body.
    pub failed_body: Option<String>,
    /// What the server reported about it (side channel, or the simulated server).
    pub report: Option<ExchangeReport>,
    /// Sent with "Session: keep cookies".
    pub session_mode: bool,
    /// The chart line it belongs to, once its visit is known.
    pub session: Option<usize>,
    /// Which run of the page sent it (`send once`, `N in parallel`...), for grouping.
    pub batch: Option<String>,
    /// How many times the timeline changed this entry since it was added (answer, report, chart
    /// line): the page redraws a row only when its revision moves.
    pub revision: u32,
}

/// The visit number a greeting message states: `Welcome, X!` is 1, `... visit #N.` is N.
pub fn visit_from_message(message: &str) -> Option<u64> {
    if let Some(i) = message.find("visit #") {
        let digits: String = message[i + 7..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        return digits.parse().ok();
    }
    (message.starts_with("Welcome, ") && message.ends_with('!')).then_some(1)
}

/// The `message` of a greeting body, if it is one.
pub fn message_of(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.get("message")?.as_str().map(str::to_string)
}

impl Exchange {
    pub fn status(&self) -> Option<u16> {
        match &self.phase {
            Phase::Answered { status, .. } => Some(*status),
            Phase::Failed(_) => self
                .failed_status
                .or_else(|| self.report.as_ref().map(|r| r.status)),
            Phase::Pending => None,
        }
    }

    /// The raw body as received (or as reported, for other clients).
    pub fn body(&self) -> Option<&str> {
        match &self.phase {
            Phase::Answered { body, .. } => Some(body),
            Phase::Failed(_) if self.failed_body.is_some() => self.failed_body.as_deref(),
            _ => self.report.as_ref().map(|r| r.body.as_str()),
        }
    }

    pub fn message(&self) -> Option<String> {
        match &self.phase {
            Phase::Answered { status: 200, body } => message_of(body),
            _ => None,
        }
    }

    pub fn error(&self) -> Option<&Explanation> {
        match &self.phase {
            Phase::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The visit the server counted: from its report, else from the message.
    pub fn visit(&self) -> Option<u64> {
        if self.status() != Some(200) || self.error().is_some() {
            return None;
        }
        if let Some(s) = self.report.as_ref().and_then(|r| r.session_out.as_ref()) {
            return Some(s.visit);
        }
        self.message().as_deref().and_then(visit_from_message)
    }

    pub fn user(&self) -> Option<String> {
        if let Some(u) = self.report.as_ref().and_then(|r| r.user.clone()) {
            return Some(u);
        }
        let m = self.message()?;
        let rest = m
            .strip_prefix("Welcome back, ")
            .or_else(|| m.strip_prefix("Welcome, "))?;
        Some(rest.split(['!']).next()?.to_string())
    }

    pub fn cookie_in(&self) -> Option<&str> {
        self.report.as_ref()?.cookie_in.as_deref()
    }

    /// The session cookie the answer set (not an expiry).
    pub fn cookie_out(&self) -> Option<&str> {
        self.report
            .as_ref()?
            .cookie_out
            .as_deref()
            .filter(|c| !c.is_empty())
    }

    /// Request headers as the server received them when it reported them, else as the page set them.
    pub fn request_headers(&self) -> &[Header] {
        match &self.report {
            Some(r) if !r.request_headers.is_empty() => &r.request_headers,
            _ => &self.sent_headers,
        }
    }

    /// Response headers as the server sent them (with Set-Cookie) when reported, else those the
    /// browser let the page read.
    pub fn response_headers(&self) -> &[Header] {
        match &self.report {
            Some(r) if !r.response_headers.is_empty() => &r.response_headers,
            _ => &self.visible_response_headers,
        }
    }

    pub fn is_pending(&self) -> bool {
        matches!(self.phase, Phase::Pending)
    }
}

/// What a page fetch came back with.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    Answer {
        status: u16,
        body: String,
        headers: Vec<Header>,
    },
    Failure {
        explanation: Explanation,
        status: Option<u16>,
        body: Option<String>,
        headers: Vec<Header>,
    },
}

impl Completion {
    /// What an HTTP answer means for the timeline: a 2xx with the greeting JSON is an answer;
    /// anything else is an explained failure that keeps the status and body for the details.
    pub fn of_answer(
        status: u16,
        body: String,
        headers: Vec<Header>,
        content_type: Option<String>,
        ctx: &Context,
    ) -> Completion {
        let failure = if !(200..300).contains(&status) {
            Failure::Status {
                status,
                body: body.clone(),
            }
        } else if message_of(&body).is_none() {
            let content_type = content_type.or_else(|| {
                headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-type"))
                    .map(|h| h.value.clone())
            });
            Failure::NotJson {
                status,
                body: body.clone(),
                content_type,
            }
        } else {
            return Completion::Answer {
                status,
                body,
                headers,
            };
        };
        let mut ctx = ctx.clone();
        // A gateway error, or a 500 with a short non-JSON body, is what `trunk serve`'s proxy
        // answers when the greeting server behind it is down.
        ctx.via_dev_proxy = match &failure {
            Failure::Status {
                status: 502..=504, ..
            } => true,
            Failure::Status { status: 500, body } => {
                body.len() < 400 && serde_json::from_str::<serde::de::IgnoredAny>(body).is_err()
            }
            _ => false,
        };
        Completion::Failure {
            explanation: classify(&failure, &ctx),
            status: Some(status),
            body: Some(body),
            headers,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub entries: Vec<Exchange>,
    next_session: usize,
    /// Reports that named one of our ids before the page registered it (not expected, kept safe).
    early: Vec<ExchangeReport>,
    /// The session was reset after these many exchanges (shown as a divider before the next).
    pub resets: Vec<usize>,
    /// Cookie values planted with the cookie lab (the newest last, at most a few).
    planted: Vec<String>,
}

/// Only the course's endpoints appear in the timeline; the playground's own API calls do not.
pub fn is_course_path(path: &str) -> bool {
    !path.starts_with("/playground/")
}

impl Timeline {
    pub fn new() -> Timeline {
        Timeline::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Exchange `number`. Numbers are positions (1, 2, 3... from the last clear), so this is a
    /// lookup, not a search.
    pub fn get(&self, number: usize) -> Option<&Exchange> {
        match self.entries.get(number.checked_sub(1)?) {
            Some(e) if e.number == number => Some(e),
            _ => self.entries.iter().find(|e| e.number == number),
        }
    }

    /// Exchanges from the page, and how many of those are no longer pending.
    pub fn page_counts(&self) -> (usize, usize) {
        self.entries
            .iter()
            .filter(|e| e.source == Source::Page)
            .fold((0, 0), |(all, done), e| {
                (all + 1, done + usize::from(!e.is_pending()))
            })
    }

    /// The newest exchanges first: answers and reports belong to recent requests.
    fn index_of_id(&self, id: &str) -> Option<usize> {
        self.entries
            .iter()
            .rposition(|e| e.source.is_own() && e.id.as_deref() == Some(id))
    }

    /// Registers a page request about to be sent; returns its number.
    #[allow(clippy::too_many_arguments)]
    pub fn begin(
        &mut self,
        id: &str,
        at_ms: u64,
        path: &str,
        sent_headers: Vec<Header>,
        session_mode: bool,
        batch: Option<String>,
    ) -> usize {
        let number = self.entries.len() + 1;
        self.entries.push(Exchange {
            number,
            id: Some(id.to_string()),
            source: Source::Page,
            at_ms,
            duration_ms: None,
            method: "GET".into(),
            path: path.to_string(),
            sent_headers,
            visible_response_headers: Vec::new(),
            phase: Phase::Pending,
            failed_status: None,
            failed_body: None,
            report: None,
            session_mode,
            session: None,
            batch,
            revision: 0,
        });
        if let Some(pos) = self
            .early
            .iter()
            .position(|r| r.exchange_id.as_deref() == Some(id))
        {
            let r = self.early.remove(pos);
            self.attach(self.entries.len() - 1, r);
        }
        number
    }

    /// Registers a request of `source` with any method (the page's `POST /logout`, the page's
    /// Python); `with_cookie`: a Cookie header is on it. Returns its number.
    #[allow(clippy::too_many_arguments)]
    pub fn begin_as(
        &mut self,
        id: &str,
        at_ms: u64,
        method: &str,
        path: &str,
        headers: Vec<Header>,
        with_cookie: bool,
        source: Source,
    ) -> usize {
        let number = self.begin(id, at_ms, path, headers, with_cookie, None);
        if let Some(e) = self.entries.last_mut() {
            e.source = source;
            e.method = method.to_string();
        }
        number
    }

    /// Records how the page's fetch ended.
    pub fn complete(&mut self, id: &str, duration_ms: f64, completion: Completion) {
        let Some(i) = self.index_of_id(id) else {
            return;
        };
        let e = &mut self.entries[i];
        e.revision += 1;
        e.duration_ms = Some(duration_ms);
        match completion {
            Completion::Answer {
                status,
                body,
                headers,
            } => {
                e.phase = Phase::Answered { status, body };
                e.visible_response_headers = headers;
            }
            Completion::Failure {
                explanation,
                status,
                body,
                headers,
            } => {
                e.phase = Phase::Failed(explanation);
                e.failed_status = status;
                e.failed_body = body;
                e.visible_response_headers = headers;
            }
        }
        self.assign_session(i);
    }

    /// Takes a side-channel (or simulated) report. `own_prefix` is the prefix of this page's
    /// exchange ids: a report with such an id belongs to one of our requests even if the page
    /// no longer lists it. Returns whether the timeline changed.
    pub fn add_report(&mut self, report: ExchangeReport, own_prefix: &str) -> bool {
        if !is_course_path(&report.path) {
            return false;
        }
        if let Some(id) = report.exchange_id.clone() {
            if let Some(i) = self.index_of_id(&id) {
                self.attach(i, report);
                return true;
            }
            if !own_prefix.is_empty() && id.starts_with(own_prefix) {
                if self.early.len() < 64 {
                    self.early.push(report);
                }
                return false;
            }
        }
        let number = self.entries.len() + 1;
        let at_ms = report.at_ms;
        self.entries.push(Exchange {
            number,
            id: report.exchange_id.clone(),
            source: Source::Other,
            at_ms,
            duration_ms: Some(report.duration_micros as f64 / 1000.0),
            method: report.method.clone(),
            path: report.path.clone(),
            sent_headers: Vec::new(),
            visible_response_headers: Vec::new(),
            phase: Phase::Answered {
                status: report.status,
                body: report.body.clone(),
            },
            failed_status: None,
            failed_body: None,
            session_mode: report.cookie_in.is_some(),
            report: Some(report),
            session: None,
            batch: None,
            revision: 0,
        });
        self.assign_session(number - 1);
        true
    }

    fn attach(&mut self, i: usize, report: ExchangeReport) {
        self.entries[i].report = Some(report);
        self.entries[i].revision += 1;
        self.assign_session(i);
    }

    /// Puts an exchange on a chart line: the line of the exchange whose cookie it carried, else
    /// (no cookie information) the latest line of the same user and source one visit below,
    /// else a new line.
    fn assign_session(&mut self, i: usize) {
        let e = &self.entries[i];
        if e.session.is_some() {
            return;
        }
        let Some(visit) = e.visit() else { return };
        let continued = e
            .report
            .as_ref()
            .map(|r| matches!(r.session_in, SessionIn::Continued { .. }));
        let found = match (continued, e.cookie_in()) {
            (Some(true), Some(cin)) => self
                .entries
                .iter()
                .enumerate()
                .rev()
                .find(|(j, o)| *j != i && o.session.is_some() && o.cookie_out() == Some(cin))
                .and_then(|(_, o)| o.session),
            (Some(_), _) => None,
            (None, _) if visit > 1 => {
                let user = e.user();
                let source = e.source;
                self.entries[..i]
                    .iter()
                    .rev()
                    .find(|o| {
                        o.source == source
                            && o.session.is_some()
                            && o.user() == user
                            && o.visit().is_some_and(|v| v < visit)
                    })
                    .and_then(|o| o.session)
            }
            (None, _) => None,
        };
        let session = found.unwrap_or_else(|| {
            self.next_session += 1;
            self.next_session - 1
        });
        self.entries[i].session = Some(session);
        self.entries[i].revision += 1;
    }

    /// The points of the visit chart.
    pub fn chart_points(&self) -> Vec<super::chart::Point> {
        self.entries
            .iter()
            .filter_map(|e| {
                Some(super::chart::Point {
                    number: e.number,
                    visit: e.visit()?,
                    session: e.session?,
                    user: e.user().unwrap_or_default(),
                    other: e.source == Source::Other,
                    no_session: e.source == Source::Page && !e.session_mode,
                })
            })
            .collect()
    }

    /// The exchange whose cookie the cookie panel shows: `selected` when it set a cookie, else
    /// the latest one that did; and the cookie before it (same chart line first, else any).
    pub fn cookie_pair(&self, selected: Option<usize>) -> Option<(&Exchange, Option<&Exchange>)> {
        let current = selected
            .and_then(|n| self.get(n))
            .filter(|e| e.cookie_out().is_some())
            .or_else(|| self.entries.iter().rev().find(|e| e.cookie_out().is_some()))?;
        let earlier = self
            .entries
            .iter()
            .filter(|e| e.number < current.number && e.cookie_out().is_some());
        let same_line = earlier
            .clone()
            .rfind(|e| e.session.is_some() && e.session == current.session);
        Some((current, same_line.or_else(|| earlier.clone().next_back())))
    }

    /// Notes a session reset at this point of the timeline.
    pub fn mark_reset(&mut self) {
        let n = self.entries.len();
        if n > 0 && self.resets.last() != Some(&n) {
            self.resets.push(n);
        }
    }

    /// Remembers a cookie planted with the cookie lab, to tag the requests that carry it.
    pub fn note_planted(&mut self, value: &str) {
        if self.planted.len() >= 16 {
            self.planted.remove(0);
        }
        self.planted.push(value.to_string());
    }

    pub fn was_planted(&self, value: &str) -> bool {
        self.planted.iter().any(|p| p == value)
    }

    /// Whether a reset happened just before exchange `number`.
    pub fn reset_before(&self, number: usize) -> bool {
        number > 1 && self.resets.contains(&(number - 1))
    }

    /// Whether a reset happened right after exchange `number` (the divider shows as soon as the
    /// reset is done, before the next exchange exists).
    pub fn reset_after(&self, number: usize) -> bool {
        self.resets.contains(&number)
    }

    pub fn clear(&mut self) {
        *self = Timeline {
            next_session: self.next_session,
            planted: std::mem::take(&mut self.planted),
            ..Timeline::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use greeting_core::Session;

    fn report(
        id: Option<&str>,
        visit: u64,
        cin: Option<&str>,
        cout: &str,
        continued: bool,
    ) -> ExchangeReport {
        ExchangeReport {
            seq: 1,
            exchange_id: id.map(str::to_string),
            at_ms: 1_700_000_000_000,
            duration_micros: 1500,
            client: "127.0.0.1:5555".into(),
            user_agent: Some("python-requests/2.32".into()),
            method: "GET".into(),
            path: "/greeting".into(),
            request_headers: vec![Header::new("Authorization", "Basic Y29icmE6aGlzcw==")],
            status: 200,
            response_headers: vec![Header::new(
                "Set-Cookie",
                format!("session={cout}; HttpOnly; Path=/"),
            )],
            body: if visit == 1 {
                "{\n  \"message\": \"Welcome, cobra!\"\n}\n".into()
            } else {
                format!("{{\n  \"message\": \"Welcome back, cobra! This is visit #{visit}.\"\n}}\n")
            },
            user: Some("cobra".into()),
            cookie_in: cin.map(str::to_string),
            cookie_out: Some(cout.into()),
            session_in: if continued {
                SessionIn::Continued {
                    username: "cobra".into(),
                    visit: visit - 1,
                }
            } else {
                SessionIn::None
            },
            session_out: Some(Session {
                username: "cobra".into(),
                visit,
            }),
            notes: vec![],
            store_entry: None,
        }
    }

    fn answer(visit: u64) -> Completion {
        let body = if visit == 1 {
            "{\"message\": \"Welcome, cobra!\"}".to_string()
        } else {
            format!("{{\"message\": \"Welcome back, cobra! This is visit #{visit}.\"}}")
        };
        Completion::Answer {
            status: 200,
            body,
            headers: vec![],
        }
    }

    #[test]
    fn answers_are_sorted_into_greetings_and_failures() {
        use crate::model::errors::{Code, Probe};
        use crate::model::target::{parse_origin, TargetKind};
        let ctx = Context {
            kind: TargetKind::Server,
            page: parse_origin("http://localhost:5000"),
            target: None,
            session: true,
            probe: Probe::NotTried,
            via_dev_proxy: false,
            login: None,
        };
        let greeting = "{\"message\": \"Welcome, cobra!\"}".to_string();
        assert!(matches!(
            Completion::of_answer(200, greeting, vec![], None, &ctx),
            Completion::Answer { status: 200, .. }
        ));
        let code = |c: Completion| match c {
            Completion::Failure { explanation, .. } => Some(explanation.code),
            Completion::Answer { .. } => None,
        };
        let html = vec![Header::new("Content-Type", "text/html")];
        assert_eq!(
            code(Completion::of_answer(
                200,
                "<html>".into(),
                html,
                None,
                &ctx
            )),
            Some(Code::NotJson)
        );
        assert_eq!(
            code(Completion::of_answer(401, "{}".into(), vec![], None, &ctx)),
            Some(Code::Unauthorized)
        );
        assert_eq!(
            code(Completion::of_answer(
                502,
                "refused".into(),
                vec![],
                None,
                &ctx
            )),
            Some(Code::ProxyBackendDown)
        );
        assert_eq!(
            code(Completion::of_answer(
                500,
                "{\"e\": 1}".into(),
                vec![],
                None,
                &ctx
            )),
            Some(Code::ServerError),
            "a JSON 500 comes from the server itself"
        );
    }

    #[test]
    fn messages_give_visits() {
        assert_eq!(visit_from_message("Welcome, cobra!"), Some(1));
        assert_eq!(
            visit_from_message("Welcome back, cobra! This is visit #12."),
            Some(12)
        );
        assert_eq!(visit_from_message("hello"), None);
        assert_eq!(message_of("{\"message\": \"x\"}").as_deref(), Some("x"));
        assert_eq!(message_of("<html>"), None);
    }

    #[test]
    fn report_matches_fetch_by_id_in_either_order() {
        let mut t = Timeline::new();
        t.begin("p1-1", 0, "/greeting", vec![], true, None);
        assert!(t.add_report(report(Some("p1-1"), 1, None, "c1", false), "p1-"));
        t.complete("p1-1", 5.0, answer(1));
        t.begin("p1-2", 0, "/greeting", vec![], true, None);
        t.complete("p1-2", 5.0, answer(2));
        assert!(t.add_report(report(Some("p1-2"), 2, Some("c1"), "c2", true), "p1-"));
        assert_eq!(t.len(), 2);
        assert!(t
            .entries
            .iter()
            .all(|e| e.source == Source::Page && e.report.is_some()));
        assert_eq!(t.entries[1].visit(), Some(2));
        assert_eq!(t.entries[0].session, t.entries[1].session);
        assert_eq!(t.entries[1].response_headers()[0].name, "Set-Cookie");
    }

    #[test]
    fn python_requests_are_answered_and_reported_like_the_page_own() {
        let mut t = Timeline::new();
        let n = t.begin_as("p1-1", 0, "GET", "/greeting", vec![], false, Source::Python);
        assert!(t.add_report(report(Some("p1-1"), 1, None, "c1", false), "p1-"));
        t.complete("p1-1", 5.0, answer(1));
        t.begin_as("p1-2", 0, "GET", "/greeting", vec![], true, Source::Python);
        t.complete("p1-2", 5.0, answer(2));
        assert!(t.add_report(report(Some("p1-2"), 2, Some("c1"), "c2", true), "p1-"));
        assert_eq!((n, t.len()), (1, 2));
        assert!(t.entries.iter().all(|e| e.source == Source::Python
            && e.source.is_own()
            && !e.is_pending()
            && e.report.is_some()));
        assert_eq!(t.entries[0].session, t.entries[1].session);
        assert_eq!(t.entries[1].visit(), Some(2));
    }

    #[test]
    fn unmatched_reports_are_other_clients() {
        let mut t = Timeline::new();
        assert!(t.add_report(report(None, 1, None, "a1", false), "p1-"));
        assert!(t.add_report(report(None, 2, Some("a1"), "a2", true), "p1-"));
        assert_eq!(t.entries[0].source, Source::Other);
        assert_eq!(t.entries[1].visit(), Some(2));
        assert_eq!(t.entries[0].session, t.entries[1].session);
        assert_eq!(t.entries[1].duration_ms, Some(1.5));
        // Another page's id (another tab) is another client too.
        assert!(t.add_report(report(Some("zz-1"), 1, None, "b1", false), "p1-"));
        assert_eq!(t.entries[2].source, Source::Other);
        assert_ne!(t.entries[2].session, t.entries[0].session);
    }

    #[test]
    fn playground_api_reports_are_not_listed() {
        let mut t = Timeline::new();
        let mut r = report(None, 1, None, "x", false);
        r.path = "/playground/api/reset".into();
        assert!(!t.add_report(r, "p1-"));
        assert!(t.is_empty());
    }

    #[test]
    fn our_id_arriving_early_waits_for_the_fetch() {
        let mut t = Timeline::new();
        assert!(!t.add_report(report(Some("p1-9"), 1, None, "c", false), "p1-"));
        assert!(t.is_empty());
        t.begin("p1-9", 0, "/greeting", vec![], true, None);
        assert!(t.entries[0].report.is_some());
    }

    #[test]
    fn parallel_requests_share_a_line_and_lose_visits() {
        let mut t = Timeline::new();
        t.begin("p-1", 0, "/greeting", vec![], true, None);
        t.add_report(report(Some("p-1"), 1, None, "c1", false), "p-");
        t.complete("p-1", 1.0, answer(1));
        for k in 0..3 {
            let id = format!("p-b{k}");
            t.begin(&id, 0, "/greeting", vec![], true, Some("b".into()));
        }
        for k in [2, 0, 1] {
            let id = format!("p-b{k}");
            t.add_report(
                report(Some(&id), 2, Some("c1"), &format!("c2{k}"), true),
                "p-",
            );
            t.complete(&id, 1.0, answer(2));
        }
        let line = t.entries[0].session;
        assert!(t.entries.iter().all(|e| e.session == line));
        let batch = crate::model::batch::BatchSummary::of(&t, "b", Some(1), true);
        assert_eq!((batch.answered, batch.top, batch.lost()), (3, Some(2), 2));
        assert_eq!(batch.carried.get(&1), Some(&3), "all three carried visit 1");
        let pts = t.chart_points();
        assert_eq!(
            pts.iter().map(|p| p.visit).collect::<Vec<_>>(),
            vec![1, 2, 2, 2]
        );
    }

    #[test]
    fn without_reports_lines_follow_the_messages() {
        let mut t = Timeline::new();
        for (k, v) in [1, 2, 1, 1].into_iter().enumerate() {
            let id = format!("p-{k}");
            t.begin(&id, 0, "/greeting", vec![], v > 1, None);
            t.complete(&id, 1.0, answer(v));
        }
        let s: Vec<usize> = t.entries.iter().map(|e| e.session.unwrap()).collect();
        assert_eq!(s[0], s[1]);
        assert_ne!(s[1], s[2]);
        assert_ne!(s[2], s[3]);
        assert_eq!(t.entries[1].user().as_deref(), Some("cobra"));
    }

    #[test]
    fn failures_have_no_visit() {
        let mut t = Timeline::new();
        t.begin("p-1", 0, "/greeting", vec![], true, None);
        let explanation = Explanation {
            code: crate::model::errors::Code::Unauthorized,
            title: "401".into(),
            detail: String::new(),
        };
        t.complete(
            "p-1",
            1.0,
            Completion::Failure {
                explanation,
                status: Some(401),
                body: Some("{}\n".into()),
                headers: vec![],
            },
        );
        assert_eq!(t.entries[0].status(), Some(401));
        assert_eq!(t.entries[0].visit(), None);
        assert!(t.chart_points().is_empty());
    }

    #[test]
    fn resets_are_remembered_between_exchanges() {
        let mut t = Timeline::new();
        t.mark_reset();
        assert!(t.resets.is_empty(), "nothing to divide yet");
        t.add_report(report(None, 1, None, "a1", false), "p-");
        t.mark_reset();
        t.mark_reset();
        assert_eq!(t.resets, vec![1]);
        assert!(t.reset_before(2));
        assert!(!t.reset_before(1));
        assert!(
            t.reset_after(1),
            "the divider shows before exchange 2 exists"
        );
    }

    #[test]
    fn revisions_count_the_changes_to_one_entry() {
        let mut t = Timeline::new();
        t.begin("p-1", 0, "/greeting", vec![], true, None);
        t.begin("p-2", 0, "/greeting", vec![], true, None);
        assert_eq!(t.page_counts(), (2, 0));
        let revs = |t: &Timeline| t.entries.iter().map(|e| e.revision).collect::<Vec<_>>();
        assert_eq!(revs(&t), [0, 0]);
        t.add_report(report(Some("p-2"), 1, None, "c1", false), "p-");
        let after_report = revs(&t);
        assert_eq!(after_report[0], 0, "the other entry did not change");
        assert!(after_report[1] > 0);
        t.complete("p-2", 1.0, answer(1));
        assert!(revs(&t)[1] > after_report[1]);
        assert_eq!(revs(&t)[0], 0);
        assert_eq!(t.page_counts(), (2, 1));
        t.add_report(report(None, 2, Some("c1"), "c2", true), "p-");
        assert_eq!(
            t.page_counts(),
            (2, 1),
            "another client's exchange is not the page's"
        );
        assert_eq!(t.get(3).map(|e| e.source), Some(Source::Other));
        assert!(t.get(0).is_none() && t.get(4).is_none());
    }

    #[test]
    fn cookie_pair_prefers_the_same_line() {
        let mut t = Timeline::new();
        t.add_report(report(None, 1, None, "a1", false), "p-");
        t.add_report(report(None, 1, None, "b1", false), "p-");
        t.add_report(report(None, 2, Some("a1"), "a2", true), "p-");
        let (cur, prev) = t.cookie_pair(None).unwrap();
        assert_eq!(cur.cookie_out(), Some("a2"));
        assert_eq!(prev.unwrap().cookie_out(), Some("a1"));
        let (cur, prev) = t.cookie_pair(Some(2)).unwrap();
        assert_eq!(cur.cookie_out(), Some("b1"));
        assert_eq!(prev.unwrap().cookie_out(), Some("a1"));
    }
}
