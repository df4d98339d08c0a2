//! Component tests for the course material (wasm-bindgen-test in headless Chromium): exercises
//! solved against the simulated server, hints and explanations, progress in localStorage
//! (corrupt, older, newer, blocked), the cookie lab (decode, verify, re-sign, plant, forge,
//! tamper), copy as Python/curl, the shareable link, Ctrl+Enter, labels.
//!
//! Run: CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!      CHROMEDRIVER=/usr/bin/chromedriver \
//!      cargo test --target wasm32-unknown-unknown --tests -p sessions-playground
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use sessions_playground::model::exercises::EXERCISES;
use sessions_playground::model::progress::STORAGE_KEY;
use sessions_playground::model::target::TargetKind;
use sessions_playground::{App, Options};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

const V1: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE";
const COMPRESSED: &str =
    ".eJyrVsrLL0lVslLKyCwuViCJUNJRKi1OLcpLzAXpT85PKkoECpVlFmeWKFkZ1gIAp20fNg.YZaTHQ.myDVbKeBIXWUJds1ecjtWCiEfw4";

/// A mounted page; unmounted (and its Ctrl+Enter listener removed) when dropped.
struct Page {
    root: Element,
    _handle: Box<dyn std::any::Any>,
}

impl Drop for Page {
    fn drop(&mut self) {
        self.root.remove();
    }
}

fn mount_with(start: Option<TargetKind>) -> Page {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div: HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    let options = Options {
        start,
        sim_key: Some(KEY.into()),
    };
    let handle = leptos::mount::mount_to(div.clone(), move || view! { <App options=options/> });
    Page {
        root: div.into(),
        _handle: Box::new(handle),
    }
}

fn mount() -> Page {
    mount_with(Some(TargetKind::Simulated))
}

