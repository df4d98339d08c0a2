//! When there is no greeting server: the page says so (and how to start one), and its simulated
//! server (the same greeting logic and cookie codec compiled to wasm) works.

use e2e_tests::*;

/// The server goes away under an open page: the next request says the server is not running and
/// how to start it; switching to the simulated server carries on.
#[tokio::test]
async fn server_stopped_then_simulated() {
    scenario("server_stopped_then_simulated", async |cx| {
        let mut server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        b.click("mode-session").await?;
        let row = send_once(b).await?;
        ensure!(
            row.status == Some(200),
            "before stopping the server: {row:?}"
        );

        server.stop();
        let row = send_once(b).await?;
        ensure!(
            row.status.is_none() || row.status == Some(0),
            "with the server stopped the row has a status: {row:?}"
        );
        let said = format!(
            "{} {} {}",
            row.error,
            row.message,
            b.text("banner").await?.unwrap_or_default()
        );
        let low = said.to_lowercase();
        ensure!(
            !row.error.trim().eq_ignore_ascii_case("failed to fetch"),
            "a bare \"Failed to fetch\": {row:?}"
        );
        ensure!(
            low.contains("not running")
                || low.contains("no server")
                || low.contains("could not reach")
                || low.contains("cannot reach")
                || low.contains("unreachable"),
            "the page does not say the server is unreachable: {said:?}"
        );
        ensure!(
            low.contains("cargo xtask run")
                || low.contains("greeting-server")
                || low.contains("cargo run"),
            "the page does not say how to start the server: {said:?}"
        );

        b.click("use-simulated").await?;
        b.wait_text("target-kind", "target-kind to be \"simulated\"", |t| {
            t == "simulated"
        })
        .await?;
        let before = b.rows().await?.len();
        for (i, expected) in CHAPTER.iter().enumerate() {
            let row = send_once(b).await?;
            ensure!(
                row.status == Some(200) && row.message == *expected,
                "simulated send #{}: {row:?} (wanted {expected:?})",
                i + 1
            );
        }
        ensure!(
            b.rows().await?.len() == before + 3,
            "expected three more rows"
        );
        Ok(())
    })
    .await;
}

/// The page from a plain static host (no greeting endpoints at all): the simulated server runs
/// the chapter's exchange, labelled as simulated, with its cookie jar visible.
#[tokio::test]
async fn simulated_with_no_server_at_all() {
    scenario("simulated_with_no_server_at_all", async |cx| {
        let host = StaticServer::start(&cx.p.dist)?;
        cx.open(&format!("{}/", host.base), None).await?;
        let b = &cx.browser;
        // Nothing answers /playground/api/info here: the page either falls back by itself or
        // offers the simulated server.
        let kind = b
            .wait("target-kind to settle", timeout(), async || {
                Ok(b.text("target-kind").await?.filter(|k| !k.is_empty()))
            })
            .await?;
        if kind != "simulated" {
            b.click("use-simulated").await?;
        }
        b.wait_text("target-kind", "target-kind to be \"simulated\"", |t| {
            t == "simulated"
        })
        .await?;
        b.click("mode-session").await?;
        for (i, expected) in CHAPTER.iter().enumerate() {
            let row = send_once(b).await?;
            ensure!(
                row.status == Some(200)
                    && row.message == *expected
                    && row.visit == Some(i as u32 + 1),
                "simulated send #{}: {row:?} (wanted {expected:?})",
                i + 1
            );
        }
        let jar = b
            .wait_text(
                "cookie-jar",
                "the simulated cookie jar to show the session cookie",
                |t| t.contains("session"),
            )
            .await?;
        ensure!(jar.contains("session"), "cookie-jar: {jar:?}");
        Ok(())
    })
    .await;
}
