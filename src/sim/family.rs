//! Families of random windows, and the figures the rules reach on them.
//!
//! A family is a seed. Window `i` of a family draws, from that seed alone,
//! everything that makes a hall differ from the one the rules were written
//! in: the camera (1.8–3.2 m high, 1.5–4.5 m from the clerk, up to ±1.5 m to
//! one side, aimed by an installer who misses by up to ±8°, tilt 0–45°, lens
//! 60–110°, 640×360 to 1920×1080), the clerk (any body, habits, turned up to
//! ±30°), the furniture (desk 0.70–0.80 m, a monitor in a quarter of the
//! windows, legs visible in a fifth), the tilt the installer writes into the
//! config (±5° off), and an hour's script ([`super::script`]). A quarter of
//! the windows keep height and distance inside the README's recommended
//! placement (2.1–2.4 m high, 2.6–3.0 m away), so that the recommended cells
//! hold enough windows to be measured on their own.
//!
//! Thresholds are chosen on [`TUNING`] only. [`HELD_OUT`] is drawn from
//! other seeds and is what `docs/accuracy.md` reports and the unit test
//! holds to the targets.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, FixedOffset};

use super::body::build;
use super::camera::Camera;
use super::clerk::{ChairHabit, IdleSample, Setting, Traits, Variation, pose_spec};
use super::evaluate::{Score, run_rules_with, score, truth_visits};
use super::noise::{Rng, mix};
use super::scenario::{Clerk, Scenario};
use super::scene::Scene;
use super::script::random_script;
use super::simulate::{SimConfig, Simulation, simulate};
use super::vec3::Vec3;
use super::zones::zones;
use crate::config::{self, Window};
use crate::rules::RuleCode;
use crate::rules::visits::VisitTally;

/// The family the rules' thresholds were chosen on.
pub const TUNING: u64 = 0x7E57_0001;
/// The family reported on: never used while choosing thresholds.
pub const HELD_OUT: u64 = 0x4E1D_0002;
/// A second report family, drawn for the first time at the end of the
/// round that followed two readings of [`HELD_OUT`]: a check that those
/// readings did not flatter.
pub const FRESH: u64 = 0x4E1D_0003;
/// A third report family, drawn for the first time after the round that
/// keyed absence on how the clerk went out of sight (tuned on [`TUNING`]
/// alone), once [`HELD_OUT`] had been read five times.
pub const THIRD: u64 = 0x4E1D_0004;

/// One drawn window.
#[derive(Debug, Clone)]
pub struct WindowDraw {
    pub index: usize,
    pub camera: Camera,
    pub traits: Traits,
    pub scene: Scene,
    pub legs_visible: bool,
    /// What the installer wrote as `camera_tilt_deg`.
    pub configured_tilt_deg: f32,
    pub scenario: Scenario,
    /// How the clerk rolls the chair back from the desk and in again.
    pub chair: ChairHabit,
    pub seed: u64,
}

/// The seated clerk's chest, where an installer aims.
fn chest(traits: &Traits, scene: &Scene) -> Vec3 {
    Vec3::new(0.0, scene.seat_hip_y + 0.6 * traits.dims.trunk, 0.1)
}

/// The upright clerk's head, shoulders and wrists, for framing checks.
fn upright_points(traits: &Traits, scene: &Scene) -> Vec<Vec3> {
    let st = Setting { traits, scene, var: Variation::default() };
    let f = build(&pose_spec(Clerk::Upright, &IdleSample::default(), &st).expect("upright is present"), &traits.dims);
    let j = &f.joints;
    vec![f.head_centre(), j[0], j[3], j[5], j[6], j[4], j[9], j[10], f.head_centre() + Vec3::new(0.0, 0.12, 0.0)]
}

