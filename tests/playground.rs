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
use wasm_bindgen::{JsCast, JsValue};
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
    // The divider shows as soon as the reset is done, under the last exchange before it.
    until("the reset divider", || {
        !all(&root, "reset-divider").is_empty()
    })
    .await;
    let last = all(&root, "exchange-row").pop().unwrap();
    assert_eq!(all(&last, "reset-divider").len(), 1);
    let after = send_once(&root).await;
    assert_eq!(after.visit.as_deref(), Some("1"));
    assert_eq!(after.message, "Welcome, cobra!");
    assert_eq!(all(&root, "reset-divider").len(), 1);
    let rows = all(&root, "exchange-row");
    assert_eq!(
        all(&rows[rows.len() - 2], "reset-divider").len(),
        1,
        "the divider stays between the exchanges before and after the reset"
    );
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
    // Headings one level below the card's <h2> (axe: heading-order).
    let details = one(&root, "exchange-details");
    assert!(details.query_selector("h4").unwrap().is_none());
    assert_eq!(details.query_selector_all("h3").unwrap().length(), 3);
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
    // How to start either server on that port, for whoever reads (no cargo).
    assert!(
        row.error.contains("flask run --port 9") && row.error.contains("greeting-server --port 9"),
        "{row:?}"
    );
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

/// (all exchanges, the page's, the page's finished): the timeline's totals, whatever it draws.
fn totals(root: &Element) -> (usize, usize, usize) {
    let n = |a| num_attr(root, "timeline", a).unwrap_or_else(|| panic!("timeline has no {a}"));
    (n("data-rows"), n("data-page-rows"), n("data-page-finished"))
}

/// The exchange numbers of the rows the list draws, in order.
fn drawn(root: &Element) -> Vec<usize> {
    all(root, "exchange-row")
        .iter()
        .map(|r| r.get_attribute("data-exchange").unwrap().parse().unwrap())
        .collect()
}

/// Sends exchanges 50 at once until the page has sent `n`, each batch finished.
async fn fill_timeline(root: &Element, n: usize) {
    fill(root, "count", "50");
    until("the count to be 50", || {
        one(root, "count")
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .value()
            == "50"
    })
    .await;
    while totals(root).1 < n {
        let before = totals(root).1;
        click(root, "send-parallel");
        until_within("a batch of 50 to finish", 30_000, || {
            let (_, page, finished) = totals(root);
            page >= before + 50 && finished == page
        })
        .await;
    }
}

/// Counts the rows (`<li>`) added to and removed from `list` from now on.
fn watch_list(list: &Element) -> JsValue {
    js_sys::Function::new_with_args(
        "list",
        "const rec = { added: 0, removed: 0 };
         const li = (n) => n.nodeName === 'LI';
         const note = (ms) => { for (const m of ms) {
             rec.added += Array.from(m.addedNodes).filter(li).length;
             rec.removed += Array.from(m.removedNodes).filter(li).length;
         } };
         const mo = new MutationObserver(note);
         mo.observe(list, { childList: true });
         rec.flush = () => note(mo.takeRecords());
         return rec;",
    )
    .call1(&JsValue::NULL, list)
    .unwrap()
}

/// (added, removed) so far, the observer's pending records included.
fn changes(rec: &JsValue) -> (u32, u32) {
    let get = |k: &str| js_sys::Reflect::get(rec, &k.into()).unwrap();
    get("flush")
        .dyn_into::<js_sys::Function>()
        .unwrap()
        .call0(rec)
        .unwrap();
    (
        get("added").as_f64().unwrap() as u32,
        get("removed").as_f64().unwrap() as u32,
    )
}

#[wasm_bindgen_test]
async fn a_new_exchange_draws_one_row_and_leaves_the_others_alone() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    click(&root, "mode-session");
    for _ in 0..3 {
        send_once(&root).await;
    }
    // Open the first row's details: they stay open, and are not redrawn, while others arrive.
    click_el(&all(&root, "exchange-toggle")[0]);
    until("details", || !all(&root, "exchange-details").is_empty()).await;
    let details = one(&root, "exchange-details");
    let before = all(&root, "exchange-row");
    let statuses: Vec<Element> = before
        .iter()
        .map(|r| r.query_selector(".status").unwrap().unwrap())
        .collect();
    let rec = watch_list(&one(&root, "timeline"));

    let row = send_once(&root).await;
    assert_eq!(row.visit.as_deref(), Some("4"));
    assert_eq!(
        changes(&rec),
        (1, 0),
        "one row added, and not drawn again when its answer arrived"
    );
    let after = all(&root, "exchange-row");
    assert_eq!(after.len(), 4);
    for (i, (old, status)) in before.iter().zip(&statuses).enumerate() {
        assert!(
            after[i].is_same_node(Some(old)),
            "row {} was redrawn",
            i + 1
        );
        let now = after[i].query_selector(".status").unwrap().unwrap();
        assert!(
            now.is_same_node(Some(status)),
            "row {}'s status was redrawn",
            i + 1
        );
    }
    assert!(one(&root, "exchange-details").is_same_node(Some(&details)));
    assert_eq!(totals(&root), (4, 4, 4));
}

