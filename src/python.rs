//! The page's Python (issue 18): the Web Worker that runs Pyodide (`python/worker.mjs`), started
//! only when a learner first presses Run Python, and the page's side of its four messages (run,
//! output, exchange, stop; documented in `python/README.md`).
//!
//! Every request the learner's `requests` makes arrives here as an exchange and goes through
//! [`exchange`]: the simulated server answers it in the page (the greeting code's exact bytes), or
//! the page fetches it with the browser's cookie jar kept out and requests' jar carried in the
//! opt-in header pair. Either way it lands in the timeline marked "Python in this page".

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use greeting_core::Header;

use crate::app::Playground;
use crate::model::errors::{classify, Probe};
use crate::model::python::{
    answer_headers, fetch_headers, reason, simulated_answers, PyAnswer, PyRequest, CLIENT_LABEL,
};
use crate::model::sim::SimRequest;
use crate::model::target::TargetKind;
use crate::model::timeline::{Completion, Source};
use crate::net;

/// Where the worker is served (Trunk copies `python/` into `dist/python/`).
const WORKER_URL: &str = "python/worker.mjs";

/// Whether Python is there yet.
#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    /// Not started: the page has not fetched a byte of it.
    Idle,
    /// Loading, with the worker's progress sentence.
    Loading(String),
    /// Loaded, in this many milliseconds.
    Ready(f64),
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    /// Waiting for Python to load.
    Waiting,
    Running,
    Finished {
        ok: bool,
    },
    Stopped,
}

/// The latest run of one cell (a chapter code block).
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub cell: String,
    pub id: u32,
    /// `(is_stderr, text)` in the order written.
    pub output: Vec<(bool, String)>,
    pub state: RunState,
    started: f64,
    /// Milliseconds from Run to the first output (what the benchmark reports).
    pub first_output_ms: Option<f64>,
    /// How long Python's worker had been loading when Run was pressed (0: Run started it).
    pub worker_lead_ms: f64,
    pub total_ms: Option<f64>,
}

impl Run {
    /// What the run has written to standard output so far.
    pub fn stdout(&self) -> String {
        self.output
            .iter()
            .filter(|(stderr, _)| !stderr)
            .map(|(_, text)| text.as_str())
            .collect()
    }
}

struct Live {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

/// The page's Python (a `Copy` handle, provided as context next to [`Playground`]).
#[derive(Clone, Copy)]
pub struct Py {
    pub load: RwSignal<Load>,
    /// Where the last load's time went: `(milestone, ms since the worker was created)`, as the
    /// worker's `ready` message reports them.
    pub milestones: RwSignal<Vec<(String, f64)>>,
    /// When the current worker was created (`performance.now()` of the page).
    worker_created: StoredValue<f64>,
    pub runs: RwSignal<Vec<Run>>,
    live: StoredValue<Option<Live>, LocalStorage>,
    last_run: StoredValue<u32>,
    /// Counts the workers started: an answer for an ended worker is not handed to the next.
    generation: StoredValue<u32>,
}

impl Default for Py {
    fn default() -> Self {
        Py::new()
    }
}

impl Py {
    pub fn new() -> Py {
        Py {
            load: RwSignal::new(Load::Idle),
            milestones: RwSignal::new(Vec::new()),
            worker_created: StoredValue::new(0.0),
            runs: RwSignal::new(Vec::new()),
            live: StoredValue::new_local(None),
            last_run: StoredValue::new(0),
            generation: StoredValue::new(0),
        }
    }

    /// The latest run of `cell`.
    pub fn run_of(&self, cell: &str) -> Option<Run> {
        self.runs
            .with(|rs| rs.iter().find(|r| r.cell == cell).cloned())
    }

    /// The standard output of every cell's latest run that has finished (what the exercises'
    /// checks read).
    pub fn finished_stdout(&self) -> Vec<String> {
        self.runs.with(|rs| {
            rs.iter()
                .filter(|r| matches!(r.state, RunState::Finished { .. }))
                .map(Run::stdout)
                .collect()
        })
    }

