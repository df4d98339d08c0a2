//! The page's delivery (issue 16) in BENCHMARKS.md: bytes of the first load and the time to the
//! first paragraph and to the app answering a click, from the greeting server and from a plain
//! static host, on loopback and throttled, cold and warm (measured by
//! `benchmarks::delivery`).

use crate::report::{bytes_kb, Report};
use crate::say;
use benchmarks::browser::Chromium;
use benchmarks::delivery::{
    measure_host, Case, TARGET_ANSWER_COLD_MS, TARGET_ANSWER_WARM_MS, TARGET_FIRST_LOAD_BYTES,
    TARGET_PARAGRAPH_COLD_MS, THROTTLED,
};
use benchmarks::procs::ServerProc;
use benchmarks::stats::median;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub const GREETING_SERVER: &str = "greeting server";
pub const STATIC_HOST: &str = "static host (python3 -m http.server)";

#[derive(Clone, Debug, Default)]
pub struct DeliverySection {
    pub cases: Vec<Case>,
    pub notes: Vec<String>,
}

/// Every delivery case: `base` is the greeting server serving `dist`; the static host is
/// started here on `dist`.
pub async fn delivery_benchmarks(
    dist: &Path,
    base: &str,
    chromedriver: &Path,
    chromium: &Path,
    repeats: usize,
) -> DeliverySection {
    let mut section = DeliverySection::default();
    let browser = match Chromium::start(chromedriver, chromium).await {
        Ok(b) => b,
        Err(e) => {
            section.notes.push(format!("Not measured: {e}"));
            return section;
        }
    };
    say("page delivery: the greeting server");
    match measure_host(&browser, GREETING_SERVER, base, repeats).await {
        Ok(cases) => section.cases.extend(cases),
        Err(e) => section
            .notes
            .push(format!("The greeting server's cases failed: {e}")),
    }
    let static_host = test_support::free_port()
        .map_err(|e| e.to_string())
        .and_then(|port| {
            let mut c = Command::new("python3");
            c.args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
                .arg(dist)
                .arg(port.to_string());
            ServerProc::start_on_port(STATIC_HOST, c, port, Duration::from_secs(20), None)
        });
    match static_host {
        Ok(host) => {
            say("page delivery: a plain static host");
            let base = format!("http://{}", host.addr);
            match measure_host(&browser, STATIC_HOST, &base, repeats).await {
                Ok(cases) => section.cases.extend(cases),
                Err(e) => section
                    .notes
                    .push(format!("The static host's cases failed: {e}")),
            }
        }
        Err(e) => section
            .notes
            .push(format!("No static host (python3 -m http.server): {e}")),
    }
    section
}

