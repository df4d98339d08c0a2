//! Starting the real `greeting-server` binary on a free loopback port, and small helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const KEY: &str = "playground-demo-secret";
pub const VISIT1_PAYLOAD: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9";
pub const VISIT2_PAYLOAD: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9";
pub const VISIT3_PAYLOAD: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjN9";
pub const WELCOME: &str = "{\n  \"message\": \"Welcome, cobra!\"\n}\n";

/// A running server, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
    pub base: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// `greeting-server --port 0 ARGS...` (with `--bind 127.0.0.1` unless ARGS bind elsewhere).
    pub fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_greeting-server"));
        command.args(["--port", "0"]);
        if !args.contains(&"--bind") {
            command.args(["--bind", "127.0.0.1"]);
        }
        command.args(args);
        command.env_remove("GREETING_SECRET_KEY");
        for (k, v) in env {
            command.env(k, v);
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start greeting-server");

        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });

        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("greeting-server listening on http://") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("no listening line; stderr:\n{}", stderr.lock().unwrap());
            }
        };
        Server {
            child,
            base: format!("http://{addr}"),
            addr,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client without a cookie store (like plain `requests.get`).
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// A client with a cookie store (like a `requests.Session`).
pub fn session_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// The `session=VALUE` value of a response's `Set-Cookie`, and its attributes.
pub fn set_cookie(response: &reqwest::Response) -> Option<(String, String)> {
    let header = response.headers().get("set-cookie")?.to_str().ok()?;
    let (first, attributes) = header.split_once("; ").unwrap_or((header, ""));
    let value = first.strip_prefix("session=")?;
    Some((value.to_string(), attributes.to_string()))
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A Python interpreter (python3, else /tmp/flaskvenv/bin/python) that can import `modules`, or why not.
pub fn python_with(modules: &str) -> Result<String, String> {
    let mut reasons = Vec::new();
    for python in ["python3", "/tmp/flaskvenv/bin/python"] {
        match Command::new(python)
            .args(["-c", &format!("import {modules}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
        {
            Ok(out) if out.status.success() => return Ok(python.to_string()),
            Ok(out) => reasons.push(format!(
                "{python}: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("import failed")
            )),
            Err(e) => reasons.push(format!("{python}: {e}")),
        }
    }
    Err(reasons.join("; "))
}

/// Runs a command to completion within a time limit; (status ok, stdout, stderr).
pub fn run_with_timeout(command: &mut Command, limit: Duration) -> (bool, String, String) {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    match status {
        Some(s) => (s.success(), stdout, stderr),
        None => (
            false,
            stdout,
            format!("timed out after {limit:?}\n{stderr}"),
        ),
    }
}
