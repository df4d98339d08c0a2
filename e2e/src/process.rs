//! The processes a scenario starts, each on an ephemeral loopback port and stopped when dropped:
//! the real greeting server, a plain static host, a Python peer, `trunk serve`; their output is
//! kept for the failure report.

use crate::prereqs::Prereqs;
use anyhow::{bail, ensure, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::{free_port, python_with, workspace_root, Announcing, Sink};

/// SIGINT (a clean shutdown), then SIGKILL after 5 s.
pub fn stop_child(child: &mut Child) {
    test_support::stop_child(child, test_support::STOP_GRACE);
}

/// The last lines a child printed (stdout and stderr), kept for the failure report.
pub type LogBuf = test_support::OutputLog;

pub(crate) fn spawn_logged(
    mut c: Command,
    tag: &'static str,
    echo: bool,
) -> Result<(Child, LogBuf)> {
    let what = format!("{c:?}");
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {what}"))?;
    let log = LogBuf::default();
    let echo_as = echo.then_some(tag);
    if let Some(o) = child.stdout.take() {
        log.follow(o, echo_as);
    }
    if let Some(e) = child.stderr.take() {
        log.follow(e, echo_as);
    }
    Ok((child, log))
}

// ---------------------------------------------------------------------------------------------
// The greeting server

pub struct Server {
    child: Option<Child>,
    pub port: u16,
    /// `http://127.0.0.1:PORT` (no trailing slash)
    pub base: String,
    pub log: LogBuf,
}

impl Server {
    /// Start the real binary on an ephemeral loopback port with `--static DIST` and `extra` flags;
    /// wait for its `greeting-server listening on http://ADDR:PORT` line.
    pub fn start(p: &Prereqs, extra: &[&str]) -> Result<Server> {
        Self::start_serving(p, true, extra)
    }

    /// The same without the page: only the greeting endpoints (behind `trunk serve`'s proxy).
    pub fn start_without_page(p: &Prereqs, extra: &[&str]) -> Result<Server> {
        Self::start_serving(p, false, extra)
    }

    fn start_serving(p: &Prereqs, serve_page: bool, extra: &[&str]) -> Result<Server> {
        let mut c = Command::new(&p.server_bin);
        c.current_dir(workspace_root())
            .args(["--bind", "127.0.0.1", "--port", "0"]);
        if serve_page {
            c.arg("--static").arg(&p.dist);
        }
        c.args(extra).env("NO_COLOR", "1");
        let log = LogBuf::default();
        let server = test_support::start_listening(
            c,
            Announcing {
                stdout: Sink::Keep(log.clone()),
                stderr: Sink::Keep(log.clone()),
                ..Announcing::default()
            },
        )?;
        let port = server.port();
        Ok(Server {
            child: Some(server.into_child()),
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
        })
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop_child(&mut c);
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// A plain static file server (no greeting endpoints): "the page opened from a static host"

pub struct StaticServer {
    pub base: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
    port: u16,
}

impl StaticServer {
    pub fn start(dir: &Path) -> Result<StaticServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (dir, stop2) = (dir.to_path_buf(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let dir = dir.clone();
                std::thread::spawn(move || {
                    let _ = serve_static(conn, &dir);
                });
            }
        });
        Ok(StaticServer {
            base: format!("http://127.0.0.1:{port}"),
            stop,
            port,
        })
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wake the accept loop
    }
}

fn serve_static(mut conn: TcpStream, dir: &Path) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("/").split('?').next().unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let file = if rel.is_empty() || rel.contains("..") {
        dir.join("index.html")
    } else {
        dir.join(rel)
    };
    let (status, body, ctype) = match (method, std::fs::read(&file)) {
        ("GET", Ok(b)) => ("200 OK", b, content_type(&file)),
        _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    conn.write_all(&body)?;
    conn.flush()
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Run a Python script with `requests` (PLAYGROUND_PYTHON or python3). Ok(None) when there is no such
/// Python (the caller skips), Ok(Some(stdout)) when it ran.
pub fn python_requests(script: &str, args: &[&str]) -> Result<Option<String>> {
    let Ok(py) = python_with("requests") else {
        return Ok(None);
    };
    let out = Command::new(&py)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("run {py}"))?;
    ensure!(
        out.status.success(),
        "the Python script failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// A Python program listening on a port (a learner's Flask app, say), stopped when dropped.
pub struct PythonPeer {
    child: Option<Child>,
    pub log: LogBuf,
}

impl PythonPeer {
    /// `python -c SCRIPT ARGS...`, then wait (30 s at most) until it listens on `port`.
    pub fn start(python: &str, script: &str, args: &[&str], port: u16) -> Result<PythonPeer> {
        let mut c = Command::new(python);
        c.arg("-c")
            .arg(script)
            .args(args)
            .env("PYTHONUNBUFFERED", "1");
        let (mut child, log) = spawn_logged(c, "python", false)?;
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(st)) = child.try_wait() {
                bail!("the Python peer exited ({st}):\n{}", log.text());
            }
            if t.elapsed() > Duration::from_secs(30) {
                stop_child(&mut child);
                bail!(
                    "the Python peer did not listen on port {port} within 30 s:\n{}",
                    log.text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(PythonPeer {
            child: Some(child),
            log,
        })
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop_child(&mut c);
        }
    }
}

/// `trunk serve` on a free port, its build output in `dist_dir`, its [[proxy]] entries (the
/// real Trunk.toml's) aimed at `backend_port` instead of 5000; waits until it answers HTTP. So it
/// runs beside a `cargo xtask run` or `dev` that holds ports 5000 and 8080.
pub struct TrunkServe {
    child: Option<Child>,
    pub port: u16,
    pub base: String,
    pub log: LogBuf,
}

impl TrunkServe {
    pub fn start(backend_port: u16, dist_dir: &Path, build_within: Duration) -> Result<TrunkServe> {
        let port = free_port()?;
        let config = trunk_config_for(backend_port, port)?;
        let trunk = std::env::var("TRUNK").unwrap_or_else(|_| "trunk".into());
        let mut c = Command::new(&trunk);
        c.current_dir(workspace_root())
            .arg("--config")
            .arg(&config)
            .args([
                "serve",
                "--address",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--no-autoreload",
            ])
            .arg("--dist")
            .arg(dist_dir)
            // Its cargo builds stop with it.
            .process_group(0);
        let (mut child, log) = spawn_logged(c, "trunk", std::env::var("E2E_VERBOSE").is_ok())?;
        let t = Instant::now();
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                bail!("trunk serve exited ({st}):\n{}", log.text());
            }
            if http_ok(port, "/") {
                break;
            }
            if t.elapsed() > build_within {
                test_support::stop_process_group(&mut child, test_support::STOP_GRACE);
                bail!(
                    "trunk serve did not serve the page within {build_within:?}:\n{}",
                    log.text()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Ok(TrunkServe {
            child: Some(child),
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
        })
    }
}

impl Drop for TrunkServe {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            test_support::stop_process_group(&mut c, test_support::STOP_GRACE);
        }
    }
}

/// The workspace's Trunk.toml with every [[proxy]] backend on `backend_port` and its paths made
/// absolute (Trunk reads a config's relative paths from the config's folder), written to
/// target/e2e-trunk/.
fn trunk_config_for(backend_port: u16, serve_port: u16) -> Result<std::path::PathBuf> {
    let root = workspace_root();
    let text = std::fs::read_to_string(root.join("Trunk.toml")).context("read Trunk.toml")?;
    let config = retarget_trunk_config(&text, &root, backend_port)?;
    let dir = root.join("target").join("e2e-trunk");
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let path = dir.join(format!("Trunk-{serve_port}.toml"));
    std::fs::write(&path, config).with_context(|| format!("write {}", path.display()))?;
    Ok(path)
}

/// [`trunk_config_for`]'s rewrite of Trunk.toml's text (the toml crate's parser and printer).
pub fn retarget_trunk_config(text: &str, root: &Path, backend_port: u16) -> Result<String> {
    let mut config: toml::Table = text.parse().context("parse Trunk.toml")?;
    let absolute = |v: &mut toml::Value| {
        if let Some(p) = v.as_str() {
            *v = toml::Value::String(root.join(p).to_string_lossy().into_owned());
        }
    };
    if let Some(build) = config.get_mut("build").and_then(|b| b.as_table_mut()) {
        for key in ["target", "dist"] {
            if let Some(v) = build.get_mut(key) {
                absolute(v);
            }
        }
    }
    if let Some(watch) = config.get_mut("watch").and_then(|w| w.as_table_mut()) {
        for key in ["watch", "ignore"] {
            if let Some(list) = watch.get_mut(key).and_then(|l| l.as_array_mut()) {
                list.iter_mut().for_each(absolute);
            }
        }
    }
    let proxies = config
        .get_mut("proxy")
        .and_then(|p| p.as_array_mut())
        .context("Trunk.toml has no [[proxy]]")?;
    for proxy in proxies.iter_mut() {
        let backend = proxy
            .get_mut("backend")
            .context("a [[proxy]] without a backend")?;
        let mut url = url::Url::parse(backend.as_str().context("a backend that is not a string")?)
            .context("a [[proxy]] backend that is not a URL")?;
        url.set_port(Some(backend_port))
            .map_err(|()| anyhow::anyhow!("cannot set the port of {url}"))?;
        *backend = toml::Value::String(url.to_string());
    }
    toml::to_string(&config).context("write the Trunk config")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The real binary, a one-file page in target/, and chromedriver's fields unused.
    fn server_prereqs() -> Prereqs {
        let dist = workspace_root()
            .join("target")
            .join("e2e-process-test-dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("index.html"), "<!doctype html><title>t</title>").unwrap();
        Prereqs {
            dist,
            server_bin: test_support::build_binary("greeting-server", "greeting-server", false)
                .unwrap(),
            chromedriver: PathBuf::new(),
            chromium: PathBuf::new(),
        }
    }

    #[test]
    fn the_server_starts_on_an_ephemeral_port_and_a_bad_flag_says_why() {
        let p = server_prereqs();
        let mut server = Server::start(&p, &[]).unwrap();
        assert!(http_ok(server.port, "/"), "{}", server.log.text());
        assert_eq!(
            server.url("/x"),
            format!("http://127.0.0.1:{}/x", server.port)
        );
        assert!(server.log.contains("listening on"), "{}", server.log.text());
        server.stop();
        assert!(!http_ok(server.port, "/"));

        let refused = Server::start(&p, &["--user", "nocolon"]).err().unwrap();
        let text = refused.to_string();
        assert!(text.contains("greeting-server exited"), "{text}");
        assert_eq!(text.matches("NAME:PASSWORD").count(), 1, "{text}");
    }

    #[test]
    fn the_trunk_config_keeps_the_proxies_on_another_port_with_absolute_paths() {
        let root = workspace_root();
        let text = std::fs::read_to_string(root.join("Trunk.toml")).unwrap();
        let out: toml::Table = retarget_trunk_config(&text, &root, 40123)
            .unwrap()
            .parse()
            .unwrap();
        let backends: Vec<&str> = out["proxy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["backend"].as_str().unwrap())
            .collect();
        let original: toml::Table = text.parse().unwrap();
        assert_eq!(backends.len(), original["proxy"].as_array().unwrap().len());
        for b in &backends {
            assert!(b.starts_with("http://127.0.0.1:40123/"), "{b}");
        }
        let target = out["build"]["target"].as_str().unwrap();
        assert_eq!(Path::new(target), root.join("index.html"));
        for w in out["watch"]["watch"].as_array().unwrap() {
            assert!(Path::new(w.as_str().unwrap()).is_absolute(), "{w}");
        }
    }
}

/// A plain `GET path` on loopback answered 200.
pub fn http_ok(port: u16, path: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return false;
    }
    let mut first = String::new();
    let _ = BufReader::new(s).read_line(&mut first);
    first.split_whitespace().nth(1) == Some("200")
}
