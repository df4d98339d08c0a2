//! The chapter's Python run in the page (issue 18): Pyodide and the real `requests` in a Web
//! Worker, served with the page, against the simulated server and the real greeting server.
//! requests' own cookie jar decides: a Session continues, plain gets do not.

use std::time::Duration;

use e2e_tests::*;
use serde_json::json;

/// Why these scenarios cannot run, if the built page has no Python runtime (python/vendor/ is
/// installed by `cargo xtask setup` and copied into dist/ by Trunk).
fn no_python(test: &str) -> bool {
    let Ok(p) = prereqs() else {
        return false; // `scenario` reports the missing prerequisites itself
    };
    let loader = p.dist.join("python/vendor/pyodide/pyodide.mjs");
    let bundle = p.dist.join("python/vendor/bundle/site-packages.zip");
    if loader.is_file() && bundle.is_file() {
        return false;
    }
    skip_test(
        test,
        &format!(
            "{} or {} is missing: `cargo xtask setup` installs Pyodide and the wheels into python/vendor/ and bundles them, then rebuild the page",
            loader.display(),
            bundle.display()
        ),
    );
    true
}

/// Loading Pyodide on a busy 2-core machine takes seconds; a run may take a while too.
fn python_timeout() -> Duration {
    timeout().max(Duration::from_secs(90))
}

/// The `python/` files the page has fetched so far (Resource Timing, the worker's included).
async fn python_fetches(b: &Browser) -> Result<Vec<String>> {
    b.js_strings(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/python/'));",
        vec![],
    )
    .await
}

/// The state of the first output of a cell (`running`, `ok`, `error`, `stopped`) and its text.
async fn output(b: &Browser, nth: usize) -> Result<Option<(String, String)>> {
    let v = b
        .js(
            "const o = document.querySelectorAll('[data-testid=python-output]')[arguments[0]]; \
             return o ? [o.getAttribute('data-state'), o.innerText || o.textContent || ''] : null;",
            vec![json!(nth)],
        )
        .await?;
    Ok(v.as_array().map(|a| {
        (
            a[0].as_str().unwrap_or_default().to_string(),
            a[1].as_str().unwrap_or_default().to_string(),
        )
    }))
}

/// Waits for output `nth` to finish; fails with what it printed unless it ended as `want`.
async fn finished(b: &Browser, nth: usize, want: &str) -> Result<String> {
    let (state, text) = b
        .wait("the Python run to finish", python_timeout(), async || {
            Ok(output(b, nth).await?.filter(|(s, _)| s != "running"))
        })
        .await?;
    ensure!(
        state == want,
        "the run ended {state}, not {want}; it printed:\n{text}"
    );
    Ok(text)
}

/// Index of the output under the editor (the chapter's first sample): the first one drawn.
const EDITOR_OUTPUT: usize = 0;

/// A script checking the transport: a Session continues, plain gets do not, the Set-Cookie
/// reaches requests, its jar holds the cookie and sends it.
fn session_script(url: &str) -> String {
    format!(
        r#"import requests
URL = "{url}"
with requests.Session() as s:
    s.auth = ("cobra", "hiss")
    for _ in range(3):
        r = s.get(URL)
        print(r.status_code, r.json()["message"])
    print("set-cookie:", r.headers["Set-Cookie"].startswith("session="))
    print("jar:", s.cookies.get("session") is not None)
    print("sent:", r.request.headers["Cookie"].startswith("session="))
    print("names:", list(r.headers))
for _ in range(2):
    print("plain", requests.get(URL, auth=("cobra", "hiss")).json()["message"])
"#
    )
}

fn check_session_output(text: &str) -> Result<()> {
    for line in [
        "200 Welcome, cobra!",
        "200 Welcome back, cobra! This is visit #2.",
        "200 Welcome back, cobra! This is visit #3.",
        "set-cookie: True",
        "jar: True",
        "sent: True",
        // The server's own names, order and case, as a terminal's requests shows them.
        "names: ['Content-Type', 'Content-Length', 'Vary', 'Set-Cookie', 'Server', 'Date']",
    ] {
        ensure!(
            text.contains(line),
            "no {line:?} in what Python printed:\n{text}"
        );
    }
    ensure!(
        text.matches("plain Welcome, cobra!").count() == 2,
        "plain requests.get continued a session:\n{text}"
    );
    Ok(())
}

