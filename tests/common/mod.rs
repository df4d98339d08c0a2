//! What both component-test files need to find, read and drive elements by `data-testid`.
//! (Not every test file uses every helper.)
#![allow(dead_code)]

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// The simulated server's key in the component tests (the notes' check-vector key).
pub const KEY: &str = "playground-demo-secret";

pub fn all(root: &Element, testid: &str) -> Vec<Element> {
    let list = root
        .query_selector_all(&format!("[data-testid=\"{testid}\"]"))
        .unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
        .collect()
}

pub fn one(root: &Element, testid: &str) -> Element {
    all(root, testid)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no element with data-testid={testid}"))
}

pub fn text(root: &Element, testid: &str) -> String {
    one(root, testid).text_content().unwrap_or_default()
}

pub fn click_el(e: &Element) {
    e.clone().dyn_into::<HtmlElement>().unwrap().click();
}

pub fn click(root: &Element, testid: &str) {
    click_el(&one(root, testid));
}

/// Types into an input or a textarea, as a user would (an `input` event follows).
pub fn fill(root: &Element, testid: &str, v: &str) {
    let el = one(root, testid);
    js_sys::Reflect::set(&el, &"value".into(), &v.into()).unwrap();
    el.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
}

pub async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// Polls `f` every 20 ms for up to 3 s.
pub async fn until(what: &str, f: impl FnMut() -> bool) {
    until_within(what, 3000, f).await
}

/// Polls `f` every 20 ms for up to `ms` milliseconds (for the slow steps: hundreds of exchanges
/// in a debug build).
pub async fn until_within(what: &str, ms: u32, mut f: impl FnMut() -> bool) {
    for _ in 0..ms.div_ceil(20) {
        if f() {
            return;
        }
        sleep(20).await;
    }
    panic!("timed out after {ms} ms waiting for {what}");
}

/// A numeric attribute of the first element with this `data-testid` (`None` when absent).
pub fn num_attr(root: &Element, testid: &str, attr: &str) -> Option<usize> {
    one(root, testid).get_attribute(attr)?.parse().ok()
}