    /// Whether any cell's code is running (one at a time: they share one namespace).
    pub fn busy(&self) -> bool {
        self.runs.with(|rs| {
            rs.iter()
                .any(|r| matches!(r.state, RunState::Waiting | RunState::Running))
        })
    }

    /// Runs `code` for `cell`: `mode` "exec" (a script) or "console" (a JSON list of `>>>`
    /// statements). Starts the worker first if it is not running.
    pub fn run(&self, playground: Playground, cell: &str, code: String, mode: &'static str) {
        if self.busy() {
            return;
        }
        if self.live.with_value(Option::is_none) {
            if let Err(e) = self.start(playground) {
                self.load.set(Load::Failed(e));
                return;
            }
        }
        let started = net::perf_now();
        let id = self.last_run.get_value() + 1;
        self.last_run.set_value(id);
        let ready = matches!(self.load.get_untracked(), Load::Ready(_));
        let run = Run {
            cell: cell.to_string(),
            id,
            output: Vec::new(),
            state: if ready {
                RunState::Running
            } else {
                RunState::Waiting
            },
            started,
            first_output_ms: None,
            worker_lead_ms: (started - self.worker_created.get_value()).max(0.0),
            total_ms: None,
        };
        self.runs.update(|rs| {
            rs.retain(|r| r.cell != cell);
            rs.push(run);
        });
        let message = js_sys::Object::new();
        set(&message, "type", &"run".into());
        set(&message, "run", &id.into());
        set(&message, "code", &code.into());
        set(&message, "mode", &mode.into());
        self.post(&message);
    }

    /// Starts loading Python before the first run (a learner focused an editor or reached for
    /// Run Python), so the run does not wait for all of it. Does nothing once a worker runs.
    pub fn warm(&self, playground: Playground) {
        if self.live.with_value(Option::is_some) {
            return;
        }
        if let Err(e) = self.start(playground) {
            self.load.set(Load::Failed(e));
            return;
        }
        let message = js_sys::Object::new();
        set(&message, "type", &"load".into());
        self.post(&message);
    }

    /// Stop: ends the worker (a page that is not cross-origin isolated cannot interrupt it),
    /// so Python starts afresh on the next run, its variables gone.
    pub fn stop(&self) {
        if let Some(live) = self.live.try_update_value(Option::take).flatten() {
            live.worker.terminate();
        }
        self.load.set(Load::Idle);
        self.runs.update(|rs| {
            for r in rs.iter_mut() {
                if matches!(r.state, RunState::Waiting | RunState::Running) {
                    r.state = RunState::Stopped;
                    r.output.push((
                        true,
                        "\nStopped. Python was ended and starts afresh on the next run: its variables are gone.\n"
                            .into(),
                    ));
                }
            }
        });
    }

    fn post(&self, message: &JsValue) {
        self.live.with_value(|l| {
            if let Some(l) = l {
                let _ = l.worker.post_message(message);
            }
        });
    }

