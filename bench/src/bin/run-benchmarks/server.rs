//! The greeting server under load beside its peers: the hyper and nginx hello ceilings, the Flask
//! development server and gunicorn, each on a free loopback port, measured in interleaved rounds.

use crate::options::Options;
use crate::report::{micros, thousands, Report};
use crate::{say, SECRET_KEY};
use benchmarks::load::{run_load, Check, LoadResult, LoadSpec};
use benchmarks::procs::{free_port, target_dir, workspace_root, ServerProc};
use benchmarks::stats::median;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub const TARGET_VS_FLASK_DEV: f64 = 80.0;
pub const TARGET_VS_HYPER: f64 = 0.70;
/// Issue 13's floor for a change that trades speed for simpler code: at this many connections
/// the server still does this many times Flask's development server and this share of nginx.
pub const FLOOR_CONNECTIONS: usize = 16;
pub const FLOOR_VS_FLASK_DEV: f64 = 55.0;
pub const FLOOR_VS_NGINX: f64 = 0.60;
/// glibc tunables that stop it from giving freed heap back to the kernel (diagnostic run only).
const NO_TRIM_TUNABLES: &str =
    "glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=268435456";

#[derive(Clone, Debug)]
pub struct ServerUnderTest {
    pub key: &'static str,
    pub label: String,
    pub check: Check,
    pub path: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct ServerSection {
    /// In the order measured: key, label, what it is.
    pub servers: Vec<(String, String)>,
    pub skipped: Vec<(String, String)>,
    /// (server key, connections) -> one result per repeat.
    pub runs: BTreeMap<(String, usize), Vec<LoadResult>>,
}

impl ServerSection {
    pub fn med(&self, key: &str, c: usize, f: impl Fn(&LoadResult) -> f64) -> Option<f64> {
        let runs = self.runs.get(&(key.to_string(), c))?;
        Some(median(&runs.iter().map(f).collect::<Vec<_>>()))
    }
    pub fn throughput(&self, key: &str, c: usize) -> Option<f64> {
        self.med(key, c, LoadResult::throughput)
    }
}

pub fn build_binaries() -> Result<(PathBuf, PathBuf), String> {
    say("building greeting-server and hello-server (cargo build --release)");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace_root())
        .args([
            "build",
            "--release",
            "-p",
            "greeting-server",
            "--bin",
            "greeting-server",
            "-p",
            "benchmarks",
            "--bin",
            "hello-server",
        ])
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --release failed ({status})"));
    }
    let release = target_dir().join("release");
    Ok((
        release.join("greeting-server"),
        release.join("hello-server"),
    ))
}

