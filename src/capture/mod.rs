//! Frame sources: video files and IP cameras (RTSP) through FFmpeg, USB
//! cameras through nokhwa, folders of images. Each yields frames already
//! reduced to the analysis rate and resolution, timestamped. Nothing here
//! analyses or stores pixels.

mod camera;
pub(crate) use crate::av::frames;
mod images;
mod video;

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use image::RgbImage;

use crate::config::SourceSpec;

pub use camera::CameraSource;
pub use frames::for_each_frame;
pub use images::ImageFolder;
pub use video::VideoSource;

/// One frame at analysis resolution.
pub struct Frame {
    pub ts: DateTime<FixedOffset>,
    /// Position in the source, increasing (for files, the frame number
    /// counting packets skipped to a keyframe).
    pub index: u64,
    pub image: RgbImage,
}

/// How frames are taken from a source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaptureOptions {
    /// Frames per second to analyse; the rest are dropped before conversion.
    pub fps: f64,
    /// Frames are scaled down so their longer side is at most this.
    pub max_side: u32,
    /// Timestamp of the first frame of a file or folder (recordings are
    /// replayed on their own clock); live streams use the wall clock.
    pub start: Option<DateTime<FixedOffset>>,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions { fps: 2.0, max_side: 1280, start: None }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{source_name}: cannot open: {message}. Fix: {fix}")]
    Open { source_name: String, message: String, fix: String },
    #[error("{source_name}: {message}")]
    Decode { source_name: String, message: String },
}

/// A source of frames.
pub trait Source: Send {
    /// The next frame due at the analysis rate; `None` at the end of a file
    /// or folder.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError>;
    /// Frames decoded but dropped to keep to the analysis rate.
    fn dropped(&self) -> u64;
    /// The reader is behind (a frame went unread): skip what is cheap to
    /// skip before the next frame. A video stream drops its packets,
    /// undecoded, up to the next keyframe (every later frame of the group
    /// needs the ones before it), so an overloaded box stops decoding
    /// pictures nobody will look at. Others ignore it.
    fn skip_to_keyframe(&mut self) {}
    /// Packets dropped undecoded by [`skip_to_keyframe`](Self::skip_to_keyframe).
    fn skipped(&self) -> u64 {
        0
    }
    /// The source's native size, once known.
    fn native_size(&self) -> Option<(u32, u32)>;
}

/// Opens the source a window's config names.
pub fn open(spec: &SourceSpec, options: CaptureOptions) -> Result<Box<dyn Source>, CaptureError> {
    match spec {
        SourceSpec::File { path } => Ok(Box::new(VideoSource::open_file(path, options)?)),
        SourceSpec::Rtsp { url } => Ok(Box::new(VideoSource::open_rtsp(url, options)?)),
        SourceSpec::Images { dir } => Ok(Box::new(ImageFolder::open(dir, options)?)),
        SourceSpec::Camera { index } => Ok(Box::new(CameraSource::open(*index, options)?)),
    }
}

pub use crate::imageio::analysis_size;

/// Chooses which timestamps to keep for a target rate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateGate {
    period: f64,
    next_due: Option<f64>,
}

impl RateGate {
    pub fn new(fps: f64) -> RateGate {
        RateGate { period: 1.0 / fps.max(0.01), next_due: None }
    }

    /// True when a frame at `t` seconds should be kept.
    pub fn keep(&mut self, t: f64) -> bool {
        match self.next_due {
            Some(due) if t + 1e-6 < due => false,
            Some(due) => {
                // Stay on the grid; after a gap, restart from this frame.
                let mut next = due + self.period;
                if next <= t {
                    next = t + self.period;
                }
                self.next_due = Some(next);
                true
            }
            None => {
                self.next_due = Some(t + self.period);
                true
            }
        }
    }
}

pub(crate) fn name_of(path: &std::path::Path) -> String {
    PathBuf::from(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_gate_keeps_two_of_thirty() {
        let mut g = RateGate::new(2.0);
        let kept: Vec<usize> = (0..90).filter(|i| g.keep(*i as f64 / 30.0)).collect();
        assert_eq!(kept, vec![0, 15, 30, 45, 60, 75]);
    }

    #[test]
    fn rate_gate_restarts_after_a_gap() {
        let mut g = RateGate::new(2.0);
        assert!(g.keep(0.0));
        assert!(g.keep(10.0));
        assert!(!g.keep(10.2));
        assert!(g.keep(10.5));
    }

    #[test]
    fn analysis_size_keeps_aspect_and_evenness() {
        assert_eq!(analysis_size(1768, 994, 1280), (1280, 720));
        assert_eq!(analysis_size(640, 480, 1280), (640, 480));
        assert_eq!(analysis_size(641, 481, 1280), (640, 480));
    }
}
