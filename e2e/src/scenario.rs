//! One end-to-end scenario from start to end: prerequisites (a counted skip, or a failure under
//! CI), a fresh browser, the body, the page's console checked, artifacts saved on failure.

use crate::artifacts::save_failure;
use crate::browser::Browser;
use crate::prereqs::{prereqs, timeout, Prereqs};
use crate::process::{LogBuf, Server};
use anyhow::{anyhow, Result};
use std::sync::Mutex;
use std::time::Instant;
use test_support::skip_test;

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

/// One browser at a time per test binary: 2 cores, and Chromium is heavy.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Run one end-to-end scenario: prerequisites (skip or fail), browser up, body, artifacts on
/// failure, everything stopped afterwards.
pub async fn scenario(name: &str, body: impl AsyncFnOnce(&mut Ctx) -> Result<()>) {
    run(name, false, body).await
}

/// [`scenario`] with the browser's network events kept ([`Browser::network_events`]).
pub async fn scenario_with_network_log(name: &str, body: impl AsyncFnOnce(&mut Ctx) -> Result<()>) {
    run(name, true, body).await
}

async fn run(name: &str, network_log: bool, body: impl AsyncFnOnce(&mut Ctx) -> Result<()>) {
    let p = match prereqs() {
        Ok(p) => p,
        Err(why) => return skip_test(name, &why),
    };
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let t = Instant::now();
    println!("e2e: {name}: start");
    let browser = match Browser::start_with(&p, network_log).await {
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
        let (dir, notes) = save_failure(name, &mut ctx.browser, &ctx.logs).await;
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
