//! Issue 16: the page arrives compressed and cached right, and reads before the wasm arrives.
//!
//! * the release build's brotli and gzip twins are what the greeting server sends for each
//!   `Accept-Encoding` (and the plain file for none), with `Vary` and the cache rules: hashed
//!   assets immutable, `index.html` no-cache; the favicon is a real file;
//! * the page works with each encoding (Chromium's `Accept-Encoding` replaced through the
//!   DevTools command `Network.setExtraHTTPHeaders`): the chapter's first request answers
//!   Welcome, and the wasm arrived in that encoding (its encoded size is the twin's);
//! * with the wasm held back, the prerendered chapter is there to read, its Run buttons pending;
//!   once the app starts it draws the same blocks in the same place and the buttons work.

use e2e_tests::*;
use serde_json::{json, Value as Json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use test_support::chromedriver::Cdp;

async fn cdp(b: &Browser, cmd: &'static str, params: Json) -> Result<()> {
    b.client()
        .issue_cmd(Cdp { cmd, params })
        .await
        .with_context(|| format!("DevTools {cmd}"))?;
    Ok(())
}

/// One HTTP/1.1 answer read whole (`Connection: close`).
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn get(port: u16, path: &str, accept_encoding: Option<&str>) -> Result<Reply> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let ae = accept_encoding
        .map(|a| format!("Accept-Encoding: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{ae}Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers in the answer")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .context("no status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let reply = Reply {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    };
    ensure!(
        reply.header("transfer-encoding").is_none(),
        "GET {path}: a chunked answer (this reader expects Content-Length)"
    );
    Ok(reply)
}

/// The one file in dist/ whose name ends with `suffix` (Trunk's hashed names).
fn dist_file(dist: &Path, suffix: &str) -> Result<PathBuf> {
    let found: Vec<PathBuf> = std::fs::read_dir(dist)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!(
            "wanted one *{suffix} in {}, found {found:?}",
            dist.display()
        ),
    }
}

fn url_path(dist: &Path, file: &Path) -> String {
    format!(
        "/{}",
        file.strip_prefix(dist)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    )
}

fn twin(file: &Path, ext: &str) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `curl -H 'Accept-Encoding: br' -I` on the wasm, and the same for gzip and for no encoding,
/// on the wasm, the JS glue, the CSS and index.html.
#[test]
fn each_encoding_gets_its_twin_with_vary_and_the_cache_rules() {
    const NAME: &str = "each_encoding_gets_its_twin_with_vary_and_the_cache_rules";
    let p = match prereqs() {
        Ok(p) => p,
        Err(why) => return skip_test(NAME, &why),
    };
    let check = || -> Result<()> {
        let server = Server::start(&p, &[])?;
        let wasm = dist_file(&p.dist, "_bg.wasm")?;
        ensure!(
            twin(&wasm, "br").is_file() && twin(&wasm, "gz").is_file(),
            "{} has no .br/.gz twins: is dist/ a release build (`trunk build --release`)?",
            wasm.display()
        );
        let js = dist_file(&p.dist, ".js")?;
        let css: Vec<PathBuf> = std::fs::read_dir(&p.dist)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.extension().is_some_and(|e| e == "css"))
            .collect();
        // (No CSS file when index.html inlines the styles.)
        let mut assets = vec![wasm.clone(), js];
        assets.extend(css);
        for file in &assets {
            let path = url_path(&p.dist, file);
            let plain = std::fs::read(file)?;
            for (accept, encoding, body) in [
                (Some("br"), Some("br"), std::fs::read(twin(file, "br"))?),
                (Some("gzip"), Some("gzip"), std::fs::read(twin(file, "gz"))?),
                (
                    Some("gzip, deflate, br, zstd"),
                    Some("br"),
                    std::fs::read(twin(file, "br"))?,
                ),
                (None, None, plain.clone()),
            ] {
                let r = get(server.port, &path, accept)?;
                let what = format!("GET {path} with Accept-Encoding {accept:?}");
                ensure!(r.status == 200, "{what}: status {}", r.status);
                ensure!(
                    r.header("content-encoding") == encoding,
                    "{what}: Content-Encoding {:?}, wanted {encoding:?}",
                    r.header("content-encoding")
                );
                ensure!(
                    r.body == body,
                    "{what}: {} bytes, not the {} bytes of the file for that encoding",
                    r.body.len(),
                    body.len()
                );
                ensure!(
                    r.header("vary")
                        .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
                    "{what}: Vary {:?}",
                    r.header("vary")
                );
                ensure!(
                    r.header("cache-control") == Some(IMMUTABLE),
                    "{what}: Cache-Control {:?}, wanted {IMMUTABLE:?} (a hashed name)",
                    r.header("cache-control")
                );
            }
            ensure!(
                twin(file, "br").metadata()?.len() < plain.len() as u64,
                "{path}: the brotli twin is not smaller"
            );
        }
        for path in ["/", "/index.html"] {
            let html = std::fs::read(p.dist.join("index.html"))?;
            for (accept, encoding, body) in [
                (
                    Some("br"),
                    Some("br"),
                    std::fs::read(p.dist.join("index.html.br"))?,
                ),
                (None, None, html),
            ] {
                let r = get(server.port, path, accept)?;
                let what = format!("GET {path} with Accept-Encoding {accept:?}");
                ensure!(r.status == 200, "{what}: status {}", r.status);
                ensure!(
                    r.header("content-encoding") == encoding,
                    "{what}: Content-Encoding {:?}",
                    r.header("content-encoding")
                );
                ensure!(r.body == body, "{what}: not index.html's bytes");
                ensure!(
                    r.header("cache-control") == Some("no-cache"),
                    "{what}: Cache-Control {:?}, wanted no-cache",
                    r.header("cache-control")
                );
            }
        }
        // The favicon index.html names is a real file.
        let html = std::fs::read_to_string(p.dist.join("index.html"))?;
        let icon = html
            .split("rel=\"icon\"")
            .nth(1)
            .and_then(|rest| rest.split("href=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .context("index.html links no icon")?;
        let r = get(
            server.port,
            &format!("/{}", icon.trim_start_matches('/')),
            None,
        )?;
        ensure!(
            r.status == 200 && r.header("content-type") == Some("image/svg+xml"),
            "the favicon {icon}: status {}, Content-Type {:?}",
            r.status,
            r.header("content-type")
        );
        Ok(())
    };
    if let Err(e) = check() {
        panic!("e2e: {NAME}: {e:#}");
    }
}

/// What the wasm's resource timing says: `[transferSize, encodedBodySize, decodedBodySize]`.
const WASM_SIZES_JS: &str = r#"
const e = performance.getEntriesByType('resource').find(r => r.name.endsWith('_bg.wasm'));
return e ? [e.transferSize, e.encodedBodySize, e.decodedBodySize] : null;
"#;

/// The page served with br, with gzip and with no encoding: each works, and each wasm came in
/// the encoding asked for.
#[tokio::test]
async fn the_page_works_with_br_gzip_and_no_encoding() {
    scenario("the_page_works_with_br_gzip_and_no_encoding", async |cx| {
        let server = cx.server(&[])?;
        let wasm = dist_file(&cx.p.dist, "_bg.wasm")?;
        let b = &cx.browser;
        cdp(b, "Network.enable", json!({})).await?;
        cdp(
            b,
            "Network.setCacheDisabled",
            json!({"cacheDisabled": true}),
        )
        .await?;
        for (accept, file) in [
            ("br", twin(&wasm, "br")),
            ("gzip", twin(&wasm, "gz")),
            ("identity", wasm.clone()),
        ] {
            let what = format!("Accept-Encoding: {accept}");
            cdp(
                b,
                "Network.setExtraHTTPHeaders",
                json!({ "headers": { "Accept-Encoding": accept } }),
            )
            .await?;
            // A fresh session each round: the first request is the chapter's first.
            cdp(b, "Network.clearBrowserCookies", json!({})).await?;
            cx.open(&server.url("/"), Some("server")).await?;
            b.click("mode-session").await?;
            let row = send_once(b).await?;
            ensure!(
                row.status == Some(200) && row.message == CHAPTER[0],
                "{what}: the first request answered {:?} {:?}",
                row.status,
                row.message
            );
            let sizes = b.js(WASM_SIZES_JS, vec![]).await?;
            let encoded = sizes.get(1).and_then(Json::as_u64);
            let decoded = sizes.get(2).and_then(Json::as_u64);
            let want = file.metadata()?.len();
            ensure!(
                encoded == Some(want),
                "{what}: the wasm's encodedBodySize {encoded:?}, wanted {want} ({})",
                file.display()
            );
            ensure!(
                decoded == Some(wasm.metadata()?.len()),
                "{what}: the wasm's decodedBodySize {decoded:?} is not the wasm's size"
            );
        }
        Ok(())
    })
    .await;
}

/// Each block of the chapter (tag, classes, text; an editor by its height), the first paragraph's box, the Run buttons'
/// `disabled`, whether the prerendered part and the app are there. `n`: how many blocks.
const CHAPTER_VIEW: &str = r#"
const chapterView = (n) => {
  const a = document.querySelector('article.chapter');
  if (!a) return null;
  const blocks = Array.from(a.children).slice(0, n === null ? a.children.length : n)
    .map(e => {
      // An editor shows its code as its value (the app's may name this server, not localhost:5000).
      const c = e.cloneNode(true);
      c.querySelectorAll('textarea').forEach(t => t.replaceWith('[editor of ' + t.rows + ' rows]'));
      return [e.tagName, e.className, c.textContent];
    });
  const p = a.querySelector('.prose p');
  const r = p ? p.getBoundingClientRect() : null;
  return {
    blocks,
    first: r && [r.left, r.top, r.width, r.height],
    visible: !!r && r.height > 0 && r.top < innerHeight,
    buttons: Array.from(a.querySelectorAll('[data-testid="run-in-playground"]')).map(b => b.disabled),
    prerendered: !!document.querySelector('[data-prerender]'),
    app: !!document.querySelector('[data-testid="send-once"]'),
  };
};
"#;

/// Installed before the page's own scripts: the chapter as the HTML alone gives it, at
/// DOMContentLoaded (the wasm is fetched after that, and throttled here).
const AT_PARSE: &str = r#"
addEventListener('DOMContentLoaded', () => { window.__atParse = chapterView(null); });
"#;

/// What the learner reads before the wasm arrives is the chapter, its buttons pending; the app
/// then draws the same blocks in the same place, and the buttons work.
#[tokio::test]
async fn the_prerendered_chapter_reads_before_the_wasm_and_the_app_takes_it_over_in_place() {
    scenario(
        "the_prerendered_chapter_reads_before_the_wasm_and_the_app_takes_it_over_in_place",
        async |cx| {
            let server = cx.server(&[])?;
            let b = &cx.browser;
            cdp(
                b,
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": format!("{CHAPTER_VIEW}\n{AT_PARSE}") }),
            )
            .await?;
            cdp(b, "Network.enable", json!({})).await?;
            // Every answer 300 ms late: the wasm arrives well after the HTML has been parsed.
            cdp(
                b,
                "Network.emulateNetworkConditions",
                json!({ "offline": false, "latency": 300, "downloadThroughput": -1, "uploadThroughput": -1 }),
            )
            .await?;
            cx.open(&server.url("/"), Some("server")).await?;
            let before = b.js("return window.__atParse || null;", vec![]).await?;
            ensure!(
                before["prerendered"] == json!(true)
                    && before["app"] == json!(false)
                    && before["visible"] == json!(true),
                "when the HTML was parsed: no prerendered chapter with a visible first paragraph, or already the app: {before}"
            );
            let blocks = before["blocks"].as_array().map_or(0, Vec::len);
            ensure!(blocks > 3, "the prerendered chapter has {blocks} blocks");
            let buttons = before["buttons"].as_array().cloned().unwrap_or_default();
            ensure!(
                !buttons.is_empty() && buttons.iter().all(|d| d == &json!(true)),
                "the prerendered Run buttons are not all disabled: {buttons:?}"
            );
            let after = b
                .js(
                    &format!("{CHAPTER_VIEW}\nreturn chapterView(arguments[0]);"),
                    vec![json!(blocks)],
                )
                .await?;
            ensure!(
                after["prerendered"] == json!(false),
                "the prerendered part is still in the page after the app started"
            );
            ensure!(
                after["blocks"] == before["blocks"],
                "the app's chapter blocks differ from the prerendered ones:\n  before {}\n  after  {}",
                before["blocks"],
                after["blocks"]
            );
            ensure!(
                after["first"] == before["first"],
                "the first paragraph moved: {} -> {}",
                before["first"],
                after["first"]
            );
            let enabled = after["buttons"].as_array().cloned().unwrap_or_default();
            ensure!(
                enabled.len() == buttons.len() && enabled.iter().all(|d| d == &json!(false)),
                "the app's Run buttons: disabled {enabled:?}"
            );
            Ok(())
        },
    )
    .await;
}
