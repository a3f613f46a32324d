//! Where the project's own files are: `models/`, `runtime/`. Found relative to
//! the executable or the package's manifest directory, never to `target/`'s
//! layout, and overridable by flags and environment variables.

use std::path::{Path, PathBuf};

/// Environment variable naming the folder that holds `models/` and `runtime/`.
pub const HOME_ENV: &str = "LIYI_HOME";

/// Candidate project roots, most specific first: `$LIYI_HOME`, the
/// executable's folder and up to three of its parents (an installed tree or
/// `target/release/`), then the source tree this binary was built from.
pub fn project_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        roots.push(PathBuf::from(home));
    }
    if let Some(dir) = exe_dir() {
        roots.extend(dir.ancestors().take(4).map(Path::to_path_buf));
    }
    roots.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    roots.dedup();
    roots
}

/// The folder holding the running executable.
pub fn exe_dir() -> Option<PathBuf> {
    std::env::current_exe().ok()?.canonicalize().ok()?.parent().map(Path::to_path_buf)
}

/// The first `models/` folder among the project roots that holds manifests.
pub fn models_dir() -> Option<PathBuf> {
    project_roots().into_iter().map(|r| r.join("models")).find(|m| m.join("pose").is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_tree_is_a_candidate_and_has_models() {
        let roots = project_roots();
        assert!(roots.contains(&PathBuf::from(env!("CARGO_MANIFEST_DIR"))));
        assert!(models_dir().is_some());
    }
}
