//! Accessibility: an automated audit with axe-core (from npm) injected into the release page, in
//! the states a learner sees (fresh page; after a session, with details open, a hint shown, an
//! exercise solved, a cookie in the lab, the copy panel used; the simulated server; a phone's
//! width), and the keyboard: every control reached with Tab, focus always visible, no trap,
//! Ctrl+Enter sends.
//!
//! axe-core is read from `AXE_CORE_JS` (a path to axe.min.js), else from
//! `.tools/node_modules/axe-core/axe.min.js`, where `cargo xtask setup` (and `test`) installs the
//! version package-lock.json pins with `npm ci`. Without it the audit is a counted skip (a
//! failure under CI=true); the keyboard test needs no npm.

use std::path::PathBuf;
use std::time::Duration;

use e2e_tests::*;
use fantoccini::wd::TimeoutConfiguration;
use serde_json::{json, Value};

/// axe.min.js, or why it is missing.
fn axe_source() -> std::result::Result<String, String> {
    let path = std::env::var_os("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".tools/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read axe-core at {}: {e} (`cargo xtask setup` installs it from package-lock.json)",
            path.display()
        )
    })
}

#[derive(Debug)]
struct Violation {
    id: String,
    impact: String,
    help: String,
    nodes: Vec<String>,
}

