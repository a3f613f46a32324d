//! Posture against the clerk's own baseline: how far the shoulders have
//! sunk, how the head has moved relative to them, whether the face is still
//! seen, where the hands are. Pure functions over one frame's keypoints, the
//! window's geometry and the [`Baseline`].

use serde::Serialize;

use super::baseline::{Baseline, FACE, Sample};
use crate::geometry::Point;
use crate::vision::person::{Person, kp};

const LEFT_WRIST: usize = 9;
const RIGHT_WRIST: usize = 10;

/// One frame's posture measures relative to the baseline. Distances are in
/// the baseline's shoulder widths; positive drops are downwards in the image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Measures {
    /// How far the shoulders' midpoint has sunk in the image.
    pub drop: f32,
    /// Sideways shift of the shoulders' midpoint.
    pub shift: f32,
    /// Shoulder width against the baseline's (a lean towards the camera
    /// widens it; turning away narrows it).
    pub scale: f32,
    /// Only one shoulder was seen: the other was placed from the
    /// baseline's width, so [`scale`](Self::scale) says nothing.
    pub one_shoulder: bool,
    /// Whether the clerk faces the camera about as in the baseline (the
    /// scale within [`MIN_SCALE`]..[`MAX_SCALE`]); turned far away, only
    /// sitting or standing is judged.
    pub facing: bool,
    /// Slope of the shoulder line, degrees (a sideways lean).
    pub roll_deg: f32,
    /// How far the head has sunk *relative to the shoulders* (median over the
    /// face keypoints seen, each against its own baseline place).
    pub head_drop: Option<f32>,
    /// The head's height above the desk line against the baseline's
    /// (1 = as usual, 0 = at the desk line).
    pub head_above_desk: Option<f32>,
    /// Nose and eyes seen now, and usually.
    pub face_seen: u8,
    pub face_usual: u8,
    /// The nearest wrist's distance from the head.
    pub wrist_to_head: Option<f32>,
    /// Hip-to-shoulder length against the baseline's, where both are seen.
    pub torso_ratio: Option<f32>,
    /// Where the head and the wrists are, relative to the baseline's
    /// shoulders (for how much they move over time).
    #[serde(skip)]
    pub head_at: Option<[f32; 2]>,
    #[serde(skip)]
    pub wrists_at: [Option<[f32; 2]>; 2],
}

/// Shoulder widths outside this share of the baseline's are not judged
/// against it (the clerk turned far away, or someone else).
pub const MIN_SCALE: f32 = 0.6;
pub const MAX_SCALE: f32 = 1.7;

/// The clerk's shoulders, if both are confidently seen.
pub fn shoulders(p: &Person, min_conf: f32) -> Option<(Point, Point)> {
    let k = |i: usize| p.confident(i, min_conf).map(|k| Point::new(k.x, k.y));
    match (k(kp::LEFT_SHOULDER), k(kp::RIGHT_SHOULDER)) {
        (Some(l), Some(r)) if Point::distance(l, r) > 1.0 => Some((l, r)),
        _ => None,
    }
}

/// Hips seen with confidence `hip_conf` above the desk line (below it the
/// model guesses): their midpoint.
pub fn visible_hips(p: &Person, hip_conf: f32, desk_y: Option<f32>) -> Option<Point> {
    let k = |i: usize| p.confident(i, hip_conf).map(|k| Point::new(k.x, k.y)).filter(|h| desk_y.is_none_or(|d| h.y < d));
    Some(Point::midpoint(k(kp::LEFT_HIP)?, k(kp::RIGHT_HIP)?))
}

/// The baseline sample this frame would give, at `t` (ms).
pub fn sample(p: &Person, t: i64, min_conf: f32, hip_conf: f32, desk_y: Option<f32>) -> Option<Sample> {
    let (l, r) = shoulders(p, min_conf)?;
    let s = Point::midpoint(l, r);
    let mut face = [None; FACE];
    for (i, f) in face.iter_mut().enumerate() {
        *f = p.confident(i, min_conf).map(|k| [k.x - s.x, k.y - s.y]);
    }
    let torso = visible_hips(p, hip_conf, desk_y).map(|h| Point::distance(h, s));
    Some(Sample { t, sw: Point::distance(l, r), sx: s.x, sy: s.y, half: [l.x - s.x, l.y - s.y], face, torso })
}

