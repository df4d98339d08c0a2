//! Running commands: print what runs, stream its output, fail with a message that says what failed.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (the folder with the root Cargo.toml).
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
        xtask.parent().unwrap_or(xtask).to_path_buf()
    })
}

/// Project-local tool folder (gitignored): npm's binaryen lives here.
pub fn tools_dir() -> PathBuf {
    root().join(".tools")
}

pub fn cargo_home_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"));
    home.join("bin")
}

/// PATH with the project's tools first, then cargo's bin folder, then the inherited PATH.
/// Trunk finds wasm-bindgen and wasm-opt on this PATH (it would otherwise try to download them).
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![
        tools_dir().join("node_modules").join(".bin"),
        cargo_home_bin(),
    ];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

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

/// Run with inherited stdio (output streams live); error if it fails to start or exits non-zero.
pub fn run(mut c: Command) -> Result {
    let what = describe(&c);
    println!("$ {what}");
    flush();
    let status = c
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("could not start `{what}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{what}` failed ({})", show_status(status)))
    }
}

/// Run, echo every stdout line as it comes (stderr is inherited), and return stdout's lines too.
pub fn run_tee(mut c: Command) -> (Result, Vec<String>) {
    let what = describe(&c);
    println!("$ {what}");
    flush();
    let mut child = match c.stdin(Stdio::null()).stdout(Stdio::piped()).spawn() {
        Ok(ch) => ch,
        Err(e) => return (Err(format!("could not start `{what}`: {e}")), Vec::new()),
    };
    let mut lines = Vec::new();
    if let Some(out) = child.stdout.take() {
        let mut stdout = std::io::stdout();
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let _ = writeln!(stdout, "{line}");
            let _ = stdout.flush();
            lines.push(line);
        }
    }
    let res = match child.wait() {
        Ok(st) if st.success() => Ok(()),
        Ok(st) => Err(format!("`{what}` failed ({})", show_status(st))),
        Err(e) => Err(format!("`{what}`: {e}")),
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

pub fn which(program: &str) -> Option<PathBuf> {
    let path = tool_path();
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
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

/// Stop a child we started: SIGINT first (lets servers shut down cleanly), then kill.
pub fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub fn is_root() -> bool {
    output("id", &["-u"]).as_deref() == Some("0")
}
