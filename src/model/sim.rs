//! The greeting server simulated inside the page: `greeting_core::Greeter` (the server's own
//! rules and cookie codec, compiled to wasm) plus a one-cookie jar standing in for the
//! browser's. It produces the same `ExchangeReport`s the real server sends on its side channel,
//! so the rest of the page cannot tell the difference except by the label.
//!
//! It keeps sessions either way the greeting server can (`--sessions cookie|server`): in the
//! signed cookie, or in a simulated store under a random id, with greeting-core's store rules
//! and log out ([`greeting_core::stored`]), the ones the server runs around its real store.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use greeting_core::{
    EntryAfter, ExchangeReport, Greeter, GreetingOutcome, Header, SessionMode, StoreLookup,
    SESSION_COOKIE_NAME,
};
use serde_json::{Map, Value};

/// The version the simulated server names in its `Server` header.
pub const SERVER_HEADER: &str = concat!(
    "greeting-core/",
    env!("CARGO_PKG_VERSION"),
    " (simulated in this page)"
);

#[derive(Debug, Clone)]
pub struct SimServer {
    greeter: Greeter,
    secret_key: String,
    /// The `session` cookie the simulated browser holds.
    jar: Option<String>,
    seq: u64,
    /// Where sessions live.
    mode: SessionMode,
    /// Server mode: the simulated store, session id to session.
    store: HashMap<String, Map<String, Value>>,
    /// Fills a new session id's bytes (the browser's random source on the page).
    random: fn(&mut [u8]),
}

/// One simulated request, as the page would send it.
#[derive(Debug, Clone, Default)]
pub struct SimRequest<'a> {
    pub path: &'a str,
    pub authorization: Option<&'a str>,
    /// `credentials: "include"`: send the jar's cookie and keep what the server sets.
    pub include_cookies: bool,
    /// The Cookie header of a client with its own jar (Python in this page): sent when
    /// `include_cookies` is false, and the page's jar is neither read nor written.
    pub cookie: Option<&'a str>,
    pub exchange_id: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// Unix milliseconds.
    pub now_ms: u64,
    /// The `Date` header (the caller formats it: `Date.toUTCString()` in the browser).
    pub date: &'a str,
}

/// The client address the simulated server reports for the page's requests.
pub const SIMULATED_CLIENT: &str = "this page";

impl SimServer {
    /// A simulated server in cookie mode (the chapter's).
    pub fn new(secret_key: impl Into<String>) -> SimServer {
        SimServer::in_mode(secret_key, SessionMode::Cookie, |_| {})
    }

    /// A simulated server keeping sessions as `mode` says; `random` fills new session ids.
    pub fn in_mode(
        secret_key: impl Into<String>,
        mode: SessionMode,
        random: fn(&mut [u8]),
    ) -> SimServer {
        let secret_key = secret_key.into();
        SimServer {
            greeter: Greeter::new(secret_key.as_bytes().to_vec()),
            secret_key,
            jar: None,
            seq: 0,
            mode,
            store: HashMap::new(),
            random,
        }
    }

