//! Issue 15 against the real greeting server: what the page says is true. The cookie panel shows
//! the browser's jar (also after a reload, and while another client runs), rows are tagged, a
//! 401 says why.

use e2e_tests::*;

const PYTHON_SESSION: &str = r#"
import sys, requests
base = sys.argv[1]
session = requests.Session()
for _ in range(2):
    session.get(base + "/greeting", auth=("nagini", "crawl"))
print("done")
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
async fn the_cookie_panel_shows_the_jar_after_a_reload_and_beside_python() {
    scenario(
        "the_cookie_panel_shows_the_jar_after_a_reload_and_beside_python",
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

            // Another client's session does not change this browser's jar.
            if python_with("requests").is_ok() {
                let out = python_requests(PYTHON_SESSION, &[&server.base])?
                    .context("python with requests vanished")?;
                ensure!(out.trim() == "done", "the script printed {out:?}");
                b.wait_rows("the script's two exchanges", |rows| {
                    rows.iter().filter(|r| r.source == "other").count() >= 2
                })
                .await?;
                wait_jar(b, "still this browser's visit 3", |s, p| {
                    s.starts_with("In the browser's jar")
                        && p.contains("\"visit\":3")
                        && p.contains("cobra")
                })
                .await?;
            }

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