#[wasm_bindgen_test]
async fn a_long_timeline_draws_the_newest_rows_and_earlier_ones_on_request() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    fill_timeline(&root, 250).await;
    assert_eq!(totals(&root), (250, 250, 250));
    until("the newest 200 rows drawn", || drawn(&root).len() == 200).await;
    assert_eq!(drawn(&root), (51..=250).collect::<Vec<_>>());
    // The chart draws the newest 100 and says where the rest are.
    let points: Vec<usize> = all(&root, "chart-point")
        .iter()
        .map(|p| p.get_attribute("data-exchange").unwrap().parse().unwrap())
        .collect();
    assert_eq!(points.len(), 100);
    assert_eq!(points.iter().min(), Some(&151));
    assert_eq!(
        text(&root, "chart-window"),
        "The newest 100 exchanges; 150 earlier ones are in the timeline."
    );
    assert_eq!(
        text(&root, "show-earlier"),
        "Show earlier exchanges (50 hidden)"
    );

    // One more: the window moves by one row, drawing the new one and dropping the oldest.
    let rec = watch_list(&one(&root, "timeline"));
    click(&root, "send-once");
    until("exchange 251 finished", || {
        all(&root, "exchange-row").last().is_some_and(|r| {
            r.get_attribute("data-exchange").as_deref() == Some("251")
                && r.get_attribute("data-status").is_some()
        })
    })
    .await;
    assert_eq!(changes(&rec), (1, 1));
    assert_eq!(drawn(&root), (52..=251).collect::<Vec<_>>());
    assert_eq!(totals(&root), (251, 251, 251));
    assert_eq!(
        text(&root, "show-earlier"),
        "Show earlier exchanges (51 hidden)"
    );

    // A reader scrolled up: the window stays put (no row vanishes above them), and the list
    // does not jump to the new row.
    let scroller: HtmlElement = root
        .query_selector(".timeline-scroll")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    // (No stylesheet in these tests: give the list the page's height limit.)
    scroller
        .style()
        .set_property("max-height", "300px")
        .unwrap();
    scroller.style().set_property("overflow-y", "auto").unwrap();
    scroller.set_scroll_top(scroller.scroll_height());
    sleep(100).await;
    scroller.set_scroll_top(0);
    sleep(100).await;
    let rec = watch_list(&one(&root, "timeline"));
    click(&root, "send-once");
    until("exchange 252 finished", || {
        all(&root, "exchange-row").last().is_some_and(|r| {
            r.get_attribute("data-exchange").as_deref() == Some("252")
                && r.get_attribute("data-status").is_some()
        })
    })
    .await;
    sleep(100).await;
    assert_eq!(changes(&rec), (1, 0));
    assert_eq!(drawn(&root), (52..=252).collect::<Vec<_>>());
    assert_eq!(
        scroller.scroll_top(),
        0,
        "the list jumped while the reader was up"
    );

    // The earlier ones on request; the button goes, and focus moves to the first row.
    click(&root, "show-earlier");
    until("every row drawn", || drawn(&root).len() == 252).await;
    assert_eq!(drawn(&root), (1..=252).collect::<Vec<_>>());
    assert!(all(&root, "show-earlier").is_empty());
    let first_toggle = all(&root, "exchange-toggle").into_iter().next().unwrap();
    until("focus on the first row", || {
        web_sys::window()
            .unwrap()
            .document()
            .unwrap()
            .active_element()
            .is_some_and(|a| a.is_same_node(Some(&first_toggle)))
    })
    .await;

    // Clear list: every row goes, and numbering starts again.
    click(&root, "clear-list");
    until("an empty list", || drawn(&root).is_empty()).await;
    assert_eq!(totals(&root), (0, 0, 0));
    assert!(root
        .text_content()
        .unwrap_or_default()
        .contains("No exchanges yet"));
    send_once(&root).await;
    assert_eq!(drawn(&root), [1]);
}

#[wasm_bindgen_test]
async fn more_than_a_window_of_earlier_exchanges_comes_a_window_at_a_time() {
    let root = mount(TargetKind::Simulated);
    ready(&root).await;
    fill_timeline(&root, 450).await;
    until("the newest 200 rows drawn", || drawn(&root).len() == 200).await;
    assert_eq!(
        text(&root, "show-earlier"),
        "Show 200 earlier exchanges (250 hidden)"
    );
    click(&root, "show-earlier");
    until("400 rows drawn", || drawn(&root).len() == 400).await;
    assert_eq!(drawn(&root)[0], 51);
    assert_eq!(
        text(&root, "show-earlier"),
        "Show earlier exchanges (50 hidden)"
    );
}