    fn start(&self, playground: Playground) -> Result<(), String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(WORKER_URL, &options)
            .map_err(|e| format!("the browser refused to start Python's worker: {e:?}"))?;
        self.generation.update_value(|g| *g += 1);
        self.worker_created.set_value(net::perf_now());
        let py = *self;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            py.on_message(playground, ev.data());
        });
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            let detail = ev
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| format!("{WORKER_URL} could not be loaded"));
            py.failed(format!(
                "Python could not start ({detail}). The page serves it from python/ next to itself: \
                 `cargo xtask setup` installs it, and `cargo xtask run` serves it."
            ));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        self.load
            .set(Load::Loading("Starting Python's worker…".into()));
        self.live.set_value(Some(Live {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        }));
        Ok(())
    }

    fn failed(&self, why: String) {
        if let Some(live) = self.live.try_update_value(Option::take).flatten() {
            live.worker.terminate();
        }
        self.runs.update(|rs| {
            for r in rs.iter_mut() {
                if matches!(r.state, RunState::Waiting | RunState::Running) {
                    r.state = RunState::Finished { ok: false };
                    r.output.push((true, format!("{why}\n")));
                }
            }
        });
        self.load.set(Load::Failed(why));
    }

    fn update_run(&self, id: u32, f: impl FnOnce(&mut Run)) {
        self.runs.update(|rs| {
            if let Some(r) = rs.iter_mut().find(|r| r.id == id) {
                f(r)
            }
        });
    }

    fn on_message(&self, playground: Playground, data: JsValue) {
        let kind = text(&data, "type").unwrap_or_default();
        let run = number(&data, "run").map(|n| n as u32);
        match kind.as_str() {
            "progress" => self
                .load
                .set(Load::Loading(text(&data, "text").unwrap_or_default())),
            "ready" => {
                self.load
                    .set(Load::Ready(number(&data, "ms").unwrap_or_default()));
                self.milestones.set(milestones(&data));
                self.runs.update(|rs| {
                    for r in rs.iter_mut().filter(|r| r.state == RunState::Waiting) {
                        r.state = RunState::Running;
                    }
                });
            }
            "output" => {
                let stderr = text(&data, "stream").as_deref() == Some("stderr");
                let chunk = text(&data, "text").unwrap_or_default();
                if let Some(id) = run {
                    self.update_run(id, |r| {
                        r.first_output_ms
                            .get_or_insert_with(|| net::perf_now() - r.started);
                        match r.output.last_mut() {
                            Some((e, t)) if *e == stderr => t.push_str(&chunk),
                            _ => r.output.push((stderr, chunk)),
                        }
                    });
                }
            }
            "exchange" => {
                let Some(n) = number(&data, "exchange") else {
                    return;
                };
                let request = text(&data, "request").unwrap_or_default();
                let py = *self;
                let generation = self.generation.get_value();
                spawn_local(async move {
                    let answer = exchange(playground, &request).await;
                    if py.generation.get_value() != generation {
                        return;
                    }
                    let json = serde_json::to_string(&answer).unwrap_or_else(|e| {
                        format!("{{\"error\":\"the page could not encode its answer: {e}\"}}")
                    });
                    let message = js_sys::Object::new();
                    set(&message, "type", &"answer".into());
                    set(&message, "exchange", &n.into());
                    set(&message, "response", &json.into());
                    py.post(&message);
                });
            }
            "done" => {
                let ok = js_sys::Reflect::get(&data, &"ok".into())
                    .ok()
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                let error = text(&data, "error");
                if let (Some(e), false) =
                    (&error, matches!(self.load.get_untracked(), Load::Ready(_)))
                {
                    self.load.set(Load::Failed(e.clone()));
                }
                if let Some(id) = run {
                    self.update_run(id, |r| {
                        if let Some(e) = error {
                            r.output.push((true, format!("{e}\n")));
                        }
                        r.total_ms = Some(net::perf_now() - r.started);
                        r.state = RunState::Finished { ok };
                    });
                }
            }
            _ => {}
        }
    }
}

fn set(target: &js_sys::Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &key.into(), value);
}

fn text(data: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(data, &key.into()).ok()?.as_string()
}

fn number(data: &JsValue, key: &str) -> Option<f64> {
    js_sys::Reflect::get(data, &key.into()).ok()?.as_f64()
}

/// The `milestones` of a `ready` message: `[{name, ms}]`.
fn milestones(data: &JsValue) -> Vec<(String, f64)> {
    let Some(list) = js_sys::Reflect::get(data, &"milestones".into())
        .ok()
        .and_then(|l| l.dyn_into::<js_sys::Array>().ok())
    else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|m| Some((text(&m, "name")?, number(&m, "ms")?)))
        .collect()
}

