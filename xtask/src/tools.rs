//! The tool installer: checks what is there (and its version), says what it installs and why,
//! installs only what is missing, streaming the progress of long steps.
//!
//! The traps it avoids are in shared/notes/toolchain.md: trunk 0.22 needs a newer rustc than
//! stable here (0.21.14 --locked builds); wasm-bindgen-cli must equal the wasm-bindgen crate
//! version in Cargo.lock and `--locked` fails for it; Debian's binaryen (108) is too old for
//! current rustc output, npm's binaryen works; Trunk's own downloads (GitHub) are unreachable, so
//! every tool Trunk uses must be on PATH with the exact version it asks for.

use crate::limits;
use crate::proc::{self, cmd, output, root, tools_dir, which, Result};
use std::time::Instant;

pub const TRUNK_VERSION: &str = "0.21.14";
/// `wasm-opt --version` of the binaryen package.json pins (binaryen@132.0.0).
pub const BINARYEN_VERSION: &str = "132";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Build and serve the page: wasm32 target, trunk, wasm-bindgen, wasm-opt.
    Build,
    /// Everything for `cargo xtask test`: Build plus Chromium and chromedriver.
    Test,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Install,
    CheckOnly,
}

struct Check {
    name: &'static str,
    found: Option<String>,
    wanted: String,
    ok: bool,
}

impl Check {
    fn print(&self) {
        let found = self.found.as_deref().unwrap_or("not found");
        let mark = if self.ok { "ok     " } else { "MISSING" };
        println!(
            "  [{mark}] {:<26} found: {:<34} wanted: {}",
            self.name, found, self.wanted
        );
    }
}

/// The version of `name` in Cargo.lock (first match), e.g. wasm-bindgen's.
pub fn locked_version(name: &str) -> Option<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == format!("name = \"{name}\"") {
            let v = lines.next()?.trim();
            return v
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(String::from);
        }
    }
    None
}

fn second_word(s: &str) -> Option<String> {
    s.split_whitespace().nth(1).map(String::from)
}

fn trunk_version() -> Option<String> {
    output("trunk", &["--version"]).and_then(|s| second_word(&s))
}

fn trunk_ok(v: &str) -> bool {
    // 0.21.14 is what installs on stable; a 0.22 someone built with nightly works as well.
    let parts: Vec<u64> = v.split('.').filter_map(|p| p.parse().ok()).collect();
    matches!(parts.as_slice(), [0, 21, p, ..] if *p >= 14)
        || matches!(parts.as_slice(), [0, m, ..] if *m >= 22)
}

fn wasm_bindgen_version() -> Option<String> {
    output("wasm-bindgen", &["--version"]).and_then(|s| second_word(&s))
}

fn wasm_bindgen_test_runner_version() -> Option<String> {
    output("wasm-bindgen-test-runner", &["--version"]).and_then(|s| second_word(&s))
}

pub fn wasm_opt_path() -> std::path::PathBuf {
    tools_dir()
        .join("node_modules")
        .join(".bin")
        .join("wasm-opt")
}

fn wasm_opt_version() -> Option<String> {
    let p = wasm_opt_path();
    if !p.exists() {
        return None;
    }
    // "wasm-opt version 132 (version_132)"
    output(p.to_str()?, &["--version"]).and_then(|s| s.split_whitespace().nth(2).map(String::from))
}

fn has_wasm_target() -> bool {
    output("rustup", &["target", "list", "--installed"])
        .map(|s| s.lines().any(|l| l.trim() == WASM_TARGET))
        .unwrap_or(false)
}

pub fn chromedriver_path() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("CHROMEDRIVER") {
        let p = std::path::PathBuf::from(p);
        if p.is_file() {
            return Some(p);
        }
    }
    which("chromedriver")
}

fn chromium_version() -> Option<String> {
    // "Chromium 156.0.8078.108 built on Debian GNU/Linux 12 (bookworm)"
    which("chromium")?;
    output("chromium", &["--version"]).and_then(|s| second_word(&s))
}

