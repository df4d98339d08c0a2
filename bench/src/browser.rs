//! The page in headless Chromium (chromedriver + fantoccini, as e2e/ drives it): navigation to
//! the app answering a click, 100 requests from the page beside a bare fetch loop in the same
//! page, and the cost of one new exchange once the timeline holds 1,000.
//!
//! Every time is taken inside the page with `performance.now()`, so WebDriver's own round trips
//! are not in the figures:
//!
//! * navigation: a script installed with the DevTools command
//!   `Page.addScriptToEvaluateOnNewDocument` (through chromedriver's `goog/cdp/execute`) runs
//!   before the page's own scripts, watches the DOM, clicks `send-once` the moment it exists,
//!   and notes when the first `exchange-row` appears (the app answered) and when it shows a
//!   status. `performance.now()` counts from the navigation's start.
//! * 100 requests: two "Send N in a row" with N = 50 (the page's maximum), until 100 of the
//!   page's rows show a status; beside it, `fetch('/greeting')` 100 times in a row from the same
//!   page, with the same credentials and cookies.
//! * one exchange: click `send-once`, wait for the new row to show its status, then force style
//!   and layout (`document.body.offsetHeight`) so that they count too; near an empty timeline
//!   and again with 1,000 rows (filled on the page's simulated server, 50 at once), against the
//!   server and on the simulated server (no network: the page's own cost alone).

use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use test_support::chromedriver::Cdp;

/// What the browser measurements found. Times in milliseconds.
#[derive(Clone, Debug, Default)]
pub struct PageTimings {
    pub chromium: String,
    /// The first navigation, fresh profile and empty cache.
    pub nav_cold: Option<NavTiming>,
    /// Later navigations (cache warm).
    pub nav_warm: Vec<NavTiming>,
    pub page_100_ms: Vec<f64>,
    pub bare_100_ms: Vec<f64>,
    /// Rows the page drew from its side channel for the bare loop's requests (last run).
    pub bare_other_rows: usize,
    /// The bare loop in a same-origin document without the app.
    pub bare_no_app_100_ms: Vec<f64>,
    pub one_near_empty_ms: Vec<f64>,
    pub one_at_1000_ms: Vec<f64>,
    /// The same on the page's simulated server (no network).
    pub sim_near_empty_ms: Vec<f64>,
    pub sim_at_1000_ms: Vec<f64>,
    /// How many of the page's rows the timeline held for the second series.
    pub rows_reached: usize,
    pub fill_secs: f64,
    pub target_kind: String,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct NavTiming {
    /// `send-once` exists (and was clicked).
    pub interactive_ms: f64,
    /// The first exchange row appeared: the app answered the click.
    pub answered_ms: f64,
    /// That row shows the answer's status.
    pub completed_ms: Option<f64>,
}

const NAV_PROBE: &str = r#"
(() => {
  if (window.top !== window || location.hash !== '#bench-nav') return;
  const B = window.__bench = { interactive: null, answered: null, completed: null };
  const done = (r) => r.hasAttribute('data-status') || r.querySelector('[data-testid="exchange-error"]');
  const check = () => {
    if (B.interactive === null) {
      const b = document.querySelector('[data-testid="send-once"]');
      if (!b) return;
      B.interactive = performance.now();
      b.click();
    }
    const r = document.querySelector('[data-testid="exchange-row"]');
    if (r && B.answered === null) B.answered = performance.now();
    if (r && B.completed === null && done(r)) { B.completed = performance.now(); mo.disconnect(); }
  };
  const mo = new MutationObserver(check);
  mo.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-status'] });
})();
"#;

/// Helpers every in-page script starts with.
const HELPERS: &str = r#"
const done = arguments[arguments.length - 1];
const $ = (id) => document.querySelector('[data-testid="' + id + '"]');
const pageRows = () => document.querySelectorAll('[data-testid="exchange-row"][data-source="page"]');
const finished = (r) => r && (r.hasAttribute('data-status') || r.querySelector('[data-testid="exchange-error"]'));
// The list draws only the newest rows: the totals are attributes of the timeline (data-rows: all
// exchanges, numbered 1..data-rows; data-page-rows: the page's; data-page-finished: the page's
// with an answer or an error). A page built before them falls back to counting the rows drawn.
const total = (name) => { const t = $('timeline'); const v = t ? t.getAttribute(name) : null; return v === null ? null : Number(v); };
const pageCount = () => total('data-page-rows') ?? pageRows().length;
const finishedCount = () => total('data-page-finished') ?? Array.from(pageRows()).filter(finished).length;
const lastDone = (n) => { const rows = pageRows(); return rows.length >= n && finished(rows[rows.length - 1]); };
// The newest of the page's rows is an exchange numbered above `top` and finished.
const newRowDone = (top) => { const rows = pageRows(); const r = rows[rows.length - 1]; return !!r && Number(r.getAttribute('data-exchange')) > top && !!finished(r); };
const until = (pred) => new Promise((res) => {
  if (pred()) return res();
  const mo = new MutationObserver(() => { if (pred()) { mo.disconnect(); res(); } });
  mo.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['data-status', 'data-rows', 'data-page-rows', 'data-page-finished'] });
});
const frame = () => new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
const setCount = (n) => { const i = $('count'); i.value = String(n); i.dispatchEvent(new Event('input', { bubbles: true })); };
"#;

