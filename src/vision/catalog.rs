//! Turning a model name or path into verified bytes plus its manifest.
//!
//! A name (`movenet-thunder`) is looked up among the built-in manifests and
//! read from `models/`. A path is hashed and recognised by SHA-256 among the
//! built-in manifests, else by a `<stem>.toml` manifest beside it, else by
//! `--family`. Every file's hash is checked against its manifest.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::vision::VisionError;
use crate::vision::manifest::{Family, Manifest};

/// A model file that has been read and checked, ready for a session.
pub struct ModelFile {
    pub manifest: Manifest,
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: Vec<u8>,
    /// True when the manifest came from `--family` alone, so input names may
    /// be taken from the file.
    pub described_by_family: bool,
}

/// The known models: built-in manifests plus the `models/` folder.
pub struct Catalog {
    models_dir: Option<PathBuf>,
    entries: Vec<(&'static str, Manifest)>,
}

impl Catalog {
    pub fn new(models_dir: Option<PathBuf>) -> Catalog {
        Catalog { models_dir, entries: Manifest::built_in() }
    }

    pub fn models_dir(&self) -> Option<&Path> {
        self.models_dir.as_deref()
    }

    /// Names of all known models.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(_, m)| m.name.as_str()).collect()
    }

    pub fn manifest(&self, name: &str) -> Option<&Manifest> {
        self.entries.iter().map(|(_, m)| m).find(|m| m.name == name)
    }

    /// Resolves `spec`, a model name or a path to an `.onnx` file.
    pub fn resolve(&self, spec: &str, family: Option<Family>) -> Result<ModelFile, VisionError> {
        if looks_like_path(spec) { self.resolve_path(Path::new(spec), family) } else { self.resolve_name(spec) }
    }

    fn resolve_name(&self, name: &str) -> Result<ModelFile, VisionError> {
        let (folder, manifest) = self
            .entries
            .iter()
            .find(|(_, m)| m.name == name)
            .ok_or_else(|| VisionError::UnknownName { name: name.to_string(), known: self.names().join(", ") })?;
        let path = match &self.models_dir {
            Some(dir) => dir.join(folder).join(&manifest.file),
            None => PathBuf::from("models").join(folder).join(&manifest.file),
        };
        if !manifest.bundled && !path.is_file() {
            return Err(VisionError::NotBundled {
                name: manifest.name.clone(),
                licence: manifest.licence.clone(),
                file: manifest.file.clone(),
            });
        }
        let (bytes, sha256) = read_hashed(&path)?;
        check_hash(&path, manifest, &format!("built-in manifest `{}`", manifest.name), &sha256)?;
        Ok(ModelFile { manifest: manifest.clone(), path, sha256, bytes, described_by_family: false })
    }

    fn resolve_path(&self, path: &Path, family: Option<Family>) -> Result<ModelFile, VisionError> {
        let (bytes, sha256) = read_hashed(path)?;
        let known = self.entries.iter().map(|(_, m)| m).find(|m| m.sha256.as_deref() == Some(sha256.as_str()));
        let file = |manifest: Manifest, described_by_family| ModelFile {
            manifest,
            path: path.to_path_buf(),
            sha256: sha256.clone(),
            bytes: Vec::new(),
            described_by_family,
        };
        let mut resolved = match (known, family) {
            (Some(m), None) => file(m.clone(), false),
            (Some(m), Some(f)) if m.family == f => file(m.clone(), false),
            (_, Some(f)) => {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("model.onnx");
                let manifest = Manifest::for_family(f, name, &sha256).ok_or_else(|| VisionError::BadManifest {
                    path: path.to_path_buf(),
                    message: format!("--family {f} needs a manifest of its own; write one at {}", path.with_extension("toml").display()),
                })?;
                file(manifest, true)
            }
            (None, None) => {
                let sidecar = path.with_extension("toml");
                if !sidecar.is_file() {
                    return Err(VisionError::UnrecognisedFile {
                        path: path.to_path_buf(),
                        sha256,
                        manifest_hint: format!("a manifest at {}", sidecar.display()),
                    });
                }
                let text = std::fs::read_to_string(&sidecar).map_err(|source| VisionError::ModelRead { path: sidecar.clone(), source })?;
                let manifest = Manifest::parse(&text, &sidecar)?;
                check_hash(path, &manifest, &sidecar.display().to_string(), &sha256)?;
                file(manifest, false)
            }
        };
        resolved.bytes = bytes;
        Ok(resolved)
    }
}

