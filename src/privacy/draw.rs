//! Drawing boxes and skeletons. Private to the privacy module: it only ever
//! draws on a frame that has already been redacted.

use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_hollow_rect_mut, draw_line_segment_mut};
use imageproc::rect::Rect;

use crate::vision::Person;
use crate::vision::person::{COCO_SKELETON, kp};

const BOX: Rgb<u8> = Rgb([255, 200, 0]);
const LIMB: Rgb<u8> = Rgb([0, 255, 120]);
const JOINT: Rgb<u8> = Rgb([255, 60, 60]);

/// Draws each person's box, limbs and body joints. No joint dot is drawn
/// inside a `filled` region (a hand at the face would put red dots on a
/// filled head, the same risk as the ring below); limbs are lines and stay.
pub(super) fn people(img: &mut RgbImage, people: &[Person], min_conf: f32, filled: &[crate::geometry::BBox]) {
    let thick = (img.width().max(img.height()) / 400).max(1) as i32;
    for p in people {
        let b = p.bbox;
        for t in 0..thick {
            let (x, y) = (b.x1 as i32 - t, b.y1 as i32 - t);
            let (w, h) = (b.width() as u32 + 2 * t as u32, b.height() as u32 + 2 * t as u32);
            if w > 0 && h > 0 {
                draw_hollow_rect_mut(img, Rect::at(x, y).of_size(w, h), BOX);
            }
        }
        // Nothing is drawn at the head: its filled region shows where it
        // is. Dots for eyes, nose and ears over a filled head make a cartoon
        // face, and so, after H.264, did the single ring drawn there before:
        // in one of the demo's clips it scored 0.445 as a face in the privacy
        // audit (threshold 0.4), and without it nothing scored there
        // (docs/privacy.md, "What is drawn over a filled head").
        let is_head = |i: usize| kp::HEAD.contains(&i);
        for &(a, c) in COCO_SKELETON.iter().filter(|(a, c)| !is_head(*a) && !is_head(*c)) {
            if let (Some(ka), Some(kc)) = (p.confident(a, min_conf), p.confident(c, min_conf)) {
                for t in -(thick / 2)..=(thick / 2) {
                    let o = t as f32;
                    draw_line_segment_mut(img, (ka.x + o, ka.y), (kc.x + o, kc.y), LIMB);
                    draw_line_segment_mut(img, (ka.x, ka.y + o), (kc.x, kc.y + o), LIMB);
                }
            }
        }
        let body = p.keypoints.iter().enumerate().filter(|(i, _)| !is_head(*i)).map(|(_, k)| k);
        let on_fill = |x: f32, y: f32| filled.iter().any(|r| r.contains(crate::geometry::Point::new(x, y)));
        for k in body.filter(|k| k.conf >= min_conf && k.x.is_finite() && k.y.is_finite() && !on_fill(k.x, k.y)) {
            draw_filled_circle_mut(img, (k.x as i32, k.y as i32), thick + 2, JOINT);
        }
    }
}

const ZONE: Rgb<u8> = Rgb([80, 160, 255]);
const ALERT: Rgb<u8> = Rgb([255, 40, 40]);
const REFERENCE: Rgb<u8> = Rgb([255, 255, 255]);

/// What a clip shows about its rule, in the drawn frame's pixels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cue {
    pub staff_zone: Vec<(f32, f32)>,
    pub counter_zone: Vec<(f32, f32)>,
    /// The desk's top edge, y in pixels.
    pub desk_y: Option<f32>,
    /// Draw the staff zone in the alert colour (e.g. an empty post).
    pub alert_staff: bool,
    /// Draw the counter zone in the alert colour (a citizen not greeted).
    pub alert_counter: bool,
    /// Hip centre → shoulder centre, drawn in the alert colour beside a
    /// vertical reference from the hip, so the trunk angle shows.
    pub trunk: Option<((f32, f32), (f32, f32))>,
}