/// The chapter's sample, unchanged, then its console cell, against the simulated server: the
/// chapter's three lines; the requests appear in the timeline marked as Python's.
#[tokio::test]
async fn chapter_sample_runs_in_the_page_simulated() {
    if no_python("python_chapter_sample_simulated") {
        return;
    }
    scenario("python_chapter_sample_simulated", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/?target=simulated"), Some("simulated"))
            .await?;
        let b = &cx.browser;
        let code = b.value("python-editor").await?.unwrap_or_default();
        ensure!(
            code.contains("requests.Session()") && code.contains("http://localhost:5000/greeting"),
            "the editor does not hold the chapter's sample: {code:?}"
        );
        let early = python_fetches(b).await?;
        ensure!(
            early.is_empty(),
            "the page fetched Python before Run Python was pressed: {early:?}"
        );
        // Focusing the editor starts loading Python, before Run (the page sees the worker's
        // module fetched; the worker's own fetches are in its milestones below).
        b.js(
            "document.querySelector('[data-testid=python-editor]').focus(); return true;",
            vec![],
        )
        .await?;
        b.wait("the focus to start Python's worker", python_timeout(), async || {
            let fetched = python_fetches(b).await?;
            Ok(fetched
                .iter()
                .any(|f| f.ends_with("/python/worker.mjs"))
                .then_some(()))
        })
        .await?;
        let before = b.rows().await?.len();
        b.click("run-python").await?;
        finished(b, EDITOR_OUTPUT, "ok").await?;
        ensure!(
            !python_fetches(b).await?.is_empty(),
            "Python ran, yet no python/ file was fetched"
        );
        let load = b
            .js(
                "const o = document.querySelector('[data-testid=python-output]'); \
                 return [o.getAttribute('data-worker-lead-ms'), o.getAttribute('data-load-milestones')];",
                vec![],
            )
            .await?;
        let lead: u64 = load[0].as_str().and_then(|v| v.parse().ok()).unwrap_or(0);
        let milestones = load[1].as_str().unwrap_or_default();
        ensure!(
            lead >= 20,
            "Run Python found no worker started by the focus (lead {load:?})"
        );
        ensure!(
            milestones.contains("python_stdlib.zip arrived")
                && milestones.contains("requests and the transport imported"),
            "the worker did not load the bundle's stdlib (milestones: {milestones:?})"
        );
        let status = b.text("python-status").await?.unwrap_or_default();
        ensure!(
            status.contains("printed nothing") && status.contains("Run these lines in Python"),
            "the sample prints nothing and the page does not say where its results are: {status:?}"
        );
        b.click("run-python-console").await?;
        let text = finished(b, 1, "ok").await?;
        for (expr, line) in [
            ("r1.json()", "{'message': 'Welcome, cobra!'}"),
            (
                "r2.json()",
                "{'message': 'Welcome back, cobra! This is visit #2.'}",
            ),
            (
                "r3.json()",
                "{'message': 'Welcome back, cobra! This is visit #3.'}",
            ),
        ] {
            ensure!(
                text.contains(&format!(">>> {expr}\n{line}")),
                "the console cell did not print {line:?} after {expr}:\n{text}"
            );
        }
        let rows = b
            .wait_rows("three Python rows", |rows| {
                rows.len() >= before + 3
                    && rows.iter().filter(|r| r.source == "python").count() >= 3
            })
            .await?;
        let mut visits: Vec<u32> = rows
            .iter()
            .filter(|r| r.source == "python")
            .filter_map(|r| r.visit)
            .collect();
        visits.sort();
        ensure!(visits == [1, 2, 3], "visits of the Python rows: {visits:?}");
        ensure!(
            rows.iter()
                .filter(|r| r.source == "python")
                .all(|r| r.text.contains("Python in this page")),
            "rows not marked \"Python in this page\":\n{}",
            show_rows(&rows)
        );
        Ok(())
    })
    .await;
}

