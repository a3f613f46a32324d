//! The chest region of a person, from pose keypoints: where a work badge is
//! worn and the uniform shows. Pure geometry.
//!
//! - Across: centred between the shoulders, `CHEST_WIDTH` of the torso
//!   width. The torso width is the shoulder distance, but at least half the
//!   torso's length, so a slight turn (which shortens the projected shoulder
//!   line) does not shrink the region to a strip.
//! - Down: from just below the shoulder line to the hips, or to the desk's
//!   top edge when it is higher, or (hips unseen) 1.1 torso widths.
//! - Unknown when a shoulder is not confident, when the person is turned
//!   too far (shoulders under 35 % of the torso length), when the desk
//!   hides most of the chest, or when the region is under 16 px wide.

use crate::vision::Person;
use crate::vision::person::kp;

/// Keypoints below this confidence are not used.
pub const MIN_KEYPOINT_CONF: f32 = 0.3;
/// The chest's share of the torso width.
const CHEST_WIDTH: f32 = 0.9;
/// Smallest region worth judging, in pixels across.
const MIN_WIDTH_PX: f32 = 16.0;

/// An axis-aligned region in image pixels, `[x0, x1) × [y0, y1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chest {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
    /// Torso width in pixels (the scale of everything measured in it).
    pub scale: f32,
}

impl Chest {
    pub fn width(&self) -> u32 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> u32 {
        self.y1 - self.y0
    }
}

/// Why no chest region could be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    ShouldersUnseen,
    TurnedAway,
    HiddenByDesk,
    TooSmall,
}

impl Unknown {
    pub fn as_str(self) -> &'static str {
        match self {
            Unknown::ShouldersUnseen => "shoulders not seen",
            Unknown::TurnedAway => "turned too far",
            Unknown::HiddenByDesk => "chest hidden by the desk",
            Unknown::TooSmall => "too small",
        }
    }
}

/// The chest region of `p` in a `width × height` image; `desk_y` is the
/// desk's top edge in pixels, if known.
pub fn chest(p: &Person, width: u32, height: u32, desk_y: Option<f32>) -> Result<Chest, Unknown> {
    let k = |i: usize| p.keypoints.get(i).filter(|k| k.conf >= MIN_KEYPOINT_CONF);
    let (Some(ls), Some(rs)) = (k(kp::LEFT_SHOULDER), k(kp::RIGHT_SHOULDER)) else { return Err(Unknown::ShouldersUnseen) };
    let shoulder = (ls.x - rs.x).hypot(ls.y - rs.y);
    let (sx, sy) = ((ls.x + rs.x) / 2.0, (ls.y + rs.y) / 2.0);
    let hips = match (k(kp::LEFT_HIP), k(kp::RIGHT_HIP)) {
        (Some(a), Some(b)) => Some(((a.x + b.x) / 2.0, (a.y + b.y) / 2.0)),
        _ => None,
    };
    let torso_len = hips.map(|(hx, hy)| (hx - sx).hypot(hy - sy));
    if let Some(t) = torso_len
        && shoulder < 0.35 * t
    {
        return Err(Unknown::TurnedAway);
    }
    let torso_w = shoulder.max(torso_len.map_or(0.0, |t| 0.5 * t));
    let top = sy + 0.1 * torso_w;
    let mut bottom = match hips {
        Some((_, hy)) if hy > top => hy,
        _ => top + 1.1 * torso_w,
    };
    if let Some(d) = desk_y {
        bottom = bottom.min(d);
    }
    if bottom - top < 0.3 * torso_w {
        return Err(Unknown::HiddenByDesk);
    }
    let cx = match hips {
        Some((hx, _)) => 0.7 * sx + 0.3 * hx,
        None => sx,
    };
    let half = CHEST_WIDTH * torso_w / 2.0;
    let clamp = |v: f32, max: u32| v.round().clamp(0.0, max as f32) as u32;
    let c = Chest {
        x0: clamp(cx - half, width),
        x1: clamp(cx + half, width),
        y0: clamp(top, height),
        y1: clamp(bottom, height),
        scale: torso_w,
    };
    if (c.width() as f32) < MIN_WIDTH_PX || c.height() < 8 {
        return Err(Unknown::TooSmall);
    }
    Ok(c)
}