/// Window `index` of family `family`, with a script of `minutes`.
pub fn draw_window(family: u64, index: usize, minutes: f32) -> WindowDraw {
    let seed = mix(family, index as u64 + 1);
    let mut rng = Rng::new(seed);
    let traits = Traits::draw(&mut rng, 30.0);
    let scene = Scene::draw(&mut rng, 0.25);
    let legs_visible = rng.chance(0.2);
    let sizes = [(640, 360), (960, 540), (1280, 720), (1920, 1080)];
    let points = upright_points(&traits, &scene);
    // A quarter of the windows come from the recommended placement, so that
    // it has enough windows to be measured on its own; the rest from
    // everywhere.
    let recommended = rng.chance(0.25);
    let camera = loop {
        let (width, height) = sizes[(rng.next_u64() % 4) as usize];
        let (h, d) = if recommended { ((2.1, 2.4), (2.6, 3.0)) } else { ((1.8, 3.2), (1.5, 4.5)) };
        let cam = Camera {
            height_m: rng.range(h.0, h.1),
            distance_m: rng.range(d.0, d.1),
            offset_m: rng.range(-1.5, 1.5),
            hfov_deg: rng.range(60.0, 110.0),
            width,
            height,
            ..Camera::default()
        };
        let miss = rng.range(-8.0, 8.0);
        let mut cam = cam.aimed_at(chest(&traits, &scene));
        cam.tilt_deg = (cam.tilt_deg + miss).clamp(0.0, 45.0);
        let framed = points.iter().all(|p| cam.in_frame(&cam.project(*p)));
        // The installer frames the counter too: a citizen standing there is
        // at least partly in view.
        if framed && cam.distance_m >= scene.counter_z + 0.3 && super::zones::area(&zones(&cam, &traits, &scene).counter_zone) >= 0.01 {
            break cam;
        }
    };
    // A monitor may hide part of the clerk, never the head and both shoulders
    // (an installer would move the camera).
    let mut scene = scene;
    for _ in 0..20 {
        let Some(m) = scene.monitor else { break };
        let hidden = |p: Vec3| super::occlusion::segment_hits_box(camera.position(), p, &m);
        let (head, l, r) = (points[0], points[3], points[4]);
        if !hidden(head) && (!hidden(l) || !hidden(r)) {
            break;
        }
        scene.monitor = (!rng.chance(0.2)).then(|| scene.draw_monitor(&mut rng));
    }
    let configured_tilt_deg = (camera.tilt_deg + rng.range(-5.0, 5.0)).clamp(0.0, 60.0).round();
    let scenario = random_script(&mut rng, &format!("w{index:03}"), minutes, legs_visible);
    // The chair from its own stream, so that every other draw is as before
    // chair moves were simulated.
    let chair = ChairHabit::draw(&mut Rng::new(mix(seed, 0xC4A1_0001)));
    WindowDraw { index, camera, traits, scene, legs_visible, configured_tilt_deg, scenario, chair, seed }
}

impl WindowDraw {
    pub fn id(&self) -> String {
        format!("W{:03}", self.index)
    }

    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            window: self.id(),
            camera: self.camera,
            traits: self.traits,
            scene: self.scene,
            chair_drift_m: 0.04,
            chair: self.chair,
            varied_citizens: true,
            legs_visible: self.legs_visible,
            seed: mix(self.seed, 0xC0FFEE),
            ..SimConfig::default()
        }
    }

    /// The seated clerk's shoulder width in pixels, as the camera sees it.
    pub fn shoulder_px(&self) -> f32 {
        let st = Setting { traits: &self.traits, scene: &self.scene, var: Variation::default() };
        let f = build(&pose_spec(Clerk::Upright, &IdleSample::default(), &st).expect("upright"), &self.traits.dims);
        let (a, b) = (self.camera.project(f.joints[5]), self.camera.project(f.joints[6]));
        ((a.u - b.u).powi(2) + (a.v - b.v).powi(2)).sqrt()
    }

    /// The placement bucket (height × distance × tilt bands).
    pub fn bucket(&self) -> Bucket {
        Bucket::of(&self.camera)
    }

    /// The window's config as an installer would write it for this camera.
    pub fn window(&self, sim: &Simulation) -> Window {
        let text = super::evaluate::config_text_tilt(sim, self.configured_tilt_deg, &self.id());
        config::parse(&text, std::path::Path::new("<simulation>")).expect("simulated zones make a valid config").windows.remove(0)
    }
}

/// A band of camera placements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bucket {
    /// Height band: 0 < 2.1 m ≤ 1 ≤ 2.4 m < 2 ≤ 2.8 m < 3.
    pub height: u8,
    /// Distance band: 0 < 2.6 m ≤ 1 ≤ 3.0 m < 2 ≤ 3.6 m < 3.
    pub distance: u8,
    /// Tilt band: 0 < 10° ≤ 1 < 20° ≤ 2 ≤ 35° < 3.
    pub tilt: u8,
}

