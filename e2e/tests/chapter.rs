//! The chapter's exercise in the page, against the real greeting server serving the release page.

use e2e_tests::*;

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Three sends with a session: Welcome, visit #2, visit #3; the decoded cookie payloads and the
/// chart show visits 1, 2, 3.
#[tokio::test]
async fn chapter_scenario_with_a_session() {
    scenario("chapter_scenario_with_a_session", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        // The default credentials and the header the page will send.
        ensure!(
            b.value("username").await?.as_deref() == Some("cobra"),
            "username is not cobra by default"
        );
        ensure!(
            b.value("password").await?.as_deref() == Some("hiss"),
            "password is not hiss by default"
        );
        b.wait_text(
            "auth-header",
            "the Authorization header for cobra:hiss",
            |t| t.contains("Basic Y29icmE6aGlzcw=="),
        )
        .await?;
        b.wait_text("auth-decoded", "the decoded header cobra:hiss", |t| {
            t.contains("cobra:hiss")
        })
        .await?;

        b.click("mode-session").await?;
        for (i, expected) in CHAPTER.iter().enumerate() {
            let visit = i as u32 + 1;
            let row = send_once(b).await?;
            ensure!(
                row.status == Some(200),
                "send #{visit}: status {:?}, row: {row:?}",
                row.status
            );
            ensure!(
                row.message == *expected,
                "send #{visit}: message {:?}, wanted {expected:?}",
                row.message
            );
            ensure!(
                row.visit == Some(visit),
                "send #{visit}: data-visit {:?}",
                row.visit
            );
            ensure!(
                row.source == "page",
                "send #{visit}: data-source {:?}, wanted \"page\"",
                row.source
            );
            // The decoded session cookie shows this visit.
            let want = format!("\"visit\":{visit}");
            b.wait(
                &format!("a cookie-payload with {want}"),
                timeout(),
                async || {
                    let all = b.texts("cookie-payload").await?;
                    Ok(all
                        .iter()
                        .any(|t| compact(t).contains(&want) && t.contains("cobra"))
                        .then_some(()))
                },
            )
            .await?;
        }
        let rows = chronological(b.rows().await?);
        let visits: Vec<_> = rows.iter().map(|r| r.visit).collect();
        ensure!(
            visits == [Some(1), Some(2), Some(3)],
            "timeline visits {visits:?}\n{}",
            show_rows(&rows)
        );

        // What changed between the last two cookies is shown.
        b.wait_text("cookie-diff", "a cookie diff", |t| !t.is_empty())
            .await?;

        // The chart: one point per exchange, at visits 1, 2, 3.
        let points = b
            .wait("three chart points", timeout(), async || {
                let mut v: Vec<u32> = b
                    .attrs("chart-point", "data-visit")
                    .await?
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.parse().ok())
                    .collect();
                v.sort();
                Ok((v.len() >= 3).then_some(v))
            })
            .await?;
        ensure!(
            points == [1, 2, 3],
            "chart-point data-visit values {points:?}, wanted [1, 2, 3]"
        );
        ensure!(b.exists("visit-chart").await?, "no visit-chart");
        // E2E_SCREENSHOT=docs/screenshot.png keeps a picture of this state (the README's).
        if let Some(p) = std::env::var_os("E2E_SCREENSHOT") {
            let p = std::path::PathBuf::from(p);
            let p = if p.is_relative() {
                workspace_root().join(p)
            } else {
                p
            };
            b.client().set_window_size(1400, 1300).await?;
            b.js("window.scrollTo(0, 0);", vec![]).await?;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            b.screenshot_to(&p).await?;
            println!("e2e: screenshot saved to {}", p.display());
            // And a phone's width (beside it, `-phone`), scrolled to the chart, to look at
            // before calling layout work done; not for the README.
            let phone = p.with_file_name(format!(
                "{}-phone.png",
                p.file_stem().and_then(|s| s.to_str()).unwrap_or("screenshot")
            ));
            b.client().set_window_size(390, 844).await?;
            b.js(
                "document.querySelector('[data-testid=visit-chart]').scrollIntoView({block: 'center'});",
                vec![],
            )
            .await?;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            b.screenshot_to(&phone).await?;
            println!("e2e: screenshot saved to {}", phone.display());
        }
        Ok(())
    })
    .await;
}

/// "Run in playground" beside the chapter's code performs the chapter's three requests and shows
/// what the chapter printed next to what was obtained.
#[tokio::test]
async fn run_in_playground_matches_the_chapter() {
    scenario("run_in_playground_matches_the_chapter", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        ensure!(
            b.exists("run-in-playground").await?,
            "no run-in-playground action"
        );
        b.click("run-in-playground").await?;
        b.wait_text(
            "chapter-actual",
            "the obtained lines to be the chapter's three",
            |t| CHAPTER.iter().all(|l| t.contains(l)),
        )
        .await?;
        let expected = b.text("chapter-expected").await?.unwrap_or_default();
        ensure!(
            CHAPTER.iter().all(|l| expected.contains(l)),
            "chapter-expected does not show the chapter's lines: {expected:?}"
        );
        Ok(())
    })
    .await;
}

