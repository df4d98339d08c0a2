//! What a failed scenario leaves behind under `e2e-artifacts/<test>/`: a screenshot, the page's
//! HTML, the browser console log, chromedriver's log and the output of every process it started.

use crate::browser::Browser;
use crate::process::LogBuf;
use std::path::{Path, PathBuf};
use test_support::workspace_root;

impl Browser {
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
}

/// Save everything about a failed scenario into a fresh `e2e-artifacts/<name>/`; returns the
/// folder and notes on what could not be saved.
pub async fn save_failure(
    name: &str,
    browser: &mut Browser,
    logs: &[(String, LogBuf)],
) -> (PathBuf, Vec<String>) {
    let dir = workspace_root().join("e2e-artifacts").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let notes = browser.save_artifacts(&dir).await;
    for (n, log) in logs {
        let _ = std::fs::write(dir.join(format!("{n}.log")), log.text());
    }
    (dir, notes)
}
