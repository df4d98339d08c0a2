//! Runs every benchmark and writes BENCHMARKS.md: `cargo run -p benchmarks --release --bin
//! run-benchmarks -- --help` lists the options. The parts: [`server`] (the greeting server under
//! load beside its peers), [`classroom`] (issue 17's classroom under load), [`codec`] (the cookie codec per operation), [`page`] (the release
//! bundle and its timings in Chromium), [`python`] (the first Run Python, cold and warm), [`report`] (the markdown and the closing summary).
//!
//! Every figure is a median over the repeats, and every ratio compares figures measured in this
//! same run. Nothing fails on a timing: targets are marked met or missed. A missing peer (Python,
//! Flask, gunicorn, Chromium) is left out with a printed reason.

mod classroom;
mod codec;
mod delivery;
mod machine;
mod options;
mod page;
mod python;
mod report;
mod server;

use benchmarks::procs::{command_output, workspace_root};
use options::{Options, Part};
use report::Report;
use std::time::Instant;

/// The key every server under test signs with.
pub const SECRET_KEY: &str = "benchmark-secret-key";

pub fn say(msg: impl AsRef<str>) {
    eprintln!("bench: {}", msg.as_ref());
}

fn main() {
    let options = Options::from_args();
    let started = Instant::now();
    let artifacts = workspace_root().join("bench-artifacts");
    let _ = std::fs::create_dir_all(&artifacts);

    let mut report = Report::new(options.clone(), machine::machine_facts());
    report.load_before = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    report.versions.push((
        "rustc".into(),
        command_output("rustc", &["--version"]).unwrap_or_else(|| "?".into()),
    ));
    report
        .versions
        .push(("cargo profile".into(), machine::release_profile_summary()));

    let python = machine::find_python(&options);
    match &python {
        Ok(py) => {
            for (name, v) in machine::python_versions(py) {
                report.versions.push((name, v));
            }
        }
        Err(reason) => {
            say(format!("Python peers skipped: {reason}"));
            report.notes.push(format!("Python peers skipped: {reason}"));
        }
    }

    let binaries = if options.wants(Part::Server)
        || options.wants(Part::Classroom)
        || options.wants(Part::Page)
        || options.wants(Part::Python)
    {
        match server::build_binaries() {
            Ok(b) => Some(b),
            Err(e) => {
                say(format!("cannot build the servers: {e}"));
                report.notes.push(format!("The servers did not build: {e}"));
                None
            }
        }
    } else {
        None
    };
    if options.wants(Part::Server) {
        if let Some((greeting_bin, hello_bin)) = &binaries {
            match server::server_benchmarks(
                &options,
                greeting_bin,
                hello_bin,
                python.as_ref().ok(),
                &artifacts,
            ) {
                Ok(section) => report.server = Some(section),
                Err(e) => {
                    say(format!("server benchmarks failed: {e}"));
                    report
                        .notes
                        .push(format!("Server benchmarks did not run: {e}"));
                }
            }
        }
    }
    if options.wants(Part::Classroom) {
        report.classroom = Some(match &binaries {
            Some((greeting_bin, _)) => classroom::classroom_benchmark(&options, greeting_bin),
            None => classroom::ClassroomSection {
                not_run: Some("the servers did not build (see the notes)".into()),
                ..Default::default()
            },
        });
    }
    if options.wants(Part::Codec) {
        report.codec = Some(codec::codec_benchmarks(
            python.as_ref().ok(),
            python.as_ref().err(),
        ));
    }
    if options.wants(Part::Page) {
        report.page = Some(page::page_benchmarks(
            &options,
            binaries.as_ref().map(|b| b.0.as_path()),
        ));
    }
    if options.wants(Part::Python) {
        // The page this run built (or was given), else dist/.
        let dist = match (&report.page, &options.page_dist) {
            (_, Some(d)) => d.clone(),
            (Some(p), None) if p.not_built.is_none() => workspace_root().join(&p.dist_shown),
            _ => workspace_root().join("dist"),
        };
        report.python = Some(python::python_benchmarks(
            &options,
            &dist,
            binaries.as_ref().map(|b| b.0.as_path()),
        ));
    }
    report.load_after = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    report.total = started.elapsed();

    let text = report.markdown();
    let output = options.output();
    match std::fs::write(&output, &text) {
        Ok(()) => say(format!(
            "wrote {} ({:.0} s in all)",
            output.display(),
            report.total.as_secs_f64()
        )),
        Err(e) => say(format!("cannot write {}: {e}", output.display())),
    }
    println!("{}", report.summary());
}
