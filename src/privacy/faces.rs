//! The face search that checks stored or uploaded frames (not the one that
//! redacts): sensitive on purpose, at a size where small faces are found.

use std::path::Path;

use image::RgbImage;

use crate::geometry::BBox;
use crate::vision::VisionError;
use crate::vision::detector::Detection;
use crate::vision::retinaface::FaceDetector;

/// The long side frames are searched at, at least.
pub const AUDIT_LONG_SIDE: u32 = 960;
/// Faces from this score count: sensitive on purpose (the detector's usual
/// cut is 0.5; real faces score above 0.9). Not lower: at 0.3 a glass on a
/// table with a drawn joint beside it scored 0.31-0.34 in a redacted clip of
/// `seated-group.jpg` (docs/privacy.md). Redaction itself fills from 0.3.
pub const AUDIT_FACE_SCORE: f32 = 0.4;

/// The long side a frame of `w × h` is searched at as a check searches it:
/// its own, or [`AUDIT_LONG_SIDE`] if that is more.
pub fn check_long_side(w: u32, h: u32) -> u32 {
    w.max(h).max(AUDIT_LONG_SIDE)
}

/// A frame as a clip will store it: shrunk to the clip's long side, the
/// size the hub and `liyi privacy-audit` search. The face search that
/// redacts clip frames looks at this view, at the check's scale
/// ([`check_long_side`]), so whatever the check could find, the box has
/// searched for in the same pixels first (at its lower threshold). A
/// full-size search alone is not enough: a spot the model scores under 0.3
/// at 1280×720 scored 0.43–0.50 on the stored 640×360 frame
/// (docs/privacy.md).
pub struct StoredView<'a> {
    image: std::borrow::Cow<'a, RgbImage>,
    frame: (u32, u32),
}

impl<'a> StoredView<'a> {
    /// The view's size for a frame of `w × h`: no more than `max_side` on
    /// its long side (the clip writer's [`crate::imageio::analysis_size`]),
    /// the frame's own when it is no larger.
    pub fn size(w: u32, h: u32, max_side: u32) -> (u32, u32) {
        if w == 0 || h == 0 || w.max(h) <= max_side {
            return (w, h);
        }
        crate::imageio::analysis_size(w, h, max_side)
    }

    /// `frame` as the clip stores it; borrowed when it is no larger.
    pub fn of(frame: &'a RgbImage, max_side: u32) -> StoredView<'a> {
        let (w, h) = frame.dimensions();
        let (nw, nh) = StoredView::size(w, h, max_side);
        let image = if (nw, nh) == (w, h) {
            std::borrow::Cow::Borrowed(frame)
        } else {
            std::borrow::Cow::Owned(crate::imageio::resize_rgb(frame, nw, nh))
        };
        StoredView { image, frame: (w, h) }
    }

    pub fn image(&self) -> &RgbImage {
        &self.image
    }

    /// The detector's long side for a search of this view: the check's.
    pub fn long_side(&self) -> u32 {
        check_long_side(self.image.width(), self.image.height())
    }

    /// Faces found in the view, in the frame's pixels.
    pub fn to_frame(&self, faces: Vec<Detection>) -> Vec<Detection> {
        view_to_frame(faces, self.image.dimensions(), self.frame)
    }
}

/// Faces found in a view of `view` pixels, in the pixels of the `frame` it
/// was shrunk from (grown outward to whole frame pixels, never shrunk).
pub fn view_to_frame(faces: Vec<Detection>, view: (u32, u32), frame: (u32, u32)) -> Vec<Detection> {
    if view == frame || view.0 == 0 || view.1 == 0 {
        return faces;
    }
    let (sx, sy) = (frame.0 as f32 / view.0 as f32, frame.1 as f32 / view.1 as f32);
    faces
        .into_iter()
        .map(|d| Detection {
            bbox: BBox::new((d.bbox.x1 * sx).floor(), (d.bbox.y1 * sy).floor(), (d.bbox.x2 * sx).ceil(), (d.bbox.y2 * sy).ceil()),
            score: d.score,
        })
        .collect()
}

/// Faces in a frame that a clip will store at `max_side`: searched in the
/// stored view at the check's scale ([`StoredView`]), in the frame's pixels.
pub fn search_as_stored(faces: &mut FaceDetector, frame: &RgbImage, max_side: u32) -> Result<Vec<Detection>, VisionError> {
    let view = StoredView::of(frame, max_side);
    faces.at_long_side(view.long_side(), |f| f.detect(view.image())).map(|found| view.to_frame(found))
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
    faces
        .at_long_side(check_long_side(img.width(), img.height()), |f| f.detect(img))
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
    fn the_stored_view_is_the_clip_size_and_maps_back_outward() {
        let frame = RgbImage::new(1280, 720);
        let view = StoredView::of(&frame, 640);
        assert_eq!(view.image().dimensions(), (640, 360));
        assert_eq!(view.long_side(), AUDIT_LONG_SIDE);
        let found = vec![Detection { bbox: BBox::new(10.2, 20.7, 30.4, 40.1), score: 0.5 }];
        let back = view.to_frame(found);
        assert_eq!(back[0].bbox, BBox::new(20.0, 41.0, 61.0, 81.0), "scaled by 2 and grown to whole pixels");
        assert_eq!(back[0].score, 0.5);
    }

    #[test]
    fn a_frame_no_larger_than_the_clip_is_searched_as_it_is() {
        let frame = RgbImage::new(320, 200);
        let view = StoredView::of(&frame, 640);
        assert!(matches!(view.image, std::borrow::Cow::Borrowed(_)));
        let found = vec![Detection { bbox: BBox::new(1.5, 2.5, 3.5, 4.5), score: 0.9 }];
        assert_eq!(view.to_frame(found.clone()), found);
        assert_eq!(StoredView::of(&RgbImage::new(2000, 1500), 1920).long_side(), 1920);
        // Degenerate frames do not divide by zero.
        let empty = RgbImage::new(0, 0);
        assert_eq!(StoredView::of(&empty, 640).to_frame(found.clone()), found);
    }
}
