//! Component tests in headless Chromium (wasm-bindgen-test). Each test mounts its own App,
//! aimed at the simulated server, into its own container and drives it as a user would.
//!
//! Run: CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!      CHROMEDRIVER=/usr/bin/chromedriver \
//!      cargo test --target wasm32-unknown-unknown --tests -p sessions-playground
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use sessions_playground::model::target::TargetKind;
use sessions_playground::{App, Options};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount(start: TargetKind) -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div: HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    let options = Options {
        start: Some(start),
        sim_key: Some(KEY.into()),
    };
    leptos::mount::mount_to(div.clone(), move || view! { <App options=options/> }).forget();
    div.into()
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    status: Option<String>,
    visit: Option<String>,
    source: Option<String>,
    message: String,
    error: String,
}

fn rows(root: &Element) -> Vec<Row> {
    all(root, "exchange-row")
        .into_iter()
        .map(|r| Row {
            status: r.get_attribute("data-status"),
            visit: r.get_attribute("data-visit"),
            source: r.get_attribute("data-source"),
            message: all(&r, "exchange-message")
                .first()
                .and_then(|e| e.text_content())
                .unwrap_or_default(),
            error: all(&r, "exchange-error")
                .first()
                .and_then(|e| e.text_content())
                .unwrap_or_default(),
        })
        .collect()
}

fn visits(root: &Element) -> Vec<String> {
    rows(root)
        .into_iter()
        .map(|r| r.visit.unwrap_or_default())
        .collect()
}

async fn settled_rows(root: &Element, n: usize) -> Vec<Row> {
    until(&format!("{n} finished rows"), || {
        let r = rows(root);
        r.len() == n && r.iter().all(|r| r.status.is_some() || !r.error.is_empty())
    })
    .await;
    rows(root)
}

async fn send_once(root: &Element) -> Row {
    let before = rows(root).len();
    click(root, "send-once");
    settled_rows(root, before + 1).await.pop().unwrap()
}

async fn ready(root: &Element) {
    until("target-kind to be simulated", || {
        text(root, "target-kind") == "simulated"
    })
    .await;
}

#[wasm_bindgen_test]
async fn session_counts_one_two_three() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    assert_eq!(
        text(&root, "username").len(),
        0,
        "inputs hold values, not text"
    );
    let username: HtmlInputElement = one(&root, "username").dyn_into().unwrap();
    let password: HtmlInputElement = one(&root, "password").dyn_into().unwrap();
    web_sys::console::log_1(&format!("username value at start: {:?}", username.value()).into());
    until("the default credentials", || {
        username.value() == "cobra" && password.value() == "hiss"
    })
    .await;
    assert!(text(&root, "auth-header").contains("Basic Y29icmE6aGlzcw=="));
    assert!(text(&root, "auth-decoded").contains("cobra:hiss"));
    click(&root, "mode-session");

    let expected = [
        "Welcome, cobra!",
        "Welcome back, cobra! This is visit #2.",
        "Welcome back, cobra! This is visit #3.",
    ];
    for (i, want) in expected.iter().enumerate() {
        let row = send_once(&root).await;
        assert_eq!(row.status.as_deref(), Some("200"));
        assert_eq!(row.message, *want);
        assert_eq!(row.visit, Some((i + 1).to_string()));
        assert_eq!(row.source.as_deref(), Some("page"));
    }
    assert_eq!(visits(&root), ["1", "2", "3"]);

    // The chart: one point per exchange on one line.
    let mut points: Vec<String> = all(&root, "chart-point")
        .iter()
        .filter_map(|p| p.get_attribute("data-visit"))
        .collect();
    points.sort();
    assert_eq!(points, ["1", "2", "3"]);
    assert_eq!(
        root.query_selector_all("[data-testid=visit-chart] path.line")
            .unwrap()
            .length(),
        1
    );

    // The latest cookie, decoded, verified with the simulated server's key, diffed.
    let payload = text(&root, "cookie-payload");
    assert!(
        payload.contains("\"visit\": 3") && payload.contains("cobra"),
        "cookie-payload: {payload}"
    );
    assert!(
        text(&root, "cookie-verdict").starts_with("verifies"),
        "{}",
        text(&root, "cookie-verdict")
    );
    let diff = one(&root, "cookie-diff");
    assert!(
        diff.query_selector(".d-add").unwrap().is_some()
            && diff.query_selector(".d-del").unwrap().is_some()
    );
    assert!(text(&root, "cookie-jar").contains("session=eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjN9."));
}

#[wasm_bindgen_test]
async fn no_session_is_visit_one_every_time() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    click(&root, "mode-no-session");
    fill(&root, "count", "3");
    click(&root, "send-sequence");
    let r = settled_rows(&root, 3).await;
    assert!(
        r.iter()
            .all(|r| r.message == "Welcome, cobra!" && r.visit.as_deref() == Some("1")),
        "{r:?}"
    );
    assert!(text(&root, "cookie-jar").contains("empty"));
    // Three sessions: three lines.
    assert_eq!(
        root.query_selector_all("[data-testid=visit-chart] path.line")
            .unwrap()
            .length(),
        3
    );
}