    pub fn mode(&self) -> SessionMode {
        self.mode
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The simulated browser's cookie jar: the `session` cookie, if any.
    pub fn jar(&self) -> Option<&str> {
        self.jar.as_deref()
    }

    /// Puts a value in the jar (what `POST /playground/api/plant` does on the real server).
    pub fn plant(&mut self, value: Option<String>) {
        self.jar = value.filter(|v| !v.is_empty());
    }

    /// What `POST /playground/api/reset` does: the server expires the cookie, the jar drops it.
    pub fn reset(&mut self) {
        self.jar = None;
    }

    /// The names of the users it knows (the course's).
    pub fn user_names(&self) -> Vec<String> {
        self.greeter.users.names()
    }

    pub fn max_age_secs(&self) -> u64 {
        self.greeter.max_age_secs
    }

    /// `GET /greeting` where this server keeps sessions.
    fn greet(
        &mut self,
        authorization: Option<&str>,
        cookie_header: Option<&str>,
        now: u64,
    ) -> GreetingOutcome {
        if self.mode == SessionMode::Cookie {
            return self.greeter.greet(authorization, cookie_header, now);
        }
        let lookup = greeting_core::find_session_cookie(cookie_header);
        let notes = lookup.note().into_iter().collect();
        let cookie_in = lookup.value;
        let found = match cookie_in.as_deref() {
            None | Some("") => StoreLookup::NoCookie,
            Some(id) => match self.store.get(id) {
                Some(data) => StoreLookup::Found(data.clone()),
                None => StoreLookup::Missing,
            },
        };
        let kept = cookie_in
            .clone()
            .filter(|_| matches!(found, StoreLookup::Found(_)));
        let (opened, _) = found.open();
        let greeted = self
            .greeter
            .greet_opened(authorization, opened, cookie_in, notes);
        let mut outcome = greeted.outcome;
        let Some(data) = greeted.session else {
            return outcome;
        };
        let id = kept.unwrap_or_else(|| self.new_id());
        self.store.insert(id.clone(), data.clone());
        let lifetime = self.greeter.max_age_secs;
        outcome.set_cookie = Some(greeting_core::stored_set_cookie(&id, now, lifetime));
        outcome.cookie_out = Some(id.clone());
        outcome.store_entry = Some(EntryAfter {
            id,
            data: Some(data),
            ttl_secs: Some(lifetime),
        });
        outcome
    }

    /// A new session id: 32 random bytes in URL-safe base64, as the server's.
    fn new_id(&self) -> String {
        let mut bytes = [0u8; 32];
        (self.random)(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// `POST /logout`: in server mode the session's entry is deleted; in both modes the jar is
    /// asked to forget its cookie (when the request used it).
    pub fn logout(&mut self, req: &SimRequest<'_>) -> ExchangeReport {
        self.seq += 1;
        let cookie_header = self.cookie_header(req);
        let cookie_in = greeting_core::find_session_cookie(cookie_header.as_deref()).value;
        let deleted = match self.mode {
            SessionMode::Cookie => None,
            SessionMode::Server => cookie_in.clone().filter(|id| !id.is_empty()).inspect(|id| {
                self.store.remove(id);
            }),
        };
        let outcome = greeting_core::logout(self.mode, cookie_in, deleted);
        let body = greeting_core::logout_body(&outcome);
        let response_headers = vec![
            Header::new("Content-Type", "application/json"),
            Header::new("Content-Length", body.len().to_string()),
            Header::new("Set-Cookie", outcome.set_cookie),
            Header::new("Server", SERVER_HEADER),
            Header::new("Date", req.date),
        ];
        if req.include_cookies {
            self.jar = None;
        }
        ExchangeReport {
            method: "POST".into(),
            path: "/logout".into(),
            request_headers: self.request_headers(req, cookie_header.as_deref()),
            status: 200,
            response_headers,
            body,
            user: None,
            cookie_in: outcome.cookie_in,
            cookie_out: Some(String::new()),
            session_in: greeting_core::SessionIn::None,
            session_out: None,
            notes: vec![outcome.message],
            store_entry: outcome.deleted.map(|id| {
                EntryAfter {
                    id,
                    data: None,
                    ttl_secs: None,
                }
                .report()
            }),
            ..self.report_of(req)
        }
    }

    /// What every report of `req` says about where and when it was made.
    fn report_of(&self, req: &SimRequest<'_>) -> ExchangeReport {
        ExchangeReport {
            seq: self.seq,
            exchange_id: req.exchange_id.map(str::to_string),
            at_ms: req.now_ms,
            duration_micros: 0,
            client: SIMULATED_CLIENT.into(),
            user_agent: req.user_agent.map(str::to_string),
            method: "GET".into(),
            path: req.path.to_string(),
            request_headers: Vec::new(),
            status: 0,
            response_headers: Vec::new(),
            body: String::new(),
            user: None,
            cookie_in: None,
            cookie_out: None,
            session_in: greeting_core::SessionIn::None,
            session_out: None,
            notes: Vec::new(),
            store_entry: None,
        }
    }

    /// The `Cookie` header a request carries: the jar's, or its own client's.
    fn cookie_header(&self, req: &SimRequest<'_>) -> Option<String> {
        if req.include_cookies {
            self.jar
                .as_ref()
                .map(|v| format!("{SESSION_COOKIE_NAME}={v}"))
        } else {
            req.cookie.map(str::to_string)
        }
    }

    /// The request headers as the server would see them.
    fn request_headers(&self, req: &SimRequest<'_>, cookie_header: Option<&str>) -> Vec<Header> {
        let mut request_headers = Vec::new();
        if let Some(ua) = req.user_agent {
            request_headers.push(Header::new("User-Agent", ua));
        }
        request_headers.push(Header::new("Accept", "*/*"));
        if let Some(c) = cookie_header {
            request_headers.push(Header::new("Cookie", c));
        }
        if let Some(a) = req.authorization {
            request_headers.push(Header::new("Authorization", a));
        }
        if let Some(id) = req.exchange_id {
            request_headers.push(Header::new("X-Playground-Exchange", id));
        }
        request_headers
    }

    /// Handles a `GET` (`/greeting` or `/user`) and returns the report the real server would send.
    pub fn handle(&mut self, req: &SimRequest<'_>) -> ExchangeReport {
        self.seq += 1;
        let now_secs = req.now_ms / 1000;
        let cookie_header = self.cookie_header(req);
        let request_headers = self.request_headers(req, cookie_header.as_deref());
        let mut store_entry = None;

        let path = req.path.split('?').next().unwrap_or("");
        let mut session_headers = Vec::new();
        let (status, body, user, cookie_in, cookie_out, session_in, session_out, notes) = match path
        {
            "/greeting" => {
                let o = self.greet(req.authorization, cookie_header.as_deref(), now_secs);
                session_headers = o.session_headers();
                store_entry = o.store_entry.as_ref().map(EntryAfter::report);
                (
                    o.status,
                    o.body,
                    o.user,
                    o.cookie_in,
                    o.cookie_out,
                    o.session_in,
                    o.session_out,
                    o.notes,
                )
            }
            "/user" => {
                let o = self.greeter.user(req.authorization);
                let cookie_in = greeting_core::find_session_cookie(cookie_header.as_deref()).value;
                (
                    o.status,
                    o.body,
                    o.user,
                    cookie_in,
                    None,
                    greeting_core::SessionIn::None,
                    None,
                    o.notes,
                )
            }
            _ => (
                404,
                "<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n".to_string(),
                None,
                None,
                None,
                greeting_core::SessionIn::None,
                None,
                vec![format!(
                    "The simulated server only knows /greeting and /user, not {path}."
                )],
            ),
        };

        let content_type = if status == 404 {
            "text/html; charset=utf-8"
        } else {
            "application/json"
        };
        let mut response_headers = vec![
            Header::new("Content-Type", content_type),
            Header::new("Content-Length", body.len().to_string()),
        ];
        response_headers.extend(
            session_headers
                .into_iter()
                .map(|(name, value)| Header::new(name, value)),
        );
        response_headers.push(Header::new("Server", SERVER_HEADER));
        response_headers.push(Header::new("Date", req.date));

        if req.include_cookies {
            if let Some(v) = &cookie_out {
                self.jar = if v.is_empty() { None } else { Some(v.clone()) };
            }
        }

        ExchangeReport {
            request_headers,
            status,
            response_headers,
            body,
            user,
            cookie_in,
            cookie_out,
            session_in,
            session_out,
            notes,
            store_entry,
            ..self.report_of(req)
        }
    }
}

impl SimServer {
    /// Requests sent at once, as a browser does with parallel fetches: every one leaves with the
    /// cookie the jar holds now (no answer has arrived yet), and the jar ends up with the
    /// cookie of the last answer. The visits counted in between are lost.
    pub fn handle_parallel(&mut self, reqs: &[SimRequest<'_>]) -> Vec<ExchangeReport> {
        let snapshot = self.jar.clone();
        let mut last_set: Option<Option<String>> = None;
        let mut out = Vec::with_capacity(reqs.len());
        for r in reqs {
            self.jar = snapshot.clone();
            let report = self.handle(r);
            if r.include_cookies && report.cookie_out.is_some() {
                last_set = Some(self.jar.clone());
            }
            out.push(report);
        }
        self.jar = last_set.unwrap_or(snapshot);
        out
    }
}

/// A key for the simulated server from some random bytes: printable, like the keys
/// `secrets.token_hex` makes.
pub fn key_from_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use greeting_core::{basic_auth_header, SessionIn};

    fn req<'a>(auth: &'a str, include: bool, now_ms: u64) -> SimRequest<'a> {
        SimRequest {
            path: "/greeting",
            authorization: Some(auth),
            include_cookies: include,
            cookie: None,
            exchange_id: Some("x"),
            user_agent: Some("test"),
            now_ms,
            date: "Thu, 18 Nov 2021 17:53:33 GMT",
        }
    }

    #[test]
    fn session_counts_visits() {
        let mut s = SimServer::new("playground-demo-secret");
        let auth = basic_auth_header("cobra", "hiss");
        let now = 1_637_258_013_000;
        let r1 = s.handle(&req(&auth, true, now));
        assert_eq!(r1.status, 200);
        assert_eq!(r1.body, "{\n  \"message\": \"Welcome, cobra!\"\n}\n");
        assert_eq!(r1.session_in, SessionIn::None);
        // The chapter's check vector: same secret, same timestamp.
        assert_eq!(
            r1.cookie_out.as_deref(),
            Some("eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE")
        );
        assert_eq!(s.jar(), r1.cookie_out.as_deref());
        let names: Vec<&str> = r1
            .response_headers
            .iter()
            .map(|h| h.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "Content-Length",
                "Vary",
                "Set-Cookie",
                "Server",
                "Date"
            ]
        );
        assert_eq!(r1.response_headers[1].value, "35");

        let r2 = s.handle(&req(&auth, true, now));
        assert!(r2.body.contains("This is visit #2."));
        assert_eq!(r2.response_headers[1].value, "58");
        assert!(r2
            .request_headers
            .iter()
            .any(|h| h.name == "Cookie" && h.value.starts_with("session=eyJ1c2Vy")));
        let r3 = s.handle(&req(&auth, true, now));
        assert_eq!(r3.session_out.unwrap().visit, 3);
    }

