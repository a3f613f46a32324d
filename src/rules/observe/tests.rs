//! Hand-built frames for every observation.

use super::*;
use crate::geometry::BBox;
use crate::vision::Keypoint;

/// A 1000 x 1000 frame: staff zone x 0.3-0.7, y 0.1-0.7; desk top at y 600;
/// counter zone below y 0.65.
fn geometry(desk: bool) -> Geometry {
    let poly = |pts: &[[f32; 2]]| Polygon(pts.iter().map(|p| Point::new(p[0] * 1000.0, p[1] * 1000.0)).collect());
    Geometry {
        staff_zone: poly(&[[0.3, 0.1], [0.7, 0.1], [0.7, 0.7], [0.3, 0.7]]),
        counter_zone: poly(&[[0.0, 0.65], [1.0, 0.65], [1.0, 1.0], [0.0, 1.0]]),
        desk_y: desk.then_some(600.0),
        tilt_deg: 20.0,
        min_conf: 0.5,
        min_leg_conf: 0.6,
    }
}

/// A seated clerk, shoulders at `sy` (width 160 px), head level, hips and
/// legs hidden behind the desk (guessed at conf 0.4).
fn clerk(sy: f32) -> Person {
    let mut k = vec![Keypoint::new(0.0, 0.0, 0.0); 17];
    let ear_y = sy - 100.0;
    k[kp::LEFT_EAR] = Keypoint::new(460.0, ear_y, 0.8);
    k[kp::RIGHT_EAR] = Keypoint::new(540.0, ear_y, 0.8);
    // A level head seen from 20° above: the nose 0.41 ear-spans below the ears.
    k[kp::NOSE] = Keypoint::new(500.0, ear_y + 0.412 * 80.0, 0.9);
    k[kp::LEFT_EYE] = Keypoint::new(480.0, ear_y + 5.0, 0.9);
    k[kp::RIGHT_EYE] = Keypoint::new(520.0, ear_y + 5.0, 0.9);
    k[kp::LEFT_SHOULDER] = Keypoint::new(420.0, sy, 0.9);
    k[kp::RIGHT_SHOULDER] = Keypoint::new(580.0, sy, 0.9);
    k[kp::LEFT_HIP] = Keypoint::new(445.0, 650.0, 0.45);
    k[kp::RIGHT_HIP] = Keypoint::new(555.0, 650.0, 0.45);
    k[LEFT_KNEE] = Keypoint::new(450.0, 760.0, 0.4);
    k[RIGHT_KNEE] = Keypoint::new(550.0, 760.0, 0.4);
    k[LEFT_ANKLE] = Keypoint::new(450.0, 900.0, 0.35);
    k[RIGHT_ANKLE] = Keypoint::new(550.0, 900.0, 0.35);
    Person { bbox: BBox::new(400.0, sy - 150.0, 600.0, 700.0), score: 0.9, keypoints: k, landmarks: None, presence: None }
}

/// The baseline of the upright clerk above: shoulders 1.25 widths above the
/// desk, level head.
fn base(rise: f32) -> Baseline {
    Baseline { upright_rise: Some(rise), level_nose_drop: Some(0.412 * 0.14) }
}

fn citizen() -> Person {
    let mut p = clerk(720.0);
    for k in p.keypoints.iter_mut() {
        k.x += 250.0;
    }
    p.bbox = BBox::new(650.0, 560.0, 850.0, 1000.0);
    p
}

#[test]
fn empty_frame_is_absent_not_unknown() {
    let o = observe(&[], &geometry(true), Baseline::default());
    assert!(!o.present && o.clerk.is_none() && !o.citizen_at_counter);
}

#[test]
fn upright_seated_clerk() {
    let o = observe(&[clerk(400.0)], &geometry(true), base(1.25));
    assert!(o.present);
    assert_eq!(o.posture, Some(Posture::Sitting));
    assert!((o.shoulder_rise.unwrap() - 1.25).abs() < 1e-4);
    assert!(o.trunk_deg.unwrap() < 1.0, "{:?}", o.trunk_deg);
    assert!(o.neck_deg.unwrap() < 3.0, "{:?}", o.neck_deg);
    assert_eq!(o.head_on_desk, Some(false));
    assert_eq!(o.legs_crossed, None, "legs behind the desk are not judged");
    assert!(!o.citizen_at_counter);
}

#[test]
fn trunk_unknown_without_hips_or_baseline() {
    let o = observe(&[clerk(400.0)], &geometry(true), Baseline::default());
    assert_eq!(o.trunk_deg, None);
    assert_eq!(o.neck_deg, None, "neck flexion needs the level-head baseline");
    assert!(o.nose_drop.is_some());
}

#[test]
fn slouch_from_sunken_shoulders() {
    // Shoulders sink from 1.25 to 0.81 shoulder widths above the desk.
    let o = observe(&[clerk(470.0)], &geometry(true), base(1.25));
    let t = o.trunk_deg.unwrap();
    assert!((30.0..40.0).contains(&t), "{t}");
}

