//! Starting and stopping the servers under test, each on a free loopback port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use test_support::{free_port, workspace_root};

/// Cargo's target directory for this workspace.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_relative() {
                workspace_root().join(dir)
            } else {
                dir
            }
        }
        None => workspace_root().join("target"),
    }
}

/// A server process under test. Stopped (SIGTERM, then SIGKILL) when dropped.
pub struct ServerProc {
    pub name: String,
    pub addr: SocketAddr,
    child: Option<Child>,
}

impl ServerProc {
    /// Starts a program that prints `... listening on http://ADDR` on stdout (greeting-server,
    /// hello-server) and waits for that line; its output is dropped (it logs every request).
    pub fn start_announcing(
        name: &str,
        command: Command,
        within: Duration,
    ) -> Result<ServerProc, String> {
        let server = test_support::start_listening(
            command,
            test_support::Announcing {
                within,
                ..test_support::Announcing::default()
            },
        )
        .map_err(|e| format!("{name}: {e}"))?;
        Ok(ServerProc {
            name: name.to_string(),
            addr: server.addr(),
            child: Some(server.into_child()),
        })
    }

    /// Starts a program told to listen on `port` (the Python peers) and waits until the port
    /// accepts connections.
    pub fn start_on_port(
        name: &str,
        mut command: Command,
        port: u16,
        within: Duration,
        log: Option<&Path>,
    ) -> Result<ServerProc, String> {
        command.stdin(Stdio::null());
        match log.and_then(|p| std::fs::File::create(p).ok()) {
            Some(file) => {
                let err = file
                    .try_clone()
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null());
                command.stdout(Stdio::from(file)).stderr(err);
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        let child = command
            .spawn()
            .map_err(|e| format!("{name}: cannot start {:?}: {e}", command.get_program()))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut proc = ServerProc {
            name: name.to_string(),
            addr,
            child: Some(child),
        };
        let until = Instant::now() + within;
        loop {
            if test_support::wait_for_port(port, Duration::from_millis(200)) {
                return Ok(proc);
            }
            if let Some(st) = proc
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(format!(
                    "{name} exited before it listened ({st}){}",
                    log.map(|p| format!("; see {}", p.display()))
                        .unwrap_or_default()
                ));
            }
            if Instant::now() > until {
                return Err(format!(
                    "{name} did not accept connections on {addr} within {within:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// SIGINT, up to 5 s for a clean exit, then SIGKILL.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            test_support::stop_child(&mut child, test_support::STOP_GRACE);
        }
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs a command and returns its trimmed stdout (or stderr when stdout is empty), if it ran.
pub fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    Some(String::from_utf8_lossy(&text).trim().to_string())
}