    #[test]
    fn no_session_is_always_visit_one() {
        let mut s = SimServer::new("k");
        let auth = basic_auth_header("cobra", "hiss");
        for _ in 0..3 {
            let r = s.handle(&req(&auth, false, 1_700_000_000_000));
            assert_eq!(r.session_out.unwrap().visit, 1);
            assert!(!r.request_headers.iter().any(|h| h.name == "Cookie"));
        }
        assert_eq!(s.jar(), None);
    }

    #[test]
    fn a_client_with_its_own_jar_leaves_the_page_jar_alone() {
        let mut s = SimServer::new("k");
        let auth = basic_auth_header("cobra", "hiss");
        let first = s.handle(&req(&auth, false, 1_700_000_000_000));
        let cookie = format!("session={}", first.cookie_out.unwrap());
        let mut r = req(&auth, false, 1_700_000_000_000);
        r.cookie = Some(&cookie);
        let second = s.handle(&r);
        assert_eq!(second.session_out.unwrap().visit, 2);
        assert!(second
            .request_headers
            .iter()
            .any(|h| h.name == "Cookie" && h.value == cookie));
        assert_eq!(s.jar(), None);
    }

    #[test]
    fn wrong_password_is_401_and_keeps_the_jar() {
        let mut s = SimServer::new("k");
        let good = basic_auth_header("cobra", "hiss");
        s.handle(&req(&good, true, 1_700_000_000_000));
        let before = s.jar().map(str::to_string);
        let bad = basic_auth_header("cobra", "meow");
        let r = s.handle(&req(&bad, true, 1_700_000_000_000));
        assert_eq!(r.status, 401);
        assert_eq!(r.body, "{}\n");
        assert_eq!(s.jar().map(str::to_string), before);
    }

