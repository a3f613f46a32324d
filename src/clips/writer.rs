//! A finished clip as files: `<window>-<rule>-<start>.mp4` (H.264, skeleton
//! and cue drawn), `.png` (thumbnail at the trigger) and `.json` (sidecar),
//! in a folder per day under the clips folder. Each file is written to a
//! temporary name in the same folder and renamed, so a crash never leaves a
//! half-written clip that looks finished.

use std::io;
use std::path::Path;

use serde::Serialize;

use super::recorder::{ClipFrame, FinishedClip, trunk_line};
use crate::config::Window;
use crate::privacy::{ClipEncoder, Cue, Recheck, RedactOptions, RedactedFrame};
use crate::rules::RuleCode;
use crate::store::ClipRow;
use crate::vision::detector::Detection;
use crate::vision::pose::ModelId;

/// Keypoints drawn and cues computed from this confidence.
const DRAW_CONF: f32 = 0.3;

/// The sidecar: everything about the clip except pixels.
#[derive(Debug, Serialize)]
pub struct Sidecar<'a> {
    pub window: &'a str,
    pub window_name: &'a str,
    pub rule: RuleCode,
    pub rule_zh: &'static str,
    pub event_start: String,
    /// The violation's end is in the event row (window, rule, event_start)
    /// once it closes.
    pub trigger: String,
    pub clip_start: String,
    pub clip_end: String,
    pub fps: f64,
    pub values: &'a std::collections::BTreeMap<String, f64>,
    pub redaction: Redaction,
    pub models: &'a [ModelId],
    pub files: Files,
    /// Per frame: time and people (box, score, COCO-17 keypoints in clip pixels).
    pub trace: Vec<TraceEntry>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Redaction {
    /// `faces_and_heads` or `skeleton_only`.
    pub mode: &'static str,
    pub dilate_frames: usize,
    pub face_threshold: f32,
}

#[derive(Debug, Serialize)]
pub struct Files {
    pub video: String,
    pub thumbnail: String,
}

#[derive(Debug, Serialize)]
pub struct TraceEntry {
    pub ts: String,
    pub people: Vec<crate::vision::Person>,
}

/// A face search of a finished frame, in its pixels, as the hub's check
/// searches it ([`crate::privacy::faces::search_as_checked`]).
pub type FaceCheck<'a> = &'a (dyn Fn(&image::RgbImage) -> Result<Vec<Detection>, String> + Sync);

/// How the clips are written.
pub struct WriteContext<'a> {
    pub root: &'a Path,
    pub window: &'a Window,
    pub fps: f64,
    pub models: &'a [ModelId],
    pub redaction: Redaction,
    /// The last look at every frame before it is encoded
    /// ([`RedactedFrame::recheck`]).
    pub check: FaceCheck<'a>,
}

/// What the last look did to a written clip's frames.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LastLook {
    /// Frames in which it found and filled a face.
    pub filled: u64,
    /// Frames it filled whole (a failed search, or faces after every fill).
    pub whole: u64,
}

