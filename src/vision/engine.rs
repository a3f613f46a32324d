//! One ONNX Runtime session behind a small API: load a checked model file,
//! confirm that its inputs and outputs match the manifest, run it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ndarray::{ArrayD, ArrayViewD};
use ort::session::{Session, SessionInputs, SessionOutputs};
use ort::value::{TensorElementType, ValueType};

use crate::vision::VisionError;
use crate::vision::catalog::ModelFile;
use crate::vision::manifest::{DType, Layout, Manifest};
use crate::vision::runtime::Runtime;
use crate::vision::tensor::InputTensor;

/// Session settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// ONNX Runtime intra-op threads per session.
    pub intra_threads: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions { intra_threads: 2 }
    }
}

/// A loaded model.
pub struct Engine {
    session: Session,
    pub manifest: Manifest,
    pub path: PathBuf,
    pub sha256: String,
    /// Time spent inside `session.run` since the engine was loaded.
    inference: Duration,
}

impl Engine {
    /// Creates a session for `model` and checks its inputs and outputs against
    /// the manifest.
    pub fn load(runtime: &Runtime, model: ModelFile, options: EngineOptions) -> Result<Engine, VisionError> {
        let ModelFile { mut manifest, path, sha256, bytes, described_by_family } = model;
        let load_err = |e: &dyn std::fmt::Display| VisionError::SessionLoad { path: path.clone(), message: e.to_string() };
        let session = Session::builder(runtime.environment())
            .map_err(|e| load_err(&e))?
            .with_intra_threads(options.intra_threads.max(1))
            .map_err(|e| load_err(&e))?
            .with_inter_threads(1)
            .map_err(|e| load_err(&e))?
            // Spinning threads would steal the CPU from the next model in the
            // pipeline (and from other windows' work): measured 121 ms vs
            // 83 ms per frame for detector + pose at 2 threads with spinning on.
            .with_intra_op_spinning(false)
            .map_err(|e| load_err(&e))?
            // Without memory patterns a session keeps no pre-planned buffers
            // between frames: peak RSS of the agent with one pipeline fell
            // from 300 to 240 MB at the same CPU time (docs/design.md).
            .with_memory_pattern(false)
            .map_err(|e| load_err(&e))?
            // The CPU arena stays on, deliberately. Off, it would free the
            // 84 MB it keeps for the pose pair and the face model on a
            // 1280×720 frame, but every run would then map and fault in its
            // tensors afresh (the agent pins glibc's mmap threshold): 24
            // windows fell from 0.93 to 0.29 analysed frames/s each
            // (`scripts/bench-agent.sh 24 60`; README, "Where the memory goes").
            .with_execution_providers([ort::ep::CPU::default().with_arena_allocator(true).build()])
            .map_err(|e| load_err(&e))?
            .commit_from_memory(&bytes)
            .map_err(|e| load_err(&e))?;

        let inputs = session.inputs();
        if described_by_family && inputs.len() == 1 {
            manifest.input.name = inputs[0].name().to_string();
        }
        let describe = |o: &ort::value::Outlet| format!("`{}` {}", o.name(), describe_type(o.dtype()));
        let found = inputs.iter().map(describe).collect::<Vec<_>>().join(", ");
        let expected = format!(
            "`{}` {:?} {:?} {}x{}",
            manifest.input.name, manifest.input.dtype, manifest.input.layout, manifest.input.size[0], manifest.input.size[1]
        );
        let mismatch = || VisionError::UnexpectedInputs {
            path: path.clone(),
            family: manifest.family.to_string(),
            expected: expected.clone(),
            found: found.clone(),
        };
        let input = inputs.iter().find(|i| i.name() == manifest.input.name).ok_or_else(mismatch)?;
        let (ty, shape) = match input.dtype() {
            ValueType::Tensor { ty, shape, .. } => (*ty, shape.to_vec()),
            _ => return Err(mismatch()),
        };
        let want_ty = match manifest.input.dtype {
            DType::Float32 => TensorElementType::Float32,
            DType::Int32 => TensorElementType::Int32,
            DType::Uint8 => TensorElementType::Uint8,
        };
        if ty != want_ty || shape.len() != 4 {
            return Err(mismatch());
        }
        let (h, w, c) = match manifest.input.layout {
            Layout::Nchw => (shape[2], shape[3], shape[1]),
            Layout::Nhwc => (shape[1], shape[2], shape[3]),
        };
        if described_by_family && w > 0 && h > 0 {
            // A file described by --family alone: its own fixed size wins.
            manifest.input.size = [w as u32, h as u32];
        }
        let fixed_ok = |dim: i64, want: u32| dim < 0 || manifest.input.dynamic || dim == want as i64;
        if !(c < 0 || c == 3) || !fixed_ok(w, manifest.input.size[0]) || !fixed_ok(h, manifest.input.size[1]) {
            return Err(mismatch());
        }
        let outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        if let Some(missing) = manifest.output.names.iter().find(|n| !outputs.contains(&n.as_str())) {
            return Err(VisionError::MissingOutput {
                model: path.display().to_string(),
                output: missing.clone(),
                found: outputs.join(", "),
            });
        }
        Ok(Engine { session, manifest, path, sha256, inference: Duration::ZERO })
    }

    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// Runs the session on its image input. Output values borrow the engine
    /// until dropped.
    pub fn infer(&mut self, tensor: &InputTensor) -> Result<SessionOutputs<'_>, VisionError> {
        let value = tensor.value(&self.manifest.name)?;
        let inputs = ort::inputs![self.manifest.input.name.clone() => value];
        self.run(inputs)
    }

    /// Runs the session with explicit inputs.
    pub fn run<'s, 'i, 'v: 'i, const N: usize>(
        &'s mut self,
        inputs: impl Into<SessionInputs<'i, 'v, N>>,
    ) -> Result<SessionOutputs<'s>, VisionError> {
        let start = Instant::now();
        let result = self.session.run(inputs);
        self.inference += start.elapsed();
        result.map_err(|e| VisionError::Inference { model: self.manifest.name.clone(), message: e.to_string() })
    }

    /// Total time spent in `session.run` so far.
    pub fn inference_time(&self) -> Duration {
        self.inference
    }
}

fn describe_type(t: &ValueType) -> String {
    match t {
        ValueType::Tensor { ty, shape, .. } => format!("{ty:?} {:?}", shape.to_vec()),
        other => format!("{other:?}"),
    }
}

/// Extracts a float output by name as an owned array.
pub fn output_f32(outputs: &SessionOutputs<'_>, model: &str, name: &str) -> Result<ArrayD<f32>, VisionError> {
    Ok(view_f32(outputs, model, name)?.to_owned())
}

/// Borrows a float output by name.
pub fn view_f32<'a>(outputs: &'a SessionOutputs<'_>, model: &str, name: &str) -> Result<ArrayViewD<'a, f32>, VisionError> {
    let value = outputs.get(name).ok_or_else(|| VisionError::MissingOutput {
        model: model.to_string(),
        output: name.to_string(),
        found: outputs.keys().collect::<Vec<_>>().join(", "),
    })?;
    value.try_extract_array::<f32>().map_err(|e| VisionError::BadOutput { model: model.to_string(), message: format!("`{name}`: {e}") })
}
