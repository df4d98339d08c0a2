//! The attribute lab in Chromium against the real server: for each attribute set, the reason
//! the page states for storing or not storing the session cookie, and for sending it or not to
//! each probed path, is the reason Chromium itself reports (DevTools'
//! `Network.responseReceivedExtraInfo` and `Network.requestWillBeSentExtraInfo`, read from
//! chromedriver's performance log); `SameSite=Strict` kept back on a link followed from the
//! other site name; the 4 KB step, where Chromium drops the grown cookie and the next request
//! carries the old one.

use e2e_tests::*;
use serde_json::{json, Value as Json};
use std::collections::{BTreeSet, HashMap};

/// Sets the lab's form: each control as a learner would (input and change events).
const SET_FORM: &str = r#"
const a = arguments[0];
const el = id => document.querySelector('[data-testid="' + id + '"]');
const put = (id, v) => { const e = el(id); e.value = v; e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true})); };
const tick = (id, on) => { const e = el(id); if (e.checked !== on) e.click(); };
put('attr-samesite', a.same_site || '');
tick('attr-secure', !!a.secure);
tick('attr-prefix', !!a.host_prefix);
put('attr-domain', a.domain || '');
put('attr-path', a.path || '/');
put('attr-lifetime', a.permanent ? 'permanent' : 'session');
return true;
"#;

/// What Chromium reported about the cookie `name`, request by request.
#[derive(Debug, Default)]
struct Chromium {
    /// Each response that set it (deletions left out): its path and the reasons it was refused
    /// (empty: stored).
    set: Vec<(String, BTreeSet<String>)>,
    /// Each request that had it in the jar: its path and why it was not sent (empty: sent).
    sent: Vec<(String, BTreeSet<String>)>,
}

fn path_of(url: &str) -> String {
    let after = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = after.find('/').map(|i| &after[i..]).unwrap_or("/");
    path.split('?').next().unwrap_or(path).to_string()
}

fn reasons(v: &Json) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect()
}

fn chromium_saw(events: &[Json], name: &str) -> Chromium {
    let mut urls: HashMap<String, String> = HashMap::new();
    for e in events {
        if e["method"] == "Network.requestWillBeSent" {
            if let (Some(id), Some(url)) = (
                e["params"]["requestId"].as_str(),
                e["params"]["request"]["url"].as_str(),
            ) {
                urls.insert(id.to_string(), url.to_string());
            }
        }
    }
    let path = |e: &Json| {
        e["params"]["requestId"]
            .as_str()
            .and_then(|id| urls.get(id))
            .map(|u| path_of(u))
            .unwrap_or_default()
    };
    let prefix = format!("{name}=");
    let mut seen = Chromium::default();
    for e in events {
        match e["method"].as_str() {
            Some("Network.responseReceivedExtraInfo") => {
                let headers = e["params"]["headers"].as_object();
                let lines: Vec<String> = headers
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
                    .filter_map(|(_, v)| v.as_str())
                    .flat_map(|v| v.split('\n'))
                    .filter(|l| l.starts_with(&prefix) && !l.contains("Max-Age=0"))
                    .map(str::to_string)
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                let mut why = BTreeSet::new();
                for b in e["params"]["blockedCookies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let line = b["cookieLine"].as_str().unwrap_or("");
                    if line.starts_with(&prefix) && !line.contains("Max-Age=0") {
                        why.extend(reasons(&b["blockedReasons"]));
                    }
                }
                seen.set.push((path(e), why));
            }
            Some("Network.requestWillBeSentExtraInfo") => {
                for c in e["params"]["associatedCookies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if c["cookie"]["name"] == name {
                        seen.sent.push((path(e), reasons(&c["blockedReasons"])));
                    }
                }
            }
            _ => {}
        }
    }
    seen
}