/// requests' jar, not the browser's, against the simulated server; then Stop ends an endless
/// loop while the page stays responsive, and Python runs again afterwards. Measures the cold
/// and the warm time to the first printed line.
#[tokio::test]
async fn session_continues_plain_gets_do_not_and_stop_works_simulated() {
    if no_python("python_jar_and_stop_simulated") {
        return;
    }
    scenario("python_jar_and_stop_simulated", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/?target=simulated"), Some("simulated"))
            .await?;
        let b = &cx.browser;
        b.fill(
            "python-editor",
            &session_script("http://localhost:5000/greeting"),
        )
        .await?;
        b.click("run-python").await?;
        let text = finished(b, EDITOR_OUTPUT, "ok").await?;
        check_session_output(&text)?;
        let cold = first_output_ms(b).await?;

        b.fill(
            "python-editor",
            "import requests\nwith requests.Session() as s:\n    s.auth = ('cobra', 'hiss')\n    for _ in range(5):\n        print(s.get('http://localhost:5000/greeting').json()['message'])\n",
        )
        .await?;
        b.click("run-python").await?;
        let text = finished(b, EDITOR_OUTPUT, "ok").await?;
        ensure!(text.contains("visit #5."), "the loop printed {text:?}");
        b.wait("the Python exercise to be solved", timeout(), async || {
            let v = b
                .js(
                    "const e = document.querySelector('[data-testid=exercise][data-id=\"python-loop\"]'); \
                     return e ? e.getAttribute('data-solved') : null;",
                    vec![],
                )
                .await?;
            Ok((v.as_str() == Some("true")).then_some(()))
        })
        .await?;

        // POST /logout on the simulated server: requests' jar forgets the cookie.
        b.fill(
            "python-editor",
            &methods_script("http://localhost:5000", false),
        )
        .await?;
        b.click("run-python").await?;
        let text = finished(b, EDITOR_OUTPUT, "ok").await?;
        for line in [
            "before: Welcome back, cobra! This is visit #2.",
            "logout: 200 jar: None",
            "after: Welcome, cobra!",
        ] {
            ensure!(
                text.contains(line),
                "no {line:?} in what Python printed (simulated):\n{text}"
            );
        }

        b.fill("python-editor", "print('again')").await?;
        b.click("run-python").await?;
        let text = finished(b, EDITOR_OUTPUT, "ok").await?;
        ensure!(text.contains("again"), "second run printed {text:?}");
        let warm = first_output_ms(b).await?;
        println!("e2e: python: first printed line cold {cold} ms, warm {warm} ms (busy 2-core machine, loopback)");

        b.fill("python-editor", "print('looping', flush=True)\nwhile True:\n    pass").await?;
        b.click("run-python").await?;
        b.wait("the loop to start", python_timeout(), async || {
            Ok(output(b, EDITOR_OUTPUT)
                .await?
                .filter(|(s, t)| s == "running" && t.contains("looping")))
        })
        .await?;
        // The page answers while Python spins: a playground request goes through.
        let rows_before = b.rows().await?.len();
        b.click("send-once").await?;
        b.wait_rows("a page request while Python runs", |rows| {
            rows.len() > rows_before && rows.iter().any(|r| r.source == "page" && r.status == Some(200))
        })
        .await?;
        b.click("python-stop").await?;
        let text = finished(b, EDITOR_OUTPUT, "stopped").await?;
        ensure!(text.contains("Stopped"), "no word of the stop: {text:?}");

        b.fill("python-editor", "print('fresh', 'x' in globals())").await?;
        b.click("run-python").await?;
        let text = finished(b, EDITOR_OUTPUT, "ok").await?;
        ensure!(text.contains("fresh False"), "after Stop: {text:?}");
        Ok(())
    })
    .await;
}

async fn first_output_ms(b: &Browser) -> Result<u64> {
    let v = b
        .js(
            "const o = document.querySelector('[data-testid=python-output]'); \
             return o ? o.getAttribute('data-first-output-ms') : null;",
            vec![],
        )
        .await?;
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("no data-first-output-ms on the output: {v:?}"))
}

