//! The clerk's own reference posture, learnt per window: how wide their
//! shoulders look, where they sit above the desk line, how high their head
//! rides above their shoulders and how their face keypoints lie, all in the
//! window's pixels, in the pose they hold most of the time.
//!
//! Posture is judged as a change against this baseline (`rules::posture`),
//! never against body constants: people differ in build, chairs and desks
//! in height, cameras in placement, and the baseline absorbs all three.
//!
//! "Most of the time" is a mode, not a mean: samples are taken at most once
//! every [`SAMPLE_EVERY_MS`] from seated frames with both shoulders seen, and
//! the baseline is the median of the samples in the densest half of their
//! shoulder heights (the shortest interval that holds half of them). A clerk
//! who slouches a third of the day still gets their upright pose; one who
//! slouches most of the day gets a slouched baseline, and the rule then
//! judges changes from that, which is the documented limit. One exception:
//! a clerk who sits back from the desk most of the time but keeps a seat
//! nearer the camera, at the desk, for a good share of it is judged against
//! the desk ([`nearer_seat`]), and the seat further back is kept beside it
//! so that sitting there still reads as seated.
//!
//! Pure: no I/O. The agent keeps a [`Learner`]'s state in the edge store
//! across restarts ([`Learner::to_json`]).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::visits::{Visit, VisitTally};

/// Take a sample at most this often (milliseconds).
pub const SAMPLE_EVERY_MS: i64 = 1_000;
/// Keep at most this many samples (40 minutes of seated time at one a second).
pub const MAX_SAMPLES: usize = 2_400;
/// Samples older than this are dropped.
pub const MAX_AGE_MS: i64 = 8 * 3600 * 1000;
/// The baseline is ready once this many samples are in (half a minute of sitting).
pub const MIN_SAMPLES: usize = 30;
/// After an absence this long, the next person may be someone else: learn afresh.
pub const NEW_OCCUPANT_MS: i64 = 20 * 60 * 1000;
/// Samples narrower than this share of the wider half's typical width are
/// turned away.
const FACING_SHARE: f32 = 0.65;
/// Recompute the baseline at most this often once it is ready.
const REFRESH_MS: i64 = 30_000;

/// Face keypoints in COCO order: nose, left eye, right eye, left ear, right ear.
pub const FACE: usize = 5;

/// One frame's measurements of the seated clerk, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub t: i64,
    /// Shoulder width (distance between the shoulder keypoints).
    pub sw: f32,
    /// The shoulders' midpoint.
    pub sx: f32,
    pub sy: f32,
    /// The left shoulder's offset from the midpoint (the right one's is the
    /// opposite): how the shoulder line usually slants in the image.
    #[serde(default)]
    pub half: [f32; 2],
    /// Each confident face keypoint's offset from the shoulders' midpoint.
    pub face: [Option<[f32; 2]>; FACE],
    /// Hip-to-shoulder length, when the hips are seen above the desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torso: Option<f32>,
}

impl Sample {
    /// The head's centre relative to the shoulders' midpoint: the mean of the
    /// confident face keypoints (`None` with none).
    pub fn head(&self) -> Option<[f32; 2]> {
        mean2(self.face.iter().flatten().copied())
    }
}

fn mean2(pts: impl Iterator<Item = [f32; 2]>) -> Option<[f32; 2]> {
    let (mut x, mut y, mut n) = (0.0, 0.0, 0.0);
    for p in pts {
        x += p[0];
        y += p[1];
        n += 1.0;
    }
    (n > 0.0).then(|| [x / n, y / n])
}

/// The shortest interval that holds half of `ys` (the first, if several
/// are as short).
fn densest_half(mut ys: Vec<f32>) -> Option<(f32, f32)> {
    if ys.is_empty() {
        return None;
    }
    ys.sort_by(f32::total_cmp);
    let half = ys.len().div_ceil(2);
    let lo = (0..=ys.len().checked_sub(half)?).min_by(|&a, &b| (ys[a + half - 1] - ys[a]).total_cmp(&(ys[b + half - 1] - ys[b])))?;
    Some((ys[lo], ys[lo + half - 1]))
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

/// The clerk's baseline, in the pixels of frames `frame` wide and high.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub frame: [u32; 2],
    pub shoulder_width_px: f32,
    /// The shoulders' midpoint.
    pub shoulder_px: [f32; 2],
    /// The left shoulder's usual offset from the midpoint.
    #[serde(default)]
    pub half_px: [f32; 2],
    /// Shoulders' height above the desk line (`None` without a desk line).
    pub rise_px: Option<f32>,
    /// The head centre's height above the shoulders' midpoint.
    pub head_up_px: Option<f32>,
    /// Hip-to-shoulder length, where the hips are seen above the desk.
    pub torso_px: Option<f32>,
    /// Each face keypoint's usual offset from the shoulders' midpoint, in
    /// shoulder widths (`None` when it is seen in fewer than a third of the
    /// samples).
    pub face: [Option<[f32; 2]>; FACE],
    /// How many samples it rests on.
    pub samples: u32,
    /// Taken at a seat nearer the camera than the pose held most often: the
    /// clerk works at the desk and sits back from it more of the time
    /// ([`nearer_seat`]).
    #[serde(default)]
    pub nearer_seat: bool,
    /// With [`nearer_seat`](Self::nearer_seat): the seat held most often,
    /// further back, as its shoulder width and height (pixels), so that
    /// the clerk sat back there still reads as seated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_seat_px: Option<[f32; 2]>,
}