fn looks_like_path(spec: &str) -> bool {
    spec.ends_with(".onnx") || spec.contains(std::path::MAIN_SEPARATOR) || spec.contains('/') || Path::new(spec).is_file()
}

/// Reads a file and returns it with its lowercase hex SHA-256.
pub fn read_hashed(path: &Path) -> Result<(Vec<u8>, String), VisionError> {
    let bytes = std::fs::read(path).map_err(|source| VisionError::ModelRead { path: path.to_path_buf(), source })?;
    if bytes.is_empty() {
        return Err(VisionError::ModelEmpty { path: path.to_path_buf() });
    }
    let sha = hex::encode(Sha256::digest(&bytes));
    Ok((bytes, sha))
}

fn check_hash(path: &Path, manifest: &Manifest, origin: &str, actual: &str) -> Result<(), VisionError> {
    match manifest.sha256.as_deref() {
        Some(expected) if expected != actual => Err(VisionError::HashMismatch {
            path: path.to_path_buf(),
            manifest: origin.to_string(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths;

    fn catalog() -> Catalog {
        Catalog::new(paths::models_dir())
    }

    #[test]
    fn resolves_bundled_names_with_hash_check() {
        let m = catalog().resolve("movenet-lightning", None).unwrap();
        assert_eq!(m.manifest.family, Family::Movenet);
        assert_eq!(Some(m.sha256.as_str()), m.manifest.sha256.as_deref());
    }

    #[test]
    fn unknown_name_lists_known_models() {
        let err = catalog().resolve("posenet", None).err().unwrap().to_string();
        assert!(err.contains("posenet") && err.contains("movenet-thunder"), "{err}");
    }

    #[test]
    fn opt_in_model_explains_why() {
        let err = catalog().resolve("yolo11n-pose", None).err().unwrap().to_string();
        assert!(err.contains("AGPL") && err.contains("--pose"), "{err}");
    }

    #[test]
    fn bare_file_is_recognised_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let src = paths::models_dir().unwrap().join("pose/movenet-lightning.onnx");
        let copy = dir.path().join("renamed.onnx");
        std::fs::copy(&src, &copy).unwrap();
        let m = catalog().resolve(copy.to_str().unwrap(), None).unwrap();
        assert_eq!(m.manifest.name, "movenet-lightning");
    }

    #[test]
    fn empty_truncated_and_unknown_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.onnx");
        std::fs::write(&empty, b"").unwrap();
        let err = catalog().resolve(empty.to_str().unwrap(), None).err().unwrap();
        assert!(matches!(err, VisionError::ModelEmpty { .. }), "{err}");

        let junk = dir.path().join("junk.onnx");
        std::fs::write(&junk, b"not a model").unwrap();
        let err = catalog().resolve(junk.to_str().unwrap(), None).err().unwrap().to_string();
        assert!(err.contains("--family") && err.contains("junk.toml"), "{err}");

        // A sidecar manifest whose hash does not match: e.g. a truncated copy.
        let src = paths::models_dir().unwrap().join("pose/movenet-lightning.onnx");
        let bytes = std::fs::read(src).unwrap();
        let trunc = dir.path().join("trunc.onnx");
        std::fs::write(&trunc, &bytes[..bytes.len() / 2]).unwrap();
        let toml = std::fs::read_to_string(paths::models_dir().unwrap().join("pose/movenet-lightning.toml")).unwrap();
        std::fs::write(dir.path().join("trunc.toml"), toml).unwrap();
        let err = catalog().resolve(trunc.to_str().unwrap(), None).err().unwrap();
        assert!(matches!(err, VisionError::HashMismatch { .. }), "{err}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = catalog().resolve("/no/such/model.onnx", None).err().unwrap().to_string();
        assert!(err.contains("/no/such/model.onnx"), "{err}");
    }
}
