//! End-to-end harness: the real `greeting-server` binary serving the release page (dist/) on an
//! ephemeral loopback port, a real headless Chromium driven through chromedriver (fantoccini).
//!
//! Every scenario runs through [`scenario`]: it checks the prerequisites (a counted skip with its
//! reason outside CI, a failure under `CI=true`: `test_support::skip_test`), starts chromedriver and Chromium with a fresh
//! profile, runs the test body, and on failure saves a screenshot, the page's HTML, the browser
//! console log and the server's output under `e2e-artifacts/<test>/`, printing that path.
//!
//! Environment (all optional; `cargo xtask test` sets them):
//!   E2E_DIST             the built page (default: <workspace>/dist)
//!   GREETING_SERVER_BIN  the server binary (default: built here with `cargo build -p greeting-server`)
//!   CHROMEDRIVER         chromedriver (default: on PATH, else /usr/bin/chromedriver)
//!   CHROMIUM             the browser (default: /usr/bin/chromium)
//!   PLAYGROUND_PYTHON    the Python peers' python (default: python3; the xtask sets .tools/venv's)
//!   E2E_TIMEOUT_SECS     how long each wait may take (default 20)
//!   E2E_HEADED=1         show the browser window (needs a display)

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use anyhow::{anyhow, bail, ensure, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value as Json};

// ---------------------------------------------------------------------------------------------
// Where things are

pub use test_support::{free_port, skip_test, under_ci, workspace_root};

pub fn timeout() -> Duration {
    let secs = std::env::var("E2E_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// An environment variable naming a path; a relative path is taken from the workspace root
/// (where `cargo test` is usually typed), not from e2e/ (where the test binaries run).
fn env_path(var: &str) -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var_os(var)?);
    Some(if p.is_relative() {
        workspace_root().join(p)
    } else {
        p
    })
}

/// What every scenario needs.
#[derive(Clone, Debug)]
pub struct Prereqs {
    pub dist: PathBuf,
    pub server_bin: PathBuf,
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
}

/// The greeting server built here (once per test binary) when GREETING_SERVER_BIN is not set.
fn build_server() -> std::result::Result<PathBuf, String> {
    static BUILT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| test_support::build_binary("greeting-server", "greeting-server", false))
        .clone()
}

/// Find everything or say what is missing.
pub fn prereqs() -> std::result::Result<Prereqs, String> {
    let dist = env_path("E2E_DIST").unwrap_or_else(|| workspace_root().join("dist"));
    if !dist.join("index.html").is_file() {
        return Err(format!(
            "no built page at {} (run `trunk build --release`, or `cargo xtask test` which does it)",
            dist.join("index.html").display()
        ));
    }
    let chromedriver = env_path("CHROMEDRIVER")
        .or_else(|| test_support::which("chromedriver"))
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    if !chromedriver.is_file() {
        return Err(format!(
            "chromedriver not found at {} (Debian: apt-get install chromium chromium-driver; or `cargo xtask setup`)",
            chromedriver.display()
        ));
    }
    let chromium = env_path("CHROMIUM").unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        return Err(format!(
            "chromium not found at {} (apt-get install chromium)",
            chromium.display()
        ));
    }
    let server_bin = match env_path("GREETING_SERVER_BIN") {
        Some(p) => p,
        None => build_server()?,
    };
    if !server_bin.is_file() {
        return Err(format!(
            "greeting-server binary not found at {}",
            server_bin.display()
        ));
    }
    Ok(Prereqs {
        dist,
        server_bin,
        chromedriver,
        chromium,
    })
}

/// SIGINT (a clean shutdown), then SIGKILL after 5 s.
pub fn stop_child(child: &mut Child) {
    test_support::stop_child(child, test_support::STOP_GRACE);
}

// ---------------------------------------------------------------------------------------------
// Child processes with captured output

/// The last lines a child printed (stdout and stderr), kept for the failure report.
#[derive(Clone, Default)]
pub struct LogBuf(Arc<Mutex<VecDeque<String>>>);

