//! `cargo xtask test`: every suite in order, with section headers, summed into one closing line
//! `xtask: N passed, M failed, K skipped` (CI reads that shape), the skipped tests listed above
//! it with their reasons. A test skips through `test_support::skip`, which records it in the
//! file named by `XTASK_SKIP_LOG`; libtest counts it as passed, so it is taken off the passes.

use crate::limits;
use crate::proc::{self, cmd, fmt_dur, header, root, Result};
use crate::tools::{self, Mode, Needs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use test_support::{read_skip_log, Skip, SKIP_LOG_ENV};

#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
    skipped: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.ignored += o.ignored;
        self.skipped += o.skipped;
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
    skips: Vec<Skip>,
}

/// The file a suite's skips are recorded in (emptied before the suite runs).
fn skip_log(name: &str) -> PathBuf {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    root()
        .join("target")
        .join("xtask")
        .join(format!("skips-{slug}.txt"))
}

/// Run a cargo test command within `limit`, stream its output, count its results and its
/// skips. A failure that produced no failed test (a compile error, a crashed runner, the time
/// limit) still counts as one failure.
fn test_suite(name: &'static str, mut c: std::process::Command, limit: Duration) -> Section {
    let log = skip_log(name);
    let _ = std::fs::create_dir_all(log.parent().unwrap_or(Path::new(".")));
    let _ = std::fs::remove_file(&log);
    c.env(SKIP_LOG_ENV, &log);
    let t = Instant::now();
    let (res, lines) = proc::run_tee(c, limit);
    let skips = read_skip_log(&log);
    let (counts, summaries) = count(&res, &lines, &skips);
    if res.is_ok() && summaries.is_empty() {
        println!("xtask: warning: `{name}` printed no `test result:` line (no tests ran)");
    }
    Section {
        name,
        took: t.elapsed(),
        counts,
        outcome: res,
        summaries,
        skips,
    }
}

/// libtest's counts with the recorded skips taken off the passes.
fn count(res: &Result, lines: &[String], skips: &[Skip]) -> (Counts, Vec<String>) {
    let (mut counts, summaries) = parse_counts(lines);
    if res.is_err() && counts.failed == 0 {
        counts.failed = 1;
    }
    counts.skipped = skips.len() as u64;
    counts.passed = counts.passed.saturating_sub(counts.skipped);
    (counts, summaries)
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
        skips: Vec::new(),
    }
}

fn not_run(name: &'static str, why: String) -> Section {
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
        skips: Vec::new(),
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
    // The Python peers: a failure here shows up as the tests that need them skipping (or, under
    // CI=true, failing), each with its reason.
    if let Err(why) = tools::python_peers(Mode::Install) {
        println!("xtask: no Python peers: {why}");
    }

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
    sections.push(test_suite("native tests", c, limits::NATIVE_TESTS));

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
        sections.push(test_suite("wasm tests", c, limits::WASM_TESTS));
    } else {
        sections.push(not_run("wasm tests", "the tools step failed".into()));
    }

    header("4/5 trunk build --release (the page the end-to-end tests load)");
    let built = if tools_ok {
        let s = step("trunk build --release", crate::build_release_page);
        let ok = s.outcome.is_ok();
        sections.push(s);
        ok
    } else {
        sections.push(not_run(
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
                sections.push(test_suite("end-to-end tests", c, limits::E2E_TESTS));
            }
            Err(e) => sections.push(not_run(
                "end-to-end tests",
                format!("greeting-server did not build: {e}"),
            )),
        }
    } else {
        sections.push(not_run(
            "end-to-end tests",
            "the release page was not built".into(),
        ));
    }

    print_summary(&sections, t0.elapsed())
}

/// The closing report: each suite's line, libtest's own summary lines, what failed, every skip
/// with its reason, then the one plain line. Returns the exit code.
fn print_summary(sections: &[Section], took: Duration) -> i32 {
    header("summary");
    let mut total = Counts::default();
    for s in sections {
        let mark = if s.outcome.is_ok() { "ok  " } else { "FAIL" };
        println!(
            "  {mark} {:<24} {:>8}  {} passed, {} failed, {} skipped, {} ignored",
            s.name,
            fmt_dur(s.took),
            s.counts.passed,
            s.counts.failed,
            s.counts.skipped,
            s.counts.ignored
        );
        total += s.counts;
    }
    println!();
    for s in sections {
        for l in &s.summaries {
            println!("{l}");
        }
    }
    for s in sections.iter().filter(|s| s.outcome.is_err()) {
        if let Err(e) = &s.outcome {
            println!("failed: {}: {e}", s.name);
        }
    }
    println!("total time {}", fmt_dur(took));
    let skips: Vec<(&str, &Skip)> = sections
        .iter()
        .flat_map(|s| s.skips.iter().map(move |k| (s.name, k)))
        .collect();
    if !skips.is_empty() {
        println!("skipped ({}):", skips.len());
        for (suite, k) in &skips {
            println!("  {suite}: {}: {}", k.test, k.reason);
        }
    }
    println!(
        "xtask: {} passed, {} failed, {} skipped",
        total.passed, total.failed, total.skipped
    );
    proc::flush();
    i32::from(total.failed > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn libtest_lines_are_summed() {
        let (c, summaries) = parse_counts(&lines(
            "running 3 tests\n\
             test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\n\
             test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out\n",
        ));
        assert_eq!(
            c,
            Counts {
                passed: 4,
                failed: 2,
                ignored: 1,
                skipped: 0
            }
        );
        assert_eq!(summaries.len(), 2);
    }

    #[test]
    fn a_run_that_failed_without_a_failed_test_is_one_failure() {
        let (c, _) = count(&Err("compile error".into()), &[], &[]);
        assert_eq!(c.failed, 1);
    }

    /// The fixture test in crates/test-support/tests/missing_peer.rs skips because its peer is
    /// missing: run through the xtask's own counting, it is one skip with its reason and no
    /// pass; under CI=true the same test is one failure.
    #[test]
    fn a_missing_peer_is_counted_as_skipped_and_fails_under_ci() {
        let fixture = |ci: bool| {
            let mut c = std::process::Command::new(
                std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
            );
            c.current_dir(root())
                .args([
                    "test",
                    "-q",
                    "-p",
                    "test-support",
                    "--test",
                    "missing_peer",
                    "--",
                    "--ignored",
                ])
                .env_remove("CI")
                .stderr(std::process::Stdio::null());
            if ci {
                c.env("CI", "true");
            }
            test_suite(
                if ci {
                    "xtask self-test under CI"
                } else {
                    "xtask self-test"
                },
                c,
                Duration::from_secs(600),
            )
        };
        let outside = fixture(false);
        assert!(outside.outcome.is_ok(), "{:?}", outside.outcome);
        assert_eq!(
            (
                outside.counts.passed,
                outside.counts.failed,
                outside.counts.skipped
            ),
            (0, 0, 1)
        );
        assert_eq!(outside.skips.len(), 1);
        assert!(outside.skips[0]
            .test
            .ends_with("needs_a_peer_nobody_installed"));
        assert!(outside.skips[0].reason.contains("no-such-peer"));

        let under_ci = fixture(true);
        assert!(under_ci.outcome.is_err());
        assert_eq!(
            (
                under_ci.counts.passed,
                under_ci.counts.failed,
                under_ci.counts.skipped
            ),
            (0, 1, 0)
        );
    }
}
