//! Atomic file writes: a hidden temporary file in the destination's folder
//! (same file system), renamed into place, so a crash never leaves a
//! half-written file under the final name.

use std::io;
use std::path::{Path, PathBuf};

/// The hidden temporary name for `path`: `.NAME.tmp` in the same folder.
pub fn temp_beside(path: &Path) -> io::Result<PathBuf> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "output path has no file name"))?;
    Ok(dir.join(format!(".{}.tmp", name.to_string_lossy())))
}

/// Writes `bytes` (never pixels: those go through the privacy module) to
/// `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_beside(path)?;
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
