//! Another client's requests show up live in the page: the chapter's `requests.Session` code,
//! run by Python against the same server.

use e2e_tests::*;

const SCRIPT: &str = r#"
import sys, requests
base = sys.argv[1]
session = requests.Session()
for _ in range(3):
    response = session.get(base + "/greeting", auth=("nagini", "crawl"))
    print(response.json()["message"])
"#;

#[tokio::test]
async fn python_requests_session_shows_up_live() {
    let name = "python_requests_session_shows_up_live";
    if let Err(reason) = python_with("requests") {
        return skip_test(name, &reason);
    }
    scenario(name, async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        // One exchange of the page's own first, so the page's side channel is surely connected.
        b.click("mode-session").await?;
        let own = send_once(b).await?;
        ensure!(own.status == Some(200), "the page's own request: {own:?}");

        let out =
            python_requests(SCRIPT, &[&server.base])?.context("python with requests vanished")?;
        let printed: Vec<&str> = out.lines().collect();
        ensure!(
            printed
                == [
                    "Welcome, nagini!",
                    "Welcome back, nagini! This is visit #2.",
                    "Welcome back, nagini! This is visit #3."
                ],
            "the Python script printed {printed:?}"
        );
        let rows = b
            .wait_rows(
                "three exchanges from the Python script (data-source=other)",
                |rows| rows.iter().filter(|r| r.source == "other").count() >= 3,
            )
            .await?;
        let others: Vec<Row> = chronological(rows)
            .into_iter()
            .filter(|r| r.source == "other")
            .collect();
        let visits: Vec<Option<u32>> = others.iter().map(|r| r.visit).collect();
        ensure!(
            visits == [Some(1), Some(2), Some(3)],
            "the script's exchanges should show visits 1, 2, 3:\n{}",
            show_rows(&others)
        );
        ensure!(
            others
                .iter()
                .all(|r| r.status == Some(200) && r.text.contains("nagini")),
            "the script's exchanges should be nagini's 200s:\n{}",
            show_rows(&others)
        );
        Ok(())
    })
    .await;
}