impl Baseline {
    /// Where face keypoint `i` usually lies, in pixels, relative to the
    /// shoulders' midpoint.
    pub fn face_px(&self, i: usize) -> Option<[f32; 2]> {
        self.face[i].map(|[x, y]| [x * self.shoulder_width_px, y * self.shoulder_width_px])
    }

    /// This baseline for frames of another size (the camera's resolution
    /// changed): every pixel value scaled.
    pub fn rescaled(&self, width: u32, height: u32) -> Baseline {
        if self.frame == [width, height] || self.frame[0] == 0 || self.frame[1] == 0 {
            return *self;
        }
        let (kx, ky) = (width as f32 / self.frame[0] as f32, height as f32 / self.frame[1] as f32);
        let k = (kx + ky) / 2.0;
        Baseline {
            frame: [width, height],
            shoulder_width_px: self.shoulder_width_px * kx,
            shoulder_px: [self.shoulder_px[0] * kx, self.shoulder_px[1] * ky],
            half_px: [self.half_px[0] * kx, self.half_px[1] * ky],
            rise_px: self.rise_px.map(|v| v * ky),
            head_up_px: self.head_up_px.map(|v| v * ky),
            torso_px: self.torso_px.map(|v| v * k),
            back_seat_px: self.back_seat_px.map(|[w, y]| [w * kx, y * ky]),
            ..*self
        }
    }
}

/// Learns a window's [`Baseline`] from samples over time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Learner {
    samples: VecDeque<Sample>,
    /// Samples from before a long absence, kept aside until the person back
    /// at the window proves to be the same one.
    #[serde(default)]
    resting: VecDeque<Sample>,
    /// Frame size and desk line (pixels) the samples were taken with.
    frame: [u32; 2],
    desk_y: Option<f32>,
    /// The last time the clerk was seen (ms), to notice a new occupant.
    last_seen: Option<i64>,
    /// The desk line was doubted ([`super::desk_doubt`]): kept with the
    /// samples, so that a restart or a new occupant does not trust it again;
    /// only a redrawn line ([`reset`](Self::reset)) is.
    #[serde(default)]
    desk_doubted: bool,
    /// The last baseline was the nearer seat ([`nearer_seat`]): kept with
    /// the samples, so that a restart or a break does not lose the
    /// hysteresis between the two shares.
    #[serde(default)]
    at_desk: bool,
    /// The window's recent visits and how many a visitor hid the clerk in:
    /// the placement, not the clerk, so a new occupant keeps it.
    #[serde(default)]
    visits: VisitTally,
    #[serde(skip)]
    current: Option<Baseline>,
    #[serde(skip)]
    computed_at: Option<i64>,
}

impl Learner {
    pub fn new() -> Learner {
        Learner::default()
    }

    /// The learnt baseline, once [`MIN_SAMPLES`] samples are in.
    pub fn baseline(&self) -> Option<Baseline> {
        self.current
    }

    pub fn samples(&self) -> usize {
        self.samples.len()
    }

    /// Whether the desk line is doubted.
    pub fn desk_doubted(&self) -> bool {
        self.desk_doubted
    }

    /// Doubts the desk line, until [`reset`](Self::reset).
    pub fn doubt_desk(&mut self) {
        self.desk_doubted = true;
    }

    /// Forgets everything (the zones or the desk line moved).
    /// Forgets the clerk (a moved desk line), but not the visits: they
    /// belong to the zones ([`forget_visits`](Self::forget_visits)).
    pub fn reset(&mut self) {
        *self = Learner { visits: self.visits, ..Learner::default() };
    }

    /// A visit ended ([`crate::rules::visits`]).
    pub fn visit_ended(&mut self, visit: &Visit) {
        self.visits.add(visit);
    }

    /// Forgets the visits counted: the counter zone was redrawn.
    pub fn forget_visits(&mut self) {
        self.visits = VisitTally::default();
    }

    /// Notes that the clerk is present at `t` (ms), seated or not. After a
    /// long absence (a break, the night, a shift change) the person may be
    /// someone else: the samples so far are set aside, and taken back only if
    /// the first minute of new ones agrees with them (same shoulder width
    /// and height), so the same clerk keeps a long history and a new one
    /// gets their own baseline.
    pub fn seen(&mut self, t: i64) {
        if self.last_seen.is_some_and(|l| t.saturating_sub(l) >= NEW_OCCUPANT_MS) && !self.samples.is_empty() {
            self.resting = std::mem::take(&mut self.samples);
            self.current = None;
            self.computed_at = None;
        }
        self.last_seen = Some(t);
    }