/// The shoulders as far as they are seen: both, or one completed with the
/// baseline's width (a monitor or an arm hides the other), and whether only
/// one was seen.
fn shoulders_or_one(p: &Person, min_conf: f32, b: &Baseline) -> Option<((Point, Point), bool)> {
    if let Some(both) = shoulders(p, min_conf) {
        return Some((both, false));
    }
    // The other shoulder where it usually lies from this one.
    let [hx, hy] = if b.half_px == [0.0, 0.0] { [b.shoulder_width_px / 2.0, 0.0] } else { b.half_px };
    match (p.confident(kp::LEFT_SHOULDER, min_conf), p.confident(kp::RIGHT_SHOULDER, min_conf)) {
        (Some(l), None) => Some(((Point::new(l.x, l.y), Point::new(l.x - 2.0 * hx, l.y - 2.0 * hy)), true)),
        (None, Some(r)) => Some(((Point::new(r.x + 2.0 * hx, r.y + 2.0 * hy), Point::new(r.x, r.y)), true)),
        _ => None,
    }
}

/// Measures one frame against the baseline.
pub fn measure(p: &Person, b: &Baseline, min_conf: f32, hip_conf: f32, desk_y: Option<f32>) -> Option<Measures> {
    let ((l, r), one_shoulder) = shoulders_or_one(p, min_conf, b)?;
    let s = Point::midpoint(l, r);
    let mut face = [None; FACE];
    for (i, f) in face.iter_mut().enumerate() {
        *f = p.confident(i, min_conf).map(|k| [k.x - s.x, k.y - s.y]);
    }
    let torso = visible_hips(p, hip_conf, desk_y).map(|h| Point::distance(h, s));
    let now = Sample { t: 0, sw: Point::distance(l, r), sx: s.x, sy: s.y, half: [l.x - s.x, l.y - s.y], face, torso };
    let sw0 = b.shoulder_width_px.max(1.0);

    // Face keypoints against their own usual places.
    let mut dy: Vec<f32> = Vec::new();
    for i in 0..FACE {
        if let (Some(f), Some(usual)) = (now.face[i], b.face_px(i)) {
            dy.push((f[1] - usual[1]) / sw0);
        }
    }
    dy.sort_by(f32::total_cmp);
    let head_drop = (!dy.is_empty()).then(|| dy[dy.len() / 2]);
    let head_above_desk = match (head_drop, desk_y, b.head_up_px) {
        (Some(hd), Some(d), Some(up)) => {
            let usual = d - (b.shoulder_px[1] - up);
            let head_y = now.sy - up + hd * sw0;
            (usual > 1.0).then(|| (d - head_y) / usual)
        }
        _ => None,
    };
    let head = head_drop.zip(b.head_up_px).map(|(hd, up)| Point::new(now.sx, now.sy - up + hd * sw0));
    let wrist_to_head = head.and_then(|h| {
        [LEFT_WRIST, RIGHT_WRIST]
            .iter()
            .filter_map(|&i| p.confident(i, min_conf))
            .map(|w| Point::distance(Point::new(w.x, w.y), h) / sw0)
            .min_by(f32::total_cmp)
    });
    let eyes_nose = |f: &[Option<[f32; 2]>; FACE]| f[..3].iter().filter(|v| v.is_some()).count() as u8;
    let rel = |x: f32, y: f32| [(x - b.shoulder_px[0]) / sw0, (y - b.shoulder_px[1]) / sw0];
    let wrist = |i: usize| p.confident(i, min_conf).map(|k| rel(k.x, k.y));
    Some(Measures {
        drop: (now.sy - b.shoulder_px[1]) / sw0,
        shift: (now.sx - b.shoulder_px[0]) / sw0,
        scale: now.sw / sw0,
        one_shoulder,
        facing: (MIN_SCALE..=MAX_SCALE).contains(&(now.sw / sw0)),
        roll_deg: (r.y - l.y).atan2(l.x - r.x).to_degrees(),
        head_drop,
        head_above_desk,
        face_seen: eyes_nose(&now.face),
        face_usual: eyes_nose(&b.face),
        wrist_to_head,
        torso_ratio: now.torso.zip(b.torso_px).map(|(t, t0)| t / t0.max(1.0)),
        head_at: head.map(|h| rel(h.x, h.y)),
        wrists_at: [wrist(LEFT_WRIST), wrist(RIGHT_WRIST)],
    })
}

/// The one population prior left: a torso (hip to shoulder joints) is about
/// this many shoulder widths long. It converts a sink of the shoulders into
/// degrees, so it scales *changes* only: a clerk whose torso is 20 % longer
/// or shorter reads a 35° slouch as 29–42°, and never reads upright as bent,
/// because upright is their own baseline.
pub const TORSO_PER_SHOULDER: f32 = 1.35;
/// Likewise for the face keypoints' swing when the head pitches: their
/// distance from the neck's pivot, in shoulder widths.
pub const FACE_SWING_PER_SHOULDER: f32 = 0.8;
/// The lens assumed when the window does not say (horizontal field of
/// view, degrees): it only corrects the camera's tilt for where in the
/// frame the clerk sits.
pub const DEFAULT_HFOV_DEG: f32 = 80.0;

