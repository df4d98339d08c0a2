//! What the report says about the machine and the versions it measured: CPU, memory, load,
//! the release profile, and the Python peers.

use crate::options::Options;
use benchmarks::procs::{command_output, workspace_root};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Clone, Debug, Default)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory: String,
    pub kernel: String,
    pub os: String,
}

pub fn machine_facts() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("PRETTY_NAME=")
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_default();
    Machine {
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        cpu,
        memory,
        kernel,
        os,
    }
}

/// The workspace's [profile.release], which the server, the hello ceiling and the codec bench
/// are built with.
pub fn release_profile_summary() -> String {
    let toml = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap_or_default();
    let mut in_release = false;
    let mut settings = Vec::new();
    for line in toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_release = t == "[profile.release]";
            continue;
        }
        if in_release && !t.is_empty() && !t.starts_with('#') {
            settings.push(t.to_string());
        }
    }
    let mut s = if settings.is_empty() {
        "release (cargo defaults)".to_string()
    } else {
        format!("release: {}", settings.join(", "))
    };
    for var in [
        "CARGO_PROFILE_RELEASE_OPT_LEVEL",
        "CARGO_PROFILE_RELEASE_LTO",
        "CARGO_PROFILE_RELEASE_CODEGEN_UNITS",
        "RUSTFLAGS",
    ] {
        if let Ok(v) = std::env::var(var) {
            let _ = write!(s, "; {var}={v}");
        }
    }
    s
}

/// `--python`, else the peers' Python every suite uses (PLAYGROUND_PYTHON, .tools/venv, python3).
pub fn find_python(options: &Options) -> Result<PathBuf, String> {
    let py = options
        .python
        .clone()
        .unwrap_or_else(|| PathBuf::from(test_support::python()));
    check_python(&py).map_err(|e| {
        format!("{e} (`cargo xtask setup` installs xtask/requirements.txt into .tools/venv)")
    })
}

pub fn check_python(py: &Path) -> Result<PathBuf, String> {
    let out = Command::new(py)
        .args(["-c", "import flask, itsdangerous"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{}: {e}", py.display()))?;
    if out.status.success() {
        Ok(py.to_path_buf())
    } else {
        Err(format!(
            "{} has no Flask/itsdangerous: {}",
            py.display(),
            String::from_utf8_lossy(&out.stderr)
                .trim()
                .lines()
                .last()
                .unwrap_or("")
        ))
    }
}

pub fn python_versions(py: &Path) -> Vec<(String, String)> {
    let script = "import platform, importlib.metadata as m\n\
                  print('python', platform.python_implementation(), platform.python_version())\n\
                  for p in ('flask', 'werkzeug', 'itsdangerous', 'gunicorn'):\n    \
                  try: print(p, m.version(p))\n    except Exception: print(p, 'not installed')";
    let out = command_output(&py.to_string_lossy(), &["-c", script]).unwrap_or_default();
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
