//! Issue 15 against the real greeting server: what the page says is true. The cookie panel shows
//! the browser's jar (also after a reload, and while another client runs: its cookie is labelled
//! as that client's), rows are tagged, a 401 says why, and a stopped server's message says how to
//! start either server and links to the one place with the full steps.

use e2e_tests::*;

/// The chapter's `requests.Session` code (same user, same three requests), aimed at the test's
/// server: a second cobra session beside the page's, so only the labelling tells them apart.
const CHAPTER_SESSION: &str = r#"
import sys, requests

GREETING_URL = sys.argv[1] + "/greeting"

with requests.Session() as s:
    s.auth = ("cobra", "hiss")      # set once, sent every time
    r1 = s.get(GREETING_URL)
    r2 = s.get(GREETING_URL)
    r3 = s.get(GREETING_URL)
print(r3.json()["message"])
"#;

/// The panel's source line and the decoded payload, compacted (no spaces).
async fn panel(b: &Browser) -> Result<(String, String)> {
    let source = b.text("cookie-source").await?.unwrap_or_default();
    let payload = b.text("cookie-payload").await?.unwrap_or_default();
    Ok((source, payload.split_whitespace().collect()))
}

async fn wait_jar(b: &Browser, what: &str, pred: impl Fn(&str, &str) -> bool) -> Result<()> {
    let mut last = (String::new(), String::new());
    let r = b
        .wait(what, timeout(), async || {
            last = panel(b).await?;
            Ok(pred(&last.0, &last.1).then_some(()))
        })
        .await;
    r.map_err(|e| anyhow!("{e:#}\nthe cookie panel showed: {last:?}"))
}