/// How far below the horizontal the camera looks at a point `y` pixels
/// down a frame `height` high: the tilt plus the point's offset from the
/// optical axis.
pub fn sight_elevation_deg(tilt_deg: f32, y: f32, width: u32, height: u32, hfov_deg: f32) -> f32 {
    tilt_deg + ((y - height as f32 / 2.0) / focal_px(width, hfov_deg)).atan().to_degrees()
}

/// Rotation (degrees) of a segment about its lower end that moves its upper
/// end `drop` of `len` (both in shoulder widths) down the image, seen from
/// `elevation_deg` above: `drop = len·(cos α − cos(θ + α))`. Negative drops
/// (rising) give 0.
pub fn flexion_deg(drop: f32, len: f32, elevation_deg: f32) -> f32 {
    let a = elevation_deg.clamp(0.0, 80.0).to_radians();
    let c = (a.cos() - drop / len).clamp(-1.0, 1.0);
    (c.acos() - a).to_degrees().max(0.0)
}

/// How far the clerk has sunk down in the chair, in their own shoulder
/// widths: the shoulders' sink less the head's sink relative to them. A
/// trunk that slides down without bending lowers shoulders and head
/// together (the head, if anything, rises against the shoulders); a bend
/// forward drops the head further than the shoulders, and a bent neck drops
/// the head alone, so both read lower here than in [`Measures::drop`].
pub fn sink(m: &Measures) -> Option<f32> {
    // The head risen against the shoulders counts for little: a neck held
    // straighter than in the baseline is not sinking.
    m.head_drop.map(|hd| m.drop - hd.max(-SINK_HEAD_RISE))
}

/// How much a head risen against the shoulders adds to [`sink`], in
/// shoulder widths.
const SINK_HEAD_RISE: f32 = 0.1;

/// Trunk and neck flexion against the baseline, degrees.
pub fn angles(m: &Measures, elevation_deg: f32) -> (f32, Option<f32>) {
    let trunk = flexion_deg(m.drop, TORSO_PER_SHOULDER, elevation_deg);
    let neck =
        m.head_drop.map(|hd| (flexion_deg(neck_drop(m.drop, hd, m.one_shoulder), FACE_SWING_PER_SHOULDER, elevation_deg) - trunk).max(0.0));
    (trunk, neck)
}

/// The head's sink that the neck's bend accounts for, in shoulder widths,
/// from the shoulders' sink `drop` and the head's sink against them `hd`.
/// The face swings with the trunk and the neck together. Shoulders raised
/// that leave the head where it was (a shrug, or a turn seen from above)
/// lift them away from it: that is not the head bending down, so the
/// head's sink counts from its own place then. But a rise the head shares
/// (the chair rolled back: further from a raised camera the whole clerk
/// lies higher in the image) says nothing of the neck. So where the head
/// has also sunk in its own place by [`HEAD_OWN_SINK`] or more while the
/// shoulders rose, the clerk is taken to have risen whole and bent the
/// neck, and the head's sink against the shoulders counts whole.
///
/// Limits: the measures cannot tell that from a shrug or turn with a nod
/// of 0.1 or more, which now reads as the whole sink against the
/// shoulders. The step is a jump (by the whole rise) in the value the
/// neck's angle is taken from, so the slouch's hysteresis (start over
/// 20°, end under 16°) does not smooth it; the engine's median over its
/// last nine frames does, as a vote on which side of the step the frames
/// lie. Blends from 0.05 or 0.1 to 0.15 found fewer slouches or more
/// false ones on the tuning sets (`docs/accuracy.md`).
/// Not with `one_shoulder` seen: the rise is then one shoulder's, which a
/// turn or a lean to the side moves alone, and is always discounted.
fn neck_drop(drop: f32, hd: f32, one_shoulder: bool) -> f32 {
    let own = hd + drop.min(0.0);
    if own >= HEAD_OWN_SINK && !one_shoulder { hd } else { own }
}

/// The head's own sink, in shoulder widths, past which a rise of the
/// shoulders counts as shared by the head (`neck_drop`). Chosen on the
/// tuning sets (`docs/accuracy.md`): 0.08 found two more slouches on ours
/// and one more false, the independent sets the same.
pub const HEAD_OWN_SINK: f32 = 0.1;

