//! The attribute lab's sentences: what Chrome does with the session cookie under the lab's
//! attributes (stored or not, sent or not to each path the lab probes), in Chrome's own
//! blocked-cookie reasons (the names DevTools and its protocol use), and where Python's
//! requests (`http.cookiejar`'s `DefaultCookiePolicy`) decides otherwise. The lab checks each
//! prediction against what the server's echo then received; the e2e test checks the reasons
//! against the ones Chromium itself reports.

use greeting_core::{CookieAttributes, SameSite, BROWSER_MAX_NAME_VALUE};

use super::target::Origin;

/// The paths the lab asks about, in the order it shows them.
pub const PROBES: [&str; 3] = ["/greeting", "/greeting/cookies", "/playground/api/cookies"];

/// Chrome's reasons for refusing to store a cookie (`Network.SetCookieBlockedReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    /// `SameSite=None` without `Secure`.
    SameSiteNoneInsecure,
    /// `Secure` set by a page that is not a secure context.
    SecureOnly,
    /// A `Domain` the page's host does not domain-match (or an IP address's other name).
    InvalidDomain,
    /// `__Host-` without `Secure`, with a `Domain`, or with a `Path` other than `/`.
    InvalidPrefix,
    /// Name and value longer than 4096 bytes.
    NameValuePairExceedsMaxSize,
}

/// Chrome's reasons for not sending a stored cookie (`Network.CookieBlockedReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSent {
    /// The request's path is not under the cookie's `Path`.
    NotOnPath,
    /// A `Secure` cookie on a request that is not secure.
    SecureOnly,
    /// `SameSite=Strict` on a request from another site (a link followed from it, too); Chrome
    /// names it with "Schemeful": it compares sites with their scheme (http and https differ).
    SchemefulSameSiteStrict,
}

impl NotStored {
    /// The reason as Chrome names it.
    pub fn name(self) -> &'static str {
        match self {
            NotStored::SameSiteNoneInsecure => "SameSiteNoneInsecure",
            NotStored::SecureOnly => "SecureOnly",
            NotStored::InvalidDomain => "InvalidDomain",
            NotStored::InvalidPrefix => "InvalidPrefix",
            NotStored::NameValuePairExceedsMaxSize => "NameValuePairExceedsMaxSize",
        }
    }

    /// Why, in a sentence.
    pub fn why(self) -> &'static str {
        match self {
            NotStored::SameSiteNoneInsecure => {
                "SameSite=None is accepted only with Secure: without it the browser drops the cookie."
            }
            NotStored::SecureOnly => {
                "A Secure cookie can only be set by a secure page (https, or localhost)."
            }
            NotStored::InvalidDomain => {
                "The Domain must be the page's host or a domain above it (never a public suffix, never another address)."
            }
            NotStored::InvalidPrefix => {
                "A __Host- cookie must be Secure, have Path=/ and no Domain."
            }
            NotStored::NameValuePairExceedsMaxSize => {
                "Name and value together are over the 4096 bytes a browser keeps: the cookie is dropped silently, and the browser keeps the one it had."
            }
        }
    }
}

impl NotSent {
    /// The reason as Chrome names it.
    pub fn name(self) -> &'static str {
        match self {
            NotSent::NotOnPath => "NotOnPath",
            NotSent::SecureOnly => "SecureOnly",
            NotSent::SchemefulSameSiteStrict => "SchemefulSameSiteStrict",
        }
    }

    /// Why, in a sentence.
    pub fn why(self) -> &'static str {
        match self {
            NotSent::NotOnPath => "The request's path is not under the cookie's Path.",
            NotSent::SecureOnly => "A Secure cookie goes only over a secure connection.",
            NotSent::SchemefulSameSiteStrict => {
                "SameSite=Strict: not sent when the request comes from another site, not even a link followed from it."
            }
        }
    }
}

/// Chrome's "potentially trustworthy": https, or a loopback host (`localhost`, 127.0.0.1,
/// `[::1]`), where `Secure` cookies work over plain http.
pub fn secure_context(page: &Origin) -> bool {
    page.scheme == "https" || page.is_loopback()
}

