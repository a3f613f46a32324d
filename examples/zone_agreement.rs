//! Zone-aware inference against whole-frame inference on the same frames,
//! and following the clerk between detections (`liyi run`'s default)
//! against detecting on every frame: how often the observations agree,
//! whether the rules' events agree, and what each costs (for the README
//! and docs/design.md).
//!
//!     cargo run --release --example zone_agreement -- [CONFIG] [--seconds N] [--fps F]
//!
//! CONFIG defaults to `examples/zone_agreement.toml` (windows cut from the
//! sample street video). Every window's source is decoded once; each frame
//! goes through both paths.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use liyi::agent::region::analysis_region;
use liyi::agent::track::{ClerkTrack, TrackOptions};
use liyi::capture::{self, CaptureOptions};
use liyi::rules::WindowRules;
use liyi::vision::catalog::Catalog;
use liyi::vision::engine::EngineOptions;
use liyi::vision::pose::{PoseEstimator, PoseSpec};

#[derive(Default)]
struct Tally {
    frames: u32,
    present: u32,
    clerk_whole: u32,
    clerk_zone: u32,
    citizen: u32,
    posture: u32,
    head: u32,
    people_whole: usize,
    people_zone: usize,
    shoulder_px: Vec<f32>,
    time_whole: Duration,
    time_zone: Duration,
    /// Following the clerk against the zone path (which detects every frame).
    track: Agreement,
}

