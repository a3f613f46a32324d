//! The face search that checks stored or uploaded frames (not the one that
//! redacts): sensitive on purpose, at a size where small faces are found.

use std::path::Path;

use image::RgbImage;

use crate::vision::detector::Detection;
use crate::vision::retinaface::FaceDetector;

/// The long side frames are searched at, at least.
pub const AUDIT_LONG_SIDE: u32 = 960;
/// Faces from this score count: sensitive on purpose (the detector's usual
/// cut is 0.5; real faces score above 0.9). Not lower: at 0.3 a glass on a
/// table with a drawn joint beside it scored 0.31-0.34 in a redacted clip of
/// `seated-group.jpg` (docs/privacy.md). Redaction itself fills from 0.3.
pub const AUDIT_FACE_SCORE: f32 = 0.4;
/// Faces from this score are filled (clips, previews, snapshots, drawings):
/// lower than a detector's usual 0.5, because a false face costs a grey
/// patch and a missed one a person's privacy.
pub const REDACT_FACE_SCORE: f32 = 0.3;

/// The long side a frame of `w × h` is searched at as a check searches it:
/// its own, or [`AUDIT_LONG_SIDE`] if that is more.
pub fn check_long_side(w: u32, h: u32) -> u32 {
    w.max(h).max(AUDIT_LONG_SIDE)
}

/// Faces in `img` searched as a check searches it ([`check_long_side`]), at
/// the detector's own threshold; the detector's error as text. The one
/// search behind [`search`] and the last look before storing
/// ([`crate::privacy::RedactedFrame::recheck`]).
pub fn search_as_checked(faces: &mut FaceDetector, img: &RgbImage) -> Result<Vec<Detection>, String> {
    faces.at_long_side(check_long_side(img.width(), img.height()), |f| f.detect(img)).map_err(|e| e.to_string())
}

/// A face found by a check: where, in which frame, how sure.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundFace {
    pub frame: usize,
    pub score: f32,
    pub bbox: [f32; 4],
}

/// Searches one frame at [`AUDIT_LONG_SIDE`] or more; the detector's own
/// error if it fails (the caller decides: a finding, or a refusal).
pub fn search(faces: &mut FaceDetector, img: &RgbImage, frame: usize) -> Result<Vec<FoundFace>, String> {
    search_as_checked(faces, img)
        .map(|found| {
            found.into_iter().map(|d| FoundFace { frame, score: d.score, bbox: [d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2] }).collect()
        })
        .map_err(|e| format!("face detector failed on frame {frame}: {e}"))
}

/// What a refusal says of a face: no pixels, only where it was.
pub fn describe(what: &Path, f: &FoundFace) -> String {
    format!(
        "{}: a face (score {:.2}) in frame {} at x {:.0}-{:.0}, y {:.0}-{:.0}",
        what.display(),
        f.score,
        f.frame,
        f.bbox[0],
        f.bbox[2],
        f.bbox[1],
        f.bbox[3]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_search_at_960_or_the_frame_s_own_long_side() {
        assert_eq!(check_long_side(640, 360), AUDIT_LONG_SIDE);
        assert_eq!(check_long_side(360, 640), AUDIT_LONG_SIDE);
        assert_eq!(check_long_side(1920, 1080), 1920);
        assert_eq!(check_long_side(0, 0), AUDIT_LONG_SIDE);
    }
}