/// Standing or sitting from the shoulders' height against the seated
/// baseline: risen by more than `STAND_RISE` shoulder widths is standing,
/// within `SIT_RISE` is sitting, between is unknown.
pub const STAND_RISE: f32 = 0.55;
pub const SIT_RISE: f32 = 0.35;
/// Standing up towards a camera that looks down at the clerk brings the
/// shoulders nearer it, wider in the image: a rise alone by 7–8 % (0.4 m
/// seen 30–36° from above at 3 m), more when the clerk also steps towards
/// the counter, as a clerk rising to greet does. With the shoulders at
/// least this share of the baseline's width, both seen, the rise that
/// means standing is foreshortened along the sight line ([`stand_rise`]);
/// narrower or as wide (the chair rolled back, a shrug), it stays
/// [`STAND_RISE`]. The geometry says only that the gate should be above
/// 1.0; its value was chosen on the tuning sets (from 1.08 to 1.15, the
/// largest tried, every figure was the same; `docs/accuracy.md`).
pub const STAND_NEARER_SCALE: f32 = 1.10;

/// The shoulders' rise, in baseline shoulder widths, that means standing.
/// A vertical rise seen from `elevation_deg` above is shortened by the
/// elevation's cosine in the image, while the shoulders' width, across the
/// sight line, is not. [`STAND_RISE`] (tuned on cameras tilted about
/// 10–35°) is taken as the figure seen level and foreshortened, for
/// shoulders come nearer ([`STAND_NEARER_SCALE`]) only: from 36° above it
/// is 0.445. The elevation counts up to the measured tilts' 45° (0.389), so
/// the threshold never meets [`SIT_RISE`] and a band of unknown stays
/// between the two.
pub fn stand_rise(m: &Measures, elevation_deg: f32) -> f32 {
    if m.one_shoulder || m.scale < STAND_NEARER_SCALE {
        return STAND_RISE;
    }
    let max = super::baseline::MEASURED_TILT.1;
    STAND_RISE * elevation_deg.clamp(0.0, max).to_radians().cos()
}
/// How far the shoulders rise in the image, in baseline shoulder widths,
/// when the clerk moves straight away from the camera until they are
/// `m.scale` of the baseline's width: seen from `elevation_deg` above, a
/// point that moves away by `Δd` along the ground rises by `sin θ·Δd` against a
/// width that shrinks by `cos θ·Δd/D`, so the rise is
/// `(1 − scale)·tan θ·D/W`, and `D/W` (distance over real width) is the
/// focal length `f_px` over the baseline's width in pixels. Nearer (wider)
/// gives 0. Exact for shoulders on the optical axis; off it, the true rise
/// is `sin θ/(cos(θ − tilt)·cos tilt)` rather than `tan θ` (about 0.85 of
/// the estimate 10° above the centre of a frame tilted 45°, 1.08 of it 4°
/// below).
pub fn roll_back_rise(m: &Measures, elevation_deg: f32, f_px: f32, sw0_px: f32) -> f32 {
    let t = elevation_deg.clamp(0.0, 80.0).to_radians().tan();
    (1.0 - m.scale).max(0.0) * t * f_px / sw0_px.max(1.0)
}

/// How many samples the baseline must rest on before [`roll_back_rise`]
/// is used: a baseline of a minute or two has a width too uncertain to
/// read a narrowing by. Chosen on the tuning sets (`docs/accuracy.md`):
/// without it, one more of the third independent simulator's prompt
/// greetings, in a window's first minute, read as not standing.
pub const ROLL_BACK_SETTLED: u32 = 300;

/// The focal length in pixels of a frame `width` wide seen with a lens of
/// `hfov_deg`.
pub fn focal_px(width: u32, hfov_deg: f32) -> f32 {
    (width as f32 / 2.0) / (hfov_deg.to_radians() / 2.0).tan()
}

/// Between the two, shoulders this share of the baseline's width or
/// narrower are a clerk whose chair has rolled back: sitting (further from
/// a raised camera, the shoulders lie higher in the image).
pub const ROLLED_BACK_SCALE: f32 = 0.93;
/// ... but no narrower than this: a clerk turned far away (a 40° turn
/// alone gives 0.77) part way up is not judged.
pub const ROLLED_BACK_MIN_SCALE: f32 = 0.75;
/// Shoulders at least this share of the baseline's width, with the head
/// dropped against them by less than [`PULLED_IN_HEAD`] shoulder widths:
/// the clerk has come nearer the camera. Seen from above, nearer is lower,
/// so the shoulders' sink says nothing of the trunk: the chair pulled in
/// to the desk looks like a slouch, while a clerk who bends forward drops
/// the head against the shoulders too. Trunk and sink are then unknown.
/// Chosen on three tuning sets at once (ours and the second and third
/// independent simulators; `docs/accuracy.md`).
pub const PULLED_IN_SCALE: f32 = 1.07;
pub const PULLED_IN_HEAD: f32 = 0.05;
/// How far from the seat further back ([`Measures::back_seat`]) the
/// shoulders may lie, in shoulder widths, and still be sat there.
pub const BACK_SEAT_REACH: f32 = 0.15;

