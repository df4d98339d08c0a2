//! Starting a server that announces itself (greeting-server, the benchmarks' hello-server): spawn
//! its command, read its stdout until a `listening on http://ADDR` line, and hand back the address
//! with a guard that stops the child when dropped. What the child printed goes where the caller
//! says (kept, printed, or dropped), and a start that fails says what it printed.

use crate::child::{stop_child, stop_process_group};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What marks the announcement in a stdout line; the URL follows it.
const ANNOUNCEMENT: &str = "listening on ";

/// How long a failed start waits for the rest of the child's output.
const READERS_GRACE: Duration = Duration::from_secs(1);

/// The last lines a child printed, shared with the thread that reads them.
#[derive(Clone, Debug)]
pub struct OutputLog {
    lines: Arc<Mutex<VecDeque<String>>>,
    keep: usize,
}

impl OutputLog {
    /// A log that keeps the last `keep` lines.
    pub fn keeping(keep: usize) -> OutputLog {
        OutputLog {
            lines: Arc::default(),
            keep,
        }
    }

    /// A log that keeps every line (a test that looks for one line among thousands).
    pub fn unbounded() -> OutputLog {
        OutputLog::keeping(usize::MAX)
    }

    pub fn push(&self, line: String) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() >= self.keep {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// The kept lines, each ending in a newline.
    pub fn text(&self) -> String {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    /// Whether a kept line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines.iter().any(|l| l.contains(needle))
    }

    /// Reads `stream` line by line (invalid UTF-8 replaced) into this log on a new thread, each
    /// line also on our stderr as `[tag] line` when `echo_as` names a tag.
    pub fn follow(
        &self,
        stream: impl Read + Send + 'static,
        echo_as: Option<&'static str>,
    ) -> JoinHandle<()> {
        let log = self.clone();
        std::thread::spawn(move || {
            for_each_line(stream, |line| {
                if let Some(tag) = echo_as {
                    eprintln!("[{tag}] {line}");
                }
                log.push(line);
            })
        })
    }
}

impl Default for OutputLog {
    /// The last 2,000 lines: enough for a failure report, bounded under load.
    fn default() -> OutputLog {
        OutputLog::keeping(2000)
    }
}

/// Where one of the child's output streams goes.
#[derive(Clone, Debug, Default)]
pub enum Sink {
    /// Into this log (stdout and stderr may share one).
    Keep(OutputLog),
    /// Shown as it comes: stdout lines printed on our stdout, stderr inherited.
    Print,
    /// Nowhere (a benchmark's server logging every request).
    #[default]
    Discard,
}

/// How [`start_listening`] starts the child and stops it.
#[derive(Clone, Debug)]
pub struct Announcing {
    /// How long the child has to print its `listening on` line.
    pub within: Duration,
    /// On drop (and [`ListeningChild::stop`]): SIGINT, then SIGKILL after this long.
    pub stop_grace: Duration,
    pub stdout: Sink,
    pub stderr: Sink,
    /// Make the child the leader of its own process group and stop the whole group. Off by
    /// default: a child in its own group no longer gets the terminal's Ctrl-C, nor a signal sent
    /// to the caller's group (a test runner stopped by the xtask).
    pub own_process_group: bool,
    /// How to spawn the configured command (the xtask registers its children for its signal
    /// handler).
    pub spawn: fn(Command) -> std::io::Result<Child>,
}

impl Default for Announcing {
    fn default() -> Announcing {
        Announcing {
            within: Duration::from_secs(30),
            stop_grace: crate::STOP_GRACE,
            stdout: Sink::Discard,
            stderr: Sink::Discard,
            own_process_group: false,
            spawn: |mut command| command.spawn(),
        }
    }
}

/// A child that announced `listening on http://ADDR`; stopped when dropped.
#[derive(Debug)]
pub struct ListeningChild {
    child: Option<Child>,
    addr: SocketAddr,
    stop_grace: Duration,
    own_process_group: bool,
}

impl ListeningChild {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The child's pid (while it has not been stopped).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Waits up to `within` for the child to exit by itself.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGINT (to its group, when it leads one), SIGKILL after the grace; reaped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if self.own_process_group {
                stop_process_group(&mut child, self.stop_grace);
            } else {
                stop_child(&mut child, self.stop_grace);
            }
        }
    }

    /// The child itself, for a caller that stops it its own way (the guard lets go of it).
    pub fn into_child(mut self) -> Child {
        self.child
            .take()
            .expect("a ListeningChild holds its child until stopped")
    }
}