    /// Whether two baselines are the same clerk in the same seat.
    /// Either may be at the desk and the other sat back from it: any of
    /// their seats agreeing will do.
    fn same_person(a: &Baseline, b: &Baseline) -> bool {
        let seats = |x: &Baseline| [Some([x.shoulder_width_px, x.shoulder_px[1]]), x.back_seat_px];
        seats(a).into_iter().flatten().any(|[wa, ya]| {
            seats(b).into_iter().flatten().any(|[wb, yb]| {
                let w = wa.max(wb).max(1.0);
                (wa - wb).abs() <= 0.15 * w && (ya - yb).abs() <= 0.35 * w
            })
        })
    }

    /// Offers a sample from a seated frame of `frame` size with the desk
    /// line at `desk_y` (pixels). Returns whether the baseline changed.
    pub fn offer(&mut self, s: Sample, frame: [u32; 2], desk_y: Option<f32>) -> bool {
        if self.frame != frame || self.desk_y != desk_y {
            if !self.samples.is_empty() {
                // Another resolution or desk line: the old pixels mean nothing.
                self.samples.clear();
                self.resting.clear();
                self.current = None;
            }
            self.frame = frame;
            self.desk_y = desk_y;
        }
        if !(s.sw.is_finite() && s.sw > 1.0 && s.sx.is_finite() && s.sy.is_finite()) {
            return false;
        }
        self.seen(s.t);
        if self.samples.back().is_some_and(|b| s.t - b.t < SAMPLE_EVERY_MS) {
            return false;
        }
        self.samples.push_back(s);
        while self.samples.len() > MAX_SAMPLES || self.samples.front().is_some_and(|f| s.t - f.t > MAX_AGE_MS) {
            self.samples.pop_front();
        }
        if !self.resting.is_empty() && self.samples.len() >= MIN_SAMPLES {
            let fresh = self.compute();
            let old = Learner { samples: std::mem::take(&mut self.resting), ..Learner::default() }.with_frame(self.frame, self.desk_y);
            if let (Some(f), Some(o)) = (fresh, old.compute())
                && Self::same_person(&f, &o)
            {
                let mut merged = old.samples;
                merged.extend(self.samples.drain(..));
                while merged.len() > MAX_SAMPLES {
                    merged.pop_front();
                }
                self.samples = merged;
            }
            self.computed_at = None;
        }
        let due = match (self.current, self.computed_at) {
            (None, _) | (_, None) => true,
            (Some(_), Some(at)) => s.t - at >= REFRESH_MS,
        };
        if due && self.samples.len() >= MIN_SAMPLES {
            self.recompute();
            self.computed_at = Some(s.t);
            return true;
        }
        false
    }

    /// Computes the baseline afresh, noting whether it is the nearer seat.
    fn recompute(&mut self) {
        self.current = self.compute();
        if let Some(b) = self.current {
            self.at_desk = b.nearer_seat;
        }
    }

    fn with_frame(mut self, frame: [u32; 2], desk_y: Option<f32>) -> Learner {
        self.frame = frame;
        self.desk_y = desk_y;
        self
    }