fn is_ip(page: &Origin) -> bool {
    page.host.starts_with('[') || page.host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// The other loopback name of the page's server (localhost and 127.0.0.1 are two sites), as
/// an origin with the same scheme and port.
pub fn other_site(page: &Origin) -> Option<Origin> {
    let host = match page.host.as_str() {
        "localhost" => "127.0.0.1",
        h if h.starts_with("127.") || h == "[::1]" => "localhost",
        _ => return None,
    };
    Some(Origin {
        host: host.into(),
        ..page.clone()
    })
}

/// Public suffixes a learner is likely to try (Chrome refuses a `Domain` that is one).
const PUBLIC_SUFFIXES: [&str; 6] = ["com", "org", "net", "io", "dev", "co.uk"];

/// Whether Chrome stores the cookie the page's own request got, and if not every reason it
/// gives (Chrome lists them all).
pub fn chrome_stores(a: &CookieAttributes, page: &Origin, name_value_len: usize) -> Vec<NotStored> {
    let mut why = Vec::new();
    if name_value_len > BROWSER_MAX_NAME_VALUE {
        why.push(NotStored::NameValuePairExceedsMaxSize);
    }
    if a.secure && !secure_context(page) {
        why.push(NotStored::SecureOnly);
    }
    if a.same_site == Some(SameSite::None) && !a.secure {
        why.push(NotStored::SameSiteNoneInsecure);
    }
    if let Some(domain) = &a.domain {
        let host = &page.host;
        let matches = if is_ip(page) {
            domain == host
        } else {
            domain == host || host.ends_with(&format!(".{domain}"))
        };
        if !matches || PUBLIC_SUFFIXES.contains(&domain.as_str()) {
            why.push(NotStored::InvalidDomain);
        }
    }
    if a.host_prefix && (!a.secure || a.path != "/" || a.domain.is_some()) {
        why.push(NotStored::InvalidPrefix);
    }
    why
}

/// RFC 6265's path-match: `request` is `path`, or below it.
pub fn path_matches(request: &str, path: &str) -> bool {
    request == path
        || (request.starts_with(path)
            && (path.ends_with('/') || request[path.len()..].starts_with('/')))
}

/// Whether Chrome sends a stored cookie on a request from the page to `request_path` on its
/// own host; with `from_other_site`, on a link followed from the other site's page (a
/// top-level navigation, where `Lax` cookies still go and `Strict` ones do not).
pub fn chrome_sends(
    a: &CookieAttributes,
    page: &Origin,
    request_path: &str,
    from_other_site: bool,
) -> Vec<NotSent> {
    let mut why = Vec::new();
    if !path_matches(request_path, &a.path) {
        why.push(NotSent::NotOnPath);
    }
    if a.secure && !secure_context(page) {
        why.push(NotSent::SecureOnly);
    }
    if from_other_site && a.same_site == Some(SameSite::Strict) {
        why.push(NotSent::SchemefulSameSiteStrict);
    }
    why
}

/// Where Python's requests (its `RequestsCookieJar`, `http.cookiejar`'s `DefaultCookiePolicy`
/// as in Python 3.14) decides otherwise than Chrome for a script talking to `page`'s server:
/// each a sentence. Checked against the real jar by the lab's "Ask requests' jar" button.
pub fn requests_differs(a: &CookieAttributes, page: &Origin) -> Vec<&'static str> {
    let mut out = Vec::new();
    if a.secure && page.scheme == "http" && page.is_loopback() {
        out.push(
            "requests keeps a Secure cookie but never sends it over http://, not even to localhost (http.cookiejar: \"secure cookie with non-secure request\"); Chrome treats localhost as secure and sends it.",
        );
    }
    if a.domain.as_deref() == Some("localhost") && page.host == "localhost" {
        out.push(
            "requests stores a Domain=localhost cookie under .localhost but never sends it back: http.cookiejar compares it with the host name localhost.local, which a name without a dot becomes. Chrome sends it.",
        );
    }
    if a.same_site.is_some() {
        out.push(
            "requests ignores SameSite: a script is not a page of any site, so it sends the cookie wherever Domain and Path allow.",
        );
    }
    if a.host_prefix && chrome_stores(a, page, 0).contains(&NotStored::InvalidPrefix) {
        out.push(
            "requests does not check the __Host- prefix: it stores the cookie Chrome refuses.",
        );
    }
    if a.same_site == Some(SameSite::None) && !a.secure {
        out.push(
            "requests stores a SameSite=None cookie without Secure: the rule is the browsers'.",
        );
    }
    out
}

