//! The page: the release bundle's bytes (raw and gzipped) and its timings in headless Chromium.

use crate::delivery::{delivery_benchmarks, DeliverySection};
use crate::options::Options;
use crate::report::{bytes_kb, thousands, Report};
use crate::say;
use crate::server::greeting_command;
use benchmarks::browser::PageTimings;
use benchmarks::procs::{target_dir, workspace_root, ServerProc};
use benchmarks::stats::median;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

pub const TARGET_BUNDLE_GZIP_BYTES: u64 = 200_000;

#[derive(Clone, Debug, Default)]
pub struct PageSection {
    /// The folder measured, as shown in the report.
    pub dist_shown: String,
    /// (path relative to the dist folder, kind, raw bytes, gzip bytes)
    pub files: Vec<(String, String, u64, u64)>,
    pub not_built: Option<String>,
    pub built_at: Option<SystemTime>,
    pub notes: Vec<String>,
    pub build_secs: Option<f64>,
    pub browser: Option<PageTimings>,
    pub browser_skipped: Option<String>,
    /// The first load as a learner gets it (issue 16).
    pub delivery: Option<DeliverySection>,
}

pub fn page_benchmarks(options: &Options, greeting_bin: Option<&Path>) -> PageSection {
    let mut section = PageSection::default();
    let root = workspace_root();
    let dist = match &options.page_dist {
        Some(dir) => dir.clone(),
        None => {
            let out = target_dir().join("bench-dist");
            say(format!(
                "page: trunk build --release --dist {}",
                out.display()
            ));
            let t = Instant::now();
            let status = Command::new("trunk")
                .current_dir(&root)
                .args(["build", "--release", "--dist"])
                .arg(&out)
                .env("PATH", test_support::tool_path())
                .stdin(Stdio::null())
                .status();
            match status {
                Ok(st) if st.success() => {
                    section.build_secs = Some(t.elapsed().as_secs_f64());
                    out
                }
                Ok(st) => {
                    section.notes.push(format!(
                        "`trunk build --release` failed ({st}); measured dist/ as it was instead"
                    ));
                    root.join("dist")
                }
                Err(e) => {
                    section.notes.push(format!(
                        "cannot run trunk ({e}); measured dist/ as it was instead"
                    ));
                    root.join("dist")
                }
            }
        }
    };
    section.dist_shown = dist
        .strip_prefix(&root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| dist.display().to_string());
    let mut files = Vec::new();
    collect_files(&dist, &mut files);
    if files.is_empty() {
        section.not_built = Some(format!(
            "not built: {} is missing or empty (`trunk build --release` first)",
            section.dist_shown
        ));
        return section;
    }
    section.built_at = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok()?.modified().ok())
        .max();
    // The brotli and gzip twins the release build writes are the same files, sent compressed.
    files.retain(|p| !p.extension().is_some_and(|e| e == "br" || e == "gz"));
    // Python in the page (dist/python/) is fetched only on the first Run Python, not on load.
    let on_demand = dist.join("python");
    let (python, files): (Vec<_>, Vec<_>) =
        files.into_iter().partition(|p| p.starts_with(&on_demand));
    if !python.is_empty() {
        let bytes: u64 = python
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        section.notes.push(format!(
            "left out of the bundle: {} files under python/ ({:.1} MB raw), the Python runtime that the page fetches only when a learner first presses Run Python",
            python.len(),
            bytes as f64 / 1e6
        ));
    }
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let rel = path
            .strip_prefix(&dist)
            .unwrap_or(&path)
            .to_string_lossy()
            .to_string();
        let kind = match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
            "wasm" => {
                let debug: Vec<String> = wasm_custom_sections(&bytes)
                    .into_iter()
                    .filter(|n| n.starts_with(".debug"))
                    .collect();
                if !debug.is_empty() {
                    section.notes.push(format!(
                        "{rel} carries debug sections ({}): a debug build, not what `trunk build --release` ships",
                        debug.join(", ")
                    ));
                }
                "wasm"
            }
            "js" | "mjs" => "JS",
            "css" => "CSS",
            "html" => "HTML",
            _ => "other",
        };
        section
            .files
            .push((rel, kind.to_string(), bytes.len() as u64, gzip_len(&bytes)));
    }
    section.files.sort();

    if options.no_browser {
        section.browser_skipped = Some("--no-browser".into());
        return section;
    }
    let (chromedriver, chromium) = benchmarks::browser::driver_and_browser();
    let Some(greeting_bin) = greeting_bin else {
        section.browser_skipped = Some("greeting-server did not build".into());
        return section;
    };
    if !chromedriver.is_file() || !chromium.is_file() {
        section.browser_skipped = Some(format!(
            "{} or {} is missing (apt-get install chromium chromium-driver)",
            chromedriver.display(),
            chromium.display()
        ));
        return section;
    }
    let mut c = greeting_command(greeting_bin);
    c.arg("--static").arg(&dist);
    let server = match ServerProc::start_announcing(
        "greeting-server --static",
        c,
        Duration::from_secs(30),
    ) {
        Ok(s) => s,
        Err(e) => {
            section.browser_skipped = Some(e);
            return section;
        }
    };
    say(format!("page: headless Chromium against {}", server.addr));
    let base = format!("http://{}", server.addr);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            section.browser_skipped = Some(e.to_string());
            return section;
        }
    };
    match runtime.block_on(benchmarks::browser::measure(
        &base,
        &chromedriver,
        &chromium,
        options.repeats().max(3),
    )) {
        Ok(t) => section.browser = Some(t),
        Err(e) => {
            say(format!("page timings failed: {e}"));
            section.browser_skipped = Some(format!("the browser measurements failed: {e}"));
        }
    }
    section.delivery = Some(runtime.block_on(delivery_benchmarks(
        &dist,
        &base,
        &chromedriver,
        &chromium,
        options.repeats().max(3),
    )));
    drop(server);
    section
}