/// Writes the clip's three files and returns its index row (paths relative
/// to `ctx.root`) and what the last look did.
pub fn write(clip: &FinishedClip, ctx: &WriteContext) -> io::Result<(ClipRow, LastLook)> {
    let first = clip.frames.first().ok_or_else(|| io::Error::other("a clip without frames"))?;
    let day = clip.event_start.format("%Y-%m-%d").to_string();
    let stem = format!("{}-{}-{}", clip.window, clip.rule, clip.event_start.format("%Y%m%dT%H%M%S"));
    let dir = ctx.root.join(&day);
    std::fs::create_dir_all(&dir)?;
    let rel = |ext: &str| format!("{day}/{stem}.{ext}");
    let (video, thumbnail, sidecar) = (rel("mp4"), rel("png"), rel("json"));

    let (w, h) = first.frame.dimensions();
    let mut encoder = ClipEncoder::create(&ctx.root.join(&video), w, h, ctx.fps)?;
    let mut thumb: Option<(i64, RedactedFrame)> = None;
    let mut look = LastLook::default();
    for f in clip.frames.iter().filter(|f| f.frame.dimensions() == (w, h)) {
        // A frame that does not unpack is left out, not the whole clip.
        let mut drawn = match drawn(f, clip.rule, ctx.window) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(window = %clip.window, error = %e, "a clip frame did not unpack; left out");
                continue;
            }
        };
        // The finished frame, as it will be stored, searched as the hub
        // will search it; what is found is filled before it is encoded.
        match drawn.recheck(&RedactOptions::default(), ctx.check) {
            Recheck::Clean => {}
            Recheck::Filled(n) => {
                look.filled += 1;
                tracing::info!(window = %clip.window, ts = %f.ts, faces = n, "the check before storing found and filled faces");
            }
            Recheck::Whole(why) => {
                look.whole += 1;
                tracing::warn!(window = %clip.window, ts = %f.ts, why, "the check before storing filled the whole frame");
            }
        }
        encoder.push(&drawn)?;
        let distance = (f.ts - clip.trigger_ts).num_milliseconds().abs();
        if thumb.as_ref().is_none_or(|(d, _)| distance < *d) {
            thumb = Some((distance, drawn));
        }
    }
    encoder.finish()?;
    if let Some((_, t)) = &thumb {
        t.write_png(&ctx.root.join(&thumbnail))?;
    }
    let last = clip.frames.last().unwrap_or(first);
    let side = Sidecar {
        window: &clip.window,
        window_name: &ctx.window.name,
        rule: clip.rule,
        rule_zh: clip.rule.zh(),
        event_start: clip.event_start.to_rfc3339(),
        trigger: clip.trigger_ts.to_rfc3339(),
        clip_start: first.ts.to_rfc3339(),
        clip_end: last.ts.to_rfc3339(),
        fps: ctx.fps,
        values: &clip.values,
        redaction: ctx.redaction,
        models: ctx.models,
        files: Files { video: video.clone(), thumbnail: thumbnail.clone() },
        trace: clip.frames.iter().map(|f| TraceEntry { ts: f.ts.to_rfc3339(), people: f.people.clone() }).collect(),
    };
    let json = serde_json::to_vec_pretty(&side).map_err(io::Error::other)?;
    crate::atomic::write_bytes(&ctx.root.join(&sidecar), &json)?;
    let bytes = [&video, &thumbnail, &sidecar].iter().filter_map(|p| std::fs::metadata(ctx.root.join(p)).ok()).map(|m| m.len()).sum();
    let row = ClipRow {
        id: 0,
        window: clip.window.clone(),
        rule: clip.rule.as_str().to_string(),
        event_start: clip.event_start,
        trigger_ts: clip.trigger_ts,
        created_unix: chrono::Utc::now().timestamp_millis() as f64 / 1000.0,
        video,
        thumbnail,
        sidecar,
        bytes,
    };
    Ok((row, look))
}

