//! The simulation driver: scenario + config → keypoint trace with ground truth.

use chrono::{DateTime, FixedOffset, TimeZone};
use serde::Serialize;

use crate::trace::TraceFrame;
use crate::vision::FrameReport;
use crate::vision::Person;

use super::body::kp;
use super::camera::Camera;
use super::citizen::CitizenTrack;
use super::clerk::{ChairHabit, ClerkTrack, Traits};
use super::detector::detect;
use super::noise::{Rng, mix};
use super::occlusion::{Capsule, Vis, body_capsules, classify};
use super::scenario::{Activity, Scenario};
use super::scene::Scene;
use super::truth::{FrameTruth, TruthEvent, at};
use super::zones::{Zones, zones};

/// Simulation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Window id written into every trace line.
    pub window: String,
    pub camera: Camera,
    /// The clerk's body and habits.
    pub traits: Traits,
    /// The window's furniture.
    pub scene: Scene,
    /// How far the chair drifts between segments (m, each way).
    pub chair_drift_m: f32,
    /// How the clerk rolls the chair back from the desk and in again.
    pub chair: ChairHabit,
    /// Citizens of every build (otherwise all of average build).
    pub varied_citizens: bool,
    /// Frames per second (default 2).
    pub fps: f32,
    /// Keypoint noise σ in px for a torso imaged at 320 px/m (≈ the default
    /// seated clerk at 720p); scaled with the person's image size.
    pub noise_px: f32,
    /// Probability that a frame is dropped (absent from the output).
    pub drop_rate: f32,
    /// Approximate fraction of frames in which a person on stage goes
    /// undetected; misses come in gaps of 1–4 consecutive frames.
    pub miss_rate: f32,
    /// Camera sees the clerk's legs (open-front desk / side camera); OR-ed
    /// with `Scenario::legs_visible`.
    pub legs_visible: bool,
    pub seed: u64,
    /// Timestamp of frame 0.
    pub start: DateTime<FixedOffset>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            window: "W01".to_string(),
            camera: Camera::default(),
            traits: Traits::default(),
            scene: Scene::default(),
            chair_drift_m: 0.0,
            chair: ChairHabit::default(),
            varied_citizens: false,
            fps: 2.0,
            noise_px: 3.0,
            drop_rate: 0.02,
            miss_rate: 0.01,
            legs_visible: false,
            seed: 1,
            start: FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        }
    }
}

/// One emitted frame: what the pose model would have written, plus truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimFrame {
    pub trace: TraceFrame,
    pub truth: FrameTruth,
}

/// Result of [`simulate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    /// Emitted frames in time order (dropped frames are missing; `frame`
    /// numbers keep counting through the gaps).
    pub frames: Vec<SimFrame>,
    pub truth_events: Vec<TruthEvent>,
    pub zones: Zones,
}

/// Who a detected person is (internal; the trace itself carries no roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Clerk,
    Citizen,
}

/// Detection-gap state machine for one role.
#[derive(Debug, Default)]
struct Gap(u32);

impl Gap {
    /// Advance one frame; true if the person is missed in this frame.
    fn step(&mut self, rng: &mut Rng, miss_rate: f32) -> bool {
        if self.0 > 0 {
            self.0 -= 1;
            return true;
        }
        // Gaps last 1–4 frames (mean 2.5), so start one with rate/2.5.
        if rng.chance(miss_rate / 2.5) {
            self.0 = (rng.next_u64() % 4) as u32;
            return true;
        }
        false
    }
}

/// Run a scenario. Pure and deterministic for a given config (seed included).
pub fn simulate(sc: &Scenario, cfg: &SimConfig) -> Simulation {
    let frames: Vec<SimFrame> = run(sc, cfg).into_iter().map(|(f, _)| f).collect();
    let mut truth_events = sc.truth_events(cfg.start, cfg.legs_visible);
    let seen: Vec<_> = frames.iter().map(|f| (f.trace.ts, f.truth.clerk_hidden)).collect();
    mark_hidden(&mut truth_events, &seen);
    Simulation { frames, truth_events, zones: zones(&cfg.camera, &cfg.traits, &cfg.scene) }
}

/// Marks the truth events during which a visitor hid the clerk in more
/// than half of the emitted frames (`frames`: each one's time and whether
/// the clerk was hidden), counting frames in `[start, end)`.
fn mark_hidden(events: &mut [TruthEvent], frames: &[(DateTime<FixedOffset>, bool)]) {
    for e in events {
        let during = frames.iter().filter(|(ts, _)| *ts >= e.start && *ts < e.end);
        let (n, hidden) = during.fold((0u32, 0u32), |(n, h), (_, hid)| (n + 1, h + u32::from(*hid)));
        e.hidden = n > 0 && 2 * hidden > n;
    }
}

