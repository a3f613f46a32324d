//! Faces searched only where a clip frame changed: with the real face model
//! on a real photo, the partial search finds every face the whole-frame
//! search finds, and the agent's face role counts which search it ran.

mod common;

use chrono::{DateTime, Duration, FixedOffset};
use image::{Rgb, RgbImage};
use liyi::agent::face_gate::{FaceGate, FacePlan};
use liyi::agent::faces::Faces;
use liyi::agent::motion::Thumb;
use liyi::agent::{REDACT_FACE_SCORE, WindowStats};
use liyi::privacy::FaceEvidence;
use liyi::vision::catalog::Catalog;
use liyi::vision::detector::Detection;
use liyi::vision::engine::EngineOptions;
use liyi::vision::pose::PoseSpec;
use liyi::vision::retinaface::FaceDetector;
use std::sync::atomic::Ordering;

const SIZE: (u32, u32) = (1280, 720);

fn t0() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap()
}

/// A still hall: a smooth gradient, no faces.
fn hall() -> RgbImage {
    RgbImage::from_fn(SIZE.0, SIZE.1, |x, y| Rgb([(60 + x / 16) as u8, (70 + y / 12) as u8, 110]))
}

/// The astronaut's portrait, `side` pixels square, pasted at `(x, y)`.
fn arrival(x: u32, y: u32, side: u32) -> RgbImage {
    let photo = image::open(common::fixture("astronaut.png")).unwrap().to_rgb8();
    let photo = image::imageops::resize(&photo, side, side, image::imageops::FilterType::Triangle);
    let mut frame = hall();
    image::imageops::replace(&mut frame, &photo, i64::from(x), i64::from(y));
    frame
}

/// The agent's face role with the real model, searching parts or not.
fn agent_faces(parts: bool) -> Faces {
    let rt = liyi::vision::runtime::init(None).unwrap();
    let catalog = Catalog::new(liyi::paths::models_dir());
    Faces::load(rt, &catalog, &PoseSpec::default()).searching_parts(parts)
}

fn covered(whole: &[Detection], part: &[Detection]) -> bool {
    whole.iter().all(|w| part.iter().any(|p| p.bbox.iou(&w.bbox) > 0.5))
}

#[test]
fn a_partial_search_finds_what_the_whole_frame_search_finds() {
    let rt = liyi::vision::runtime::init(None).unwrap();
    let catalog = Catalog::new(liyi::paths::models_dir());
    let mut det = FaceDetector::load(rt, &catalog, EngineOptions { intra_threads: 1 }).unwrap();
    det.thresholds.score = REDACT_FACE_SCORE;
    // Corners, an edge and the middle; a small face and a large one.
    for (x, y, side) in [(0, 0, 200), (1080, 520, 200), (560, 300, 160), (900, 100, 300), (40, 560, 160)] {
        let frame = arrival(x, y, side);
        let whole = det.detect(&frame).unwrap();
        assert!(!whole.is_empty(), "the whole-frame search finds the astronaut at ({x}, {y}), {side} px");
        let mut gate = FaceGate::new();
        gate.searched_whole(&Thumb::of(&hall()), SIZE, t0(), &[]);
        let FacePlan::Part { regions, keep } = gate.plan(&Thumb::of(&frame), SIZE, t0() + Duration::seconds(1)) else {
            panic!("a {side} px arrival is a part of the frame")
        };
        assert!(keep.is_empty());
        let area: u32 = regions.iter().map(|r| r.pixels(SIZE.0, SIZE.1)).map(|(_, _, w, h)| w * h).sum();
        assert!(area < SIZE.0 * SIZE.1 / 2, "searched {area} pixels");
        let parts: Vec<_> = regions.iter().map(|r| det.detect_part(&frame, r.pixels(SIZE.0, SIZE.1)).unwrap()).collect();
        assert!(parts.iter().all(|p| !p.cut), "an arrival lies inside its region");
        let part: Vec<Detection> = parts.into_iter().flat_map(|p| p.faces).collect();
        assert!(covered(&whole, &part), "at ({x}, {y}), {side} px: whole {whole:?}, part {part:?}");
    }
    // Parts past the frame's edge, empty or huge, are clamped, never a panic.
    let frame = arrival(0, 0, 200);
    for part in [(0, 0, 0, 0), (u32::MAX, u32::MAX, u32::MAX, u32::MAX), (1279, 719, 5000, 5000), (0, 0, u32::MAX, 1)] {
        for d in det.detect_part(&frame, part).unwrap().faces {
            assert!(d.bbox.x2 <= 1280.0 && d.bbox.y2 <= 720.0 && d.bbox.x1 >= 0.0 && d.bbox.y1 >= 0.0, "{part:?}: {d:?}");
        }
    }
    assert!(det.detect_part(&RgbImage::new(0, 0), (0, 0, 10, 10)).unwrap().faces.is_empty());
}

fn contains(outer: &Detection, inner: &Detection) -> bool {
    let (o, i) = (outer.bbox, inner.bbox);
    o.x1 <= i.x1 + 2.0 && o.y1 <= i.y1 + 2.0 && o.x2 + 2.0 >= i.x2 && o.y2 + 2.0 >= i.y2
}

