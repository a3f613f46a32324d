//! One analysed frame of one window, as a plain function: people (found,
//! or reused while the zones are unchanged), the rules, attire, traces,
//! MQTT, the preview and the clip recorder. What it produces for the store
//! comes back as [`Output`]s. The pose model comes in through [`Estimate`],
//! so tests drive the step with a stub.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use image::RgbImage;

use super::faces::Faces;
use super::state::{WindowState, Work};
use super::{AgentOptions, Output, motion, preview, region, traces};
use crate::capture::Frame;
use crate::clips::FinishedClip;
use crate::geometry::BBox;
use crate::privacy::FaceEvidence;
use crate::rules::{Observation, RuleCode};
use crate::sync::lock;
use crate::vision::pose::{ModelId, PoseEstimator};
use crate::vision::{Person, VisionError};

/// How often each window's baseline is handed to the store.
const BASELINE_SAVE_EVERY: Duration = Duration::from_secs(300);

/// Finds people in a frame, or in a region of it.
pub trait Estimate: Sync {
    fn people(&self, image: &RgbImage, region: Option<BBox>) -> Result<Vec<Person>, VisionError>;

    /// The pose of the one person in `bbox`, without the detector; `None`
    /// when the pipeline cannot (then the clerk is not followed).
    fn pose_at(&self, _image: &RgbImage, _bbox: BBox, _score: f32) -> Result<Option<Person>, VisionError> {
        Ok(None)
    }
}

impl Estimate for PoseEstimator {
    fn people(&self, image: &RgbImage, region: Option<BBox>) -> Result<Vec<Person>, VisionError> {
        self.estimate_in(image, region)
    }

    fn pose_at(&self, image: &RgbImage, bbox: BBox, score: f32) -> Result<Option<Person>, VisionError> {
        self.pose_in_box(image, bbox, score)
    }
}

/// What every step shares: the options and the box's models.
pub struct Kit<'a> {
    pub options: &'a AgentOptions,
    pub faces: &'a Faces,
    pub judge: Option<&'a crate::attire::Judge>,
    /// The models clips name in their sidecars.
    pub models: &'a Arc<Vec<ModelId>>,
}

/// [`step`], with a panic inside it (a model runtime's, a library's, or a
/// bug met on one odd frame) kept to that frame: logged, counted in the
/// window's errors and shown as its last error, and the worker goes on
/// with the next frame. What the frame had already produced (the events
/// and minutes the rules closed, an event opened) is kept: a panic in the
/// preview or a clip frame, after the rules, loses neither. A followed
/// clerk's track, out of its lock while the models ran, is set up afresh.
/// Caught here, the panic cannot end the worker's thread, which would end
/// the run's scope at the stop and skip every window's last flush.
pub fn step_guarded(w: &WindowState, frame: Frame, est: &dyn Estimate, kit: &Kit) -> Vec<Output> {
    let index = frame.index;
    let mut out = Vec::new();
    if let Err(panic) = crate::base::panics::catch(|| step_into(w, frame, est, kit, &mut out)) {
        let why = crate::sync::panic_message(&*panic);
        w.stats.errors.fetch_add(1, Ordering::Relaxed);
        *lock(&w.stats.last_error) = Some(format!("the analysis of frame {index} panicked: {why}"));
        if let Some(left_out) = w.panic_logged(crate::base::throttle::monotonic()) {
            tracing::error!(window = %w.window.id, frame = index, why, left_out, "the analysis of a frame panicked; the rest of the frame is dropped (left_out: panics in this window since the last line)");
        }
        let mut work = lock(&w.work);
        if work.track.is_none() {
            work.track = kit.options.track.map(super::track::ClerkTrack::new);
        }
    }
    out
}

/// Analyses `frame` of window `w` with `est`; returns what goes to the
/// store, in order. An inference failure is counted and logged, and the
/// frame produces nothing.
pub fn step(w: &WindowState, frame: Frame, est: &dyn Estimate, kit: &Kit) -> Vec<Output> {
    let mut out = Vec::new();
    step_into(w, frame, est, kit, &mut out);
    out
}