/// The editor's sample names `base`'s greeting (the page aims it at its target), then the
/// session script run against it prints what the chapter prints.
async fn run_session_script_at(b: &Browser, base: &str, whose: &str) -> Result<()> {
    let code = b.value("python-editor").await?.unwrap_or_default();
    ensure!(
        code.contains(&format!("{base}/greeting")),
        "the sample does not name {whose} ({base}): {code:?}"
    );
    b.fill(
        "python-editor",
        &session_script(&format!("{base}/greeting")),
    )
    .await?;
    b.click("run-python").await?;
    let text = finished(b, EDITOR_OUTPUT, "ok").await?;
    check_session_output(&text)
}

/// The same against the greeting server that serves the page: the opt-in header pair carries
/// requests' jar; the server's side channel reports each exchange.
#[tokio::test]
async fn session_continues_plain_gets_do_not_real_server() {
    if no_python("python_jar_real_server") {
        return;
    }
    scenario("python_jar_real_server", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        let origin = server.url("");
        let origin = origin.trim_end_matches('/');
        run_session_script_at(b, origin, "the server that serves the page").await?;
        let rows = b
            .wait_rows("five Python rows", |rows| {
                rows.iter().filter(|r| r.source == "python").count() >= 5
            })
            .await?;
        ensure!(
            !rows.iter().any(|r| r.source == "other"),
            "Python's requests were taken for another client's:\n{}",
            show_rows(&rows)
        );

        // Other methods, with bodies: POST /logout ends requests' session (its jar forgets
        // the cookie), a JSON POST to /greeting gets the server's own 405.
        b.fill("python-editor", &methods_script(origin, true))
            .await?;
        b.click("run-python").await?;
        let text = finished(b, EDITOR_OUTPUT, "ok").await?;
        for line in [
            "before: Welcome back, cobra! This is visit #2.",
            "logout: 200 jar: None",
            "after: Welcome, cobra!",
            "json post: 405",
        ] {
            ensure!(
                text.contains(line),
                "no {line:?} in what Python printed:\n{text}"
            );
        }
        Ok(())
    })
    .await;
}

/// POST /logout with a form body and (with `json_post`) a JSON POST to /greeting, in one
/// Session.
fn methods_script(origin: &str, json_post: bool) -> String {
    let json_post = if json_post {
        "    print(\"json post:\", s.post(URL + \"/greeting\", json={\"n\": 1}).status_code)\n"
    } else {
        ""
    };
    format!(
        r#"import requests
URL = "{origin}"
with requests.Session() as s:
    s.auth = ("cobra", "hiss")
    s.get(URL + "/greeting")
    print("before:", s.get(URL + "/greeting").json()["message"])
    out = s.post(URL + "/logout", data={{"why": "done"}})
    print("logout:", out.status_code, "jar:", s.cookies.get("session"))
    print("after:", s.get(URL + "/greeting").json()["message"])
{json_post}"#
    )
}

/// "Other server": the page on one origin, a greeting server on another that allows it by
/// CORS; the sample names that server, and the pair carries requests' jar across origins.
#[tokio::test]
async fn session_continues_plain_gets_do_not_other_server() {
    if no_python("python_jar_other_server") {
        return;
    }
    scenario("python_jar_other_server", async |cx| {
        let page = cx.server(&[])?;
        let other = cx.server(&["--allow-origin", &page.base])?;
        cx.open(&page.url("/"), Some("server")).await?;
        let b = &cx.browser;
        aim_at(b, &other.base).await?;
        run_session_script_at(b, other.base.trim_end_matches('/'), "the other server").await
    })
    .await;
}

