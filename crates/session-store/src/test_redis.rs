//! A throwaway `redis-server` for tests: started on a free loopback port with no persistence
//! (`--save "" --appendonly no`), stopped when dropped. Compiled with the `test-redis` feature.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The program started: `REDIS_SERVER` when set, else `redis-server` from PATH.
pub const REDIS_SERVER_ENV: &str = "REDIS_SERVER";

/// How long a started server gets to answer `PING`.
const READY_WITHIN: Duration = Duration::from_secs(5);

/// A running `redis-server`, stopped on drop.
pub struct TestRedis {
    child: Child,
    port: u16,
}

impl TestRedis {
    /// Starts one, or says why it cannot (not installed, or it did not come up); the caller
    /// turns that into a counted skip or a failure.
    pub fn start() -> Result<TestRedis, String> {
        let program = std::env::var(REDIS_SERVER_ENV).unwrap_or_else(|_| "redis-server".into());
        let mut last_error = String::new();
        // The free port is let go before redis-server binds it; another process may take it
        // in between, so a server that does not come up is tried again on another port.
        for _ in 0..3 {
            let port =
                test_support::free_port().map_err(|e| format!("no free loopback port: {e}"))?;
            let child = spawn(&program, port)?;
            let mut redis = TestRedis { child, port };
            match redis.wait_ready() {
                Ok(()) => return Ok(redis),
                Err(e) => last_error = e,
            }
        }
        Err(format!("`{program}` did not answer PING: {last_error}"))
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server and starts a new one on the same port (empty: nothing is persisted),
    /// as a restarted Redis looks to its clients.
    pub fn restart(&mut self) -> Result<(), String> {
        test_support::stop_child(&mut self.child, test_support::STOP_GRACE);
        let program = std::env::var(REDIS_SERVER_ENV).unwrap_or_else(|_| "redis-server".into());
        self.child = spawn(&program, self.port)?;
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("it exited ({status})"));
            }
            if ping(self.port) {
                return Ok(());
            }
            if started.elapsed() > READY_WITHIN {
                return Err(format!("no answer within {READY_WITHIN:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        test_support::stop_child(&mut self.child, test_support::STOP_GRACE);
    }
}

/// `redis-server` on loopback `port`, persisting nothing.
fn spawn(program: &str, port: u16) -> Result<Child, String> {
    Command::new(program)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .args(["--loglevel", "warning"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start `{program}`: {e} (Debian: `apt-get install redis-server`; \
                 `cargo xtask setup` installs it; or set {REDIS_SERVER_ENV})"
            )
        })
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut answer = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG\r\n"
}
