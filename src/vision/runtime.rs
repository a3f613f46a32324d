//! Finding and loading the ONNX Runtime shared library.
//!
//! Search order: `--ort-lib` (or the config), `ORT_DYLIB_PATH`, next to the
//! executable, then the project's `runtime/` folder (filled by
//! `scripts/fetch-onnxruntime.sh`). Loading uses `ort::init_from`, which
//! returns an error instead of panicking.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ort::environment::Environment;
use ort::logging::LogLevel;

use crate::paths;
use crate::vision::VisionError;

/// Environment variable the `ort` crate and Liyi both honour.
pub const DYLIB_ENV: &str = "ORT_DYLIB_PATH";

/// The loaded runtime: one per process.
pub struct Runtime {
    env: Environment,
    /// The library file that was loaded.
    pub path: PathBuf,
    /// How it was found: `flag`, `ORT_DYLIB_PATH`, `next to executable`, `project runtime/`.
    pub found_by: &'static str,
    /// ONNX Runtime's build string (version, commit).
    pub build_info: String,
}

impl Runtime {
    pub(crate) fn environment(&self) -> &Environment {
        &self.env
    }

    /// The ONNX Runtime version, e.g. `1.31.1`, read from the build string.
    pub fn version(&self) -> Option<&str> {
        let info = &self.build_info;
        let start = info.find("rel-")? + 4;
        let end = info[start..].find(|c: char| c == ',' || c.is_whitespace()).map_or(info.len(), |e| start + e);
        Some(&info[start..end])
    }
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static INIT: Mutex<()> = Mutex::new(());

/// Loads ONNX Runtime once per process and returns it. Later calls return the
/// already loaded runtime, whatever `flag` says.
pub fn init(flag: Option<&Path>) -> Result<&'static Runtime, VisionError> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let _guard = crate::sync::lock(&INIT);
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let (path, found_by) = locate(flag)?;
    let load_err = |reason: String| VisionError::RuntimeLoad { path: path.clone(), reason };
    let logger: ort::logging::LoggerFunction = Arc::new(|level, category, _id, location, message| match level {
        LogLevel::Error | LogLevel::Fatal => tracing::error!(target: "onnxruntime", category, location, "{message}"),
        LogLevel::Warning => tracing::warn!(target: "onnxruntime", category, location, "{message}"),
        LogLevel::Info => tracing::debug!(target: "onnxruntime", category, location, "{message}"),
        LogLevel::Verbose => tracing::trace!(target: "onnxruntime", category, location, "{message}"),
    });
    let env = ort::init_from(&path)
        .map_err(|e| load_err(e.to_string()))?
        .with_name("liyi")
        .with_telemetry(false)
        .with_logger(logger)
        .build()
        .map_err(|e| load_err(e.to_string()))?;
    env.set_log_level(LogLevel::Warning);
    let build_info = ort::info().to_string();
    tracing::debug!(path = %path.display(), found_by, %build_info, "loaded ONNX Runtime");
    Ok(RUNTIME.get_or_init(|| Runtime { env, path, found_by, build_info }))
}

/// Finds the library without loading it. An explicit flag or variable that
/// names a missing file is an error, not a reason to look elsewhere.
pub fn locate(flag: Option<&Path>) -> Result<(PathBuf, &'static str), VisionError> {
    if let Some(p) = flag {
        return existing(p, "flag");
    }
    if let Some(p) = std::env::var_os(DYLIB_ENV).filter(|v| !v.is_empty()) {
        return existing(Path::new(&p), DYLIB_ENV);
    }
    let mut looked = vec![format!("--ort-lib (not given)"), format!("{DYLIB_ENV} (not set)")];
    if let Some(dir) = paths::exe_dir() {
        if let Some(p) = find_in(&dir) {
            return Ok((p, "next to executable"));
        }
        looked.push(dir.display().to_string());
    }
    for root in paths::project_roots() {
        let dir = root.join("runtime");
        if let Some(p) = find_in(&dir) {
            return Ok((p, "project runtime/"));
        }
        looked.push(dir.display().to_string());
    }
    looked.dedup();
    Err(VisionError::RuntimeMissing { looked_in: looked.join(", ") })
}

fn existing(p: &Path, how: &'static str) -> Result<(PathBuf, &'static str), VisionError> {
    if p.is_file() {
        Ok((p.to_path_buf(), how))
    } else {
        Err(VisionError::RuntimeLoad { path: p.to_path_buf(), reason: format!("no such file (given by {how})") })
    }
}

/// `libonnxruntime.so` in `dir`, or the highest-versioned `libonnxruntime.so.X.Y.Z`.
fn find_in(dir: &Path) -> Option<PathBuf> {
    let plain = dir.join(format!("{}onnxruntime{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX));
    if plain.is_file() {
        return Some(plain);
    }
    let prefix = format!("{}onnxruntime{}.", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let mut versioned: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let version = name.strip_prefix(&prefix)?;
            let parts: Vec<u32> = version.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
            e.path().is_file().then(|| (parts, e.path()))
        })
        .collect();
    versioned.sort();
    versioned.pop().map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_highest_versioned_library() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_in(dir.path()), None);
        for v in ["1.31.1", "1.9.0", "1.32.0"] {
            std::fs::write(dir.path().join(format!("libonnxruntime.so.{v}")), b"x").unwrap();
        }
        std::fs::write(dir.path().join("libonnxruntime.so.bak"), b"x").unwrap();
        assert_eq!(find_in(dir.path()), Some(dir.path().join("libonnxruntime.so.1.32.0")));
        std::fs::write(dir.path().join("libonnxruntime.so"), b"x").unwrap();
        assert_eq!(find_in(dir.path()), Some(dir.path().join("libonnxruntime.so")));
    }

    #[test]
    fn explicit_missing_path_is_an_error_naming_the_fix() {
        let err = locate(Some(Path::new("/nonexistent/libonnxruntime.so"))).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/libonnxruntime.so"), "{err}");
        assert!(err.contains("scripts/fetch-onnxruntime.sh"), "{err}");
    }
}
