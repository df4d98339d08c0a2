//! The one way a test skips: `SKIPPED <test>: <reason>` on stderr (libtest captures stdout), a
//! line in the file named by `XTASK_SKIP_LOG` (set by `cargo xtask test`, which counts skips
//! apart from passes and lists them), and under `CI=true` a panic instead, since the xtask
//! installs every peer a test may miss.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The environment variable naming the file skips are appended to (one `test<TAB>reason` line each).
pub const SKIP_LOG_ENV: &str = "XTASK_SKIP_LOG";

/// Whether this run is CI's (`CI` set to anything but empty, `0` or `false`).
pub fn under_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok(v) if !v.is_empty() && v != "0" && v != "false")
}

/// The running test's name: libtest names each test's thread after the test.
pub fn current_test_name() -> String {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .unwrap_or("(unnamed test)")
        .to_string()
}

/// Where a skip goes: read from the environment by [`skip`], given by hand in tests.
#[derive(Clone, Debug, Default)]
pub struct SkipSettings {
    pub under_ci: bool,
    pub log: Option<PathBuf>,
}

impl SkipSettings {
    pub fn from_env() -> SkipSettings {
        SkipSettings {
            under_ci: under_ci(),
            log: std::env::var_os(SKIP_LOG_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }

    /// Record the skip of `test` (or, under CI, panic with the reason).
    pub fn skip(&self, test: &str, reason: &str) {
        let reason = reason.replace(['\n', '\t'], " ");
        if self.under_ci {
            panic!("{test} would skip, but CI=true: {reason} (the xtask installs this peer)");
        }
        eprintln!("SKIPPED {test}: {reason}");
        if let Some(log) = &self.log {
            let line = format!("{test}\t{reason}\n");
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .and_then(|mut f| f.write_all(line.as_bytes()));
            if let Err(e) = written {
                eprintln!("(could not record the skip in {}: {e})", log.display());
            }
        }
    }
}

/// Skip the running test: call it and return. Under `CI=true` it panics instead.
pub fn skip(reason: impl AsRef<str>) {
    skip_test(&current_test_name(), reason.as_ref());
}

/// [`skip`] for a test that names itself (a scenario run on another thread, say).
pub fn skip_test(test: &str, reason: &str) {
    SkipSettings::from_env().skip(test, reason);
}

/// One recorded skip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub test: String,
    pub reason: String,
}

/// The skips recorded in `log` (none when it does not exist).
pub fn read_skip_log(log: &Path) -> Vec<Skip> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(test, reason)| Skip {
            test: test.to_string(),
            reason: reason.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_log(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "test-support-skips-{}-{name}.txt",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn a_skip_is_recorded_with_its_test_and_reason() {
        let log = temp_log("recorded");
        let settings = SkipSettings {
            under_ci: false,
            log: Some(log.clone()),
        };
        settings.skip("suite::first", "no python3\twith requests");
        settings.skip("suite::second", "no chromedriver");
        assert_eq!(
            read_skip_log(&log),
            vec![
                Skip {
                    test: "suite::first".into(),
                    reason: "no python3 with requests".into()
                },
                Skip {
                    test: "suite::second".into(),
                    reason: "no chromedriver".into()
                },
            ]
        );
        let _ = std::fs::remove_file(&log);
    }

    #[test]
    fn under_ci_a_skip_is_a_failure_and_records_nothing() {
        let log = temp_log("ci");
        let settings = SkipSettings {
            under_ci: true,
            log: Some(log.clone()),
        };
        let outcome = std::panic::catch_unwind(|| settings.skip("suite::t", "no flask"));
        let message = *outcome.unwrap_err().downcast::<String>().unwrap();
        assert!(
            message.contains("CI=true") && message.contains("no flask"),
            "{message}"
        );
        assert!(read_skip_log(&log).is_empty());
    }

    #[test]
    fn the_test_name_comes_from_libtest() {
        assert!(
            current_test_name().ends_with("the_test_name_comes_from_libtest"),
            "{}",
            current_test_name()
        );
    }
}
