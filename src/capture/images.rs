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
    /// Files that could not be read or decoded (skipped, with a warning).
    skipped: u64,
}

impl ImageFolder {
    pub fn open(dir: &Path, options: CaptureOptions) -> Result<ImageFolder, CaptureError> {
        if !dir.is_dir() {
            return Err(CaptureError::Open {
                source_name: name_of(dir),
                message: "no such folder".into(),
                fix: "point images: at a folder of .jpg or .png files".into(),
            });
        }
        let files = imageio::expand_inputs(&[dir.to_path_buf()]).map_err(|e| CaptureError::Open {
            source_name: name_of(dir),
            message: e.to_string(),
            fix: "point images: at a folder of .jpg or .png files".into(),
        })?;
        let start = options.start.unwrap_or_else(|| Local::now().fixed_offset());
        Ok(ImageFolder { files, next: 0, options, start, size: None, skipped: 0 })
    }
}

impl Source for ImageFolder {
    /// One unreadable file does not stop the window: it is skipped, counted
    /// in [`Source::dropped`] and logged, and its time slot stays empty.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let (index, img) = loop {
            let Some(path) = self.files.get(self.next) else { return Ok(None) };
            let index = self.next as u64;
            self.next += 1;
            match imageio::load_rgb(path) {
                Ok(img) => break (index, img),
                Err(e) => {
                    self.skipped += 1;
                    tracing::warn!(file = %name_of(path), error = %e, skipped = self.skipped, "image skipped: cannot read it");
                }
            }
        };
        self.size = Some(img.dimensions());
        let (w, h) = analysis_size(img.width(), img.height(), self.options.max_side);
        let image = if (w, h) == img.dimensions() { img } else { resize_rgb(&img, w, h) };
        // A start given on the command line may lie at the end of time: a
        // frame past it is an error, not an overflow.
        let ts = chrono::TimeDelta::try_milliseconds((index as f64 / self.options.fps * 1000.0) as i64)
            .and_then(|offset| self.start.checked_add_signed(offset))
            .ok_or_else(|| CaptureError::Decode {
                // The file just read.
                source_name: self.files.get(self.next - 1).map_or_else(|| "images".into(), |p| name_of(p)),
                message: format!(
                    "frame {index} would lie past the last representable time from the start {}; give an earlier --start",
                    self.start
                ),
            })?;
        Ok(Some(Frame { ts, index, image }))
    }

    fn dropped(&self) -> u64 {
        self.skipped
    }

    fn native_size(&self) -> Option<(u32, u32)> {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_file_is_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let png = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/astronaut.png");
        std::fs::copy(&png, dir.path().join("a.png")).unwrap();
        std::fs::write(dir.path().join("b.png"), b"not a png at all").unwrap();
        std::fs::copy(&png, dir.path().join("c.png")).unwrap();
        let mut src = ImageFolder::open(dir.path(), CaptureOptions { max_side: 64, ..CaptureOptions::default() }).unwrap();
        let mut indices = vec![];
        while let Some(f) = src.next_frame().expect("a bad file does not stop the source") {
            indices.push(f.index);
        }
        assert_eq!(indices, vec![0, 2]);
        assert_eq!(src.dropped(), 1);
    }

    #[test]
    fn a_start_at_the_end_of_time_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let png = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/astronaut.png");
        std::fs::copy(&png, dir.path().join("a.png")).unwrap();
        std::fs::copy(&png, dir.path().join("b.png")).unwrap();
        let start = chrono::DateTime::<chrono::Utc>::MAX_UTC.fixed_offset();
        let mut src =
            ImageFolder::open(dir.path(), CaptureOptions { max_side: 64, start: Some(start), ..CaptureOptions::default() }).unwrap();
        assert!(src.next_frame().unwrap().is_some(), "the first frame is at the start itself");
        let e = src.next_frame().err().expect("past the end of time is an error").to_string();
        assert!(e.contains("b.png") && e.contains("--start"), "{e}");
    }
}