    /// The median of the samples in the densest half of their shoulder
    /// heights, or of the nearer seat's ([`nearer_seat`]).
    fn compute(&self) -> Option<Baseline> {
        let n = self.samples.len();
        if n < MIN_SAMPLES {
            return None;
        }
        // Only samples facing the camera: a clerk turned to a colleague
        // shows narrow shoulders, and is not the pose to judge against.
        let mut widths: Vec<f32> = self.samples.iter().map(|s| s.sw).collect();
        widths.sort_by(f32::total_cmp);
        // The typical width of the wider half: robust to a few wrong joints.
        let wide = widths[(widths.len() - 1) * 3 / 4] * FACING_SHARE;
        let facing: Vec<&Sample> = self.samples.iter().filter(|s| s.sw >= wide).collect();
        let n = facing.len();
        if n < MIN_SAMPLES / 2 {
            return None;
        }
        let (y0, y1) = densest_half(facing.iter().map(|s| s.sy).collect())?;
        let modal: Vec<&Sample> = facing.iter().copied().filter(|s| s.sy >= y0 && s.sy <= y1).collect();
        // Once at the desk, the desk stays the baseline down to a smaller
        // share, so that it does not flip at every refresh.
        let share = if self.at_desk { NEARER_SEAT_KEEP } else { NEARER_SEAT_SHARE };
        let back = [median(modal.iter().map(|s| s.sw).collect())?, median(modal.iter().map(|s| s.sy).collect())?];
        let (modal, back_seat) = match nearer_seat(&modal, back, &facing, share) {
            Some(near) => (near, Some(back)),
            None => (modal, None),
        };
        let med = |f: &dyn Fn(&Sample) -> Option<f32>| median(modal.iter().filter_map(|s| f(s)).collect());
        let sw = med(&|s| Some(s.sw))?;
        let sx = med(&|s| Some(s.sx))?;
        let sy = med(&|s| Some(s.sy))?;
        let half = [med(&|s| Some(s.half[0]))?, med(&|s| Some(s.half[1]))?];
        let mut face = [None; FACE];
        for (i, slot) in face.iter_mut().enumerate() {
            let seen: Vec<[f32; 2]> = modal.iter().filter_map(|s| s.face[i]).collect();
            if seen.len() * 3 >= modal.len() {
                let x = median(seen.iter().map(|p| p[0] / sw).collect());
                let y = median(seen.iter().map(|p| p[1] / sw).collect());
                *slot = x.zip(y).map(|(x, y)| [x, y]);
            }
        }
        let heads: Vec<f32> = modal.iter().filter_map(|s| s.head()).map(|h| -h[1]).collect();
        let torsos: Vec<f32> = modal.iter().filter_map(|s| s.torso).collect();
        Some(Baseline {
            frame: self.frame,
            shoulder_width_px: sw,
            shoulder_px: [sx, sy],
            half_px: half,
            rise_px: self.desk_y.map(|d| d - sy),
            head_up_px: if heads.len() * 3 >= modal.len() { median(heads) } else { None },
            torso_px: if torsos.len() * 3 >= modal.len() { median(torsos) } else { None },
            face,
            samples: self.samples.len() as u32,
            nearer_seat: back_seat.is_some(),
            back_seat_px: back_seat,
        })
    }

    /// The learner's samples as JSON, to keep across restarts.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A learner from [`to_json`](Self::to_json)'s text; samples that are
    /// not finite are dropped, and the baseline is computed again.
    pub fn from_json(text: &str) -> Result<Learner, String> {
        let mut l: Learner = serde_json::from_str(text).map_err(|e| format!("not a baseline learner: {e}"))?;
        let ok = |s: &Sample| s.sw.is_finite() && s.sw > 1.0 && s.sx.is_finite() && s.sy.is_finite() && s.t > 0;
        l.samples.retain(ok);
        l.resting.retain(ok);
        l.visits = l.visits.sane();
        while l.resting.len() > MAX_SAMPLES {
            l.resting.pop_front();
        }
        while l.samples.len() > MAX_SAMPLES {
            l.samples.pop_front();
        }
        l.recompute();
        l.computed_at = l.samples.back().map(|s| s.t);
        Ok(l)
    }
}

/// A nearer seat's samples are this much wider than the modal seat's, at
/// least (one sample's width is noisy: a few per cent)...
pub const NEARER_SEAT_SCALE: f32 = 1.02;
/// ... and their shoulders lie this many shoulder widths lower in the
/// image...
pub const NEARER_SEAT_DROP: f32 = 0.10;
/// ... with the head over them as in the modal seat (its face keypoints
/// dropped against the shoulders by less than this, in the seat's own
/// shoulder widths)...
pub const NEARER_SEAT_HEAD: f32 = 0.08;
/// ... and it holds at least this share of the facing samples (and
/// [`MIN_SAMPLES`] / 2 of them)...
pub const NEARER_SEAT_SHARE: f32 = 0.15;
/// ... or this share, once the baseline is already at the nearer seat.
pub const NEARER_SEAT_KEEP: f32 = 0.10;