/// The chest band of a photo that is already one person's box (a person
/// crop): 20-80 % across, 25-70 % down. Only for photos supplied as crops
/// (`--person-crops`); live frames always use the keypoints.
pub fn chest_in_box(width: u32, height: u32) -> Result<Chest, Unknown> {
    let (w, h) = (width as f32, height as f32);
    let c = Chest { x0: (0.2 * w) as u32, x1: (0.8 * w).ceil() as u32, y0: (0.25 * h) as u32, y1: (0.7 * h).ceil() as u32, scale: w };
    if c.width() < 8 || c.height() < 8 {
        return Err(Unknown::TooSmall);
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::BBox;
    use crate::vision::person::{COCO_KEYPOINTS, Keypoint};

    fn person(points: &[(usize, f32, f32)]) -> Person {
        let mut keypoints = vec![Keypoint::new(0.0, 0.0, 0.0); COCO_KEYPOINTS];
        for &(i, x, y) in points {
            keypoints[i] = Keypoint::new(x, y, 0.9);
        }
        Person { bbox: BBox::new(0.0, 0.0, 10.0, 10.0), score: 0.9, keypoints, landmarks: None, presence: None }
    }

    const FRONT: [(usize, f32, f32); 4] = [(5, 400.0, 200.0), (6, 300.0, 200.0), (11, 390.0, 400.0), (12, 310.0, 400.0)];

    #[test]
    fn spans_shoulders_to_hips_scaled_to_the_torso() {
        let c = chest(&person(&FRONT), 1280, 720, None).unwrap();
        assert_eq!(c.scale, 100.0);
        assert_eq!((c.x0, c.x1), (305, 395));
        assert_eq!((c.y0, c.y1), (210, 400));
    }

    #[test]
    fn stops_at_the_desk_and_says_unknown_when_hidden() {
        let c = chest(&person(&FRONT), 1280, 720, Some(330.0)).unwrap();
        assert_eq!(c.y1, 330);
        assert_eq!(chest(&person(&FRONT), 1280, 720, Some(220.0)), Err(Unknown::HiddenByDesk));
    }

    #[test]
    fn a_slight_turn_keeps_the_width_a_strong_one_is_unknown() {
        // 100 px shoulders over a 150 px torso, turned about 50 degrees:
        // the shoulders project to 64 px; half the torso length keeps 75.
        let turned = person(&[(5, 332.0, 200.0), (6, 268.0, 200.0), (11, 330.0, 350.0), (12, 270.0, 350.0)]);
        let c = chest(&turned, 1280, 720, None).unwrap();
        assert_eq!(c.scale, 75.0, "the torso length keeps the scale");
        let side = person(&[(5, 355.0, 200.0), (6, 345.0, 200.0), (11, 352.0, 400.0), (12, 348.0, 400.0)]);
        assert_eq!(chest(&side, 1280, 720, None), Err(Unknown::TurnedAway));
    }

    #[test]
    fn needs_confident_shoulders_and_enough_pixels() {
        let mut p = person(&FRONT);
        p.keypoints[5].conf = 0.1;
        assert_eq!(chest(&p, 1280, 720, None), Err(Unknown::ShouldersUnseen));
        let tiny = person(&[(5, 104.0, 100.0), (6, 100.0, 100.0)]);
        assert_eq!(chest(&tiny, 1280, 720, None), Err(Unknown::TooSmall));
        // No hips: 1.1 torso widths down; clamped to the frame.
        let c = chest(&person(&[(5, 400.0, 650.0), (6, 300.0, 650.0)]), 1280, 720, None).unwrap();
        assert_eq!((c.y0, c.y1), (660, 720));
    }
}