const PAGE_100: &str = r#"
(async () => {
  const base = finishedCount();
  setCount(50);
  await frame();
  const t0 = performance.now();
  $('send-sequence').click();
  await until(() => finishedCount() >= base + 50);
  $('send-sequence').click();
  await until(() => finishedCount() >= base + 100);
  const ms = performance.now() - t0;
  await frame();
  let bad = 0; const why = [];
  for (const r of pageRows()) if (r.getAttribute('data-status') !== '200') {
    bad++;
    const e = r.querySelector('[data-testid="exchange-error"]');
    const t = (e ? e.textContent : 'status ' + r.getAttribute('data-status')).slice(0, 160);
    if (why.length < 3 && !why.includes(t)) why.push(t);
  }
  done({ ms, bad, why });
})().catch((e) => done({ error: String(e) }));
"#;

const BARE_100: &str = r#"
(async () => {
  const t0 = performance.now();
  let bad = 0;
  for (let i = 0; i < 100; i++) {
    const r = await fetch('/greeting', { headers: { 'Authorization': 'Basic Y29icmE6aGlzcw==' }, credentials: 'same-origin', cache: 'no-store' });
    await r.text();
    if (r.status !== 200) bad++;
  }
  const ms = performance.now() - t0;
  // Rows the page drew for these requests from its side channel (another client's, to the page).
  await new Promise((res) => setTimeout(res, 200));
  const all = total('data-rows');
  done({ ms, bad, other: all === null ? document.querySelectorAll('[data-testid="exchange-row"][data-source="other"]').length : all - pageCount() });
})().catch((e) => done({ error: String(e) }));
"#;

const ONE_EXCHANGE: &str = r#"
(async () => {
  await frame();
  const n = pageCount();
  const top = total('data-rows');
  const t0 = performance.now();
  $('send-once').click();
  const stalled = new Promise((res) => setTimeout(() => res('stalled'), 10000));
  const isDone = () => top === null ? lastDone(n + 1) : newRowDone(top);
  if (await Promise.race([stalled, until(isDone)]) === 'stalled') {
    const rows = pageRows(); const last = rows[rows.length - 1];
    return done({ error: 'no finished new row within 10 s: ' + n + ' of the page\'s exchanges before, ' + pageCount() + ' now (' + rows.length + ' drawn); last row: ' + (last ? last.outerHTML.slice(0, 300) : 'none') });
  }
  // Style and layout of the new state, forced now (waiting for the next frame would add up to a
  // vsync interval of idle time).
  void document.body.offsetHeight;
  done({ ms: performance.now() - t0, rows: pageCount() });
})().catch((e) => done({ error: String(e) }));
"#;