/// The Python the lab runs in the page's Python to ask requests' own jar: the `Set-Cookie`
/// fed to it as if from `origin`'s `/greeting`, then the `Cookie` header it would send to each
/// probe, and `http.cookiejar`'s own debug lines (its reasons). Prints one line, `LAB-JAR:`
/// then JSON `{"stored": [...], "sent": {path: header or null}, "log": [...]}`.
pub fn requests_jar_script(origin: &str, set_cookie: &str) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let probes = PROBES
        .iter()
        .map(|p| quote(p))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"import email.message, http.cookiejar, io, json, logging
import requests
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar, get_cookie_header
_log = io.StringIO()
_handler = logging.StreamHandler(_log)
_logger = logging.getLogger("http.cookiejar")
_logger.addHandler(_handler)
_logger.setLevel(logging.DEBUG)
http.cookiejar.debug = True
class _Original:
    def __init__(self, value):
        self.msg = email.message.Message()
        self.msg["Set-Cookie"] = value
class _Response:
    def __init__(self, value):
        self._original_response = _Original(value)
_origin = {origin}
_jar = RequestsCookieJar()
_request = requests.Request("GET", _origin + "/greeting").prepare()
extract_cookies_to_jar(_jar, _request, _Response({set_cookie}))
_sent = {{}}
for _path in [{probes}]:
    _sent[_path] = get_cookie_header(_jar, requests.Request("GET", _origin + _path).prepare())
http.cookiejar.debug = False
_logger.removeHandler(_handler)
print("LAB-JAR:" + json.dumps({{
    "stored": [f"{{c.name}} for {{c.domain}}{{c.path}}" + ("; Secure" if c.secure else "") for c in _jar],
    "sent": _sent,
    "log": [l for l in _log.getvalue().splitlines() if l.strip()],
}}))
"#,
        origin = quote(origin),
        set_cookie = quote(set_cookie),
    )
}

/// What requests' jar answered, from the script's `LAB-JAR:` line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct JarAnswer {
    pub stored: Vec<String>,
    pub sent: std::collections::BTreeMap<String, Option<String>>,
    pub log: Vec<String>,
}

/// The `LAB-JAR:` line in the script's output, parsed.
pub fn parse_jar_answer(stdout: &str) -> Option<JarAnswer> {
    let line = stdout.lines().find_map(|l| l.strip_prefix("LAB-JAR:"))?;
    serde_json::from_str(line).ok()
}

/// The value of cookie `name` in an answer of the jar echo (`{"cookies": {...}}`): `Some(None)`
/// when the echo got no such cookie, `None` when the answer is not the echo's.
pub fn echoed(status: u16, body: &str, name: &str) -> Option<Option<String>> {
    #[derive(serde::Deserialize)]
    struct Echo {
        cookies: std::collections::BTreeMap<String, String>,
    }
    if status != 200 {
        return None;
    }
    let echo: Echo = serde_json::from_str(body).ok()?;
    Some(echo.cookies.get(name).cloned())
}

/// The `message` of the server's JSON error answer, else a short excerpt of it.
pub fn server_message(status: u16, body: &str) -> String {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| super::errors::excerpt(body, 200));
    format!("the server answered {status}: {message}")
}

/// One path the lab probed: what Chrome was expected to do and what the server then got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    pub path: &'static str,
    /// Chrome's reasons for not sending it there (empty: sent), when it was stored.
    pub predicted: Vec<NotSent>,
    /// Whether the cookie arrived there (`None`: the probe failed).
    pub arrived: Option<bool>,
}

impl Probed {
    /// The sentence for this path, given whether the cookie was expected to be stored.
    pub fn sentence(&self, stored: bool) -> String {
        let expected = match (stored, self.predicted.first()) {
            (false, _) => "Not sent: the browser did not store it.".to_string(),
            (true, None) => "Sent.".to_string(),
            (true, Some(r)) => format!("Not sent ({}): {}", r.name(), r.why()),
        };
        let seen = match self.arrived {
            None => "The probe failed.",
            Some(true) => "The server got it.",
            Some(false) => "The server got no such cookie.",
        };
        format!("{expected} {seen}")
    }

