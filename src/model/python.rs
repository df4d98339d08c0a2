//! The page's Python (issue 18), the pure part: what a request from `requests` in the worker
//! looks like, what the page answers, and the rules of the transport that keeps the browser's
//! cookie jar out of it. The worker and its messages are in `src/python.rs` and
//! `python/README.md`.

use greeting_core::Header;
use serde::{Deserialize, Serialize};

pub use greeting_core::{CARRIED_COOKIE, CARRIED_HEADER_NAMES, CARRIED_SET_COOKIE};

/// Where the timeline says a request from the worker came from.
pub const CLIENT_LABEL: &str = "Python in this page";

/// One request `requests` sent (what `HTTPAdapter.send` hands to the page).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PyRequest {
    pub method: String,
    pub url: String,
    /// As requests prepared them: its jar's `Cookie` and `s.auth`'s `Authorization` included.
    pub headers: Vec<Header>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u32>,
}

impl PyRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// Path and query of the URL (`/greeting`), `/` when it has none.
    pub fn path(&self) -> String {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        match rest.find('/') {
            Some(i) => rest[i..].split('#').next().unwrap_or("/").to_string(),
            None => "/".into(),
        }
    }
}

/// What the page answers: a response, or why there is none (requests raises ConnectionError).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PyAnswer {
    Response {
        status: u16,
        reason: String,
        headers: Vec<Header>,
        body: String,
    },
    Error {
        error: String,
    },
}

/// Headers a page's fetch cannot set (the browser writes them itself, or refuses them): they
/// stay in requests' own record of the request, and the Cookie travels in [`CARRIED_COOKIE`].
pub fn browser_sets(name: &str) -> bool {
    const FORBIDDEN: &[&str] = &[
        "accept-charset",
        "accept-encoding",
        "connection",
        "content-length",
        "cookie",
        "date",
        "host",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "via",
    ];
    let lower = name.to_ascii_lowercase();
    FORBIDDEN.contains(&lower.as_str()) || lower.starts_with("sec-") || lower.starts_with("proxy-")
}

/// The headers of a fetch for `req`: requests' own, minus those the browser owns, plus the
/// jar's cookie in [`CARRIED_COOKIE`] (which also asks the server for [`CARRIED_SET_COOKIE`]).
pub fn fetch_headers(req: &PyRequest) -> Vec<Header> {
    let mut out: Vec<Header> = req
        .headers
        .iter()
        .filter(|h| !browser_sets(&h.name))
        .cloned()
        .collect();
    out.push(Header::new(
        CARRIED_COOKIE,
        req.header("Cookie").unwrap_or_default(),
    ));
    out
}

/// The response headers requests sees from a fetch: each carried `Set-Cookie` back under its
/// own name; a `Content-Encoding` dropped, since the browser has already decoded the body.
///
/// A fetch sees the names lowercased and sorted. When the server sent [`CARRIED_HEADER_NAMES`]
/// (the greeting server does, when asked), the headers come back in its order and case, each
/// listed name taking the next value seen under it; headers it does not list (CORS, the pair)
/// are left out, as a terminal would not get them. The browser joins repeated headers into one
/// value, so a name listed twice (two `Set-Cookie`) comes back once, with both values joined.
pub fn answer_headers(seen: Vec<Header>) -> Vec<Header> {
    let listed = seen
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(CARRIED_HEADER_NAMES))
        .map(|h| h.value.clone());
    let visible: Vec<Header> = seen
        .into_iter()
        .filter(|h| {
            !h.name.eq_ignore_ascii_case("content-encoding")
                && !h.name.eq_ignore_ascii_case(CARRIED_HEADER_NAMES)
        })
        .map(|h| {
            if h.name.eq_ignore_ascii_case(CARRIED_SET_COOKIE) {
                Header::new("Set-Cookie", h.value)
            } else {
                h
            }
        })
        .collect();
    let Some(listed) = listed else {
        return visible;
    };
    let mut taken = vec![false; visible.len()];
    let mut out = Vec::new();
    for name in listed.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let next =
            (0..visible.len()).find(|&i| !taken[i] && visible[i].name.eq_ignore_ascii_case(name));
        if let Some(i) = next {
            taken[i] = true;
            out.push(Header::new(name, visible[i].value.clone()));
        }
    }
    out
}

/// Whether the page's simulated server answers `method` on `path` (its GETs and
/// `POST /logout`); anything else needs a real greeting server.
pub fn simulated_answers(method: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    method == "GET" || (method == "POST" && path == "/logout")
}

/// The reason phrase Flask (Werkzeug) sends with the greeting server's statuses.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "NO CONTENT",
        400 => "BAD REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT FOUND",
        405 => "METHOD NOT ALLOWED",
        500 => "INTERNAL SERVER ERROR",
        _ => "",
    }
}

/// The chapter's base URL, as its samples write it.
pub const CHAPTER_BASE: &str = "http://localhost:5000";