impl Bucket {
    pub const HEIGHTS: [&'static str; 4] = ["1.8–2.1", "2.1–2.4", "2.4–2.8", "2.8–3.2"];
    pub const DISTANCES: [&'static str; 4] = ["1.5–2.6", "2.6–3.0", "3.0–3.6", "3.6–4.5"];
    pub const TILTS: [&'static str; 4] = ["0–10", "10–20", "20–35", "35–45"];

    pub fn of(cam: &Camera) -> Bucket {
        let band = |v: f32, cuts: [f32; 3]| cuts.iter().filter(|c| v > **c).count() as u8;
        Bucket {
            height: band(cam.height_m, [2.1, 2.4, 2.8]),
            distance: band(cam.distance_m, [2.6, 3.0, 3.6]),
            tilt: if cam.tilt_deg < 10.0 {
                0
            } else if cam.tilt_deg < 20.0 {
                1
            } else if cam.tilt_deg <= 35.0 {
                2
            } else {
                3
            },
        }
    }

    /// Inside the README's recommended placement: 2.1–2.4 m high, 2.6–3.0 m
    /// from the clerk, tilted 10–35°.
    pub fn recommended(&self) -> bool {
        self.height == 1 && self.distance == 1 && (self.tilt == 1 || self.tilt == 2)
    }
}

/// Scores of one rule within one group of windows or forms.
pub type Scores = BTreeMap<RuleCode, Score>;

/// Truth events of one form: how many, how many found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FormCount {
    pub truth: u32,
    pub found: u32,
    /// False events (of any rule) that started while the clerk was in this form.
    pub false_events: u32,
}

/// One window's outcome.
#[derive(Debug, Clone)]
pub struct WindowResult {
    pub index: usize,
    pub bucket: Bucket,
    pub shoulder_px: f32,
    pub scores: Scores,
    /// Per form: truth events and those found, per rule.
    pub forms: BTreeMap<(RuleCode, String), FormCount>,
    /// False events and missed truth events: rule, seconds from the start, form.
    pub false_events: Vec<(RuleCode, f64, String)>,
    /// ... the last, whether a visitor hid the clerk ([`TruthEvent::hidden`]).
    pub missed: Vec<(RuleCode, f64, String, bool)>,
    /// The visits the rules counted, and those they saw a visitor hide the
    /// clerk in ([`crate::rules::visits`]; this simulation's only, without
    /// a kept baseline's)...
    pub visits: VisitTally,
    /// ... and the same counted on the simulation's truth.
    pub truth_visits: VisitTally,
}

/// Everything measured over a family.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub windows: Vec<WindowResult>,
}

impl Report {
    /// Scores summed over the windows `keep` selects.
    pub fn total(&self, keep: impl Fn(&WindowResult) -> bool) -> Scores {
        let mut out = Scores::new();
        for w in self.windows.iter().filter(|w| keep(w)) {
            for (r, s) in &w.scores {
                out.entry(*r).or_default().add(*s);
            }
        }
        out
    }

    /// Per (rule, form) counts summed over every window.
    pub fn forms(&self) -> BTreeMap<(RuleCode, String), FormCount> {
        let mut out: BTreeMap<(RuleCode, String), FormCount> = BTreeMap::new();
        for w in &self.windows {
            for (k, c) in &w.forms {
                let e = out.entry(k.clone()).or_default();
                e.truth += c.truth;
                e.found += c.found;
                e.false_events += c.false_events;
            }
        }
        out
    }
}

fn overlaps(a: (DateTime<FixedOffset>, DateTime<FixedOffset>), b: (DateTime<FixedOffset>, DateTime<FixedOffset>), slack_s: i64) -> bool {
    let slack = chrono::Duration::seconds(slack_s);
    a.0 - slack < b.1 && b.0 - slack < a.1
}

/// The baseline learner as the edge store keeps it after the window's
/// previous working day (another hour of the same clerk and camera, with
/// its own script).
pub fn previous_day(w: &WindowDraw, window: &Window) -> crate::rules::baseline::Learner {
    let mut rng = Rng::new(mix(w.seed, 0xDA7));
    let script = random_script(&mut rng, &format!("w{:03}-before", w.index), 60.0, w.legs_visible);
    let cfg = SimConfig { seed: mix(w.seed, 0xDA8), start: w.sim_config().start - chrono::Duration::days(1), ..w.sim_config() };
    let sim = simulate(&script, &cfg);
    let mut rules = crate::rules::WindowRules::new(window);
    for f in &sim.frames {
        rules.push(f.trace.ts, &f.trace.frame.people, f.trace.frame.width, f.trace.frame.height);
    }
    rules.learner().clone()
}

/// How a window's evaluation starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// No baseline: a newly installed window.
    Cold,
    /// With the baseline kept from the previous day, as a running box has.
    Warm,
}

