//! "Run in playground": what the chapter's `>>>` lines print, recomputed from the responses the
//! page just obtained, in Python's notation, to show beside what the chapter printed.

use greeting_core::Header;

use super::pyrepr::{headers_repr, str_repr, value_repr};

/// One response of a run, bound to the name the chapter's code gives it (`r1`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunResponse {
    pub name: String,
    pub status: Option<u16>,
    pub body: Option<String>,
    pub response_headers: Vec<Header>,
    pub request_headers: Vec<Header>,
    /// False when the page could only see the headers a browser exposes (no side channel).
    pub headers_from_server: bool,
    /// Why there is no response.
    pub error: Option<String>,
}

/// One `>>>` line of a "Run in playground" comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedLine {
    /// The Python expression (`r1.json()`).
    pub expression: String,
    /// What the chapter printed for it.
    pub chapter_printed: String,
    /// What it prints with the responses the page just got (or `# why not`).
    pub got: String,
    /// Whether both tell the same story ([`same_story`]).
    pub same: bool,
    /// Why the two cannot be compared, when they cannot (`same` is then false).
    pub not_comparable: Option<&'static str>,
}

/// Why the request headers a browser sent are not the chapter's.
pub const BROWSER_HEADERS: &str = "not comparable: a browser sends its own request headers (User-Agent, Accept, \
     Connection...), not python-requests' ones; the Authorization and Cookie headers are the ones to compare";

impl ComparedLine {
    /// Evaluates `expression` against `responses` and compares with what the chapter printed.
    pub fn compute(
        expression: &str,
        chapter_printed: &str,
        responses: &[RunResponse],
    ) -> ComparedLine {
        let got = eval(expression, responses).unwrap_or_else(|e| format!("# {e}"));
        let not_comparable = unwrap_print(expression)
            .ends_with(".request.headers")
            .then_some(BROWSER_HEADERS);
        ComparedLine {
            expression: expression.to_string(),
            chapter_printed: chapter_printed.to_string(),
            same: not_comparable.is_none() && same_story(chapter_printed, &got),
            got,
            not_comparable,
        }
    }
}

/// Strips one `print( ... )` around an expression.
fn unwrap_print(expr: &str) -> &str {
    let e = expr.trim();
    e.strip_prefix("print(")
        .and_then(|r| r.strip_suffix(')'))
        .map(str::trim)
        .unwrap_or(e)
}

/// What the statement prints in Python, computed from `responses`; `Err` explains when the page
/// cannot reproduce it.
pub fn eval(expr: &str, responses: &[RunResponse]) -> Result<String, String> {
    let e = unwrap_print(expr);
    let (name, attr) = e
        .split_once('.')
        .ok_or_else(|| format!("`{e}` is not reproduced in the playground"))?;
    let r = responses
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| format!("`{name}` is not one of the responses this sample makes"))?;
    if let Some(err) = &r.error {
        return Err(format!("{name}: no response ({err})"));
    }
    let body = r.body.as_deref().unwrap_or("");
    match attr {
        "json()" => serde_json::from_str::<serde_json::Value>(body)
            .map(|v| value_repr(&v))
            .map_err(|_| {
                format!(
                    "requests.exceptions.JSONDecodeError: the body is not JSON: {}",
                    super::errors::excerpt(body, 80)
                )
            }),
        "text" => Ok(str_repr(body)),
        "status_code" => r
            .status
            .map(|s| s.to_string())
            .ok_or_else(|| "no status".to_string()),
        "ok" => Ok(if r.status.is_some_and(|s| s < 400) {
            "True"
        } else {
            "False"
        }
        .to_string()),
        "headers" => {
            let text = headers_repr(
                r.response_headers
                    .iter()
                    .map(|h| (h.name.as_str(), h.value.as_str())),
            );
            if r.headers_from_server {
                Ok(text)
            } else {
                Ok(format!(
                    "{text}\n# only the headers the browser lets a page read; Set-Cookie never is"
                ))
            }
        }
        "request.headers" => {
            if r.request_headers.is_empty() {
                return Err(
                    "the page cannot see the request headers the browser sent (no side channel)"
                        .into(),
                );
            }
            Ok(headers_repr(
                r.request_headers
                    .iter()
                    .map(|h| (h.name.as_str(), h.value.as_str())),
            ))
        }
        other => Err(format!("`.{other}` is not reproduced in the playground")),
    }
}

/// The expected and actual text of a whole block: `>>> expr` lines with the output under each.
pub fn transcript<'a>(statements: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut out = String::new();
    for (expr, output) in statements {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(">>> ");
        out.push_str(expr);
        out.push('\n');
        out.push_str(&output);
    }
    out
}