#[test]
fn trunk_from_foreshortening_when_hips_visible() {
    let g = geometry(false);
    let mut p = clerk(400.0);
    // Upright torso seen from 20° above: apparent length 1.45·cos 20° = 1.36 sw.
    for (i, x) in [(kp::LEFT_HIP, 445.0), (kp::RIGHT_HIP, 555.0)] {
        p.keypoints[i] = Keypoint::new(x, 400.0 + 1.3626 * 160.0, 0.9);
    }
    assert!(observe(&[p.clone()], &g, Baseline::default()).trunk_deg.unwrap() < 1.0);
    // Leaning 30° forward: cos(50°)·1.45 = 0.932 sw.
    for i in [kp::LEFT_HIP, kp::RIGHT_HIP] {
        p.keypoints[i].y = 400.0 + 0.932 * 160.0;
    }
    let t = observe(&[p.clone()], &g, Baseline::default()).trunk_deg.unwrap();
    assert!((t - 30.0).abs() < 1.0, "{t}");
    // Leaning sideways shows as slant.
    for i in [kp::LEFT_HIP, kp::RIGHT_HIP] {
        p.keypoints[i].y = 400.0 + 1.3626 * 160.0;
        p.keypoints[i].x += 100.0;
    }
    let t = observe(&[p], &g, Baseline::default()).trunk_deg.unwrap();
    assert!(t > 20.0, "{t}");
}

#[test]
fn neck_flexion_from_nose_below_ears() {
    let mut p = clerk(400.0);
    // Head pitched 30° down: nose offset (0.025 cos 30 + 0.1 sin 30) cos 20
    // + (0.1 cos 30 - 0.025 sin 30) sin 20 = 0.0938 m over a 0.14 m span.
    p.keypoints[kp::NOSE].y = 300.0 + 0.0938 / 0.14 * 80.0;
    let n = observe(&[p], &geometry(true), base(1.25)).neck_deg.unwrap();
    assert!((n - 30.0).abs() < 1.5, "{n}");
}

#[test]
fn standing_from_shoulders_high_above_desk() {
    let o = observe(&[clerk(250.0)], &geometry(true), base(1.25));
    assert_eq!(o.posture, Some(Posture::Standing));
}

#[test]
fn standing_from_hips_above_desk() {
    let mut p = clerk(250.0);
    for i in [kp::LEFT_HIP, kp::RIGHT_HIP] {
        p.keypoints[i].y = 480.0;
        p.keypoints[i].conf = 0.8;
    }
    assert_eq!(observe(&[p], &geometry(true), Baseline::default()).posture, Some(Posture::Standing));
}

#[test]
fn posture_unknown_without_desk_or_legs() {
    assert_eq!(observe(&[clerk(400.0)], &geometry(false), Baseline::default()).posture, None);
}

#[test]
fn head_on_desk_with_and_without_face() {
    let mut p = clerk(540.0);
    for i in kp::HEAD {
        p.keypoints[i].y = 605.0;
    }
    let o = observe(&[p.clone()], &geometry(true), base(1.25));
    assert_eq!(o.head_on_desk, Some(true));
    for i in kp::HEAD {
        p.keypoints[i].conf = 0.1;
    }
    assert_eq!(observe(&[p], &geometry(true), base(1.25)).head_on_desk, Some(true), "face hidden, shoulders on the desk");
    let mut up = clerk(400.0);
    for i in kp::HEAD {
        up.keypoints[i].conf = 0.1;
    }
    assert_eq!(observe(&[up], &geometry(true), base(1.25)).head_on_desk, Some(false), "face hidden but sitting up (turned away)");
    // Slouched: head level with the shoulders, above the desk.
    let mut slouch = clerk(500.0);
    for i in kp::HEAD {
        slouch.keypoints[i].y = 505.0;
    }
    assert_eq!(observe(&[slouch], &geometry(true), base(1.25)).head_on_desk, Some(false));
}

#[test]
fn crossed_legs_only_when_legs_are_seen() {
    let g = geometry(false);
    let mut p = clerk(300.0);
    let legs = [(LEFT_KNEE, 450.0, 560.0), (RIGHT_KNEE, 550.0, 560.0), (LEFT_ANKLE, 450.0, 700.0), (RIGHT_ANKLE, 550.0, 700.0)];
    for (i, x, y) in legs {
        p.keypoints[i] = Keypoint::new(x, y, 0.9);
    }
    assert_eq!(observe(&[p.clone()], &g, Baseline::default()).legs_crossed, Some(false));
    // Left ankle swung across to the right of the right ankle.
    p.keypoints[LEFT_ANKLE].x = 640.0;
    assert_eq!(observe(&[p.clone()], &g, Baseline::default()).legs_crossed, Some(true));
    // The same pose guessed at moderate confidence is not judged.
    for (i, ..) in legs {
        p.keypoints[i].conf = 0.55;
    }
    assert_eq!(observe(&[p], &g, Baseline::default()).legs_crossed, None);
}

#[test]
fn citizen_at_counter_and_clerk_choice() {
    let g = geometry(true);
    let o = observe(&[citizen(), clerk(400.0)], &g, Baseline::default());
    assert_eq!(o.clerk, Some(1), "the person in the counter zone is not the clerk");
    assert!(o.citizen_at_counter);
    let o = observe(&[citizen()], &g, Baseline::default());
    assert!(!o.present && o.citizen_at_counter);
}

#[test]
fn box_fallback_when_no_torso_keypoints() {
    let mut p = clerk(400.0);
    for k in p.keypoints.iter_mut() {
        k.conf = 0.1;
    }
    let o = observe(&[p], &geometry(true), Baseline::default());
    assert!(o.present);
    assert_eq!((o.posture, o.trunk_deg, o.head_on_desk), (None, None, None));
}

#[test]
fn person_outside_the_staff_zone_is_not_the_clerk() {
    let mut p = clerk(400.0);
    for k in p.keypoints.iter_mut() {
        k.x += 400.0;
    }
    p.bbox = BBox::new(800.0, 250.0, 1000.0, 700.0);
    assert!(!observe(&[p], &geometry(true), Baseline::default()).present);
}
