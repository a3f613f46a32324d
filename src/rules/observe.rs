//! Per-frame observations: who the clerk is, and what can be said about
//! their presence, posture, head and legs, each with an explicit unknown.
//! Pure functions over keypoints and the window's geometry; no I/O.

use serde::Serialize;

use super::baseline::{Baseline, Sample};
use super::posture::{self, Measures};
use crate::config::Window;
use crate::geometry::{Point, Polygon};
use crate::vision::person::{Person, kp};

/// Hips count as seen (not guessed through the desk) from this confidence.
pub const HIP_CONF: f32 = 0.7;
/// Head on the desk when the cues give at least this probability, not
/// when they give at most `1 - HEAD_SURE`; between, unknown.
pub const HEAD_SURE: f32 = 0.7;

/// Legs are judged only with the shoulders at least this share of their
/// usual width: turned further, knees and ankles overlap in the image and
/// read as crossed.
const LEGS_FACING: f32 = 0.85;

const LEFT_KNEE: usize = 13;
const RIGHT_KNEE: usize = 14;
const LEFT_ANKLE: usize = 15;
const RIGHT_ANKLE: usize = 16;

/// A window's zones in pixels, plus the thresholds observations need.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    pub staff_zone: Polygon,
    pub counter_zone: Polygon,
    pub desk_y: Option<f32>,
    /// The desk line is doubted ([`super::desk_doubt`]): it says neither
    /// sitting or standing nor how low the head is over the desk (it is not
    /// the desk the clerk leans on); baseline samples still record it, so
    /// that the stored baseline shows where it lies.
    pub desk_doubted: bool,
    pub tilt_deg: f32,
    pub min_conf: f32,
    pub min_leg_conf: f32,
    pub width: u32,
    pub height: u32,
}

impl Geometry {
    pub fn for_frame(w: &Window, width: u32, height: u32) -> Geometry {
        let (fw, fh) = (width as f32, height as f32);
        Geometry {
            staff_zone: w.staff_zone.to_pixels(fw, fh),
            counter_zone: w.counter_zone.to_pixels(fw, fh),
            desk_y: w.desk_y.map(|d| d * fh),
            desk_doubted: false,
            tilt_deg: w.camera_tilt_deg,
            min_conf: w.thresholds.min_keypoint_conf,
            min_leg_conf: w.thresholds.crossed_legs.min_leg_conf,
            width,
            height,
        }
    }