#[derive(Default)]
struct Agreement {
    present: u32,
    citizen: u32,
    posture: u32,
    head: u32,
    detected: u32,
    clerk: u32,
    shoulder_px: Vec<f32>,
    time: Duration,
}

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let per_frame = args.iter().any(|a| a == "--per-frame");
    args.retain(|a| a != "--per-frame");
    let mut take = |flag: &str| -> Option<String> {
        let i = args.iter().position(|a| a == flag)?;
        let v = args.get(i + 1).cloned();
        args.drain(i..(i + 2).min(args.len()));
        v
    };
    let seconds: f64 = take("--seconds").map_or(Ok(120.0), |s| s.parse())?;
    let fps: f64 = take("--fps").map_or(Ok(2.0), |s| s.parse())?;
    let config =
        args.first().map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/zone_agreement.toml"));
    let cfg = liyi::config::load(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rt = liyi::vision::runtime::init(None)?;
    let catalog = Catalog::new(liyi::paths::models_dir());
    let est = PoseEstimator::load(rt, &catalog, &PoseSpec { engine: EngineOptions { intra_threads: 1 }, ..PoseSpec::default() })?;
    println!("pose pipeline: {}; {seconds:.0} s at {fps} fps per window\n", est.name());
    println!(
        "| window | frames | clerk found whole / zone | clerk found agrees | citizen agrees | sit/stand agrees | head on desk agrees | people found whole / zone | clerk shoulders, mean px apart | pose ms/frame whole / zone | events whole / zone (same) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut followed_rows = Vec::new();
    for w in &cfg.windows {
        let Some(source) = &w.source else { continue };
        let mut src = capture::open(source, CaptureOptions { fps, ..CaptureOptions::default() })?;
        let (mut whole_rules, mut zone_rules) = (WindowRules::new(w), WindowRules::new(w));
        let (mut whole_events, mut zone_events) = (Vec::new(), Vec::new());
        let (mut track_rules, mut track_events) = (WindowRules::new(w), Vec::new());
        let mut track = ClerkTrack::new(TrackOptions::default());
        let min_conf = w.thresholds.min_keypoint_conf;
        let mut t = Tally::default();
        // Files are looped (as `liyi run --loop-files` does), each pass
        // continuing the previous one's time.
        let step = chrono::Duration::milliseconds((1000.0 / fps) as i64);
        let (mut base, mut pass_first, mut offset, mut span) = (None, None, chrono::Duration::zero(), chrono::Duration::zero());
        loop {
            let frame = match src.next_frame()? {
                Some(f) => f,
                None if t.frames > 0 => {
                    offset += span + step;
                    pass_first = None;
                    src = capture::open(source, CaptureOptions { fps, ..CaptureOptions::default() })?;
                    continue;
                }
                None => break,
            };
            let first = *pass_first.get_or_insert(frame.ts);
            span = frame.ts - first;
            let start = *base.get_or_insert(frame.ts);
            let frame = capture::Frame { ts: start + offset + span, ..frame };
            if (frame.ts - start).num_milliseconds() as f64 / 1000.0 > seconds {
                break;
            }
            let (fw, fh) = frame.image.dimensions();
            let region = analysis_region(w, fw, fh);
            let s = Instant::now();
            let whole = est.estimate(&frame.image)?;
            t.time_whole += s.elapsed();
            let s = Instant::now();
            let zone = est.estimate_in(&frame.image, region)?;
            t.time_zone += s.elapsed();
            let (a, b) = (whole_rules.observe(&whole, fw, fh), zone_rules.observe(&zone, fw, fh));
            t.frames += 1;
            t.present += u32::from(a.present == b.present);
            t.clerk_whole += u32::from(a.present);
            t.clerk_zone += u32::from(b.present);
            t.citizen += u32::from(a.citizen_at_counter == b.citizen_at_counter);
            t.posture += u32::from(a.posture == b.posture);
            t.head += u32::from(a.head_on_desk == b.head_on_desk);
            t.people_whole += whole.len();
            t.people_zone += zone.len();
            if let (Some(i), Some(j)) = (a.clerk, b.clerk) {
                t.shoulder_px.extend(shoulders_apart(&whole[i], &zone[j]));
            }
            let s = Instant::now();
            let img = &frame.image;
            let (followed, detected) =
                track.people(frame.ts, min_conf, |bbox, score| est.pose_in_box(img, bbox, score), || est.estimate_in(img, region))?;
            t.track.time += s.elapsed();
            let c = track_rules.observe(&followed, fw, fh);
            if per_frame {
                eprintln!(
                    "{} {:.1} whole={} zone={} followed={} detected={detected}",
                    w.id,
                    span.num_milliseconds() as f64 / 1000.0,
                    a.present,
                    b.present,
                    c.present
                );
            }
            track.judged(frame.ts, &followed, c.clerk, detected, min_conf);
            let g = &mut t.track;
            g.detected += u32::from(detected);
            g.clerk += u32::from(c.present);
            g.present += u32::from(c.present == b.present);
            g.citizen += u32::from(c.citizen_at_counter == b.citizen_at_counter);
            g.posture += u32::from(c.posture == b.posture);
            g.head += u32::from(c.head_on_desk == b.head_on_desk);
            if let (Some(i), Some(j)) = (b.clerk, c.clerk) {
                g.shoulder_px.extend(shoulders_apart(&zone[i], &followed[j]));
            }
            track_events.extend(track_rules.push_observation(frame.ts, &c));
            whole_events.extend(whole_rules.push_observation(frame.ts, &a));
            zone_events.extend(zone_rules.push_observation(frame.ts, &b));
        }
        whole_events.extend(whole_rules.finish().0);
        zone_events.extend(zone_rules.finish().0);
        track_events.extend(track_rules.finish().0);
        let key = |e: &liyi::rules::Event| (e.rule, e.start.timestamp() / 5);
        let same = whole_events.iter().filter(|e| zone_events.iter().any(|f| key(f) == key(e))).count();
        let same_followed = track_events.iter().filter(|e| zone_events.iter().any(|f| key(f) == key(e))).count();
        let n = f64::from(t.frames.max(1));
        let pct = |k: u32| format!("{:.1} %", 100.0 * f64::from(k) / n);
        let mean_px = mean(&t.shoulder_px);
        let mut by_rule_followed: BTreeMap<String, (u32, u32)> = BTreeMap::new();
        for e in &track_events {
            by_rule_followed.entry(e.rule.to_string()).or_default().0 += 1;
        }
        for e in &zone_events {
            by_rule_followed.entry(e.rule.to_string()).or_default().1 += 1;
        }
        let g = &t.track;
        followed_rows.push(format!(
            "| {} | {} | {} | {} / {} | {} | {} | {} | {} | {:.1} | {:.0} / {:.0} | {} / {} ({same_followed}) {by_rule_followed:?} |",
            w.id,
            t.frames,
            pct(g.detected),
            g.clerk,
            t.clerk_zone,
            pct(g.present),
            pct(g.citizen),
            pct(g.posture),
            pct(g.head),
            mean(&g.shoulder_px),
            g.time.as_secs_f64() * 1000.0 / n,
            t.time_zone.as_secs_f64() * 1000.0 / n,
            track_events.len(),
            zone_events.len()
        ));
        let mut by_rule: BTreeMap<String, (u32, u32)> = BTreeMap::new();
        for e in &whole_events {
            by_rule.entry(e.rule.to_string()).or_default().0 += 1;
        }
        for e in &zone_events {
            by_rule.entry(e.rule.to_string()).or_default().1 += 1;
        }
        println!(
            "| {} | {} | {} / {} | {} | {} | {} | {} | {:.1} / {:.1} | {mean_px:.1} | {:.0} / {:.0} | {} / {} ({same}) {by_rule:?} |",
            w.id,
            t.frames,
            t.clerk_whole,
            t.clerk_zone,
            pct(t.present),
            pct(t.citizen),
            pct(t.posture),
            pct(t.head),
            t.people_whole as f64 / n,
            t.people_zone as f64 / n,
            t.time_whole.as_secs_f64() * 1000.0 / n,
            t.time_zone.as_secs_f64() * 1000.0 / n,
            whole_events.len(),
            zone_events.len()
        );
    }
    println!(
        "\nFollowing the clerk (the detector every {} s and when lost) against detecting every frame, both zone-aware:\n",
        TrackOptions::default().redetect_s
    );
    println!(
        "| window | frames | detector ran | clerk found followed / detected | clerk found agrees | citizen agrees | sit/stand agrees | head on desk agrees | clerk shoulders, mean px apart | pose ms/frame followed / detected | events followed / detected (same) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in followed_rows {
        println!("{r}");
    }
    Ok(())
}

/// How far apart two poses' confident shoulders are, in pixels.
fn shoulders_apart(a: &liyi::vision::Person, b: &liyi::vision::Person) -> Vec<f32> {
    [5, 6]
        .into_iter()
        .filter_map(|k| {
            let (p, q) = (a.keypoints[k], b.keypoints[k]);
            (p.conf >= 0.3 && q.conf >= 0.3).then(|| ((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt())
        })
        .collect()
}

fn mean(v: &[f32]) -> f32 {
    if v.is_empty() { f32::NAN } else { v.iter().sum::<f32>() / v.len() as f32 }
}