impl LogBuf {
    fn push(&self, line: String) {
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() > 2000 {
            q.pop_front();
        }
        q.push_back(line);
    }
    pub fn text(&self) -> String {
        let q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.iter().map(|l| format!("{l}\n")).collect()
    }
    pub fn contains(&self, s: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|l| l.contains(s))
    }
    fn follow(&self, r: impl Read + Send + 'static, tag: &'static str, echo: bool) {
        let me = self.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(r).lines() {
                let Ok(line) = line else { break };
                if echo {
                    eprintln!("[{tag}] {line}");
                }
                me.push(line);
            }
        });
    }
}

fn spawn_logged(mut c: Command, tag: &'static str, echo: bool) -> Result<(Child, LogBuf)> {
    let what = format!("{c:?}");
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {what}"))?;
    let log = LogBuf::default();
    if let Some(o) = child.stdout.take() {
        log.follow(o, tag, echo);
    }
    if let Some(e) = child.stderr.take() {
        log.follow(e, tag, echo);
    }
    Ok((child, log))
}

// ---------------------------------------------------------------------------------------------
// The greeting server

pub struct Server {
    child: Option<Child>,
    pub port: u16,
    /// `http://127.0.0.1:PORT` (no trailing slash)
    pub base: String,
    pub log: LogBuf,
}

impl Server {
    /// Start the real binary on an ephemeral loopback port with `--static DIST` and `extra` flags;
    /// wait for its `greeting-server listening on http://ADDR:PORT` line.
    pub fn start(p: &Prereqs, extra: &[&str]) -> Result<Server> {
        Self::start_on(p, 0, true, extra)
    }

    pub fn start_on(p: &Prereqs, port: u16, serve_page: bool, extra: &[&str]) -> Result<Server> {
        let mut c = Command::new(&p.server_bin);
        c.current_dir(workspace_root())
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()]);
        if serve_page {
            c.arg("--static").arg(&p.dist);
        }
        c.args(extra).env("NO_COLOR", "1");
        let (mut child, log) = spawn_logged(c, "server", false)?;
        let t = Instant::now();
        loop {
            let found = {
                let q = log.0.lock().unwrap_or_else(|e| e.into_inner());
                q.iter().find_map(|l| {
                    l.split("listening on ")
                        .nth(1)
                        .map(|s| s.trim().to_string())
                })
            };
            if let Some(url) = found {
                let port: u16 = url
                    .trim_end_matches('/')
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .with_context(|| format!("cannot read a port from `listening on {url}`"))?;
                return Ok(Server {
                    child: Some(child),
                    port,
                    base: format!("http://127.0.0.1:{port}"),
                    log,
                });
            }
            if let Ok(Some(st)) = child.try_wait() {
                bail!(
                    "greeting-server exited ({st}) before listening; it printed:\n{}",
                    log.text()
                );
            }
            if t.elapsed() > Duration::from_secs(30) {
                stop_child(&mut child);
                bail!(
                    "greeting-server printed no `listening on` line in 30 s; it printed:\n{}",
                    log.text()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop_child(&mut c);
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// A plain static file server (no greeting endpoints): "the page opened from a static host"

pub struct StaticServer {
    pub base: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
    port: u16,
}

impl StaticServer {
    pub fn start(dir: &Path) -> Result<StaticServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (dir, stop2) = (dir.to_path_buf(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let dir = dir.clone();
                std::thread::spawn(move || {
                    let _ = serve_static(conn, &dir);
                });
            }
        });
        Ok(StaticServer {
            base: format!("http://127.0.0.1:{port}"),
            stop,
            port,
        })
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wake the accept loop
    }
}

fn serve_static(mut conn: TcpStream, dir: &Path) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("/").split('?').next().unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let file = if rel.is_empty() || rel.contains("..") {
        dir.join("index.html")
    } else {
        dir.join(rel)
    };
    let (status, body, ctype) = match (method, std::fs::read(&file)) {
        ("GET", Ok(b)) => ("200 OK", b, content_type(&file)),
        _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    conn.write_all(&body)?;
    conn.flush()
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

// ---------------------------------------------------------------------------------------------
// Chromium through chromedriver

/// chromedriver's `POST /session/{id}/se/log` (not in the W3C spec; chromedriver keeps it):
/// the browser console entries since the last call.
#[derive(Debug)]
struct GetBrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for GetBrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}

/// One row of the page's timeline (`data-testid="exchange-row"`).
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub status: Option<u16>,
    pub visit: Option<u32>,
    pub source: String,
    pub message: String,
    pub error: String,
    pub text: String,
}