    /// The desk line, where it may judge the clerk: sitting or standing,
    /// hips hidden, the head's height over the desk.
    fn posture_desk_y(&self) -> Option<f32> {
        self.desk_y.filter(|_| !self.desk_doubted)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Posture {
    Sitting,
    Standing,
}

/// What one frame says about the window. `None` is "unknown": the body part
/// needed was not seen well enough.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    /// Index of the clerk in the frame's people.
    pub clerk: Option<usize>,
    pub present: bool,
    pub posture: Option<Posture>,
    /// Forward (or sideways) trunk flexion, degrees from upright.
    pub trunk_deg: Option<f32>,
    /// Neck flexion relative to the trunk, degrees.
    pub neck_deg: Option<f32>,
    /// Sunk down in the chair, in the clerk's shoulder widths
    /// ([`posture::sink`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink: Option<f32>,
    pub head_on_desk: Option<bool>,
    pub legs_crossed: Option<bool>,
    pub citizen_at_counter: bool,
    /// No clerk found, but someone at the counter stands over the staff
    /// zone and may hide them: absence is unknown, not seen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub clerk_hidden: bool,
    /// Sat at the baseline's seat further back from the desk
    /// ([`Measures::back_seat`]): risen against the desk, but seated.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub back_seat: bool,
    /// Read as standing, but narrower than usual, and the part of the rise
    /// that moving away explains ([`posture::roll_back_rise`]) leaves less
    /// than a standing height: perhaps the chair rolled back from a steep
    /// camera. The greeting does not count such a frame as having stood
    /// up; the other rules take the posture as read.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stand_doubted: bool,
    /// How many people the frame shows, the clerk included (a clerk who
    /// walks off is seen as someone who is not the clerk any more).
    #[serde(skip)]
    pub people: usize,
    /// Posture measures against the clerk's baseline (`None` before there
    /// is one, or without both shoulders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measures: Option<Measures>,
    /// How much the head and hands moved lately.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motion: Option<posture::Motion>,
    /// Probability that the head rests on the desk, from the combined cues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_on_desk_p: Option<f32>,
    /// This frame's contribution to the baseline (seated, shoulders seen).
    #[serde(skip)]
    pub sample: Option<Sample>,
    /// The frame's size, for the sample's pixels.
    #[serde(skip)]
    pub frame: [u32; 2],
    /// Mean confidence of the keypoints used.
    pub confidence: f32,
    /// Probability that the clerk wears the work badge (from `[attire]`;
    /// `None`: not judged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub badge: Option<f32>,
    /// Probability that the clerk's dress matches the uniform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uniform: Option<f32>,
}

impl Observation {
    pub fn absent(citizen_at_counter: bool) -> Observation {
        Observation {
            clerk: None,
            present: false,
            posture: None,
            trunk_deg: None,
            neck_deg: None,
            sink: None,
            head_on_desk: None,
            legs_crossed: None,
            citizen_at_counter,
            clerk_hidden: false,
            back_seat: false,
            stand_doubted: false,
            people: 0,
            measures: None,
            motion: None,
            head_on_desk_p: None,
            sample: None,
            frame: [0, 0],
            confidence: 1.0,
            badge: None,
            uniform: None,
        }
    }
}

/// Observes one frame against the clerk's baseline (see
/// [`Baseline`]): without one, sitting and standing come from the desk line
/// and posture is unknown.
pub fn observe(people: &[Person], g: &Geometry, baseline: Option<&Baseline>, motion: posture::Motion) -> Observation {
    let baseline = baseline.map(|b| b.rescaled(g.width, g.height));
    let clerk = find_clerk_near(people, g, baseline.as_ref());
    let citizen =
        people.iter().enumerate().any(|(i, p)| Some(i) != clerk && at_counter(p, g) && !seated_neighbour(p, g, baseline.as_ref()));
    let Some(ci) = clerk else {
        // Any box over the staff zone, torso seen or not, and a seated
        // neighbour too: absence is then unknown, the cautious side.
        let hidden = people.iter().any(|p| (in_counter_zone(p, g) || back_at_counter(p, g)) && covers_staff_zone(p, g));
        return Observation { clerk_hidden: hidden, people: people.len(), ..Observation::absent(citizen) };
    };
    let p = &people[ci];
    let mut obs = Observation {
        clerk: Some(ci),
        present: true,
        citizen_at_counter: citizen,
        frame: [g.width, g.height],
        people: people.len(),
        ..Observation::absent(citizen)
    };
    let both = posture::shoulders(p, g.min_conf);
    let m = baseline.as_ref().and_then(|b| posture::measure(p, b, g.min_conf, HIP_CONF, g.posture_desk_y()));
    if both.is_some() || m.is_some() {
        let seen: Vec<f32> =
            [kp::LEFT_SHOULDER, kp::RIGHT_SHOULDER].iter().filter_map(|&i| p.confident(i, g.min_conf)).map(|k| k.conf).collect();
        obs.confidence = seen.iter().sum::<f32>() / seen.len().max(1) as f32;
        let seat = m.and_then(|m| baseline.as_ref().and_then(|b| m.back_seat(b)));
        let back_seat = seat == Some(true);
        obs.back_seat = back_seat;
        let elevation = baseline
            .as_ref()
            .map(|b| posture::sight_elevation_deg(g.tilt_deg, b.shoulder_px[1], g.width, g.height, posture::DEFAULT_HFOV_DEG));
        let judgeable = baseline.as_ref().is_some_and(|b| b.shoulder_width_px >= super::baseline::MIN_JUDGE_PX);
        // The rise that means standing: foreshortened along the sight line
        // only where the width is measured well enough to say the shoulders
        // came nearer (on a clerk under 24 px, 10 % is keypoint jitter).
        let stand_rise = |m: &Measures| match elevation {
            Some(e) if judgeable => posture::stand_rise(m, e),
            _ => posture::STAND_RISE,
        };
        obs.posture = match (m, both) {
            // Sat back from the desk at the seat the clerk holds most often,
            // the baseline being the desk ([`Baseline::nearer_seat`]); at
            // its height but not its width (turned, or one shoulder hidden),
            // unknown rather than standing.
            (Some(_), _) if back_seat => Some(Posture::Sitting),
            (Some(_), _) if seat == Some(false) => None,
            (Some(m), _) if m.drop <= -stand_rise(&m) => {
                // Narrower than usual: take off the part of the rise that
                // moving away explains. A clerk who stands and steps back
                // still rises by more than the step explains. Not narrower
                // than a roll back makes the shoulders
                // ([`posture::ROLLED_BACK_MIN_SCALE`]): that is a turn.
                let away = match (baseline.as_ref(), elevation) {
                    (Some(b), Some(e))
                        if judgeable
                            && !m.one_shoulder
                            && m.scale >= posture::ROLLED_BACK_MIN_SCALE
                            && b.samples >= posture::ROLL_BACK_SETTLED =>
                    {
                        posture::roll_back_rise(&m, e, posture::focal_px(g.width, posture::DEFAULT_HFOV_DEG), b.shoulder_width_px)
                    }
                    _ => 0.0,
                };
                obs.stand_doubted = -m.drop - away < stand_rise(&m);
                Some(Posture::Standing)
            }
            (Some(m), _) if m.drop >= -posture::SIT_RISE => Some(Posture::Sitting),
            // Risen part way with the shoulders narrower: the chair rolled
            // back from the desk (further from the camera the shoulders lie
            // higher in the image), not a clerk getting up.
            (Some(m), _) if m.rolled_back() => Some(Posture::Sitting),
            (Some(_), _) => None,
            (None, Some((l, r))) => {
                let (sw, mid) = (Point::distance(l, r), Point::midpoint(l, r));
                let hips = posture::visible_hips(p, HIP_CONF, g.desk_y);
                posture_without_baseline(sw, hips, g.posture_desk_y().filter(|_| sw >= 1.0).map(|d| (d - mid.y) / sw), p, g)
            }
            (None, None) => None,
        };
        if let (Some(m), Some(elevation), true) = (m.filter(|m| m.facing), elevation, judgeable) {
            let (trunk, neck) = posture::angles(&m, elevation);
            let seated = obs.posture == Some(Posture::Sitting);
            // Come nearer the camera with the head as usual over the
            // shoulders: a chair pulled in, or a slouch; trunk and sink
            // cannot tell ([`posture::PULLED_IN_SCALE`]).
            let pulled_in = m.pulled_in();
            obs.trunk_deg = seated.then_some(trunk).filter(|_| !pulled_in);
            // The neck still counts: the head is level over the shoulders,
            // so the frame says "not slouching" by the neck alone.
            obs.neck_deg = neck.filter(|_| seated);
            obs.sink = posture::sink(&m).filter(|_| seated && !pulled_in);
            // The learnt cue model, never below what the cues' plain
            // agreement allows: a model fitted on one simulator may miss a
            // head on the desk that several cues agree on elsewhere.
            let cues = posture::HeadCues::of(&m, &motion, trunk);
            let pr = posture::head_on_desk_p(&m, &motion, elevation).max(cues.floor().unwrap_or(0.0));
            obs.motion = Some(motion);
            obs.head_on_desk_p = seated.then_some(pr);
            obs.head_on_desk = if !seated {
                Some(false)
            } else if pr >= HEAD_SURE {
                Some(true)
            } else if pr <= 1.0 - HEAD_SURE {
                Some(false)
            } else {
                None
            };
            obs.measures = Some(m);
        }
        if let Some((l, r)) = both {
            // A baseline sample: seated, the face seen (a head down on the
            // desk hides it), and not already judged head-down.
            // Seated for the baseline's purpose either by the baseline or
            // by the desk line alone, so that a baseline learnt from a
            // slouch cannot lock itself in by calling upright "standing".
            let (sw, mid) = (Point::distance(l, r), Point::midpoint(l, r));
            let hips = posture::visible_hips(p, HIP_CONF, g.desk_y);
            let by_desk = posture_without_baseline(sw, hips, g.posture_desk_y().filter(|_| sw >= 1.0).map(|d| (d - mid.y) / sw), p, g);
            // But not a frame the baseline calls standing with the hips in
            // sight above the desk: that is a clerk on their feet whom the
            // desk line alone reads as seated (leaning over the counter).
            let standing_in_sight = obs.posture == Some(Posture::Standing) && hips.is_some();
            // Nor a frame seated only because the chair rolled back: the
            // baseline is the clerk at the desk, and one learnt further back
            // would read the clerk pulled in again as sunk.
            // A frame at the seat further back is a sample still: the
            // learner keeps both seats in view.
            let seated = (obs.posture == Some(Posture::Sitting) && (back_seat || !m.is_some_and(|m| m.rolled_back())))
                || (by_desk == Some(Posture::Sitting) && !standing_in_sight)
                || (baseline.is_none() && obs.posture.is_none());
            if seated && face_points(p, g) >= 2 && obs.head_on_desk_p.is_none_or(|p| p < 0.5) {
                // Upright, the face is above the shoulder line in the image
                // from a camera tilted up to 45° (the range measured); at or
                // below it the clerk is bent far forward, and a baseline
                // learnt from that would call every upright frame
                // "standing". From a steeper camera the face, which is in
                // front of the shoulders, may sit below their line upright,
                // so there the check is not made (`liyi doctor` warns of
                // such a tilt).
                let face_check = g.tilt_deg <= FACE_ABOVE_SHOULDERS_MAX_TILT;
                obs.sample = posture::sample(p, 0, g.min_conf, HIP_CONF, g.posture_desk_y())
                    .filter(|s| !face_check || s.head().is_some_and(|h| h[1] < 0.0));
            }
            // Legs are judged facing the camera only: a turned body's knees
            // and ankles overlap in the image.
            let facing = baseline.as_ref().is_none_or(|b| Point::distance(l, r) >= LEGS_FACING * b.shoulder_width_px);
            obs.legs_crossed = if facing { legs_crossed(p, Point::distance(l, r), g) } else { None };
        }
    } else {
        obs.confidence = p.score;
    }
    obs
}

/// Torso anchor points of a person: confident shoulders, and hips above
/// the desk line.
fn torso_points(p: &Person, g: &Geometry) -> Vec<Point> {
    let mut pts: Vec<Point> =
        [kp::LEFT_SHOULDER, kp::RIGHT_SHOULDER].iter().filter_map(|&i| p.confident(i, g.min_conf)).map(|k| Point::new(k.x, k.y)).collect();
    pts.extend(
        [kp::LEFT_HIP, kp::RIGHT_HIP]
            .iter()
            .filter_map(|&i| p.confident(i, g.min_conf))
            .map(|k| Point::new(k.x, k.y))
            .filter(|h| g.desk_y.is_none_or(|d| h.y < d)),
    );
    pts
}

/// Where a person's torso is: the mean of the torso points, or, with none,
/// a point a quarter down the box (the box's bottom is hidden by the desk).
fn torso_anchor(p: &Person, g: &Geometry) -> Point {
    anchor_of(p, &torso_points(p, g))
}

/// [`torso_anchor`] from torso points already found.
fn anchor_of(p: &Person, pts: &[Point]) -> Point {
    if pts.is_empty() {
        let (cx, _) = p.bbox.center();
        return Point::new(cx, p.bbox.y1 + p.bbox.height() * 0.25);
    }
    let n = pts.len() as f32;
    Point::new(pts.iter().map(|q| q.x).sum::<f32>() / n, pts.iter().map(|q| q.y).sum::<f32>() / n)
}

/// The clerk: the person with the most torso keypoints in the staff zone
/// (the box as a fallback), preferring people not standing in the counter
/// zone, then people facing the camera, then higher scores. Someone at the
/// counter with their back to the camera is never the clerk.
pub fn find_clerk(people: &[Person], g: &Geometry) -> Option<usize> {
    find_clerk_near(people, g, None)
}

/// [`find_clerk`], preferring, with a baseline, the person whose torso is
/// nearest the clerk's usual shoulders over the one with more torso points.
pub fn find_clerk_near(people: &[Person], g: &Geometry, baseline: Option<&Baseline>) -> Option<usize> {
    let near = |p: &Person| -> i64 {
        let Some(b) = baseline else { return 0 };
        let usual = Point::new(b.shoulder_px[0], b.shoulder_px[1]);
        let half = b.shoulder_width_px / 2.0;
        // The shoulders (or the one seen, offset by half the usual width),
        // else the top quarter of the box.
        let l = p.confident(kp::LEFT_SHOULDER, g.min_conf).map(|k| Point::new(k.x - half, k.y));
        let r = p.confident(kp::RIGHT_SHOULDER, g.min_conf).map(|k| Point::new(k.x + half, k.y));
        let at = match (l, r) {
            (Some(l), Some(r)) => Point::midpoint(l, r),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => torso_anchor(p, g),
        };
        // Whole shoulder widths: closer wins, small differences tie.
        -((Point::distance(at, usual) / b.shoulder_width_px.max(1.0)).round() as i64)
    };
    people
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let pts = torso_points(p, g);
            let inside = if pts.is_empty() {
                usize::from(g.staff_zone.contains(torso_anchor(p, g)))
            } else {
                pts.iter().filter(|q| g.staff_zone.contains(**q)).count()
            };
            let (counter, facing) = (in_counter_zone(p, g), facing(p, g));
            // At the counter with their back to the camera (the torso in
            // the counter zone, or the hips, for a visitor standing right
            // in front of the clerk): a citizen, even where they hide the
            // clerk. Only a back seen (both shoulders swapped) counts here,
            // not a lost shoulder: a clerk resting the head on the desk
            // loses the face and often a shoulder, and stays the clerk.
            let back_seen = back_turned(p, g) == Some(Back::Seen);
            let visitor = back_seen && (counter || hip_mid(p, g.min_conf).is_some_and(|h| g.counter_zone.contains(h)));
            (inside > 0 && !visitor).then_some((i, inside, !counter, near(p), p.score, facing))
        })
        .max_by(|a, b| (a.2, a.5, a.3, a.1).cmp(&(b.2, b.5, b.3, b.1)).then(a.4.total_cmp(&b.4)))
        .map(|(i, ..)| i)
}

