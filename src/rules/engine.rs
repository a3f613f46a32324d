//! One window's rules over time: observations in, events and minute
//! metrics out. Pure: time comes from the frames' timestamps.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, FixedOffset};

use super::baseline::{Baseline, Learner};
use super::desk_doubt::DeskDoubt;
use super::event::{Event, N_RULES, RuleCode};
use super::machine::{Closed, Machine, Phase, Timing};
use super::metrics::{MinuteBook, MinuteMetrics, Stretch, split_minutes};
use super::observe::{Geometry, Observation, Posture, observe};
use super::vanish::Vanish;
use super::visits::Visit;
use crate::config::{Service, Window};
use crate::vision::Person;

type Ts = DateTime<FixedOffset>;

/// Frames further apart than this leave the time between them unobserved.
pub const MAX_GAP_S: f64 = 3.0;
/// The longest gap between frames written out as unobserved minutes.
pub const MAX_UNSEEN_S: i64 = 86_400;
/// Unknown for longer than this ends a posture rule's pending or active state.
const POSTURE_UNKNOWN_S: f64 = 20.0;
/// A citizen out of the counter zone for this long has left. A visitor's
/// detection drops out for 5–10 s now and then during a long stay (was 5 s:
/// a clerk who had risen to greet was then owed a second greeting).
const CITIZEN_GONE_S: f64 = 10.0;
/// Angles are judged on the median of the last few frames, and yes/no
/// judgements on their majority, so one noisy keypoint does not flip a rule.
const SMOOTH_FRAMES: usize = 9;
/// How long a frame that placed the head keeps its say in the head cue's
/// median, over frames that lost the head.
const PLACED_MS: i64 = 15_000;

/// Head on the desk from this smoothed cue probability; not on it at or
/// below `HEAD_NO`; unknown between.
const HEAD_SURE: f32 = 0.7;
const HEAD_NO: f32 = 0.3;
/// A clear "not resting" shorter than this is the cue flickering on a still
/// head, not the rest ending (half the rule's default exit time).
const REST_FLICKER_MS: i64 = 5_000;
/// Slouching is judged only while the head cue stays below this: above it,
/// resting on the desk is still possible and slouching is unknown.
pub(crate) const SLOUCH_HEAD_MAX: f32 = 0.15;

/// The head within this share of its usual height above the desk line is
/// low: a deep slouch or resting on the desk, which only how still the head
/// and hands stay tells apart.
const HEAD_LOW: f32 = 0.3;
const HEAD_UP: f32 = 0.5;
/// A low head not seen low for this long is up again (its height may be
/// unknown meanwhile).
const HEAD_LOW_LAPSE_MS: i64 = 10_000;
/// How long a low head is watched before slouching may begin: the motion
/// window and its running mean, so that the way down has left it.
const HEAD_SETTLE_MS: i64 = super::posture::MOTION_WINDOW_MS + 10_000;

/// A slouch under way ends when its measures fall below this share of the
/// thresholds.
const SLOUCH_HOLD: f32 = 0.8;

/// Attire unknown for longer than this ends a badge or dress-code rule's
/// pending or active state (it is judged every few seconds, and a turned
/// clerk hides the chest for a while).
const ATTIRE_UNKNOWN_S: f64 = 120.0;

/// Index of the greeting rule in `RuleCode::ALL` order.
const GREET: usize = 4;
/// Indices of the slouching and head-on-desk rules in `RuleCode::ALL` order.
const SLOUCH: usize = 1;
const HEAD: usize = 2;

/// Values gathered while a rule's condition holds, for the event record.
#[derive(Debug, Clone, Default)]
struct Tally {
    conf_sum: f64,
    n: u32,
    peaks: BTreeMap<&'static str, f64>,
    sums: BTreeMap<&'static str, f64>,
}