#[tokio::test]
async fn the_cookie_panel_shows_the_jar_after_a_reload() {
    scenario(
        "the_cookie_panel_shows_the_jar_after_a_reload",
        async |cx| {
            let server = cx.server(&[])?;
            cx.open(&server.url("/"), Some("server")).await?;
            let b = &cx.browser;
            b.click("mode-session").await?;
            send_once(b).await?;
            let second = send_once(b).await?;
            ensure!(second.visit == Some(2), "second send: {second:?}");
            wait_jar(b, "the jar with visit 2, set by exchange #2", |s, p| {
                s.contains("In the browser's jar (set by exchange #2)") && p.contains("\"visit\":2")
            })
            .await?;

            // A reload: the timeline is empty, but the browser still holds the cookie.
            cx.open(&server.url("/"), Some("server")).await?;
            wait_jar(b, "the jar with visit 2 after the reload", |s, p| {
                s.starts_with("In the browser's jar") && p.contains("\"visit\":2")
            })
            .await?;
            let third = send_once(b).await?;
            ensure!(third.visit == Some(3), "after the reload: {third:?}");

            // No session: the answer's cookie is discarded, the jar keeps visit 3.
            b.click("mode-no-session").await?;
            let plain = send_once(b).await?;
            ensure!(plain.visit == Some(1), "no session: {plain:?}");
            wait_jar(b, "the jar unchanged by a no-session request", |s, p| {
                s.starts_with("In the browser's jar") && p.contains("\"visit\":3")
            })
            .await?;
            let tags = b.attrs("exchange-row", "data-tags").await?;
            ensure!(
                tags.iter()
                    .flatten()
                    .filter(|t| t.split(' ').any(|t| t == "no-session"))
                    .count()
                    == 1,
                "one row tagged no-session: {tags:?}"
            );
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_401_from_the_server_says_why() {
    scenario("a_401_from_the_server_says_why", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        b.fill("password", "meow").await?;
        let row = send_once(b).await?;
        ensure!(row.status == Some(401), "{row:?}");
        ensure!(
            row.error.contains("wrong password for cobra")
                && !row.error.contains("another user")
                && !row.error.contains('`'),
            "{row:?}"
        );
        b.fill("username", "bob").await?;
        let row = send_once(b).await?;
        ensure!(row.error.contains("this server has no user bob"), "{row:?}");
        Ok(())
    })
    .await;
}

/// Clicks the row of the newest exchange with this `data-source`, as a reader selects it.
async fn select_newest(b: &Browser, source: &str) -> Result<()> {
    let clicked = b
        .js(
            "const rows = [...document.querySelectorAll('[data-testid=exchange-row][data-source=\"' + arguments[0] + '\"]')]; \
             const row = rows.sort((a, b) => b.dataset.exchange - a.dataset.exchange)[0]; \
             if (!row) return false; row.querySelector('.xrow').click(); return true;",
            vec![serde_json::json!(source)],
        )
        .await?;
    ensure!(
        clicked == serde_json::json!(true),
        "no {source} row to select"
    );
    Ok(())
}

#[tokio::test]
async fn another_clients_cookie_is_labelled_never_the_jars() {
    let name = "another_clients_cookie_is_labelled_never_the_jars";
    if let Err(reason) = python_with("requests") {
        return skip_test(name, &reason);
    }
    scenario(name, async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        b.click("mode-session").await?;
        send_once(b).await?;
        let second = send_once(b).await?;
        ensure!(
            second.visit == Some(2),
            "the page's second send: {second:?}"
        );
        wait_jar(b, "the page's cookie at visit 2 in the jar", |s, p| {
            s.contains("In the browser's jar (set by exchange #2)") && p.contains("\"visit\":2")
        })
        .await?;

        // The chapter's code in a real Python process: cobra again, its own session, visit 3.
        let out = python_requests(CHAPTER_SESSION, &[&server.base])?
            .context("python with requests vanished")?;
        ensure!(
            out.trim() == "Welcome back, cobra! This is visit #3.",
            "the script printed {out:?}"
        );
        let rows = b
            .wait_rows("the script's three exchanges", |rows| {
                rows.iter().filter(|r| r.source == "other").count() >= 3
            })
            .await?;
        let who = b.texts("exchange-who").await?;
        ensure!(
            who.len() == 3 && who.iter().all(|w| w == "python-requests from 127.0.0.1"),
            "the script's rows name their client: {who:?}\n{}",
            show_rows(&rows)
        );
        // The jar is still the page's visit 2, not the script's visit 3.
        wait_jar(b, "the jar unchanged by the script", |s, p| {
            s.contains("In the browser's jar (set by exchange #2)") && p.contains("\"visit\":2")
        })
        .await?;

        // Selecting the script's last exchange shows its cookie as another client's.
        select_newest(b, "other").await?;
        wait_jar(
            b,
            "the script's cookie, labelled as another client's",
            |s, p| {
                s.contains(
                    "another client's (python-requests from 127.0.0.1): never in this browser",
                ) && p.contains("\"visit\":3")
            },
        )
        .await?;
        let role = b.attrs("cookie-source", "data-role").await?;
        ensure!(
            role == [Some("other-client".to_string())],
            "the panel's role for the script's cookie: {role:?}"
        );
        let caption = b.text("cookie-source").await?.unwrap_or_default();
        ensure!(
            !caption.contains("In the browser's jar"),
            "the script's cookie shown as the jar's: {caption:?}"
        );
        b.click("cookie-show-jar").await?;
        wait_jar(b, "the jar again: the page's visit 2", |s, p| {
            s.contains("In the browser's jar (set by exchange #2)") && p.contains("\"visit\":2")
        })
        .await?;

        // The page's next send carries the page's own cookie, not the script's.
        let third = send_once(b).await?;
        ensure!(third.visit == Some(3), "the page's third send: {third:?}");
        select_newest(b, "page").await?;
        wait_jar(
            b,
            "the page's third exchange, which carried visit 2",
            |s, _| s.contains("It carried cobra's cookie at visit 2."),
        )
        .await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_server_down_message_says_how_to_start_either_server() {
    let name = "the_server_down_message_says_how_to_start_either_server";
    scenario(name, async |cx| {
        let mut server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        let row = send_once(b).await?;
        ensure!(row.status == Some(200), "before the stop: {row:?}");
        server.stop();
        let row = send_once(b).await?;
        ensure!(row.status.is_none(), "with the server stopped: {row:?}");
        let banner = b.text("banner").await?.unwrap_or_default();
        let again = format!("greeting-server --static dist --port {}", server.port);
        for said in [&row.error, &banner] {
            ensure!(
                said.contains(&again) && said.contains("flask run") && !said.contains("cargo"),
                "a server-down message without both commands (or with cargo): {said:?}"
            );
        }
        // Both messages link to the one place; following the link opens it.
        let links = b.attrs("start-help-link", "href").await?;
        ensure!(
            links.len() >= 2
                && links
                    .iter()
                    .all(|h| h.as_deref() == Some("#starting-a-server")),
            "links to the panel: {links:?}"
        );
        ensure!(
            b.count("start-help").await? == 1,
            "one \"Starting a server\" panel"
        );
        b.click("start-help-link").await?;
        let help = b
            .wait("the panel to open", timeout(), async || {
                let open = b.attrs("start-help", "open").await?;
                if open != [Some(String::new())] {
                    return Ok(None);
                }
                b.text("start-help").await
            })
            .await?;
        for step in [
            "flask --app app run --port 5001",
            "pip install flask flask-cors",
            "greeting-server --static dist --port 5000",
            "cargo xtask run",
            "target/release/greeting-server --static dist --port 5000",
        ] {
            ensure!(
                help.contains(step),
                "the panel does not say {step:?}:\n{help}"
            );
        }
        let cors = b.text("start-help-cors").await?.unwrap_or_default();
        ensure!(
            cors.contains(&format!("origins=[\"{}\"]", server.base)),
            "the CORS lines name this page's origin ({}): {cors}",
            server.base
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn after_its_own_sends_the_page_takes_the_jar_from_the_reports() {
    scenario(
        "after_its_own_sends_the_page_takes_the_jar_from_the_reports",
        async |cx| {
            let server = cx.server(&[])?;
            cx.open(&server.url("/"), Some("server")).await?;
            let b = &cx.browser;
            b.click("mode-session").await?;
            b.fill("count", "10").await?;
            b.click("send-sequence").await?;
            b.wait_rows("ten answered sends", |rows| {
                rows.iter().filter(|r| r.status == Some(200)).count() == 10
            })
            .await?;
            wait_jar(b, "the jar with visit 10, set by exchange #10", |s, p| {
                s.contains("In the browser's jar (set by exchange #10)")
                    && p.contains("\"visit\":10")
            })
            .await?;
            // The server's report of each send says which cookie it set: the page asks the jar
            // echo once on opening, and again only when a report came after its answer.
            let asked = b
                .js(
                    "return performance.getEntriesByType('resource')\
                     .filter(e => e.name.includes('/playground/api/cookies')).length;",
                    vec![],
                )
                .await?
                .as_u64()
                .unwrap_or(u64::MAX);
            ensure!(
                asked <= 5,
                "the page asked /playground/api/cookies {asked} times for ten sends"
            );
            Ok(())
        },
    )
    .await;
}
