//! The Python the page runs (issue 18): Pyodide from the npm registry and the pure-Python wheels
//! of `requests` from PyPI, pinned to exact versions, installed into `python/vendor/`
//! (gitignored). Trunk copies `python/` into `dist/python/`, so the greeting server and
//! `trunk serve` both serve them and nothing is fetched from a CDN when the page runs.
//!
//! npm checks the tarball against the registry's integrity, and this module checks that against
//! [`PYODIDE_INTEGRITY`]; pip checks each wheel against the hashes in `python/requirements.txt`.
//! A stamp file records what was installed, so a second run installs nothing.
//!
//! Then `xtask/pyodide-bundle.mjs` (Node, with the Pyodide just installed) writes
//! `python/vendor/bundle/`: the stdlib and the wheels with bytecode, which the worker loads
//! instead of compiling ~150 modules on every cold start (bench/PROFILE-NOTES.md, "Python in the
//! page, cold start"). Its own stamp holds the pins and the script, so either changing rebuilds it.

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

fn bundle_dir() -> PathBuf {
    vendor_dir().join("bundle")
}

/// What the bundle was built from: the pins, the bundling script and the transport it imports.
fn wanted_bundle_stamp() -> Result<String> {
    let mut stamp = wanted_stamp()?;
    for path in [
        root().join("xtask").join("pyodide-bundle.mjs"),
        root().join("python").join("playground_transport.py"),
    ] {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
        stamp.push_str(&text);
    }
    Ok(stamp)
}

/// Whether `python/vendor/bundle/` was built from what is installed now.
fn bundled() -> bool {
    let Ok(wanted) = wanted_bundle_stamp() else {
        return false;
    };
    std::fs::read_to_string(bundle_dir().join("built.txt")).is_ok_and(|s| s == wanted)
        && ["python_stdlib.zip", "site-packages.zip"]
            .iter()
            .all(|f| bundle_dir().join(f).is_file())
}

/// Runs `xtask/pyodide-bundle.mjs` with the installed Pyodide.
fn build_bundle() -> Result {
    if which("node").is_none() {
        return Err("node is not on PATH; install Node.js (Debian: apt-get install nodejs npm) and run again".into());
    }
    println!("\n-> Bundling the page's Python: bytecode for the stdlib modules it imports and for the wheels\n   (python/vendor/bundle/, made with the installed Pyodide under Node; halves a cold start).");
    let t = std::time::Instant::now();
    let _ = std::fs::remove_dir_all(bundle_dir());
    let mut c = cmd("node");
    c.arg(root().join("xtask").join("pyodide-bundle.mjs"))
        .arg(root().join("python"));
    proc::run(c, limits::SHORT)?;
    let stamp = bundle_dir().join("built.txt");
    std::fs::write(&stamp, wanted_bundle_stamp()?)
        .map_err(|e| format!("write {}: {e}", stamp.display()))?;
    println!("  (bundling took {})", proc::fmt_dur(t.elapsed()));
    Ok(())
}

/// Checks (and with `install`, installs) the page's Python runtime.
pub fn ensure(install: bool) -> Result {
    if installed() && !bundled() {
        println!(
            "  [MISSING] {:<26} found: {:<34} wanted: built from the installed Pyodide",
            "pyodide bundle (bytecode)", "not built or out of date"
        );
        if !install {
            return Err(
                "the page's Python bundle is missing. `cargo xtask setup` builds it.".into(),
            );
        }
        return build_bundle();
    }
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
    build_bundle()
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
