//! The report: BENCHMARKS.md (the sections' tables, then bench/PROFILE-NOTES.md) and the
//! summary the terminal shows at the end.

use crate::classroom::ClassroomSection;
use crate::codec::CodecSection;
use crate::machine::Machine;
use crate::options::Options;
use crate::page::PageSection;
use crate::python::PythonSection;
use crate::server::ServerSection;
use benchmarks::procs::workspace_root;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::time::Duration;

#[derive(Debug)]
pub struct Report {
    pub options: Options,
    pub machine: Machine,
    pub versions: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub server: Option<ServerSection>,
    pub classroom: Option<ClassroomSection>,
    pub codec: Option<CodecSection>,
    pub page: Option<PageSection>,
    pub python: Option<PythonSection>,
    pub total: Duration,
    pub load_before: Option<String>,
    pub load_after: Option<String>,
    /// Every target row the sections wrote, for the summary at the top.
    pub targets: RefCell<Vec<TargetRow>>,
}

impl Report {
    pub fn new(options: Options, machine: Machine) -> Report {
        Report {
            options,
            machine,
            versions: Vec::new(),
            notes: Vec::new(),
            server: None,
            classroom: None,
            codec: None,
            page: None,
            python: None,
            total: Duration::ZERO,
            load_before: None,
            load_after: None,
            targets: RefCell::new(Vec::new()),
        }
    }
}

pub fn thousands(x: f64) -> String {
    let n = x.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

pub fn micros(us: f64) -> String {
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

pub fn nanos(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

pub fn bytes_kb(b: u64) -> String {
    format!("{:.1} KB", b as f64 / 1000.0)
}

/// A ratio: one decimal below 10×.
pub fn times(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}×")
    } else {
        format!("{x:.0}×")
    }
}

/// One target of the report: what, the figure measured, what was wanted, met or missed (None:
/// not measured in this run).
#[derive(Clone, Debug)]
pub struct TargetRow {
    pub what: String,
    pub figure: String,
    pub wanted: String,
    pub met: Option<bool>,
}

fn verdict_text(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "**met**",
        Some(false) => "**missed**",
        None => "**not measured**",
    }
}