impl Report {
    pub fn delivery_markdown(&self, md: &mut String, d: &DeliverySection) {
        let _ = writeln!(md, "\n### Delivery: the first load as a learner gets it\n");
        let _ = writeln!(
            md,
            "A new headless Chromium for each cold load (cache disabled, no connection kept); warm: the same Chromium, cache on, \
             after one load. Throttled: DevTools `Network.emulateNetworkConditions`, {}; the CPU is not slowed. Bytes: the \
             navigation's and the page's files' `transferSize` (the browser's count, headers included; not the requests to the \
             greeting server). First paragraph: the later of `article.chapter .prose p` in the document and the first \
             contentful paint. Answered: a script installed before the page's clicks `send-once` the moment it exists; the \
             time its row appears. Medians of {} loads (bench/src/delivery.rs). The static host has no compression and no \
             `Cache-Control`, and the page runs its simulated server there.\n",
            THROTTLED.name,
            self.options.repeats()
        );
        for n in &d.notes {
            let _ = writeln!(md, "- {n}");
        }
        if d.cases.is_empty() {
            return;
        }
        let ms = |v: f64| {
            if v.is_nan() {
                "?".to_string()
            } else {
                format!("{v:.0} ms")
            }
        };
        let _ = writeln!(
            md,
            "| host | network | cache | bytes transferred | first paragraph | answered a click | targets |"
        );
        let _ = writeln!(md, "| --- | --- | --- | ---: | ---: | ---: | --- |");
        for c in &d.cases {
            let bytes: Vec<f64> = c.loads.iter().map(|l| l.bytes as f64).collect();
            let bytes = median(&bytes) as u64;
            let paragraph = median(&c.loads.iter().map(|l| l.paragraph_ms).collect::<Vec<_>>());
            let answered = median(&c.loads.iter().map(|l| l.answered_ms).collect::<Vec<_>>());
            let cache = if c.warm { "warm" } else { "cold" };
            let throttled = c.network.name == THROTTLED.name;
            let mut targets = Vec::new();
            if c.host == GREETING_SERVER && throttled && !c.warm {
                targets.push(format!(
                    "bytes ≤ {}: {}",
                    bytes_kb(TARGET_FIRST_LOAD_BYTES),
                    self.target(
                        "bytes transferred for the first load (greeting server, cold)",
                        bytes_kb(bytes),
                        format!("≤ {}", bytes_kb(TARGET_FIRST_LOAD_BYTES)),
                        Some(bytes <= TARGET_FIRST_LOAD_BYTES)
                    )
                ));
                targets.push(format!(
                    "paragraph ≤ {}: {}",
                    ms(TARGET_PARAGRAPH_COLD_MS),
                    self.target(
                        "throttled cold load: the chapter's first paragraph visible",
                        ms(paragraph),
                        format!("≤ {}", ms(TARGET_PARAGRAPH_COLD_MS)),
                        Some(paragraph <= TARGET_PARAGRAPH_COLD_MS)
                    )
                ));
                targets.push(format!(
                    "answered ≤ {}: {}",
                    ms(TARGET_ANSWER_COLD_MS),
                    self.target(
                        "throttled cold load: navigation to the app answering a click",
                        ms(answered),
                        format!("≤ {}", ms(TARGET_ANSWER_COLD_MS)),
                        Some(answered <= TARGET_ANSWER_COLD_MS)
                    )
                ));
            }
            if c.host == GREETING_SERVER && throttled && c.warm {
                targets.push(format!(
                    "answered ≤ {}: {}",
                    ms(TARGET_ANSWER_WARM_MS),
                    self.target(
                        "throttled warm load: navigation to the app answering a click",
                        ms(answered),
                        format!("≤ {}", ms(TARGET_ANSWER_WARM_MS)),
                        Some(answered <= TARGET_ANSWER_WARM_MS)
                    )
                ));
            }
            let _ = writeln!(
                md,
                "| {} | {} | {cache} | {} | {} | {} | {} |",
                c.host,
                c.network.name,
                bytes_kb(bytes),
                ms(paragraph),
                ms(answered),
                targets.join("; ")
            );
        }
        let _ = writeln!(md, "\n<details><summary>Every delivery load</summary>\n");
        for c in &d.cases {
            let loads: Vec<String> = c
                .loads
                .iter()
                .map(|l| {
                    format!(
                        "{} / {} / {}",
                        bytes_kb(l.bytes),
                        ms(l.paragraph_ms),
                        ms(l.answered_ms)
                    )
                })
                .collect();
            let _ = writeln!(
                md,
                "- {}, {}, {}: {}",
                c.host,
                c.network.name,
                if c.warm { "warm" } else { "cold" },
                loads.join("; ")
            );
        }
        let _ = writeln!(md, "\n</details>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Machine;
    use crate::options::Options;
    use crate::page::PageSection;
    use benchmarks::delivery::{Load, LOOPBACK};
    use clap::Parser;

    fn case(host: &'static str, throttled: bool, warm: bool, load: Load) -> Case {
        Case {
            host,
            network: if throttled { THROTTLED } else { LOOPBACK },
            warm,
            loads: vec![load.clone(), load],
        }
    }

    #[test]
    fn the_greeting_servers_throttled_rows_carry_the_targets() {
        let options = Options::try_parse_from(["run-benchmarks", "--only", "page"]).unwrap();
        let mut report = Report::new(options, Machine::default());
        let load = |bytes, paragraph_ms, answered_ms| Load {
            bytes,
            paragraph_ms,
            answered_ms,
        };
        report.page = Some(PageSection {
            dist_shown: "dist".into(),
            files: vec![("app.wasm".into(), "wasm".into(), 100_000, 90_000)],
            browser_skipped: Some("--no-browser".into()),
            delivery: Some(DeliverySection {
                cases: vec![
                    case(GREETING_SERVER, false, false, load(280_000, 40.0, 90.0)),
                    case(
                        GREETING_SERVER,
                        true,
                        false,
                        load(280_000, 1_100.0, 2_900.0),
                    ),
                    case(GREETING_SERVER, true, true, load(2_000, 700.0, 800.0)),
                    case(STATIC_HOST, true, false, load(900_000, 1_500.0, 6_000.0)),
                ],
                notes: Vec::new(),
            }),
            ..PageSection::default()
        });
        let md = report.markdown();
        let top = &md[md.find("## Summary").unwrap()..md.find("## Machine").unwrap()];
        for row in [
            "| bytes transferred for the first load (greeting server, cold) | 280.0 KB | ≤ 250.0 KB | **missed** |",
            "| throttled cold load: the chapter's first paragraph visible | 1100 ms | ≤ 1200 ms | **met** |",
            "| throttled cold load: navigation to the app answering a click | 2900 ms | ≤ 2500 ms | **missed** |",
            "| throttled warm load: navigation to the app answering a click | 800 ms | ≤ 1000 ms | **met** |",
        ] {
            assert!(top.contains(row), "{row}\nnot in\n{top}");
        }
        assert!(top.contains("3 met, 2 missed"), "{top}");
        assert!(md.contains(&format!(
            "| {STATIC_HOST} | {} | cold | 900.0 KB | 1500 ms | 6000 ms |  |",
            THROTTLED.name
        )));
    }
}
