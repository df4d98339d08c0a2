//! Browser plumbing: fetch with credentials mode, exchange id and timeout; the no-cors probe;
//! the side channel (EventSource), whose `hello` gives this page its token, sent with every
//! request to that server (`X-Playground-Page`) so the server shows the page its own exchanges;
//! timers and clocks. Results are handed to the pure model.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_net::http::{Method, Request, RequestBuilder, Response};
use greeting_core::{ExchangeReport, Header, ServerInfo};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    AbortController, EventSource, EventSourceInit, MessageEvent, RequestCache, RequestCredentials,
    RequestMode, RequestRedirect, ResponseType,
};

use crate::model::errors::{cap_body, Failure};

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A monotonic clock in milliseconds, for durations.
pub fn perf_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// `Date.toUTCString()`: the HTTP date format (`Wed, 17 Nov 2021 20:42:27 GMT`).
pub fn http_date(ms: u64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_utc_string()
        .into()
}

/// Local wall-clock time `HH:MM:SS.mmm`.
pub fn clock(ms: u64) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds(),
        d.get_milliseconds()
    )
}

pub fn user_agent() -> Option<String> {
    web_sys::window()?.navigator().user_agent().ok()
}

/// The page's origin, `http://host:port`.
pub fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Random bytes from `Math.random` (enough for a simulated server's key and exchange ids).
pub fn random_bytes(n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| (js_sys::Math::random() * 256.0) as u8)
        .collect()
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A `setTimeout` that is cleared when dropped.
pub struct Timer {
    id: i32,
    _closure: Closure<dyn FnMut()>,
}

impl Timer {
    pub fn new(ms: u32, f: impl FnMut() + 'static) -> Option<Timer> {
        let closure = Closure::<dyn FnMut()>::new(f);
        let id = web_sys::window()?
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                closure.as_ref().unchecked_ref(),
                ms as i32,
            )
            .ok()?;
        Some(Timer {
            id,
            _closure: closure,
        })
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(self.id);
        }
    }
}

thread_local! {
    /// The side channel's server (its base) and this page's token there, from `hello`.
    static PAGE_TOKEN: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// The `X-Playground-Page` header for a request to `url`, when the side channel of that
/// server gave this page a token.
fn page_token_header(url: &str) -> Option<Header> {
    PAGE_TOKEN.with(|t| {
        let t = t.borrow();
        let (base, token) = t.as_ref()?;
        let prefix = crate::model::target::join(base, "/");
        url.starts_with(&prefix)
            .then(|| Header::new("X-Playground-Page", token.clone()))
    })
}

/// The side channel's first event (the fields the page reads).
#[derive(serde::Deserialize)]
struct Hello {
    token: Option<String>,
}

/// The page's own URL parameter `name` (`?instructor=T`), decoded.
fn url_parameter(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| js_sys::decode_uri_component(value).ok())
        .map(String::from)
}

/// What one fetch came back with.
pub struct Fetched {
    pub status: u16,
    pub headers: Vec<Header>,
    pub body: String,
    pub content_type: Option<String>,
}

fn headers_of(resp: &Response) -> Vec<Header> {
    resp.headers()
        .entries()
        .map(|(n, v)| Header::new(n, v))
        .collect()
}

/// GET (or POST) with the given headers, credentials mode and timeout.
pub async fn fetch(
    method: &str,
    url: &str,
    headers: &[Header],
    include_credentials: bool,
    timeout_ms: u32,
) -> Result<Fetched, Failure> {
    fetch_with_body(method, url, headers, None, include_credentials, timeout_ms).await
}

/// [`fetch`] with any method and an optional body (the page's Python: `requests.post(...)`).
pub async fn fetch_with_body(
    method: &str,
    url: &str,
    headers: &[Header],
    body: Option<&str>,
    include_credentials: bool,
    timeout_ms: u32,
) -> Result<Fetched, Failure> {
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| Failure::Network {
        message: format!("{method:?} is not an HTTP method"),
    })?;
    let controller = AbortController::new().ok();
    let timed_out = Rc::new(Cell::new(false));
    let _timer = controller.as_ref().and_then(|c| {
        let c = c.clone();
        let flag = timed_out.clone();
        Timer::new(timeout_ms, move || {
            flag.set(true);
            c.abort();
        })
    });
    let mut builder = RequestBuilder::new(url)
        .method(method)
        .credentials(if include_credentials {
            RequestCredentials::Include
        } else {
            RequestCredentials::Omit
        })
        .cache(RequestCache::NoStore)
        .redirect(RequestRedirect::Manual);
    for h in headers.iter().chain(page_token_header(url).as_ref()) {
        builder = builder.header(&h.name, &h.value);
    }
    let signal = controller.as_ref().map(|c| c.signal());
    builder = builder.abort_signal(signal.as_ref());
    let network = |e: gloo_net::Error, timed_out: &Cell<bool>| {
        if timed_out.get() {
            Failure::Timeout {
                after_ms: timeout_ms,
            }
        } else {
            Failure::Network {
                message: e.to_string(),
            }
        }
    };
    let request = match body {
        Some(body) => builder.body(body),
        None => builder.build(),
    }
    .map_err(|e| network(e, &timed_out))?;
    let resp = request.send().await.map_err(|e| network(e, &timed_out))?;
    if resp.type_() == ResponseType::Opaqueredirect {
        return Err(Failure::Redirect);
    }
    let status = resp.status();
    let headers = headers_of(&resp);
    let content_type = resp.headers().get("content-type");
    let body = cap_body(resp.text().await.map_err(|e| network(e, &timed_out))?);
    Ok(Fetched {
        status,
        headers,
        body,
        content_type,
    })
}