    #[test]
    fn reset_starts_over_and_other_user_restarts() {
        let mut s = SimServer::new("k");
        let cobra = basic_auth_header("cobra", "hiss");
        s.handle(&req(&cobra, true, 1_700_000_000_000));
        s.handle(&req(&cobra, true, 1_700_000_000_000));
        s.reset();
        assert_eq!(
            s.handle(&req(&cobra, true, 1_700_000_000_000))
                .session_out
                .unwrap()
                .visit,
            1
        );
        let nagini = basic_auth_header("nagini", "crawl");
        let r = s.handle(&req(&nagini, true, 1_700_000_000_000));
        assert!(matches!(r.session_in, SessionIn::OtherUser { .. }));
        assert_eq!(r.session_out.unwrap().visit, 1);
    }

    #[test]
    fn parallel_requests_all_count_from_the_same_cookie() {
        let mut s = SimServer::new("k");
        let auth = basic_auth_header("cobra", "hiss");
        s.handle(&req(&auth, true, 1_700_000_000_000));
        let batch: Vec<SimRequest> = (0..5)
            .map(|_| req(&auth, true, 1_700_000_000_000))
            .collect();
        let reports = s.handle_parallel(&batch);
        assert!(reports
            .iter()
            .all(|r| r.session_out.as_ref().unwrap().visit == 2));
        let next = s.handle(&req(&auth, true, 1_700_000_000_000));
        assert_eq!(next.session_out.unwrap().visit, 3);
    }