fn chromedriver_version() -> Option<String> {
    let p = chromedriver_path()?;
    output(p.to_str()?, &["--version"]).and_then(|s| second_word(&s))
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

fn checks(needs: Needs) -> Vec<Check> {
    let mut v = Vec::new();
    let t = has_wasm_target();
    v.push(Check {
        name: "rust target wasm32",
        found: t.then(|| WASM_TARGET.to_string()),
        wanted: WASM_TARGET.into(),
        ok: t,
    });
    let tv = trunk_version();
    v.push(Check {
        name: "trunk",
        ok: tv.as_deref().is_some_and(trunk_ok),
        found: tv,
        wanted: format!(">= {TRUNK_VERSION}"),
    });
    let wanted_wb = locked_version("wasm-bindgen");
    let wb = wasm_bindgen_version();
    let wbt = wasm_bindgen_test_runner_version();
    match &wanted_wb {
        Some(w) => {
            v.push(Check {
                name: "wasm-bindgen (cli)",
                ok: wb.as_deref() == Some(w),
                found: wb,
                wanted: format!("= {w} (Cargo.lock)"),
            });
            if needs == Needs::Test {
                v.push(Check {
                    name: "wasm-bindgen-test-runner",
                    ok: wbt.as_deref() == Some(w),
                    found: wbt,
                    wanted: format!("= {w} (Cargo.lock)"),
                });
            }
        }
        None => v.push(Check {
            name: "wasm-bindgen (cli)",
            ok: true,
            found: wb,
            wanted: "(Cargo.lock has no wasm-bindgen yet: nothing to match)".into(),
        }),
    }
    let wo = wasm_opt_version();
    v.push(Check {
        name: "wasm-opt (npm binaryen)",
        ok: wo.as_deref() == Some(BINARYEN_VERSION),
        found: wo.map(|w| format!("{w} in .tools/")),
        wanted: BINARYEN_VERSION.into(),
    });
    if needs == Needs::Test {
        let wanted = pinned_npm_version("axe-core");
        let found = installed_npm_version("axe-core").filter(|_| axe_core_path().is_file());
        v.push(Check {
            name: "axe-core (npm)",
            ok: found.is_some() && found == wanted,
            found: found.map(|f| format!("{f} in .tools/")),
            wanted: format!("= {} (package.json)", wanted.as_deref().unwrap_or("?")),
        });
    }
    if needs == Needs::Test {
        let cv = chromium_version();
        let dv = chromedriver_version();
        let same_major = matches!((&cv, &dv), (Some(c), Some(d)) if major(c) == major(d));
        v.push(Check {
            name: "chromium",
            ok: cv.is_some(),
            found: cv,
            wanted: "Debian's chromium".into(),
        });
        v.push(Check {
            name: "chromedriver",
            ok: dv.is_some() && same_major,
            found: dv,
            wanted: "Debian's chromium-driver (same major as chromium)".into(),
        });
        let redis = output("redis-server", &["--version"]).and_then(|s| {
            s.split_whitespace()
                .nth(2)
                .map(|v| v.trim_start_matches("v=").to_string())
        });
        v.push(Check {
            name: "redis-server",
            ok: redis.is_some(),
            found: redis,
            wanted: "Debian's redis-server".into(),
        });
    }
    v
}

/// Check every tool; with Mode::Install, install what is missing. Ok(()) when all are there.
pub fn ensure(needs: Needs, mode: Mode) -> Result {
    let t0 = Instant::now();
    println!("Checking tools (versions first; only what is missing gets installed):");
    let cs = checks(needs);
    for c in &cs {
        c.print();
    }
    crate::pyodide::ensure(mode == Mode::Install)?;
    let missing: Vec<&str> = cs.iter().filter(|c| !c.ok).map(|c| c.name).collect();
    if missing.is_empty() {
        println!("All tools present ({}).", proc::fmt_dur(t0.elapsed()));
        return Ok(());
    }
    if mode == Mode::CheckOnly {
        return Err(format!(
            "missing or wrong version: {}. `cargo xtask setup` installs them.",
            missing.join(", ")
        ));
    }
    let mut done: Vec<&str> = Vec::new();
    for c in cs.iter().filter(|c| !c.ok) {
        // wasm-bindgen-cli brings both binaries; the apt step brings both chromium packages.
        let step = match c.name {
            "rust target wasm32" => "target",
            "trunk" => "trunk",
            "wasm-bindgen (cli)" | "wasm-bindgen-test-runner" => "wasm-bindgen",
            "wasm-opt (npm binaryen)" | "axe-core (npm)" => "npm",
            "redis-server" => "redis-server",
            _ => "chromium",
        };
        if done.contains(&step) {
            continue;
        }
        done.push(step);
        let t = Instant::now();
        match step {
            "target" => install_target()?,
            "trunk" => install_trunk()?,
            "wasm-bindgen" => install_wasm_bindgen()?,
            "npm" => install_npm_tools()?,
            "redis-server" => install_debian_packages(
                &["redis-server"],
                "the server-side session tests start a throwaway Redis on a free loopback port",
            )?,
            _ => {
                if chromium_version().is_some() && chromedriver_version().is_some() {
                    return Err("chromium and chromedriver differ in major version; \
                                `apt-get update && apt-get install -y chromium chromium-driver` aligns them"
                        .into());
                }
                install_chromium()?
            }
        }
        println!("  ({step} took {})", proc::fmt_dur(t.elapsed()));
    }
    let still: Vec<String> = checks(needs)
        .into_iter()
        .filter(|c| !c.ok)
        .map(|c| {
            format!(
                "{} (found {})",
                c.name,
                c.found.unwrap_or_else(|| "nothing".into())
            )
        })
        .collect();
    if !still.is_empty() {
        return Err(format!(
            "still missing after installing: {}",
            still.join(", ")
        ));
    }
    println!("Tools ready ({}).", proc::fmt_dur(t0.elapsed()));
    Ok(())
}

fn install_target() -> Result {
    println!("\n-> Installing the Rust target {WASM_TARGET} with rustup: the page compiles to WebAssembly.");
    let mut c = cmd("rustup");
    c.args(["target", "add", WASM_TARGET]);
    proc::run(c, limits::SHORT)
}

fn install_trunk() -> Result {
    println!(
        "\n-> Installing trunk {TRUNK_VERSION} with `cargo install --locked`: it builds and serves the page.\n   \
         (trunk 0.22 needs a newer rustc than stable here.) This compiles trunk from source: about 15 minutes on 2 cores.\n   \
         Progress follows (cargo's own lines)."
    );
    let mut c = cmd("cargo");
    c.args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]);
    proc::run(c, limits::INSTALL)
}