/// [`step`], adding to `out` as it goes.
fn step_into(w: &WindowState, frame: Frame, est: &dyn Estimate, kit: &Kit, out: &mut Vec<Output>) {
    let options = kit.options;
    let thumb = (options.motion_gate.is_some() || options.clips.is_some()).then(|| motion::Thumb::of(&frame.image));
    let reused = thumb.as_ref().and_then(|t| lock(&w.work).gate.as_ref()?.reuse(t, frame.ts));
    // `Some(true)`: the detector ran; `Some(false)`: the clerk was followed;
    // `None`: the people were reused.
    let (people, detected) = match reused {
        Some(people) => {
            w.stats.frames_gated.fetch_add(1, Ordering::Relaxed);
            (people, None)
        }
        None => {
            let t0 = Instant::now();
            match infer(w, &frame, est, options) {
                Ok((people, detected)) => {
                    w.stats.observe_latency(t0.elapsed().as_secs_f64());
                    if !detected {
                        w.stats.frames_followed.fetch_add(1, Ordering::Relaxed);
                    }
                    let mut work = lock(&w.work);
                    let until = if detected { None } else { work.track.as_ref().and_then(|t| t.fresh_until()) };
                    if let (Some(t), Some(gate)) = (&thumb, work.gate.as_mut()) {
                        gate.analysed(t.clone(), frame.ts, &people, until);
                    }
                    drop(work);
                    (people, Some(detected))
                }
                Err(e) => {
                    w.stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(window = %w.window.id, error = %e, "inference failed");
                    return;
                }
            }
        }
    };
    w.stats.frames_analysed.fetch_add(1, Ordering::Relaxed);
    let (w_px, h_px) = (frame.image.width(), frame.image.height());
    let mut rules = lock(&w.rules);
    let before = rules.active();
    let mut obs = rules.observe(&people, w_px, h_px);
    let mut work = lock(&w.work);
    if let (Some(track), Some(detected)) = (work.track.as_mut(), detected) {
        track.judged(frame.ts, &people, obs.clerk, detected, rules.window().thresholds.min_keypoint_conf);
    }
    if let Some(j) = kit.judge {
        let a = attire_of(&w.window.id, &mut work, j, &frame, &people, obs.clerk, rules.window().desk_y);
        (obs.badge, obs.uniform) = (a.badge, a.uniform);
    }
    let events = rules.push_observation(frame.ts, &obs);
    if let Some(t) = work.traces.as_mut() {
        let line = traces::line(frame.ts, &w.window.id, w_px, h_px, &kit.models[0].name, &people, obs.badge, obs.uniform);
        if let Err(e) = t.record(line) {
            tracing::warn!(window = %w.window.id, error = %e, "trace not recorded");
        }
    }
    let began: Vec<_> = rules.active().into_iter().filter(|a| !before.contains(a)).collect();
    let rules_idle = rules.all_idle() && options.clips.is_some_and(|c| c.pre_roll_s <= rules.window().thresholds.shortest_onset_s());
    if let Some(m) = &options.mqtt {
        for (rule, start) in &began {
            m.started(&w.window.id, *rule, start);
        }
        for e in &events {
            m.ended(e);
        }
        if !began.is_empty() || !events.is_empty() || !m.has_state(&w.window.id) {
            m.state(&w.window.id, &frame.ts, &rules.active());
        }
    }
    let minutes = rules.take_closed_minutes(frame.ts);
    if work.baseline_saved.elapsed() >= BASELINE_SAVE_EVERY {
        work.baseline_saved = Instant::now();
        out.push(Output::Baseline(w.window.id.clone(), rules.learner().to_json()));
    }
    if !began.is_empty() {
        // In the hall's offset, as the closed event's start will be, so
        // that both are one row (the edge store keys on the text).
        let schedule = &rules.window().schedule;
        let opened = began.iter().map(|(r, t)| (*r, schedule.localize(*t))).collect();
        out.push(Output::Opened(w.window.id.clone(), opened));
    }
    drop(rules);
    drop(work);
    lock(&w.shown).last_observation = Some(obs.clone());
    if !events.is_empty() {
        out.push(Output::Events(events));
    }
    if !minutes.is_empty() {
        out.push(Output::Minutes(minutes));
    }
    let redactees = Redactees { recheck: (detected == Some(false)).then(|| (est, region_of(w, &frame, options))) };
    preview::preview_frame(w, &frame, &people, &redactees, kit.faces);
    let shot = Shot { frame, people, obs, began, thumb, rules_idle, redactees };
    for clip in record_clip_frame(w, shot, kit.faces) {
        out.push(Output::Clip(Box::new(clip), Arc::clone(kit.models)));
    }
}