    #[test]
    fn user_endpoint_and_unknown_path() {
        let mut s = SimServer::new("k");
        let cobra = basic_auth_header("cobra", "hiss");
        let mut r = req(&cobra, true, 1_700_000_000_000);
        r.path = "/user";
        let rep = s.handle(&r);
        assert_eq!(rep.status, 200);
        assert!(rep.body.contains("jar.fowler@example.com"));
        r.path = "/nope";
        assert_eq!(s.handle(&r).status, 404);
    }

    fn counting_random(bytes: &mut [u8]) {
        use std::sync::atomic::{AtomicU8, Ordering};
        static NEXT: AtomicU8 = AtomicU8::new(1);
        bytes.fill(NEXT.fetch_add(1, Ordering::Relaxed));
    }

    /// Greets twice, logs out, then replays the cookie the jar held before log out.
    fn log_out_and_replay(s: &mut SimServer) -> (ExchangeReport, ExchangeReport, ExchangeReport) {
        let auth = basic_auth_header("cobra", "hiss");
        let now = 1_700_000_000_000;
        s.handle(&req(&auth, true, now));
        let second = s.handle(&req(&auth, true, now));
        let old = format!("session={}", s.jar().unwrap());
        let out = s.logout(&req(&auth, true, now));
        assert_eq!(s.jar(), None, "log out empties the jar");
        let mut replay = req(&auth, false, now);
        replay.cookie = Some(&old);
        let replayed = s.handle(&replay);
        (second, out, replayed)
    }

    #[test]
    fn cookie_mode_a_replayed_cookie_still_works_after_log_out() {
        let mut s = SimServer::new("k");
        let (second, out, replayed) = log_out_and_replay(&mut s);
        assert_eq!(second.store_entry, None);
        assert_eq!(
            (out.method.as_str(), out.path.as_str(), out.status),
            ("POST", "/logout", 200)
        );
        assert!(
            out.body.contains("still works until it expires"),
            "{}",
            out.body
        );
        assert!(out
            .response_headers
            .iter()
            .any(|h| h.name == "Set-Cookie" && h.value == greeting_core::EXPIRE_SESSION_COOKIE));
        assert_eq!(out.store_entry, None);
        assert!(
            replayed
                .body
                .contains("Welcome back, cobra! This is visit #3."),
            "{}",
            replayed.body
        );
    }

    #[test]
    fn server_mode_keeps_the_session_in_the_store_and_log_out_deletes_it() {
        let mut s = SimServer::in_mode("k", SessionMode::Server, counting_random);
        let (second, out, replayed) = log_out_and_replay(&mut s);
        let id = second.cookie_out.clone().unwrap();
        assert_eq!(id.len(), 43, "{id}");
        let entry = second.store_entry.unwrap();
        assert_eq!(entry.key, Some(format!("session:{id}")));
        assert_eq!(
            entry.value.as_deref(),
            Some(r#"{"_permanent":true,"username":"cobra","visit":2}"#)
        );
        assert_eq!(entry.ttl_secs, Some(s.max_age_secs()));
        assert!(second
            .response_headers
            .iter()
            .any(|h| h.name == "Set-Cookie"
                && h.value.starts_with(&format!("session={id}; Expires="))
                && h.value.ends_with("GMT; HttpOnly; Path=/")));

        assert!(
            out.body.contains("deleted from the server's store"),
            "{}",
            out.body
        );
        assert_eq!(out.store_entry.as_ref().and_then(|e| e.value.clone()), None);
        assert_eq!(
            out.store_entry.and_then(|e| e.key),
            Some(format!("session:{id}"))
        );

        assert!(
            replayed.body.contains("Welcome, cobra!"),
            "{}",
            replayed.body
        );
        assert!(
            matches!(&replayed.session_in, SessionIn::Rejected { reason } if reason.contains("no session with this id"))
        );
        assert_ne!(
            replayed.cookie_out.as_deref(),
            Some(id.as_str()),
            "a new id"
        );
    }
}