impl Report {
    /// Record a target row for the summary and return its verdict for the section's table.
    pub fn target(
        &self,
        what: impl Into<String>,
        figure: impl Into<String>,
        wanted: impl Into<String>,
        met: Option<bool>,
    ) -> &'static str {
        self.targets.borrow_mut().push(TargetRow {
            what: what.into(),
            figure: figure.into(),
            wanted: wanted.into(),
            met,
        });
        verdict_text(met)
    }

    pub fn markdown(&self) -> String {
        self.targets.borrow_mut().clear();
        let mut body = String::new();
        if let Some(s) = &self.server {
            self.server_markdown(&mut body, s);
        }
        if let Some(c) = &self.classroom {
            self.classroom_markdown(&mut body, c);
        }
        if let Some(c) = &self.codec {
            self.codec_markdown(&mut body, c);
        }
        if let Some(p) = &self.page {
            self.page_markdown(&mut body, p);
        }
        if let Some(p) = &self.python {
            self.python_markdown(&mut body, p);
        }
        let mut md = String::new();
        let o = &self.options;
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `cargo run -p benchmarks --release --bin run-benchmarks` (bench/, issue 6) in {:.0} s. \
             Every figure is the median of {} runs; every ratio compares figures measured in this same run, on this machine. \
             Nothing here fails on a timing: targets are marked met or missed.\n",
            self.total.as_secs_f64(),
            o.repeats()
        );
        self.summary_markdown(&mut md);
        let _ = writeln!(md, "## Machine\n");
        let m = &self.machine;
        let _ = writeln!(md, "| | |\n| --- | --- |");
        let _ = writeln!(md, "| cores (nproc) | {} |", m.cores);
        let _ = writeln!(md, "| CPU | {} |", m.cpu);
        let _ = writeln!(md, "| memory | {} |", m.memory);
        let _ = writeln!(md, "| OS, kernel | {}, Linux {} |", m.os, m.kernel);
        let _ = writeln!(
            md,
            "| load average (1, 5, 15 min) before / after the run | {} / {} |",
            self.load_before.as_deref().unwrap_or("?"),
            self.load_after.as_deref().unwrap_or("?")
        );
        if let Some(note) = self.busy_note() {
            let _ = writeln!(md, "\n{note}");
        }
        let _ = writeln!(md, "\n## Versions\n");
        let _ = writeln!(md, "| | |\n| --- | --- |");
        for (k, v) in &self.versions {
            let _ = writeln!(md, "| {k} | {v} |");
        }
        for n in &self.notes {
            let _ = writeln!(md, "\n{n}");
        }

        md.push_str(&body);
        // The hand-written analysis (profiles, causes, fixes) that goes with these figures.
        if let Ok(notes) = std::fs::read_to_string(workspace_root().join("bench/PROFILE-NOTES.md"))
        {
            md.push('\n');
            md.push_str(notes.trim_end());
            md.push('\n');
        }
        md
    }

    /// Every target row of this run, written by the runner (the sections below hold the details).
    fn summary_markdown(&self, md: &mut String) {
        let targets = self.targets.borrow();
        let _ = writeln!(md, "## Summary: every target of this run\n");
        if targets.is_empty() {
            let _ = writeln!(md, "No target was part of this run (see `--only`).\n");
            return;
        }
        let count = |v: Option<bool>| targets.iter().filter(|t| t.met == v).count();
        let _ = writeln!(
            md,
            "{} met, {} missed, {} not measured.\n",
            count(Some(true)),
            count(Some(false)),
            count(None)
        );
        let _ = writeln!(
            md,
            "| target | figure | wanted | |\n| --- | ---: | --- | --- |"
        );
        for t in targets.iter() {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                t.what,
                t.figure,
                t.wanted,
                verdict_text(t.met)
            );
        }
        md.push('\n');
    }

    /// A warning when the machine ran other work during the run (load average above its cores).
    pub fn busy_note(&self) -> Option<String> {
        let first = |l: &Option<String>| {
            l.as_deref()
                .and_then(|s| s.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
        };
        let busiest = first(&self.load_before)
            .into_iter()
            .chain(first(&self.load_after))
            .fold(0.0f64, f64::max);
        (busiest > self.machine.cores as f64).then(|| {
            format!(
                "> The machine was busy with other work during this run (load average up to {busiest:.1} on {} cores). Absolute \
                 figures are low and noisy; the ratios compare servers loaded side by side in interleaved rounds, but they are noisy \
                 too. The instruction counts in the profile notes do not depend on load.",
                self.machine.cores
            )
        })
    }

    /// What the terminal shows at the end.
    pub fn summary(&self) -> String {
        let mut s = String::from("\nsummary\n");
        if let Some(sv) = &self.server {
            for &c in &self.options.connections {
                let g = sv.throughput("greeting", c).unwrap_or(0.0);
                let _ = write!(s, "  {c:>3} conn: greeting-server {} req/s", thousands(g));
                for (key, name) in [
                    ("flask_dev", "Flask dev"),
                    ("gunicorn", "gunicorn"),
                    ("hello", "hyper hello"),
                    ("nginx", "nginx hello"),
                ] {
                    if let Some(x) = sv.throughput(key, c) {
                        let _ = write!(
                            s,
                            ", {name} {} req/s ({:.1}×)",
                            thousands(x),
                            if x > 0.0 { g / x } else { 0.0 }
                        );
                    }
                }
                s.push('\n');
            }
        }
        if let Some(c) = &self.classroom {
            let _ = writeln!(s, "  {}", c.summary_line());
        }
        if let Some(c) = &self.codec {
            // Like with like: the rows the target is judged on.
            for (op, rust_op) in [
                ("sign", "sign"),
                ("verify", "keyring_open"),
                ("decode", "decode_session"),
            ] {
                if let (Some(r), Some(p)) = (c.rust.get(rust_op), c.python.get(op)) {
                    let _ = writeln!(
                        s,
                        "  {op}: Rust {} vs Python {} ({})",
                        nanos(*r),
                        nanos(*p),
                        times(p / r)
                    );
                }
            }
        }
        if let Some(p) = &self.page {
            match &p.not_built {
                Some(n) => {
                    let _ = writeln!(s, "  page: {n}");
                }
                None => {
                    let gz: u64 = p.files.iter().map(|f| f.3).sum();
                    let _ = writeln!(s, "  page: {} gzipped", bytes_kb(gz));
                }
            }
        }
        if let Some(p) = &self.python {
            let _ = writeln!(s, "  {}", p.summary_line());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_summary_at_the_top_lists_every_target_row() {
        let options = Options::try_parse_from(["run-benchmarks", "--only", "page"]).unwrap();
        let mut report = Report::new(options, Machine::default());
        report.page = Some(PageSection {
            dist_shown: "dist".into(),
            files: vec![("app.wasm".into(), "wasm".into(), 900_000, 300_000)],
            browser_skipped: Some("--no-browser".into()),
            ..PageSection::default()
        });
        let md = report.markdown();
        let summary = md.find("## Summary").expect("a summary");
        let machine = md.find("## Machine").expect("the machine section");
        assert!(summary < machine, "the summary comes first");
        let top = &md[summary..machine];
        assert!(top.contains("0 met, 1 missed, 0 not measured"), "{top}");
        assert!(
            top.contains(
                "| the page's release bundle, gzipped | 300.0 KB | ≤ 200.0 KB | **missed** |"
            ),
            "{top}"
        );
        // Rendering twice does not list the rows twice.
        assert_eq!(report.markdown(), md);
    }
}