pub(super) fn cue(img: &mut RgbImage, cue: &Cue) {
    let thick = (img.width().max(img.height()) / 320).max(1) as i32;
    let thick_line = |img: &mut RgbImage, a: (f32, f32), b: (f32, f32), colour: Rgb<u8>| {
        for t in -(thick / 2)..=(thick / 2) {
            let o = t as f32;
            draw_line_segment_mut(img, (a.0 + o, a.1), (b.0 + o, b.1), colour);
            draw_line_segment_mut(img, (a.0, a.1 + o), (b.0, b.1 + o), colour);
        }
    };
    for (zone, alert) in [(&cue.staff_zone, cue.alert_staff), (&cue.counter_zone, cue.alert_counter)] {
        let colour = if alert { ALERT } else { ZONE };
        for (i, &a) in zone.iter().enumerate() {
            thick_line(img, a, zone[(i + 1) % zone.len()], colour);
        }
    }
    if let Some(y) = cue.desk_y {
        thick_line(img, (0.0, y), (img.width() as f32, y), ZONE);
    }
    if let Some((hip, shoulder)) = cue.trunk {
        let len = ((shoulder.0 - hip.0).powi(2) + (shoulder.1 - hip.1).powi(2)).sqrt();
        thick_line(img, hip, (hip.0, hip.1 - len), REFERENCE);
        thick_line(img, hip, shoulder, ALERT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::BBox;
    use crate::vision::Keypoint;

    /// Nothing is drawn at the head (the box's edges aside): the filled
    /// head shows where it is, and a mark there can read as a face after
    /// H.264.
    #[test]
    fn nothing_is_drawn_at_the_head() {
        let grey = Rgb([100, 102, 107]);
        let mut img = RgbImage::from_pixel(640, 360, grey);
        let mut k = vec![Keypoint::new(0.0, 0.0, 0.0); 17];
        for (i, x, y) in [(0, 100.0, 60.0), (1, 104.0, 56.0), (2, 96.0, 56.0), (3, 110.0, 58.0), (4, 90.0, 58.0)] {
            k[i] = Keypoint::new(x, y, 0.9);
        }
        k[kp::LEFT_SHOULDER] = Keypoint::new(120.0, 90.0, 0.9);
        k[kp::RIGHT_SHOULDER] = Keypoint::new(80.0, 90.0, 0.9);
        k[kp::LEFT_HIP] = Keypoint::new(115.0, 160.0, 0.9);
        let p = Person { bbox: BBox::new(60.0, 30.0, 140.0, 200.0), score: 0.9, keypoints: k, landmarks: None, presence: None };
        people(&mut img, &[p], 0.3, &[]);
        for y in 35..82 {
            for x in 65..136 {
                assert_eq!(*img.get_pixel(x, y), grey, "drawn at ({x}, {y}), above the shoulders");
            }
        }
        assert_eq!(*img.get_pixel(120, 90), JOINT, "the shoulders are drawn");
        assert_eq!(*img.get_pixel(60, 100), BOX, "the box is drawn");
    }

    /// A wrist raised to a filled head gets no red dot there, and a joint
    /// outside the fill keeps its dot.
    #[test]
    fn no_joint_dot_on_a_filled_region() {
        let grey = Rgb([100, 102, 107]);
        let mut img = RgbImage::from_pixel(640, 360, grey);
        let mut k = vec![Keypoint::new(0.0, 0.0, 0.0); 17];
        k[kp::LEFT_SHOULDER] = Keypoint::new(120.0, 90.0, 0.9);
        k[7] = Keypoint::new(140.0, 120.0, 0.9);
        k[9] = Keypoint::new(104.0, 60.0, 0.9);
        let p = Person { bbox: BBox::new(60.0, 30.0, 160.0, 200.0), score: 0.9, keypoints: k, landmarks: None, presence: None };
        let head = BBox::new(80.0, 40.0, 118.0, 80.0);
        people(&mut img, &[p], 0.3, &[head]);
        assert_ne!(*img.get_pixel(104, 60), JOINT, "no dot on the fill");
        assert!((97..=111).all(|x| *img.get_pixel(x, 60) != JOINT) && (53..=67).all(|y| *img.get_pixel(104, y) != JOINT));
        assert_eq!(*img.get_pixel(140, 120), JOINT, "the elbow, outside the fill, keeps its dot");
        assert_eq!(*img.get_pixel(122, 90), JOINT, "so does the shoulder");
        // Limbs are still drawn, outside the fill and across it.
        assert_eq!(*img.get_pixel(130, 105), LIMB, "the upper arm, shoulder to elbow");
        assert_eq!(*img.get_pixel(110, 70), LIMB, "the forearm, where it crosses the fill");
    }
}
