//! The greeting server simulated inside the page: `greeting_core::Greeter` (the server's own
//! rules and cookie codec, compiled to wasm) plus a one-cookie jar standing in for the
//! browser's. It produces the same `ExchangeReport`s the real server sends on its side channel,
//! so the rest of the page cannot tell the difference except by the label.

use greeting_core::{ExchangeReport, Greeter, Header, SESSION_COOKIE_NAME};

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
    pub fn new(secret_key: impl Into<String>) -> SimServer {
        let secret_key = secret_key.into();
        SimServer {
            greeter: Greeter::new(secret_key.as_bytes().to_vec()),
            secret_key,
            jar: None,
            seq: 0,
        }
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

    /// Handles a `GET` (`/greeting` or `/user`) and returns the report the real server would send.
    pub fn handle(&mut self, req: &SimRequest<'_>) -> ExchangeReport {
        self.seq += 1;
        let now_secs = req.now_ms / 1000;
        let cookie_header = if req.include_cookies {
            self.jar
                .as_ref()
                .map(|v| format!("{SESSION_COOKIE_NAME}={v}"))
        } else {
            req.cookie.map(str::to_string)
        };

        let mut request_headers = Vec::new();
        if let Some(ua) = req.user_agent {
            request_headers.push(Header::new("User-Agent", ua));
        }
        request_headers.push(Header::new("Accept", "*/*"));
        if let Some(c) = &cookie_header {
            request_headers.push(Header::new("Cookie", c.clone()));
        }
        if let Some(a) = req.authorization {
            request_headers.push(Header::new("Authorization", a));
        }
        if let Some(id) = req.exchange_id {
            request_headers.push(Header::new("X-Playground-Exchange", id));
        }

        let path = req.path.split('?').next().unwrap_or("");
        let mut session_headers = Vec::new();
        let (status, body, user, cookie_in, cookie_out, session_in, session_out, notes) = match path
        {
            "/greeting" => {
                let o = self
                    .greeter
                    .greet(req.authorization, cookie_header.as_deref(), now_secs);
                session_headers = o.session_headers();
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
            seq: self.seq,
            exchange_id: req.exchange_id.map(str::to_string),
            at_ms: req.now_ms,
            duration_micros: 0,
            client: SIMULATED_CLIENT.into(),
            user_agent: req.user_agent.map(str::to_string),
            method: "GET".into(),
            path: req.path.to_string(),
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
            store_entry: None,
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
}