fn install_wasm_bindgen() -> Result {
    let v = locked_version("wasm-bindgen").ok_or("Cargo.lock has no wasm-bindgen entry")?;
    println!(
        "\n-> Installing wasm-bindgen-cli {v} with `cargo install`: Trunk and the wasm tests need the CLI at exactly\n   \
         the wasm-bindgen crate version in Cargo.lock ({v}). It brings wasm-bindgen and wasm-bindgen-test-runner.\n   \
         (Without --locked: its lock file wants a crate release the registry does not serve.) A few minutes; progress follows."
    );
    let mut c = cmd("cargo");
    c.args(["install", "wasm-bindgen-cli", "--version", &v, "--force"]);
    proc::run(c, limits::INSTALL)
}

/// The version package.json pins for an npm tool (`"name": "1.2.3"` in its devDependencies).
pub fn pinned_npm_version(name: &str) -> Option<String> {
    let text = std::fs::read_to_string(root().join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["devDependencies"][name].as_str().map(String::from)
}

/// The version of an npm package installed in .tools/node_modules.
fn installed_npm_version(name: &str) -> Option<String> {
    let text = std::fs::read_to_string(
        tools_dir()
            .join("node_modules")
            .join(name)
            .join("package.json"),
    )
    .ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["version"].as_str().map(String::from)
}

/// axe.min.js as installed from package-lock.json (the accessibility test injects it).
pub fn axe_core_path() -> std::path::PathBuf {
    tools_dir()
        .join("node_modules")
        .join("axe-core")
        .join("axe.min.js")
}

/// The npm tools (package.json, package-lock.json: binaryen's wasm-opt, axe-core), exact
/// versions, with `npm ci` into .tools/.
fn install_npm_tools() -> Result {
    if which("npm").is_none() {
        install_debian_packages(
            &["nodejs", "npm"],
            "wasm-opt (npm's binaryen) and axe-core install with npm",
        )?;
    }
    println!(
        "\n-> Installing the npm tools of package-lock.json into .tools/ (project-local, gitignored) with `npm ci`:\n   \
         wasm-opt (binaryen {BINARYEN_VERSION}) shrinks the release wasm (Debian's binaryen is too old for current rustc\n   \
         output, and Trunk's own download is unreachable here); axe-core audits the page in the accessibility test."
    );
    let dir = tools_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(root().join(file), dir.join(file))
            .map_err(|e| format!("copy {file} into {}: {e}", dir.display()))?;
    }
    let mut c = cmd("npm");
    c.current_dir(&dir)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=http"]);
    proc::run(c, limits::SHORT)
}

fn install_chromium() -> Result {
    install_debian_packages(
        &["chromium", "chromium-driver"],
        "the wasm component tests and the end-to-end tests drive a headless Chromium through chromedriver\n   \
         (downloads of other browser builds fail here)",
    )
}

/// What the suites import from the Python peers (xtask/requirements.txt pins them and theirs).
const PY_MODULES: &str =
    "requests, flask, flask_cors, itsdangerous, gunicorn, flask_session, msgspec, redis";