/// Whether a person's box covers a good part of the staff zone (its
/// vertices' bounding box), so that they may hide whoever sits there.
fn covers_staff_zone(p: &Person, g: &Geometry) -> bool {
    let xs = g.staff_zone.0.iter().map(|q| q.x);
    let ys = g.staff_zone.0.iter().map(|q| q.y);
    let (x1, x2) = xs.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let (y1, y2) = ys.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let w = (p.bbox.x2.min(x2) - p.bbox.x1.max(x1)).max(0.0);
    let h = (p.bbox.y2.min(y2) - p.bbox.y1.max(y1)).max(0.0);
    let area = ((x2 - x1) * (y2 - y1)).max(1.0);
    w * h >= 0.3 * area
}

/// Whether a person faces the camera, as a clerk does (a citizen at the
/// counter turns their back): their left shoulder on the image's right.
/// Unknown shoulders count as facing.
fn facing(p: &Person, g: &Geometry) -> bool {
    match (p.confident(kp::LEFT_SHOULDER, g.min_conf), p.confident(kp::RIGHT_SHOULDER, g.min_conf)) {
        (Some(l), Some(r)) => l.x >= r.x,
        _ => true,
    }
}

fn in_counter_zone(p: &Person, g: &Geometry) -> bool {
    g.counter_zone.contains(torso_anchor(p, g))
}

