//! Issue 17's classroom under load: the release greeting server in `--classroom` mode, 100 pages
//! subscribed to the side channel (each with its own token) while 50 scripted clients make 200
//! greeting requests each; its throughput with no page and with every page, and whether every
//! page got exactly its own exchanges. The classroom itself is test-support's, run by the server's
//! test too (crates/greeting-server/tests/classroom_load.rs).

use crate::options::Options;
use crate::report::{thousands, Report};
use crate::{say, SECRET_KEY};
use benchmarks::procs::ServerProc;
use benchmarks::stats::median;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use test_support::classroom::{Classroom, ClassroomRun};

/// Issue 17: with every page subscribed the server keeps at least half its throughput.
pub const TARGET_WATCHED_VS_ALONE: f64 = 0.5;

#[derive(Clone, Debug, Default)]
pub struct ClassroomSection {
    /// One per repeat, on the same server.
    pub runs: Vec<ClassroomRun>,
    /// Why it did not run, or stopped early.
    pub not_run: Option<String>,
}

impl ClassroomSection {
    fn med(&self, f: impl Fn(&ClassroomRun) -> f64) -> Option<f64> {
        (!self.runs.is_empty()).then(|| median(&self.runs.iter().map(f).collect::<Vec<_>>()))
    }
}

pub fn classroom_benchmark(options: &Options, greeting_bin: &Path) -> ClassroomSection {
    let mut section = ClassroomSection::default();
    let mut c = Command::new(greeting_bin);
    c.args(["--port", "0", "--secret-key", SECRET_KEY])
        .args(Classroom::server_flags());
    let mut server = match ServerProc::start_announcing(
        "greeting-server --classroom",
        c,
        Duration::from_secs(30),
    ) {
        Ok(p) => p,
        Err(e) => {
            section.not_run = Some(e);
            return section;
        }
    };
    let (addr, pid) = (server.addr, server.pid().unwrap_or(0));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            section.not_run = Some(format!("no tokio runtime: {e}"));
            return section;
        }
    };
    let classroom = Classroom::ISSUE_17;
    for round in 1..=options.repeats() {
        match runtime.block_on(classroom.run(addr, pid)) {
            Ok(run) => {
                say(format!(
                    "classroom {round}/{}: no page {:.0} req/s, {} pages {:.0} req/s ({:.0}%), {} of {} reports, {} page(s) wrong",
                    options.repeats(),
                    run.alone_rps(),
                    run.pages,
                    run.watched_rps(),
                    100.0 * run.ratio(),
                    run.delivered,
                    run.expected,
                    run.failures.len()
                ));
                section.runs.push(run);
            }
            Err(e) => {
                say(format!("classroom {round}: {e}"));
                section.not_run = Some(e);
                break;
            }
        }
    }
    server.stop();
    section
}

impl ClassroomSection {
    /// The terminal's summary line.
    pub fn summary_line(&self) -> String {
        match (
            self.med(ClassroomRun::alone_rps),
            self.med(ClassroomRun::watched_rps),
            self.med(ClassroomRun::ratio),
        ) {
            (Some(alone), Some(watched), Some(ratio)) => format!(
                "classroom: no page {} req/s, {} pages {} req/s ({:.0}%), every page exact: {}",
                thousands(alone),
                Classroom::ISSUE_17.pages(),
                thousands(watched),
                ratio * 100.0,
                if self.runs.iter().all(ClassroomRun::every_page_exact) && self.not_run.is_none() {
                    "yes"
                } else {
                    "no"
                }
            ),
            _ => format!(
                "classroom: not measured ({})",
                self.not_run.as_deref().unwrap_or("no run")
            ),
        }
    }
}

