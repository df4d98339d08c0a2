//! The Python the peers run on: the one `cargo xtask` prepared in .tools/venv and exported in
//! `PLAYGROUND_PYTHON`; outside the xtask, that venv when it is there, else `python3`.

use std::process::{Command, Stdio};

/// The environment variable every suite reads for its Python.
pub const PYTHON_ENV: &str = "PLAYGROUND_PYTHON";

/// `PLAYGROUND_PYTHON`, else .tools/venv's python3 when it exists, else `python3`.
pub fn python() -> String {
    if let Some(py) = std::env::var(PYTHON_ENV).ok().filter(|p| !p.is_empty()) {
        return py;
    }
    let venv = crate::workspace_root().join(".tools/venv/bin/python3");
    if venv.is_file() {
        return venv.to_string_lossy().into_owned();
    }
    "python3".into()
}

/// [`python`] when it can `import MODULES` (comma-separated, e.g. `"flask, flask_cors"`);
/// otherwise the reason, naming the command that failed and its last line of error.
pub fn python_with(modules: &str) -> Result<String, String> {
    let py = python();
    match Command::new(&py)
        .args(["-c", &format!("import {modules}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
    {
        Ok(out) if out.status.success() => Ok(py),
        Ok(out) => Err(format!(
            "`{py} -c 'import {modules}'` fails: {} (`cargo xtask setup` installs the peers into .tools/venv; \
             or set {PYTHON_ENV} to a Python that has them)",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("import failed")
        )),
        Err(e) => Err(format!(
            "cannot start `{py}`: {e} (`cargo xtask setup` prepares .tools/venv; or set {PYTHON_ENV})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_nobody_has_is_a_reason_naming_it() {
        match python_with("no_such_module_7f3a") {
            Ok(py) => panic!("{py} imported a module that does not exist"),
            Err(reason) => assert!(reason.contains("no_such_module_7f3a"), "{reason}"),
        }
    }
}
