//! What every pose adapter produces: people with a box, a score and the 17
//! COCO keypoints, in original-image pixels.

use serde::{Deserialize, Serialize};

use crate::geometry::BBox;

/// Number of keypoints in the COCO-17 layout every adapter maps onto.
pub const COCO_KEYPOINTS: usize = 17;

/// COCO-17 keypoint names, in order.
pub const COCO_NAMES: [&str; COCO_KEYPOINTS] = [
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
];

/// Named indices into the COCO-17 layout.
pub mod kp {
    pub const NOSE: usize = 0;
    pub const LEFT_EYE: usize = 1;
    pub const RIGHT_EYE: usize = 2;
    pub const LEFT_EAR: usize = 3;
    pub const RIGHT_EAR: usize = 4;
    pub const LEFT_SHOULDER: usize = 5;
    pub const RIGHT_SHOULDER: usize = 6;
    pub const LEFT_HIP: usize = 11;
    pub const RIGHT_HIP: usize = 12;
    /// Keypoints that lie on the head.
    pub const HEAD: [usize; 5] = [NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR];
}

/// Limbs drawn between COCO keypoints.
pub const COCO_SKELETON: [(usize, usize); 16] = [
    (5, 6),
    (5, 7),
    (7, 9),
    (6, 8),
    (8, 10),
    (5, 11),
    (6, 12),
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (0, 1),
    (0, 2),
    (1, 3),
    (2, 4),
];

/// One keypoint: position in original-image pixels and the model's confidence
/// (0..1). Serialised as `[x, y, conf]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "[f32; 3]", into = "[f32; 3]")]
pub struct Keypoint {
    pub x: f32,
    pub y: f32,
    pub conf: f32,
}

impl Keypoint {
    pub const fn new(x: f32, y: f32, conf: f32) -> Self {
        Keypoint { x, y, conf }
    }
}

impl From<[f32; 3]> for Keypoint {
    fn from(v: [f32; 3]) -> Self {
        Keypoint::new(v[0], v[1], v[2])
    }
}

impl From<Keypoint> for [f32; 3] {
    fn from(k: Keypoint) -> Self {
        [k.x, k.y, k.conf]
    }
}

/// A person found in a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    #[serde(rename = "box")]
    pub bbox: BBox,
    pub score: f32,
    /// Exactly [`COCO_KEYPOINTS`] keypoints, in COCO order.
    pub keypoints: Vec<Keypoint>,
    /// The model's own landmarks where it has more than COCO-17
    /// (BlazePose: 33), in the model's order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landmarks: Option<Vec<Keypoint>>,
    /// Pose presence score, for models that give one (BlazePose).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<f32>,
}

impl Person {
    /// The same person moved by `(dx, dy)` pixels: from a crop's
    /// coordinates back to the frame's.
    pub fn translated(mut self, dx: f32, dy: f32) -> Person {
        self.bbox = BBox::new(self.bbox.x1 + dx, self.bbox.y1 + dy, self.bbox.x2 + dx, self.bbox.y2 + dy);
        for k in self.keypoints.iter_mut().chain(self.landmarks.iter_mut().flatten()) {
            (k.x, k.y) = (k.x + dx, k.y + dy);
        }
        self
    }

    /// The keypoint at a COCO index when its confidence reaches `min_conf`.
    pub fn confident(&self, index: usize, min_conf: f32) -> Option<Keypoint> {
        self.keypoints.get(index).copied().filter(|k| k.conf >= min_conf && k.x.is_finite() && k.y.is_finite())
    }
}

/// Sorts people by descending score (stable for equal scores).
pub fn sort_by_score(people: &mut [Person]) {
    people.sort_by(|a, b| b.score.total_cmp(&a.score));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translation_moves_box_keypoints_and_landmarks() {
        let k = Keypoint::new(1.0, 2.0, 0.9);
        let p = Person {
            bbox: BBox::new(0.0, 0.0, 10.0, 20.0),
            score: 0.8,
            keypoints: vec![k; 17],
            landmarks: Some(vec![k; 33]),
            presence: None,
        };
        let q = p.translated(100.0, 50.0);
        assert_eq!(q.bbox, BBox::new(100.0, 50.0, 110.0, 70.0));
        assert!(q.keypoints.iter().chain(q.landmarks.iter().flatten()).all(|k| (k.x, k.y, k.conf) == (101.0, 52.0, 0.9)));
    }

    #[test]
    fn person_json_shape_matches_contract() {
        let p = Person {
            bbox: BBox::new(1.0, 2.0, 3.0, 4.0),
            score: 0.5,
            keypoints: vec![Keypoint::new(1.0, 2.0, 0.25); COCO_KEYPOINTS],
            landmarks: None,
            presence: None,
        };
        let v: serde_json::Value = serde_json::to_value(&p).unwrap();
        assert_eq!(v["box"], serde_json::json!([1.0, 2.0, 3.0, 4.0]));
        assert_eq!(v["keypoints"].as_array().unwrap().len(), 17);
        assert_eq!(v["keypoints"][0], serde_json::json!([1.0, 2.0, 0.25]));
        assert!(v.get("landmarks").is_none());
    }

    #[test]
    fn confident_filters_by_threshold() {
        let mut kps = vec![Keypoint::new(0.0, 0.0, 0.2); COCO_KEYPOINTS];
        kps[kp::NOSE] = Keypoint::new(5.0, 6.0, 0.9);
        let p = Person { bbox: BBox::new(0.0, 0.0, 1.0, 1.0), score: 1.0, keypoints: kps, landmarks: None, presence: None };
        assert!(p.confident(kp::NOSE, 0.5).is_some());
        assert!(p.confident(kp::LEFT_EYE, 0.5).is_none());
        assert!(p.confident(99, 0.0).is_none());
    }

    #[test]
    fn skeleton_indices_are_in_range() {
        for (a, b) in COCO_SKELETON {
            assert!(a < COCO_KEYPOINTS && b < COCO_KEYPOINTS);
        }
    }
}