impl Report {
    pub fn classroom_markdown(&self, md: &mut String, s: &ClassroomSection) {
        let classroom = Classroom::ISSUE_17;
        let _ = writeln!(md, "\n## A classroom under load (issue 17)\n");
        let _ = writeln!(
            md,
            "The release greeting-server with `--classroom`, bound to 127.0.0.2. {} pages subscribe to the side channel \
             (`GET /playground/api/events`), two from each of {} loopback addresses, each with its own token; one scripted \
             client per address makes {} `GET /greeting` requests over keep-alive, every other one tagged with the token of \
             the first page at its address. Each page must receive exactly its own exchanges and its address's untagged ones, \
             nothing else and no `lagged` event. The throughput is the clients' ({} requests in all) over the time they took, \
             first with no page subscribed, then with every page, on the same server; the server's CPU time is read from /proc. \
             The clients and the pages run in this process, on the same machine (each page's reader parses the event \
             stream with the eventsource-stream crate and reads only each report's `exchange_id`, so that the \
             measuring costs the two cores little). The classroom is test-support's \
             (crates/test-support/src/classroom.rs), the one the server's test runs.\n",
            classroom.pages(),
            classroom.clients,
            classroom.requests,
            thousands((classroom.clients * classroom.requests) as f64),
        );
        let ratio_what = format!(
            "classroom: throughput with {} pages subscribed vs none",
            classroom.pages()
        );
        let ratio_wanted = format!("≥ {:.0}%", TARGET_WATCHED_VS_ALONE * 100.0);
        let exact_what = "classroom: every page got exactly its own exchanges, no `lagged`";
        let exact_wanted = "every report, none lagged";
        if let Some(why) = &s.not_run {
            let _ = writeln!(
                md,
                "- Not run{}: {why}\n",
                if s.runs.is_empty() { "" } else { " to the end" }
            );
        }
        let (Some(alone), Some(watched), Some(ratio)) = (
            s.med(ClassroomRun::alone_rps),
            s.med(ClassroomRun::watched_rps),
            s.med(ClassroomRun::ratio),
        ) else {
            self.target(ratio_what, "not measured", ratio_wanted, None);
            self.target(exact_what, "not measured", exact_wanted, None);
            return;
        };
        let ratio_verdict = self.target(
            ratio_what,
            format!("{:.0}%", ratio * 100.0),
            ratio_wanted,
            Some(ratio >= TARGET_WATCHED_VS_ALONE),
        );
        let delivered: usize = s.runs.iter().map(|r| r.delivered).sum();
        let expected: usize = s.runs.iter().map(|r| r.expected).sum();
        let wrong: usize = s.runs.iter().map(|r| r.failures.len()).sum();
        let exact = s.runs.iter().all(ClassroomRun::every_page_exact) && s.not_run.is_none();
        let exact_verdict = self.target(
            exact_what,
            format!(
                "{} of {} reports, {wrong} page(s) wrong",
                thousands(delivered as f64),
                thousands(expected as f64)
            ),
            exact_wanted,
            Some(exact),
        );
        let _ = writeln!(md, "| | no page | {} pages |", classroom.pages());
        let _ = writeln!(md, "| --- | ---: | ---: |");
        let _ = writeln!(
            md,
            "| requests/s | {} | {} ({:.0}% {ratio_verdict}) |",
            thousands(alone),
            thousands(watched),
            ratio * 100.0
        );
        let _ = writeln!(
            md,
            "| server CPU per request | {:.1} µs | {:.1} µs (the reports included) |",
            s.med(ClassroomRun::alone_cpu_us).unwrap_or(0.0),
            s.med(ClassroomRun::watched_cpu_us).unwrap_or(0.0)
        );
        let _ = writeln!(
            md,
            "| reports the pages received | | {} of {} over {} run(s), {wrong} page(s) wrong {exact_verdict} |",
            thousands(delivered as f64),
            thousands(expected as f64),
            s.runs.len()
        );
        let _ = writeln!(
            md,
            "\nMedians over the runs; the ratio is the median of each run's own ratio."
        );
        for failure in s.runs.iter().flat_map(|r| &r.failures).take(5) {
            let _ = writeln!(md, "- {failure}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Machine;
    use clap::Parser;

    fn run(alone_ms: u64, watched_ms: u64, failures: Vec<String>) -> ClassroomRun {
        ClassroomRun {
            pages: 100,
            requests: 10_000,
            alone: Duration::from_millis(alone_ms),
            alone_cpu: Duration::from_millis(100),
            watched: Duration::from_millis(watched_ms),
            watched_cpu: Duration::from_millis(200),
            delivered: 15_000 - failures.len(),
            expected: 15_000,
            failures,
        }
    }

    fn summary_rows(section: ClassroomSection) -> String {
        let options = Options::try_parse_from(["run-benchmarks", "--only", "classroom"]).unwrap();
        let mut report = Report::new(options, Machine::default());
        report.classroom = Some(section);
        let md = report.markdown();
        md[..md.find("## Machine").unwrap()].to_string()
    }

    #[test]
    fn the_summary_has_the_ratio_and_the_exactness_rows_with_their_targets() {
        let top = summary_rows(ClassroomSection {
            runs: vec![
                run(100, 160, vec![]),
                run(100, 250, vec![]),
                run(100, 150, vec![]),
            ],
            not_run: None,
        });
        assert!(
            top.contains("| classroom: throughput with 100 pages subscribed vs none | 62% | ≥ 50% | **met** |"),
            "{top}"
        );
        assert!(
            top.contains("| 45,000 of 45,000 reports, 0 page(s) wrong | every report, none lagged | **met** |"),
            "{top}"
        );
    }

    #[test]
    fn a_page_that_lagged_or_a_slow_run_misses_and_no_run_is_not_measured() {
        let top = summary_rows(ClassroomSection {
            runs: vec![run(100, 300, vec!["page 7 lagged: 3".into()])],
            not_run: None,
        });
        assert!(top.contains("| 33% | ≥ 50% | **missed** |"), "{top}");
        assert!(
            top.contains("| 14,999 of 15,000 reports, 1 page(s) wrong | every report, none lagged | **missed** |"),
            "{top}"
        );
        let top = summary_rows(ClassroomSection {
            runs: vec![],
            not_run: Some("greeting-server --classroom: could not start".into()),
        });
        assert!(top.contains("0 met, 0 missed, 2 not measured"), "{top}");
    }
}