/// The simulation loop; also returns each frame's people with their roles
/// (same order as `trace.frame.people`) for tests.
pub(crate) fn run(sc: &Scenario, cfg: &SimConfig) -> Vec<(SimFrame, Vec<Role>)> {
    let cam = &cfg.camera;
    let legs_visible = cfg.legs_visible || sc.legs_visible;
    let mut motion = Rng::new(mix(cfg.seed, 1));
    let mut drops = Rng::new(mix(cfg.seed, 2));
    let mut misses = Rng::new(mix(cfg.seed, 3));
    let clerk = ClerkTrack::new(sc, &mut motion, cfg.traits, cfg.scene, cfg.chair_drift_m, cfg.chair);
    let citizens = CitizenTrack::new(sc, &mut motion, &cfg.scene, cfg.varied_citizens);
    let (mut gap_clerk, mut gap_citizen) = (Gap::default(), Gap::default());
    let n = (sc.duration_secs() * cfg.fps as f64).floor().max(0.0) as u64;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let t = i as f64 / cfg.fps as f64;
        let dropped = drops.chance(cfg.drop_rate);
        let miss_clerk = gap_clerk.step(&mut misses, cfg.miss_rate);
        let miss_citizen = gap_citizen.step(&mut misses, cfg.miss_rate);
        if dropped {
            continue;
        }
        let mut rng = Rng::new(mix(cfg.seed, 0x1000_0000 + i));
        let clerk_fig = clerk.figure_at(t);
        let citizen_figs = citizens.figures_at(t);
        let occluders: Vec<Capsule> = citizen_figs.iter().flat_map(body_capsules).collect();
        let mut people: Vec<(Role, Person)> = Vec::new();
        let mut clerk_hidden = false;
        if let Some(f) = &clerk_fig {
            let vis = classify(f, cam, &cfg.scene, &occluders, !legs_visible);
            if !occluders.is_empty() {
                // Shoulders seen with no one at the counter, none with.
                let alone = classify(f, cam, &cfg.scene, &[], !legs_visible);
                let seen = |v: &[Vis; kp::COUNT]| [kp::L_SHOULDER, kp::R_SHOULDER].iter().any(|&i| v[i].is_visible());
                clerk_hidden = seen(&alone) && !seen(&vis);
            }
            // Always run the detector so the per-frame noise stream does not
            // depend on whether a miss happens.
            if let Some(p) = detect(f, &vis, cam, &cfg.scene, cfg.noise_px, &mut rng)
                && !miss_clerk
            {
                people.push((Role::Clerk, p));
            }
        }
        for f in &citizen_figs {
            let vis = classify(f, cam, &cfg.scene, &[], true);
            if let Some(p) = detect(f, &vis, cam, &cfg.scene, cfg.noise_px, &mut rng)
                && !miss_citizen
            {
                people.push((Role::Citizen, p));
            }
        }
        // Detectors list people by score, not by role.
        people.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
        let activity = sc.activity_at(t);
        let form = sc.segment_index_at(t).map_or("", |i| sc.segments[i].clerk.form_name());
        let present = activity != Activity::Away;
        let (trunk_deg, neck_deg) = match (&clerk_fig, present) {
            (Some(f), true) => (f.trunk_deg(), f.neck_deg()),
            _ => (0.0, 0.0),
        };
        let truth = FrameTruth {
            clerk_present: present,
            activity,
            form: form.to_string(),
            citizen_at_counter: sc.citizen_at(t),
            trunk_deg,
            neck_deg,
            chair_m: clerk.chair_at(t),
            clerk_hidden: clerk_hidden && present,
        };
        let roles = people.iter().map(|(r, _)| *r).collect();
        let trace = TraceFrame {
            ts: at(cfg.start, t),
            window: cfg.window.clone(),
            frame: FrameReport {
                source: sc.name.clone(),
                frame: i,
                width: cam.width,
                height: cam.height,
                model: "sim".to_string(),
                people: people.into_iter().map(|(_, p)| p).collect(),
            },
            badge: None,
            uniform: None,
        };
        out.push((SimFrame { trace, truth }, roles));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_hidden_when_more_than_half_of_its_frames_are() {
        let start = SimConfig::default().start;
        let ev = |a: f64, b: f64| TruthEvent {
            rule: "not_standing_to_greet".into(),
            start: at(start, a),
            end: at(start, b),
            form: String::new(),
            hidden: false,
        };
        // Frames every second from 0 to 9; hidden at 0-2 and at 5-6.
        let frames: Vec<_> = (0..10).map(|i| (at(start, f64::from(i)), matches!(i, 0..=2 | 5 | 6))).collect();
        let mut events = vec![ev(0.0, 4.0), ev(2.0, 6.0), ev(5.0, 7.0), ev(4.0, 6.0), ev(7.0, 7.0), ev(20.0, 30.0)];
        mark_hidden(&mut events, &frames);
        let hidden: Vec<bool> = events.iter().map(|e| e.hidden).collect();
        // 0-4: 3 of 4; 2-6: 2 of 4 is not more than half; 5-7: 2 of 2 (the
        // frame at 7 is the end, not counted); 4-6: 1 of 2; no frames: no.
        assert_eq!(hidden, [true, false, true, false, false, false]);
    }
}