pub fn server_benchmarks(
    options: &Options,
    greeting_bin: &Path,
    hello_bin: &Path,
    python: Option<&PathBuf>,
    artifacts: &Path,
) -> Result<ServerSection, String> {
    let mut section = ServerSection::default();
    let mut procs: Vec<(ServerUnderTest, ServerProc)> = Vec::new();
    let within = Duration::from_secs(30);

    // The Rust greeting server, as shipped.
    let c = greeting_command(greeting_bin);
    let p = ServerProc::start_announcing("greeting-server", c, within)?;
    procs.push((
        ServerUnderTest {
            key: "greeting",
            label: "greeting-server (Rust, axum)".into(),
            check: Check::Greeting,
            path: "/greeting",
        },
        p,
    ));

    // Issue 19's server-side sessions: the id in the cookie, the session in the server's memory,
    // then in Redis (a throwaway redis-server on a free loopback port, no persistence).
    let mut c = greeting_command(greeting_bin);
    c.args(["--sessions", "server"]);
    match ServerProc::start_announcing("greeting-server --sessions server", c, within) {
        Ok(p) => procs.push((
            ServerUnderTest {
                key: "greeting_server_memory",
                label: "greeting-server, sessions in memory".into(),
                check: Check::Greeting,
                path: "/greeting",
            },
            p,
        )),
        Err(e) => section
            .skipped
            .push(("greeting-server --sessions server".into(), e)),
    }
    let redis = match session_store::test_redis::TestRedis::start() {
        Ok(redis) => Some(redis),
        Err(e) => {
            section
                .skipped
                .push(("greeting-server, sessions in Redis".into(), e));
            None
        }
    };
    if let Some(redis) = &redis {
        let mut c = greeting_command(greeting_bin);
        c.args(["--sessions", "server", "--session-store", &redis.url()]);
        match ServerProc::start_announcing("greeting-server --session-store redis", c, within) {
            Ok(p) => procs.push((
                ServerUnderTest {
                    key: "greeting_server_redis",
                    label: "greeting-server, sessions in Redis".into(),
                    check: Check::Greeting,
                    path: "/greeting",
                },
                p,
            )),
            Err(e) => section
                .skipped
                .push(("greeting-server, sessions in Redis".into(), e)),
        }
    }

    // A diagnostic, not the shipped configuration: the same binary with glibc's heap trimming
    // off, which shows how much of its time goes to the kernel faulting freed memory back in
    // (see the profile notes).
    if !options.no_diagnostics {
        let mut c = greeting_command(greeting_bin);
        c.env("GLIBC_TUNABLES", NO_TRIM_TUNABLES);
        match ServerProc::start_announcing("greeting-server (no heap trim)", c, within) {
            Ok(p) => procs.push((
                ServerUnderTest {
                    key: "greeting_notrim",
                    label: "diagnostic: greeting-server, glibc heap trimming off".into(),
                    check: Check::Greeting,
                    path: "/greeting",
                },
                p,
            )),
            Err(e) => section
                .skipped
                .push(("diagnostic greeting-server".into(), e)),
        }
    }

    // The ceiling.
    let mut c = Command::new(hello_bin);
    c.args(["--port", "0", "--bind", "127.0.0.1"]);
    match ServerProc::start_announcing("hello-server", c, within) {
        Ok(p) => procs.push((
            ServerUnderTest {
                key: "hello",
                label: "hyper hello (ceiling)".into(),
                check: Check::Status200,
                path: "/",
            },
            p,
        )),
        Err(e) => section.skipped.push(("hyper hello".into(), e)),
    }

    // A second ceiling: nginx answering `return 200` (Debian's, one worker per core).
    match start_nginx(artifacts, within) {
        Ok(p) => procs.push((
            ServerUnderTest {
                key: "nginx",
                label: format!("nginx hello ({} workers, `return 200`)", cores()),
                check: Check::Status200,
                path: "/",
            },
            p,
        )),
        Err(e) => section.skipped.push(("nginx hello".into(), e)),
    }

    // The Python peers.
    let peers = workspace_root().join("bench/peers");
    match python {
        None => {
            section.skipped.push((
                "Flask development server".into(),
                "no Python with Flask (see the notes)".into(),
            ));
            section.skipped.push((
                "gunicorn".into(),
                "no Python with Flask (see the notes)".into(),
            ));
        }
        Some(py) => {
            let port = free_port().map_err(|e| e.to_string())?;
            let mut c = Command::new(py);
            c.arg(peers.join("flask_app.py"))
                .args(["--port", &port.to_string()])
                .env("SECRET_KEY", SECRET_KEY);
            match ServerProc::start_on_port(
                "Flask development server",
                c,
                port,
                within,
                Some(&artifacts.join("flask-dev.log")),
            ) {
                Ok(p) => procs.push((
                    ServerUnderTest {
                        key: "flask_dev",
                        label: "Flask development server (Werkzeug, threaded)".into(),
                        check: Check::Greeting,
                        path: "/greeting",
                    },
                    p,
                )),
                Err(e) => section.skipped.push(("Flask development server".into(), e)),
            }
            let gunicorn = py.with_file_name("gunicorn");
            if gunicorn.is_file() {
                let port = free_port().map_err(|e| e.to_string())?;
                let mut c = Command::new(&gunicorn);
                c.args([
                    "--workers",
                    &options.gunicorn_workers().to_string(),
                    "--bind",
                    &format!("127.0.0.1:{port}"),
                ])
                .args(["--log-level", "warning", "--chdir"])
                .arg(&peers)
                .arg("flask_app:app")
                .env("SECRET_KEY", SECRET_KEY);
                match ServerProc::start_on_port(
                    "gunicorn",
                    c,
                    port,
                    within,
                    Some(&artifacts.join("gunicorn.log")),
                ) {
                    Ok(p) => procs.push((
                        ServerUnderTest {
                            key: "gunicorn",
                            label: format!(
                                "gunicorn ({} sync workers)",
                                options.gunicorn_workers()
                            ),
                            check: Check::Greeting,
                            path: "/greeting",
                        },
                        p,
                    )),
                    Err(e) => section.skipped.push(("gunicorn".into(), e)),
                }
            } else {
                section.skipped.push((
                    "gunicorn".into(),
                    format!("{} is missing (pip install gunicorn)", gunicorn.display()),
                ));
            }
        }
    }
    for (name, why) in &section.skipped {
        say(format!("skipped {name}: {why}"));
    }
    for (s, p) in &procs {
        section.servers.push((s.key.to_string(), s.label.clone()));
        say(format!(
            "{} on {} (pid {})",
            s.label,
            p.addr,
            p.pid().unwrap_or(0)
        ));
    }

    let spec_for = |s: &ServerUnderTest, p: &ServerProc, connections: usize, secs: f64| {
        let mut spec = LoadSpec::new(
            p.addr,
            s.path,
            connections,
            Duration::from_secs_f64(secs),
            s.check.clone(),
        );
        spec.client_threads = options.client_threads;
        spec
    };
    if options.warmup > 0.0 {
        for (s, p) in &procs {
            let c = options.connections.iter().copied().max().unwrap_or(1);
            let r = run_load(&spec_for(s, p, c, options.warmup)).map_err(|e| e.to_string())?;
            say(format!(
                "warm-up {}: {:.0} req/s, errors: {}",
                s.label,
                r.throughput(),
                r.error_summary()
            ));
        }
    }
    // Rounds: every server at every connection count, then again; interleaving spreads any drift
    // of the machine over all servers alike.
    let planned = options.repeats() * procs.len() * options.connections.len();
    say(format!(
        "{planned} load runs of {} s each (about {:.0} s)",
        options.duration,
        planned as f64 * options.duration
    ));
    for round in 1..=options.repeats() {
        for (s, p) in &procs {
            for &c in &options.connections {
                let r =
                    run_load(&spec_for(s, p, c, options.duration)).map_err(|e| e.to_string())?;
                say(format!(
                    "round {round}/{}: {:<45} {:>3} conn: {:>9.0} req/s, p50 {:>8.0} µs, p99 {:>8.0} µs, errors: {}",
                    options.repeats(),
                    s.label,
                    c,
                    r.throughput(),
                    r.latency_us(0.5),
                    r.latency_us(0.99),
                    r.error_summary()
                ));
                section
                    .runs
                    .entry((s.key.to_string(), c))
                    .or_default()
                    .push(r);
            }
        }
    }
    for (_, mut p) in procs {
        p.stop();
    }
    drop(redis);
    Ok(section)
}

