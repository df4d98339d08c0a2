use e2e_tests::*;

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

async fn metrics(b: &Browser) -> Result<(f64, f64, f64)> {
    let v = b
        .client()
        .issue_cmd(test_support::chromedriver::Cdp {
            cmd: "Performance.getMetrics",
            params: serde_json::json!({}),
        })
        .await?;
    let get = |n: &str| {
        v["metrics"]
            .as_array()
            .and_then(|a| a.iter().find(|m| m["name"] == n))
            .and_then(|m| m["value"].as_f64())
            .unwrap_or(f64::NAN)
    };
    Ok((
        get("TaskDuration") * 1000.0,
        get("ScriptDuration") * 1000.0,
        get("LayoutDuration") * 1000.0 + get("RecalcStyleDuration") * 1000.0,
    ))
}

#[tokio::test]
async fn perf() {
    scenario("zz_truth_perf", async |cx| {
        let mut p2 = cx.p.clone();
        p2.dist = "/tmp/truth-dist-before".into();
        let before = Server::start(&p2, &[])?;
        let after = cx.server(&[])?;
        let b = &cx.browser;
        b.client().update_timeouts(fantoccini::wd::TimeoutConfiguration::new(Some(std::time::Duration::from_secs(120)), Some(std::time::Duration::from_secs(30)), Some(std::time::Duration::from_secs(0)))).await?;
        b.client().issue_cmd(test_support::chromedriver::Cdp { cmd: "Performance.enable", params: serde_json::json!({}) }).await?;
        let runs: usize = std::env::var("PERF_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
        for _ in 0..runs {
            for (name, server) in [("before", &before), ("after", &after)] {
                cx.open(&server.url("/"), Some("server")).await?;
                let m0 = metrics(b).await?;
                let v = b.client().execute_async(&format!("{HELPERS}\n{PAGE_100}"), vec![]).await?;
                let m1 = metrics(b).await?;
                let page = v["ms"].as_f64().unwrap_or(f64::NAN);
                let jar = b.js("return performance.getEntriesByType('resource').filter(e => e.name.includes('/playground/api/cookies')).length;", vec![]).await?;
                let v = b.client().execute_async(&format!("{HELPERS}\n{BARE_100}"), vec![]).await?;
                let m2 = metrics(b).await?;
                let bare = v["ms"].as_f64().unwrap_or(f64::NAN);
                eprintln!("PERF {name}: page {page:.0} ms (task {:.0}, script {:.0}, style+layout {:.0}; jar fetches {jar}), bare {bare:.0} ms (task {:.0}, script {:.0}), ratio {:.2}",
                    m1.0 - m0.0, m1.1 - m0.1, m1.2 - m0.2, m2.0 - m1.0, m2.1 - m1.1, page / bare);
            }
        }
        Ok(())
    })
    .await;
}