#[wasm_bindgen_test]
async fn wrong_password_is_an_explained_401() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    fill(&root, "password", "meow");
    until("the decoded header to follow the input", || {
        text(&root, "auth-decoded").contains("cobra:meow")
    })
    .await;
    let row = send_once(&root).await;
    assert_eq!(row.status.as_deref(), Some("401"));
    assert_eq!(row.visit, None);
    assert!(row.error.contains("password"), "{row:?}");
    fill(&root, "password", "hiss");
    let row = send_once(&root).await;
    assert_eq!(row.message, "Welcome, cobra!");
}

#[wasm_bindgen_test]
async fn parallel_requests_lose_visits_and_reset_starts_over() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    send_once(&root).await;
    fill(&root, "count", "4");
    click(&root, "send-parallel");
    settled_rows(&root, 5).await;
    assert_eq!(visits(&root), ["1", "2", "2", "2", "2"]);
    until("the lost-visits note", || {
        all(&root, "action-note")
            .first()
            .is_some_and(|n| n.text_content().unwrap_or_default().contains("lost"))
    })
    .await;
    let next = send_once(&root).await;
    assert_eq!(next.visit.as_deref(), Some("3"));

    click(&root, "reset-session");
    until("the jar to be emptied", || {
        text(&root, "cookie-jar").contains("empty")
    })
    .await;
    let after = send_once(&root).await;
    assert_eq!(after.visit.as_deref(), Some("1"));
    assert_eq!(after.message, "Welcome, cobra!");
}

#[wasm_bindgen_test]
async fn details_show_headers_and_body() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    send_once(&root).await;
    send_once(&root).await;
    assert!(all(&root, "exchange-details").is_empty());
    let second = all(&root, "exchange-row").pop().unwrap();
    all(&second, "exchange-toggle")[0]
        .clone()
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    until("details", || !all(&root, "exchange-details").is_empty()).await;
    let d = text(&root, "exchange-details");
    for want in [
        "Authorization",
        "Basic Y29icmE6aGlzcw==",
        "Cookie",
        "session=eyJ1c2Vy",
        "Set-Cookie",
        "Vary",
        "Content-Length",
        "Date",
        "visit #2",
    ] {
        assert!(d.contains(want), "details lack {want:?}: {d}");
    }
}

#[wasm_bindgen_test]
async fn run_in_playground_shows_the_chapter_and_the_result() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    // Some history first: the run starts a fresh session anyway.
    send_once(&root).await;
    let runs = all(&root, "run-in-playground");
    assert!(runs.len() >= 2, "runnable samples: {}", runs.len());
    runs[0].clone().dyn_into::<HtmlElement>().unwrap().click();
    let lines = [
        "Welcome, cobra!",
        "Welcome back, cobra! This is visit #2.",
        "Welcome back, cobra! This is visit #3.",
    ];
    until("the run's output", || {
        all(&root, "chapter-actual").first().is_some_and(|a| {
            let t = a.text_content().unwrap_or_default();
            lines.iter().all(|l| t.contains(l))
        })
    })
    .await;
    let expected = text(&root, "chapter-expected");
    assert!(lines.iter().all(|l| expected.contains(l)), "{expected}");
    assert!(
        expected.contains("Set-Cookie"),
        "the chapter's header output is part of the comparison"
    );
    assert_eq!(visits(&root), ["1", "1", "2", "3"]);
}

#[wasm_bindgen_test]
async fn unreachable_custom_server_is_explained() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    fill(&root, "target-url", "http://127.0.0.1:9");
    click(&root, "use-custom");
    until("custom target", || text(&root, "target-kind") == "custom").await;
    let row = send_once(&root).await;
    assert_eq!(row.status, None);
    assert!(!row.error.trim().eq_ignore_ascii_case("failed to fetch"));
    assert!(
        row.error.contains("Nothing is listening") || row.error.contains("No usable answer"),
        "{row:?}"
    );
    assert!(row.error.contains("cargo xtask run"), "{row:?}");
    click(&root, "use-simulated");
    until("simulated again", || {
        text(&root, "target-kind") == "simulated"
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_page_that_is_not_the_greeting_server_is_explained_as_text() {
    // The test runner's own server answers /greeting with a 404 page: the row says so, as text.
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    fill(&root, "target-url", &origin);
    click(&root, "use-custom");
    until("custom target", || text(&root, "target-kind") == "custom").await;
    let row = send_once(&root).await;
    assert!(row.status.is_some(), "{row:?}");
    assert!(!row.error.is_empty(), "{row:?}");
    let last = all(&root, "exchange-row").pop().unwrap();
    assert!(
        last.query_selector("h1, script, title, body")
            .unwrap()
            .is_none(),
        "server HTML was rendered as HTML"
    );
}
