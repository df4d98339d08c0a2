//! Replays the committed fuzz inputs through the fuzz targets' own checks, on stable, in the
//! normal suite: every file in `fuzz/corpus/TARGET/` (the minimized corpus, a few thousand small
//! inputs) and in `fuzz/regressions/TARGET/` (inputs that once crashed, kept for good). A crash
//! found by `cargo +nightly fuzz run` becomes a regression test by copying its input from
//! `fuzz/artifacts/TARGET/` to `fuzz/regressions/TARGET/`.
//!
//! The checks are `fuzz/checks.rs`, included here as a module (the fuzz crate itself needs
//! nightly and stays outside the workspace).

#[path = "../../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_committed_fuzz_input_passes_its_targets_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut total = 0;
    let mut failures = Vec::new();
    for (target, check) in checks::TARGETS {
        let mut count = 0;
        for kind in ["corpus", "regressions"] {
            for (name, data) in inputs(&root.join(kind).join(target)) {
                count += 1;
                if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
                    let why = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    failures.push(format!("{kind}/{target}/{name}: {why}"));
                }
            }
        }
        assert!(count > 0, "no committed inputs for {target}");
        total += count;
    }
    println!("{total} fuzz inputs replayed");
    assert!(failures.is_empty(), "{failures:#?}");
}
