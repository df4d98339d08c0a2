//! Building one of the workspace's binaries with cargo and finding where cargo put it.

use crate::paths::workspace_root;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `cargo build [--release] -p PACKAGE --bin BIN` at the workspace root (cargo's progress on
/// stderr), returning the executable's path as cargo reports it.
pub fn build_binary(package: &str, bin: &str, release: bool) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut c = Command::new(&cargo);
    c.current_dir(workspace_root()).args([
        "build",
        "-p",
        package,
        "--bin",
        bin,
        "--message-format=json-render-diagnostics",
    ]);
    if release {
        c.arg("--release");
    }
    let what = format!(
        "cargo build{} -p {package} --bin {bin}",
        if release { " --release" } else { "" }
    );
    eprintln!("$ {what}");
    let out = c
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `{what}`: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{what}` failed ({})", out.status));
    }
    executable_in(&String::from_utf8_lossy(&out.stdout), bin)
        .ok_or_else(|| format!("`{what}` built, but cargo named no executable `{bin}`"))
}

/// The `executable` of the `compiler-artifact` message for `bin` in cargo's JSON messages
/// (`--message-format=json...`).
pub fn executable_in(messages: &str, bin: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .find(|p| p.file_name().is_some_and(|n| n == bin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executable_is_read_from_cargos_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"lib"},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","executable":"/t/debug/other"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","executable":"/t/debug/greeting-server"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            executable_in(messages, "greeting-server"),
            Some(PathBuf::from("/t/debug/greeting-server"))
        );
        assert_eq!(executable_in(messages, "hello-server"), None);
    }
}