fn words(s: Option<&Option<String>>) -> BTreeSet<String> {
    s.and_then(|s| s.as_deref())
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The lab's message has moved on from `step`; the new step.
async fn next_step(b: &Browser, step: u32) -> Result<u32> {
    b.wait("the lab to finish its step", timeout(), async || {
        let now = b.attrs("attr-message", "data-step").await?;
        let now: u32 = now
            .first()
            .cloned()
            .flatten()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok((now > step).then_some(now))
    })
    .await
}

async fn step_now(b: &Browser) -> Result<u32> {
    Ok(b.attrs("attr-message", "data-step")
        .await?
        .first()
        .cloned()
        .flatten()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

/// Fills the form with `attributes`, applies, and returns what Chromium reported meanwhile.
async fn apply(b: &Browser, attributes: &Json, name: &str) -> Result<Chromium> {
    b.js(SET_FORM, vec![attributes.clone()]).await?;
    b.network_events().await?;
    let step = step_now(b).await?;
    b.click("attr-apply").await?;
    next_step(b, step).await?;
    let message = b.text("attr-message").await?.unwrap_or_default();
    ensure!(
        message.starts_with("Applied and tried."),
        "{attributes}: the lab said {message:?}"
    );
    Ok(chromium_saw(&b.network_events().await?, name))
}

async fn wait_lab(b: &Browser) -> Result<()> {
    b.wait(
        "the attribute lab to know the server's attributes",
        timeout(),
        async || {
            Ok(b.text("attr-set-cookie")
                .await?
                .filter(|t| t.contains("PAYLOAD.TIMESTAMP.SIGNATURE"))
                .map(|_| ()))
        },
    )
    .await
}

/// Opens the page at `http://HOST:PORT/` and waits for the lab to know the server's attributes.
async fn open_lab(cx: &Ctx, host: &str, port: u16) -> Result<()> {
    cx.open(
        &format!("http://{host}:{port}/#attribute-lab"),
        Some("server"),
    )
    .await?;
    wait_lab(&cx.browser).await
}

#[tokio::test]
async fn the_labs_reasons_are_chromiums() {
    scenario_with_network_log("the_labs_reasons_are_chromiums", async |cx| {
        let server = cx.server(&[])?;
        open_lab(cx, "localhost", server.port).await?;
        let b = &cx.browser;
        let cases = [
            json!({}),
            json!({"secure": true}),
            json!({"same_site": "None"}),
            json!({"same_site": "None", "secure": true}),
            json!({"path": "/greeting"}),
            json!({"path": "/playground"}),
            json!({"domain": "localhost"}),
            json!({"domain": "example.com"}),
            json!({"host_prefix": true}),
            json!({"host_prefix": true, "secure": true}),
            json!({"host_prefix": true, "secure": true, "path": "/greeting"}),
            json!({"same_site": "Strict", "permanent": true}),
        ];
        for case in &cases {
            let name = if case["host_prefix"] == true {
                "__Host-session"
            } else {
                "session"
            };
            let chromium = apply(b, case, name).await?;
            // Stored: the page's reasons are Chromium's, for every greeting that set it.
            let stated = words(b.attrs("attr-stored", "data-reason").await?.first());
            let greetings: Vec<&BTreeSet<String>> = chromium
                .set
                .iter()
                .filter(|(p, _)| p == "/greeting")
                .map(|(_, why)| why)
                .collect();
            ensure!(
                !greetings.is_empty(),
                "{case}: Chromium saw no Set-Cookie of {name}: {chromium:?}"
            );
            for why in &greetings {
                ensure!(
                    **why == stated,
                    "{case}: the page says {stated:?} for storing, Chromium {why:?}"
                );
            }
            // Sent: each probed path's reason is Chromium's for that request.
            let paths = b.attrs("attr-probe", "data-path").await?;
            let reasons = b.attrs("attr-probe", "data-reason").await?;
            let arrived = b.attrs("attr-probe", "data-arrived").await?;
            ensure!(paths.len() == 3, "{case}: probes {paths:?}");
            for ((path, reason), arrived) in paths.iter().zip(&reasons).zip(&arrived) {
                let path = path.clone().unwrap_or_default();
                let stated = words(Some(reason));
                let requests: Vec<&BTreeSet<String>> = chromium
                    .sent
                    .iter()
                    .filter(|(p, _)| *p == path)
                    .map(|(_, why)| why)
                    .collect();
                if stated_stored(&chromium) {
                    ensure!(
                        !requests.is_empty(),
                        "{case}: Chromium had no {name} in the jar for {path}: {chromium:?}"
                    );
                    let last = requests[requests.len() - 1];
                    ensure!(
                        *last == stated,
                        "{case} {path}: the page says {stated:?}, Chromium {last:?}"
                    );
                    ensure!(
                        arrived.as_deref() == Some(if last.is_empty() { "true" } else { "false" }),
                        "{case} {path}: the server's echo disagrees with Chromium: {arrived:?} vs {last:?}"
                    );
                } else {
                    ensure!(
                        requests.is_empty() && arrived.as_deref() == Some("false"),
                        "{case} {path}: not stored, yet {requests:?} / arrived {arrived:?}"
                    );
                }
            }
        }
        // The Path case above solved the exercise "Make the cookie disappear with a Path".
        let solved = b
            .js(
                "const e = document.querySelector('[data-testid=\"exercise\"][data-id=\"path-hides-cookie\"]'); return e ? e.getAttribute('data-solved') : null;",
                vec![],
            )
            .await?;
        ensure!(
            solved == json!("true"),
            "the Path exercise shows solved={solved}"
        );
        // Flask's cookie again: the default bytes.
        apply(b, &json!({}), "session").await?;
        let shown = b.text("attr-set-cookie").await?.unwrap_or_default();
        ensure!(
            shown == "session=PAYLOAD.TIMESTAMP.SIGNATURE; HttpOnly; Path=/",
            "the default Set-Cookie shows as {shown:?}"
        );
        Ok(())
    })
    .await;
}

fn stated_stored(chromium: &Chromium) -> bool {
    chromium
        .set
        .iter()
        .filter(|(p, _)| p == "/greeting")
        .all(|(_, why)| why.is_empty())
}

#[tokio::test]
async fn same_site_strict_stays_home_on_a_link_from_the_other_site() {
    scenario_with_network_log(
        "same_site_strict_stays_home_on_a_link_from_the_other_site",
        async |cx| {
            let server = cx.server(&[])?;
            let port = server.port;
            let b = &cx.browser;
            for (same_site, expected) in [("Strict", "SchemefulSameSiteStrict"), ("Lax", "")] {
                // The cookie on 127.0.0.1, set from its own page.
                open_lab(cx, "127.0.0.1", port).await?;
                apply(b, &json!({"same_site": same_site}), "session").await?;
                // From localhost, the page's word on the link to 127.0.0.1's echo...
                open_lab(cx, "localhost", port).await?;
                let stated = b.attrs("attr-other-site-reason", "data-reason").await?;
                ensure!(
                    stated.first().cloned().flatten().as_deref() == Some(expected),
                    "SameSite={same_site}: the page says {stated:?}"
                );
                b.network_events().await?;
                b.click("attr-other-site").await?;
                b.wait("the echo of 127.0.0.1", timeout(), async || {
                    let body: String = b
                        .js(
                            "return document.body ? document.body.innerText : ''",
                            vec![],
                        )
                        .await?
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    Ok(body.contains("\"cookies\"").then_some(()))
                })
                .await?;
                // ...is what Chromium did.
                let chromium = chromium_saw(&b.network_events().await?, "session");
                let navigation: Vec<_> = chromium
                    .sent
                    .iter()
                    .filter(|(p, _)| p == "/greeting/cookies")
                    .collect();
                ensure!(
                    navigation.len() == 1,
                    "SameSite={same_site}: the link's request: {chromium:?}"
                );
                ensure!(
                    words(Some(&Some(expected.to_string()))) == navigation[0].1,
                    "SameSite={same_site}: the page said {expected:?}, Chromium {:?}",
                    navigation[0].1
                );
                let body = b
                    .js("return document.body.innerText", vec![])
                    .await?
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                ensure!(
                    body.contains("\"session\"") == expected.is_empty(),
                    "SameSite={same_site}: the echo got {body}"
                );
            }
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn the_browser_drops_a_cookie_past_4_kb_and_sends_the_old_one() {
    scenario_with_network_log(
        "the_browser_drops_a_cookie_past_4_kb_and_sends_the_old_one",
        async |cx| {
            let server = cx.server(&[])?;
            open_lab(cx, "localhost", server.port).await?;
            let b = &cx.browser;
            apply(b, &json!({}), "session").await?;
            for (bytes, keeps) in [(3000, true), (4200, false)] {
                b.fill("attr-pad-bytes", &bytes.to_string()).await?;
                b.network_events().await?;
                let step = step_now(b).await?;
                b.click("attr-grow").await?;
                next_step(b, step).await?;
                let said = b.attrs("attr-size", "data-keeps").await?;
                ensure!(
                    said.first().cloned().flatten().as_deref() == Some(&keeps.to_string()),
                    "{bytes} bytes: the page says keeps={said:?}; {:?}",
                    b.text("attr-message").await?
                );
                let chromium = chromium_saw(&b.network_events().await?, "session");
                let padding: Vec<_> = chromium
                    .set
                    .iter()
                    .filter(|(p, _)| p == "/playground/api/cookie-padding")
                    .collect();
                ensure!(padding.len() == 1, "{bytes}: {chromium:?}");
                let expected: BTreeSet<String> = if keeps {
                    BTreeSet::new()
                } else {
                    ["NameValuePairExceedsMaxSize".to_string()].into()
                };
                ensure!(
                    padding[0].1 == expected,
                    "{bytes}: Chromium refused with {:?}",
                    padding[0].1
                );
                let after = b.text("attr-size-after").await?.unwrap_or_default();
                if keeps {
                    ensure!(after.contains("kept the"), "{bytes}: {after}");
                } else {
                    ensure!(after.contains("sent the old one"), "{bytes}: {after}");
                    let warning = b.text("attr-werkzeug-warning").await?.unwrap_or_default();
                    ensure!(
                        warning.starts_with("The 'session' cookie is too large"),
                        "{warning}"
                    );
                }
            }
            // The greeting after the drop continued the old (3000-byte) session.
            let rows = b.rows().await?;
            let last = rows
                .iter()
                .filter(|r| r.visit.is_some())
                .max_by_key(|r| r.visit)
                .cloned()
                .unwrap_or_default();
            ensure!(
                last.visit >= Some(3),
                "the session went on: {}",
                show_rows(&rows)
            );
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn requests_own_jar_in_the_page_keeps_back_what_chromium_sends() {
    scenario(
        "requests_own_jar_in_the_page_keeps_back_what_chromium_sends",
        async |cx| {
            let server = cx.server(&[])?;
            open_lab(cx, "localhost", server.port).await?;
            let b = &cx.browser;
            // Secure over http://localhost, Domain=localhost: Chromium sends both, requests
            // neither; Flask's cookie: both send it everywhere.
            for (case, requests_sends) in [
                (json!({"secure": true}), false),
                (json!({"domain": "localhost"}), false),
                (json!({}), true),
            ] {
                b.js(SET_FORM, vec![case.clone()]).await?;
                let step = step_now(b).await?;
                b.click("attr-apply").await?;
                next_step(b, step).await?;
                let arrived = b.attrs("attr-probe", "data-arrived").await?;
                ensure!(
                    arrived.iter().all(|a| a.as_deref() == Some("true")),
                    "{case}: Chromium sends it everywhere: {arrived:?}"
                );
                let differs = b.exists("attr-requests-differs").await?;
                ensure!(
                    differs != requests_sends,
                    "{case}: the page's note on requests"
                );
                b.click("attr-ask-requests").await?;
                let sent = b
                    .wait("requests' jar to answer", timeout() * 6, async || {
                        let sent = b.attrs("attr-requests-sent", "data-sent").await?;
                        Ok((sent.len() == 3).then_some(sent))
                    })
                    .await?;
                let want = requests_sends.to_string();
                ensure!(
                    sent.iter().all(|s| s.as_deref() == Some(want.as_str())),
                    "{case}: requests' jar sends {sent:?}; {:?}",
                    b.text("attr-requests-jar").await?
                );
            }
            Ok(())
        },
    )
    .await;
}