/// Fill the timeline to arguments[0] rows with "Send N at once" (N = 50) on the page's simulated
/// server: no network, and one render per batch.
const FILL: &str = r#"
(async () => {
  const want = arguments[0];
  setCount(50);
  await frame();
  const t0 = performance.now();
  const batches = [];
  while (pageCount() < want && performance.now() - t0 < 60000) {
    const n = pageCount();
    const tb = performance.now();
    $('send-parallel').click();
    const stalled = new Promise((res) => setTimeout(() => res('stalled'), 15000));
    const r = await Promise.race([stalled, until(() => { const c = pageCount(); return c >= n + 50 && finishedCount() >= c; })]);
    if (r === 'stalled') return done({ rows: pageCount(), stalled: true, all: total('data-rows') ?? document.querySelectorAll('[data-testid="exchange-row"]').length, batches });
    batches.push(Math.round(performance.now() - tb));
  }
  done({ rows: pageCount(), batches });
})().catch((e) => done({ error: String(e) }));
"#;

/// Aim the page at `arguments[0]` ("server" | "simulated") and wait until it says so.
const AIM: &str = r#"
(async () => {
  const kind = arguments[0];
  const now = () => ($('target-kind') || {}).textContent;
  if (now() !== kind) $(kind === 'server' ? 'use-server' : 'use-simulated').click();
  const stalled = new Promise((res) => setTimeout(() => res('stalled'), 15000));
  if (await Promise.race([stalled, until(() => now() === kind)]) === 'stalled') {
    return done({ error: 'the page did not aim at ' + kind + ' within 15 s: target-kind is ' + JSON.stringify(now()) + ', banner: ' + ($('banner') || {}).textContent });
  }
  await frame();
  done({ kind: now() });
})().catch((e) => done({ error: String(e) }));
"#;

struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        test_support::stop_child(&mut self.child, test_support::STOP_GRACE);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn in_page(client: &Client, body: &str, args: Vec<Json>) -> Result<Json, String> {
    let script = format!("{HELPERS}\n{body}");
    let v = client
        .execute_async(&script, args)
        .await
        .map_err(|e| format!("in-page script: {e}"))?;
    if let Some(e) = v.get("error").and_then(Json::as_str) {
        return Err(format!("in-page script failed: {e}"));
    }
    Ok(v)
}