/// A sample's code pointed at `base` (the greeting server's URL, no trailing slash): the
/// chapter's code unchanged but for the URL it is served at. `None` keeps the chapter's URL.
pub fn for_base(code: &str, base: Option<&str>) -> String {
    match base {
        Some(b) if !b.is_empty() && b != CHAPTER_BASE => code.replace(CHAPTER_BASE, b),
        _ => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> PyRequest {
        PyRequest {
            method: "GET".into(),
            url: "http://localhost:5000/greeting?x=1#top".into(),
            headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
            body: None,
            timeout_ms: None,
        }
    }

    #[test]
    fn the_simulated_server_answers_gets_and_the_log_out() {
        assert!(simulated_answers("GET", "/greeting"));
        assert!(simulated_answers("POST", "/logout?next=1"));
        assert!(!simulated_answers("POST", "/greeting"));
        assert!(!simulated_answers("DELETE", "/logout"));
    }

    #[test]
    fn path_of_urls() {
        assert_eq!(req(&[]).path(), "/greeting?x=1");
        let mut r = req(&[]);
        r.url = "http://localhost:5000".into();
        assert_eq!(r.path(), "/");
    }

    #[test]
    fn fetch_carries_the_jar_cookie_and_leaves_browser_headers_out() {
        let r = req(&[
            ("User-Agent", "python-requests/2.34.2"),
            ("Accept-Encoding", "gzip, deflate, zstd"),
            ("Accept", "*/*"),
            ("Connection", "keep-alive"),
            ("Cookie", "session=abc"),
            ("Authorization", "Basic Y29icmE6aGlzcw=="),
        ]);
        let sent = fetch_headers(&r);
        let names: Vec<&str> = sent.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["Accept", "Authorization", CARRIED_COOKIE]);
        assert_eq!(sent[2].value, "session=abc");
        // No cookie in the jar: still asks for the Set-Cookie, with an empty value.
        let first = fetch_headers(&req(&[("Accept", "*/*")]));
        assert_eq!(first.last().unwrap(), &Header::new(CARRIED_COOKIE, ""));
    }

    #[test]
    fn carried_set_cookie_comes_back_as_set_cookie() {
        let seen = vec![
            Header::new("content-encoding", "gzip"),
            Header::new("content-type", "application/json"),
            Header::new("x-playground-set-cookie", "session=v; HttpOnly; Path=/"),
        ];
        let got = answer_headers(seen);
        assert_eq!(
            got,
            vec![
                Header::new("content-type", "application/json"),
                Header::new("Set-Cookie", "session=v; HttpOnly; Path=/"),
            ]
        );
    }

    #[test]
    fn listed_names_give_the_servers_order_and_case() {
        // As a fetch sees the greeting server's answer: lowercase, sorted, CORS included.
        let seen = vec![
            Header::new("access-control-allow-origin", "http://localhost:8080"),
            Header::new("content-length", "35"),
            Header::new("content-type", "application/json"),
            Header::new("date", "Tue, 01 Dec 2026 23:23:31 GMT"),
            Header::new("server", "greeting-server/0.1.0"),
            Header::new("vary", "Cookie"),
            Header::new(
                "x-playground-header-names",
                "Content-Type, Content-Length, Vary, Set-Cookie, Server, Date",
            ),
            Header::new("x-playground-set-cookie", "session=v; HttpOnly; Path=/"),
        ];
        let got = answer_headers(seen);
        let names: Vec<&str> = got.iter().map(|h| h.name.as_str()).collect();
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
        assert_eq!(got[3].value, "session=v; HttpOnly; Path=/");
        assert_eq!(got[1].value, "35");
        // A listed name the page cannot read is left out; nothing panics on a bad list.
        let got = answer_headers(vec![
            Header::new("content-type", "text/plain"),
            Header::new(
                "x-playground-header-names",
                ", Content-Type,,Secret, Content-Type",
            ),
        ]);
        assert_eq!(got, vec![Header::new("Content-Type", "text/plain")]);
    }

    #[test]
    fn answers_serialize_as_the_transport_reads_them() {
        let a = PyAnswer::Response {
            status: 401,
            reason: reason(401).into(),
            headers: vec![Header::new("Vary", "Cookie")],
            body: "{}\n".into(),
        };
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"status":401,"reason":"UNAUTHORIZED","headers":[{"name":"Vary","value":"Cookie"}],"body":"{}\n"}"#
        );
        let e = PyAnswer::Error {
            error: "refused".into(),
        };
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"error":"refused"}"#);
        let r: PyRequest = serde_json::from_str(
            r#"{"method":"GET","url":"http://h/greeting","headers":[{"name":"Cookie","value":"a=b"}],"body":null,"timeout_ms":null}"#,
        )
        .unwrap();
        assert_eq!(r.header("cookie"), Some("a=b"));
    }

    #[test]
    fn code_follows_the_target() {
        let code = "GREETING_URL = \"http://localhost:5000/greeting\"\n";
        assert_eq!(for_base(code, None), code);
        assert_eq!(
            for_base(code, Some("http://127.0.0.1:4321")),
            "GREETING_URL = \"http://127.0.0.1:4321/greeting\"\n"
        );
    }
}