/// The samples of a seat nearer the camera than the modal one, if the clerk
/// keeps one: the chair pulled in to the desk, where the clerk works, while
/// the pose held most often is further back. Nearer a raised camera the
/// shoulders lie lower and wider in the image with the head over them as
/// usual; a slouch lowers them too, but drops the head against them. The
/// baseline is the clerk at the desk: judged against a seat further back,
/// every spell at the desk would read as a slouch. Its densest half of
/// shoulder heights, like the modal seat's.
/// `[sw0, sy0]` is the modal seat's median shoulder width and height.
fn nearer_seat<'a>(modal: &[&'a Sample], [sw0, sy0]: [f32; 2], facing: &[&'a Sample], share: f32) -> Option<Vec<&'a Sample>> {
    // The modal seat's face layout, in its shoulder widths.
    let mut face0 = [None; FACE];
    for (i, slot) in face0.iter_mut().enumerate() {
        let ys: Vec<f32> = modal.iter().filter_map(|s| s.face[i].map(|f| f[1] / s.sw)).collect();
        if ys.len() * 3 >= modal.len() {
            *slot = median(ys);
        }
    }
    let head_level = |s: &Sample| {
        let dy: Vec<f32> = (0..FACE).filter_map(|i| Some(s.face[i]?[1] / s.sw - face0[i]?)).collect();
        median(dy).is_some_and(|d| d < NEARER_SEAT_HEAD)
    };
    let near: Vec<&Sample> = facing
        .iter()
        .copied()
        .filter(|s| s.sw >= NEARER_SEAT_SCALE * sw0 && (s.sy - sy0) / sw0 >= NEARER_SEAT_DROP && head_level(s))
        .collect();
    if (near.len() as f32) < share * facing.len() as f32 || near.len() < MIN_SAMPLES / 2 {
        return None;
    }
    let (y0, y1) = densest_half(near.iter().map(|s| s.sy).collect())?;
    Some(near.into_iter().filter(|s| s.sy >= y0 && s.sy <= y1).collect())
}

/// Below this shoulder width (pixels) posture is not judged at all: the
/// keypoints are too coarse to tell a slouch from noise.
pub const MIN_JUDGE_PX: f32 = 24.0;
/// Posture was measured down to this shoulder width; below it `liyi doctor`
/// warns (`docs/accuracy.md`, "By the clerk's shoulder width").
pub const MEASURED_PX: f32 = 40.0;
/// The camera tilts the evaluation covered, degrees.
pub const MEASURED_TILT: (f32, f32) = (0.0, 45.0);

/// Something about a window's placement or baseline that weakens the
/// posture rules, with what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Placement {
    /// No baseline yet: posture rules say unknown until the clerk has sat
    /// in view for half a minute.
    NoBaseline { samples: usize },
    /// The clerk's shoulders are this many pixels wide.
    SmallClerk { px: f32, judged: bool },
    /// The configured tilt is outside what was measured.
    TiltOutside { deg: f32 },
    /// No desk line: sitting and standing rest on the baseline alone.
    NoDeskLine,
    /// The desk line is at or above the shoulders: it is drawn wrong.
    DeskLineHigh,
    /// The desk line is below the seated clerk's hips: it called the clerk
    /// standing for most of a quarter of an hour, or lies more than 1.6
    /// shoulder widths below the upright shoulders. Sitting and standing
    /// rest on the baseline alone.
    DeskLineLow,
    /// The clerk's face is rarely seen: the head cues are weaker.
    FaceRarelySeen,
    /// A visitor at the counter hid the clerk for most of `hidden` of the
    /// last `visits` visits ([`crate::rules::visits`]): the greeting was
    /// unknown in them.
    VisitorsHideClerk { hidden: u32, visits: u32 },
}

impl Placement {
    /// The English text with the fix, for `liyi doctor` and logs.
    pub fn advice(&self) -> String {
        match self {
            Placement::NoBaseline { samples } => format!(
                "no clerk baseline yet ({samples} of {MIN_SAMPLES} samples): posture rules say unknown until the clerk has sat facing the camera for half a minute. Fix: none needed if the box has just started; otherwise check that the camera sees both shoulders and the face"
            ),
            Placement::SmallClerk { px, judged } => format!(
                "the clerk's shoulders are {px:.0} px wide; posture was measured down to {MEASURED_PX:.0} px{}. Fix: move the camera closer, use a narrower lens or a higher resolution",
                if *judged { "" } else { " and is not judged below 24 px" }
            ),
            Placement::TiltOutside { deg } => format!(
                "camera_tilt_deg = {deg:.0}° is outside the measured range {:.0}–{:.0}°. Fix: aim the camera at the clerk's chest from above and set camera_tilt_deg to the measured tilt",
                MEASURED_TILT.0, MEASURED_TILT.1
            ),
            Placement::NoDeskLine => "no desk_y: sitting and standing rest on the clerk's baseline alone. Fix: draw the desk line in the zone editor".to_string(),
            Placement::DeskLineHigh => "the desk line is at or above the clerk's shoulders. Fix: move desk_y down to the desk's edge on the clerk's side".to_string(),
            Placement::DeskLineLow => "the desk line is below the seated clerk's hips (it called the clerk standing most of the time), so the rules learnt the clerk's baseline without it. Fix: move desk_y up to the edge of the desk or counter in front of the clerk, where it hides the clerk's lap".to_string(),
            Placement::FaceRarelySeen => "the clerk's face is rarely seen: head-on-desk cues are weaker. Fix: mount the camera in front of the clerk, not beside or behind".to_string(),
            Placement::VisitorsHideClerk { hidden, visits } => format!(
                "a visitor at the counter hid the clerk for most of {hidden} of the last {visits} visits ({:.0} %): whether the clerk stood to greet them is unknown. Fix: raise the camera or move it to the side, so that it sees the clerk over or past a visitor standing at the counter",
                100.0 * f64::from(*hidden) / f64::from((*visits).max(1))
            ),
        }
    }