impl Measures {
    /// Risen part way ([`SIT_RISE`]..[`STAND_RISE`]) with the shoulders
    /// narrower ([`ROLLED_BACK_MIN_SCALE`]..=[`ROLLED_BACK_SCALE`]): the
    /// chair rolled back from the desk.
    pub fn rolled_back(&self) -> bool {
        self.drop < -SIT_RISE && self.drop > -STAND_RISE && (ROLLED_BACK_MIN_SCALE..=ROLLED_BACK_SCALE).contains(&self.scale)
    }

    /// Whether the clerk sits at the baseline's seat further back
    /// ([`Baseline::back_seat_px`]): `None` with no such seat or the
    /// shoulders not at its height (within [`BACK_SEAT_REACH`] shoulder
    /// widths); `Some(true)` at its height and about its width (from
    /// [`ROLLED_BACK_MIN_SCALE`] of it, for a turn, to 0.05 of the desk's
    /// wider, but never as wide as at the desk); `Some(false)` at its height
    /// otherwise (one shoulder hidden, or too wide or narrow to say).
    pub fn back_seat(&self, b: &Baseline) -> Option<bool> {
        let [w, y] = b.back_seat_px?;
        let sw0 = b.shoulder_width_px.max(1.0);
        let (drop, scale) = ((y - b.shoulder_px[1]) / sw0, w / sw0);
        if (self.drop - drop).abs() > BACK_SEAT_REACH {
            return None;
        }
        Some(!self.one_shoulder && (ROLLED_BACK_MIN_SCALE * scale..=(scale + 0.05).min(1.0)).contains(&self.scale))
    }

    /// Come nearer the camera with the head as usual over the shoulders
    /// ([`PULLED_IN_SCALE`]), or possibly so: with one shoulder hidden (a
    /// monitor hides one as the clerk pulls in to the desk) the width is
    /// not measured, so a level head over a sunk shoulder may be either.
    pub fn pulled_in(&self) -> bool {
        (self.scale >= PULLED_IN_SCALE || self.one_shoulder) && self.head_drop.is_some_and(|hd| hd < PULLED_IN_HEAD)
    }
}

/// The head-on-desk cues combined: the shoulders' sink, the head's sink
/// relative to the shoulders, the head's height above the desk line, the
/// face lost, the hands at the head, how still the head and hands have
/// been, and the trunk's and head's pitch they imply, each against the
/// clerk's baseline. No cue decides alone: a small gradient-boosted model
/// ([`super::head_model`]), fitted on the two tuning families (the
/// project's simulator and the first independent one), weighs them.
/// Returns the probability that the head rests on the desk.
pub fn head_on_desk_p(m: &Measures, motion: &Motion, elevation_deg: f32) -> f32 {
    let x = head_features(m, motion, elevation_deg);
    let mut z = super::head_model::INIT;
    for tree in super::head_model::TREES {
        let mut i = 0usize;
        loop {
            let (f, threshold, left, right, value) = tree[i];
            if f < 0 {
                z += super::head_model::RATE * value;
                break;
            }
            i = usize::from(if x[f as usize] <= threshold { left } else { right });
        }
    }
    1.0 / (1.0 + (-z).exp())
}

pub const HEAD_FEATURES: usize = 15;

/// The cue model's inputs as CSV columns, each after a comma: `,f1,…,f15`.
pub fn head_feature_columns() -> String {
    (1..=HEAD_FEATURES).map(|i| format!(",f{i}")).collect()
}

/// The cue model's inputs, missing values imputed and flagged: drop,
/// head drop, head drop missing, head above the desk, that missing, face
/// lost, wrist to head, head motion, wrist motion, motion missing, and the
/// trunk's and the head's pitch (degrees / 90) that the sinks imply from
/// this camera's elevation; the shoulder line's slope (degrees / 30) and
/// sideways shift, which a lean on one elbow gives and a head resting on
/// the desk mostly does not; and the shoulder width against the
/// baseline's.
pub fn head_features(m: &Measures, motion: &Motion, elevation_deg: f32) -> [f32; HEAD_FEATURES] {
    let (trunk, _) = angles(m, elevation_deg);
    let pitch = flexion_deg(m.head_drop.unwrap_or(m.drop), FACE_SWING_PER_SHOULDER, elevation_deg);
    let drop = m.drop.clamp(-1.0, 2.0);
    let usual = f32::from(m.face_usual.max(1));
    let face_lost = (f32::from(m.face_usual.saturating_sub(m.face_seen)) / usual).clamp(0.0, 1.0);
    let moving = motion.head.is_none() && motion.wrists.is_none();
    [
        drop,
        m.head_drop.unwrap_or(drop).clamp(-1.0, 2.0),
        f32::from(u8::from(m.head_drop.is_none())),
        m.head_above_desk.unwrap_or(0.0).clamp(-1.0, 1.5),
        f32::from(u8::from(m.head_above_desk.is_none())),
        face_lost,
        m.wrist_to_head.unwrap_or(1.5).clamp(0.0, 1.5),
        motion.head.unwrap_or(0.3).clamp(0.0, 1.0),
        motion.wrists.unwrap_or(0.3).clamp(0.0, 1.0),
        f32::from(u8::from(moving)),
        trunk / 90.0,
        pitch / 90.0,
        (m.roll_deg.abs() / 30.0).min(2.0),
        m.shift.abs().min(2.0),
        m.scale.clamp(0.0, 2.0),
    ]
}

