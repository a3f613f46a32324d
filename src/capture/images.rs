//! A folder of images as a source, one frame every `1 / fps` seconds.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Local};

use super::{CaptureError, CaptureOptions, Frame, Source, analysis_size, name_of};
use crate::imageio;
use crate::imageio::resize_rgb;

pub struct ImageFolder {
    files: Vec<PathBuf>,
    next: usize,
    options: CaptureOptions,
    start: DateTime<FixedOffset>,
    size: Option<(u32, u32)>,
}

impl ImageFolder {
    pub fn open(dir: &Path, options: CaptureOptions) -> Result<ImageFolder, CaptureError> {
        if !dir.is_dir() {
            return Err(CaptureError::Open { source_name: name_of(dir), message: "no such folder".into(), fix: "point images: at a folder of .jpg or .png files".into() });
        }
        let files = imageio::expand_inputs(&[dir.to_path_buf()]).map_err(|e| CaptureError::Open {
            source_name: name_of(dir),
            message: e.to_string(),
            fix: "point images: at a folder of .jpg or .png files".into(),
        })?;
        let start = options.start.unwrap_or_else(|| Local::now().fixed_offset());
        Ok(ImageFolder { files, next: 0, options, start, size: None })
    }
}

impl Source for ImageFolder {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let Some(path) = self.files.get(self.next) else { return Ok(None) };
        let index = self.next as u64;
        self.next += 1;
        let img = imageio::load_rgb(path).map_err(|e| CaptureError::Decode { source_name: name_of(path), message: e.to_string() })?;
        self.size = Some(img.dimensions());
        let (w, h) = analysis_size(img.width(), img.height(), self.options.max_side);
        let image = if (w, h) == img.dimensions() { img } else { resize_rgb(&img, w, h) };
        let offset = chrono::Duration::milliseconds((index as f64 / self.options.fps * 1000.0) as i64);
        Ok(Some(Frame { ts: self.start + offset, index, image }))
    }

    fn dropped(&self) -> u64 {
        0
    }

    fn native_size(&self) -> Option<(u32, u32)> {
        self.size
    }
}
