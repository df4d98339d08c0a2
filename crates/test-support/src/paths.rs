//! Where the workspace is and where a program is.

use std::path::{Path, PathBuf};

/// The workspace root: the folder of the root Cargo.toml (this crate lives at crates/test-support).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().nth(2).unwrap_or(here).to_path_buf()
}

/// PATH with the project's tools first (.tools/node_modules/.bin: wasm-opt, axe-core), then
/// cargo's bin folder (trunk, wasm-bindgen), then the inherited PATH. Trunk finds wasm-bindgen
/// and wasm-opt on it (it would otherwise try to download them).
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![workspace_root()
        .join(".tools")
        .join("node_modules")
        .join(".bin")];
    if let Some(home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
    {
        dirs.push(home.join("bin"));
    }
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// The program's path on PATH (the `which` crate), or None.
pub fn which(program: &str) -> Option<PathBuf> {
    which::which(program).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"), "{manifest}");
    }

    #[test]
    fn the_tool_path_puts_the_projects_tools_first() {
        let path = tool_path();
        let first = std::env::split_paths(&path).next().unwrap();
        assert_eq!(first, workspace_root().join(".tools/node_modules/.bin"));
        assert!(std::env::split_paths(&path).any(|d| d.join("sh").is_file()));
    }

    #[test]
    fn which_finds_sh_and_not_a_made_up_name() {
        assert!(which("sh").is_some_and(|p| p.is_file()));
        assert_eq!(which("no-such-program-anywhere-7f3a"), None);
    }
}