/// The mean of a person's hips seen at `conf` or better.
fn hip_mid(p: &Person, conf: f32) -> Option<Point> {
    let hips: Vec<Point> =
        [kp::LEFT_HIP, kp::RIGHT_HIP].iter().filter_map(|&i| p.confident(i, conf)).map(|k| Point::new(k.x, k.y)).collect();
    (!hips.is_empty()).then(|| {
        Point::new(hips.iter().map(|h| h.x).sum::<f32>() / hips.len() as f32, hips.iter().map(|h| h.y).sum::<f32>() / hips.len() as f32)
    })
}

/// How a person shows the camera their back, if they do.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Back {
    /// Both shoulders seen, in swapped order.
    Seen,
    /// A shoulder lost (a far shoulder flickers below the confidence line)
    /// and no face keypoint seen: weaker evidence.
    Likely,
}

fn back_turned(p: &Person, g: &Geometry) -> Option<Back> {
    let shoulders = [kp::LEFT_SHOULDER, kp::RIGHT_SHOULDER].iter().filter(|&&i| p.confident(i, g.min_conf).is_some()).count();
    if shoulders == 2 {
        return (!facing(p, g)).then_some(Back::Seen);
    }
    (face_points(p, g) == 0).then_some(Back::Likely)
}

/// How many of the nose and eyes are seen.
fn face_points(p: &Person, g: &Geometry) -> usize {
    [kp::NOSE, kp::LEFT_EYE, kp::RIGHT_EYE].iter().filter(|&&i| p.confident(i, g.min_conf).is_some()).count()
}