/// `POST url` with a JSON body, credentials included (the lab's calls to its own server): the
/// status and body, or why nothing answered.
pub async fn post_json(url: &str, body: &serde_json::Value) -> Result<(u16, String), String> {
    let request = Request::post(url)
        .credentials(RequestCredentials::Include)
        .cache(RequestCache::NoStore)
        .json(body)
        .map_err(|e| format!("could not build the request: {e}"))?;
    let response = request
        .send()
        .await
        .map_err(|e| format!("the request to {url} failed ({e}); is the server still running?"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    Ok((status, cap_body(text)))
}

/// A `mode: "no-cors"` GET: an opaque answer means a server listens there.
pub async fn probe(url: &str) -> bool {
    let controller = AbortController::new().ok();
    let _timer = controller.as_ref().and_then(|c| {
        let c = c.clone();
        Timer::new(3000, move || c.abort())
    });
    let signal = controller.as_ref().map(|c| c.signal());
    Request::get(url)
        .mode(RequestMode::NoCors)
        .credentials(RequestCredentials::Omit)
        .cache(RequestCache::NoStore)
        .abort_signal(signal.as_ref())
        .send()
        .await
        .is_ok()
}

/// `GET {base}/playground/api/info`, parsed.
pub async fn server_info(base: &str, timeout_ms: u32) -> Result<ServerInfo, String> {
    let url = crate::model::target::join(base, "/playground/api/info");
    let shown = if base.is_empty() {
        format!("{}{url}", page_origin())
    } else {
        url.clone()
    };
    match fetch("GET", &url, &[], false, timeout_ms).await {
        Ok(f) if f.status == 200 => serde_json::from_str::<ServerInfo>(&f.body)
            .map_err(|_| format!("{shown} answered, but not with the greeting server's info")),
        Ok(f) => Err(format!("{shown} answered with status {}", f.status)),
        Err(Failure::Timeout { after_ms }) => {
            Err(format!("{shown} did not answer within {after_ms} ms"))
        }
        Err(_) => Err(format!("nothing answered at {shown}")),
    }
}

/// The side channel: an EventSource on `{base}/playground/api/events` (with the page's
/// `?instructor=T` passed on: the instructor view), closed when dropped.
pub struct SideChannel {
    source: EventSource,
    _on_hello: Closure<dyn FnMut(MessageEvent)>,
    _on_exchange: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut(web_sys::Event)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl SideChannel {
    pub fn open(
        base: &str,
        with_credentials: bool,
        mut on_report: impl FnMut(ExchangeReport) + 'static,
        mut on_state: impl FnMut(bool) + 'static,
    ) -> Option<SideChannel> {
        let mut url = crate::model::target::join(base, "/playground/api/events");
        if let Some(token) = url_parameter("instructor") {
            let token: String = js_sys::encode_uri_component(&token).into();
            url.push_str(&format!("?instructor={token}"));
        }
        let init = EventSourceInit::new();
        init.set_with_credentials(with_credentials);
        let source = EventSource::new_with_event_source_init_dict(&url, &init).ok()?;
        let token_base = base.to_string();
        let on_hello = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let token = ev
                .data()
                .as_string()
                .and_then(|text| serde_json::from_str::<Hello>(&text).ok())
                .and_then(|hello| hello.token);
            PAGE_TOKEN.with(|t| *t.borrow_mut() = token.map(|token| (token_base.clone(), token)));
        });
        let on_exchange = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(text) = ev.data().as_string() {
                match serde_json::from_str::<ExchangeReport>(&text) {
                    Ok(r) => on_report(r),
                    Err(e) => web_sys::console::log_1(
                        &format!("side channel: unreadable report ({e})").into(),
                    ),
                }
            }
        });
        let state = Rc::new(std::cell::RefCell::new(move |up: bool| on_state(up)));
        let s1 = state.clone();
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| (s1.borrow_mut())(true));
        let s2 = state;
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| (s2.borrow_mut())(false));
        source
            .add_event_listener_with_callback("hello", on_hello.as_ref().unchecked_ref())
            .ok()?;
        source
            .add_event_listener_with_callback("exchange", on_exchange.as_ref().unchecked_ref())
            .ok()?;
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(SideChannel {
            source,
            _on_hello: on_hello,
            _on_exchange: on_exchange,
            _on_open: on_open,
            _on_error: on_error,
        })
    }
}

impl Drop for SideChannel {
    fn drop(&mut self) {
        self.source.close();
        PAGE_TOKEN.with(|t| *t.borrow_mut() = None);
        self.source.set_onopen(None);
        self.source.set_onerror(None);
    }
}