/// The frame's people from the models: the followed clerk's pose when the
/// window's [`ClerkTrack`](super::track::ClerkTrack) holds them (`false`), else the person detector on
/// the zones' region (or the whole frame) and pose for everyone it finds
/// (`true`).
fn infer(w: &WindowState, frame: &Frame, est: &dyn Estimate, options: &AgentOptions) -> Result<(Vec<Person>, bool), VisionError> {
    let region = region_of(w, frame, options);
    let min_conf = lock(&w.rules).window().thresholds.min_keypoint_conf;
    let detect = || est.people(&frame.image, region);
    // Taken out while the models run, so that the lock is not held; a
    // layout edit meanwhile (the generation moved on) forgets the clerk.
    let (taken, generation) = {
        let mut work = lock(&w.work);
        (work.track.take(), work.layout_generation)
    };
    let Some(mut track) = taken else { return Ok((detect()?, true)) };
    let found = track.people(frame.ts, min_conf, |bbox, score| est.pose_at(&frame.image, bbox, score), detect);
    let mut work = lock(&w.work);
    if found.is_err() || work.layout_generation != generation {
        track.reset();
    }
    work.track = Some(track);
    found
}

/// Where the person detector looks in `frame`: the zones' region, or the
/// whole frame (`None`).
fn region_of(w: &WindowState, frame: &Frame, options: &AgentOptions) -> Option<BBox> {
    let (fw, fh) = (frame.image.width(), frame.image.height());
    if options.zone_crop { region::analysis_region(lock(&w.rules).window(), fw, fh) } else { None }
}

/// The people whose boxes a redaction of this frame fills. On a followed
/// frame everyone but the clerk comes from the last detection, so the
/// detector looks again first and its people are added; `None` when it
/// fails (then the frame is filled whole, or no preview is made).
pub(super) struct Redactees<'a> {
    /// On followed frames: the detector, and where it looks.
    pub recheck: Option<(&'a dyn Estimate, Option<BBox>)>,
}

impl Redactees<'_> {
    pub(super) fn people(&self, image: &RgbImage, people: &[Person]) -> Option<Vec<Person>> {
        let Some((est, region)) = self.recheck else { return Some(people.to_vec()) };
        match est.people(image, region) {
            Ok(found) => Some(people.iter().cloned().chain(found).collect()),
            Err(e) => {
                tracing::warn!(error = %e, "the detector failed on a frame to redact; it is filled whole");
                None
            }
        }
    }
}

/// One analysed frame, on its way to the window's clip recorder.
struct Shot<'a> {
    frame: Frame,
    redactees: Redactees<'a>,
    people: Vec<Person>,
    obs: Observation,
    /// Violations that began with this frame.
    began: Vec<(RuleCode, DateTime<FixedOffset>)>,
    thumb: Option<motion::Thumb>,
    /// Every rule idle, and the pre-roll no longer than the quickest rule's
    /// onset: no clip can need this frame.
    rules_idle: bool,
}

/// Passes a frame to the window's clip recorder (if clips are on): faces
/// first, then the triggers, then the frame. Returns the clips it
/// completed.
fn record_clip_frame(w: &WindowState, shot: Shot<'_>, faces: &Faces) -> Vec<FinishedClip> {
    let mut work = lock(&w.work);
    let Work { clips, face_gate, .. } = &mut *work;
    let Some(rec) = clips.as_mut() else { return Vec::new() };
    let Shot { frame, people, obs, began, thumb, rules_idle, redactees } = shot;
    // A frame can end up in a clip only while a rule is pending (every
    // rule is pending at least `shortest_onset_s` before it becomes a
    // violation, which is checked to be no shorter than the pre-roll) or a
    // clip is under way: other frames need no face search and no redaction.
    if rules_idle && began.is_empty() && !rec.is_recording() {
        w.stats.clip_frames_skipped.fetch_add(1, Ordering::Relaxed);
        return Vec::new();
    }
    let (people, evidence) = match redactees.people(&frame.image, &people) {
        Some(all) => {
            let evidence = faces.for_clip(&w.window.id, &w.stats, face_gate, &frame.image, frame.ts, thumb);
            (all, evidence)
        }
        None => (people, FaceEvidence::Unavailable("the detector failed on a followed frame".into())),
    };
    for (rule, start) in began {
        rec.trigger(rule, start, frame.ts, values_of(&obs));
    }
    rec.push(frame.image, &people, &evidence, obs.clerk, frame.ts)
}

