//! `cargo xtask <command>`: the project's own build and run commands (few dependencies, so it
//! compiles in seconds on a fresh machine).
//!
//!   run     install what is missing, build the page in release mode (wasm-opt), serve it with the
//!           greeting server at http://localhost:5000/
//!   dev     greeting server on :5000 + `trunk serve` (live reload, proxy to :5000) on :8080
//!   test    every test suite: native, wasm in headless Chromium, release build, end-to-end
//!   bench   the benchmarks (bench/, issue 6): writes BENCHMARKS.md
//!   setup   install the tools only
//!   doctor  check the tools and report, install nothing
//!   post-build  Trunk's post_build hook: prerendered chapter into index.html, compressed twins

mod limits;
mod postbuild;
mod proc;
mod pyodide;
mod testing;
mod tools;

use proc::{cmd, root, Result};
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use tools::{Mode, Needs};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

  run [--port P] [--rebuild] [-- SERVER_ARGS...]
          install what is missing, `trunk build --release` (with wasm-opt; skipped when dist/ is a release
          build newer than the page's sources, unless --rebuild), then serve dist/ with the greeting
          server on http://localhost:5000/ (Ctrl-C, SIGTERM or SIGHUP stops it). SERVER_ARGS go to greeting-server,
          e.g. `cargo xtask run -- --secret-key teach --allow-origin http://localhost:8000`
  dev [-- SERVER_ARGS...]
          greeting server on :5000 plus `trunk serve` on http://localhost:8080/ with live reload;
          Trunk.toml's [[proxy]] forwards the API to :5000. Ctrl-C, SIGTERM or SIGHUP stops both.
  test    ensure tools, then: native tests, the page's wasm tests in headless Chromium,
          `trunk build --release`, end-to-end tests. Lists every skipped test with its reason, then
          ends with `xtask: N passed, M failed, K skipped`. Each step has a time limit
          (XTASK_TIME_LIMIT_FACTOR=2 doubles them).
  bench [-- ARGS...]
          ensure the tools, then `cargo run -p benchmarks --release --bin run-benchmarks -- ARGS`
          (`cargo xtask bench -- --help` lists its options); writes BENCHMARKS.md
  setup   install the tools only (rust wasm32 target, trunk, wasm-bindgen-cli, wasm-opt, chromium,
          the Python peers in .tools/venv)
  doctor  show which tools are there and which are missing; installs nothing
  post-build
          Trunk's post_build hook (Trunk.toml; needs TRUNK_STAGING_DIR): puts the chapter build.rs
          prerendered into index.html and, in release builds, writes X.br and X.gz beside the files
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    proc::export_tool_path();
    proc::stop_children_on_signal();
    let code = match dispatch(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("\nxtask: error: {e}");
            1
        }
    };
    std::process::exit(code);
}

fn dispatch(args: &[String]) -> Result<i32> {
    let (sub, rest) = match args.split_first() {
        Some((s, r)) => (s.as_str(), r),
        None => {
            print!("{USAGE}");
            return Ok(2);
        }
    };
    match sub {
        "run" => run(rest).map(|_| 0),
        "dev" => dev(rest).map(|_| 0),
        "test" => Ok(testing::test_all(rest)),
        "bench" => bench(rest).map(|_| 0),
        "setup" => {
            tools::ensure(Needs::Test, Mode::Install)?;
            let py = tools::python_peers(Mode::Install)?;
            println!("Python peers ready: {py}");
            Ok(0)
        }
        "doctor" => {
            let r = tools::ensure(Needs::Test, Mode::CheckOnly);
            match tools::python_peers(Mode::CheckOnly) {
                Ok(py) => println!("  [ok     ] python peers               {py}"),
                Err(why) => println!("  [MISSING] python peers               {why}: `cargo xtask setup` installs them"),
            }
            r.map(|_| 0)
        }
        "post-build" => postbuild::run_hook().map(|_| 0),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(0)
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

/// Split `[--port P] [-- extra...]`.
fn parse_run_args(args: &[String]) -> Result<(u16, Vec<String>)> {
    let mut port = 5000u16;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--" => return Ok((port, args[i + 1..].to_vec())),
            "--port" => {
                port = args
                    .get(i + 1)
                    .and_then(|p| p.parse().ok())
                    .ok_or("--port needs a number")?;
                i += 2;
            }
            other => {
                return Err(format!(
                    "unexpected argument `{other}` (server flags go after `--`)"
                ))
            }
        }
    }
    Ok((port, Vec::new()))
}