impl Tally {
    fn add(&mut self, conf: f32, values: &[(&'static str, Option<f32>)]) {
        self.conf_sum += f64::from(conf);
        self.n += 1;
        for (k, v) in values {
            if let Some(v) = v {
                let v = f64::from(*v);
                let p = self.peaks.entry(k).or_insert(v);
                *p = p.max(v);
                *self.sums.entry(k).or_insert(0.0) += v;
            }
        }
    }
}

/// One frame's judgements, kept for smoothing.
#[derive(Debug, Clone, Copy)]
struct Recent {
    trunk: Option<f32>,
    neck: Option<f32>,
    sink: Option<f32>,
    head: Option<bool>,
    legs: Option<bool>,
    head_p: Option<f32>,
}

/// The rules of one window.
pub struct WindowRules {
    window: Window,
    machines: [Machine; N_RULES],
    tallies: [Tally; N_RULES],
    book: MinuteBook,
    learner: Learner,
    /// Whether the desk line can tell sitting from standing here.
    desk_doubt: DeskDoubt,
    motion: super::posture::MotionTracker,
    citizen_since: Option<Ts>,
    /// The visit under way (while `citizen_since` is set): how often a
    /// visitor hid the clerk in it.
    visit: Visit,
    /// When the clerk was last seen at the post.
    clerk_seen_at: Option<Ts>,
    /// Since when the clerk's head has been low over the desk.
    head_low_since: Option<Ts>,
    /// When the head was last seen low.
    head_low_seen: Option<Ts>,
    /// Whether a rest on the desk may carry on at a cue below `HEAD_SURE`:
    /// set when the cue is sure, cleared by a clear "no" that lasts, by
    /// standing and by the clerk leaving, so that the hold never spans them.
    rest_hold: bool,
    /// Since when the smoothed cue has said a clear "not resting".
    rest_no_since: Option<Ts>,
    citizen_seen: Option<Ts>,
    /// How the clerk went out of sight: in place, or getting up to leave.
    vanish: Vanish,
    greeted: bool,
    prev: Option<(Ts, Stretch)>,
    recent: VecDeque<Recent>,
    /// The head cue's probability in the last frames that placed the head.
    placed: VecDeque<(Ts, f32)>,
    was_in_service: bool,
    last_ts: Option<Ts>,
}

impl WindowRules {
    pub fn new(window: &Window) -> WindowRules {
        let t = window.thresholds;
        let m = |min_s: f64, exit_s: f64, unknown_s: f64| Machine::new(Timing { min_s, exit_s, unknown_s });
        WindowRules {
            machines: [
                m(t.absent.tolerance_s, t.absent.exit_s, MAX_GAP_S * 20.0),
                m(t.slouching.min_s, t.slouching.exit_s, POSTURE_UNKNOWN_S),
                m(t.head_on_desk.min_s, t.head_on_desk.exit_s, POSTURE_UNKNOWN_S),
                m(t.crossed_legs.min_s, t.crossed_legs.exit_s, POSTURE_UNKNOWN_S),
                m(t.not_standing_to_greet.timeout_s, 0.0, POSTURE_UNKNOWN_S),
                m(t.missing_badge.min_s, t.missing_badge.exit_s, ATTIRE_UNKNOWN_S),
                m(t.dress_code.min_s, t.dress_code.exit_s, ATTIRE_UNKNOWN_S),
            ],
            tallies: Default::default(),
            book: MinuteBook::new(&window.id),
            learner: Learner::new(),
            desk_doubt: DeskDoubt::default(),
            motion: Default::default(),
            citizen_since: None,
            visit: Visit::default(),
            clerk_seen_at: None,
            head_low_since: None,
            head_low_seen: None,
            rest_hold: false,
            rest_no_since: None,
            citizen_seen: None,
            vanish: Vanish::default(),
            greeted: false,
            prev: None,
            recent: VecDeque::new(),
            placed: VecDeque::new(),
            was_in_service: false,
            last_ts: None,
            window: window.clone(),
        }
    }

    /// The window as the rules see it.
    pub fn window(&self) -> &Window {
        &self.window
    }

    /// Takes a new layout (zones, desk line) without losing any state but
    /// the clerk's baseline, which a moved desk line invalidates.
    pub fn set_layout(&mut self, staff_zone: crate::geometry::Polygon, counter_zone: crate::geometry::Polygon, desk_y: Option<f32>) {
        if self.window.desk_y != desk_y {
            self.learner.reset();
            self.desk_doubt = DeskDoubt::default();
        }
        if self.window.counter_zone != counter_zone || self.window.staff_zone != staff_zone {
            // Where visitors stand, or where the clerk sits, moved: the
            // visits counted so far say nothing of the new layout.
            self.learner.forget_visits();
        }
        self.window.staff_zone = staff_zone;
        self.window.counter_zone = counter_zone;
        self.window.desk_y = desk_y;
    }

    /// Whether the clerk went out of sight in place (nobody rose or walked
    /// off), so that absence is unknown for now.
    pub fn clerk_out_of_sight(&self) -> bool {
        self.vanish.in_place()
    }

    /// The clerk's baseline, once enough seated frames are seen.
    pub fn baseline(&self) -> Option<Baseline> {
        self.learner.baseline()
    }

    /// The baseline learner (its samples go to the edge store, so a
    /// restart keeps the baseline).
    pub fn learner(&self) -> &Learner {
        &self.learner
    }

    /// The baseline and the window's placement issues, for people.
    pub fn baseline_status(&self) -> super::baseline::BaselineStatus {
        self.learner.status(self.window.camera_tilt_deg, self.window.desk_y.is_some())
    }

    /// Takes a learner kept from an earlier run.
    pub fn set_learner(&mut self, learner: Learner) {
        self.learner = learner;
    }

    /// The head-on-desk cue model's inputs for observation `o` of a
    /// `width`×`height` frame, with the sight elevation the rules use (the
    /// configured tilt corrected for where the baseline's shoulders sit):
    /// the rows `scripts/fit-posture.py` fits on. `None` without measures.
    pub fn head_features(&self, o: &Observation, width: u32, height: u32) -> Option<[f32; super::posture::HEAD_FEATURES]> {
        use super::posture::{DEFAULT_HFOV_DEG, head_features, sight_elevation_deg};
        let m = o.measures?;
        let y = self.baseline().map_or(height as f32 / 2.0, |b| b.rescaled(width, height).shoulder_px[1]);
        let elevation = sight_elevation_deg(self.window.camera_tilt_deg, y, width, height, DEFAULT_HFOV_DEG);
        Some(head_features(&m, &o.motion.unwrap_or_default(), elevation))
    }

    /// Whether every rule is idle: nothing pending, active or clearing.
    pub fn all_idle(&self) -> bool {
        self.machines.iter().all(|m| matches!(m.phase, Phase::Idle))
    }

    /// Each rule's phase: `idle`, `pending`, `active` or `clearing`.
    pub fn phases(&self) -> Vec<(RuleCode, &'static str)> {
        RuleCode::ALL
            .iter()
            .zip(&self.machines)
            .map(|(r, m)| {
                let phase = match m.phase {
                    Phase::Idle => "idle",
                    Phase::Pending { .. } => "pending",
                    Phase::Active { .. } => "active",
                    Phase::Clearing { .. } => "clearing",
                };
                (*r, phase)
            })
            .collect()
    }

    /// For each pending rule, the seconds left before it becomes a
    /// violation (at the last frame's time).
    pub fn countdowns(&self) -> Vec<(RuleCode, f64)> {
        let Some(now) = self.last_ts else { return Vec::new() };
        RuleCode::ALL
            .iter()
            .zip(&self.machines)
            .filter_map(|(r, m)| match m.phase {
                Phase::Pending { since } => Some((*r, (m.timing.min_s - (now - since).num_milliseconds() as f64 / 1000.0).max(0.0))),
                _ => None,
            })
            .collect()
    }

    /// The violations under way, with when each began.
    pub fn active(&self) -> Vec<(RuleCode, Ts)> {
        RuleCode::ALL
            .iter()
            .zip(&self.machines)
            .filter_map(|(r, m)| match m.phase {
                Phase::Active { start } | Phase::Clearing { start, .. } => Some((*r, start)),
                _ => None,
            })
            .collect()
    }

    /// Feeds one frame; returns its observation and the events it closed.
    pub fn push(&mut self, ts: Ts, people: &[Person], width: u32, height: u32) -> (Observation, Vec<Event>) {
        let obs = self.observe(people, width, height);
        let events = self.push_observation(ts, &obs);
        (obs, events)
    }

    /// What a frame's people show at this window (no state changes), for
    /// callers that add attire before [`push_observation`](Self::push_observation).
    pub fn observe(&self, people: &[Person], width: u32, height: u32) -> Observation {
        let g = Geometry { desk_doubted: self.learner.desk_doubted(), ..Geometry::for_frame(&self.window, width, height) };
        observe(people, &g, self.learner.baseline().as_ref(), self.motion.motion())
    }

    /// Feeds one observation (already computed) at `ts`.
    pub fn push_observation(&mut self, ts: Ts, obs: &Observation) -> Vec<Event> {
        if self.last_ts.is_some_and(|l| ts <= l) || !crate::base::clock::FRAME_YEARS.contains(&chrono::Datelike::year(&ts)) {
            // Out of order or duplicate frames are ignored, and so are
            // frames timed where no hall's calendar reaches (the readers
            // refuse them; this is the rules' own guard).
            return Vec::new();
        }
        let mut events = Vec::new();
        self.account_until(ts);
        let service = self.window.schedule.at(ts);
        let in_service = service == Service::InService;
        if self.was_in_service && !in_service {
            events.extend(self.interrupt_all(ts, "service_ended"));
        }
        self.was_in_service = in_service;
        self.last_ts = Some(ts);

        self.learn_baseline(ts, obs);
        let obs = &self.smoothed(ts, obs);
        let conds = self.conditions(ts, obs);
        if in_service {
            let values: [Vec<(&'static str, Option<f32>)>; N_RULES] = [
                vec![],
                vec![("trunk_deg", obs.trunk_deg), ("neck_deg", obs.neck_deg), ("sink", obs.sink)],
                vec![("trunk_deg", obs.trunk_deg)],
                vec![],
                vec![],
                vec![("badge_p", obs.badge)],
                vec![("uniform_p", obs.uniform)],
            ];
            for i in 0..N_RULES {
                if self.machines[i].phase == Phase::Idle && conds[i] != Some(true) {
                    self.tallies[i] = Tally::default();
                }
                let was_active = self.machines[i].is_active();
                let before = self.machines[i].phase;
                let closed = self.machines[i].step(ts, conds[i]);
                if let (Phase::Clearing { since, .. }, Phase::Active { .. }) = (before, self.machines[i].phase) {
                    // A brief clear spell inside the exit hysteresis belongs to the violation.
                    self.book.backdate(RuleCode::ALL[i], since, ts);
                }
                if conds[i] == Some(true) {
                    self.tallies[i].add(obs.confidence, &values[i]);
                }
                if !was_active
                    && self.machines[i].is_active()
                    && let Phase::Active { start } = self.machines[i].phase
                {
                    self.book.count_event(RuleCode::ALL[i], start);
                    self.book.backdate(RuleCode::ALL[i], start, ts);
                }
                if let Some(c) = closed {
                    events.push(self.event(i, c));
                }
            }
        }
        // Time counts as a violation while a rule is active; a clearing spell
        // counts as compliant unless the violation resumes (then it is backdated).
        let active = std::array::from_fn(|i| matches!(self.machines[i].phase, Phase::Active { .. }));
        let posture_known =
            obs.present && (obs.trunk_deg.is_some() || obs.neck_deg.is_some() || obs.sink.is_some() || obs.head_on_desk == Some(true));
        self.prev = Some((ts, Stretch { observed: true, in_service, present: obs.present, posture_known, active }));
        events
    }

    /// Each rule's condition for this frame.
    fn conditions(&mut self, ts: Ts, obs: &Observation) -> [Option<bool>; N_RULES] {
        let t = self.window.thresholds;
        let present = obs.present;
        let head = if present { obs.head_on_desk } else { None };
        // Low from `HEAD_LOW`, up again only above `HEAD_UP`, or when not
        // seen low for a while, or the clerk stood or left.
        let above = obs.measures.and_then(|m| m.head_above_desk);
        if above.is_some_and(|h| h <= HEAD_LOW) {
            self.head_low_seen = Some(ts);
        }
        let seen_low_lately = self.head_low_seen.is_some_and(|l| (ts - l).num_milliseconds() <= HEAD_LOW_LAPSE_MS);
        self.head_low_since = match (present && obs.posture != Some(Posture::Standing), above, self.head_low_since) {
            (false, ..) => None,
            (true, Some(h), None) if h <= HEAD_LOW => Some(ts),
            (true, Some(h), Some(_)) if h > HEAD_UP => None,
            (true, _, Some(_)) if !seen_low_lately => None,
            (true, _, since) => since,
        };
        // The head has just come down near the desk: until the head and
        // hands have been watched still or moving for a while, resting on
        // the desk and a deep slouch look alike, so a slouch may be pending
        // but does not begin. One already under way carries on. A pending
        // slouch is held once: a head bobbing around the line cannot put
        // it off for ever.
        let pending_s = match self.machines[SLOUCH].phase {
            Phase::Pending { since } => (ts - since).num_milliseconds(),
            _ => 0,
        };
        let held_enough = pending_s as f64 >= t.slouching.min_s * 1000.0 + HEAD_SETTLE_MS as f64;
        self.machines[SLOUCH].hold =
            !held_enough && self.head_low_since.is_some_and(|since| (ts - since).num_milliseconds() < HEAD_SETTLE_MS);
        let slouch = if !present {
            None
        } else if obs.posture == Some(Posture::Standing) {
            // Judged seated only.
            Some(false)
        } else if head == Some(true) {
            // Head on the desk is the more specific violation.
            Some(false)
        } else if obs.head_on_desk_p.is_some_and(|p| p > SLOUCH_HEAD_MAX) {
            // The cues leave the head on the desk possible: never call it
            // slouching instead.
            None
        } else {
            // Hysteresis: a slouch under way holds until the measures fall
            // clearly below where it began, so that a slouch hovering at
            // the threshold is one event, not several.
            let k = if self.machines[SLOUCH].is_active() { SLOUCH_HOLD } else { 1.0 };
            let trunk = obs.trunk_deg.map(|v| v > k * t.slouching.trunk_deg);
            let neck = obs.neck_deg.map(|v| v > k * t.slouching.neck_deg);
            let sunk = obs.sink.map(|v| v > k * t.slouching.sink);
            match (trunk, neck, sunk) {
                (None, None, None) => None,
                (a, b, c) => Some(a.unwrap_or(false) || b.unwrap_or(false) || c.unwrap_or(false)),
            }
        };
        let legs = if present && obs.posture != Some(Posture::Standing) { obs.legs_crossed } else { None };
        // Attire is judged only on a clerk at the post.
        let badge = obs.badge.filter(|_| present).map(|p| p < t.missing_badge.below);
        let dress = obs.uniform.filter(|_| present).map(|p| p < t.dress_code.below);
        // Not seen is absent, unless someone at the counter may hide the
        // clerk, or the clerk sank out of sight (head going down behind a
        // monitor) rather than getting up.
        let sunk = self.vanish.push(ts, obs);
        let absent = if !present && (obs.clerk_hidden || sunk) { None } else { Some(!present) };
        [absent, slouch, head, legs, self.greeting(ts, obs), badge, dress]
    }

    /// Not standing to greet: from a citizen's arrival (after `arrival_s` in
    /// the counter zone) until the clerk stands or the citizen leaves.
    fn greeting(&mut self, ts: Ts, obs: &Observation) -> Option<bool> {
        let t = self.window.thresholds.not_standing_to_greet;
        let secs = |a: Ts| (ts - a).num_milliseconds() as f64 / 1000.0;
        if obs.present {
            self.clerk_seen_at = Some(ts);
        }
        if obs.citizen_at_counter {
            self.citizen_seen = Some(ts);
            if self.citizen_since.is_none() {
                self.citizen_since = Some(ts);
                self.visit = Visit::new(self.clerk_seen_at.is_some_and(|s| secs(s) <= super::visits::CLERK_BEFORE_S));
            }
            // In service and with the citizen at the counter: how often
            // the visitor hides the clerk ([`super::visits`]).
            if self.was_in_service {
                self.visit.frame(obs.clerk_hidden, obs.present);
            }
        } else if self.citizen_seen.is_none_or(|s| secs(s) >= CITIZEN_GONE_S) {
            self.end_visit();
            self.greeted = false;
        }
        let Some(since) = self.citizen_since else { return Some(false) };
        // Standing, unless the rise may be the chair rolled back
        // ([`Observation::stand_doubted`]): then unknown, below.
        if obs.present && obs.posture == Some(Posture::Standing) && !obs.stand_doubted {
            self.greeted = true;
        }
        if self.greeted || secs(since) < t.arrival_s {
            return Some(false);
        }
        if !obs.citizen_at_counter {
            // Briefly hidden: hold.
            return None;
        }
        match (obs.present, obs.posture) {
            (true, Some(Posture::Sitting)) => Some(true),
            _ => None,
        }
    }

    /// The visit under way has ended (the citizen gone, or service over):
    /// it counts towards how often visitors hide the clerk if frames in
    /// service were counted and it lasted long enough to be judged.
    fn end_visit(&mut self) {
        let visit = std::mem::take(&mut self.visit);
        let least = self.window.thresholds.not_standing_to_greet.arrival_s.max(super::visits::MIN_VISIT_S);
        if let (Some(since), Some(seen)) = (self.citizen_since.take(), self.citizen_seen)
            && visit.counted()
            && (seen - since).num_milliseconds() as f64 / 1000.0 >= least
        {
            self.learner.visit_ended(&visit);
        }
    }

    /// The observation with trunk and neck angles replaced by the median of
    /// the last frames that saw them (at least 3 of the last 5).
    fn smoothed(&mut self, ts: Ts, obs: &Observation) -> Observation {
        if !obs.present {
            self.recent.clear();
            self.placed.clear();
            self.rest_hold = false;
            self.rest_no_since = None;
            return obs.clone();
        }
        if obs.posture == Some(Posture::Standing) {
            self.rest_hold = false;
            self.rest_no_since = None;
            self.placed.clear();
        }
        self.recent.push_back(Recent {
            trunk: obs.trunk_deg,
            neck: obs.neck_deg,
            sink: obs.sink,
            head: obs.head_on_desk,
            legs: obs.legs_crossed,
            head_p: obs.head_on_desk_p,
        });
        if self.recent.len() > SMOOTH_FRAMES {
            self.recent.pop_front();
        }
        let median = |vals: Vec<f32>| {
            let mut v = vals;
            if v.len() < 3 {
                return None;
            }
            v.sort_by(f32::total_cmp);
            Some(v[v.len() / 2])
        };
        // Yes/no judgements by majority of the known votes (at least 3).
        let vote = |vals: Vec<bool>| (vals.len() >= 3).then(|| vals.iter().filter(|v| **v).count() * 2 > vals.len());
        let trunk = median(self.recent.iter().filter_map(|r| r.trunk).collect());
        let neck = median(self.recent.iter().filter_map(|r| r.neck).collect());
        let sink = median(self.recent.iter().filter_map(|r| r.sink).collect());
        // The head cue model's probability by median too; yes/no beyond the
        // thresholds, unknown between.
        // Frames that placed the head outvote frames that lost it (the cue
        // model reads a head it cannot place as not resting), while enough
        // of them are recent.
        let head_placed = obs.measures.is_some_and(|m| m.head_drop.is_some() || m.head_above_desk.is_some());
        if let (true, Some(p)) = (head_placed, obs.head_on_desk_p) {
            self.placed.push_back((ts, p));
        }
        while self.placed.front().is_some_and(|(t, _)| (ts - *t).num_milliseconds() > PLACED_MS) || self.placed.len() > SMOOTH_FRAMES {
            self.placed.pop_front();
        }
        let placed = median(self.placed.iter().map(|(_, p)| *p).collect());
        let p = placed.or_else(|| median(self.recent.iter().filter_map(|r| r.head_p).collect()));
        // A rest under way holds while the cues leave it possible: only a
        // clear "not resting" held for `REST_FLICKER_MS`, standing or
        // leaving ends the hold. A shorter "no" does not: the cue flickers
        // on a head that lies still (a hand moving by the face, the face
        // half-seen), and a rest that ended in unknown would start again
        // as a second event.
        if let Some(p) = p.filter(|_| obs.head_on_desk_p.is_some()) {
            if p >= HEAD_SURE {
                self.rest_hold = true;
            }
            if p > HEAD_NO {
                self.rest_no_since = None;
            } else if (ts - *self.rest_no_since.get_or_insert(ts)).num_milliseconds() >= REST_FLICKER_MS {
                self.rest_hold = false;
            }
        }
        let resting = self.rest_hold && self.machines[HEAD].is_active();
        let head = match p {
            Some(p) if obs.head_on_desk_p.is_some() => {
                if p >= HEAD_SURE || (resting && p > HEAD_NO) {
                    Some(true)
                } else if p <= HEAD_NO {
                    Some(false)
                } else {
                    None
                }
            }
            _ => vote(self.recent.iter().filter_map(|r| r.head).collect()),
        };
        let legs = vote(self.recent.iter().filter_map(|r| r.legs).collect());
        let young = self.recent.len() < 3;
        Observation {
            trunk_deg: trunk.or(obs.trunk_deg.filter(|_| young)),
            neck_deg: neck.or(obs.neck_deg.filter(|_| young)),
            sink: sink.or(obs.sink.filter(|_| young)),
            head_on_desk: head.or(obs.head_on_desk.filter(|_| young)),
            head_on_desk_p: p.or(obs.head_on_desk_p),
            legs_crossed: legs.or(obs.legs_crossed.filter(|_| young)),
            ..obs.clone()
        }
    }

    fn learn_baseline(&mut self, ts: Ts, obs: &Observation) {
        let t = ts.timestamp_millis();
        self.motion.push(t, obs.measures.as_ref());
        // Without a baseline, the posture is the desk line's verdict.
        let by_desk = obs.posture.filter(|_| obs.present && self.window.desk_y.is_some() && self.learner.baseline().is_none());
        self.desk_doubt.push(ts, by_desk);
        if self.desk_doubt.doubted() {
            self.learner.doubt_desk();
        }
        if !obs.present {
            return;
        }
        match obs.sample {
            Some(s) => {
                let desk = self.window.desk_y.map(|d| d * obs.frame[1] as f32);
                self.learner.offer(super::baseline::Sample { t, ..s }, obs.frame, desk);
            }
            None => self.learner.seen(t),
        }
    }

    /// Attributes the time since the previous frame to that frame's state,
    /// minute by minute; beyond `MAX_GAP_S` it is unobserved.
    ///
    /// Of a longer gap only the first [`MAX_UNSEEN_S`] are written, as
    /// unobserved minutes: past that a missing minute says the same, and a
    /// jump of years (a broken clock, a crafted timestamp) would otherwise
    /// write a row for every minute of it.
    fn account_until(&mut self, ts: Ts) {
        let Some((prev_ts, stretch)) = self.prev else { return };
        let after = |ms: i64| prev_ts.checked_add_signed(chrono::TimeDelta::milliseconds(ms)).unwrap_or(ts).min(ts);
        let seen_until = after((MAX_GAP_S * 1000.0) as i64);
        let ts = after(MAX_UNSEEN_S * 1000);
        for (a, b) in split_minutes(prev_ts, seen_until) {
            let in_service = self.window.schedule.at(a) == Service::InService;
            self.book.add(a, b, Stretch { in_service: stretch.in_service && in_service, ..stretch });
        }
        for (a, b) in split_minutes(seen_until, ts) {
            let in_service = self.window.schedule.at(a) == Service::InService;
            self.book.add(a, b, Stretch { observed: false, in_service, present: false, posture_known: false, active: stretch.active });
        }
    }

    fn interrupt_all(&mut self, ts: Ts, why: &'static str) -> Vec<Event> {
        let mut out = Vec::new();
        for i in 0..N_RULES {
            if let Some(c) = self.machines[i].interrupt(ts, why) {
                out.push(self.event(i, c));
            }
            self.tallies[i] = Tally::default();
        }
        self.end_visit();
        self.greeted = false;
        out
    }

    fn event(&mut self, i: usize, c: Closed) -> Event {
        let tally = std::mem::take(&mut self.tallies[i]);
        let mut values = BTreeMap::new();
        for (k, v) in &tally.peaks {
            // Angles to 0.1°, the sink (in shoulder widths) to 0.01.
            let scale = if *k == "sink" { 100.0 } else { 10.0 };
            values.insert(format!("peak_{k}"), (v * scale).round() / scale);
            values.insert(format!("mean_{k}"), (tally.sums[k] / f64::from(tally.n.max(1)) * scale).round() / scale);
        }
        let duration_s = (c.end - c.start).num_milliseconds() as f64 / 1000.0;
        if i == GREET {
            values.insert("wait_s".into(), duration_s);
        }
        Event {
            window: self.window.id.clone(),
            rule: RuleCode::ALL[i],
            start: self.window.schedule.localize(c.start),
            end: self.window.schedule.localize(c.end),
            duration_s,
            confidence: if tally.n == 0 { 0.0 } else { (tally.conf_sum / f64::from(tally.n)) as f32 },
            closed_by: c.why.to_string(),
            values,
        }
    }

    /// Closes every open event at the last frame and returns them with the
    /// remaining minutes.
    pub fn finish(&mut self) -> (Vec<Event>, Vec<MinuteMetrics>) {
        let events = match self.last_ts {
            Some(ts) => {
                // Attribute one frame interval after the last frame.
                self.account_until(ts.checked_add_signed(chrono::TimeDelta::milliseconds(500)).unwrap_or(ts));
                self.interrupt_all(ts, "end_of_input")
            }
            None => Vec::new(),
        };
        (events, self.book.take_all())
    }

    /// Minutes closed by `now` that are new or amended; a minute stays
    /// amendable for one more minute (backdated events, late frames).
    pub fn take_closed_minutes(&mut self, now: Ts) -> Vec<MinuteMetrics> {
        self.book.take_closed(now, now - chrono::Duration::minutes(1))
    }

    /// Minutes completed before `before`.
    pub fn take_minutes(&mut self, before: Ts) -> Vec<MinuteMetrics> {
        self.book.take_before(before)
    }
}

#[cfg(test)]
#[path = "engine/tests.rs"]
mod tests;