/// greeting-server on a free loopback port, signing with the benchmark's key.
pub fn greeting_command(greeting_bin: &Path) -> Command {
    let mut c = Command::new(greeting_bin);
    c.args([
        "--port",
        "0",
        "--bind",
        "127.0.0.1",
        "--secret-key",
        SECRET_KEY,
    ]);
    c
}

/// "1 connection", "16 connections".
fn connections(c: usize) -> String {
    if c == 1 {
        "1 connection".into()
    } else {
        format!("{c} connections")
    }
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Debian's nginx (`cargo xtask bench` installs it) on a free loopback port: one worker per core,
/// access log off, `return 200` with the hyper hello's body. Its files live in
/// bench-artifacts/nginx/.
fn start_nginx(artifacts: &Path, within: Duration) -> Result<ServerProc, String> {
    let nginx = test_support::which("nginx")
        .or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|p| p.is_file()))
        .ok_or(
            "nginx is not installed (Debian: apt-get install nginx; `cargo xtask bench` does it)",
        )?;
    let prefix = artifacts.join("nginx");
    std::fs::create_dir_all(prefix.join("logs"))
        .map_err(|e| format!("{}: {e}", prefix.display()))?;
    let port = free_port().map_err(|e| e.to_string())?;
    let conf = prefix.join("nginx.conf");
    std::fs::write(&conf, nginx_config(port, cores(), &prefix))
        .map_err(|e| format!("{}: {e}", conf.display()))?;
    let mut c = Command::new(&nginx);
    c.arg("-p").arg(&prefix).arg("-c").arg(&conf);
    ServerProc::start_on_port(
        "nginx",
        c,
        port,
        within,
        Some(&prefix.join("logs").join("stderr.log")),
    )
}