/// The clerk's attire: judged every `every_s`, and the last verdict held
/// for up to three periods in between (then unknown).
fn attire_of(
    window: &str,
    work: &mut Work,
    judge: &crate::attire::Judge,
    frame: &Frame,
    people: &[Person],
    clerk: Option<usize>,
    desk_y: Option<f32>,
) -> crate::attire::Attire {
    let last = &mut work.attire;
    let age = |t: DateTime<FixedOffset>| (frame.ts - t).num_milliseconds() as f64 / 1000.0;
    let due = last.as_ref().is_none_or(|(t, _)| age(*t) >= judge.every_s());
    if due && let Some(p) = clerk.and_then(|i| people.get(i)) {
        let desk = desk_y.map(|y| y * frame.image.height() as f32);
        // A panic in the attire models is an unknown verdict until the
        // next check is due: caught here, it neither keeps the frame from
        // the rules nor comes back on every frame.
        match crate::base::panics::catch(|| judge.judge(&frame.image, p, desk)) {
            Ok(Ok(a)) => *last = Some((frame.ts, a)),
            Ok(Err(e)) => tracing::warn!(window, error = %e, "attire check failed"),
            Err(panic) => {
                tracing::error!(
                    window,
                    why = crate::sync::panic_message(&*panic),
                    "the attire check panicked; attire unknown until the next check"
                );
                *last = Some((frame.ts, crate::attire::Attire::default()));
            }
        }
    }
    match last.as_ref() {
        Some((t, a)) if age(*t) <= 3.0 * judge.every_s() && clerk.is_some() => *a,
        _ => crate::attire::Attire::default(),
    }
}