async fn reload_fresh(client: &Client, url: &str) -> Result<(), String> {
    client
        .goto("about:blank")
        .await
        .map_err(|e| e.to_string())?;
    client.goto(url).await.map_err(|e| e.to_string())?;
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let ok = client
            .execute(
                "return !!document.querySelector('[data-testid=\"send-once\"]');",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        if ok.as_bool() == Some(true) {
            break;
        }
        if Instant::now() > until {
            return Err("the page did not show send-once within 20 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Session mode: the cookie goes back with each request, as in the load tests.
    client
        .execute("const m = document.querySelector('[data-testid=\"mode-session\"]'); if (m && !m.checked) m.click(); return true;", vec![])
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn navigation(client: &Client, base: &str) -> Result<NavTiming, String> {
    client
        .goto("about:blank")
        .await
        .map_err(|e| e.to_string())?;
    client
        .goto(&format!("{base}/#bench-nav"))
        .await
        .map_err(|e| e.to_string())?;
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let v = client
            .execute("return window.__bench || null;", vec![])
            .await
            .map_err(|e| e.to_string())?;
        let answered = v.get("answered").and_then(Json::as_f64);
        let completed = v.get("completed").and_then(Json::as_f64);
        if let (Some(interactive), Some(answered)) =
            (v.get("interactive").and_then(Json::as_f64), answered)
        {
            if completed.is_some() || Instant::now() > until {
                return Ok(NavTiming {
                    interactive_ms: interactive,
                    answered_ms: answered,
                    completed_ms: completed,
                });
            }
        }
        if Instant::now() > until {
            return Err(format!(
                "no answer to the click within 20 s (probe state: {v})"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs every page measurement against `base` (the greeting server serving the release page).
pub async fn measure(
    base: &str,
    chromedriver: &Path,
    chromium: &Path,
    repeats: usize,
) -> Result<PageTimings, String> {
    let mut t = PageTimings {
        chromium: chromium_version(chromium),
        ..PageTimings::default()
    };
    let browser = Chromium::start(chromedriver, chromium).await?;
    let session = browser.session().await?;
    let result = measure_with(session.client(), base, repeats, &mut t).await;
    session.close().await;
    result.map(|()| t)
}

/// chromedriver and Chromium: `CHROMEDRIVER` and `CHROMIUM`, else Debian's paths.
pub fn driver_and_browser() -> (PathBuf, PathBuf) {
    let from_env = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(default))
    };
    (
        from_env("CHROMEDRIVER", "/usr/bin/chromedriver"),
        from_env("CHROMIUM", "/usr/bin/chromium"),
    )
}

/// `chromium --version`, or "" when it does not say.
pub fn chromium_version(chromium: &Path) -> String {
    Command::new(chromium)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// chromedriver on a free loopback port; each [`Chromium::session`] is a new headless Chromium
/// with its own empty profile (nothing cached, no connection kept from another session).
pub struct Chromium {
    driver: Driver,
    port: u16,
    binary: PathBuf,
    sessions: std::sync::atomic::AtomicU32,
}

/// One Chromium; [`Session::close`] ends it.
pub struct Session {
    client: Client,
    profile: PathBuf,
}

impl Chromium {
    pub async fn start(chromedriver: &Path, chromium: &Path) -> Result<Chromium, String> {
        let port = test_support::free_port().map_err(|e| e.to_string())?;
        let profile = std::env::temp_dir().join(format!("bench-chromium-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).map_err(|e| e.to_string())?;
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
        let driver = Driver { child, profile };
        if !test_support::wait_for_port(port, Duration::from_secs(20)) {
            return Err("chromedriver did not listen within 20 s".into());
        }
        Ok(Chromium {
            driver,
            port,
            binary: chromium.to_path_buf(),
            sessions: std::sync::atomic::AtomicU32::new(0),
        })
    }

    pub async fn session(&self) -> Result<Session, String> {
        let n = self
            .sessions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let profile = self.driver.profile.join(format!("session-{n}"));
        std::fs::create_dir_all(&profile).map_err(|e| e.to_string())?;
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            // A page left behind in the back-forward cache keeps its side-channel connection (SSE)
            // open; a few navigations later Chromium's six connections per host are all taken.
            "--disable-features=BackForwardCache",
            "--window-size=1400,1000",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": self.binary, "args": args },
        });
        let Json::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .map_err(|e| format!("cannot start Chromium through chromedriver: {e}"))?;
        Ok(Session { client, profile })
    }
}

impl Session {
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One DevTools command through chromedriver.
pub async fn cdp(client: &Client, cmd: &'static str, params: Json) -> Result<(), String> {
    client
        .issue_cmd(Cdp { cmd, params })
        .await
        .map(|_| ())
        .map_err(|e| format!("DevTools {cmd}: {e}"))
}

async fn measure_with(
    client: &Client,
    base: &str,
    repeats: usize,
    t: &mut PageTimings,
) -> Result<(), String> {
    client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(120)),
            Some(Duration::from_secs(30)),
            Some(Duration::from_secs(0)),
        ))
        .await
        .map_err(|e| e.to_string())?;
    client
        .issue_cmd(Cdp {
            cmd: "Page.addScriptToEvaluateOnNewDocument",
            params: json!({ "source": NAV_PROBE }),
        })
        .await
        .map_err(|e| format!("DevTools Page.addScriptToEvaluateOnNewDocument: {e}"))?;

    eprintln!("bench: page: navigation");
    // Navigation: the first one with an empty cache, then warm ones.
    t.nav_cold = Some(navigation(client, base).await?);
    for _ in 0..repeats.max(3) {
        t.nav_warm.push(navigation(client, base).await?);
    }

    eprintln!("bench: page: 100 requests, page vs bare fetch loop");
    // 100 requests: the page's own sequence vs a bare fetch loop, alternating.
    let url = format!("{base}/");
    for _ in 0..repeats {
        reload_fresh(client, &url).await?;
        let v = in_page(client, PAGE_100, vec![]).await?;
        if v["bad"].as_u64().unwrap_or(0) > 0 {
            t.notes.push(format!(
                "the page's 100 requests had {} answers other than 200: {}",
                v["bad"], v["why"]
            ));
        }
        t.page_100_ms.push(v["ms"].as_f64().unwrap_or(f64::NAN));
        let v = in_page(client, BARE_100, vec![]).await?;
        if v["bad"].as_u64().unwrap_or(0) > 0 {
            t.notes.push(format!(
                "the bare fetch loop had {} answers other than 200",
                v["bad"]
            ));
        }
        t.bare_100_ms.push(v["ms"].as_f64().unwrap_or(f64::NAN));
        t.bare_other_rows = v["other"].as_u64().unwrap_or(0) as usize;
        // The same loop in a same-origin document without the app (no side channel, no rendering).
        client
            .goto(&format!("{base}/playground/api/info"))
            .await
            .map_err(|e| e.to_string())?;
        let v = in_page(client, BARE_100, vec![]).await?;
        t.bare_no_app_100_ms
            .push(v["ms"].as_f64().unwrap_or(f64::NAN));
    }

    eprintln!("bench: page: one exchange, near-empty timeline");
    // One exchange near an empty timeline, then with 1,000 rows: against the server, and on the
    // page's simulated server (no network: the page's own cost alone).
    reload_fresh(client, &url).await?;
    t.target_kind = in_page(client, AIM, vec![json!("server")]).await?["kind"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let n = repeats.max(5);
    for _ in 0..n {
        t.one_near_empty_ms.push(
            in_page(client, ONE_EXCHANGE, vec![]).await?["ms"]
                .as_f64()
                .unwrap_or(f64::NAN),
        );
    }
    in_page(client, AIM, vec![json!("simulated")]).await?;
    for _ in 0..n {
        t.sim_near_empty_ms.push(
            in_page(client, ONE_EXCHANGE, vec![]).await?["ms"]
                .as_f64()
                .unwrap_or(f64::NAN),
        );
    }
    eprintln!("bench: page: filling the timeline to 1,000 rows (simulated server)");
    let fill_started = Instant::now();
    let want: u64 = std::env::var("BENCH_PAGE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let v = in_page(client, FILL, vec![json!(want)]).await?;
    eprintln!(
        "bench: page: filled to {} rows; each batch of 50 took (ms): {}",
        v["rows"], v["batches"]
    );
    if v["stalled"].as_bool() == Some(true) {
        t.notes.push(format!(
            "filling the timeline stalled at {} of the page's rows ({} rows in all)",
            v["rows"], v["all"]
        ));
    }
    t.fill_secs = fill_started.elapsed().as_secs_f64();
    t.rows_reached = v["rows"].as_u64().unwrap_or(0) as usize;
    for _ in 0..n {
        t.sim_at_1000_ms.push(
            in_page(client, ONE_EXCHANGE, vec![]).await?["ms"]
                .as_f64()
                .unwrap_or(f64::NAN),
        );
    }
    in_page(client, AIM, vec![json!("server")]).await?;
    for _ in 0..n {
        t.one_at_1000_ms.push(
            in_page(client, ONE_EXCHANGE, vec![]).await?["ms"]
                .as_f64()
                .unwrap_or(f64::NAN),
        );
    }
    Ok(())
}