/// One request from the learner's `requests`: into the timeline, then answered by the current
/// target. requests' own jar already put its Cookie header in `request`.
pub async fn exchange(playground: Playground, request: &str) -> PyAnswer {
    let req: PyRequest = match serde_json::from_str(request) {
        Ok(r) => r,
        Err(e) => {
            return PyAnswer::Error {
                error: format!("the page could not read this request ({e})"),
            }
        }
    };
    let simulated = matches!(
        playground.kind.get_untracked(),
        Some(TargetKind::Simulated) | None
    );
    if simulated && !simulated_answers(&req.method, &req.path()) {
        return PyAnswer::Error {
            error: format!(
                "the page's simulated server answers GET requests and POST /logout, not {} {}; \
                 start the playground's greeting server (`greeting-server --static dist --port 5000`; \
                 “Starting a server”, in the Server card, says how to get it) for other methods",
                req.method,
                req.path()
            ),
        };
    }
    let id = playground.new_id();
    let path = req.path();
    playground.timeline.update(|t| {
        t.begin_as(
            &id,
            net::now_ms(),
            &req.method,
            &path,
            req.headers.clone(),
            req.header("Cookie").is_some(),
            Source::Python,
        );
    });
    playground.in_flight.update(|n| *n += 1);
    let started = net::perf_now();
    let answer = if simulated {
        // Let the pending row render, as a network request would.
        net::sleep(0).await;
        simulated_answer(playground, &req, &id, &path, started)
    } else {
        fetched_answer(playground, &req, &id, started).await
    };
    playground.in_flight.update(|n| *n = n.saturating_sub(1));
    answer
}

fn simulated_answer(
    playground: Playground,
    req: &PyRequest,
    id: &str,
    path: &str,
    started: f64,
) -> PyAnswer {
    let now = net::now_ms();
    let date = net::http_date(now);
    let t0 = net::perf_now();
    let asked = SimRequest {
        path,
        authorization: req.header("Authorization"),
        include_cookies: false,
        cookie: req.header("Cookie"),
        exchange_id: Some(id),
        user_agent: req.header("User-Agent"),
        now_ms: now,
        date: &date,
    };
    let mut report = {
        let mut sim = playground.sim.write_value();
        // `simulated_answers` lets through GETs and POST /logout only.
        if req.method == "POST" {
            sim.logout(&asked)
        } else {
            sim.handle(&asked)
        }
    };
    report.duration_micros = ((net::perf_now() - t0) * 1000.0) as u64;
    report.client = CLIENT_LABEL.into();
    // What went out is what requests prepared (no exchange id: the page matched it itself).
    report.request_headers = req.headers.clone();
    let answer = PyAnswer::Response {
        status: report.status,
        reason: reason(report.status).into(),
        headers: report.response_headers.clone(),
        body: report.body.clone(),
    };
    playground.finish_simulated(id, started, report);
    answer
}

async fn fetched_answer(
    playground: Playground,
    req: &PyRequest,
    id: &str,
    started: f64,
) -> PyAnswer {
    let mut headers = fetch_headers(req);
    headers.push(Header::new("X-Playground-Exchange", id));
    let timeout = req
        .timeout_ms
        .unwrap_or_else(|| playground.timeout_ms.get_untracked())
        .max(1);
    let result = net::fetch_with_body(
        &req.method,
        &req.url,
        &headers,
        req.body.as_deref(),
        false,
        timeout,
    )
    .await;
    let elapsed = net::perf_now() - started;
    let ctx = playground.context(Probe::NotTried);
    match result {
        Ok(f) => {
            let completion = Completion::of_answer(
                f.status,
                f.body.clone(),
                f.headers.clone(),
                f.content_type,
                &ctx,
            );
            playground
                .timeline
                .update(|t| t.complete(id, elapsed, completion));
            PyAnswer::Response {
                status: f.status,
                reason: reason(f.status).into(),
                headers: answer_headers(f.headers),
                body: f.body,
            }
        }
        Err(failure) => {
            let explanation = classify(&failure, &ctx);
            let error = format!("{}: {}", explanation.title, explanation.detail);
            playground.timeline.update(|t| {
                t.complete(
                    id,
                    elapsed,
                    Completion::Failure {
                        explanation,
                        status: None,
                        body: None,
                        headers: Vec::new(),
                    },
                )
            });
            PyAnswer::Error { error }
        }
    }
}
