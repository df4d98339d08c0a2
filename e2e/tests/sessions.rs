//! Issue 19 in the browser: where the session lives, log out, and a replayed cookie, side by
//! side for both session modes. Against the real greeting server in cookie mode and in server
//! mode (each on an ephemeral port, the other mode then on the page's simulated server), and
//! on the simulated server alone.

use e2e_tests::*;

/// Visit twice in session mode, log out, replay the old cookie; then both columns say what
/// happened: cookie mode still works (visit #3), server mode starts over. `own` is the mode
/// the target ran itself, `runner` what the page calls the one that ran it.
async fn log_out_and_replay(b: &Browser, own: &str, runner: &str) -> Result<()> {
    b.click("mode-session").await?;
    for expected in &CHAPTER[..2] {
        let row = send_once(b).await?;
        ensure!(
            row.status == Some(200) && row.message == *expected,
            "{row:?}, wanted {expected:?}"
        );
    }
    b.click("log-out").await?;
    b.wait("both modes' runs after Log out", timeout(), async || {
        Ok(
            (b.exists("logout-run-cookie").await? && b.exists("logout-run-server").await?)
                .then_some(()),
        )
    })
    .await?;
    let rows = b.rows().await?;
    ensure!(
        rows.iter()
            .any(|r| r.message.starts_with("Logged out") || r.text.contains("/logout")),
        "the log out is in the timeline: {}",
        show_rows(&rows)
    );
    b.click("replay-old-cookie").await?;
    b.wait("both verdicts", timeout(), async || {
        Ok((b.count("replay-verdict").await? == 2).then_some(()))
    })
    .await?;
    let cookie = b.text("logout-run-cookie").await?.unwrap_or_default();
    let server = b.text("logout-run-server").await?.unwrap_or_default();
    ensure!(
        cookie.contains("The replay was answered 200: Welcome back, cobra! This is visit #3.")
            && cookie.contains("The old cookie still works: logged out, yet greeted as visit #3."),
        "cookie mode: {cookie}"
    );
    ensure!(
        server.contains("The replay was answered 200: Welcome, cobra!")
            && server.contains("The old cookie starts over"),
        "server mode: {server}"
    );
    let runners: Vec<Option<String>> = [
        b.attrs("logout-run-cookie", "data-runner").await?,
        b.attrs("logout-run-server", "data-runner").await?,
    ]
    .concat();
    let own_runner = if own == "cookie" {
        &runners[0]
    } else {
        &runners[1]
    };
    ensure!(
        own_runner.as_deref() == Some(runner),
        "the {own} mode ran on {own_runner:?}, wanted {runner}: {runners:?}"
    );
    // The replay is in the timeline too, carrying the old cookie, and the browser stays logged out.
    let rows = b.rows().await?;
    let replayed = if newest_first(&rows) {
        rows.first()
    } else {
        rows.last()
    };
    let wanted = if own == "cookie" {
        CHAPTER[2]
    } else {
        CHAPTER[0]
    };
    ensure!(
        replayed.is_some_and(|r| r.message == wanted),
        "the replay's row: {replayed:?}, wanted {wanted:?}"
    );
    Ok(())
}

#[tokio::test]
async fn cookie_mode_server_then_server_mode_simulated() {
    scenario(
        "cookie_mode_server_then_server_mode_simulated",
        async |cx| {
            let server = cx.server(&[])?;
            cx.open(&server.url("/"), Some("server")).await?;
            let b = &cx.browser;
            log_out_and_replay(b, "cookie", "server").await?;
            let where_ = b.text("logout-where").await?.unwrap_or_default();
            ensure!(
                where_.contains("This greeting server runs --sessions cookie")
                    && where_.contains("--sessions server, runs on a simulated server"),
                "{where_}"
            );
            let mode = b.attrs("session-where", "data-mode").await?;
            ensure!(mode == [Some("cookie".to_string())], "{mode:?}");
            ensure!(
                !b.exists("store-entry").await?,
                "cookie mode has no store entry to show"
            );
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn server_mode_server_shows_the_store_entry_then_cookie_mode_simulated() {
    scenario(
        "server_mode_server_shows_the_store_entry_then_cookie_mode_simulated",
        async |cx| {
            let server = cx.server(&["--sessions", "server"])?;
            cx.open(&server.url("/"), Some("server")).await?;
            let b = &cx.browser;
            b.click("mode-session").await?;
            send_once(b).await?;
            send_once(b).await?;
            let entry = b
                .wait_text("store-entry", "the store entry at visit 2", |t| {
                    t.contains("\"visit\":2")
                })
                .await?;
            ensure!(
                entry.contains("key session:")
                    && entry.contains("\"username\":\"cobra\"")
                    && entry.contains("lives on for 31 days"),
                "{entry}"
            );
            let verdict = b.text("cookie-verdict").await?.unwrap_or_default();
            ensure!(
                verdict.contains("A session id, not a signed session"),
                "the cookie panel on an opaque id: {verdict}"
            );
            // Back to a fresh page state for the lesson (the session is at visit 2 already).
            b.click("log-out").await?;
            b.wait("both runs", timeout(), async || {
                Ok(
                    (b.count("replay-verdict").await? == 0
                        && b.exists("logout-run-server").await?)
                        .then_some(()),
                )
            })
            .await?;
            b.wait_text("store-entry", "the entry deleted by log out", |t| {
                t.contains("No entry any more: log out deleted it.")
            })
            .await?;
            b.click("replay-old-cookie").await?;
            b.wait("both verdicts", timeout(), async || {
                Ok((b.count("replay-verdict").await? == 2).then_some(()))
            })
            .await?;
            let server_run = b.text("logout-run-server").await?.unwrap_or_default();
            let cookie_run = b.text("logout-run-cookie").await?.unwrap_or_default();
            ensure!(
                server_run.contains("Welcome, cobra!")
                    && server_run.contains("The old cookie starts over"),
                "{server_run}"
            );
            ensure!(
                cookie_run
                    .contains("The old cookie still works: logged out, yet greeted as visit #3."),
                "{cookie_run}"
            );
            let runners = b.attrs("logout-run-server", "data-runner").await?;
            ensure!(runners == [Some("server".to_string())], "{runners:?}");
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn both_modes_on_the_simulated_server() {
    scenario("both_modes_on_the_simulated_server", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/?target=simulated"), Some("simulated"))
            .await?;
        let b = &cx.browser;
        log_out_and_replay(b, "cookie", "simulated").await?;
        let runners = b.attrs("logout-run-server", "data-runner").await?;
        ensure!(runners == [Some("simulated".to_string())], "{runners:?}");
        Ok(())
    })
    .await;
}

/// The lesson against another greeting server (server mode, `--allow-origin` this page's
/// origin): log out and the replay cross origins like every other request.
#[tokio::test]
async fn other_server_in_server_mode_across_origins() {
    scenario("other_server_in_server_mode_across_origins", async |cx| {
        let page = cx.server(&[])?;
        let origin = page.base.clone();
        let other = cx.server(&["--sessions", "server", "--allow-origin", &origin])?;
        cx.open(&page.url("/"), Some("server")).await?;
        let b = &cx.browser;
        aim_at(b, &other.base).await?;
        b.wait("the other server's mode", timeout(), async || {
            Ok(
                (b.attrs("session-where", "data-mode").await? == [Some("server".to_string())])
                    .then_some(()),
            )
        })
        .await?;
        log_out_and_replay(b, "server", "server").await
    })
    .await;
}