fn check_port_free(port: u16) -> Result {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "port {port} on 127.0.0.1 is in use ({e}). Another `cargo xtask run`/`dev`, or your own Flask app?\n  \
             See who holds it: `ss -ltnp 'sport = :{port}'`. Stop it, or pick another port: `cargo xtask run --port 5001`."
        )),
    }
}

/// `cargo build [--release] -p greeting-server`, returning the binary's path (from cargo's JSON).
pub fn build_server(release: bool) -> Result<std::path::PathBuf> {
    let mut c = cmd("cargo");
    c.args([
        "build",
        "-p",
        "greeting-server",
        "--bin",
        "greeting-server",
        "--message-format=json-render-diagnostics",
    ]);
    if release {
        c.arg("--release");
    }
    let (res, lines) = proc::run_capture(c, limits::SERVER_BUILD);
    res?;
    test_support::executable_in(&lines.join("\n"), "greeting-server")
        .ok_or_else(|| "cargo built greeting-server but reported no executable".to_string())
}

/// Start greeting-server and wait for its `listening on` line; its output keeps streaming.
fn start_server(bin: &std::path::Path, args: &[String]) -> Result<(Child, String)> {
    let mut c = std::process::Command::new(bin);
    c.current_dir(root()).args(args);
    println!("$ {}", proc::describe(&c));
    let server = test_support::start_listening(
        c,
        test_support::Announcing {
            stdout: test_support::Sink::Print,
            stderr: test_support::Sink::Print,
            own_process_group: true,
            spawn: proc::spawn,
            ..test_support::Announcing::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let url = server.url();
    Ok((server.into_child(), url))
}

fn run(args: &[String]) -> Result {
    let rebuild = args.iter().any(|a| a == "--rebuild");
    let args: Vec<String> = args.iter().filter(|a| *a != "--rebuild").cloned().collect();
    let (port, extra) = parse_run_args(&args)?;
    let t0 = Instant::now();
    proc::header("tools");
    tools::ensure(Needs::Build, Mode::Install)?;
    check_port_free(port)?;
    proc::header("building the page (trunk build --release, wasm-opt)");
    if !rebuild && release_page_is_fresh() {
        println!("dist/ holds a release build newer than every input of the page: not rebuilding (--rebuild forces it).");
    } else {
        build_release_page()?;
    }
    proc::header("building the greeting server (release)");
    let bin = build_server(true)?;
    proc::header("serving");
    let mut server_args: Vec<String> = vec![
        "--static".into(),
        "dist".into(),
        "--port".into(),
        port.to_string(),
    ];
    server_args.extend(extra);
    let (mut child, _addr) = start_server(&bin, &server_args)?;
    println!();
    println!(
        "Ready in {}. Open the playground: http://localhost:{port}/",
        proc::fmt_dur(t0.elapsed())
    );
    println!("(Ctrl-C stops the server.)");
    proc::flush();
    let st = child.wait().map_err(|e| e.to_string())?;
    proc::stop(&mut child);
    if st.success() {
        Ok(())
    } else {
        Err(format!(
            "greeting-server stopped ({})",
            proc::show_status(st)
        ))
    }
}

fn bench(args: &[String]) -> Result {
    let args = match args.first().map(String::as_str) {
        Some("--") => &args[1..],
        _ => args,
    };
    proc::header("tools");
    tools::ensure(Needs::Test, Mode::Install)?;
    if let Err(why) = tools::python_peers(Mode::Install) {
        println!("xtask: no Python peers ({why}): the benchmarks leave Flask and itsdangerous out");
    }
    if let Err(why) = tools::nginx_for_bench() {
        println!("xtask: no nginx ({why}): the benchmarks leave the nginx ceiling out");
    }
    proc::header("benchmarks (bench/, issue 6)");
    let mut c = cmd("cargo");
    c.args([
        "run",
        "-p",
        "benchmarks",
        "--release",
        "--bin",
        "run-benchmarks",
        "--",
    ])
    .args(args);
    proc::run(c, limits::BENCH)
}

fn dev(args: &[String]) -> Result {
    let (port, extra) = parse_run_args(args)?;
    if port != 5000 {
        println!("note: Trunk.toml's [[proxy]] points at port 5000; with --port {port} the proxy will not reach the server.");
    }
    proc::header("tools");
    tools::ensure(Needs::Build, Mode::Install)?;
    check_port_free(port)?;
    proc::header("greeting server (debug build)");
    let bin = build_server(false)?;
    let mut server_args: Vec<String> = vec!["--port".into(), port.to_string()];
    server_args.extend(extra);
    let (mut server, _) = start_server(&bin, &server_args)?;
    proc::header("trunk serve (live reload)");
    let mut c = cmd("trunk");
    c.arg("serve").stdin(Stdio::null());
    println!("$ {}", proc::describe(&c));
    let mut trunk = match proc::spawn(c) {
        Ok(ch) => ch,
        Err(e) => {
            proc::stop(&mut server);
            return Err(format!("could not start trunk: {e}"));
        }
    };
    println!(
        "\nThe page: http://localhost:8080/ (rebuilt and reloaded when src/, content/ or style/ change; \
         the first build takes a while).\nThe greeting server: http://127.0.0.1:{port}/greeting. Ctrl-C stops both."
    );
    proc::flush();
    // Ctrl-C or a signal to the xtask stops both (proc::stop_children_on_signal). If either
    // ends on its own, stop the other so nothing is left running.
    loop {
        if let Ok(Some(st)) = server.try_wait() {
            proc::stop(&mut trunk);
            return if st.success() {
                Ok(())
            } else {
                Err(format!(
                    "greeting-server stopped ({})",
                    proc::show_status(st)
                ))
            };
        }
        if let Ok(Some(st)) = trunk.try_wait() {
            proc::stop(&mut server);
            return if st.success() {
                Ok(())
            } else {
                Err(format!("trunk serve stopped ({})", proc::show_status(st)))
            };
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

// ---------------------------------------------------------------------------------------------
// The release page and its freshness stamp

/// What the page is built from: a change to any of these means dist/ is out of date.
const PAGE_INPUTS: &[&str] = &[
    "index.html",
    "Trunk.toml",
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "build",
    "assets",
    "xtask/src/postbuild.rs",
    "src",
    "style",
    "content",
    "crates/flask-cookie/Cargo.toml",
    "crates/flask-cookie/src",
    "crates/greeting-core/Cargo.toml",
    "crates/greeting-core/src",
];

fn stamp_path() -> std::path::PathBuf {
    root().join("target").join("xtask-release-page.stamp")
}

fn newest_mtime(p: &std::path::Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(p).ok()?;
    if meta.is_dir() {
        std::fs::read_dir(p)
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| newest_mtime(&e.path()))
            .max()
    } else {
        meta.modified().ok()
    }
}

/// dist/index.html's size and modification time, as the stamp records them.
fn dist_signature() -> Option<String> {
    let m = std::fs::metadata(root().join("dist").join("index.html")).ok()?;
    let t = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{} {}", m.len(), t.as_nanos()))
}

/// dist/ is the release build this xtask made (the stamp matches dist/index.html, so no other
/// build replaced it since) and no input of the page changed after it.
pub fn release_page_is_fresh() -> bool {
    let (Ok(stamp), Some(sig)) = (std::fs::read_to_string(stamp_path()), dist_signature()) else {
        return false;
    };
    let mut lines = stamp.lines();
    // Line 1: dist/index.html's signature; line 2: when that build started (inputs changed
    // after that moment may have been missed by it).
    if lines.next() != Some(sig.as_str()) {
        return false;
    }
    let Some(started) = lines.next().and_then(|l| l.parse::<u64>().ok()) else {
        return false;
    };
    let started = std::time::UNIX_EPOCH + Duration::from_nanos(started);
    PAGE_INPUTS
        .iter()
        .filter_map(|p| newest_mtime(&root().join(p)))
        .all(|t| t < started)
}

/// `trunk build --release` (wasm-opt runs in release builds), then record the stamp.
pub fn build_release_page() -> Result {
    let _ = std::fs::remove_file(stamp_path());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut t = cmd("trunk");
    t.args(["build", "--release"]);
    proc::run(t, limits::RELEASE_PAGE)?;
    if let Some(sig) = dist_signature() {
        let _ = std::fs::create_dir_all(root().join("target"));
        let _ = std::fs::write(stamp_path(), format!("{sig}\n{started}\n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_server_returns_the_url_it_announced_and_an_exit_before_is_an_error() {
        let bin = test_support::build_binary("greeting-server", "greeting-server", false).unwrap();
        let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (mut child, url) =
            start_server(&bin, &flags(&["--port", "0", "--bind", "127.0.0.1"])).unwrap();
        let port: u16 = url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{url}"));
        assert!(test_support::wait_for_port(port, Duration::from_secs(2)));
        let leader = child.id();
        proc::stop(&mut child);
        assert!(!test_support::process_group_alive(leader));

        let err = start_server(&bin, &flags(&["--port", "0", "--user", "nocolon"])).unwrap_err();
        assert!(err.starts_with("greeting-server exited"), "{err}");
    }
}