/// A large face the last search missed, of which only the middle changes:
/// the part around the change holds only some of it, the face found there
/// reaches the part's edges, and the whole frame is searched instead, so
/// the face is filled whole.
#[test]
fn a_face_cut_by_its_part_sends_the_search_to_the_whole_frame() {
    let rt = liyi::vision::runtime::init(None).unwrap();
    let catalog = Catalog::new(liyi::paths::models_dir());
    let mut det = FaceDetector::load(rt, &catalog, EngineOptions { intra_threads: 1 }).unwrap();
    det.thresholds.score = REDACT_FACE_SCORE;
    let still = arrival(400, 60, 600);
    let whole = det.detect(&still).unwrap();
    assert!(!whole.is_empty());
    // The astronaut's face, as the whole-frame search sees it.
    let face = *whole.iter().max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area())).unwrap();
    let (cx, cy) = face.bbox.center();
    let part = (cx as u32 - 60, cy as u32 - 60, 120, 120);
    let p = det.detect_part(&still, part).unwrap();
    assert!(p.cut, "the face reaches past a 120 px part: {p:?} vs {face:?}");

    let faces = Faces::load(rt, &catalog, &PoseSpec::default()).searching_parts(true);
    let stats = WindowStats::default();
    let mut gate = FaceGate::new();
    // The last search missed the face (as if it scored just under the line).
    gate.searched_whole(&Thumb::of(&still), SIZE, t0(), &[]);
    let mut blinked = still.clone();
    for y in cy as u32 - 20..cy as u32 + 20 {
        for x in cx as u32 - 20..cx as u32 + 20 {
            blinked.put_pixel(x, y, Rgb([15, 15, 15]));
        }
    }
    let t = Thumb::of(&blinked);
    assert!(matches!(gate.plan(&t, SIZE, t0() + Duration::seconds(1)), FacePlan::Part { .. }));
    let FaceEvidence::Detected(found) = faces.for_clip("w", &stats, &mut gate, &blinked, t0() + Duration::seconds(1), Some(t)) else {
        panic!("the face model failed")
    };
    let seen = det.detect(&blinked).unwrap();
    let big = seen.iter().max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area())).unwrap();
    assert!(found.iter().any(|f| contains(f, big)), "the whole face is filled: {found:?} vs {big:?}");
    assert_eq!(stats.face_searches_whole.load(Ordering::Relaxed), 1, "the cut part sent the search to the whole frame");
}

#[test]
fn the_agent_searches_whole_then_the_change_then_reuses() {
    let faces = agent_faces(true);
    let stats = WindowStats::default();
    let mut gate = FaceGate::new();
    let frames = [hall(), arrival(900, 300, 220), arrival(900, 300, 220)];
    let mut found = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let ts = t0() + Duration::milliseconds(500 * i as i64);
        match faces.for_clip("w", &stats, &mut gate, f, ts, Some(Thumb::of(f))) {
            FaceEvidence::Detected(d) => found.push(d),
            FaceEvidence::Unavailable(e) => panic!("the face model failed: {e}"),
        }
    }
    let counts = [&stats.face_searches_whole, &stats.face_searches_part, &stats.face_reuses].map(|c| c.load(Ordering::Relaxed));
    assert_eq!(counts, [1, 1, 1], "whole, part, reused");
    assert!(found[0].is_empty(), "the empty hall has no face");
    assert!(!found[1].is_empty(), "the arrival's face is found by the partial search");
    assert_eq!(found[1], found[2], "the unchanged frame reuses it");
    // Five seconds after the whole-frame search, the whole frame again.
    let late = t0() + Duration::seconds(5);
    let _ = faces.for_clip("w", &stats, &mut gate, &frames[2], late, Some(Thumb::of(&frames[2])));
    assert_eq!(stats.face_searches_whole.load(Ordering::Relaxed), 2);
}

/// With `--no-face-parts` a changed frame is searched whole, as before the
/// partial search existed.
#[test]
fn without_parts_a_changed_frame_is_searched_whole() {
    let faces = agent_faces(false);
    let stats = WindowStats::default();
    let mut gate = FaceGate::new();
    for (i, f) in [hall(), arrival(900, 300, 220), arrival(900, 300, 220)].iter().enumerate() {
        let ts = t0() + Duration::milliseconds(500 * i as i64);
        assert!(matches!(faces.for_clip("w", &stats, &mut gate, f, ts, Some(Thumb::of(f))), FaceEvidence::Detected(_)));
    }
    let counts = [&stats.face_searches_whole, &stats.face_searches_part, &stats.face_reuses].map(|c| c.load(Ordering::Relaxed));
    assert_eq!(counts, [2, 0, 1], "whole, part, reused");
}

/// The agent searches a clip frame from the camera's frame, at the model's
/// long side 960: the astronaut pasted at 160 px (her face about 30 px
/// wide) is found, in the frame's pixels. (A guard for small faces; it was
/// not run against the shrink-first search it replaced.)
#[test]
fn the_agent_finds_a_30_px_face_in_a_clip_frame() {
    let faces = agent_faces(true);
    let stats = WindowStats::default();
    for (x, y) in [(560, 300), (40, 560), (1100, 20)] {
        let frame = arrival(x, y, 160);
        let FaceEvidence::Detected(found) = faces.for_clip("w", &stats, &mut FaceGate::new(), &frame, t0(), Some(Thumb::of(&frame))) else {
            panic!("the face model failed")
        };
        let inside = |d: &Detection| d.bbox.x1 >= x as f32 - 2.0 && d.bbox.x2 <= (x + 160) as f32 + 2.0 && d.bbox.y1 >= y as f32 - 2.0;
        assert!(found.iter().any(|d| inside(d) && d.bbox.width() >= 15.0 && d.bbox.width() <= 60.0), "at ({x}, {y}): {found:?}");
    }
}