/// Whether the actual output tells the same story as the chapter's: equal, or equal once the
/// parts that depend on the moment and the key (cookie timestamp and signature, dates, server,
/// user agent) are set aside. Used to mark a statement "as in the chapter".
pub fn same_story(expected: &str, actual: &str) -> bool {
    if expected == actual {
        return true;
    }
    // Messages and status codes must match exactly; header dicts only by their names.
    let names = |s: &str| -> Option<Vec<String>> {
        let s = s.trim();
        if !(s.starts_with('{') && s.contains(": ")) {
            return None;
        }
        Some(
            s.trim_matches(|c| c == '{' || c == '}')
                .split(", '")
                .filter_map(|kv| {
                    kv.split_once("': ")
                        .map(|(k, _)| k.trim_start_matches('\'').to_ascii_lowercase())
                })
                .collect(),
        )
    };
    match (names(expected), names(actual)) {
        (Some(a), Some(b)) if a.len() > 1 => {
            a.iter().filter(|n| b.contains(n)).count() * 2 >= a.len()
                && expected.contains("session=")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(name: &str, body: &str) -> RunResponse {
        RunResponse {
            name: name.into(),
            status: Some(200),
            body: Some(body.into()),
            response_headers: vec![
                Header::new("Content-Type", "application/json"),
                Header::new("Set-Cookie", "session=a.b.c; HttpOnly; Path=/"),
            ],
            request_headers: vec![Header::new("Authorization", "Basic Y29icmE6aGlzcw==")],
            headers_from_server: true,
            error: None,
        }
    }

    #[test]
    fn json_like_python_prints_it() {
        let rs = [resp("r1", "{\n  \"message\": \"Welcome, cobra!\"\n}\n")];
        assert_eq!(
            eval("r1.json()", &rs).unwrap(),
            "{'message': 'Welcome, cobra!'}"
        );
        assert_eq!(
            eval("print(r1.json())", &rs).unwrap(),
            "{'message': 'Welcome, cobra!'}"
        );
        assert_eq!(eval("r1.status_code", &rs).unwrap(), "200");
    }

    #[test]
    fn headers_and_request_headers() {
        let rs = [resp("r2", "{}")];
        assert_eq!(
            eval("r2.headers", &rs).unwrap(),
            "{'Content-Type': 'application/json', 'Set-Cookie': 'session=a.b.c; HttpOnly; Path=/'}"
        );
        assert_eq!(
            eval("r2.request.headers", &rs).unwrap(),
            "{'Authorization': 'Basic Y29icmE6aGlzcw=='}"
        );
        let mut limited = resp("r2", "{}");
        limited.headers_from_server = false;
        assert!(eval("r2.headers", &[limited])
            .unwrap()
            .contains("Set-Cookie never is"));
    }

    #[test]
    fn what_cannot_be_reproduced_says_so() {
        let rs = [resp("r1", "<html>")];
        assert!(eval("r1.json()", &rs).unwrap_err().contains("not JSON"));
        assert!(eval("r9.json()", &rs).is_err());
        assert!(eval("r1.cookies", &rs).is_err());
        assert!(eval("len(x)", &rs).is_err());
        let failed = RunResponse {
            name: "r1".into(),
            error: Some("server down".into()),
            ..Default::default()
        };
        assert!(eval("r1.json()", &[failed])
            .unwrap_err()
            .contains("server down"));
    }

    #[test]
    fn compared_lines_mark_what_matches() {
        let rs = [resp("r1", "{\"message\": \"Welcome, cobra!\"}")];
        let line = ComparedLine::compute("r1.json()", "{'message': 'Welcome, cobra!'}", &rs);
        assert!(line.same);
        assert_eq!(line.got, "{'message': 'Welcome, cobra!'}");
        let line = ComparedLine::compute("r1.cookies", "<RequestsCookieJar[]>", &rs);
        assert!(!line.same && line.got.starts_with("# "), "{line:?}");
        let rs = [resp("r2", "{}")];
        let line = ComparedLine::compute(
            "r2.request.headers",
            "{'Authorization': 'Basic Y29icmE6aGlzcw=='}",
            &rs,
        );
        assert_eq!(
            (line.same, line.not_comparable),
            (false, Some(BROWSER_HEADERS))
        );
    }

    #[test]
    fn transcripts() {
        assert_eq!(
            transcript([("a", "1".to_string()), ("b", "2".to_string())]),
            ">>> a\n1\n>>> b\n2"
        );
    }

    #[test]
    fn same_story_ignores_cookie_values_but_not_messages() {
        assert!(same_story(
            "{'message': 'Welcome, cobra!'}",
            "{'message': 'Welcome, cobra!'}"
        ));
        assert!(!same_story(
            "{'message': 'Welcome, cobra!'}",
            "{'message': 'Welcome back, cobra! This is visit #2.'}"
        ));
        let a = "{'Content-Type': 'application/json', 'Vary': 'Cookie', 'Set-Cookie': 'session=x.y.z; HttpOnly; Path=/'}";
        let b = "{'Content-Type': 'application/json', 'Vary': 'Cookie', 'Set-Cookie': 'session=p.q.r; HttpOnly; Path=/'}";
        assert!(same_story(a, b));
    }
}
