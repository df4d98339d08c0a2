//! A headless Chromium session through chromedriver (fantoccini): opening the page, reading and
//! driving it by `data-testid`, waiting with a named deadline, and the browser console.

use crate::page::show_rows;
use crate::prereqs::{timeout, Prereqs};
use crate::process::{spawn_logged, stop_child, LogBuf};
use anyhow::{anyhow, bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use test_support::chromedriver::GetLog;
use test_support::free_port;

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
    pub(crate) client: Option<Client>,
    driver: Child,
    pub(crate) driver_log: LogBuf,
    profile: PathBuf,
    /// Console entries collected so far (chromedriver hands each out once).
    pub(crate) console: Vec<Json>,
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
        Browser::start_with(p, false).await
    }

    /// [`Browser::start`], with DevTools' network events kept for [`Browser::network_events`]
    /// when `network_log` (chromedriver's performance log).
    pub async fn start_with(p: &Prereqs, network_log: bool) -> Result<Browser> {
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
        let mut logs = json!({ "browser": "ALL" });
        let mut options = json!({ "binary": p.chromium, "args": args });
        if network_log {
            logs["performance"] = json!("ALL");
            options["perfLoggingPrefs"] = json!({ "enableNetwork": true, "enablePage": false });
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": logs,
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
        self.js_strings(
            "return Array.from(document.querySelectorAll('[data-testid=\"' + arguments[0] + '\"]'))\
             .map(e => (e.innerText || e.textContent || '').trim());",
            vec![json!(testid)],
        )
        .await
    }

    /// The strings of the array a script returns (anything else in it left out).
    pub async fn js_strings(&self, script: &str, args: Vec<Json>) -> Result<Vec<String>> {
        let v = self.js(script, args).await?;
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
            .issue_cmd(GetLog::BROWSER)
            .await
            .context("read the browser console log")?;
        if let Some(a) = v.as_array() {
            self.console.extend(a.iter().cloned());
        }
        Ok(self.console.clone())
    }

    /// The DevTools events since the last call (`{"method": "Network.requestWillBeSent",
    /// "params": {...}}`), for a browser started [`Browser::start_with`] the network log.
    pub async fn network_events(&self) -> Result<Vec<Json>> {
        let v = self
            .client()
            .issue_cmd(GetLog::PERFORMANCE)
            .await
            .context("read the performance log")?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("message")?.as_str())
            .filter_map(|m| serde_json::from_str::<Json>(m).ok())
            .filter_map(|m| m.get("message").cloned())
            .collect())
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