/// A clip frame with the skeletons and the rule's cue drawn on a copy.
fn drawn(f: &ClipFrame, rule: RuleCode, window: &Window) -> io::Result<RedactedFrame> {
    let mut out = f.frame.unpack()?;
    let (w, h) = (out.image().width() as f32, out.image().height() as f32);
    let px = |poly: &crate::geometry::Polygon| poly.0.iter().map(|p| (p.x * w, p.y * h)).collect();
    let clerk = f.clerk.and_then(|i| f.people.get(i));
    let cue = Cue {
        staff_zone: px(&window.staff_zone),
        counter_zone: px(&window.counter_zone),
        desk_y: window.desk_y.map(|y| y * h),
        alert_staff: rule == RuleCode::Absent,
        alert_counter: rule == RuleCode::NotStandingToGreet,
        trunk: if matches!(rule, RuleCode::Slouching | RuleCode::HeadOnDesk) { clerk.and_then(|p| trunk_line(p, DRAW_CONF)) } else { None },
    };
    out.draw_people(&f.people, DRAW_CONF);
    out.draw_cue(&cue);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::DateTime;
    use image::{Rgb, RgbImage};

    use super::*;
    use crate::clips::recorder::ClipFrame;
    use crate::geometry::BBox;
    use crate::privacy::{FaceEvidence, redact};

    const WINDOW: &str = "hall = \"h\"\n[[window]]\nid = \"w\"\nstaff_zone = [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]\ncounter_zone = [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]]\nhours = [\"00:00-23:59\"]\n";

    fn clip(n: usize) -> FinishedClip {
        let t0 = DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let scene = RgbImage::from_fn(320, 180, |x, y| Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, ((x + y) % 256) as u8]));
        let frames = (0..n)
            .map(|i| {
                let red = redact(&scene, &[], &FaceEvidence::Detected(Vec::new()), &RedactOptions::default());
                let ts = t0 + chrono::Duration::milliseconds(500 * i as i64);
                Arc::new(ClipFrame { ts, frame: red.pack().unwrap(), people: Vec::new(), clerk: None })
            })
            .collect();
        FinishedClip { window: "w".into(), rule: RuleCode::Slouching, event_start: t0, trigger_ts: t0, values: Default::default(), frames }
    }

    fn spread(img: &RgbImage, x0: u32, y0: u32, x1: u32, y1: u32) -> u8 {
        let v: Vec<u8> = (y0..y1).flat_map(|y| (x0..x1).map(move |x| img.get_pixel(x, y).0[1])).collect();
        v.iter().max().unwrap() - v.iter().min().unwrap()
    }

    /// Every frame of a written clip, thumbnail included, gets the last
    /// look: what it finds is filled in the stored video, and a failing
    /// search fills the stored frames whole.
    #[test]
    fn every_written_frame_is_checked_and_what_is_found_is_filled() {
        let cfg = crate::config::parse(WINDOW, Path::new("t.toml")).unwrap();
        let root = tempfile::tempdir().unwrap();
        let searches = AtomicUsize::new(0);
        // A "face" at (100..140, 40..80) in every frame, until it is filled.
        let check = |img: &image::RgbImage| {
            searches.fetch_add(1, Ordering::Relaxed);
            let flat = spread(img, 104, 44, 136, 76) <= 2 * RedactOptions::default().noise;
            Ok(if flat { Vec::new() } else { vec![Detection { bbox: BBox::new(100.0, 40.0, 140.0, 80.0), score: 0.5 }] })
        };
        let ctx = WriteContext {
            root: root.path(),
            window: &cfg.windows[0],
            fps: 2.0,
            models: &[],
            redaction: Redaction { mode: "faces_and_heads", dilate_frames: 2, face_threshold: 0.3 },
            check: &check,
        };
        let (row, look) = write(&clip(4), &ctx).unwrap();
        assert_eq!(searches.load(Ordering::Relaxed), 8, "each of 4 frames: found, filled, searched again");
        assert_eq!(look, LastLook { filled: 4, whole: 0 });
        let mut n = 0;
        crate::capture::for_each_frame(&root.path().join(&row.video), |img| {
            // H.264 softens the fill's edges and noise: inside, it is flat.
            assert!(spread(&img, 108, 48, 132, 72) < 40, "the found face is filled in the stored frame");
            assert!(spread(&img, 200, 100, 300, 170) > 80, "the rest is the scene");
            n += 1;
        })
        .unwrap();
        assert_eq!(n, 4);
        let thumb = image::open(root.path().join(&row.thumbnail)).unwrap().to_rgb8();
        assert!(spread(&thumb, 104, 44, 136, 76) <= 2 * RedactOptions::default().noise, "and in the thumbnail");

        let failing = |_: &image::RgbImage| Err("model failed".to_string());
        let root = tempfile::tempdir().unwrap();
        let (row, look) = write(&clip(2), &WriteContext { root: root.path(), check: &failing, ..ctx }).unwrap();
        assert_eq!(look, LastLook { filled: 0, whole: 2 });
        crate::capture::for_each_frame(&root.path().join(&row.video), |img| assert!(spread(&img, 0, 0, 320, 180) < 40, "filled whole"))
            .unwrap();
    }
}