/// The whole nginx.conf of the nginx ceiling.
fn nginx_config(port: u16, workers: usize, prefix: &Path) -> String {
    let p = prefix.display();
    format!(
        "daemon off;\n\
         worker_processes {workers};\n\
         pid {p}/nginx.pid;\n\
         error_log {p}/logs/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n\
         \x20   access_log off;\n\
         \x20   client_body_temp_path {p}/client_body;\n\
         \x20   proxy_temp_path {p}/proxy;\n\
         \x20   fastcgi_temp_path {p}/fastcgi;\n\
         \x20   uwsgi_temp_path {p}/uwsgi;\n\
         \x20   scgi_temp_path {p}/scgi;\n\
         \x20   server {{\n\
         \x20       listen 127.0.0.1:{port};\n\
         \x20       location / {{ return 200 \"Hello, world!\"; }}\n\
         \x20   }}\n\
         }}\n"
    )
}

impl Report {
    pub fn server_markdown(&self, md: &mut String, s: &ServerSection) {
        let o = &self.options;
        let _ = writeln!(md, "\n## The greeting server under load\n");
        let _ = writeln!(
            md,
            "`GET /greeting` with Basic auth (cobra/hiss); each connection keeps its own session cookie and sends the one it was last \
             given, so every request verifies a cookie, counts a visit and signs a new cookie. Every answer is checked (status 200, a new \
             `session` cookie, the visit one more than the last); anything else counts as an error. The load generator \
             (bench/src/load.rs) runs closed-loop over raw tokio TCP with keep-alive, {} client thread(s), on the same {}-core machine \
             as the server; each run lasts {} s after a {} s warm-up per server. Servers that close the connection after each answer \
             (Werkzeug, gunicorn's sync workers) get a new connection per request, and its connect is part of the latency. \
             The hyper hello answers `GET /` with `Hello, world!` and checks nothing: the ceiling for any HTTP/1.1 server here; \
             the nginx hello (Debian's nginx, one worker per core, access log off, `return 200` with the same body) is the second ceiling.\n",
            o.client_threads, self.machine.cores, o.duration, o.warmup
        );
        for (name, why) in &s.skipped {
            let _ = writeln!(md, "- Skipped: {name}: {why}");
        }
        if !s.skipped.is_empty() {
            md.push('\n');
        }
        let _ = writeln!(md, "| server | connections | requests/s | p50 | p99 | errors | TCP connects | keep-alive |");
        let _ = writeln!(
            md,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
        );
        for (key, label) in &s.servers {
            for &c in &o.connections {
                let Some(runs) = s.runs.get(&(key.clone(), c)) else {
                    continue;
                };
                let errors: u64 = runs.iter().map(|r| r.errors).sum();
                let _ = writeln!(
                    md,
                    "| {label} | {c} | {} | {} | {} | {} | {} | {} |",
                    thousands(s.throughput(key, c).unwrap_or(0.0)),
                    micros(s.med(key, c, |r| r.latency_us(0.5)).unwrap_or(0.0)),
                    micros(s.med(key, c, |r| r.latency_us(0.99)).unwrap_or(0.0)),
                    errors,
                    thousands(s.med(key, c, |r| r.connects as f64).unwrap_or(0.0)),
                    if runs.iter().all(LoadResult::keep_alive) {
                        "yes"
                    } else {
                        "no"
                    },
                );
            }
        }
        let _ = writeln!(
            md,
            "\nErrors are summed over all {} runs; the other columns are medians.",
            o.repeats()
        );
        if s.servers.iter().any(|(k, _)| k == "greeting_notrim") {
            let _ = writeln!(
                md,
                "The diagnostic row is the same greeting-server binary started with `GLIBC_TUNABLES={NO_TRIM_TUNABLES}` \
                 (glibc keeps freed heap instead of handing it back to the kernel): not how it ships, and not in the ratios; \
                 see the profile notes."
            );
        }
        md.push('\n');

        let _ = writeln!(md, "### Ratios (same run)\n");
        let _ = writeln!(
            md,
            "| connections | vs Flask dev server (target ≥ {TARGET_VS_FLASK_DEV:.0}×; floor ≥ {FLOOR_VS_FLASK_DEV:.0}× at {FLOOR_CONNECTIONS}) | vs gunicorn | vs hyper hello (target ≥ {:.0}%) | vs nginx hello (floor ≥ {:.0}% at {FLOOR_CONNECTIONS}) |",
            TARGET_VS_HYPER * 100.0,
            FLOOR_VS_NGINX * 100.0
        );
        let _ = writeln!(md, "| ---: | ---: | ---: | ---: | ---: |");
        for &c in &o.connections {
            let g = s.throughput("greeting", c);
            let ratio = |other: &str| -> Option<f64> {
                let x = s.throughput(other, c)?;
                let g = g?;
                (x > 0.0).then(|| g / x)
            };
            let flask_what = format!(
                "greeting-server vs Flask's development server, {}",
                connections(c)
            );
            let flask_wanted = format!("≥ {TARGET_VS_FLASK_DEV:.0}×");
            let flask = match ratio("flask_dev") {
                Some(r) => format!(
                    "{r:.1}× {}",
                    self.target(
                        flask_what,
                        format!("{r:.1}×"),
                        flask_wanted,
                        Some(r >= TARGET_VS_FLASK_DEV)
                    )
                ),
                None => {
                    self.target(flask_what, "not measured", flask_wanted, None);
                    "not measured".into()
                }
            };
            let gunicorn = match ratio("gunicorn") {
                Some(r) => format!("{r:.1}×"),
                None => "not measured".into(),
            };
            let hyper_what = format!("greeting-server vs the hyper hello, {}", connections(c));
            let hyper_wanted = format!("≥ {:.0}%", TARGET_VS_HYPER * 100.0);
            let hyper = match ratio("hello") {
                Some(r) => format!(
                    "{:.0}% {}",
                    r * 100.0,
                    self.target(
                        hyper_what,
                        format!("{:.0}%", r * 100.0),
                        hyper_wanted,
                        Some(r >= TARGET_VS_HYPER)
                    )
                ),
                None => {
                    self.target(hyper_what, "not measured", hyper_wanted, None);
                    "not measured".into()
                }
            };
            let mut nginx = match ratio("nginx") {
                Some(r) => format!("{:.0}%", r * 100.0),
                None => "not measured".into(),
            };
            if c == FLOOR_CONNECTIONS {
                let flask_floor = ratio("flask_dev");
                self.target(
                    format!(
                        "floor: greeting-server vs Flask's development server, {}",
                        connections(c)
                    ),
                    flask_floor.map_or("not measured".into(), |r| format!("{r:.1}×")),
                    format!("≥ {FLOOR_VS_FLASK_DEV:.0}×"),
                    flask_floor.map(|r| r >= FLOOR_VS_FLASK_DEV),
                );
                let nginx_floor = ratio("nginx");
                let verdict = self.target(
                    format!(
                        "floor: greeting-server vs the nginx hello, {}",
                        connections(c)
                    ),
                    nginx_floor.map_or("not measured".into(), |r| format!("{:.0}%", r * 100.0)),
                    format!("≥ {:.0}%", FLOOR_VS_NGINX * 100.0),
                    nginx_floor.map(|r| r >= FLOOR_VS_NGINX),
                );
                if nginx_floor.is_some() {
                    nginx = format!("{nginx} {verdict}");
                }
            }
            let _ = writeln!(md, "| {c} | {flask} | {gunicorn} | {hyper} | {nginx} |");
        }

        let _ = writeln!(
            md,
            "\n<details><summary>Every run (requests/s, p50, p99, errors)</summary>\n"
        );
        for (key, label) in &s.servers {
            for &c in &o.connections {
                let Some(runs) = s.runs.get(&(key.clone(), c)) else {
                    continue;
                };
                let each: Vec<String> = runs
                    .iter()
                    .map(|r| {
                        format!(
                            "{} ({}, {}, {})",
                            thousands(r.throughput()),
                            micros(r.latency_us(0.5)),
                            micros(r.latency_us(0.99)),
                            r.error_summary()
                        )
                    })
                    .collect();
                let visits = runs.iter().map(|r| r.max_visit).max().unwrap_or(0);
                let _ = writeln!(
                    md,
                    "- {label}, {c} conn: {}{}",
                    each.join("; "),
                    if key == "hello" || key == "nginx" {
                        String::new()
                    } else {
                        format!("; highest visit reached: #{visits}")
                    }
                );
            }
        }
        let _ = writeln!(md, "\n</details>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nginx_config_listens_on_loopback_with_one_worker_per_core_and_no_access_log() {
        let conf = nginx_config(40125, 2, Path::new("/tmp/bench-nginx"));
        for line in [
            "daemon off;",
            "worker_processes 2;",
            "access_log off;",
            "listen 127.0.0.1:40125;",
            "return 200 \"Hello, world!\";",
            "pid /tmp/bench-nginx/nginx.pid;",
        ] {
            assert!(conf.contains(line), "{line} in\n{conf}");
        }
    }
}
