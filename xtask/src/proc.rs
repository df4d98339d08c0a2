//! Running commands: print what runs, stream its output, fail with a message that says what
//! failed. Every long-lived child is the leader of its own process group, registered here, so that
//! a time limit or a signal to the xtask (SIGINT, SIGTERM, SIGHUP) stops it with all it started.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use test_support::{
    process_group_alive, signal_process_group, stop_process_group, Signal, STOP_GRACE,
};

pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (the folder with the root Cargo.toml).
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(test_support::workspace_root)
}

/// Project-local tool folder (gitignored): npm's binaryen lives here.
pub fn tools_dir() -> PathBuf {
    root().join(".tools")
}

pub use test_support::tool_path;

/// Apply tool_path() to this process too, so that every child inherits it.
pub fn export_tool_path() {
    std::env::set_var("PATH", tool_path());
}

pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        let a = a.to_string_lossy();
        if a.contains(' ') || a.is_empty() {
            s.push_str(&format!(" '{a}'"));
        } else {
            s.push(' ');
            s.push_str(&a);
        }
    }
    let envs: Vec<String> = cmd
        .get_envs()
        .filter(|(k, _)| *k != "PATH")
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
        .collect();
    if envs.is_empty() {
        s
    } else {
        format!("{} {s}", envs.join(" "))
    }
}

pub fn cmd<S: AsRef<OsStr>>(program: S) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    c
}

/// Run with inherited stdio (output streams live) within `limit`; error if it fails to start,
/// exits non-zero or runs out of time (then its whole process group is stopped).
pub fn run(c: Command, limit: Duration) -> Result {
    run_limited(c, limit, Stdout::Inherit).0
}

/// [`run`], echoing every stdout line as it comes (stderr is inherited) and returning them too.
pub fn run_tee(c: Command, limit: Duration) -> (Result, Vec<String>) {
    run_limited(c, limit, Stdout::Tee)
}

/// [`run`] returning stdout's lines without showing them (stderr is inherited).
pub fn run_capture(c: Command, limit: Duration) -> (Result, Vec<String>) {
    run_limited(c, limit, Stdout::Capture)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stdout {
    Inherit,
    Tee,
    Capture,
}

fn run_limited(mut c: Command, limit: Duration, stdout: Stdout) -> (Result, Vec<String>) {
    let limit = crate::limits::scaled(limit);
    let what = describe(&c);
    println!("$ {what}");
    flush();
    c.stdin(Stdio::null());
    if stdout != Stdout::Inherit {
        c.stdout(Stdio::piped());
    }
    let mut child = match spawn(c) {
        Ok(ch) => ch,
        Err(e) => return (Err(format!("could not start `{what}`: {e}")), Vec::new()),
    };
    let (tx, rx) = mpsc::channel::<String>();
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(out)
                .lines()
                .map_while(std::result::Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    } else {
        drop(tx);
    }
    let deadline = Instant::now() + limit;
    let mut lines = Vec::new();
    let status = loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if stdout == Stdout::Tee {
                    println!("{line}");
                    flush();
                }
                lines.push(line);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Timeout) | Err(mpsc::RecvTimeoutError::Disconnected) => {}
        }
        match child.try_wait() {
            Ok(Some(st)) => {
                // What is still in the pipe belongs to the output.
                lines.extend(rx.try_iter().inspect(|l| {
                    if stdout == Stdout::Tee {
                        println!("{l}");
                    }
                }));
                break Ok(st);
            }
            Ok(None) => {}
            Err(e) => break Err(format!("`{what}`: {e}")),
        }
        if Instant::now() >= deadline {
            println!(
                "\nxtask: `{what}` ran past its time limit of {} (several times its usual time): stopping it and all it started",
                fmt_dur(limit)
            );
            stop(&mut child);
            break Err(format!(
                "`{what}` ran past its time limit of {}",
                fmt_dur(limit)
            ));
        }
    };
    forget(&child);
    let res = match status {
        Ok(st) if st.success() => Ok(()),
        Ok(st) => Err(format!("`{what}` failed ({})", show_status(st))),
        Err(e) => Err(e),
    };
    (res, lines)
}