/// Puts `code` in exercise `id`'s editor (opening the exercise) and presses its Run Python.
async fn run_in_exercise(b: &Browser, id: &str, code: &str) -> Result<()> {
    let v = b
        .js(
            "const x = document.querySelector(`[data-testid=exercise][data-id=\"${arguments[0]}\"]`); \
             if (!x) return 'no exercise ' + arguments[0]; \
             x.open = true; \
             const e = x.querySelector('[data-testid=python-editor]'); \
             if (!e) return 'no editor in exercise ' + arguments[0]; \
             e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', { bubbles: true })); \
             x.querySelector('[data-testid=run-python]').click(); \
             return 'ok';",
            vec![json!(id), json!(code)],
        )
        .await?;
    ensure!(v.as_str() == Some("ok"), "{v}");
    Ok(())
}

/// Exercise `id`'s output once its run finished, and whether the exercise is solved.
async fn exercise_after_run(b: &Browser, id: &str) -> Result<(String, bool)> {
    let (state, text) = b
        .wait("the exercise's Python run to finish", python_timeout(), async || {
            let v = b
                .js(
                    "const x = document.querySelector(`[data-testid=exercise][data-id=\"${arguments[0]}\"]`); \
                     const o = x && x.querySelector('[data-testid=python-output]'); \
                     return o ? [o.getAttribute('data-state'), o.textContent] : null;",
                    vec![json!(id)],
                )
                .await?;
            Ok(v.as_array()
                .map(|a| {
                    (
                        a[0].as_str().unwrap_or_default().to_string(),
                        a[1].as_str().unwrap_or_default().to_string(),
                    )
                })
                .filter(|(s, _)| s != "running"))
        })
        .await?;
    ensure!(state == "ok", "the exercise's run ended {state}:\n{text}");
    // The check runs as the page updates; give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let solved = b
        .js(
            "const x = document.querySelector(`[data-testid=exercise][data-id=\"${arguments[0]}\"]`); \
             return x.getAttribute('data-solved');",
            vec![json!(id)],
        )
        .await?;
    Ok((text, solved.as_str() == Some("true")))
}

/// The exercises that ask for code have their own editor (the chapter's first sample), and
/// their check reads what the run printed besides the timeline: five silent visits do not
/// solve "Five visits, written in Python", five printed ones do; then the same without a
/// session.
#[tokio::test]
async fn exercises_run_python_and_read_what_it_printed_simulated() {
    if no_python("python_exercises_simulated") {
        return;
    }
    scenario("python_exercises_simulated", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/?target=simulated"), Some("simulated"))
            .await?;
        let b = &cx.browser;
        let starter = b
            .js(
                "const x = document.querySelector('[data-testid=exercise][data-id=\"python-loop\"]'); \
                 const e = x && x.querySelector('[data-testid=exercise-code] [data-testid=python-editor]'); \
                 return e ? e.value : null;",
                vec![],
            )
            .await?;
        ensure!(
            starter
                .as_str()
                .is_some_and(|c| c.contains("requests.Session()")),
            "the exercise has no editor with the chapter's sample: {starter}"
        );
        let loop_of = |body: &str| {
            format!(
                "import requests\nURL = 'http://localhost:5000/greeting'\nwith requests.Session() as s:\n    s.auth = ('cobra', 'hiss')\n    for _ in range(5):\n        {body}\n"
            )
        };
        run_in_exercise(b, "python-loop", &loop_of("s.get(URL)")).await?;
        let (_, solved) = exercise_after_run(b, "python-loop").await?;
        ensure!(!solved, "five visits that printed nothing solved the exercise");
        run_in_exercise(
            b,
            "python-loop",
            &loop_of("print(s.get(URL).json()['message'])"),
        )
        .await?;
        let (text, solved) = exercise_after_run(b, "python-loop").await?;
        ensure!(
            solved && text.contains("visit #5."),
            "five printed visits did not solve it (solved: {solved}):\n{text}"
        );
        run_in_exercise(
            b,
            "python-no-session",
            "import requests\nfor _ in range(5):\n    print(requests.get('http://localhost:5000/greeting', auth=('cobra', 'hiss')).json()['message'])\n",
        )
        .await?;
        let (text, solved) = exercise_after_run(b, "python-no-session").await?;
        ensure!(
            solved && text.matches("Welcome, cobra!").count() == 5,
            "five plain gets did not solve the no-session exercise (solved: {solved}):\n{text}"
        );
        Ok(())
    })
    .await;
}