/// Whether a person with their back to the camera has their hips in the
/// counter zone. On the weaker evidence of a lost shoulder the hips must be
/// seen at [`HIP_CONF`]: a pose model guesses hips hidden by a desk at up
/// to about 0.6, and a guess must not make a seated clerk (or a colleague
/// looking down) a visitor.
fn back_at_counter(p: &Person, g: &Geometry) -> bool {
    let conf = match back_turned(p, g) {
        None => return false,
        Some(Back::Seen) => g.min_conf,
        Some(Back::Likely) => HIP_CONF,
    };
    hip_mid(p, conf).is_some_and(|h| g.counter_zone.contains(h))
}

/// Someone other than the clerk waiting at the counter: the torso in the
/// counter zone, or, for someone with their back to the camera (facing the
/// clerk), the hips. A counter zone drawn on the counter itself holds a
/// standing visitor's hips while their shoulders stand above it, and the
/// desk line (which keeps the clerk's hidden hips out of the torso) says
/// nothing about a visitor in front of the desk. A colleague seated at the
/// next window faces the camera, and their hips do not count. A box with
/// no torso keypoint seen (a coat on a chair, a detector's second box over
/// the clerk) is too little to owe anyone a greeting.
fn at_counter(p: &Person, g: &Geometry) -> bool {
    let torso = torso_points(p, g);
    (!torso.is_empty() && g.counter_zone.contains(anchor_of(p, &torso))) || back_at_counter(p, g)
}

