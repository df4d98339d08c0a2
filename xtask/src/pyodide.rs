//! The Python the page runs (issue 18): Pyodide from the npm registry and the pure-Python wheels
//! of `requests` from PyPI, pinned to exact versions, installed into `python/vendor/`
//! (gitignored). Trunk copies `python/` into `dist/python/`, so the greeting server and
//! `trunk serve` both serve them and nothing is fetched from a CDN when the page runs.
//!
//! npm checks the tarball against the registry's integrity, and this module checks that against
//! [`PYODIDE_INTEGRITY`]; pip checks each wheel against the hashes in `python/requirements.txt`.
//! A stamp file records what was installed, so a second run installs nothing.

use std::path::PathBuf;

use crate::limits;
use crate::proc::{self, cmd, root, which, Result};

pub const PYODIDE_VERSION: &str = "314.0.8";
/// `npm view pyodide@314.0.8 dist.integrity`.
pub const PYODIDE_INTEGRITY: &str =
    "sha512-74Wq1kXOC+CCEzAfxuRAO701nAcCMLjf8NrwvWpu8S41dVMXwXmLQ05dYB+F4e46AdnGo0oq7YHSVUpHsoarLQ==";
/// The files of the npm package the page loads (the rest are docs, types and source maps).
const PYODIDE_FILES: &[&str] = &[
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
];

fn vendor_dir() -> PathBuf {
    root().join("python").join("vendor")
}

fn requirements() -> PathBuf {
    root().join("python").join("requirements.txt")
}

/// What a complete install holds: the pins, so that changing one reinstalls.
fn wanted_stamp() -> Result<String> {
    let reqs = std::fs::read_to_string(requirements())
        .map_err(|e| format!("read {}: {e}", requirements().display()))?;
    Ok(format!(
        "pyodide {PYODIDE_VERSION} {PYODIDE_INTEGRITY}\n{reqs}"
    ))
}

fn stamp_path() -> PathBuf {
    vendor_dir().join("installed.txt")
}

/// Whether `python/vendor/` holds exactly the pinned versions.
pub fn installed() -> bool {
    let Ok(wanted) = wanted_stamp() else {
        return false;
    };
    std::fs::read_to_string(stamp_path()).is_ok_and(|s| s == wanted)
        && PYODIDE_FILES
            .iter()
            .all(|f| vendor_dir().join("pyodide").join(f).is_file())
}

/// Checks (and with `install`, installs) the page's Python runtime.
pub fn ensure(install: bool) -> Result {
    if installed() {
        println!(
            "  [ok     ] {:<26} found: {:<34} wanted: pinned in xtask/src/pyodide.rs, python/requirements.txt",
            "pyodide + requests wheels",
            format!("{PYODIDE_VERSION} in python/vendor/")
        );
        return Ok(());
    }
    println!(
        "  [MISSING] {:<26} found: {:<34} wanted: {PYODIDE_VERSION} + python/requirements.txt",
        "pyodide + requests wheels", "not installed"
    );
    if !install {
        return Err(
            "the page's Python runtime is missing. `cargo xtask setup` installs it.".into(),
        );
    }
    println!(
        "\n-> Installing Pyodide {PYODIDE_VERSION} (npm registry) and the wheels of requests, urllib3, idna, certifi,\n   \
         charset-normalizer (PyPI, hashes checked) into python/vendor/: \"Run Python\" in the chapter runs them in\n   \
         the browser, served with the page (about 14 MB, loaded only when a learner first presses Run Python)."
    );
    let t = std::time::Instant::now();
    let dir = vendor_dir();
    let _ = std::fs::remove_dir_all(&dir);
    let pyodide = dir.join("pyodide");
    let wheels = dir.join("wheels");
    for d in [&pyodide, &wheels] {
        std::fs::create_dir_all(d).map_err(|e| format!("create {}: {e}", d.display()))?;
    }
    install_pyodide(&dir, &pyodide)?;
    install_wheels(&wheels)?;
    std::fs::write(stamp_path(), wanted_stamp()?)
        .map_err(|e| format!("write {}: {e}", stamp_path().display()))?;
    println!("  (pyodide took {})", proc::fmt_dur(t.elapsed()));
    Ok(())
}

fn install_pyodide(dir: &std::path::Path, pyodide: &std::path::Path) -> Result {
    if which("npm").is_none() {
        return Err("npm is not on PATH; install Node.js (Debian: apt-get install nodejs npm) and run again".into());
    }
    let spec = format!("pyodide@{PYODIDE_VERSION}");
    let out = cmd("npm")
        .current_dir(dir)
        .args(["pack", "--json", "--loglevel=warn", &spec])
        .output()
        .map_err(|e| format!("npm pack {spec}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "npm pack {spec} failed ({}): {}",
            proc::show_status(out.status),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let json = String::from_utf8_lossy(&out.stdout);
    if !json.contains(&format!("\"integrity\": \"{PYODIDE_INTEGRITY}\"")) {
        return Err(format!(
            "npm pack {spec}: the tarball's integrity is not the pinned one ({PYODIDE_INTEGRITY}); npm said:\n{json}"
        ));
    }
    let tarball = dir.join(format!("pyodide-{PYODIDE_VERSION}.tgz"));
    let mut tar = cmd("tar");
    tar.arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(pyodide)
        .arg("--strip-components=1");
    tar.args(PYODIDE_FILES.iter().map(|f| format!("package/{f}")));
    proc::run(tar, limits::SHORT)?;
    std::fs::remove_file(&tarball).map_err(|e| format!("remove {}: {e}", tarball.display()))
}

fn install_wheels(wheels: &std::path::Path) -> Result {
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| proc::output(p, &["-m", "pip", "--version"]).is_some())
        .ok_or("no python3 with pip on PATH: pip downloads the wheels (Debian: apt-get install python3-pip)")?;
    let mut c = cmd(python);
    c.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        "any",
        "--python-version",
        "3.14",
        "--implementation",
        "py",
        "--require-hashes",
        "--disable-pip-version-check",
        "-r",
    ])
    .arg(requirements())
    .arg("-d")
    .arg(wheels);
    proc::run(c, limits::SHORT)?;
    // The worker reads this list to know which wheels to unpack.
    let mut names: Vec<String> = std::fs::read_dir(wheels)
        .map_err(|e| format!("read {}: {e}", wheels.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".whl"))
        .collect();
    names.sort();
    let list = format!(
        "[{}]\n",
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let path = wheels.join("index.json");
    std::fs::write(&path, list).map_err(|e| format!("write {}: {e}", path.display()))
}
