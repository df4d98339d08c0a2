//! Python in the page (issue 18) in headless Chromium: from the first Run Python to the first
//! line the script prints, cold (a fresh browser profile: nothing cached, Python not loaded) and
//! warm (a second run in the same page, Python already loaded).
//!
//! The script makes one request with the real `requests` (simulated server: no network) and
//! prints its message. The editor is filled and Run Python pressed by an in-page script
//! (`element.click()`), so neither a focus nor a hover starts loading Python early: the cold
//! figure is the whole load. A third figure, "cold after focusing the editor", lets the editor's
//! focus start the load [`FOCUS_LEAD`] before Run Python is pressed, as a learner reading or
//! editing the code does. The times are the page's own (`data-first-output-ms`,
//! `performance.now()` from the click to the first output), and each load reports where its
//! time went (`data-load-milestones`, from the worker: ms since it was created).

use crate::browser::Chromium;
use fantoccini::Client;
use serde_json::{json, Value as Json};
use std::path::Path;
use std::time::{Duration, Instant};

/// The script run each time: one request, then a printed line.
pub const SCRIPT: &str = "import requests\nr = requests.get('http://localhost:5000/greeting', auth=('cobra', 'hiss'))\nprint(r.json()['message'])\n";

/// How long the editor has focus before Run Python is pressed, in the "after focusing" figure.
pub const FOCUS_LEAD: Duration = Duration::from_secs(2);

/// Targets of issue 18.
pub const TARGET_COLD_MS: f64 = 5000.0;
pub const TARGET_WARM_MS: f64 = 300.0;

/// What one fresh browser measured.
#[derive(Clone, Debug, Default)]
pub struct PythonRun {
    /// Run Python to the first printed line, Python not loaded.
    pub cold_ms: f64,
    /// The same, a second run in that page.
    pub warm_ms: f64,
    /// The load's milestones, as the worker reported them.
    pub milestones: String,
}

#[derive(Clone, Debug, Default)]
pub struct PythonTimings {
    pub runs: Vec<PythonRun>,
    /// Run Python pressed [`FOCUS_LEAD`] after the editor took focus, one per fresh browser.
    pub after_focus_ms: Vec<f64>,
}

/// Fills the editor and presses Run Python (or, with `focus_only`, only focuses the editor).
const RUN: &str = r#"
const done = arguments[arguments.length - 1];
const [code, focusOnly] = arguments;
(async () => {
  const editor = document.querySelector('[data-testid="python-editor"]');
  if (!editor) return done({ error: 'no python-editor on the page' });
  if (focusOnly) { editor.focus(); return done({ ok: true }); }
  editor.value = code;
  editor.dispatchEvent(new Event('input', { bubbles: true }));
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  document.querySelector('[data-testid="run-python"]').click();
  done({ ok: true });
})().catch((e) => done({ error: String(e) }));
"#;

/// The first output's state and figures, once it has finished.
const RESULT: &str = r#"
const o = document.querySelector('[data-testid="python-output"]');
if (!o || o.getAttribute('data-state') === 'running') return null;
return { state: o.getAttribute('data-state'), text: o.textContent,
         first: o.getAttribute('data-first-output-ms'),
         milestones: o.getAttribute('data-load-milestones') };
"#;

async fn press_run(client: &Client, code: &str, focus_only: bool) -> Result<(), String> {
    let v = client
        .execute_async(RUN, vec![json!(code), json!(focus_only)])
        .await
        .map_err(|e| format!("in-page script: {e}"))?;
    match v.get("error").and_then(Json::as_str) {
        Some(e) => Err(e.to_string()),
        None => Ok(()),
    }
}

/// Waits for the run to finish; its first-output time and milestones.
async fn finished(client: &Client, within: Duration) -> Result<(f64, String), String> {
    let until = Instant::now() + within;
    loop {
        let v = client
            .execute(RESULT, vec![])
            .await
            .map_err(|e| e.to_string())?;
        if !v.is_null() {
            let text = v["text"].as_str().unwrap_or_default();
            if v["state"].as_str() != Some("ok") || !text.contains("Welcome") {
                return Err(format!(
                    "the run ended {}: {}",
                    v["state"],
                    text.chars().take(400).collect::<String>()
                ));
            }
            let first = v["first"]
                .as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or("no data-first-output-ms on the output")?;
            return Ok((first, v["milestones"].as_str().unwrap_or_default().into()));
        }
        if Instant::now() > until {
            return Err(format!("no printed line within {} s", within.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn open(client: &Client, base: &str) -> Result<(), String> {
    client
        .goto(&format!("{base}/?target=simulated"))
        .await
        .map_err(|e| e.to_string())?;
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let ok = client
            .execute(
                "return !!document.querySelector('[data-testid=\"run-python\"]');",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        if ok.as_bool() == Some(true) {
            return Ok(());
        }
        if Instant::now() > until {
            return Err("the page showed no Run Python within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `repeats` fresh browsers for the cold and warm figures, then `repeats` more that focus the
/// editor first. `base` is a greeting server serving a built page that includes python/vendor/.
pub async fn measure(
    base: &str,
    chromedriver: &Path,
    chromium: &Path,
    repeats: usize,
) -> Result<PythonTimings, String> {
    let browser = Chromium::start(chromedriver, chromium).await?;
    let mut t = PythonTimings::default();
    let within = Duration::from_secs(120);
    for _ in 0..repeats {
        let session = browser.session().await?;
        let client = session.client();
        let run = async {
            open(client, base).await?;
            press_run(client, SCRIPT, false).await?;
            let (cold_ms, milestones) = finished(client, within).await?;
            press_run(client, &format!("{SCRIPT}# again\n"), false).await?;
            let (warm_ms, _) = finished(client, within).await?;
            Ok::<_, String>(PythonRun {
                cold_ms,
                warm_ms,
                milestones,
            })
        }
        .await;
        session.close().await;
        let run = run?;
        eprintln!(
            "bench: python: cold {:.0} ms, warm {:.0} ms ({})",
            run.cold_ms, run.warm_ms, run.milestones
        );
        t.runs.push(run);
    }
    for _ in 0..repeats {
        let session = browser.session().await?;
        let client = session.client();
        let run = async {
            open(client, base).await?;
            press_run(client, "", true).await?;
            tokio::time::sleep(FOCUS_LEAD).await;
            press_run(client, SCRIPT, false).await?;
            finished(client, within).await
        }
        .await;
        session.close().await;
        let (ms, _) = run?;
        eprintln!(
            "bench: python: cold after focusing the editor {} s earlier: {ms:.0} ms",
            FOCUS_LEAD.as_secs()
        );
        t.after_focus_ms.push(ms);
    }
    Ok(t)
}