/// A colleague at the next window sits at least this many of the clerk's
/// usual shoulder widths to the side of the clerk's usual place
/// ([`seated_neighbour`]); a visitor stands in front of the clerk.
const NEIGHBOUR_ASIDE: f32 = 2.5;

/// ... with the shoulders within this many usual widths of the clerk's
/// usual seated shoulder height ...
const NEIGHBOUR_LEVEL: f32 = 1.0;

/// ... and at most this many times as wide as the clerk's usual ones: not
/// much nearer the camera than the clerk's own seat.
const NEIGHBOUR_WIDTH: f32 = 2.0;

/// A colleague seated at the next window, not a visitor: facing the camera
/// (both shoulders in the clerk's order, or two face points seen with the
/// shoulders swapped or one shoulder hidden), well to the side of the
/// clerk, with the shoulders at about the clerk's seated height and, both
/// seen, at most twice as wide as the clerk's. From a camera with no roll,
/// people at one depth and one height lie on one image row wherever they
/// sit across the hall, so a neighbour's shoulders fall near the clerk's
/// row; a wide lens set low can put their torso in a counter zone drawn
/// wide. A visitor at the counter stands in front of the clerk and turns
/// their back to the camera. The row and the width alone do not tell a
/// visitor standing nearer the camera from a seated neighbour (the two can
/// share a row); facing and being aside do. Needs the baseline: without
/// one, everyone in the counter zone counts.
fn seated_neighbour(p: &Person, g: &Geometry, baseline: Option<&Baseline>) -> bool {
    let Some(b) = baseline else { return false };
    let usual = b.shoulder_width_px.max(1.0);
    let seen = |i: usize| p.confident(i, g.min_conf).map(|k| Point::new(k.x, k.y));
    let face = face_points(p, g) >= 2;
    // Where the shoulders are, and how far aside they must be: a lone
    // shoulder is measured itself, half a width nearer (either side, so
    // that swapped sides cannot move it a width).
    let (at, aside) = match (seen(kp::LEFT_SHOULDER), seen(kp::RIGHT_SHOULDER)) {
        // Pose models swap the sides of a small person now and then.
        (Some(l), Some(r)) if (l.x >= r.x || face) && Point::distance(l, r) <= NEIGHBOUR_WIDTH * usual => {
            (Point::midpoint(l, r), NEIGHBOUR_ASIDE)
        }
        (Some(one), None) | (None, Some(one)) if face => (one, NEIGHBOUR_ASIDE - 0.5),
        _ => return false,
    };
    (at.y - b.shoulder_px[1]).abs() <= NEIGHBOUR_LEVEL * usual && (at.x - b.shoulder_px[0]).abs() >= aside * usual
}

