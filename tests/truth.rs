//! Component tests for issue 15, "the page says only what is true", against the simulated
//! server: the cookie panel shows the jar, rows carry tags, batches are grouped and explained,
//! a 401 says why, controls say what they did, and the jumps a keyboard or phone user needs.
//!
//! Run: see tests/playground.rs.
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

fn mount() -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div: HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    let options = Options {
        start: Some(TargetKind::Simulated),
        sim_key: Some(KEY.into()),
    };
    leptos::mount::mount_to(div.clone(), move || view! { <App options=options/> }).forget();
    div.into()
}

async fn ready(root: &Element) {
    until("the simulated server", || {
        text(root, "target-kind") == "simulated"
    })
    .await;
}

fn rows(root: &Element) -> Vec<Element> {
    all(root, "exchange-row")
}

fn settled(root: &Element) -> bool {
    rows(root)
        .iter()
        .all(|r| r.get_attribute("data-status").is_some() || !all(r, "exchange-error").is_empty())
}

async fn send_once(root: &Element) -> Element {
    let before = rows(root).len();
    click(root, "send-once");
    until("one more finished row", || {
        rows(root).len() == before + 1 && settled(root)
    })
    .await;
    rows(root).pop().unwrap()
}

fn tags(row: &Element) -> Vec<String> {
    row.get_attribute("data-tags")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn source(root: &Element) -> (String, String) {
    let s = one(root, "cookie-source");
    (
        s.get_attribute("data-source").unwrap_or_default(),
        s.get_attribute("data-role").unwrap_or_default(),
    )
}

#[wasm_bindgen_test]
async fn the_cookie_panel_shows_the_jar_not_the_last_cookie_seen() {
    let root = mount();
    ready(&root).await;
    assert!(text(&root, "cookie-empty").contains("holds no session cookie"));
    send_once(&root).await;
    send_once(&root).await;
    click(&root, "mode-no-session");
    let discarded = send_once(&root).await;
    assert_eq!(discarded.get_attribute("data-visit").as_deref(), Some("1"));
    // The jar still holds visit 2's cookie, set by exchange #2: that is what the panel shows.
    assert_eq!(source(&root), ("jar".into(), "jar".into()));
    assert!(text(&root, "cookie-payload").contains("\"visit\": 2"));
    let caption = text(&root, "cookie-source");
    assert!(
        caption.contains("In the simulated jar (set by exchange #2)"),
        "{caption}"
    );
    assert!(!text(&root, "cookie-diff").contains("same session"));

    // Selecting the no-session exchange shows its cookie, labelled as discarded.
    click_el(&discarded.query_selector(".xrow").unwrap().unwrap());
    until("the exchange's cookie", || source(&root).0 == "exchange").await;
    assert_eq!(source(&root).1, "discarded");
    assert!(text(&root, "cookie-source").contains("Exchange #3's cookie: discarded (no session)"));
    assert!(text(&root, "cookie-source").contains("It carried no cookie."));
    assert!(text(&root, "cookie-payload").contains("\"visit\": 1"));
    click(&root, "cookie-show-jar");
    until("the jar again", || source(&root).0 == "jar").await;
    assert!(text(&root, "cookie-payload").contains("\"visit\": 2"));
    // Exchange #2's cookie is the jar's; it carried #1's.
    click_el(&rows(&root)[1].query_selector(".xrow").unwrap().unwrap());
    until("exchange #2's cookie", || {
        source(&root) == ("exchange".into(), "jar".into())
    })
    .await;
    assert!(text(&root, "cookie-source").contains("It carried cobra's cookie at visit 1."));
}

#[wasm_bindgen_test]
async fn the_chart_legend_names_sessions_and_the_axes_have_titles() {
    let root = mount();
    ready(&root).await;
    send_once(&root).await;
    send_once(&root).await;
    click(&root, "reset-session");
    until("the reset", || !all(&root, "reset-divider").is_empty()).await;
    send_once(&root).await;
    click(&root, "mode-no-session");
    send_once(&root).await;
    let legend: Vec<String> = all(&root, "chart-legend-item")
        .iter()
        .map(|l| l.text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        legend,
        ["cobra, session 1", "cobra, session 2", "cobra, no session"]
    );
    assert_eq!(text(&root, "chart-x-title"), "exchange (timeline #)");
    assert_eq!(text(&root, "chart-y-title"), "visit");
}

#[wasm_bindgen_test]
async fn rows_say_how_they_were_sent_and_what_the_server_did() {
    let root = mount();
    ready(&root).await;
    let first = send_once(&root).await;
    assert_eq!(tags(&first), ["simulated", "new-session"]);
    let second = send_once(&root).await;
    assert_eq!(tags(&second), ["simulated"]);
    click(&root, "mode-no-session");
    let plain = send_once(&root).await;
    assert_eq!(tags(&plain), ["no-session", "simulated"]);
    let texts: Vec<String> = all(&plain, "exchange-tag")
        .iter()
        .map(|t| t.text_content().unwrap_or_default())
        .collect();
    assert_eq!(texts, ["no session", "simulated"]);

    // A cookie signed with another key, planted: refused, and the row says so.
    fill(&root, "lab-input", &first_cookie(&root));
    until("the lab to decode it", || {
        !all(&root, "lab-payload").is_empty()
    })
    .await;
    fill(&root, "lab-key", "not-the-key");
    click(&root, "lab-resign");
    until("a re-signed cookie", || {
        all(&root, "lab-message").first().is_some_and(|m| {
            m.text_content()
                .unwrap_or_default()
                .contains("Signed with the key you typed")
        })
    })
    .await;
    click(&root, "lab-plant");
    until("planted", || !all(&root, "lab-send").is_empty()).await;
    let refused = send_once(&root).await;
    let t = tags(&refused);
    assert!(
        t.contains(&"planted".to_string()) && t.contains(&"cookie-refused".to_string()),
        "{t:?}"
    );
    assert!(text(&refused, "exchange-tag").len() > 0);
    let refused_text: Vec<String> = all(&refused, "exchange-tag")
        .iter()
        .map(|t| t.text_content().unwrap_or_default())
        .collect();
    assert!(
        refused_text.contains(&"cookie refused: bad signature".to_string()),
        "{refused_text:?}"
    );
    // The lab can go back to the server's key.
    click(&root, "lab-restore-key");
    until("the server's key", || {
        one(&root, "lab-key")
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .value()
            == KEY
    })
    .await;
    assert!(all(&root, "lab-restore-key").is_empty());
}

/// The cookie the simulated jar holds now (from the jar card).
fn first_cookie(root: &Element) -> String {
    let jar = text(root, "cookie-jar");
    jar.trim_start_matches("session=")
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[wasm_bindgen_test]
async fn a_batch_is_grouped_and_its_note_matches_the_run() {
    let root = mount();
    ready(&root).await;
    send_once(&root).await;
    fill(&root, "count", "4");
    click(&root, "send-parallel");
    until("five finished rows", || {
        rows(&root).len() == 5 && settled(&root)
    })
    .await;
    let batch: Vec<Element> = rows(&root).into_iter().skip(1).collect();
    for r in &batch {
        assert_eq!(r.get_attribute("data-batch").as_deref(), Some("4"));
        assert_eq!(r.get_attribute("data-carried").as_deref(), Some("1"));
        assert_eq!(text(r, "exchange-visit"), "carried 1 → visit 2");
    }
    assert_eq!(all(&root, "batch-head").len(), 1);
    assert_eq!(text(&root, "batch-head"), "4 requests sent together");
    until("the note", || !all(&root, "action-note").is_empty()).await;
    let note = text(&root, "action-note");
    assert!(note.contains("from 1 to 2, not 5: 3 visits lost"), "{note}");
    assert!(
        note.contains("All of them carried the same cookie (visit 1)"),
        "{note}"
    );
    // The next action takes the note away.
    send_once(&root).await;
    assert!(all(&root, "action-note").is_empty());
}

#[wasm_bindgen_test]
async fn a_401_says_why_without_markdown() {
    let root = mount();
    ready(&root).await;
    fill(&root, "password", "meow");
    let row = send_once(&root).await;
    let error = text(&row, "exchange-error");
    assert!(
        error.starts_with("401 Unauthorized: wrong password for cobra"),
        "{error}"
    );
    assert!(
        !error.contains("another user") && !error.contains('`'),
        "{error}"
    );
    fill(&root, "username", "bob");
    let row = send_once(&root).await;
    let error = text(&row, "exchange-error");
    assert!(
        error.starts_with("401 Unauthorized: this server has no user bob"),
        "{error}"
    );
    // The server's own note, in the details, has its code spans as code, not backticks.
    click_el(&all(&row, "exchange-toggle")[0]);
    until("details", || !all(&row, "exchange-details").is_empty()).await;
    let details = text(&row, "exchange-details");
    assert!(!details.contains('`'), "{details}");
    assert!(!details.contains("another user"), "{details}");
}

#[wasm_bindgen_test]
async fn controls_say_what_they_did() {
    let root = mount();
    ready(&root).await;
    fill(&root, "count", "99");
    until("the cap note", || !all(&root, "count-capped").is_empty()).await;
    assert!(text(&root, "count-capped").contains("N = 99 is outside 1 to 50: it was set to 50"));
    fill(&root, "count", "7");
    until("the cap note to go", || {
        all(&root, "count-capped").is_empty()
    })
    .await;
    // Re-signing with an empty key is refused, with the reason.
    fill(&root, "lab-key", "");
    click(&root, "lab-resign");
    until("the refusal", || {
        text(&root, "lab-message").contains("Type a key to sign with")
    })
    .await;
}

#[wasm_bindgen_test]
async fn skip_link_header_link_and_jump_to_results() {
    let root = mount();
    ready(&root).await;
    let skip = one(&root, "skip-to-playground");
    assert_eq!(skip.get_attribute("href").as_deref(), Some("#playground"));
    assert!(root.query_selector("#playground").unwrap().is_some());
    assert_eq!(
        one(&root, "header-exercises")
            .get_attribute("href")
            .as_deref(),
        Some("#exercises")
    );
    assert!(root.query_selector("#exercises").unwrap().is_some());
    assert!(all(&root, "jump-to-results").is_empty());
    click_el(&all(&root, "run-in-playground")[0]);
    until("the jump to the results", || {
        !all(&root, "jump-to-results").is_empty()
    })
    .await;
    assert_eq!(
        one(&root, "jump-to-results")
            .get_attribute("href")
            .as_deref(),
        Some("#exchanges")
    );
    assert!(root.query_selector("#exchanges").unwrap().is_some());
}

#[wasm_bindgen_test]
async fn the_simulated_banner_says_how_to_start_a_real_server() {
    let root = mount();
    ready(&root).await;
    let banner = text(&root, "banner");
    assert!(
        banner.contains("greeting-server for the playground's, flask run for your own Flask app")
            && !banner.contains("cargo"),
        "{banner}"
    );
    let link = one(&root, "start-help-link");
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("#starting-a-server")
    );
    let help = one(&root, "start-help");
    assert_eq!(help.id(), "starting-a-server");
    assert!(!help.has_attribute("open"));
    click_el(&link);
    until("the panel to open", || help.has_attribute("open")).await;
    let steps = help.text_content().unwrap_or_default();
    for step in [
        "flask --app app run",
        "greeting-server --static dist --port 5000",
        "cargo xtask run",
    ] {
        assert!(steps.contains(step), "{step} missing from: {steps}");
    }
}