/// No session (credentials omitted): every request is the first visit.
#[tokio::test]
async fn no_session_every_request_is_a_first_visit() {
    scenario("no_session_every_request_is_a_first_visit", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        b.click("mode-no-session").await?;
        b.fill("count", "3").await?;
        b.click("send-sequence").await?;
        let rows = b
            .wait_rows("three finished exchanges", |rows| {
                rows.len() >= 3
                    && rows
                        .iter()
                        .all(|r| r.status.is_some() || !r.error.is_empty())
            })
            .await?;
        ensure!(
            rows.len() == 3,
            "{} rows, wanted 3:\n{}",
            rows.len(),
            show_rows(&rows)
        );
        for r in &rows {
            ensure!(
                r.status == Some(200) && r.message == "Welcome, cobra!" && r.visit == Some(1),
                "without a session every request should be \"Welcome, cobra!\" at visit 1:\n{}",
                show_rows(&rows)
            );
        }
        Ok(())
    })
    .await;
}

/// A wrong password gets 401, explained; the right one works.
#[tokio::test]
async fn wrong_password_then_corrected() {
    scenario("wrong_password_then_corrected", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        b.click("mode-session").await?;
        b.fill("password", "wrong").await?;
        b.wait_text(
            "auth-decoded",
            "the decoded header to show cobra:wrong",
            |t| t.contains("cobra:wrong"),
        )
        .await?;
        let row = send_once(b).await?;
        ensure!(
            row.status == Some(401),
            "wrong password: status {:?}, row {row:?}",
            row.status
        );
        let explained = format!("{} {}", row.message, row.error).to_lowercase();
        ensure!(
            explained.contains("password")
                || explained.contains("credential")
                || explained.contains("username"),
            "the 401 is not explained (no word about the username/password): {row:?}"
        );
        b.fill("password", "hiss").await?;
        b.wait_text(
            "auth-decoded",
            "the decoded header to show cobra:hiss",
            |t| t.contains("cobra:hiss"),
        )
        .await?;
        let row = send_once(b).await?;
        ensure!(
            row.status == Some(200) && row.message == "Welcome, cobra!",
            "corrected password: {row:?}"
        );
        Ok(())
    })
    .await;
}

/// Reset the session: the server expires the cookie, the next request starts over at visit 1.
#[tokio::test]
async fn reset_session_starts_over() {
    scenario("reset_session_starts_over", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        b.click("mode-session").await?;
        send_once(b).await?;
        let row = send_once(b).await?;
        ensure!(row.visit == Some(2), "second send: {row:?}");
        b.click("reset-session").await?;
        // The reset is a request of its own: once it has landed, the timeline draws a divider.
        b.wait("the timeline's reset divider", timeout(), async || {
            Ok(b.exists("reset-divider").await?.then_some(()))
        })
        .await?;
        let row = send_once(b).await?;
        ensure!(
            row.status == Some(200) && row.visit == Some(1) && row.message == "Welcome, cobra!",
            "after reset-session the next request should be visit 1: {row:?}"
        );
        Ok(())
    })
    .await;
}

/// N requests at once: all answered; the cookie kept afterwards is one of their answers, so the
/// next request counts on from one of the parallel visits.
#[tokio::test]
async fn send_n_in_parallel() {
    scenario("send_n_in_parallel", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        b.click("mode-session").await?;
        b.fill("count", "5").await?;
        b.click("send-parallel").await?;
        let rows = b
            .wait_rows("five finished exchanges", |rows| {
                rows.len() >= 5 && rows.iter().all(|r| r.status.is_some() || !r.error.is_empty())
            })
            .await?;
        ensure!(rows.len() == 5, "{} rows, wanted 5:\n{}", rows.len(), show_rows(&rows));
        ensure!(rows.iter().all(|r| r.status == Some(200)), "not all 200:\n{}", show_rows(&rows));
        let visits: Vec<u32> = rows.iter().filter_map(|r| r.visit).collect();
        ensure!(visits.len() == 5, "rows without data-visit:\n{}", show_rows(&rows));
        let next = send_once(b).await?;
        let v = next.visit.unwrap_or(0);
        ensure!(
            v >= 2 && visits.contains(&(v - 1)),
            "after the parallel batch (visits {visits:?}) the next visit was {v}: it should follow one of them"
        );
        Ok(())
    })
    .await;
}