    /// The translation key of the short label people read.
    pub fn key(&self) -> &'static str {
        match self {
            Placement::NoBaseline { .. } => "baseline.none",
            Placement::SmallClerk { .. } => "baseline.small",
            Placement::TiltOutside { .. } => "baseline.tilt",
            Placement::NoDeskLine => "baseline.no_desk",
            Placement::DeskLineHigh => "baseline.desk_high",
            Placement::DeskLineLow => "baseline.desk_low",
            Placement::FaceRarelySeen => "baseline.face",
            Placement::VisitorsHideClerk { .. } => "baseline.visitors_hide",
        }
    }
}

/// What a window's baseline and placement look like, for `/status`, the
/// live table, `replay --sweep` and `doctor`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineStatus {
    pub ready: bool,
    pub samples: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    pub placement: Vec<Placement>,
    /// The window's recent visits, and how many a visitor hid the clerk in.
    pub visits: VisitTally,
}

/// The placement issues of a window with this baseline (if any), tilt and
/// desk line.
pub fn placement(b: Option<&Baseline>, samples: usize, tilt_deg: f32, has_desk: bool) -> Vec<Placement> {
    let mut out = Vec::new();
    if !(MEASURED_TILT.0..=MEASURED_TILT.1).contains(&tilt_deg) {
        out.push(Placement::TiltOutside { deg: tilt_deg });
    }
    if !has_desk {
        out.push(Placement::NoDeskLine);
    }
    match b {
        None => out.push(Placement::NoBaseline { samples }),
        Some(b) => {
            if b.shoulder_width_px < MEASURED_PX {
                out.push(Placement::SmallClerk { px: b.shoulder_width_px, judged: b.shoulder_width_px >= MIN_JUDGE_PX });
            }
            if b.rise_px.is_some_and(|r| r < 0.2 * b.shoulder_width_px) {
                out.push(Placement::DeskLineHigh);
            }
            if b.rise_px.is_some_and(|r| r > 1.6 * b.shoulder_width_px) {
                out.push(Placement::DeskLineLow);
            }
            if b.face[..3].iter().filter(|f| f.is_some()).count() < 2 {
                out.push(Placement::FaceRarelySeen);
            }
        }
    }
    out
}

