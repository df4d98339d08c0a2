//! "Other server": the page on one origin, the greeting requests to a server on another. With
//! `--allow-origin` (CORS with credentials) the session works; without it the page says CORS
//! refused and how to fix it.

use e2e_tests::*;

async fn aim_at(b: &Browser, url: &str) -> Result<()> {
    b.fill("target-url", url).await?;
    b.click("use-custom").await?;
    b.wait_text("target-kind", "target-kind to be \"custom\"", |t| t == "custom").await?;
    Ok(())
}

#[tokio::test]
async fn other_server_with_allow_origin_keeps_the_session() {
    scenario("other_server_with_allow_origin_keeps_the_session", async |cx| {
        let page = cx.server(&[])?;
        let origin = page.base.clone();
        let other = cx.server(&["--allow-origin", &origin])?;
        cx.open(&page.url("/"), Some("server")).await?;
        let b = &cx.browser;
        aim_at(b, &other.base).await?;
        b.click("mode-session").await?;
        for (i, expected) in CHAPTER.iter().enumerate() {
            let row = send_once(b).await?;
            ensure!(
                row.status == Some(200) && row.message == *expected && row.visit == Some(i as u32 + 1),
                "cross-origin send #{} to {}: {row:?} (wanted {expected:?})",
                i + 1,
                other.base
            );
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn other_server_without_cors_is_explained() {
    scenario("other_server_without_cors_is_explained", async |cx| {
        let page = cx.server(&[])?;
        let other = cx.server(&[])?; // no --allow-origin
        cx.open(&page.url("/"), Some("server")).await?;
        let b = &cx.browser;
        aim_at(b, &other.base).await?;
        let row = send_once(b).await?;
        let said = format!("{} {}", row.error, row.message);
        ensure!(row.status.is_none() || row.status == Some(0), "a CORS refusal has no readable status: {row:?}");
        ensure!(said.contains("CORS"), "the page does not name CORS: {said:?}");
        ensure!(
            said.contains(&format!("--allow-origin {}", page.base)),
            "the page does not say how to allow this origin (--allow-origin {}): {said:?}",
            page.base
        );
        Ok(())
    })
    .await;
}