/// Simulates, judges and scores one window.
pub fn evaluate_window(w: &WindowDraw, start: Start) -> WindowResult {
    let sim = simulate(&w.scenario, &w.sim_config());
    let window = w.window(&sim);
    let mut rules = crate::rules::WindowRules::new(&window);
    if start == Start::Warm {
        rules.set_learner(previous_day(w, &window));
    }
    let before = rules.baseline_status().visits;
    let events = run_rules_with(&mut rules, &sim);
    let after = rules.baseline_status().visits;
    let visits = VisitTally { visits: after.visits.saturating_sub(before.visits), hidden: after.hidden.saturating_sub(before.hidden) };
    let truth_visits = truth_visits(&sim, window.thresholds.not_standing_to_greet.arrival_s);
    let scores = score(&events, &sim.truth_events, 5);
    let mut forms: BTreeMap<(RuleCode, String), FormCount> = BTreeMap::new();
    let (mut false_events, mut missed) = (Vec::new(), Vec::new());
    let t0 = sim.frames.first().map(|f| f.trace.ts);
    let secs = |t: DateTime<FixedOffset>| t0.map_or(0.0, |t0| (t - t0).num_milliseconds() as f64 / 1000.0);
    for t in &sim.truth_events {
        let Some(rule) = RuleCode::ALL.into_iter().find(|r| r.as_str() == t.rule) else { continue };
        let found = events.iter().any(|e| e.rule == rule && overlaps((e.start, e.end), (t.start, t.end), 5));
        let c = forms.entry((rule, t.form.clone())).or_default();
        c.truth += 1;
        c.found += u32::from(found);
        if !found {
            missed.push((rule, secs(t.start), t.form.clone(), t.hidden));
        }
    }
    // As [`score`] counts them: an event matches the first truth event it
    // overlaps that no earlier event matched; a second event over one truth
    // event is false (it is listed as "again").
    let mut used = vec![false; sim.truth_events.len()];
    for e in &events {
        let hit = sim
            .truth_events
            .iter()
            .enumerate()
            .find(|(i, t)| !used[*i] && t.rule == e.rule.as_str() && overlaps((e.start, e.end), (t.start, t.end), 5));
        if let Some((i, _)) = hit {
            used[i] = true;
        } else {
            let again = sim.truth_events.iter().any(|t| t.rule == e.rule.as_str() && overlaps((e.start, e.end), (t.start, t.end), 5));
            let form = sim.frames.iter().find(|f| f.trace.ts >= e.start).map_or_else(String::new, |f| f.truth.form.clone());
            let form = if again { format!("{form} (again)") } else { form };
            forms.entry((e.rule, form.clone())).or_default().false_events += 1;
            false_events.push((e.rule, secs(e.start), form));
        }
    }
    WindowResult {
        index: w.index,
        bucket: w.bucket(),
        shoulder_px: w.shoulder_px(),
        scores,
        forms,
        false_events,
        missed,
        visits,
        truth_visits,
    }
}

/// Evaluates windows `0..n` of a family on `threads` threads.
pub fn evaluate(family: u64, n: usize, minutes: f32, threads: usize, start: Start) -> Report {
    let next = AtomicUsize::new(0);
    let out = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = evaluate_window(&draw_window(family, i, minutes), start);
                    crate::sync::lock(&out).push(r);
                }
            });
        }
    });
    let mut windows = out.into_inner().unwrap_or_else(|e| e.into_inner());
    windows.sort_by_key(|w| w.index);
    Report { windows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_deterministic_and_wide() {
        let a = draw_window(TUNING, 3, 20.0);
        let b = draw_window(TUNING, 3, 20.0);
        assert_eq!(a.camera, b.camera);
        assert_eq!(a.scenario, b.scenario);
        let ws: Vec<_> = (0..120).map(|i| draw_window(HELD_OUT, i, 5.0)).collect();
        let range = |f: &dyn Fn(&WindowDraw) -> f32| ws.iter().map(f).fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (h0, h1) = range(&|w| w.camera.height_m);
        let (d0, d1) = range(&|w| w.camera.distance_m);
        let (t0, t1) = range(&|w| w.camera.tilt_deg);
        let (o0, o1) = range(&|w| w.camera.offset_m);
        assert!(h0 < 2.0 && h1 > 3.0, "heights {h0}..{h1}");
        assert!(d0 < 2.0 && d1 > 4.0, "distances {d0}..{d1}");
        assert!(t0 < 15.0 && t1 > 40.0, "tilts {t0}..{t1}");
        assert!(o0 < -1.2 && o1 > 1.2, "offsets {o0}..{o1}");
        assert!(ws.iter().any(|w| w.scene.monitor.is_some()) && ws.iter().any(|w| w.legs_visible));
        assert!(ws.iter().filter(|w| w.bucket().recommended()).count() >= 15);
    }
}

