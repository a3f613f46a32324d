//! Errors from loading and running models. Each says what went wrong, where,
//! and what to do about it.

use std::path::PathBuf;

use thiserror::Error;

/// The command that fetches ONNX Runtime, named in errors.
pub const FETCH_ORT_HINT: &str = "scripts/fetch-onnxruntime.sh";

#[derive(Debug, Error)]
pub enum VisionError {
    #[error(
        "ONNX Runtime was not found. Looked in: {looked_in}. Fix: run `{FETCH_ORT_HINT}` from the project \
         folder (it downloads the pinned onnxruntime wheel with pip and puts libonnxruntime.so in runtime/), \
         or point `--ort-lib` or ORT_DYLIB_PATH at an existing libonnxruntime.so, version 1.31 or newer."
    )]
    RuntimeMissing { looked_in: String },

    #[error(
        "ONNX Runtime could not be loaded from {path}: {reason}. Fix: the file must be libonnxruntime.so \
         version 1.31 or newer for this machine's architecture; run `{FETCH_ORT_HINT}` to fetch a checked copy, \
         or point `--ort-lib` or ORT_DYLIB_PATH at a working one."
    )]
    RuntimeLoad { path: PathBuf, reason: String },

    #[error("model `{name}` is not known. Known models: {known}. Or pass a path to an .onnx file.")]
    UnknownName { name: String, known: String },

    #[error(
        "model `{name}` is opt-in and not shipped ({licence}). Fix: pass the path to your own copy, \
         e.g. `--pose /path/to/{file}`; its SHA-256 is checked against the built-in manifest."
    )]
    NotBundled { name: String, licence: String, file: String },

    #[error("model file {path} could not be read: {source}. Fix: check the path, or restore models/ from the repository.")]
    ModelRead { path: PathBuf, source: std::io::Error },

    #[error("model file {path} is empty (0 bytes). Fix: restore it from the repository (git checkout -- models/) or re-copy it.")]
    ModelEmpty { path: PathBuf },

    #[error(
        "model file {path} does not match its manifest {manifest}: expected SHA-256 {expected}, got {actual}. \
         The file is corrupt, truncated or a different model. Fix: restore it (git checkout -- models/), or \
         update the manifest if you replaced the model on purpose."
    )]
    HashMismatch { path: PathBuf, manifest: String, expected: String, actual: String },

    #[error(
        "{path} is not a model liyi knows (SHA-256 {sha256}) and has no manifest beside it. Fix: pass \
         `--family` (yolo_pose, movenet, blazepose, ssd, centernet, retinaface) or write {manifest_hint}."
    )]
    UnrecognisedFile { path: PathBuf, sha256: String, manifest_hint: String },

    #[error("manifest {path} is invalid: {message}")]
    BadManifest { path: PathBuf, message: String },

    #[error("model {path} is not a {expected} model: {message}")]
    WrongTask { path: PathBuf, expected: String, message: String },

    #[error("ONNX Runtime could not load {path}: {message}. Fix: check that the file is a complete ONNX model.")]
    SessionLoad { path: PathBuf, message: String },

    #[error(
        "model {path} has unexpected inputs: its manifest ({family}) expects {expected}, the file has {found}. \
         Fix: pass the right `--family`, or fix the manifest's [input] section."
    )]
    UnexpectedInputs { path: PathBuf, family: String, expected: String, found: String },

    #[error("model {model} has no output `{output}` (outputs: {found}). Fix: check the manifest's [output] names.")]
    MissingOutput { model: String, output: String, found: String },

    #[error("model {model} gave an output of unexpected shape: {message}")]
    BadOutput { model: String, message: String },

    #[error("inference with {model} failed: {message}")]
    Inference { model: String, message: String },

    #[error("invalid input size {size} for {model}: {message}")]
    BadInputSize { model: String, size: u32, message: String },
}

pub type Result<T, E = VisionError> = std::result::Result<T, E>;