fn text_now(root: &Element, testid: &str) -> String {
    all(root, testid)
        .first()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn value(root: &Element, testid: &str) -> String {
    js_sys::Reflect::get(&one(root, testid), &"value".into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

fn exercise(root: &Element, id: &str) -> Element {
    root.query_selector(&format!("[data-testid=exercise][data-id=\"{id}\"]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no exercise {id}"))
}

fn solved(root: &Element, id: &str) -> bool {
    exercise(root, id).get_attribute("data-solved").as_deref() == Some("true")
}

fn visits(root: &Element) -> Vec<String> {
    all(root, "exchange-row")
        .into_iter()
        .map(|r| r.get_attribute("data-visit").unwrap_or_default())
        .collect()
}

async fn rows_settled(root: &Element, n: usize) {
    until(&format!("{n} finished rows"), || {
        let r = all(root, "exchange-row");
        r.len() == n
            && r.iter().all(|r| {
                r.get_attribute("data-status").is_some() || !all(r, "exchange-error").is_empty()
            })
    })
    .await;
}

async fn send_once(root: &Element) -> String {
    let n = all(root, "exchange-row").len();
    click(root, "send-once");
    rows_settled(root, n + 1).await;
    visits(root).pop().unwrap()
}

async fn ready(root: &Element) {
    until("the simulated server", || {
        text_now(root, "target-kind") == "simulated"
    })
    .await;
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn stored() -> Option<String> {
    storage().get_item(STORAGE_KEY).unwrap()
}

fn set_stored(v: Option<&str>) {
    match v {
        Some(v) => storage().set_item(STORAGE_KEY, v).unwrap(),
        None => storage().remove_item(STORAGE_KEY).unwrap(),
    }
}

fn stored_json() -> serde_json::Value {
    serde_json::from_str(&stored().expect("progress stored")).expect("stored progress is JSON")
}

fn js(args: &str, body: &str) -> js_sys::Function {
    js_sys::Function::new_with_args(args, body)
}

#[wasm_bindgen_test]
async fn an_exercise_is_solved_with_hints_and_explanation() {
    set_stored(None);
    let page = mount();
    let root = &page.root;
    ready(root).await;
    assert_eq!(all(root, "exercise").len(), EXERCISES.len());
    assert_eq!(
        text(root, "exercise-count"),
        format!("0 of {} solved", EXERCISES.len())
    );
    let ex = exercise(root, "three-visits");
    assert!(!solved(root, "three-visits"));
    assert!(
        all(&ex, "exercise-explanation").is_empty(),
        "no explanation before it is solved"
    );

    // Hints one at a time.
    assert!(all(&ex, "exercise-hint").is_empty());
    click_el(&all(&ex, "exercise-hint-next")[0]);
    until("one hint", || all(&ex, "exercise-hint").len() == 1).await;
    assert!(text(&ex, "exercise-hint").contains("Session: keep cookies"));
    click_el(&all(&ex, "exercise-hint-next")[0]);
    until("two hints", || all(&ex, "exercise-hint").len() == 2).await;
    assert_eq!(stored_json()["exercises"]["three-visits"]["hints_shown"], 2);

    // Do it: three greetings in one session.
    click(root, "mode-session");
    for want in ["1", "2"] {
        assert_eq!(send_once(root).await, want);
    }
    assert!(!solved(root, "three-visits"), "visit 2 is not visit 3");
    assert_eq!(send_once(root).await, "3");
    until("three-visits solved", || solved(root, "three-visits")).await;
    let explanation = text(&ex, "exercise-explanation");
    assert!(explanation.contains("cookie"), "{explanation}");
    assert_eq!(
        text(root, "exercise-count"),
        format!("1 of {} solved", EXERCISES.len())
    );
    assert!(!solved(root, "no-session") && !solved(root, "forge"));
    let s = stored_json();
    assert_eq!(s["version"], 2);
    assert!(
        s["exercises"]["three-visits"]["solved_at_ms"]
            .as_u64()
            .unwrap()
            > 0
    );

    // Saved: a new page load shows it solved, with its hints.
    drop(page);
    let page = mount();
    let root = &page.root;
    ready(root).await;
    assert!(solved(root, "three-visits"));
    assert_eq!(
        all(&exercise(root, "three-visits"), "exercise-hint").len(),
        2
    );

    // Reset progress: unsolved, and the exchanges made before do not count again.
    click(root, "progress-reset");
    until("the question", || {
        !all(root, "progress-reset-question").is_empty()
    })
    .await;
    assert!(
        solved(root, "three-visits"),
        "nothing is wiped before the answer"
    );
    click(root, "progress-reset-cancel");
    until("the question to go", || {
        all(root, "progress-reset-question").is_empty()
    })
    .await;
    assert!(solved(root, "three-visits"), "kept");
    click(root, "progress-reset");
    until("the question", || {
        !all(root, "progress-reset-confirm").is_empty()
    })
    .await;
    click(root, "progress-reset-confirm");
    until("reset", || !solved(root, "three-visits")).await;
    assert_eq!(stored_json()["exercises"], serde_json::json!({}));
    set_stored(None);
}

#[wasm_bindgen_test]
async fn progress_reset_ignores_earlier_exchanges() {
    set_stored(None);
    let page = mount();
    let root = &page.root;
    ready(root).await;
    click(root, "mode-no-session");
    fill(root, "count", "3");
    click(root, "send-sequence");
    rows_settled(root, 3).await;
    until("no-session solved", || solved(root, "no-session")).await;
    click(root, "progress-reset");
    until("the question", || {
        !all(root, "progress-reset-confirm").is_empty()
    })
    .await;
    click(root, "progress-reset-confirm");
    until("reset", || !solved(root, "no-session")).await;
    // One more first visit is not three in a row after the reset...
    send_once(root).await;
    sleep(50).await;
    assert!(!solved(root, "no-session"));
    // ... three are.
    send_once(root).await;
    send_once(root).await;
    until("solved again", || solved(root, "no-session")).await;
    set_stored(None);
}

#[wasm_bindgen_test]
async fn corrupt_progress_is_reset_not_a_crash() {
    set_stored(Some("{\"version\":2,\"exercises\":[oops"));
    let page = mount();
    let root = &page.root;
    ready(root).await;
    until("the notice", || all(root, "progress-notice").len() == 1).await;
    assert!(
        text(root, "progress-notice").contains("starts afresh"),
        "{}",
        text(root, "progress-notice")
    );
    assert_eq!(all(root, "exercise").len(), EXERCISES.len());
    assert_eq!(
        stored_json(),
        serde_json::json!({"version": 2, "exercises": {}}),
        "the bad entry was replaced"
    );
    // The page works: send, solve, save.
    fill(root, "password", "meow");
    send_once(root).await;
    fill(root, "password", "hiss");
    send_once(root).await;
    until("wrong-password solved", || solved(root, "wrong-password")).await;
    assert!(stored_json()["exercises"]["wrong-password"]["solved_at_ms"].is_u64());
    set_stored(None);
}

#[wasm_bindgen_test]
async fn older_progress_is_migrated_and_newer_is_not_overwritten() {
    set_stored(Some(r#"{"version":1,"solved":["reset","tamper"]}"#));
    let page = mount();
    let root = &page.root;
    ready(root).await;
    assert!(solved(root, "reset") && solved(root, "tamper") && !solved(root, "forge"));
    assert!(text(root, "progress-notice").contains("older version"));
    assert_eq!(stored_json()["version"], 2);
    assert!(stored_json()["exercises"]["tamper"]["solved_at_ms"].is_u64());
    drop(page);

    let newer = r#"{"version":9,"exercises":{"forge":{"solved_at_ms":7,"hints_shown":0,"stars":3}},"extra":true}"#;
    set_stored(Some(newer));
    let page = mount();
    let root = &page.root;
    ready(root).await;
    assert!(solved(root, "forge"));
    assert!(text(root, "progress-notice").contains("newer version"));
    click_el(&all(&exercise(root, "reset"), "exercise-hint-next")[0]);
    until("a hint", || {
        all(&exercise(root, "reset"), "exercise-hint").len() == 1
    })
    .await;
    assert_eq!(
        stored().as_deref(),
        Some(newer),
        "a newer page's progress is left alone"
    );
    set_stored(None);
}

#[wasm_bindgen_test]
async fn blocked_storage_still_works() {
    set_stored(None);
    let window = web_sys::window().unwrap();
    let original = js_sys::Object::get_own_property_descriptor(&window, &"localStorage".into());
    let block = js(
        "w",
        "Object.defineProperty(w, 'localStorage', { configurable: true, get() { throw new DOMException('The operation is insecure.', 'SecurityError'); } });",
    );
    block.call1(&JsValue::NULL, &window).unwrap();
    assert!(
        window.local_storage().is_err(),
        "storage is blocked for the test"
    );

    let page = mount();
    let root = &page.root;
    ready(root).await;
    assert!(
        text(root, "progress-notice").contains("blocks"),
        "{}",
        text(root, "progress-notice")
    );
    for _ in 0..3 {
        send_once(root).await;
    }
    until("three-visits solved", || solved(root, "three-visits")).await;
    click_el(&all(&exercise(root, "forge"), "exercise-hint-next")[0]);
    until("a hint", || {
        all(&exercise(root, "forge"), "exercise-hint").len() == 1
    })
    .await;
    drop(page);

    if original.is_undefined() {
        js("w", "delete w.localStorage;")
            .call1(&JsValue::NULL, &window)
            .unwrap();
    } else {
        js_sys::Object::define_property(
            &window,
            &"localStorage".into(),
            &original.unchecked_into(),
        );
    }
    assert!(window.local_storage().is_ok());
    assert_eq!(stored(), None, "nothing was written while blocked");
}

#[wasm_bindgen_test]
async fn cookie_lab_decodes_verifies_resigns_and_forges() {
    set_stored(None);
    let page = mount();
    let root = &page.root;
    ready(root).await;
    until("the key prefilled from the simulated server", || {
        value(root, "lab-key") == KEY
    })
    .await;
    let resources = || {
        let p = web_sys::window().unwrap().performance().unwrap();
        js_sys::Reflect::get(&p, &"getEntriesByType".into())
            .unwrap()
            .unchecked_into::<js_sys::Function>()
            .call1(&p, &"resource".into())
            .unwrap()
            .unchecked_into::<js_sys::Array>()
            .length()
    };
    let before = resources();

    // Paste a whole Set-Cookie line.
    fill(
        root,
        "lab-input",
        &format!("Set-Cookie: session={V1}; HttpOnly; Path=/"),
    );
    until("decoded", || !all(root, "lab-payload").is_empty()).await;
    let payload = text(root, "lab-payload");
    assert!(
        payload.contains("\"username\": \"cobra\"") && payload.contains("\"visit\": 1"),
        "{payload}"
    );
    assert!(text(root, "lab-compression").contains("not compressed"));
    assert!(text(root, "lab-date").contains("2021-11-18 17:53:33 UTC"));
    assert_eq!(text(root, "lab-signature").len(), 40);
    let tags = text(root, "lab-tags");
    assert!(
        tags.contains("username") && tags.contains("str") && tags.contains("int"),
        "{tags}"
    );
    // Right key, but signed in 2021: older than 31 days.
    assert!(
        text(root, "lab-expiry").contains("expired"),
        "{}",
        text(root, "lab-expiry")
    );
    assert!(
        text(root, "lab-verdict").contains("expired"),
        "{}",
        text(root, "lab-verdict")
    );
    fill(root, "lab-key", "another-key");
    until("wrong key", || {
        text_now(root, "lab-verdict").contains("signature")
    })
    .await;
    fill(root, "lab-key", "");
    until("no key", || {
        text_now(root, "lab-verdict").starts_with("not checked")
    })
    .await;

    fill(root, "lab-input", COMPRESSED);
    until("compressed", || {
        text_now(root, "lab-compression").contains("zlib")
    })
    .await;
    assert!(text(root, "lab-payload").contains("hiss hiss"));
    fill(root, "lab-input", "not a cookie");
    until("an explained error", || !all(root, "lab-error").is_empty()).await;
    assert!(text(root, "lab-privacy").contains("Decoded in your browser; nothing is sent."));
    assert_eq!(resources(), before, "decoding made no request");

    // Forge: the latest cookie, visit 99, re-signed with the server's key, planted, sent.
    fill(root, "lab-key", KEY);
    send_once(root).await;
    click(root, "lab-use-latest");
    until("the latest cookie", || {
        text_now(root, "lab-payload").contains("\"visit\": 1")
    })
    .await;
    until("the editor", || {
        value(root, "lab-edit").contains("\"visit\": 1")
    })
    .await;
    let edited = value(root, "lab-edit").replace("\"visit\": 1", "\"visit\": 99");
    fill(root, "lab-edit", &edited);
    click(root, "lab-resign");
    until("re-signed", || {
        text_now(root, "lab-payload").contains("\"visit\": 99")
    })
    .await;
    assert!(
        text(root, "lab-verdict").starts_with("verifies"),
        "{}",
        text(root, "lab-verdict")
    );
    click(root, "lab-plant");
    until("planted", || {
        text_now(root, "cookie-jar").contains(&value(root, "lab-input"))
    })
    .await;
    click(root, "lab-send");
    rows_settled(root, 2).await;
    assert_eq!(visits(root), ["1", "100"]);
    until("forge solved", || solved(root, "forge")).await;
    assert!(!solved(root, "tamper"));

    // Tamper: the same edit signed with a guessed key is rejected, silently: visit 1.
    fill(root, "lab-key", "my-guess");
    let edited = value(root, "lab-edit").replace("\"visit\": 99", "\"visit\": 500");
    fill(root, "lab-edit", &edited);
    click(root, "lab-resign");
    until("signed with the guess", || {
        text_now(root, "lab-payload").contains("500")
    })
    .await;
    assert!(
        text(root, "lab-verdict").starts_with("verifies"),
        "with the typed key, it does"
    );
    assert!(
        text(root, "lab-server-verdict").starts_with("does not verify"),
        "{}",
        text(root, "lab-server-verdict")
    );
    click(root, "lab-plant");
    until("planted", || !all(root, "lab-send").is_empty()).await;
    assert_eq!(send_once(root).await, "1");
    until("tamper solved", || solved(root, "tamper")).await;

    // Planting something that is not a cookie is refused with a reason.
    fill(root, "lab-input", "a b");
    click(root, "lab-plant");
    until("refused", || {
        text_now(root, "lab-message").contains("Cannot plant")
    })
    .await;
    set_stored(None);
}

#[wasm_bindgen_test]
async fn ctrl_enter_sends_and_copy_as_follows_what_was_done() {
    set_stored(None);
    let page = mount();
    let root = &page.root;
    ready(root).await;
    assert!(text(root, "copy-summary").starts_with("Nothing sent yet"));
    let press = js("el", "el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }))");
    let username = one(root, "username");
    for n in 1..=3 {
        press.call1(&JsValue::NULL, &username).unwrap();
        rows_settled(root, n).await;
    }
    assert_eq!(visits(root), ["1", "2", "3"]);
    let meta = js("el", "el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', metaKey: true, bubbles: true }))");
    meta.call1(&JsValue::NULL, &username).unwrap();
    rows_settled(root, 4).await;

    until("the summary", || {
        text_now(root, "copy-summary").contains("4 requests in a row in one session")
    })
    .await;
    let py = text(root, "copy-python");
    assert!(
        py.contains("with requests.Session() as s:")
            && py.contains("range(4)")
            && py.contains("s.auth = (\"cobra\", \"hiss\")"),
        "{py}"
    );
    assert!(
        py.contains("URL = \"http://localhost:5000/greeting\""),
        "simulated: the real server's default address\n{py}"
    );
    let sh = text(root, "copy-curl");
    assert!(
        sh.contains(
            "curl -sS -u 'cobra:hiss' -b jar.txt -c jar.txt 'http://localhost:5000/greeting'"
        ) && sh.contains("seq 4"),
        "{sh}"
    );

    click(root, "mode-no-session");
    fill(root, "count", "5");
    click(root, "send-parallel");
    rows_settled(root, 9).await;
    until("the parallel recipe", || {
        text_now(root, "copy-python").contains("ThreadPoolExecutor(max_workers=5)")
    })
    .await;
    assert!(!text(root, "copy-python").contains("Session()"));
    let sh = text(root, "copy-curl");
    assert!(
        !sh.contains("-b jar.txt") && sh.contains(" &\ndone\nwait"),
        "{sh}"
    );

    let link = value(root, "share-link");
    for want in ["user=cobra", "session=none", "n=5", "target=simulated"] {
        assert!(link.contains(want), "{link} lacks {want}");
    }
    assert!(!link.contains("hiss"), "never the password: {link}");

    // Copy: the clipboard, or (when the browser refuses) the text shown to copy by hand.
    click(root, "copy-python-button");
    until("copied or shown", || {
        !text_now(root, "copy-status").is_empty()
    })
    .await;
    if !text(root, "copy-status").starts_with("Copied") {
        assert_eq!(value(root, "copy-fallback"), text(root, "copy-python"));
    }
    set_stored(None);
}

#[wasm_bindgen_test]
async fn a_shared_link_sets_the_page_up_without_a_password() {
    set_stored(None);
    let replace = js("u", "history.replaceState(null, '', u)");
    let before = web_sys::window().unwrap().location().href().unwrap();
    replace
        .call1(
            &JsValue::NULL,
            &"?user=nagini&session=none&n=7&target=simulated&password=crawl".into(),
        )
        .unwrap();
    let page = mount_with(None);
    let root = &page.root;
    ready(root).await;
    replace.call1(&JsValue::NULL, &before.into()).unwrap();
    let input = |t: &str| one(root, t).dyn_into::<HtmlInputElement>().unwrap();
    until("the link's user", || input("username").value() == "nagini").await;
    assert_eq!(
        input("password").value(),
        "",
        "a link never carries the password"
    );
    assert!(input("mode-no-session").checked());
    assert_eq!(input("count").value(), "7");
    assert!(text(root, "action-note").contains("user nagini"));
    fill(root, "password", "crawl");
    send_once(root).await;
    assert!(all(root, "exchange-message")
        .pop()
        .unwrap()
        .text_content()
        .unwrap()
        .contains("Welcome, nagini!"));
}

/// Every control on the page has an accessible name (a label, aria-label(ledby) or text).
#[wasm_bindgen_test]
async fn every_control_is_labelled() {
    set_stored(None);
    let page = mount();
    let root = &page.root;
    ready(root).await;
    send_once(root).await;
    fill(root, "lab-input", V1);
    until("decoded", || !all(root, "lab-payload").is_empty()).await;
    let doc = web_sys::window().unwrap().document().unwrap();
    let controls = root
        .query_selector_all("input, textarea, select, button, summary")
        .unwrap();
    let mut unnamed = Vec::new();
    for i in 0..controls.length() {
        let el: Element = controls.item(i).unwrap().dyn_into().unwrap();
        let tag = el.tag_name().to_lowercase();
        let id = el.id();
        let named = el
            .get_attribute("aria-label")
            .is_some_and(|s| !s.trim().is_empty())
            || el.get_attribute("aria-labelledby").is_some()
            || (!id.is_empty()
                && doc
                    .query_selector(&format!("label[for=\"{id}\"]"))
                    .unwrap()
                    .is_some())
            || el.closest("label").unwrap().is_some()
            || (matches!(tag.as_str(), "button" | "summary")
                && !el.text_content().unwrap_or_default().trim().is_empty());
        if !named {
            unnamed.push(el.outer_html().chars().take(160).collect::<String>());
        }
    }
    assert!(
        unnamed.is_empty(),
        "controls without a name:\n{}",
        unnamed.join("\n")
    );
    set_stored(None);
}