/// Baseline samples need the face above the shoulder line only from
/// cameras tilted at most this much (degrees): the range the simulator
/// measured ([`super::baseline::MEASURED_TILT`]).
const FACE_ABOVE_SHOULDERS_MAX_TILT: f32 = super::baseline::MEASURED_TILT.1;

/// Without a baseline, hips seen above the desk line mean standing only
/// with the shoulders more than this many shoulder widths above it. A
/// standing clerk's shoulders are about 1.6 shoulder widths above the desk
/// top, which a camera tilted 45° foreshortens to about 1.1; a seated
/// clerk's about 0.75.
const HIPS_STANDING_RISE: f32 = 1.0;

/// Sitting or standing before the clerk's baseline is learnt. With a desk
/// line: hips seen above it with the shoulders more than
/// [`HIPS_STANDING_RISE`] above it, or shoulders more than 1.6 shoulder
/// widths above it, mean standing. Without one, confidently seen thighs
/// decide: near vertical and long means standing.
fn posture_without_baseline(sw: f32, hips: Option<Point>, rise: Option<f32>, p: &Person, g: &Geometry) -> Option<Posture> {
    if let Some(rise) = rise {
        if hips.is_some() && rise > HIPS_STANDING_RISE {
            // Hips above the desk top, and the shoulders well above it:
            // standing. A steep camera close to the desk sees a seated
            // clerk's hips over the desk's front edge, so hips alone do not
            // tell.
            return Some(Posture::Standing);
        }
        return Some(if rise > 1.6 { Posture::Standing } else { Posture::Sitting });
    }
    let leg = |hip: usize, knee: usize| {
        let h = p.confident(hip, g.min_leg_conf)?;
        let k = p.confident(knee, g.min_leg_conf)?;
        let len = ((k.x - h.x).powi(2) + (k.y - h.y).powi(2)).sqrt() / sw;
        Some((((k.y - h.y) / ((k.x - h.x).abs() + 1e-3)).atan().to_degrees(), len))
    };
    match (leg(kp::LEFT_HIP, LEFT_KNEE), leg(kp::RIGHT_HIP, RIGHT_KNEE)) {
        (Some((a, la)), Some((b, lb))) => Some(if a.min(b) > 60.0 && la.min(lb) > 0.9 { Posture::Standing } else { Posture::Sitting }),
        // No desk line and no legs: the torso alone cannot tell.
        _ => None,
    }
}

/// Crossed legs, judged only when both knees and both ankles are seen with
/// at least `min_leg_conf` (and above the desk line, if any: below it the
/// model guesses). Crossed when the ankles' left-right order is the reverse
/// of the knees' or hips', or one ankle rests by the other knee.
fn legs_crossed(p: &Person, sw: f32, g: &Geometry) -> Option<bool> {
    let c = |i: usize| p.confident(i, g.min_leg_conf);
    let (lk, rk, la, ra) = (c(LEFT_KNEE)?, c(RIGHT_KNEE)?, c(LEFT_ANKLE)?, c(RIGHT_ANKLE)?);
    let side = |l: f32, r: f32| (l - r).signum();
    let hips_side = match (p.confident(kp::LEFT_HIP, g.min_conf), p.confident(kp::RIGHT_HIP, g.min_conf)) {
        (Some(lh), Some(rh)) => side(lh.x, rh.x),
        _ => side(lk.x, rk.x),
    };
    let ankles_swapped = side(la.x, ra.x) != hips_side && (la.x - ra.x).abs() > 0.15 * sw;
    let knees_swapped = side(lk.x, rk.x) != hips_side && (lk.x - rk.x).abs() > 0.15 * sw;
    let near = |a: crate::vision::Keypoint, k: crate::vision::Keypoint| ((a.x - k.x).powi(2) + (a.y - k.y).powi(2)).sqrt() < 0.45 * sw;
    let ankle_on_knee = near(la, rk) || near(ra, lk);
    let knee_over_knee = (lk.y - rk.y).abs() > 0.25 * sw && (lk.x - rk.x).abs() < 0.35 * sw;
    Some(ankles_swapped || knees_swapped || ankle_on_knee || knee_over_knee)
}

#[cfg(test)]
#[path = "observe/tests.rs"]
mod tests;