impl Drop for ListeningChild {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Why a child did not come up.
#[derive(Debug)]
pub enum StartFailure {
    Spawn(std::io::Error),
    Exited(ExitStatus),
    NoAnnouncement(Duration),
    BadAddress(String),
}

/// A start that failed: which program, why, and what it printed (from the kept logs).
#[derive(Debug)]
pub struct StartError {
    pub program: String,
    pub failure: StartFailure,
    pub output: String,
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let program = &self.program;
        match &self.failure {
            StartFailure::Spawn(e) => write!(f, "could not start {program}: {e}")?,
            StartFailure::Exited(status) => {
                write!(f, "{program} exited ({status}) before it listened")?
            }
            StartFailure::NoAnnouncement(within) => write!(
                f,
                "{program} printed no `{ANNOUNCEMENT}http://...` line within {within:?}"
            )?,
            StartFailure::BadAddress(line) => write!(
                f,
                "{program} announced an address that is not one: {line:?}"
            )?,
        }
        if !self.output.is_empty() {
            write!(f, "; it printed:\n{}", self.output)?;
        }
        Ok(())
    }
}

impl std::error::Error for StartError {}

/// Spawns `command` (stdin closed, output as `how` says) and waits for its
/// `listening on http://ADDR` line on stdout. Stdout is read to its end either way, so the child
/// never blocks on a full pipe.
pub fn start_listening(
    mut command: Command,
    how: Announcing,
) -> Result<ListeningChild, StartError> {
    let program = std::path::Path::new(command.get_program())
        .file_name()
        .unwrap_or(command.get_program())
        .to_string_lossy()
        .into_owned();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(match how.stderr {
            Sink::Keep(_) => Stdio::piped(),
            Sink::Print => Stdio::inherit(),
            Sink::Discard => Stdio::null(),
        });
    if how.own_process_group {
        command.process_group(0);
    }
    let mut kept: Vec<OutputLog> = Vec::new();
    for sink in [&how.stdout, &how.stderr] {
        // Stdout and stderr may share one log: its text is told once.
        if let Sink::Keep(log) = sink {
            if !kept.iter().any(|k| Arc::ptr_eq(&k.lines, &log.lines)) {
                kept.push(log.clone());
            }
        }
    }
    let printed = |failure| StartError {
        program: program.clone(),
        failure,
        output: kept.iter().map(OutputLog::text).collect(),
    };
    let child = (how.spawn)(command).map_err(|e| printed(StartFailure::Spawn(e)))?;
    let mut guard = ListeningChild {
        child: Some(child),
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        stop_grace: how.stop_grace,
        own_process_group: how.own_process_group,
    };
    let child = guard.child.as_mut().expect("just spawned");
    let mut readers = Vec::new();
    if let (Some(stderr), Sink::Keep(log)) = (child.stderr.take(), &how.stderr) {
        readers.push(log.follow(stderr, None));
    }
    let stdout = child.stdout.take().expect("stdout is piped");
    let (announced, announcement) = mpsc::channel();
    let stdout_sink = how.stdout.clone();
    readers.push(std::thread::spawn(move || {
        let mut announced = Some(announced);
        for_each_line(stdout, |line| {
            if let Some(at) = line.find(ANNOUNCEMENT) {
                if let Some(tx) = announced.take() {
                    let _ = tx.send(line[at + ANNOUNCEMENT.len()..].trim().to_string());
                }
            }
            match &stdout_sink {
                Sink::Keep(log) => log.push(line),
                Sink::Print => println!("{line}"),
                Sink::Discard => {}
            }
        })
    }));
    let started = Instant::now();
    let failure = loop {
        match announcement.recv_timeout(Duration::from_millis(25)) {
            Ok(url) => match parse_announced(&url) {
                Some(addr) => {
                    guard.addr = addr;
                    return Ok(guard);
                }
                None => break StartFailure::BadAddress(url),
            },
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Stdout closed without the line: the child is exiting.
                if let Some(status) = guard.wait_exit(how.within.saturating_sub(started.elapsed()))
                {
                    break StartFailure::Exited(status);
                }
                break StartFailure::NoAnnouncement(how.within);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Some(Ok(Some(status))) = guard.child.as_mut().map(Child::try_wait) {
            break StartFailure::Exited(status);
        }
        if started.elapsed() >= how.within {
            break StartFailure::NoAnnouncement(how.within);
        }
    };
    guard.stop();
    // The child is gone, so its pipes end and the readers finish with all it printed (unless
    // something it started still holds them: then what came so far).
    let waited = Instant::now();
    while !readers.iter().all(JoinHandle::is_finished) && waited.elapsed() < READERS_GRACE {
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(printed(failure))
}

/// `http://127.0.0.1:PORT/` → 127.0.0.1:PORT.
fn parse_announced(url: &str) -> Option<SocketAddr> {
    url.strip_prefix("http://")?
        .trim_end_matches('/')
        .parse()
        .ok()
}

fn for_each_line(stream: impl Read, mut each: impl FnMut(String)) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                each(line.trim_end_matches(['\n', '\r']).to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn the_announced_address_is_returned_and_the_output_kept() {
        let log = OutputLog::unbounded();
        let server = start_listening(
            sh("echo warming up >&2; echo 'demo listening on http://127.0.0.1:4321/'; echo after; sleep 30"),
            Announcing {
                stdout: Sink::Keep(log.clone()),
                stderr: Sink::Keep(log.clone()),
                stop_grace: Duration::from_millis(200),
                own_process_group: true,
                ..Announcing::default()
            },
        )
        .unwrap();
        assert_eq!(server.addr(), "127.0.0.1:4321".parse().unwrap());
        assert_eq!(server.url(), "http://127.0.0.1:4321");
        assert_eq!(server.port(), 4321);
        let started = Instant::now();
        // Stdout and stderr are read by two threads: wait for both lines, in either order.
        while !(log.contains("after") && log.contains("warming up")) {
            assert!(started.elapsed() < Duration::from_secs(5), "{}", log.text());
            std::thread::sleep(Duration::from_millis(10));
        }
        let pid = server.pid().unwrap();
        drop(server);
        let stopped = Instant::now();
        while crate::process_group_alive(pid) {
            assert!(
                stopped.elapsed() < Duration::from_secs(5),
                "the group outlived the guard"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_child_that_exits_first_is_reported_with_what_it_printed() {
        let err = start_listening(
            sh("echo 'error: --port takes a number' >&2; exit 2"),
            Announcing {
                stderr: Sink::Keep(OutputLog::default()),
                ..Announcing::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(err.failure, StartFailure::Exited(s) if s.code() == Some(2)),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.starts_with("sh exited"), "{text}");
        assert!(text.contains("--port takes a number"), "{text}");

        let shared = OutputLog::default();
        let err = start_listening(
            sh("echo 'error: no key' >&2; exit 1"),
            Announcing {
                stdout: Sink::Keep(shared.clone()),
                stderr: Sink::Keep(shared),
                ..Announcing::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string().matches("error: no key").count(), 1, "{err}");
    }

    #[test]
    fn a_silent_child_runs_out_of_time_and_is_stopped() {
        let started = Instant::now();
        let err = start_listening(
            sh("echo starting; sleep 30"),
            Announcing {
                within: Duration::from_millis(300),
                stop_grace: Duration::from_millis(200),
                stdout: Sink::Keep(OutputLog::default()),
                own_process_group: true,
                ..Announcing::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(err.failure, StartFailure::NoAnnouncement(_)),
            "{err}"
        );
        assert!(err.to_string().contains("starting"), "{err}");
        // The sleep (in the child's group) was stopped too, or the stdout reader would still wait.
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn an_announcement_without_an_address_is_an_error() {
        let err = start_listening(
            sh("echo 'listening on the radio'; sleep 30"),
            Announcing {
                stop_grace: Duration::from_millis(200),
                ..Announcing::default()
            },
        )
        .unwrap_err();
        assert!(matches!(err.failure, StartFailure::BadAddress(_)), "{err}");
    }

    #[test]
    fn a_program_that_does_not_exist_is_a_spawn_error() {
        let err = start_listening(
            Command::new("/nonexistent/greeting-server"),
            Announcing::default(),
        )
        .unwrap_err();
        assert!(matches!(err.failure, StartFailure::Spawn(_)), "{err}");
        assert!(err
            .to_string()
            .starts_with("could not start greeting-server"));
    }

    #[test]
    fn a_bounded_log_keeps_the_last_lines() {
        let log = OutputLog::keeping(2);
        for line in ["one", "two", "three"] {
            log.push(line.into());
        }
        assert_eq!(log.text(), "two\nthree\n");
        assert!(!log.contains("one"));
    }
}
