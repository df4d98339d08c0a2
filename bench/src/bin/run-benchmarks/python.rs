//! Python in the page (issue 18): the first Run Python to the first printed line, cold and warm
//! (bench/src/python.rs measures; this writes the section and its targets).

use crate::options::Options;
use crate::report::Report;
use crate::say;
use crate::server::greeting_command;
use benchmarks::procs::ServerProc;
use benchmarks::python::{PythonTimings, FOCUS_LEAD, SCRIPT, TARGET_COLD_MS, TARGET_WARM_MS};
use benchmarks::stats::median;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct PythonSection {
    pub timings: Option<PythonTimings>,
    /// Why it was not measured.
    pub skipped: Option<String>,
}

pub fn python_benchmarks(
    options: &Options,
    dist: &Path,
    greeting_bin: Option<&Path>,
) -> PythonSection {
    let skip = |why: String| {
        say(format!("python: not measured: {why}"));
        PythonSection {
            timings: None,
            skipped: Some(why),
        }
    };
    if options.no_browser {
        return skip("--no-browser".into());
    }
    let loader = dist.join("python/vendor/pyodide/pyodide.mjs");
    if !loader.is_file() {
        return skip(format!(
            "{} is missing (`cargo xtask setup` installs Python's runtime, then build the page)",
            loader.display()
        ));
    }
    let Some(greeting_bin) = greeting_bin else {
        return skip("greeting-server did not build".into());
    };
    let (chromedriver, chromium) = benchmarks::browser::driver_and_browser();
    if !chromedriver.is_file() || !chromium.is_file() {
        return skip(format!(
            "{} or {} is missing (apt-get install chromium chromium-driver)",
            chromedriver.display(),
            chromium.display()
        ));
    }
    let mut c = greeting_command(greeting_bin);
    c.arg("--static").arg(dist);
    let server = match ServerProc::start_announcing(
        "greeting-server --static",
        c,
        Duration::from_secs(30),
    ) {
        Ok(s) => s,
        Err(e) => return skip(e),
    };
    say(format!("python: headless Chromium against {}", server.addr));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return skip(e.to_string()),
    };
    let base = format!("http://{}", server.addr);
    let result = runtime.block_on(benchmarks::python::measure(
        &base,
        &chromedriver,
        &chromium,
        options.repeats(),
    ));
    drop(server);
    match result {
        Ok(t) => PythonSection {
            timings: Some(t),
            skipped: None,
        },
        Err(e) => skip(format!("the browser measurements failed: {e}")),
    }
}

fn ms(v: f64) -> String {
    if v.is_nan() {
        "?".into()
    } else {
        format!("{v:.0} ms")
    }
}

impl PythonSection {
    fn medians(&self) -> Option<(f64, f64, f64)> {
        let t = self.timings.as_ref()?;
        let cold: Vec<f64> = t.runs.iter().map(|r| r.cold_ms).collect();
        let warm: Vec<f64> = t.runs.iter().map(|r| r.warm_ms).collect();
        Some((median(&cold), median(&warm), median(&t.after_focus_ms)))
    }

    /// The terminal's line: both figures and their targets.
    pub fn summary_line(&self) -> String {
        match self.medians() {
            Some((cold, warm, focused)) => format!(
                "python in the page: first printed line cold {} (target ≤ {}), warm {} (target ≤ {}), cold after focusing the editor {}",
                ms(cold),
                ms(TARGET_COLD_MS),
                ms(warm),
                ms(TARGET_WARM_MS),
                ms(focused)
            ),
            None => format!(
                "python in the page: not measured ({})",
                self.skipped.as_deref().unwrap_or("?")
            ),
        }
    }
}

impl Report {
    pub fn python_markdown(&self, md: &mut String, p: &PythonSection) {
        let _ = writeln!(md, "\n## Python in the page\n");
        let (Some(t), Some((cold, warm, focused))) = (&p.timings, p.medians()) else {
            let _ = writeln!(md, "Not measured: {}.", p.skipped.as_deref().unwrap_or("?"));
            return;
        };
        let _ = writeln!(
            md,
            "Headless Chromium against greeting-server on loopback serving the page above, the page on its simulated server. \
             From pressing Run Python to the first line the script prints (the page's `performance.now()`), for this script:\n\n\
             ```python\n{SCRIPT}```\n\n\
             Cold: a fresh browser profile (empty cache), Python not loaded, Run Python clicked without a hover or a focus \
             before it (either would start the load early). Warm: a second run in the same page. Medians of {} fresh browsers.\n",
            t.runs.len()
        );
        let _ = writeln!(md, "| measurement | figure | target |");
        let _ = writeln!(md, "| --- | ---: | --- |");
        let _ = writeln!(
            md,
            "| first Run Python to its first printed line, cold | {} | ≤ {}: {} |",
            ms(cold),
            ms(TARGET_COLD_MS),
            self.target(
                "Python in the page: first Run Python to its first printed line, cold",
                ms(cold),
                format!("≤ {}", ms(TARGET_COLD_MS)),
                Some(cold <= TARGET_COLD_MS)
            )
        );
        let _ = writeln!(
            md,
            "| a second run, warm | {} | ≤ {}: {} |",
            ms(warm),
            ms(TARGET_WARM_MS),
            self.target(
                "Python in the page: a second run to its first printed line, warm",
                ms(warm),
                format!("≤ {}", ms(TARGET_WARM_MS)),
                Some(warm <= TARGET_WARM_MS)
            )
        );
        let _ = writeln!(
            md,
            "| cold, Run Python pressed {} s after the editor took focus (the focus starts the load) | {} | |",
            FOCUS_LEAD.as_secs(),
            ms(focused)
        );
        let _ = writeln!(
            md,
            "\nWhere each cold load's time went (the worker's milestones, ms since it was created):\n"
        );
        for r in &t.runs {
            let _ = writeln!(
                md,
                "- cold {}, warm {}: {}",
                ms(r.cold_ms),
                ms(r.warm_ms),
                r.milestones
            );
        }
    }
}
