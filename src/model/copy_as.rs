//! "Copy as Python" and "copy as curl": the `requests` code and the curl commands that do what
//! the learner just did in the playground (session or not, credentials, N requests in a row or
//! at once, the target URL), ready to run against the same server.

use greeting_core::parse_basic_auth;

use super::timeline::{Exchange, Source};

/// What to reproduce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    /// Keep cookies between the requests (`requests.Session()`, a curl cookie jar).
    pub session: bool,
    pub username: String,
    pub password: String,
    /// How many requests.
    pub count: u32,
    /// All at once rather than one after the other.
    pub parallel: bool,
    /// The full URL requested.
    pub url: String,
}

/// What the page's latest action was, read from its timeline: the batch of the latest request
/// when it was sent "at once", else the run of requests before it with the same settings (in a
/// session, from the session's first visit). `base` is the target's base URL, joined with the
/// request's path. `None` when the page has sent nothing.
pub fn last_action(entries: &[Exchange], base: &str) -> Option<Recipe> {
    let page: Vec<&Exchange> = entries
        .iter()
        .filter(|e| e.source == Source::Page)
        .collect();
    let last = *page.last()?;
    let auth = authorization(last);
    let (username, password) = match parse_basic_auth(auth.as_deref()) {
        Ok(c) => (c.username, c.password),
        Err(_) => (String::new(), String::new()),
    };
    let (count, parallel) = match &last.batch {
        Some(b) => (
            page.iter().filter(|e| e.batch.as_ref() == Some(b)).count(),
            true,
        ),
        None => {
            let mut n = 0;
            for e in page.iter().rev() {
                if e.batch.is_some()
                    || e.session_mode != last.session_mode
                    || authorization(e) != auth
                    || e.path != last.path
                {
                    break;
                }
                n += 1;
                if last.session_mode && e.visit() == Some(1) {
                    break;
                }
            }
            (n, false)
        }
    };
    Some(Recipe {
        session: last.session_mode,
        username,
        password,
        count: count.max(1) as u32,
        parallel,
        url: super::target::join(base, &last.path),
    })
}

fn authorization(e: &Exchange) -> Option<String> {
    e.sent_headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("authorization"))
        .map(|h| h.value.clone())
}

/// A Python string literal in double quotes.
pub fn py_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A POSIX shell word in single quotes.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The `requests` code.
pub fn python(r: &Recipe) -> String {
    let auth = format!("({}, {})", py_str(&r.username), py_str(&r.password));
    let n = r.count.max(1);
    let mut s = String::from("import requests\n");
    if r.parallel {
        s.push_str("from concurrent.futures import ThreadPoolExecutor\n");
    }
    s.push_str(&format!("\nURL = {}\n\n", py_str(&r.url)));
    let show = "print(r.status_code, r.json())";
    match (r.session, r.parallel) {
        (true, false) => {
            s.push_str("with requests.Session() as s:  # keeps the cookies, like \"Session: keep cookies\"\n");
            s.push_str(&format!("    s.auth = {auth}\n"));
            if n == 1 {
                s.push_str(&format!("    r = s.get(URL)\n    {show}\n"));
            } else {
                s.push_str(&format!(
                    "    for _ in range({n}):\n        r = s.get(URL)\n        {show}\n"
                ));
            }
        }
        (false, false) => {
            s.push_str(&format!("AUTH = {auth}\n\n"));
            s.push_str(
                "# No Session: each call starts with an empty cookie jar, like \"No session\".\n",
            );
            if n == 1 {
                s.push_str(&format!("r = requests.get(URL, auth=AUTH)\n{show}\n"));
            } else {
                s.push_str(&format!(
                    "for _ in range({n}):\n    r = requests.get(URL, auth=AUTH)\n    {show}\n"
                ));
            }
        }
        (true, true) => {
            s.push_str("with requests.Session() as s:\n");
            s.push_str(&format!("    s.auth = {auth}\n"));
            s.push_str("    # A new Session starts with an empty jar; add an s.get(URL) here to begin from visit 1.\n");
            s.push_str(&format!(
                "    # The {n} requests leave together, each with the cookie the jar holds now.\n"
            ));
            s.push_str(&format!(
                "    with ThreadPoolExecutor(max_workers={n}) as pool:\n"
            ));
            s.push_str(&format!(
                "        replies = list(pool.map(lambda _: s.get(URL), range({n})))\n"
            ));
            s.push_str(&format!("    for r in replies:\n        {show}\n"));
        }
        (false, true) => {
            s.push_str(&format!("AUTH = {auth}\n\n"));
            s.push_str(&format!(
                "with ThreadPoolExecutor(max_workers={n}) as pool:\n"
            ));
            s.push_str(&format!("    replies = list(pool.map(lambda _: requests.get(URL, auth=AUTH), range({n})))\n"));
            s.push_str(&format!("for r in replies:\n    {show}\n"));
        }
    }
    s
}

