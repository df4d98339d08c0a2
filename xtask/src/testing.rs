//! `cargo xtask test`: every suite in order, with section headers, summed into one closing line
//! `xtask: N passed, M failed` (CI reads that shape).

use crate::proc::{self, cmd, fmt_dur, header, root, Result};
use crate::tools::{self, Mode, Needs};
use std::time::{Duration, Instant};

#[derive(Default, Clone, Copy)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.ignored += o.ignored;
    }
}

/// Sum libtest's `test result: ok. 3 passed; 0 failed; 1 ignored; ...` lines.
fn parse_counts(lines: &[String]) -> (Counts, Vec<String>) {
    let mut c = Counts::default();
    let mut summaries = Vec::new();
    for l in lines {
        let Some(rest) = l.trim().strip_prefix("test result: ") else {
            continue;
        };
        summaries.push(l.trim().to_string());
        for part in rest.split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            // "ok. 3 passed" / "FAILED. 1 passed" / "2 failed" / "1 ignored"
            for w in words.windows(2) {
                let n: u64 = match w[0].parse() {
                    Ok(n) => n,
                    Err(_) => continue,
                };
                match w[1] {
                    "passed" => c.passed += n,
                    "failed" => c.failed += n,
                    "ignored" => c.ignored += n,
                    _ => {}
                }
            }
        }
    }
    (c, summaries)
}

struct Section {
    name: &'static str,
    took: Duration,
    counts: Counts,
    outcome: std::result::Result<(), String>,
    summaries: Vec<String>,
}

/// Run a cargo test command, stream its output, count its results. A failure that produced no
/// failed test (a compile error, a crashed runner) still counts as one failure.
fn test_suite(name: &'static str, c: std::process::Command) -> Section {
    let t = Instant::now();
    let (res, lines) = proc::run_tee(c);
    let (mut counts, summaries) = parse_counts(&lines);
    if res.is_err() && counts.failed == 0 {
        counts.failed = 1;
    }
    if res.is_ok() && summaries.is_empty() {
        println!("xtask: warning: `{name}` printed no `test result:` line (no tests ran)");
    }
    Section {
        name,
        took: t.elapsed(),
        counts,
        outcome: res,
        summaries,
    }
}

/// A build or install step: no tests of its own, one failure when it fails.
fn step(name: &'static str, f: impl FnOnce() -> Result) -> Section {
    let t = Instant::now();
    let res = f();
    let counts = Counts {
        failed: u64::from(res.is_err()),
        ..Default::default()
    };
    if let Err(e) = &res {
        println!("xtask: {name} failed: {e}");
    }
    Section {
        name,
        took: t.elapsed(),
        counts,
        outcome: res,
        summaries: Vec::new(),
    }
}

fn skipped(name: &'static str, why: String) -> Section {
    println!("xtask: {name} not run: {why}");
    Section {
        name,
        took: Duration::ZERO,
        counts: Counts {
            failed: 1,
            ..Default::default()
        },
        outcome: Err(why),
        summaries: Vec::new(),
    }
}

pub fn test_all(args: &[String]) -> i32 {
    let t0 = Instant::now();
    let extra: Vec<String> = args.to_vec();
    let mut sections: Vec<Section> = Vec::new();

    header("1/5 tools");
    let tools_ok = {
        let s = step("tools", || tools::ensure(Needs::Test, Mode::Install));
        let ok = s.outcome.is_ok();
        sections.push(s);
        ok
    };
    let python = tools::python_with_requests(true);

    header("2/5 native tests: cargo test --workspace --exclude e2e-tests");
    let mut c = cmd("cargo");
    // --no-fail-fast: one failing test binary must not hide the results of the others.
    c.args([
        "test",
        "--workspace",
        "--exclude",
        "e2e-tests",
        "--no-fail-fast",
    ]);
    sections.push(test_suite("native tests", c));

    header("3/5 the page's wasm-bindgen tests in headless Chromium");
    if tools_ok {
        let chromedriver = tools::chromedriver_path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|| "/usr/bin/chromedriver".into());
        let mut c = cmd("cargo");
        c.env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", &chromedriver)
        .args([
            "test",
            "--target",
            "wasm32-unknown-unknown",
            "--tests",
            "-p",
            "sessions-playground",
            "--no-fail-fast",
        ]);
        sections.push(test_suite("wasm tests", c));
    } else {
        sections.push(skipped("wasm tests", "the tools step failed".into()));
    }

    header("4/5 trunk build --release (the page the end-to-end tests load)");
    let built = if tools_ok {
        let s = step("trunk build --release", crate::build_release_page);
        let ok = s.outcome.is_ok();
        sections.push(s);
        ok
    } else {
        sections.push(skipped(
            "trunk build --release",
            "the tools step failed".into(),
        ));
        false
    };

    header("5/5 end-to-end tests: real greeting server + release page + headless Chromium");
    if built {
        match crate::build_server(false) {
            Ok(bin) => {
                let mut c = cmd("cargo");
                c.env("GREETING_SERVER_BIN", &bin)
                    .env("E2E_DIST", root().join("dist"));
                if let Some(p) = tools::chromedriver_path() {
                    c.env("CHROMEDRIVER", p);
                }
                match &python {
                    Some(py) => {
                        c.env("E2E_PYTHON", py);
                    }
                    None => println!(
                        "xtask: no Python with `requests`: the Python e2e test will say it skips"
                    ),
                }
                c.args([
                    "test",
                    "-p",
                    "e2e-tests",
                    "--no-fail-fast",
                    "--",
                    "--nocapture",
                    "--test-threads=1",
                ]);
                c.args(&extra);
                sections.push(test_suite("end-to-end tests", c));
            }
            Err(e) => sections.push(skipped(
                "end-to-end tests",
                format!("greeting-server did not build: {e}"),
            )),
        }
    } else {
        sections.push(skipped(
            "end-to-end tests",
            "the release page was not built".into(),
        ));
    }

    // Closing report: each suite's own summary lines, timings, then the one plain line.
    header("summary");
    let mut total = Counts::default();
    for s in &sections {
        let mark = if s.outcome.is_ok() { "ok  " } else { "FAIL" };
        println!(
            "  {mark} {:<24} {:>8}  {} passed, {} failed, {} ignored",
            s.name,
            fmt_dur(s.took),
            s.counts.passed,
            s.counts.failed,
            s.counts.ignored
        );
        total += s.counts;
    }
    println!();
    for s in &sections {
        for l in &s.summaries {
            println!("{l}");
        }
    }
    for s in sections.iter().filter(|s| s.outcome.is_err()) {
        if let Err(e) = &s.outcome {
            println!("failed: {}: {e}", s.name);
        }
    }
    println!("total time {}", fmt_dur(t0.elapsed()));
    println!("xtask: {} passed, {} failed", total.passed, total.failed);
    proc::flush();
    i32::from(total.failed > 0)
}