/// The names of a wasm module's custom sections.
pub fn wasm_custom_sections(bytes: &[u8]) -> Vec<String> {
    pub fn leb(bytes: &[u8], at: &mut usize) -> Option<usize> {
        let mut result = 0usize;
        let mut shift = 0;
        loop {
            let b = *bytes.get(*at)?;
            *at += 1;
            result |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                return Some(result);
            }
            shift += 7;
            if shift > 35 {
                return None;
            }
        }
    }
    let mut names = Vec::new();
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return names;
    }
    let mut at = 8;
    while at < bytes.len() {
        let id = bytes[at];
        at += 1;
        let Some(size) = leb(bytes, &mut at) else {
            break;
        };
        let end = at.saturating_add(size);
        if id == 0 {
            let mut p = at;
            if let Some(len) = leb(bytes, &mut p) {
                if let Some(name) = bytes.get(p..p + len) {
                    names.push(String::from_utf8_lossy(name).into_owned());
                }
            }
        }
        at = end;
    }
    names
}

pub fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// Bytes after `gzip -9`.
pub fn gzip_len(bytes: &[u8]) -> u64 {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(bytes);
    enc.finish().map(|v| v.len() as u64).unwrap_or(0)
}

impl Report {
    pub fn page_markdown(&self, md: &mut String, p: &PageSection) {
        let _ = writeln!(md, "\n## The page\n");
        let _ = writeln!(md, "### Release bundle\n");
        for note in &p.notes {
            let _ = writeln!(md, "- {note}");
        }
        if !p.notes.is_empty() {
            md.push('\n');
        }
        if let Some(n) = &p.not_built {
            let _ = writeln!(md, "{n}.");
        } else {
            let built = match p.build_secs {
                Some(secs) => format!(
                    "built by `trunk build --release --dist {}` in this run ({secs:.0} s)",
                    p.dist_shown
                ),
                None => format!("as found in {}", p.dist_shown),
            };
            let _ = writeln!(md, "{built}; gzip = `gzip -9`; 1 KB = 1,000 bytes.\n");
            let _ = writeln!(md, "| file | kind | raw | gzip |");
            let _ = writeln!(md, "| --- | --- | ---: | ---: |");
            let mut by_kind: BTreeMap<String, (u64, u64)> = BTreeMap::new();
            for (name, kind, raw, gz) in &p.files {
                let _ = writeln!(
                    md,
                    "| {name} | {kind} | {} | {} |",
                    bytes_kb(*raw),
                    bytes_kb(*gz)
                );
                let e = by_kind.entry(kind.clone()).or_default();
                e.0 += raw;
                e.1 += gz;
            }
            for (kind, (raw, gz)) in &by_kind {
                let _ = writeln!(
                    md,
                    "| all {kind} | | {} | {} |",
                    bytes_kb(*raw),
                    bytes_kb(*gz)
                );
            }
            let raw: u64 = p.files.iter().map(|f| f.2).sum();
            let gz: u64 = p.files.iter().map(|f| f.3).sum();
            let _ = writeln!(
                md,
                "| **whole page** | | **{}** | **{}** (target ≤ {}: {}) |",
                bytes_kb(raw),
                bytes_kb(gz),
                bytes_kb(TARGET_BUNDLE_GZIP_BYTES),
                self.target(
                    "the page's release bundle, gzipped",
                    bytes_kb(gz),
                    format!("≤ {}", bytes_kb(TARGET_BUNDLE_GZIP_BYTES)),
                    Some(gz <= TARGET_BUNDLE_GZIP_BYTES)
                )
            );
        }
        let _ = writeln!(md, "\n### In the browser\n");
        let Some(t) = &p.browser else {
            let _ = writeln!(
                md,
                "Not measured: {}.",
                p.browser_skipped.as_deref().unwrap_or("no built page")
            );
            if let Some(d) = &p.delivery {
                self.delivery_markdown(md, d);
            }
            return;
        };
        let _ = writeln!(
            md,
            "{} headless, driven by chromedriver (bench/src/browser.rs), against greeting-server serving the page above on loopback; \
             the page aimed at `{}`. Times are taken inside the page with `performance.now()`, so WebDriver's round trips are not in them.\n",
            if t.chromium.is_empty() { "Chromium" } else { &t.chromium },
            t.target_kind
        );
        let ms = |v: f64| {
            if v.is_nan() {
                "?".to_string()
            } else if v >= 100.0 {
                format!("{v:.0} ms")
            } else {
                format!("{v:.1} ms")
            }
        };
        let _ = writeln!(md, "| measurement | figure | target |");
        let _ = writeln!(md, "| --- | ---: | --- |");
        let answered: Vec<f64> = t.nav_warm.iter().map(|n| n.answered_ms).collect();
        let interactive: Vec<f64> = t.nav_warm.iter().map(|n| n.interactive_ms).collect();
        let completed: Vec<f64> = t.nav_warm.iter().filter_map(|n| n.completed_ms).collect();
        let nav = median(&answered);
        let _ = writeln!(
            md,
            "| navigation start to the app answering a click (a row for `send-once`), median of {} | {} | ≤ 150 ms: {} |",
            answered.len(),
            ms(nav),
            self.target("navigation start to the app answering a click", ms(nav), "≤ 150 ms", Some(nav <= 150.0))
        );
        let _ = writeln!(
            md,
            "| … of which until `send-once` exists | {} | |",
            ms(median(&interactive))
        );
        let _ = writeln!(
            md,
            "| … until that row shows the server's answer | {} | |",
            ms(median(&completed))
        );
        if let Some(c) = &t.nav_cold {
            let _ = writeln!(
                md,
                "| the same, first load (empty cache, fresh profile): exists / answered / answer shown | {} / {} / {} | |",
                ms(c.interactive_ms),
                ms(c.answered_ms),
                c.completed_ms.map(ms).unwrap_or_else(|| "?".into())
            );
        }
        let page = median(&t.page_100_ms);
        let bare = median(&t.bare_100_ms);
        let ratio = if bare > 0.0 { page / bare } else { f64::NAN };
        let _ = writeln!(md, "| 100 requests in a row from the page (2 × \"Send N in a row\", N = 50), median of {} | {} | |", t.page_100_ms.len(), ms(page));
        let _ = writeln!(
            md,
            "| 100 `fetch('/greeting')` in a row from the same page, median of {} | {} | |",
            t.bare_100_ms.len(),
            ms(bare)
        );
        let no_app = median(&t.bare_no_app_100_ms);
        let ratio_no_app = if no_app > 0.0 {
            page / no_app
        } else {
            f64::NAN
        };
        let _ = writeln!(md, "| the page's overhead: page / bare loop in the same page | {ratio:.2} | ≤ 1.2: {} (see below) |", self.target("the page's overhead: page / bare loop in the same page", format!("{ratio:.2}"), "≤ 1.2", Some(ratio <= 1.2)));
        let _ = writeln!(
            md,
            "| 100 `fetch('/greeting')` in a row from a same-origin document without the app (`/playground/api/info`), median of {} | {} | |",
            t.bare_no_app_100_ms.len(),
            ms(no_app)
        );
        let _ = writeln!(md, "| the page's overhead: page / bare loop without the app | {ratio_no_app:.2} | ≤ 1.2: {} |", self.target("the page's overhead: page / bare loop without the app", format!("{ratio_no_app:.2}"), "≤ 1.2", Some(ratio_no_app <= 1.2)));
        let empty = median(&t.one_near_empty_ms);
        let full = median(&t.one_at_1000_ms);
        let sim_empty = median(&t.sim_near_empty_ms);
        let sim_full = median(&t.sim_at_1000_ms);
        let rows = thousands(t.rows_reached as f64);
        let _ = writeln!(
            md,
            "| one exchange against the server (click to its row showing the answer, style and layout included), near an empty timeline | {} | |",
            ms(empty)
        );
        let _ = writeln!(
            md,
            "| the same with {rows} rows in the timeline | {} | < 16 ms: {} |",
            ms(full),
            self.target(
                format!("one exchange with {rows} rows in the timeline"),
                ms(full),
                "< 16 ms",
                Some(full < 16.0 && t.rows_reached >= 1000)
            )
        );
        let _ = writeln!(md, "| one exchange on the page's simulated server (no network), near an empty timeline | {} | |", ms(sim_empty));
        let _ = writeln!(
            md,
            "| the same with {rows} rows: the page's own cost | {} | < 16 ms: {} |",
            ms(sim_full),
            self.target(
                format!("one simulated exchange with {rows} rows: the page's own cost"),
                ms(sim_full),
                "< 16 ms",
                Some(sim_full < 16.0 && t.rows_reached >= 1000)
            )
        );
        let _ = writeln!(
            md,
            "\nThe bare loop in the same page is not bare: the server reports its requests on the side channel and the page draws \
             each as another client's row ({} such rows after the last loop), so the app slows that loop down too, and the same-page \
             ratio flatters the page. The app-less loop is the network's own cost.",
            t.bare_other_rows
        );
        let _ = writeln!(
            md,
            "\nThe one-exchange figures are medians of {} each. The timeline was filled to {rows} rows with \"Send N at once\" (N = 50) on the simulated server in {:.1} s.",
            t.one_at_1000_ms.len(),
            t.fill_secs
        );
        for n in &t.notes {
            let _ = writeln!(md, "- {n}");
        }
        let list = |v: &[f64]| v.iter().map(|x| ms(*x)).collect::<Vec<_>>().join(", ");
        let _ = writeln!(md, "\n<details><summary>Every browser run</summary>\n");
        let _ = writeln!(md, "- navigation, answered: {}", list(&answered));
        let _ = writeln!(md, "- page, 100 requests: {}", list(&t.page_100_ms));
        let _ = writeln!(md, "- bare loop, 100 requests: {}", list(&t.bare_100_ms));
        let _ = writeln!(
            md,
            "- bare loop without the app, 100 requests: {}",
            list(&t.bare_no_app_100_ms)
        );
        let _ = writeln!(
            md,
            "- one exchange, server, near-empty timeline: {}",
            list(&t.one_near_empty_ms)
        );
        let _ = writeln!(
            md,
            "- one exchange, server, {} rows: {}",
            t.rows_reached,
            list(&t.one_at_1000_ms)
        );
        let _ = writeln!(
            md,
            "- one exchange, simulated, near-empty timeline: {}",
            list(&t.sim_near_empty_ms)
        );
        let _ = writeln!(
            md,
            "- one exchange, simulated, {} rows: {}",
            t.rows_reached,
            list(&t.sim_at_1000_ms)
        );
        let _ = writeln!(md, "\n</details>");
        if let Some(d) = &p.delivery {
            self.delivery_markdown(md, d);
        }
    }
}