/// How much the head and the hands have moved over the last
/// [`MOTION_WINDOW_MS`], in baseline shoulder widths: the range of their
/// positions after a short running mean takes the keypoint jitter out.
/// A sleeping clerk is still; one hunched over work moves their hands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Motion {
    pub head: Option<f32>,
    /// The stiller of the two wrists.
    pub wrists: Option<f32>,
}

pub const MOTION_WINDOW_MS: i64 = 30_000;
const MOTION_MEAN_MS: i64 = 2_500;
/// Motion counts once this much of the window is covered.
const MOTION_MIN_SPAN_MS: i64 = 20_000;

type Track = std::collections::VecDeque<(i64, [f32; 2])>;

/// The recent positions of the head and the wrists.
#[derive(Debug, Clone, Default)]
pub struct MotionTracker {
    tracks: [Track; 3],
}

impl MotionTracker {
    /// Adds one frame's positions at `t` (ms).
    pub fn push(&mut self, t: i64, m: Option<&Measures>) {
        let points = [m.and_then(|m| m.head_at), m.and_then(|m| m.wrists_at[0]), m.and_then(|m| m.wrists_at[1])];
        for (track, p) in self.tracks.iter_mut().zip(points) {
            if let Some(p) = p {
                track.push_back((t, p));
            }
            while track.front().is_some_and(|f| t - f.0 > MOTION_WINDOW_MS) {
                track.pop_front();
            }
        }
    }

    pub fn clear(&mut self) {
        self.tracks.iter_mut().for_each(Track::clear);
    }

    /// The motion over the window, where enough of it is seen.
    pub fn motion(&self) -> Motion {
        let range = |track: &Track| -> Option<f32> {
            let (first, last) = (track.front()?.0, track.back()?.0);
            if last - first < MOTION_MIN_SPAN_MS {
                return None;
            }
            let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
            let mut start = 0;
            for (i, &(t, _)) in track.iter().enumerate() {
                while track[start].0 < t - MOTION_MEAN_MS {
                    start += 1;
                }
                if t - first < MOTION_MEAN_MS {
                    continue;
                }
                let n = (i - start + 1) as f32;
                for k in 0..2 {
                    let mean = track.range(start..=i).map(|p| p.1[k]).sum::<f32>() / n;
                    lo[k] = lo[k].min(mean);
                    hi[k] = hi[k].max(mean);
                }
            }
            (hi[0] >= lo[0]).then(|| (hi[0] - lo[0]).hypot(hi[1] - lo[1]))
        };
        let [head, l, r] = &self.tracks;
        let wrists = match (range(l), range(r)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Motion { head: range(head), wrists }
    }
}

/// The head cue's floor with the shoulders sunk and two more cues agreeing:
/// neither a rest (0.7) nor clearly not one (0.3), and above the 0.15 up to
/// which slouching may be called.
pub const CUES_DISAGREE_FLOOR: f32 = 0.2;
const _: () = assert!(CUES_DISAGREE_FLOOR > crate::rules::engine::SLOUCH_HEAD_MAX && CUES_DISAGREE_FLOOR < 0.3);

/// The head-on-desk cues taken one by one, each against the baseline, so
/// that their agreement can be counted without any learnt weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HeadCues {
    /// The shoulders sunk as far as a trunk bent 30° or more.
    pub sunk: bool,
    /// The head within a quarter of its usual height above the desk line.
    pub head_low: bool,
    /// Two or more of the usual nose and eyes lost.
    pub face_lost: bool,
    /// A wrist within half a shoulder width of the head.
    pub hands_at_head: bool,
    /// Head and hands still for the last half minute.
    pub still: bool,
}

