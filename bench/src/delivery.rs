//! What a learner feels of the page's delivery (issue 16): the bytes of the first load (as the
//! browser reports them: the navigation's and the page files' `transferSize`), the time from
//! navigation to the chapter's first paragraph on screen, and to the app answering a click.
//!
//! On loopback and under Lighthouse-style mobile throttling (DevTools
//! `Network.emulateNetworkConditions`: 1.6 Mbps down, 750 kbps up, 562 ms round trip; the CPU
//! is not slowed), cold (a new Chromium with the cache disabled, so no connection or compiled
//! wasm is reused) and warm (the same Chromium, cache on, after one load). From the greeting
//! server (compressed twins, cache headers) and from a plain static host (`python3 -m
//! http.server` on `dist/`: no compression, no `Cache-Control`; the page runs its simulated
//! server there).
//!
//! * first paragraph: the later of the moment `article.chapter .prose p` is in the document and
//!   the first contentful paint (until the CSS arrives nothing is painted);
//! * answered: a script installed before the page's own (`Page.addScriptToEvaluateOnNewDocument`)
//!   clicks `send-once` the moment it exists and notes when the first `exchange-row` appears.

use fantoccini::Client;
use serde_json::{json, Value as Json};
use std::time::{Duration, Instant};

use crate::browser::{cdp, Chromium};

/// The throttled network: Lighthouse's mobile preset, as DevTools applies it.
pub const THROTTLED: Network = Network {
    name: "throttled (1.6 Mbps down, 750 kbps up, 562 ms RTT)",
    conditions: Some((562.0, 1_600_000.0 / 8.0, 750_000.0 / 8.0)),
};
pub const LOOPBACK: Network = Network {
    name: "loopback",
    conditions: None,
};

/// Targets (issue 16), printed as met or missed.
pub const TARGET_PARAGRAPH_COLD_MS: f64 = 1200.0;
pub const TARGET_ANSWER_COLD_MS: f64 = 2500.0;
pub const TARGET_ANSWER_WARM_MS: f64 = 1000.0;
pub const TARGET_FIRST_LOAD_BYTES: u64 = 250_000;
pub const TARGET_LOOPBACK_ANSWER_MS: f64 = 150.0;

#[derive(Clone, Copy, Debug)]
pub struct Network {
    pub name: &'static str,
    /// `(latency ms, download bytes/s, upload bytes/s)`; `None`: not throttled.
    conditions: Option<(f64, f64, f64)>,
}

/// One navigation's figures.
#[derive(Clone, Debug, Default)]
pub struct Load {
    pub bytes: u64,
    pub paragraph_ms: f64,
    pub answered_ms: f64,
}

/// The loads of one host × network × cache.
#[derive(Clone, Debug)]
pub struct Case {
    pub host: &'static str,
    pub network: Network,
    pub warm: bool,
    pub loads: Vec<Load>,
}

const PROBE: &str = r#"
(() => {
  if (window.top !== window || location.hash !== '#bench-delivery') return;
  const B = window.__delivery = { paragraph: null, fcp: null, interactive: null, answered: null };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') B.fcp = e.startTime;
  }).observe({ type: 'paint', buffered: true });
  const check = () => {
    if (B.paragraph === null && document.querySelector('article.chapter .prose p')) B.paragraph = performance.now();
    if (B.interactive === null) {
      const b = document.querySelector('[data-testid="send-once"]');
      if (b) { B.interactive = performance.now(); b.click(); }
    }
    if (B.answered === null && document.querySelector('[data-testid="exchange-row"]')) B.answered = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();
"#;

/// The page's own files (not its requests to the greeting server) as the browser counted them.
const BYTES: &str = r#"
const api = (r) => /^\/(greeting|user|playground\/api)/.test(new URL(r.name).pathname);
const nav = performance.getEntriesByType('navigation')[0];
const files = performance.getEntriesByType('resource').filter((r) => !api(r));
return (nav ? nav.transferSize : 0) + files.reduce((s, r) => s + r.transferSize, 0);
"#;

/// Every case for one host (`base` serves the page): cold and warm, loopback and throttled.
pub async fn measure_host(
    chromium: &Chromium,
    host: &'static str,
    base: &str,
    repeats: usize,
) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for network in [LOOPBACK, THROTTLED] {
        let mut cold = Vec::new();
        for _ in 0..repeats {
            // A new browser each time: nothing cached, no connection kept.
            let session = chromium.session().await?;
            let load = async {
                prepare(session.client(), network, true).await?;
                load(session.client(), base).await
            }
            .await;
            session.close().await;
            cold.push(load?);
        }
        cases.push(Case {
            host,
            network,
            warm: false,
            loads: cold,
        });
        let session = chromium.session().await?;
        let warm = async {
            prepare(session.client(), network, false).await?;
            load(session.client(), base).await?;
            let mut loads = Vec::new();
            for _ in 0..repeats {
                loads.push(load(session.client(), base).await?);
            }
            Ok::<_, String>(loads)
        }
        .await;
        session.close().await;
        cases.push(Case {
            host,
            network,
            warm: true,
            loads: warm?,
        });
    }
    Ok(cases)
}

async fn prepare(client: &Client, network: Network, cold: bool) -> Result<(), String> {
    cdp(client, "Network.enable", json!({})).await?;
    cdp(
        client,
        "Network.setCacheDisabled",
        json!({ "cacheDisabled": cold }),
    )
    .await?;
    if let Some((latency, down, up)) = network.conditions {
        cdp(
            client,
            "Network.emulateNetworkConditions",
            json!({ "offline": false, "latency": latency, "downloadThroughput": down, "uploadThroughput": up }),
        )
        .await?;
    }
    cdp(
        client,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": PROBE }),
    )
    .await
}

async fn load(client: &Client, base: &str) -> Result<Load, String> {
    client
        .goto("about:blank")
        .await
        .map_err(|e| e.to_string())?;
    client
        .goto(&format!("{base}/#bench-delivery"))
        .await
        .map_err(|e| e.to_string())?;
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let v = client
            .execute("return window.__delivery || null;", vec![])
            .await
            .map_err(|e| e.to_string())?;
        let num = |k: &str| v.get(k).and_then(Json::as_f64);
        if let (Some(paragraph), Some(fcp), Some(answered)) =
            (num("paragraph"), num("fcp"), num("answered"))
        {
            let bytes = client
                .execute(BYTES, vec![])
                .await
                .map_err(|e| e.to_string())?
                .as_u64()
                .unwrap_or(0);
            return Ok(Load {
                bytes,
                paragraph_ms: paragraph.max(fcp),
                answered_ms: answered,
            });
        }
        if Instant::now() > until {
            return Err(format!(
                "{base}: no answer to the click within 60 s (probe: {v})"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