    /// Whether what arrived is what was predicted.
    pub fn agrees(&self, stored: bool) -> Option<bool> {
        let expected = stored && self.predicted.is_empty();
        self.arrived.map(|arrived| arrived == expected)
    }
}

/// The padding step's next greeting: which cookie it carried, in a sentence.
pub fn after_padding(kept: bool, carried_len: Option<usize>, padded_len: usize) -> String {
    match (kept, carried_len) {
        (true, Some(n)) if n == padded_len => format!(
            "The browser kept the {padded_len}-byte cookie and sent it back."
        ),
        (false, Some(n)) => format!(
            "The browser dropped the {padded_len}-byte cookie without a word and sent the old one ({n} bytes): the server saw no error, only an older session."
        ),
        (false, None) => format!(
            "The browser dropped the {padded_len}-byte cookie without a word, and had no older one: the next request carried no session cookie at all."
        ),
        (true, Some(n)) => format!(
            "The browser sent a {n}-byte cookie, not the {padded_len}-byte one it was given."
        ),
        (true, None) => "The browser sent no session cookie.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(host: &str) -> Origin {
        Origin {
            scheme: "http".into(),
            host: host.into(),
            port: Some(5000),
        }
    }

    fn attrs(f: impl FnOnce(&mut CookieAttributes)) -> CookieAttributes {
        let mut a = CookieAttributes::default();
        f(&mut a);
        a
    }

    #[test]
    fn the_other_site() {
        assert_eq!(
            other_site(&page("localhost")).unwrap().to_url(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(other_site(&page("127.0.0.1")).unwrap().host, "localhost");
        assert_eq!(other_site(&page("example.com")), None);
        assert!(secure_context(&page("[::1]")));
        assert!(!secure_context(&page("teacher.example")));
    }

    // What Chromium 156 reported for these (Network.responseReceivedExtraInfo's blocked
    // cookies, on a page at http://localhost); e2e/tests/attributes.rs checks it again.
    #[test]
    fn chromes_decisions_on_storing() {
        let local = page("localhost");
        assert!(chrome_stores(&CookieAttributes::default(), &local, 80).is_empty());
        assert!(chrome_stores(&attrs(|a| a.secure = true), &local, 80).is_empty());
        assert_eq!(
            chrome_stores(&attrs(|a| a.same_site = Some(SameSite::None)), &local, 80),
            [NotStored::SameSiteNoneInsecure]
        );
        assert!(
            chrome_stores(&attrs(|a| a.domain = Some("localhost".into())), &local, 80).is_empty()
        );
        for domain in ["example.com", "127.0.0.1", "com"] {
            assert_eq!(
                chrome_stores(&attrs(|a| a.domain = Some(domain.into())), &local, 80),
                [NotStored::InvalidDomain],
                "{domain}"
            );
        }
        assert_eq!(
            chrome_stores(&attrs(|a| a.host_prefix = true), &local, 80),
            [NotStored::InvalidPrefix]
        );
        assert!(chrome_stores(
            &attrs(|a| {
                a.host_prefix = true;
                a.secure = true
            }),
            &local,
            80
        )
        .is_empty());
        assert_eq!(
            chrome_stores(&CookieAttributes::default(), &local, 4097),
            [NotStored::NameValuePairExceedsMaxSize]
        );
        assert!(chrome_stores(&CookieAttributes::default(), &local, 4096).is_empty());
        let remote = page("teacher.example");
        assert_eq!(
            chrome_stores(&attrs(|a| a.secure = true), &remote, 80),
            [NotStored::SecureOnly]
        );
        assert!(
            chrome_stores(&attrs(|a| a.domain = Some("example".into())), &remote, 80).is_empty()
        );
    }

    #[test]
    fn chromes_decisions_on_sending() {
        let local = page("localhost");
        let on = |path: &str| attrs(|a| a.path = path.into());
        assert!(chrome_sends(&on("/"), &local, "/greeting", false).is_empty());
        assert!(chrome_sends(&on("/greeting"), &local, "/greeting/cookies", false).is_empty());
        assert_eq!(
            chrome_sends(&on("/greeting"), &local, "/playground/api/cookies", false),
            [NotSent::NotOnPath]
        );
        assert_eq!(
            chrome_sends(&on("/greet"), &local, "/greeting", false),
            [NotSent::NotOnPath]
        );
        assert_eq!(
            chrome_sends(&on("/playground"), &local, "/greeting", false),
            [NotSent::NotOnPath]
        );
        let strict = attrs(|a| a.same_site = Some(SameSite::Strict));
        assert!(chrome_sends(&strict, &local, "/greeting", false).is_empty());
        assert_eq!(
            chrome_sends(&strict, &local, "/greeting/cookies", true),
            [NotSent::SchemefulSameSiteStrict]
        );
        let lax = attrs(|a| a.same_site = Some(SameSite::Lax));
        assert!(chrome_sends(&lax, &local, "/greeting/cookies", true).is_empty());
        assert!(chrome_sends(&CookieAttributes::default(), &local, "/greeting", true).is_empty());
    }

    #[test]
    fn where_requests_differs() {
        let local = page("localhost");
        assert!(requests_differs(&CookieAttributes::default(), &local).is_empty());
        let secure = requests_differs(&attrs(|a| a.secure = true), &local);
        assert_eq!(secure.len(), 1);
        assert!(secure[0].contains("never sends it over http://"));
        let domain = requests_differs(&attrs(|a| a.domain = Some("localhost".into())), &local);
        assert!(domain[0].contains("localhost.local"));
        assert!(requests_differs(
            &attrs(|a| a.domain = Some("localhost".into())),
            &page("127.0.0.1")
        )
        .is_empty());
    }

    #[test]
    fn the_jar_script_and_its_answer() {
        let s = requests_jar_script(
            "http://localhost:5000",
            "session=v; Secure; HttpOnly; Path=/",
        );
        assert!(s.contains("_origin = \"http://localhost:5000\""));
        assert!(s.contains("_Response(\"session=v; Secure; HttpOnly; Path=/\")"));
        assert!(s.contains("[\"/greeting\", \"/greeting/cookies\", \"/playground/api/cookies\"]"));
        let answer = parse_jar_answer(
            "noise\nLAB-JAR:{\"stored\": [\"session for localhost.local/\"], \"sent\": {\"/greeting\": null}, \"log\": [\"x\"]}\n",
        )
        .unwrap();
        assert_eq!(answer.stored, ["session for localhost.local/"]);
        assert_eq!(answer.sent["/greeting"], None);
        assert_eq!(parse_jar_answer("nothing"), None);
    }

    #[test]
    fn echoes_and_probes() {
        assert_eq!(
            echoed(200, r#"{"cookies": {"session": "v"}}"#, "session"),
            Some(Some("v".into()))
        );
        assert_eq!(
            echoed(200, r#"{"cookies": {}}"#, "__Host-session"),
            Some(None)
        );
        assert_eq!(echoed(404, "{}", "session"), None);
        assert_eq!(
            server_message(400, r#"{"message": "Path must start with `/`."}"#),
            "the server answered 400: Path must start with `/`."
        );
        let p = Probed {
            path: "/playground/api/cookies",
            predicted: vec![NotSent::NotOnPath],
            arrived: Some(false),
        };
        assert_eq!(p.agrees(true), Some(true));
        assert!(p.sentence(true).starts_with("Not sent (NotOnPath): "));
        assert!(p
            .sentence(true)
            .ends_with("Path. The server got no such cookie."));
        let sent = Probed {
            predicted: vec![],
            arrived: Some(true),
            ..p.clone()
        };
        assert_eq!(sent.agrees(true), Some(true));
        assert_eq!(sent.agrees(false), Some(false));
        assert_eq!(sent.sentence(true), "Sent. The server got it.");
    }

    #[test]
    fn what_the_next_request_carried_after_padding() {
        assert!(after_padding(false, Some(3100), 4300).contains("sent the old one (3100 bytes)"));
        assert!(after_padding(false, None, 4300).contains("no session cookie at all"));
        assert!(after_padding(true, Some(3100), 3100).contains("kept the 3100-byte cookie"));
    }
}