impl HeadCues {
    pub fn of(m: &Measures, motion: &Motion, trunk_deg: f32) -> HeadCues {
        HeadCues {
            sunk: trunk_deg >= 30.0,
            head_low: m.head_above_desk.is_some_and(|h| h <= 0.25),
            face_lost: m.face_usual >= 2 && m.face_seen + 2 <= m.face_usual,
            hands_at_head: m.wrist_to_head.is_some_and(|d| d <= 0.5),
            still: motion.head.is_some_and(|h| h <= 0.15) && motion.wrists.is_none_or(|w| w <= 0.15),
        }
    }

    /// How many cues besides the sunk shoulders agree.
    pub fn others(&self) -> usize {
        [self.head_low, self.face_lost, self.hands_at_head, self.still].iter().filter(|c| **c).count()
    }

    /// The probability the cues alone allow: with the shoulders sunk, three
    /// more agreeing cues make it likely, two leave it open (above
    /// [`SLOUCH_HEAD_MAX`](crate::rules::engine) so that slouching is not
    /// called over a possible rest: it is unknown); otherwise they say
    /// nothing (`None`).
    pub fn floor(&self) -> Option<f32> {
        match (self.sunk, self.others()) {
            (true, n) if n >= 3 => Some(0.5),
            (true, 2) if self.face_lost && self.still => Some(CUES_DISAGREE_FLOOR),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measures(drop: f32, head_drop: Option<f32>) -> Measures {
        Measures {
            drop,
            shift: 0.0,
            scale: 1.0,
            one_shoulder: false,
            facing: true,
            roll_deg: 0.0,
            head_drop,
            head_above_desk: None,
            face_seen: 3,
            face_usual: 3,
            wrist_to_head: None,
            torso_ratio: None,
            head_at: None,
            wrists_at: [None, None],
        }
    }

    #[test]
    fn the_rise_of_moving_away_matches_a_pinhole_camera() {
        // A camera 2.6 m up, tilted 35°, f 600 px; shoulders 0.38 m wide at
        // 1.2 m high, 2.0 m away along the ground, then 0.4 m further.
        let (cam_h, tilt, f, w, sh_h) = (2.6f32, 35f32.to_radians(), 600.0f32, 0.38f32, 1.2f32);
        let seen = |d: f32| {
            let below = cam_h - sh_h;
            let y = f * ((below / d).atan() - tilt).tan();
            (y, f * w / (d * d + below * below).sqrt())
        };
        let ((y0, w0), (y1, w1)) = (seen(2.0), seen(2.4));
        let rise = (y0 - y1) / w0;
        let m = Measures { scale: w1 / w0, ..measures(0.0, None) };
        let elevation = ((cam_h - sh_h) / 2.0).atan().to_degrees();
        let est = roll_back_rise(&m, elevation, f, w0);
        assert!(rise > 0.3 && (est - rise).abs() < 0.15 * rise, "pinhole {rise}, estimate {est}");
        // Nearer, or as wide: no rise explained.
        assert_eq!(roll_back_rise(&Measures { scale: 1.05, ..m }, elevation, f, w0), 0.0);
    }

    #[test]
    fn sinking_in_the_chair_reads_as_sink_bending_does_not() {
        // Slid down: shoulders 0.25 lower, the head a little higher against them.
        assert!((sink(&measures(0.25, Some(-0.05))).unwrap() - 0.30).abs() < 1e-6);
        // Upright with the neck straighter than usual: the head well above
        // its usual place against the shoulders, which have not sunk.
        assert!(sink(&measures(0.0, Some(-0.3))).unwrap() <= 0.1);
        // A bent neck drops the head alone: no sink at all.
        assert!(sink(&measures(0.0, Some(0.4))).unwrap() < 0.0);
        // Bent forward, the head drops further than the shoulders.
        assert!(sink(&measures(0.5, Some(0.45))).unwrap() < 0.1);
        // Without the face, it cannot be told.
        assert_eq!(sink(&measures(0.3, None)), None);
    }

    #[test]
    fn a_rise_seen_from_above_is_foreshortened_only_for_shoulders_come_nearer() {
        let nearer = Measures { scale: 1.12, ..measures(-0.5, None) };
        // Level: the full rise. From 36° above: cos 36° of it.
        assert_eq!(stand_rise(&nearer, 0.0), STAND_RISE);
        assert!((stand_rise(&nearer, 36.0) - 0.445).abs() < 0.001, "{}", stand_rise(&nearer, 36.0));
        // A camera below the shoulders' row is level as far as this goes.
        assert_eq!(stand_rise(&nearer, -10.0), STAND_RISE);
        // Past the measured 45° it goes no lower, well above sitting.
        for e in [45.0, 60.0, 85.0, f32::INFINITY] {
            let r = stand_rise(&nearer, e);
            assert!((r - 0.389).abs() < 0.001 && r > SIT_RISE + 0.03, "{e}: {r}");
        }
        // The gate itself: 1.10 foreshortens, just under it does not.
        assert!(stand_rise(&Measures { scale: STAND_NEARER_SCALE, ..nearer }, 36.0) < STAND_RISE);
        assert_eq!(stand_rise(&Measures { scale: STAND_NEARER_SCALE - 0.01, ..nearer }, 36.0), STAND_RISE);
        // As wide as usual (a shrug), narrower (the chair rolled back), or
        // one shoulder placed from the baseline's width: the full rise.
        for m in [Measures { scale: 1.0, ..nearer }, Measures { scale: 0.9, ..nearer }, Measures { one_shoulder: true, ..nearer }] {
            assert_eq!(stand_rise(&m, 36.0), STAND_RISE);
        }
    }

    #[test]
    fn the_cues_floor_needs_sunk_shoulders_and_agreeing_cues() {
        let all = HeadCues { sunk: true, head_low: true, face_lost: true, hands_at_head: true, still: true };
        assert_eq!(all.floor(), Some(0.5));
        // A still head with the face lost: slouching is not called over it.
        let two = HeadCues { head_low: false, hands_at_head: false, ..all };
        assert_eq!(two.floor(), Some(CUES_DISAGREE_FLOOR));
        // Two other cues say nothing on their own.
        assert_eq!(HeadCues { face_lost: false, still: false, ..all }.floor(), None);
        // Nor does anything without the shoulders sunk.
        assert_eq!(HeadCues { sunk: false, ..all }.floor(), None);
    }

    #[test]
    fn the_cue_model_reads_only_the_cues_the_rules_compute() {
        // A model fitted on a stale dump with more cues would index past
        // `head_features` and panic on the box.
        for (t, tree) in super::super::head_model::TREES.iter().enumerate() {
            for (i, &(f, _, left, right, _)) in tree.iter().enumerate() {
                assert!(f < HEAD_FEATURES as i8, "tree {t} node {i} reads cue {f} of {HEAD_FEATURES}");
                if f >= 0 {
                    assert!(usize::from(left) < tree.len() && usize::from(right) < tree.len(), "tree {t} node {i}");
                }
            }
        }
        let p = head_on_desk_p(&measures(0.5, Some(0.4)), &Motion::default(), 25.0);
        assert!((0.0..=1.0).contains(&p));
    }

    #[test]
    fn raised_shoulders_do_not_read_as_a_bent_neck() {
        // Turned aside seen from above: the shoulders rise 0.15 and the head,
        // which did not move, reads 0.15 lower against them.
        let (_, neck) = angles(&measures(-0.15, Some(0.15)), 25.0);
        assert!(neck.unwrap() < 1.0, "{neck:?}");
        // The head itself down by 0.35: a bent neck.
        let (_, neck) = angles(&measures(0.0, Some(0.35)), 25.0);
        assert!(neck.unwrap() > 20.0, "{neck:?}");
    }

    #[test]
    fn a_head_sunk_in_its_own_place_while_the_shoulders_rose_reads_its_whole_bend() {
        // The chair rolled back: the whole clerk sits 0.3 higher in the
        // image, the head with the shoulders. Upright there, the head is
        // where it always is against them.
        let (_, upright) = angles(&measures(-0.3, Some(0.0)), 35.0);
        assert_eq!(upright, Some(0.0));
        // Bent there by 0.45 against the shoulders: the head sank 0.15 in
        // its own place, so the rise counts as shared and the bend counts
        // whole, as at the desk. (A shrug of 0.3 with a nod of 0.15 reads
        // the same: the measures cannot tell them apart.)
        let (_, bent) = angles(&measures(-0.3, Some(0.45)), 35.0);
        let (_, at_desk) = angles(&measures(0.0, Some(0.45)), 35.0);
        assert!((bent.unwrap() - at_desk.unwrap()).abs() < 1e-3, "{bent:?} {at_desk:?}");
        assert!(bent.unwrap() > 20.0, "{bent:?}");
        // A shrug of 0.3 with the head a little lower (0.08 in its own
        // place, under HEAD_OWN_SINK): the rise is still discounted.
        let (_, shrug) = angles(&measures(-0.3, Some(0.38)), 35.0);
        assert!(shrug.unwrap() < 10.0, "{shrug:?}");
        assert!((neck_drop(-0.3, 0.39, false) - 0.09).abs() < 1e-6);
        assert_eq!(neck_drop(-0.3, 0.5, false), 0.5);
        // One shoulder seen: its rise is always discounted.
        assert!((neck_drop(-0.3, 0.5, true) - 0.2).abs() < 1e-6);
        // Shoulders not risen: the head's sink against them, as always.
        assert_eq!(neck_drop(0.2, 0.05, false), 0.05);
    }
}