/// The curl commands (a cookie jar file `jar.txt` plays the session).
pub fn curl(r: &Recipe) -> String {
    let n = r.count.max(1);
    let mut cmd = format!(
        "curl -sS -u {}",
        sh_quote(&format!("{}:{}", r.username, r.password))
    );
    if r.session {
        cmd.push_str(" -b jar.txt -c jar.txt");
    }
    cmd.push(' ');
    cmd.push_str(&sh_quote(&r.url));
    let mut s = String::new();
    if r.session {
        s.push_str(
            "# jar.txt is the session: -b sends its cookie, -c stores the new Set-Cookie.\n",
        );
        s.push_str("rm -f jar.txt  # a new session starts with an empty jar\n");
    } else {
        s.push_str("# No cookie jar: curl keeps no cookies between calls, like \"No session\".\n");
    }
    match (n, r.parallel) {
        (1, _) => s.push_str(&format!("{cmd}\n")),
        (_, false) => s.push_str(&format!("for i in $(seq {n}); do\n  {cmd}\ndone\n")),
        (_, true) => {
            s.push_str(&format!(
                "# {n} at once: each reads the jar before any answer is written back.\n"
            ));
            s.push_str(&format!("for i in $(seq {n}); do\n  {cmd} &\ndone\nwait\n"));
        }
    }
    if r.session {
        s.push_str("cat jar.txt  # the session cookie, as curl stored it\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::timeline::{Completion, Timeline};
    use greeting_core::{basic_auth_header, greeting_message, Header};

    fn recipe(session: bool, count: u32, parallel: bool) -> Recipe {
        Recipe {
            session,
            username: "cobra".into(),
            password: "hiss".into(),
            count,
            parallel,
            url: "http://127.0.0.1:5000/greeting".into(),
        }
    }

    /// A page request with these settings, answered with `visit`.
    fn sent(t: &mut Timeline, user: &str, session: bool, visit: u64, batch: Option<&str>) {
        let id = format!("p-{}", t.len() + 1);
        let auth = basic_auth_header(user, "pw");
        t.begin(
            &id,
            0,
            "/greeting",
            vec![Header::new("Authorization", auth)],
            session,
            batch.map(str::to_string),
        );
        let body = format!(
            "{{\n  \"message\": \"{}\"\n}}\n",
            greeting_message(user, visit)
        );
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

    #[test]
    fn python_session_in_a_row() {
        let p = python(&recipe(true, 3, false));
        assert_eq!(
            p,
            "import requests\n\nURL = \"http://127.0.0.1:5000/greeting\"\n\n\
             with requests.Session() as s:  # keeps the cookies, like \"Session: keep cookies\"\n    \
             s.auth = (\"cobra\", \"hiss\")\n    for _ in range(3):\n        r = s.get(URL)\n        \
             print(r.status_code, r.json())\n"
        );
        let one = python(&recipe(true, 1, false));
        assert!(one.contains("    r = s.get(URL)\n") && !one.contains("range("));
    }

    #[test]
    fn python_without_session_uses_plain_get() {
        let p = python(&recipe(false, 2, false));
        assert!(!p.contains("Session()"));
        assert!(p.contains("AUTH = (\"cobra\", \"hiss\")"));
        assert!(p.contains("for _ in range(2):\n    r = requests.get(URL, auth=AUTH)\n"));
    }

    #[test]
    fn python_parallel() {
        let p = python(&recipe(true, 5, true));
        assert!(p.contains("from concurrent.futures import ThreadPoolExecutor"));
        assert!(p.contains("with requests.Session() as s:"));
        assert!(p.contains("ThreadPoolExecutor(max_workers=5)"));
        assert!(p.contains("pool.map(lambda _: s.get(URL), range(5))"));
        let q = python(&recipe(false, 5, true));
        assert!(!q.contains("Session()") && q.contains("requests.get(URL, auth=AUTH), range(5)"));
    }

    #[test]
    fn python_strings_are_escaped() {
        let mut r = recipe(true, 1, false);
        r.username = "o\"brien".into();
        r.password = "back\\slash\n".into();
        let p = python(&r);
        assert!(
            p.contains(r#"s.auth = ("o\"brien", "back\\slash\n")"#),
            "{p}"
        );
        assert_eq!(py_str("\u{1}é"), "\"\\x01é\"");
    }

    #[test]
    fn curl_session_uses_a_cookie_jar_file() {
        let c = curl(&recipe(true, 3, false));
        assert!(c.contains("rm -f jar.txt"));
        assert!(c.contains("for i in $(seq 3); do\n  curl -sS -u 'cobra:hiss' -b jar.txt -c jar.txt 'http://127.0.0.1:5000/greeting'\ndone\n"), "{c}");
        assert!(c.contains("cat jar.txt"));
        let one = curl(&recipe(true, 1, false));
        assert!(one.contains("\ncurl -sS -u 'cobra:hiss' -b jar.txt -c jar.txt 'http://127.0.0.1:5000/greeting'\n") && !one.contains("seq"));
    }

    #[test]
    fn curl_without_session_has_no_jar() {
        let c = curl(&recipe(false, 2, false));
        assert!(!c.contains("jar.txt -c") && !c.contains("-b "));
        assert!(c.contains("for i in $(seq 2); do\n  curl -sS -u 'cobra:hiss' 'http://127.0.0.1:5000/greeting'\ndone"));
    }

    #[test]
    fn curl_parallel_backgrounds_and_waits() {
        let c = curl(&recipe(true, 5, true));
        assert!(
            c.contains("-c jar.txt 'http://127.0.0.1:5000/greeting' &\ndone\nwait\n"),
            "{c}"
        );
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        let mut r = recipe(false, 1, false);
        r.password = "a'b $x".into();
        assert!(curl(&r).contains("-u 'cobra:a'\\''b $x'"));
    }

    #[test]
    fn last_action_in_a_session_starts_at_visit_one() {
        let mut t = Timeline::new();
        assert_eq!(last_action(&t.entries, ""), None);
        sent(&mut t, "cobra", true, 1, None);
        sent(&mut t, "cobra", true, 2, None);
        sent(&mut t, "cobra", true, 1, None); // after a reset
        sent(&mut t, "cobra", true, 2, None);
        sent(&mut t, "cobra", true, 3, None);
        let r = last_action(&t.entries, "http://localhost:5000").unwrap();
        assert_eq!(r.count, 3);
        assert!(r.session && !r.parallel);
        assert_eq!((r.username.as_str(), r.password.as_str()), ("cobra", "pw"));
        assert_eq!(r.url, "http://localhost:5000/greeting");
    }

    #[test]
    fn last_action_without_session_counts_the_run() {
        let mut t = Timeline::new();
        sent(&mut t, "cobra", true, 1, None);
        sent(&mut t, "nagini", false, 1, None);
        sent(&mut t, "cobra", false, 1, None);
        sent(&mut t, "cobra", false, 1, None);
        let r = last_action(&t.entries, "").unwrap();
        assert_eq!((r.count, r.session, r.parallel), (2, false, false));
        assert_eq!(r.url, "/greeting");
    }

    #[test]
    fn last_action_of_a_batch() {
        let mut t = Timeline::new();
        sent(&mut t, "cobra", true, 1, None);
        for _ in 0..5 {
            sent(&mut t, "cobra", true, 2, Some("b1"));
        }
        let r = last_action(&t.entries, "").unwrap();
        assert_eq!((r.count, r.session, r.parallel), (5, true, true));
    }
}