/// The measurements a clip's sidecar keeps from the trigger frame.
fn values_of(obs: &Observation) -> BTreeMap<String, f64> {
    [
        ("trunk_deg", obs.trunk_deg),
        ("neck_deg", obs.neck_deg),
        ("sink", obs.sink),
        ("shoulder_drop", obs.measures.map(|m| m.drop)),
        ("head_on_desk_p", obs.head_on_desk_p),
        ("confidence", Some(obs.confidence)),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_string(), f64::from(v?))))
    .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Counts its calls; finds nobody (or `clerk`), or fails when told to.
    #[derive(Default)]
    struct Stub {
        calls: AtomicUsize,
        pose_calls: AtomicUsize,
        fail: bool,
        regions: Mutex<Vec<Option<BBox>>>,
        /// Panics in the detector, as a broken runtime might.
        panics: bool,
        /// Panics in the detector's call with this number (from 1) only.
        panics_at_call: Option<usize>,
        /// Found by the detector; its pose in a followed box is seen at
        /// `follow_conf`.
        clerk: Option<Person>,
        follow_conf: f32,
    }

    impl Estimate for Stub {
        fn people(&self, _image: &RgbImage, region: Option<BBox>) -> Result<Vec<Person>, VisionError> {
            let call = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
            lock(&self.regions).push(region);
            if self.panics || self.panics_at_call == Some(call) {
                panic!("the stub detector panicked");
            }
            if self.fail {
                Err(VisionError::Inference { model: "stub".into(), message: "told to fail".into() })
            } else {
                Ok(self.clerk.iter().cloned().collect())
            }
        }

        fn pose_at(&self, _image: &RgbImage, bbox: BBox, score: f32) -> Result<Option<Person>, VisionError> {
            self.pose_calls.fetch_add(1, Ordering::Relaxed);
            Ok(self.clerk.clone().map(|mut p| {
                p.keypoints.iter_mut().for_each(|k| k.conf = self.follow_conf);
                Person { bbox, score, ..p }
            }))
        }
    }

    /// A clerk seated in the test window's staff zone (the left half of a
    /// 64×36 frame), seen whole.
    fn seated_clerk() -> Person {
        use crate::vision::person::{COCO_KEYPOINTS, Keypoint};
        let mut keypoints = vec![Keypoint::new(16.0, 22.0, 0.9); COCO_KEYPOINTS];
        let at =
            [(16.0, 14.0), (15.0, 13.0), (17.0, 13.0), (14.0, 14.0), (18.0, 14.0), (12.0, 19.0), (20.0, 19.0), (11.0, 24.0), (21.0, 24.0)];
        for (k, (x, y)) in at.iter().enumerate() {
            keypoints[k] = Keypoint::new(*x, *y, 0.9);
        }
        for (k, x) in [(11, 13.0), (12, 19.0)] {
            keypoints[k] = Keypoint::new(x, 30.0, 0.9);
        }
        Person { bbox: BBox::new(8.0, 10.0, 24.0, 36.0), score: 0.9, keypoints, landmarks: None, presence: None }
    }

    /// Once the detector has found the clerk, only their pose runs, and the
    /// detector looks again every `redetect_s`; the rules see the clerk on
    /// every frame.
    #[test]
    fn a_found_clerk_is_followed_and_the_detector_runs_at_its_low_rate() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        let est = Stub { clerk: Some(seated_clerk()), follow_conf: 0.9, ..Stub::default() };
        // 10 s at 2 fps: detections at 0, 2, 4, 6 and 8 s.
        run(w, &est, false, (0..20).map(|i| frame(i, (i * 10) as u8)));
        assert_eq!(est.calls.load(Ordering::Relaxed), 5);
        assert_eq!(est.pose_calls.load(Ordering::Relaxed), 15);
        assert_eq!(w.stats.frames_followed.load(Ordering::Relaxed), 15);
        assert!(lock(&w.shown).last_observation.as_ref().is_some_and(|o| o.present && o.clerk == Some(0)));
    }

    /// A followed pose that fades (the clerk left, or turned away) sends the
    /// frame to the detector at once.
    #[test]
    fn a_clerk_lost_while_followed_is_looked_for_by_the_detector() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        let est = Stub { clerk: Some(seated_clerk()), follow_conf: 0.1, ..Stub::default() };
        run(w, &est, false, (0..20).map(|i| frame(i, (i * 10) as u8)));
        assert_eq!(est.calls.load(Ordering::Relaxed), 20, "every frame detected");
        // A loss at 0.5 s; no new follow until the detection at 2.5 s, lost
        // again at 3 s, and so on: one failed follow per 2.5 s, not per frame.
        assert_eq!(est.pose_calls.load(Ordering::Relaxed), 4);
        assert_eq!(w.stats.frames_followed.load(Ordering::Relaxed), 0);
    }

    /// A followed frame's others are the last detection's: a still scene
    /// after it reuses them only until the detector is due again.
    #[test]
    fn a_still_scene_after_following_reuses_people_only_until_the_next_detection() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        let est = Stub { clerk: Some(seated_clerk()), follow_conf: 0.9, ..Stub::default() };
        // Moving for 1.5 s (detect at 0, follow at 0.5, 1 and 1.5), then
        // still until 6 s.
        run(w, &est, true, (0..13).map(|i| frame(i, (i.min(3) * 40) as u8)));
        assert_eq!(est.pose_calls.load(Ordering::Relaxed), 3);
        assert_eq!(est.calls.load(Ordering::Relaxed), 2, "the detector looked again at 2 s, though nothing moved");
        assert_eq!(w.stats.frames_gated.load(Ordering::Relaxed), 8);
    }

    /// A followed frame that a clip may need is not redacted with the last
    /// detection's people: the detector looks at it again first.
    #[test]
    fn a_followed_frame_for_a_clip_is_redacted_with_a_fresh_detection() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        let est = Stub { clerk: Some(seated_clerk()), follow_conf: 0.9, ..Stub::default() };
        // A pre-roll longer than the quickest rule's onset: every frame is
        // prepared for a clip.
        let opts = AgentOptions { clips: Some(crate::config::ClipSettings { pre_roll_s: 60.0, ..Default::default() }), ..options(false) };
        run_with(w, &est, &opts, (0..20).map(|i| frame(i, (i * 10) as u8)));
        assert_eq!(w.stats.frames_followed.load(Ordering::Relaxed), 15);
        assert_eq!(est.calls.load(Ordering::Relaxed), 20, "5 detections, and 15 for the followed frames' redaction");
    }

    fn options(gate: bool) -> AgentOptions {
        AgentOptions {
            fps: 2.0,
            workers: 1,
            model_copies: 1,
            loop_files: false,
            pose: Default::default(),
            motion_gate: gate.then(motion::GateOptions::default),
            clips: None,
            attire: None,
            record_traces: None,
            mqtt: None,
            zone_crop: true,
            track: Some(Default::default()),
            face_parts: false,
            store_give_up: Duration::from_secs(60),
        }
    }

    fn frame(i: u64, shade: u8) -> Frame {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        Frame {
            ts: t0 + chrono::Duration::milliseconds(500 * i as i64),
            index: i,
            image: RgbImage::from_pixel(64, 36, image::Rgb([shade; 3])),
        }
    }

    fn run(w: &WindowState, est: &Stub, gate: bool, frames: impl Iterator<Item = Frame>) -> Vec<Output> {
        run_with(w, est, &options(gate), frames)
    }

    fn run_with(w: &WindowState, est: &Stub, opts: &AgentOptions, frames: impl Iterator<Item = Frame>) -> Vec<Output> {
        with_kit(w, opts, |kit| frames.flat_map(|f| step(w, f, est, kit)).collect())
    }

    /// Prepares `w` for `opts` and hands `f` a kit without a face model.
    fn with_kit<R>(w: &WindowState, opts: &AgentOptions, f: impl FnOnce(&Kit) -> R) -> R {
        crate::agent::workers::prepare(w, opts);
        let faces = Faces::unavailable("no face model in this test");
        let models = Arc::new(vec![ModelId { name: "stub".into(), sha256: String::new() }]);
        f(&Kit { options: opts, faces: &faces, judge: None, models: &models })
    }

    /// A panic while one frame is analysed is that frame's: counted and
    /// shown, and the window's next frame is analysed as usual.
    #[test]
    fn a_panic_in_one_frame_s_analysis_is_counted_and_the_next_frame_is_analysed() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        with_kit(w, &options(false), |kit| {
            let bad = Stub { panics: true, ..Stub::default() };
            assert!(step_guarded(w, frame(0, 10), &bad, kit).is_empty());
            assert_eq!(w.stats.errors.load(Ordering::Relaxed), 1);
            assert!(lock(&w.stats.last_error).as_deref().is_some_and(|e| e.contains("frame 0 panicked") && e.contains("stub detector")));
            assert!(lock(&w.work).track.is_some(), "the clerk's track, taken out while the models ran, is back");
            let good = Stub::default();
            step_guarded(w, frame(1, 20), &good, kit);
            assert_eq!(good.calls.load(Ordering::Relaxed), 1, "the next frame ran the detector");
            assert!(lock(&w.shown).last_observation.is_some(), "and reached the rules");
        });
    }

    /// A panic that recurs on every frame is counted and shown on every
    /// frame, and written to the log once: the window's throttle, asked
    /// again an hour on, says the rest were left out.
    #[test]
    fn a_panic_on_every_frame_is_counted_each_time_and_written_once() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        with_kit(w, &options(false), |kit| {
            let bad = Stub { panics: true, ..Stub::default() };
            for i in 0..5 {
                step_guarded(w, frame(i, (i * 20) as u8), &bad, kit);
            }
            assert_eq!(w.stats.errors.load(Ordering::Relaxed), 5);
            assert!(lock(&w.stats.last_error).as_deref().is_some_and(|e| e.contains("frame 4 panicked")), "the last is shown");
            let later = crate::base::throttle::monotonic() + std::time::Duration::from_secs(3600);
            assert_eq!(w.panic_logged(later), Some(4), "the first was written, the four after it left out");
        });
    }

    /// A panic after the rules (here in the preview, whose detector looks
    /// again on a followed frame) keeps what the frame had produced: the
    /// minute it closed reaches the store.
    #[test]
    fn a_panic_after_the_rules_keeps_the_minutes_they_closed() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        with_kit(w, &options(false), |kit| {
            // Detections at frames 1, 5, … 117 (every 2 s): 30 calls. Frame 120
            // (09:01:00) is followed and closes the minute 09:00; its preview's
            // second look is call 31.
            let est = Stub { clerk: Some(seated_clerk()), follow_conf: 0.9, panics_at_call: Some(31), ..Stub::default() };
            for i in 1..120 {
                step_guarded(w, frame(i, (i * 10 % 200) as u8), &est, kit);
            }
            assert_eq!(est.calls.load(Ordering::Relaxed), 30);
            lock(&w.shown).preview_wanted = Some(Instant::now());
            let out = step_guarded(w, frame(120, 50), &est, kit);
            assert_eq!(w.stats.errors.load(Ordering::Relaxed), 1, "the preview's panic was caught");
            assert!(out.iter().any(|o| matches!(o, Output::Minutes(m) if !m.is_empty())), "the closed minute is kept");
        });
    }

    /// An empty post for three minutes at 2 fps: the step opens `absent`
    /// once the tolerance has passed, dated from when the post emptied,
    /// and hands over the closed minutes; pose ran on the zones' region.
    #[test]
    fn an_empty_post_opens_absent_and_closes_minutes() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        let est = Stub::default();
        let out = run(w, &est, false, (0..360).map(|i| frame(i, (i % 200) as u8)));
        assert_eq!(est.calls.load(Ordering::Relaxed), 360);
        assert_eq!(w.stats.frames_analysed.load(Ordering::Relaxed), 360);
        assert!(lock(&est.regions).iter().all(|r| r.is_some()), "zone crop on: pose looks at the zones' region");
        let opened: Vec<_> = out
            .iter()
            .filter_map(|o| match o {
                Output::Opened(window, began) => Some((window.clone(), began.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(opened.len(), 1, "absent opened once");
        assert_eq!(opened[0].0, "w1");
        assert_eq!(opened[0].1[0].0, RuleCode::Absent);
        assert_eq!(opened[0].1[0].1, frame(0, 0).ts, "dated from the first empty frame");
        // 09:00 and 09:01 closed by 09:02:59.5; 09:00 is handed over again
        // when the absence is backdated into it.
        let minutes: std::collections::BTreeSet<String> = out
            .iter()
            .flat_map(|o| {
                if let Output::Minutes(m) = o {
                    m.iter().filter_map(|m| m.minute).map(|t| t.format("%H:%M").to_string()).collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        assert_eq!(minutes.into_iter().collect::<Vec<_>>(), ["09:00", "09:01"]);
        assert!(lock(&w.shown).last_observation.as_ref().is_some_and(|o| !o.present));
    }

    /// Unchanged frames reuse the last people: no inference, counted as
    /// gated, and the rules still see every frame.
    #[test]
    fn unchanged_frames_are_judged_without_inference() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        let est = Stub::default();
        run(w, &est, true, (0..10).map(|i| frame(i, 90)));
        assert_eq!(est.calls.load(Ordering::Relaxed), 1);
        assert_eq!(w.stats.frames_gated.load(Ordering::Relaxed), 9);
        assert_eq!(w.stats.frames_analysed.load(Ordering::Relaxed), 10);
    }

    /// A failing model counts errors and produces nothing: no rule sees a
    /// frame nobody looked at.
    #[test]
    fn a_failed_inference_produces_nothing() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        let est = Stub { fail: true, ..Stub::default() };
        let out = run(w, &est, false, (0..400).map(|i| frame(i, 0)));
        assert!(out.is_empty());
        assert_eq!(w.stats.errors.load(Ordering::Relaxed), 400);
        assert_eq!(w.stats.frames_analysed.load(Ordering::Relaxed), 0);
        assert!(lock(&w.shown).last_observation.is_none());
    }
}