impl Learner {
    /// This learner's baseline and the window's placement issues.
    pub fn status(&self, tilt_deg: f32, has_desk: bool) -> BaselineStatus {
        let b = self.baseline();
        BaselineStatus {
            ready: b.is_some(),
            samples: self.samples(),
            baseline: b,
            placement: {
                let mut p = placement(b.as_ref(), self.samples(), tilt_deg, has_desk);
                if self.desk_doubted && !p.contains(&Placement::DeskLineLow) {
                    p.push(Placement::DeskLineLow);
                }
                if self.visits.too_often() {
                    p.push(Placement::VisitorsHideClerk { hidden: self.visits.hidden, visits: self.visits.visits });
                }
                p
            },
            visits: self.visits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t: i64, sy: f32) -> Sample {
        let face = [Some([0.0, -60.0]), Some([-10.0, -70.0]), Some([10.0, -70.0]), None, None];
        Sample { t, sw: 100.0, sx: 500.0, sy, half: [50.0, 0.0], face, torso: None }
    }

    #[test]
    fn the_mode_is_the_pose_held_most_of_the_time() {
        let mut l = Learner::new();
        // 60 % upright at y 300 (± 3 px), 40 % slouched anywhere from 330 to 380.
        for i in 0..600i64 {
            let sy = if i % 5 < 3 { 300.0 + (i % 7) as f32 - 3.0 } else { 330.0 + (i * 13 % 50) as f32 };
            l.offer(sample(i * 2_000, sy), [1280, 720], Some(420.0));
        }
        let b = l.baseline().expect("ready");
        assert!((b.shoulder_px[1] - 300.0).abs() < 3.0, "{b:?}");
        assert_eq!(b.rise_px.map(|r| r.round()), Some((420.0 - b.shoulder_px[1]).round()));
        assert!((b.head_up_px.unwrap() - 66.7).abs() < 1.0, "{b:?}");
        assert_eq!(b.face[3], None);
        assert!((b.face[0].unwrap()[1] + 0.6).abs() < 1e-3);
    }

    /// A sample `k` times as wide as [`sample`]'s (the clerk that much
    /// nearer the camera), the face keypoints `head_drop` shoulder widths
    /// lower against the shoulders than usual.
    fn seat(t: i64, sy: f32, k: f32, head_drop: f32) -> Sample {
        let s = sample(t, sy);
        let face = s.face.map(|f| f.map(|[x, y]| [x * k, y * k + head_drop * 100.0 * k]));
        Sample { sw: 100.0 * k, half: [50.0 * k, 0.0], face, ..s }
    }

    #[test]
    fn a_clerk_who_sits_back_most_of_the_time_is_judged_against_the_desk() {
        // 65 % sat back at y 300, 35 % pulled in to the desk: 8 % wider,
        // 0.4 widths lower, the head over the shoulders as usual.
        let mut l = Learner::new();
        for i in 0..600i64 {
            let s = if i % 20 < 13 {
                seat(i * 2_000, 300.0 + (i % 5) as f32, 1.0, 0.0)
            } else {
                seat(i * 2_000, 340.0 + (i % 5) as f32, 1.08, 0.0)
            };
            l.offer(s, [1280, 720], Some(420.0));
        }
        let b = l.baseline().expect("ready");
        assert!(b.nearer_seat, "{b:?}");
        assert!((b.shoulder_px[1] - 342.0).abs() < 3.0, "{b:?}");
        assert!((b.shoulder_width_px - 108.0).abs() < 1.0, "{b:?}");
        // Its face layout is the clerk's at the desk, in its own widths.
        assert!((b.face[0].unwrap()[1] + 0.6).abs() < 1e-3, "{b:?}");
    }

    #[test]
    fn a_slouch_or_a_seat_seldom_used_is_not_the_desk() {
        let learn = |near: fn(i64) -> Sample, every: i64| {
            let mut l = Learner::new();
            for i in 0..600i64 {
                let s = if i % every == 0 { near(i) } else { seat(i * 2_000, 300.0 + (i % 5) as f32, 1.0, 0.0) };
                l.offer(s, [1280, 720], Some(420.0));
            }
            l.baseline().expect("ready")
        };
        // Lower and wider a third of the time, but the head dropped against
        // the shoulders: a forward slouch, not the chair pulled in.
        let b = learn(|i| seat(i * 2_000, 340.0, 1.08, 0.15), 3);
        assert!(!b.nearer_seat && (b.shoulder_px[1] - 302.0).abs() < 3.0, "{b:?}");
        // Pulled in, but one sample in ten: under the share.
        let b = learn(|i| seat(i * 2_000, 340.0, 1.08, 0.0), 10);
        assert!(!b.nearer_seat && (b.shoulder_px[1] - 302.0).abs() < 3.0, "{b:?}");
        // Lower a third of the time but no wider: sunk, not nearer.
        let b = learn(|i| seat(i * 2_000, 340.0, 1.0, 0.0), 3);
        assert!(!b.nearer_seat && (b.shoulder_px[1] - 302.0).abs() < 3.0, "{b:?}");
    }

    #[test]
    fn the_desk_stays_the_baseline_down_to_a_smaller_share() {
        let mut l = Learner::new();
        let mut t = 0;
        let mut feed = |l: &mut Learner, n: i64, near_every: i64| {
            for i in 0..n {
                t += 2_000;
                let s = if i % near_every == 0 {
                    seat(t, 340.0 + (i % 5) as f32, 1.08, 0.0)
                } else {
                    seat(t, 300.0 + (i % 5) as f32, 1.0, 0.0)
                };
                l.offer(s, [1280, 720], Some(420.0));
            }
        };
        // A third at the desk: the desk.
        feed(&mut l, 900, 3);
        let b = l.baseline().expect("ready");
        assert!(b.nearer_seat && (b.shoulder_px[1] - 342.0).abs() < 3.0, "{b:?}");
        let [w, y] = b.back_seat_px.expect("the seat further back");
        assert!((w - 100.0).abs() < 1.0 && (y - 302.0).abs() < 3.0, "{b:?}");
        // The share falls to about an eighth of the kept samples: still the
        // desk, after a restart too; a learner new to these samples would
        // not have chosen it.
        feed(&mut l, 1_400, 1_000);
        let b = l.baseline().unwrap();
        assert!(b.nearer_seat, "{b:?}");
        let restarted = Learner::from_json(&l.to_json()).unwrap();
        assert!(restarted.baseline().is_some_and(|r| r.nearer_seat && r.shoulder_px == b.shoulder_px), "{:?}", restarted.baseline());
        let fresh = Learner { at_desk: false, ..restarted.clone() };
        assert!(!fresh.compute().unwrap().nearer_seat);
        // Under a tenth: back to the seat held most often.
        feed(&mut l, 600, 1_000);
        let b = l.baseline().unwrap();
        assert!(!b.nearer_seat && b.back_seat_px.is_none() && (b.shoulder_px[1] - 302.0).abs() < 3.0, "{b:?}");
    }

    #[test]
    fn the_same_clerk_back_at_the_other_seat_keeps_their_history() {
        let desk = Baseline {
            frame: [640, 360],
            shoulder_width_px: 108.0,
            shoulder_px: [500.0, 340.0],
            half_px: [54.0, 0.0],
            rise_px: None,
            head_up_px: None,
            torso_px: None,
            face: [None; FACE],
            samples: 100,
            nearer_seat: true,
            back_seat_px: Some([100.0, 300.0]),
        };
        let back = Baseline { shoulder_width_px: 100.0, shoulder_px: [500.0, 300.0], nearer_seat: false, back_seat_px: None, ..desk };
        assert!(Learner::same_person(&desk, &back) && Learner::same_person(&back, &desk));
        let other = Baseline { shoulder_px: [500.0, 200.0], ..back };
        assert!(!Learner::same_person(&desk, &other));
    }

    #[test]
    fn the_densest_half_is_the_shortest_interval_holding_half() {
        assert_eq!(densest_half(vec![]), None);
        assert_eq!(densest_half(vec![5.0]), Some((5.0, 5.0)));
        assert_eq!(densest_half(vec![9.0, 1.0, 2.0, 30.0, 2.5, 40.0]), Some((1.0, 2.5)));
    }

    #[test]
    fn not_ready_before_enough_samples_and_sampled_sparsely() {
        let mut l = Learner::new();
        for i in 0..(MIN_SAMPLES as i64 * 4) {
            // Four frames per sampling interval: only one in four is kept.
            l.offer(sample(i * SAMPLE_EVERY_MS / 4, 300.0), [640, 360], None);
            if (i / 4) < MIN_SAMPLES as i64 - 1 {
                assert!(l.baseline().is_none());
            }
        }
        assert_eq!(l.samples(), MIN_SAMPLES);
        assert!(l.baseline().is_some());
    }

    #[test]
    fn after_a_long_absence_the_same_clerk_keeps_their_history_and_another_starts_afresh() {
        let mut l = Learner::new();
        for i in 0..100 {
            l.offer(sample(i * 2_000, 300.0), [640, 360], None);
        }
        assert!(l.baseline().is_some());
        // The same clerk after the night: the history comes back.
        let t0 = 200_000 + NEW_OCCUPANT_MS;
        l.seen(t0);
        assert!(l.baseline().is_none() && l.samples() == 0);
        for i in 0..MIN_SAMPLES as i64 {
            l.offer(sample(t0 + i * 2_000, 302.0), [640, 360], None);
        }
        assert_eq!(l.samples(), 100 + MIN_SAMPLES);
        // Someone else (shoulders 40 px lower): their own baseline only.
        let t1 = t0 + 100_000 + NEW_OCCUPANT_MS;
        l.seen(t1);
        for i in 0..MIN_SAMPLES as i64 {
            l.offer(sample(t1 + i * 2_000, 340.0), [640, 360], None);
        }
        assert_eq!(l.samples(), MIN_SAMPLES);
        assert!((l.baseline().unwrap().shoulder_px[1] - 340.0).abs() < 1.0);
        l.offer(sample(t1 + 1_000_000, 300.0), [1280, 720], None);
        assert!(l.baseline().is_none());
    }

    #[test]
    fn survives_a_round_trip_and_refuses_garbage() {
        let mut l = Learner::new();
        for i in 0..100 {
            l.offer(sample((i + 1) * 2_000, 300.0), [640, 360], Some(400.0));
        }
        let back = Learner::from_json(&l.to_json()).unwrap();
        let same = |b: Option<Baseline>| b.map(|b| Baseline { samples: 0, ..b });
        assert_eq!(same(back.baseline()), same(l.baseline()));
        assert_eq!(back.samples(), l.samples());
        assert!(Learner::from_json("{\"samples\": 3}").is_err());
        assert!(Learner::from_json("not json").is_err());
        // NaN cannot be written as JSON, but nulls and zero widths can.
        let bad = r#"{"samples":[{"t":1,"sw":0,"sx":1,"sy":1,"face":[null,null,null,null,null]}],"frame":[640,360],"desk_y":null,"last_seen":null}"#;
        assert_eq!(Learner::from_json(bad).unwrap().samples(), 0);
    }

    #[test]
    fn placement_names_what_weakens_the_rules() {
        let mut l = Learner::new();
        assert_eq!(l.status(20.0, true).placement, vec![Placement::NoBaseline { samples: 0 }]);
        for i in 0..100 {
            l.offer(Sample { sw: 30.0, ..sample(i * 2_000, 300.0) }, [640, 360], Some(305.0));
        }
        let st = l.status(55.0, true);
        assert!(st.ready);
        assert!(st.placement.contains(&Placement::TiltOutside { deg: 55.0 }));
        assert!(st.placement.contains(&Placement::SmallClerk { px: 30.0, judged: true }));
        assert!(st.placement.contains(&Placement::DeskLineHigh));
        assert!(st.placement.iter().all(|p| p.advice().contains("Fix:")));
        let good = {
            let mut l = Learner::new();
            for i in 0..100 {
                l.offer(sample(i * 2_000, 300.0), [640, 360], Some(400.0));
            }
            l.status(25.0, true)
        };
        assert!(good.placement.is_empty(), "{good:?}");
    }

    #[test]
    fn rescales_to_another_frame_size() {
        let mut l = Learner::new();
        for i in 0..100 {
            l.offer(sample(i * 2_000, 300.0), [640, 360], Some(400.0));
        }
        let b = l.baseline().unwrap().rescaled(1280, 720);
        assert_eq!(b.shoulder_width_px, 200.0);
        assert_eq!(b.rise_px, Some(200.0));
    }
}