/// Injects axe-core (once per page load) and runs it on the whole document.
async fn audit(b: &Browser, axe: &str) -> Result<Vec<Violation>> {
    b.client()
        .update_timeouts(TimeoutConfiguration::new(
            Some(Duration::from_secs(120)),
            None,
            None,
        ))
        .await
        .context("set the script timeout")?;
    b.js(
        "if (!window.axe) { const s = document.createElement('script'); s.textContent = arguments[0]; \
         document.head.appendChild(s); } return typeof window.axe;",
        vec![json!(axe)],
    )
    .await?;
    let out = b
        .client()
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations'] }) \
               .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact || '', help: v.help, \
                  nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' ')) })))) \
               .catch(e => done({ error: String(e) }));",
            vec![],
        )
        .await
        .context("run axe")?;
    if let Some(e) = out.get("error") {
        bail!("axe failed: {e}");
    }
    let list = out.as_array().cloned().unwrap_or_default();
    Ok(list
        .iter()
        .map(|v| Violation {
            id: v["id"].as_str().unwrap_or("").into(),
            impact: v["impact"].as_str().unwrap_or("").into(),
            help: v["help"].as_str().unwrap_or("").into(),
            nodes: v["nodes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect())
}

/// Fails on serious or critical violations; prints the others.
fn judge(state: &str, found: &[Violation]) -> Result<()> {
    let mut bad = Vec::new();
    for v in found {
        let line = format!(
            "[{}] {} ({}): {}",
            v.impact,
            v.id,
            v.help,
            v.nodes
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(" | ")
        );
        if matches!(v.impact.as_str(), "serious" | "critical") {
            bad.push(line);
        } else {
            println!("e2e: axe, {state}: {line}");
        }
    }
    ensure!(
        bad.is_empty(),
        "axe found serious violations ({state}):\n  {}",
        bad.join("\n  ")
    );
    println!(
        "e2e: axe, {state}: no serious or critical violations ({} lesser)",
        found.len()
    );
    Ok(())
}

async fn fill(b: &Browser, testid: &str, value: &str) -> Result<()> {
    b.js(
        "const e = document.querySelector('[data-testid=\"' + arguments[0] + '\"]'); e.value = arguments[1]; \
         e.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![json!(testid), json!(value)],
    )
    .await?;
    Ok(())
}

async fn js_click(b: &Browser, css: &str) -> Result<()> {
    b.js(
        "document.querySelector(arguments[0]).click();",
        vec![json!(css)],
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn axe_finds_no_serious_violations() {
    let axe = match axe_source() {
        Ok(s) => s,
        Err(why) => return skip_test("axe_finds_no_serious_violations", &why),
    };
    scenario("axe_finds_no_serious_violations", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        judge("fresh page", &audit(b, &axe).await?)?;

        // A session's worth of state: three greetings, details open, a hint, an exercise
        // solved (its explanation shown), a cookie in the lab under a wrong key, the copy panel.
        b.click("mode-session").await?;
        for _ in 0..3 {
            send_once(b).await?;
        }
        b.click("exchange-toggle").await?;
        js_click(b, "[data-id=three-visits] [data-testid=exercise-hint-next]").await?;
        b.wait("three-visits to be solved", timeout(), async || {
            let v = b
                .js(
                    "return document.querySelector('[data-id=three-visits]').dataset.solved",
                    vec![],
                )
                .await?;
            Ok((v == json!("true")).then_some(()))
        })
        .await?;
        b.click("lab-use-latest").await?;
        fill(b, "lab-key", "not-the-key").await?;
        b.wait_text("lab-verdict", "the wrong key's verdict", |t| {
            t.contains("does not verify")
        })
        .await?;
        b.wait_text("lab-server-verdict", "the server's verdict", |t| {
            t.starts_with("verifies")
        })
        .await?;
        b.click("copy-python-button").await?;
        b.wait_text("copy-status", "the copy status", |t| !t.is_empty())
            .await?;
        judge("after a session", &audit(b, &axe).await?)?;

        // The simulated server (its cookie jar shows) at a phone's width.
        b.click("use-simulated").await?;
        b.wait_text("target-kind", "simulated", |t| t == "simulated")
            .await?;
        send_once(b).await?;
        b.client()
            .set_window_size(390, 844)
            .await
            .context("phone width")?;
        // An exercise with a code sample open too (it scrolls sideways on a phone).
        b.js(
            "document.querySelector('[data-id=python-terminal]').open = true;",
            vec![],
        )
        .await?;
        judge("simulated, phone width", &audit(b, &axe).await?)?;
        b.client()
            .set_window_size(1400, 1000)
            .await
            .context("desktop width")?;
        Ok(())
    })
    .await;
}

/// Tab through the whole page: every focusable control is reached, focus is always visible,
/// Tab never stays stuck on one control (no trap), and Ctrl+Enter sends from anywhere.
#[tokio::test]
async fn keyboard_reaches_everything_without_a_trap() {
    scenario("keyboard_reaches_everything_without_a_trap", async |cx| {
        let server = cx.server(&[])?;
        cx.open(&server.url("/"), Some("server")).await?;
        let b = &cx.browser;
        send_once(b).await?;
        b.click("lab-use-latest").await?;
        b.wait("the lab to decode", timeout(), async || Ok(b.exists("lab-payload").await?.then_some(()))).await?;

        // Number the focusable controls the way the browser orders them for Tab.
        let total = b
            .js(
                "const sel = 'a[href], button:not([disabled]), input:not([disabled]), textarea, select, summary, [tabindex]:not([tabindex=\"-1\"])'; \
                 const shown = e => e.tagName === 'SUMMARY' ? !e.closest('details:not([open]) details') : !e.closest('details:not([open])'); \
                 /* a radio group is one Tab stop (arrows move inside it): count its checked radio */ \
                 const stop = e => !(e.type === 'radio' && !e.checked); \
                 const els = Array.from(document.querySelectorAll(sel)).filter(e => (e.offsetParent !== null || e.tagName === 'SUMMARY') && shown(e) && stop(e)); \
                 els.forEach((e, i) => e.setAttribute('data-kb', String(i))); \
                 document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); return els.length;",
                vec![],
            )
            .await?
            .as_u64()
            .unwrap_or(0) as usize;
        ensure!(total > 20, "only {total} focusable controls found");

        let mut seen = std::collections::BTreeSet::new();
        let mut last: Option<String> = None;
        let mut invisible = Vec::new();
        let body = b.client().find(fantoccini::Locator::Css("body")).await.context("body")?;
        body.send_keys("").await.ok();
        for step in 0..total + 15 {
            b.client()
                .active_element()
                .await
                .context("active element")?
                .send_keys(&fantoccini::key::Key::Tab.to_string())
                .await
                .context("press Tab")?;
            let now: Value = b
                .js(
                    "const e = document.activeElement; if (!e || e === document.body) return null; \
                     const s = getComputedStyle(e); \
                     const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; \
                     return { kb: e.getAttribute('data-kb'), tag: e.tagName, id: e.id || e.getAttribute('data-testid') || '', visible, \
                              textarea: e.tagName === 'TEXTAREA' };",
                    vec![],
                )
                .await?;
            if now.is_null() {
                continue;
            }
            let key = format!("{}#{}", now["kb"].as_str().unwrap_or("?"), now["id"].as_str().unwrap_or(""));
            ensure!(last.as_deref() != Some(key.as_str()), "Tab stayed on {key} at step {step}: a keyboard trap");
            if now["visible"] != json!(true) {
                invisible.push(format!("{} {}", now["tag"], now["id"]));
            }
            if let Some(k) = now["kb"].as_str() {
                seen.insert(k.to_string());
            }
            last = Some(key);
        }
        ensure!(invisible.is_empty(), "focus not visible on: {}", invisible.join(", "));
        if seen.len() < total {
            let seen_list: Vec<Value> = seen.iter().map(|k| json!(k)).collect();
            let missed = b
                .js(
                    "const seen = new Set(arguments[0]); return Array.from(document.querySelectorAll('[data-kb]'))                      .filter(e => !seen.has(e.getAttribute('data-kb')))                      .map(e => e.tagName + ' ' + (e.getAttribute('data-testid') || e.id || e.className || '') + ' [' + (e.textContent || '').trim().slice(0, 30) + ']');",
                    vec![Value::Array(seen_list)],
                )
                .await?;
            bail!("Tab reached {} of {total} focusable controls; not reached: {missed}", seen.len());
        }

        // Ctrl+Enter from the lab's textarea sends one greeting.
        let before = b.rows().await?.len();
        let lab = b.client().find(fantoccini::Locator::Css("[data-testid=lab-input]")).await.context("lab-input")?;
        lab.send_keys(&format!("{}{}", fantoccini::key::Key::Control, fantoccini::key::Key::Enter)).await.context("Ctrl+Enter")?;
        b.wait_rows("one more exchange after Ctrl+Enter", |rows| rows.len() > before).await?;
        Ok(())
    })
    .await;
}