/// Run quietly and return stdout (trimmed), or None when it cannot run or fails.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", tool_path())
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub fn show_status(st: ExitStatus) -> String {
    match st.code() {
        Some(c) => format!("exit code {c}"),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                if let Some(sig) = st.signal() {
                    return format!("killed by signal {sig}");
                }
            }
            "no exit code".into()
        }
    }
}

/// The program on the tool PATH (the xtask exports [`tool_path`] first thing).
pub fn which(program: &str) -> Option<PathBuf> {
    test_support::which(program)
}

pub fn flush() {
    let _ = std::io::stdout().flush();
}

pub fn header(title: &str) {
    println!();
    println!("==== {title} ====");
    flush();
}

pub fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Process groups of the children running now (their leaders' pids).
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Start `c` as the leader of a new process group and register it, so that [`stop`], a time
/// limit or a signal to the xtask reaches everything it starts. Refused once the xtask was told
/// to stop.
pub fn spawn(mut c: Command) -> std::io::Result<Child> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(std::io::Error::other("the xtask is stopping"));
    }
    let child = c.process_group(0).spawn()?;
    CHILDREN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(child.id());
    Ok(child)
}

fn forget(child: &Child) {
    CHILDREN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|&pid| pid != child.id());
}

/// Stop a child [`spawn`] started, with its process group: SIGINT first (servers shut down
/// cleanly on it), SIGKILL after a grace period.
pub fn stop(child: &mut Child) {
    stop_process_group(child, STOP_GRACE);
    forget(child);
}

/// On SIGINT, SIGTERM or SIGHUP to the xtask (a terminal's Ctrl-C, an editor's stop button, a
/// supervisor): [`stop_groups`] on every registered group, then exit 130.
pub fn stop_children_on_signal() {
    let installed = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            return;
        }
        let groups = CHILDREN.lock().unwrap_or_else(|e| e.into_inner()).clone();
        stop_groups(&groups);
        std::process::exit(130);
    });
    if let Err(e) = installed {
        eprintln!(
            "xtask: warning: cannot handle signals ({e}); children may outlive a kill of the xtask"
        );
    }
}

/// SIGINT to each process group (led by these pids), SIGKILL to what is left after the grace
/// period.
fn stop_groups(groups: &[u32]) {
    eprintln!(
        "\nxtask: stopping ({} child process group{})",
        groups.len(),
        if groups.len() == 1 { "" } else { "s" }
    );
    for &pid in groups {
        signal_process_group(pid, Signal::Interrupt);
    }
    let started = Instant::now();
    while started.elapsed() < STOP_GRACE && groups.iter().any(|&pid| process_group_alive(pid)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for &pid in groups {
        signal_process_group(pid, Signal::Kill);
    }
}

pub fn is_root() -> bool {
    output("id", &["-u"]).as_deref() == Some("0")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the signal handler does to each registered group: gone after it, grandchildren
    /// included, even one that ignores SIGINT.
    #[test]
    fn a_spawned_child_is_registered_and_stopping_its_group_ends_it_all() {
        let mut c = Command::new("sh");
        c.args(["-c", "trap '' INT; sleep 30 & sleep 30 & wait"]);
        let mut child = spawn(c).unwrap();
        let leader = child.id();
        std::thread::sleep(Duration::from_millis(200));
        assert!(process_group_alive(leader));
        assert!(CHILDREN.lock().unwrap().contains(&leader));
        stop_groups(&[leader]);
        let _ = child.wait();
        let started = Instant::now();
        while process_group_alive(leader) {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "group {leader} survived"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        forget(&child);
    }

    #[test]
    fn a_step_past_its_time_limit_fails_naming_it_and_leaves_nothing_running() {
        let mut c = Command::new("sh");
        c.args(["-c", "echo started; sleep 30 & sleep 30; wait"]);
        let started = Instant::now();
        let (res, lines) = run_tee(c, Duration::from_millis(500));
        let err = res.unwrap_err();
        assert!(
            err.contains("sleep 30") && err.contains("time limit"),
            "{err}"
        );
        assert_eq!(lines, vec!["started".to_string()]);
        assert!(started.elapsed() < Duration::from_secs(8));
        let still = std::process::Command::new("pgrep")
            .args(["-f", "echo started; sleep 30"])
            .output()
            .expect("pgrep (procps) runs")
            .stdout;
        assert!(
            still.is_empty(),
            "left running: {}",
            String::from_utf8_lossy(&still)
        );
    }
}