pub struct Browser {
    client: Option<Client>,
    driver: Child,
    driver_log: LogBuf,
    profile: PathBuf,
    /// Console entries collected so far (chromedriver hands each out once).
    console: Vec<Json>,
}

const ROWS_JS: &str = r#"
const q = (r, id) => { const e = r.querySelector('[data-testid="' + id + '"]'); return e ? (e.innerText || e.textContent || '') : ''; };
return Array.from(document.querySelectorAll('[data-testid="exchange-row"]')).map(r => ({
  status: r.getAttribute('data-status'),
  visit: r.getAttribute('data-visit'),
  source: r.getAttribute('data-source') || '',
  message: q(r, 'exchange-message'),
  error: q(r, 'exchange-error'),
  text: r.innerText || r.textContent || '',
}));
"#;

impl Browser {
    pub async fn start(p: &Prereqs) -> Result<Browser> {
        let port = free_port()?;
        let mut c = Command::new(&p.chromedriver);
        c.arg(format!("--port={port}"));
        let (mut driver, driver_log) = spawn_logged(c, "chromedriver", false)?;
        if !test_support::wait_for_port(port, Duration::from_secs(20)) {
            stop_child(&mut driver);
            bail!(
                "chromedriver did not listen on port {port} within 20 s:\n{}",
                driver_log.text()
            );
        }
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let profile = std::env::temp_dir().join(format!(
            "e2e-chromium-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile)?;
        let mut args = vec![
            "--no-sandbox".to_string(),
            "--disable-gpu".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1400,1000".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        if std::env::var("E2E_HEADED").as_deref() != Ok("1") {
            args.insert(0, "--headless".into());
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": p.chromium, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let caps = match caps {
            Json::Object(m) => m,
            _ => unreachable!(),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        let client = match client {
            Ok(c) => c,
            Err(e) => {
                stop_child(&mut driver);
                bail!(
                    "could not start Chromium through chromedriver: {e}\n{}",
                    driver_log.text()
                );
            }
        };
        Ok(Browser {
            client: Some(client),
            driver,
            driver_log,
            profile,
            console: Vec::new(),
        })
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("browser already closed")
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client()
            .goto(url)
            .await
            .with_context(|| format!("open {url}"))
    }

    pub async fn js(&self, script: &str, args: Vec<Json>) -> Result<Json> {
        self.client()
            .execute(script, args)
            .await
            .context("run script in page")
    }

    /// Visible text of the first element with this data-testid, None if there is none.
    pub async fn text(&self, testid: &str) -> Result<Option<String>> {
        let v = self
            .js(
                "const e = document.querySelector('[data-testid=\"' + arguments[0] + '\"]'); \
                 return e ? (e.innerText || e.textContent || '') : null;",
                vec![json!(testid)],
            )
            .await?;
        Ok(v.as_str().map(|s| s.trim().to_string()))
    }

    /// Visible text of every element with this data-testid.
    pub async fn texts(&self, testid: &str) -> Result<Vec<String>> {
        let v = self
            .js(
                "return Array.from(document.querySelectorAll('[data-testid=\"' + arguments[0] + '\"]'))\
                 .map(e => (e.innerText || e.textContent || '').trim());",
                vec![json!(testid)],
            )
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// An attribute of every element with this data-testid.
    pub async fn attrs(&self, testid: &str, attr: &str) -> Result<Vec<Option<String>>> {
        let v = self
            .js(
                "return Array.from(document.querySelectorAll('[data-testid=\"' + arguments[0] + '\"]'))\
                 .map(e => e.getAttribute(arguments[1]));",
                vec![json!(testid), json!(attr)],
            )
            .await?;
        Ok(v.as_array()
            .map(|a| a.iter().map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default())
    }

    pub async fn exists(&self, testid: &str) -> Result<bool> {
        Ok(self.count(testid).await? > 0)
    }

    pub async fn count(&self, testid: &str) -> Result<usize> {
        let v = self
            .js(
                "return document.querySelectorAll('[data-testid=\"' + arguments[0] + '\"]').length;",
                vec![json!(testid)],
            )
            .await?;
        Ok(v.as_u64().unwrap_or(0) as usize)
    }

    fn css(testid: &str) -> String {
        format!("[data-testid=\"{testid}\"]")
    }

    /// Click the first element with this data-testid, as a user would (waits until it exists and
    /// is enabled).
    pub async fn click(&self, testid: &str) -> Result<()> {
        let css = Self::css(testid);
        let el = self
            .wait(
                &format!("{testid} to be clickable"),
                timeout(),
                async || {
                    let Ok(el) = self.client().find(Locator::Css(&css)).await else {
                        return Ok(None);
                    };
                    let enabled = el.is_enabled().await.unwrap_or(false);
                    Ok(enabled.then_some(el))
                },
            )
            .await?;
        // Scroll it into view first: chromedriver refuses clicks on elements outside the viewport
        // in some layouts.
        let _ = self
            .js(
                "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'center'});",
                vec![json!(css)],
            )
            .await;
        el.click().await.with_context(|| format!("click {testid}"))
    }

    /// Replace the value of an input as a user would (select all, type), then fire `change`.
    pub async fn fill(&self, testid: &str, value: &str) -> Result<()> {
        let css = Self::css(testid);
        let el = self
            .wait(&format!("{testid} to exist"), timeout(), async || {
                Ok(self.client().find(Locator::Css(&css)).await.ok())
            })
            .await?;
        el.clear()
            .await
            .with_context(|| format!("clear {testid}"))?;
        el.send_keys(value)
            .await
            .with_context(|| format!("type into {testid}"))?;
        self.js(
            "const e = document.querySelector(arguments[0]); if (e) { \
               if (e.value !== arguments[1]) { e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true})); } \
               e.dispatchEvent(new Event('change', {bubbles: true})); }",
            vec![json!(css), json!(value)],
        )
        .await?;
        Ok(())
    }

    /// The input's current value.
    pub async fn value(&self, testid: &str) -> Result<Option<String>> {
        let v = self
            .js(
                "const e = document.querySelector('[data-testid=\"' + arguments[0] + '\"]'); return e ? e.value : null;",
                vec![json!(testid)],
            )
            .await?;
        Ok(v.as_str().map(String::from))
    }

    /// Every timeline row, in document order.
    pub async fn rows(&self) -> Result<Vec<Row>> {
        let v = self.js(ROWS_JS, vec![]).await?;
        let rows = v
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| {
                        let s = |k: &str| {
                            r.get(k)
                                .and_then(|x| x.as_str())
                                .unwrap_or("")
                                .trim()
                                .to_string()
                        };
                        Row {
                            status: s("status").parse().ok(),
                            visit: s("visit").parse().ok(),
                            source: s("source"),
                            message: s("message"),
                            error: s("error"),
                            text: s("text"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(rows)
    }

    /// Poll `f` every 100 ms until it yields Some, or fail after `within` naming what was awaited
    /// and the last error seen.
    pub async fn wait<T>(
        &self,
        what: &str,
        within: Duration,
        mut f: impl AsyncFnMut() -> Result<Option<T>>,
    ) -> Result<T> {
        let t = Instant::now();
        let mut last_err = None;
        loop {
            match f().await {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(e) => last_err = Some(e),
            }
            if t.elapsed() > within {
                return Err(match last_err {
                    Some(e) => anyhow!(
                        "timed out after {:?} waiting for {what}; last error: {e:#}",
                        within
                    ),
                    None => anyhow!("timed out after {:?} waiting for {what}", within),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait until the timeline rows satisfy `pred`; the error shows the rows last seen.
    pub async fn wait_rows(&self, what: &str, pred: impl Fn(&[Row]) -> bool) -> Result<Vec<Row>> {
        let mut last = Vec::new();
        let r = self
            .wait(what, timeout(), async || {
                let rows = self.rows().await?;
                let ok = pred(&rows);
                last = rows.clone();
                Ok(ok.then_some(rows))
            })
            .await;
        r.map_err(|e| anyhow!("{e:#}\nrows seen last:\n{}", show_rows(&last)))
    }

    /// Wait until the text of `testid` satisfies `pred`; the error shows the text last seen.
    pub async fn wait_text(
        &self,
        testid: &str,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let mut last = None;
        let r = self
            .wait(what, timeout(), async || {
                let t = self.text(testid).await?;
                last = t.clone();
                Ok(t.filter(|t| pred(t)))
            })
            .await;
        r.map_err(|e| anyhow!("{e:#}\n{testid} last showed: {last:?}"))
    }

    /// Console entries since the start (chromedriver's `browser` log).
    pub async fn console(&mut self) -> Result<Vec<Json>> {
        let Some(c) = self.client.as_ref() else {
            return Ok(self.console.clone());
        };
        let v = c
            .issue_cmd(GetBrowserLog)
            .await
            .context("read the browser console log")?;
        if let Some(a) = v.as_array() {
            self.console.extend(a.iter().cloned());
        }
        Ok(self.console.clone())
    }

    /// Console entries that are errors the page itself raised (a panic, an uncaught exception,
    /// console.error). Network errors and CORS refusals Chromium logs for failed or 4xx requests
    /// are the page's subject matter, not its faults, and are left out.
    pub async fn page_errors(&mut self) -> Result<Vec<String>> {
        Ok(self
            .console()
            .await?
            .iter()
            .filter(|e| e.get("level").and_then(|l| l.as_str()) == Some("SEVERE"))
            .filter(|e| e.get("source").and_then(|s| s.as_str()) != Some("network"))
            .map(|e| {
                e.get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("")
                    .to_string()
            })
            // Chromium's own report of a CORS refusal (logged as "javascript", but the browser's
            // words, not the page's): the CORS scenarios provoke it on purpose.
            .filter(|m| !m.contains("has been blocked by CORS policy"))
            .collect())
    }

    /// Save a PNG of the viewport.
    pub async fn screenshot_to(&self, path: &Path) -> Result<()> {
        let png = self.client().screenshot().await.context("screenshot")?;
        std::fs::write(path, png).with_context(|| format!("write {}", path.display()))
    }

    /// Save screenshot.png, page.html and console.log into `dir`.
    pub async fn save_artifacts(&mut self, dir: &Path) -> Vec<String> {
        let mut notes = Vec::new();
        let Some(c) = self.client.as_ref() else {
            return notes;
        };
        match c.screenshot().await {
            Ok(png) => {
                let _ = std::fs::write(dir.join("screenshot.png"), png);
            }
            Err(e) => notes.push(format!("no screenshot: {e}")),
        }
        match c.source().await {
            Ok(html) => {
                let _ = std::fs::write(dir.join("page.html"), html);
            }
            Err(e) => notes.push(format!("no page source: {e}")),
        }
        if let Ok(u) = c.current_url().await {
            notes.push(format!("page url: {u}"));
        }
        let entries = self.console().await.unwrap_or_else(|e| {
            notes.push(format!("no console log: {e:#}"));
            self.console.clone()
        });
        let text: String = entries
            .iter()
            .map(|e| {
                format!(
                    "{} {} {}\n",
                    e.get("level").and_then(|x| x.as_str()).unwrap_or("?"),
                    e.get("source").and_then(|x| x.as_str()).unwrap_or("?"),
                    e.get("message").and_then(|x| x.as_str()).unwrap_or("")
                )
            })
            .collect();
        let _ = std::fs::write(dir.join("console.log"), text);
        let _ = std::fs::write(dir.join("chromedriver.log"), self.driver_log.text());
        notes
    }

    pub async fn close(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), c.close()).await;
        }
        stop_child(&mut self.driver);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        stop_child(&mut self.driver);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

pub fn show_rows(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "  (no exchange-row elements)".into();
    }
    rows.iter()
        .map(|r| {
            format!(
                "  status={:?} visit={:?} source={:?} message={:?} error={:?}\n",
                r.status, r.visit, r.source, r.message, r.error
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/// What a scenario body gets: the prerequisites, the browser, and the processes it started
/// (their output goes into the failure report).
pub struct Ctx {
    pub p: Prereqs,
    pub browser: Browser,
    pub logs: Vec<(String, LogBuf)>,
    name: String,
}

impl Ctx {
    /// Start a greeting server serving the release page; its log joins the failure report.
    pub fn server(&mut self, extra: &[&str]) -> Result<Server> {
        let s = Server::start(&self.p, extra)?;
        self.logs
            .push((format!("server-{}", s.port), s.log.clone()));
        Ok(s)
    }

    pub fn keep_log(&mut self, name: &str, log: &LogBuf) {
        self.logs.push((name.to_string(), log.clone()));
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Open the page and wait until its playground is there and aimed at `kind`
    /// ("server" | "custom" | "simulated"), or any kind when None.
    pub async fn open(&self, url: &str, kind: Option<&str>) -> Result<()> {
        self.browser.goto(url).await?;
        let b = &self.browser;
        b.wait(
            "the page to start (data-testid=send-once)",
            timeout(),
            async || Ok(b.exists("send-once").await?.then_some(())),
        )
        .await?;
        if let Some(kind) = kind {
            b.wait_text(
                "target-kind",
                &format!("target-kind to be \"{kind}\""),
                |t| t == kind,
            )
            .await?;
        }
        Ok(())
    }
}

/// The same three lines the chapter prints.
pub const CHAPTER: [&str; 3] = [
    "Welcome, cobra!",
    "Welcome back, cobra! This is visit #2.",
    "Welcome back, cobra! This is visit #3.",
];

/// One browser at a time per test binary: 2 cores, and Chromium is heavy.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Run one end-to-end scenario: prerequisites (skip or fail), browser up, body, artifacts on
/// failure, everything stopped afterwards.
pub async fn scenario(name: &str, body: impl AsyncFnOnce(&mut Ctx) -> Result<()>) {
    let p = match prereqs() {
        Ok(p) => p,
        Err(why) => return skip_test(name, &why),
    };
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let t = Instant::now();
    println!("e2e: {name}: start");
    let browser = match Browser::start(&p).await {
        Ok(b) => b,
        Err(e) => panic!("e2e: {name}: {e:#}"),
    };
    let mut ctx = Ctx {
        p,
        browser,
        logs: Vec::new(),
        name: name.to_string(),
    };
    let mut result = body(&mut ctx).await;
    if result.is_ok() {
        // The page's console must show nothing but logs (no panic, no uncaught error).
        match ctx.browser.page_errors().await {
            Ok(errs) if !errs.is_empty() => {
                result = Err(anyhow!(
                    "the browser console shows errors:\n  {}",
                    errs.join("\n  ")
                ))
            }
            _ => {}
        }
    }
    if let Err(e) = result {
        let dir = workspace_root().join("e2e-artifacts").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        let notes = ctx.browser.save_artifacts(&dir).await;
        for (n, log) in &ctx.logs {
            let _ = std::fs::write(dir.join(format!("{n}.log")), log.text());
        }
        ctx.browser.close().await;
        let msg = format!(
            "e2e: {name} FAILED after {:.1}s: {e:#}\n  screenshot, console log, page HTML and server output: {}\n  {}",
            t.elapsed().as_secs_f64(),
            dir.display(),
            notes.join("\n  ")
        );
        // Print it ourselves and unwind without the panic hook: no backtrace noise (CI sets
        // RUST_BACKTRACE), the message above is the whole story.
        println!("{msg}");
        drop(_turn);
        std::panic::resume_unwind(Box::new(msg));
    }
    ctx.browser.close().await;
    println!("e2e: {name}: ok ({:.1}s)", t.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------------------------
// Helpers the scenarios share

/// Send once from the page and wait for one more row than before; returns the new row.
pub async fn send_once(b: &Browser) -> Result<Row> {
    let before = b.rows().await?.len();
    b.click("send-once").await?;
    let rows = b
        .wait_rows("one more exchange-row with a status or an error", |rows| {
            rows.len() > before
                && newest(rows, before).is_some_and(|r| r.status.is_some() || !r.error.is_empty())
        })
        .await?;
    Ok(newest(&rows, before).cloned().unwrap_or_default())
}

/// The newest row, whichever end of the timeline the page adds rows at.
fn newest(rows: &[Row], before: usize) -> Option<&Row> {
    if rows.len() <= before {
        return None;
    }
    if newest_first(rows) {
        rows.first()
    } else {
        rows.last()
    }
}

/// Whether the timeline lists the newest exchange first: read from the page's own numbering
/// (`#N` at the start of each row), falling back to "appends".
pub fn newest_first(rows: &[Row]) -> bool {
    let num = |r: &Row| -> Option<u32> {
        let t = r.text.trim_start();
        let t = t.strip_prefix('#').unwrap_or(t);
        t.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    match (rows.first().and_then(num), rows.last().and_then(num)) {
        (Some(a), Some(b)) => a > b,
        _ => false,
    }
}

/// Rows in chronological order (oldest first).
pub fn chronological(mut rows: Vec<Row>) -> Vec<Row> {
    if newest_first(&rows) {
        rows.reverse();
    }
    rows
}

pub use test_support::python_with;

/// Run a Python script with `requests` (PLAYGROUND_PYTHON or python3). Ok(None) when there is no such
/// Python (the caller skips), Ok(Some(stdout)) when it ran.
pub fn python_requests(script: &str, args: &[&str]) -> Result<Option<String>> {
    let Ok(py) = python_with("requests") else {
        return Ok(None);
    };
    let out = Command::new(&py)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("run {py}"))?;
    ensure!(
        out.status.success(),
        "the Python script failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// A Python program listening on a port (a learner's Flask app, say), stopped when dropped.
pub struct PythonPeer {
    child: Option<Child>,
    pub log: LogBuf,
}

impl PythonPeer {
    /// `python -c SCRIPT ARGS...`, then wait (30 s at most) until it listens on `port`.
    pub fn start(python: &str, script: &str, args: &[&str], port: u16) -> Result<PythonPeer> {
        let mut c = Command::new(python);
        c.arg("-c")
            .arg(script)
            .args(args)
            .env("PYTHONUNBUFFERED", "1");
        let (mut child, log) = spawn_logged(c, "python", false)?;
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(st)) = child.try_wait() {
                bail!("the Python peer exited ({st}):\n{}", log.text());
            }
            if t.elapsed() > Duration::from_secs(30) {
                stop_child(&mut child);
                bail!(
                    "the Python peer did not listen on port {port} within 30 s:\n{}",
                    log.text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(PythonPeer {
            child: Some(child),
            log,
        })
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop_child(&mut c);
        }
    }
}

/// `trunk serve` on a free port, its build output in `dist_dir`; waits until it answers HTTP.
pub struct TrunkServe {
    child: Option<Child>,
    pub port: u16,
    pub base: String,
    pub log: LogBuf,
}

impl TrunkServe {
    pub fn start(extra: &[&str], dist_dir: &Path, build_within: Duration) -> Result<TrunkServe> {
        let port = free_port()?;
        let trunk = std::env::var("TRUNK").unwrap_or_else(|_| "trunk".into());
        let mut c = Command::new(&trunk);
        c.current_dir(workspace_root())
            .args([
                "serve",
                "--address",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--no-autoreload",
            ])
            .arg("--dist")
            .arg(dist_dir)
            .args(extra);
        let (mut child, log) = spawn_logged(c, "trunk", std::env::var("E2E_VERBOSE").is_ok())?;
        let t = Instant::now();
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                bail!("trunk serve exited ({st}):\n{}", log.text());
            }
            if http_ok(port, "/") {
                break;
            }
            if t.elapsed() > build_within {
                stop_child(&mut child);
                bail!(
                    "trunk serve did not serve the page within {build_within:?}:\n{}",
                    log.text()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Ok(TrunkServe {
            child: Some(child),
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
        })
    }
}

impl Drop for TrunkServe {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop_child(&mut c);
        }
    }
}

/// A plain `GET path` on loopback answered 200.
pub fn http_ok(port: u16, path: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return false;
    }
    let mut first = String::new();
    let _ = BufReader::new(s).read_line(&mut first);
    first.split_whitespace().nth(1) == Some("200")
}