fn venv_python() -> std::path::PathBuf {
    tools_dir().join("venv").join("bin").join("python3")
}

/// The venv's python when it has the peers' modules at the pinned versions: the install stamp
/// (a copy of xtask/requirements.txt) matches the file.
fn venv_is_current() -> bool {
    let stamp = std::fs::read_to_string(tools_dir().join("venv").join("xtask-requirements.txt"));
    let wanted = std::fs::read_to_string(requirements_file());
    matches!((stamp, wanted), (Ok(a), Ok(b)) if a == b)
        && test_support::python_with(PY_MODULES).is_ok()
}

fn requirements_file() -> std::path::PathBuf {
    root().join("xtask").join("requirements.txt")
}

/// Export the venv's python as PLAYGROUND_PYTHON for every suite (when there is one), so that
/// a test never looks at another Python while the xtask runs it.
pub fn export_python() {
    if venv_python().is_file() {
        std::env::set_var(test_support::PYTHON_ENV, venv_python());
    }
}

/// The Python peers: .tools/venv with xtask/requirements.txt installed. Returns the python to
/// use, or the reason there is none (the tests that need it then skip, or fail under CI=true).
pub fn python_peers(mode: Mode) -> std::result::Result<String, String> {
    export_python();
    if venv_python().is_file() && venv_is_current() {
        return Ok(venv_python().to_string_lossy().into_owned());
    }
    if mode == Mode::CheckOnly {
        return Err(".tools/venv is missing or not at xtask/requirements.txt's versions".into());
    }
    println!(
        "\n-> Installing the Python peers (xtask/requirements.txt: requests, flask, flask-cors, itsdangerous,\n   \
         gunicorn, flask-session with msgspec and redis, exact versions) into .tools/venv with pip: the\n   \
         tests run the chapter's requests.Session script and Flask apps (one with Flask-Session on Redis)\n   \
         against the server and the page; the benchmarks compare with Flask."
    );
    if which("python3").is_none() {
        install_debian_packages(
            &["python3", "python3-venv"],
            "the Python peers need python3",
        )?;
    }
    let venv = tools_dir().join("venv");
    if !venv_python().is_file() {
        let make_venv = || {
            let mut v = cmd("python3");
            v.args(["-m", "venv", &venv.to_string_lossy()]);
            proc::run(v, limits::SHORT)
        };
        if make_venv().is_err() {
            // Debian's python3 has no ensurepip without python3-venv.
            let _ = std::fs::remove_dir_all(&venv);
            install_debian_packages(
                &["python3-venv"],
                "`python3 -m venv` needs Debian's python3-venv",
            )?;
            make_venv()?;
        }
    }
    let mut p = cmd(venv_python());
    p.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-r",
    ])
    .arg(requirements_file());
    proc::run(p, limits::SHORT)?;
    let _ = std::fs::copy(requirements_file(), venv.join("xtask-requirements.txt"));
    export_python();
    test_support::python_with(PY_MODULES)
}

/// Debian's nginx for the benchmarks' second ceiling (the runner starts it on a free port).
pub fn nginx_for_bench() -> Result {
    if which("nginx").is_some() || std::path::Path::new("/usr/sbin/nginx").is_file() {
        return Ok(());
    }
    install_debian_packages(
        &["nginx"],
        "the benchmarks compare the server with an nginx `return 200`",
    )
}

/// `apt-get update && apt-get install -y PACKAGES` as root, saying why; an error naming the
/// command to run when not root.
fn install_debian_packages(packages: &[&str], why: &str) -> Result {
    let list = packages.join(" ");
    println!("\n-> Installing Debian's {list} with apt-get: {why}.");
    if !proc::is_root() {
        return Err(format!(
            "installing {list} needs root: run `sudo apt-get update && sudo apt-get install -y {list}`, then this again"
        ));
    }
    let mut up = cmd("apt-get");
    up.env("DEBIAN_FRONTEND", "noninteractive").args(["update"]);
    proc::run(up, limits::SHORT)?;
    let mut c = cmd("apt-get");
    c.env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y"])
        .args(packages);
    proc::run(c, limits::INSTALL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wasm_opt_version_checked_is_the_binaryen_package_json_pins() {
        let pinned = pinned_npm_version("binaryen").expect("package.json pins binaryen");
        assert_eq!(pinned, format!("{BINARYEN_VERSION}.0.0"));
        let axe = pinned_npm_version("axe-core").expect("package.json pins axe-core");
        assert!(
            axe.split('.').all(|p| p.parse::<u32>().is_ok()),
            "an exact version: {axe}"
        );
    }
}
