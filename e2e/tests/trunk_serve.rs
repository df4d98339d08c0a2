//! Through `trunk serve` and Trunk.toml's [[proxy]] (what instructors use with `cargo xtask dev`):
//! the page from trunk, the greeting requests proxied to the server on port 5000.

use e2e_tests::*;
use std::time::Duration;

#[tokio::test]
async fn chapter_scenario_through_trunk_serve_proxy() {
    let name = "chapter_scenario_through_trunk_serve_proxy";
    // Trunk.toml's proxy points at the greeting server on 127.0.0.1:5000, so this test runs the
    // server there: the real Trunk.toml, unchanged.
    if std::net::TcpListener::bind("127.0.0.1:5000").is_err() {
        return missing(
            name,
            "port 5000 is in use (Trunk.toml's [[proxy]] targets it); stop what holds it (`ss -ltnp 'sport = :5000'`)",
        );
    }
    let has_trunk = std::process::Command::new(std::env::var("TRUNK").unwrap_or_else(|_| "trunk".into()))
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_trunk {
        return missing(name, "trunk is not on PATH (`cargo xtask setup` installs it)");
    }
    scenario(name, async |cx| {
        let server = Server::start_on(&cx.p, 5000, false, &[])?;
        cx.keep_log("server-5000", &server.log);
        let dist = workspace_root().join("target").join("e2e-trunk-serve-dist");
        // trunk serve builds the page first (a debug build): allow for that.
        let trunk = TrunkServe::start(&[], &dist, Duration::from_secs(900))?;
        cx.keep_log("trunk-serve", &trunk.log);
        cx.open(&format!("{}/", trunk.base), Some("server")).await?;
        let b = &cx.browser;
        b.click("mode-session").await?;
        for (i, expected) in CHAPTER.iter().enumerate() {
            let row = send_once(b).await?;
            ensure!(
                row.status == Some(200) && row.message == *expected && row.visit == Some(i as u32 + 1),
                "through the proxy, send #{}: {row:?} (wanted {expected:?})",
                i + 1
            );
        }
        drop(trunk);
        drop(server);
        Ok(())
    })
    .await;
}