/// The held-out family held to its measured figures (`docs/accuracy.md`).
/// Deterministic: fixed seeds, no timing. The targets (precision ≥
/// 0.95 and recall ≥ 0.90 per rule) are asserted where they are met; where
/// they are not yet, the measured figure is the floor, so any regression
/// fails.
#[cfg(test)]
mod held_out {
    use super::*;

    /// Each rule's precision and recall at least its floors.
    fn assert_floors(scores: &Scores, floors: &[(RuleCode, f64, f64)], what: &str) {
        for &(rule, p, r) in floors {
            let s = scores[&rule];
            assert!(s.precision().unwrap_or(0.0) >= p && s.recall().unwrap_or(0.0) >= r, "{what}, {rule}: {s:?} (floors {p} / {r})");
        }
    }

    #[test]
    fn held_out_family_meets_its_measured_figures() {
        let report = evaluate(HELD_OUT, 200, 60.0, 2, Start::Cold);
        let all = report.total(|_| true);
        // The measured figures (docs/accuracy.md), rounded down: they guard
        // against regressions, and are not the target (0.95 / 0.90
        // for every rule). Since clerks roll their chairs back and pull
        // them in ([`ChairHabit`], 2026-12-06), slouching and greeting fall
        // short: the baseline is one seat (the desk, where the clerk keeps
        // one there, `baseline::nearer_seat`), not following every move of
        // the chair. Raise a floor when a change lifts its figure.
        let floors: [(RuleCode, f64, f64); 5] = [
            (RuleCode::Absent, 0.99, 0.99),
            (RuleCode::Slouching, 0.93, 0.82),
            (RuleCode::HeadOnDesk, 0.94, 0.88),
            (RuleCode::CrossedLegs, 0.97, 0.93),
            (RuleCode::NotStandingToGreet, 0.99, 0.90),
        ];
        assert_floors(&all, &floors, "every window");
        // Inside the recommended placement.
        let inside = report.total(|w| w.bucket.recommended());
        assert_floors(&inside, &[(RuleCode::Slouching, 0.93, 0.90), (RuleCode::HeadOnDesk, 0.95, 0.92)], "recommended placement");
    }

    #[test]
    fn fresh_family_meets_its_measured_figures() {
        // The second report family (docs/accuracy.md), rounded down.
        let all = evaluate(FRESH, 200, 60.0, 2, Start::Cold).total(|_| true);
        let floors: [(RuleCode, f64, f64); 5] = [
            (RuleCode::Absent, 0.99, 0.99),
            (RuleCode::Slouching, 0.90, 0.82),
            (RuleCode::HeadOnDesk, 0.95, 0.89),
            (RuleCode::CrossedLegs, 0.97, 0.83),
            (RuleCode::NotStandingToGreet, 0.98, 0.90),
        ];
        assert_floors(&all, &floors, "every window");
    }

    #[test]
    fn third_family_meets_its_measured_figures() {
        // The third report family (docs/accuracy.md), rounded down. Its
        // slouching, crossed-legs and greeting figures fall short of the
        // target; the floors record what it measured.
        let all = evaluate(THIRD, 200, 60.0, 2, Start::Cold).total(|_| true);
        let floors: [(RuleCode, f64, f64); 5] = [
            (RuleCode::Absent, 0.99, 0.99),
            (RuleCode::Slouching, 0.87, 0.76),
            (RuleCode::HeadOnDesk, 0.96, 0.89),
            (RuleCode::CrossedLegs, 0.93, 0.64),
            (RuleCode::NotStandingToGreet, 0.99, 0.84),
        ];
        assert_floors(&all, &floors, "every window");
    }
}
