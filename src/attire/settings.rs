//! A hall's attire settings as the config gives them: the enrolled
//! references, the optional model slot and how often to judge. `config`
//! builds them (checking the reference files at load, with file:line
//! errors); the judge reads them. Plain data.

use serde::Serialize;

use super::Reference;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttireSettings {
    pub badge: Option<Reference>,
    pub uniform: Option<Reference>,
    pub model: Option<ModelSlot>,
    /// Seconds between checks of a window's clerk.
    pub every_s: f64,
}

/// A hall's attire model and what its classes mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSlot {
    /// The .onnx file (its manifest beside it), absolute.
    pub path: String,
    pub badge: Vec<String>,
    pub no_badge: Vec<String>,
    pub uniform_ok: Vec<String>,
    pub uniform_off: Vec<String>,
}
