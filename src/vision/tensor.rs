//! Building a model's image input from its manifest's [`InputSpec`].

use image::RgbImage;
use ndarray::Array4;
use ort::session::SessionInputValue;
use ort::value::TensorRef;

use crate::vision::VisionError;
use crate::vision::manifest::{Colour, DType, InputSpec, Layout};
use crate::vision::preprocess::{self, Normalize};

/// An input tensor in the element type the model wants.
pub enum InputTensor {
    F32(Array4<f32>),
    I32(Array4<i32>),
    U8(Array4<u8>),
}

impl Normalize {
    /// The normalisation a manifest's input asks for.
    pub fn from_spec(spec: &InputSpec) -> Normalize {
        Normalize { mean: spec.mean, std: spec.std, bgr: spec.colour == Colour::Bgr }
    }
}

impl InputTensor {
    /// Converts an already resized image into the model's input layout.
    /// Integer inputs take the raw 0..255 values.
    pub fn from_image(img: &RgbImage, spec: &InputSpec) -> InputTensor {
        let norm = Normalize::from_spec(spec);
        let swap = |v: Array4<u8>| if norm.bgr { v.slice_move(ndarray::s![.., .., .., ..;-1]).to_owned() } else { v };
        match (spec.dtype, spec.layout) {
            (DType::Float32, Layout::Nchw) => InputTensor::F32(preprocess::to_nchw(img, norm)),
            (DType::Float32, Layout::Nhwc) => InputTensor::F32(preprocess::to_nhwc_f32(img, norm)),
            (DType::Int32, Layout::Nhwc) => InputTensor::I32(swap(preprocess::to_nhwc(img, |v| v)).mapv(i32::from)),
            (DType::Uint8, Layout::Nhwc) => InputTensor::U8(swap(preprocess::to_nhwc(img, |v| v))),
            (DType::Int32, Layout::Nchw) => {
                InputTensor::I32(preprocess::to_nchw(img, Normalize { mean: [0.0; 3], std: [1.0; 3], bgr: norm.bgr }).mapv(|v| v as i32))
            }
            (DType::Uint8, Layout::Nchw) => {
                InputTensor::U8(preprocess::to_nchw(img, Normalize { mean: [0.0; 3], std: [1.0; 3], bgr: norm.bgr }).mapv(|v| v as u8))
            }
        }
    }

    /// A borrowed session input value.
    pub fn value(&self, model: &str) -> Result<SessionInputValue<'_>, VisionError> {
        let err = |e: ort::Error| VisionError::Inference { model: model.to_string(), message: e.to_string() };
        Ok(match self {
            InputTensor::F32(a) => TensorRef::from_array_view(a.view()).map_err(err)?.into(),
            InputTensor::I32(a) => TensorRef::from_array_view(a.view()).map_err(err)?.into(),
            InputTensor::U8(a) => TensorRef::from_array_view(a.view()).map_err(err)?.into(),
        })
    }
}
