//! The runner's command line (clap).

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

/// The parts of the run `--only` can pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Part {
    Server,
    /// Issue 17's classroom under load.
    Classroom,
    Codec,
    Page,
    /// Python in the page: the first Run Python, cold and warm.
    Python,
}

/// Runs every benchmark and writes BENCHMARKS.md. Every figure is a median over the repeats, and
/// every ratio compares figures measured in this same run. Nothing fails on a timing: targets
/// are marked met or missed. A missing peer (Python, Flask, gunicorn, Chromium) is left
/// out with a printed reason.
#[derive(Clone, Debug, Parser)]
#[command(name = "run-benchmarks")]
pub struct Options {
    /// Seconds of each load run.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Runs per server and connection count; figures are medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeats: u32,
    /// Connection counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    pub connections: Vec<usize>,
    /// Seconds of load on each server before measuring (0: none).
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// The load generator's threads.
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
    /// gunicorn sync workers (default 2 × cores + 1, gunicorn's advice).
    #[arg(long)]
    pub gunicorn_workers: Option<usize>,
    /// Only these parts, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "server,classroom,codec,page,python"
    )]
    pub only: Vec<Part>,
    /// The Python with Flask, gunicorn and itsdangerous (default PLAYGROUND_PYTHON, else
    /// .tools/venv from `cargo xtask setup`, else python3).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Measure this built page as it is (default: `trunk build --release --dist
    /// target/bench-dist`, falling back to dist/ when trunk fails).
    #[arg(long)]
    pub page_dist: Option<PathBuf>,
    /// Leave out the headless Chromium timings of the page.
    #[arg(long)]
    pub no_browser: bool,
    /// Leave out the diagnostic server run (greeting-server, heap trimming off).
    #[arg(long)]
    pub no_diagnostics: bool,
    /// Where the report goes (default BENCHMARKS.md at the workspace root).
    #[arg(long)]
    pub output: Option<PathBuf>,
}

impl Options {
    /// The command line, with relative paths taken from the current directory.
    pub fn from_args() -> Options {
        let mut o = Options::parse();
        let absolute = |p: PathBuf| {
            if p.is_relative() {
                std::env::current_dir().map(|d| d.join(&p)).unwrap_or(p)
            } else {
                p
            }
        };
        o.page_dist = o.page_dist.map(absolute);
        o.output = Some(
            o.output
                .map(absolute)
                .unwrap_or_else(|| test_support::workspace_root().join("BENCHMARKS.md")),
        );
        o
    }

    pub fn wants(&self, part: Part) -> bool {
        self.only.contains(&part)
    }

    pub fn repeats(&self) -> usize {
        self.repeats as usize
    }

    pub fn gunicorn_workers(&self) -> usize {
        self.gunicorn_workers.unwrap_or_else(|| {
            2 * std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                + 1
        })
    }

    pub fn output(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| test_support::workspace_root().join("BENCHMARKS.md"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_comma_separated_and_parts_are_checked() {
        let o = Options::try_parse_from([
            "run-benchmarks",
            "--connections",
            "1,16",
            "--only",
            "server,page",
        ])
        .unwrap();
        assert_eq!(o.connections, vec![1, 16]);
        assert!(o.wants(Part::Server) && o.wants(Part::Page) && !o.wants(Part::Codec));
        assert!(Options::try_parse_from(["run-benchmarks", "--only", "servers"]).is_err());
        assert!(Options::try_parse_from(["run-benchmarks", "--repeats", "0"]).is_err());
    }
}
