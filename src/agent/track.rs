//! Following the clerk between detections. The staff zone holds one clerk,
//! who moves little: once a detection has found them (and the rules have
//! taken them for the clerk), the single-person pose model runs on their
//! box, moved along with them, and the person detector runs again only
//! every `redetect_s` (people at the counter come and go; in between they
//! are taken from the last detection) or as soon as the clerk is lost.
//! Pure: the models come in through the step, time with the frames.

use chrono::{DateTime, FixedOffset};

use crate::geometry::BBox;
use crate::vision::Person;
use crate::vision::person::kp;

/// Settings (`liyi run --redetect-s`, `--no-track`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackOptions {
    /// The person detector runs at least this often while the clerk is
    /// followed.
    pub redetect_s: f64,
}

impl Default for TrackOptions {
    fn default() -> Self {
        TrackOptions { redetect_s: 2.0 }
    }
}

/// The head and shoulders: what a followed clerk must keep in view.
const UPPER: [usize; 7] = [kp::NOSE, kp::LEFT_EYE, kp::RIGHT_EYE, kp::LEFT_EAR, kp::RIGHT_EAR, kp::LEFT_SHOULDER, kp::RIGHT_SHOULDER];
/// At least this many of them, one a shoulder.
const MIN_UPPER: usize = 3;
/// Between two analysed frames the clerk's points may move at most this
/// share of their box's width or height; a larger jump is a different
/// person or a wrong pose, and the detector looks again.
const MAX_STEP: f32 = 0.5;

/// What the step should run on this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plan {
    /// The person detector, then pose for everyone it finds.
    Detect,
    /// Pose on the followed clerk's box only.
    Follow { bbox: BBox, score: f32 },
}

/// One window's clerk, followed.
#[derive(Debug, Clone)]
pub struct ClerkTrack {
    options: TrackOptions,
    held: Option<Held>,
    /// When the clerk was last lost: no new follow starts before the next
    /// detection is due, so a clerk at the edge of holding does not cost a
    /// failed follow and a detection on every frame.
    lost: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone)]
struct Held {
    /// The clerk's last pose; its box is the detector's, moved along.
    clerk: Person,
    /// Everyone else the last detection found.
    others: Vec<Person>,
    detected: DateTime<FixedOffset>,
}

impl ClerkTrack {
    pub fn new(options: TrackOptions) -> ClerkTrack {
        ClerkTrack { options, held: None, lost: None }
    }

    /// Until when the people of a followed frame may stand for the scene:
    /// the others in them come from the detection, which is due again then
    /// (`None` while nothing is followed).
    pub fn fresh_until(&self) -> Option<DateTime<FixedOffset>> {
        self.held.as_ref().map(|h| h.detected + self.redetect())
    }

    /// How long a detection stands.
    fn redetect(&self) -> chrono::Duration {
        chrono::Duration::milliseconds((self.options.redetect_s * 1000.0) as i64)
    }

    /// Whether a clerk is being followed.
    pub fn is_following(&self) -> bool {
        self.held.is_some()
    }

    /// Follow the clerk while the last detection is recent (and not in the
    /// future: a clock that went back detects).
    pub fn plan(&self, ts: DateTime<FixedOffset>) -> Plan {
        match &self.held {
            Some(h) if (h.detected..h.detected + self.redetect()).contains(&ts) => {
                Plan::Follow { bbox: h.clerk.bbox, score: h.clerk.score }
            }
            _ => Plan::Detect,
        }
    }

    /// This frame's people and whether the detector found them: the
    /// followed clerk's pose (`pose_at` on their box) while that holds,
    /// else `detect`. A failed `pose_at` loses the clerk and detects.
    pub fn people<E>(
        &mut self,
        ts: DateTime<FixedOffset>,
        min_conf: f32,
        pose_at: impl FnOnce(BBox, f32) -> Result<Option<Person>, E>,
        detect: impl FnOnce() -> Result<Vec<Person>, E>,
    ) -> Result<(Vec<Person>, bool), E> {
        if let Plan::Follow { bbox, score } = self.plan(ts) {
            let pose = pose_at(bbox, score).ok().flatten();
            if let Some(people) = self.followed(pose, min_conf) {
                return Ok((people, false));
            }
            self.lost = Some(ts);
        }
        Ok((detect()?, true))
    }

    /// The frame's people after following: the clerk's new pose first,
    /// then the others of the last detection. `None` when there is no pose,
    /// it does not hold (too few head and shoulder points at `min_conf`) or
    /// it jumped: the clerk is lost and the detector must look.
    pub fn followed(&mut self, pose: Option<Person>, min_conf: f32) -> Option<Vec<Person>> {
        let held = self.held.as_mut()?;
        let moved = pose.filter(|p| holds(p, min_conf)).and_then(|p| {
            let (dx, dy) = shift(&held.clerk, &p, min_conf)?;
            let b = held.clerk.bbox;
            (dx.abs() <= MAX_STEP * b.width() && dy.abs() <= MAX_STEP * b.height())
                .then(|| Person { bbox: BBox::new(b.x1 + dx, b.y1 + dy, b.x2 + dx, b.y2 + dy), ..p })
        });
        let Some(clerk) = moved else {
            self.held = None;
            return None;
        };
        held.clerk = clerk.clone();
        Some(std::iter::once(clerk).chain(held.others.iter().cloned()).collect())
    }

    /// What the rules made of an inferred frame. After a detection, the
    /// clerk they chose (if their pose holds) is followed from now on;
    /// after following, a followed person the rules did not take for the
    /// clerk (index 0) ends it.
    pub fn judged(&mut self, ts: DateTime<FixedOffset>, people: &[Person], clerk: Option<usize>, detected: bool, min_conf: f32) {
        if detected {
            if self.lost.is_some_and(|l| (l..l + self.redetect()).contains(&ts)) {
                self.held = None;
                return;
            }
            self.lost = None;
            self.held = clerk.and_then(|i| Some((i, people.get(i)?))).filter(|(_, p)| holds(p, min_conf)).map(|(i, p)| Held {
                clerk: p.clone(),
                others: people.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, q)| q.clone()).collect(),
                detected: ts,
            });
        } else if clerk != Some(0) {
            self.held = None;
        }
    }

    /// Forget the clerk (the zones changed).
    pub fn reset(&mut self) {
        self.held = None;
        self.lost = None;
    }
}

/// Enough of the head and shoulders in view, one shoulder among them, in a
/// box that can be cropped.
fn holds(p: &Person, min_conf: f32) -> bool {
    let b = p.bbox;
    if ![b.x1, b.y1, b.x2, b.y2].iter().all(|v| v.is_finite()) || b.width() <= 0.0 || b.height() <= 0.0 {
        return false;
    }
    let seen = UPPER.iter().filter(|&&i| p.confident(i, min_conf).is_some()).count();
    let shoulder = [kp::LEFT_SHOULDER, kp::RIGHT_SHOULDER].iter().any(|&i| p.confident(i, min_conf).is_some());
    seen >= MIN_UPPER && shoulder
}

/// How far the head and shoulder points seen in both poses moved, on
/// average (hands handing papers over do not drag the box); `None` with no
/// point in common.
fn shift(before: &Person, after: &Person, min_conf: f32) -> Option<(f32, f32)> {
    let (mut dx, mut dy, mut n) = (0.0, 0.0, 0u32);
    for i in UPPER {
        if let (Some(a), Some(b)) = (before.confident(i, min_conf), after.confident(i, min_conf)) {
            dx += b.x - a.x;
            dy += b.y - a.y;
            n += 1;
        }
    }
    (n > 0).then(|| (dx / n as f32, dy / n as f32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::person::{COCO_KEYPOINTS, Keypoint};

    fn at(s: f64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap() + chrono::Duration::milliseconds((s * 1000.0) as i64)
    }

    /// A person whose upper body is seen at `conf`, offset by `dx`.
    fn person(dx: f32, conf: f32) -> Person {
        let mut keypoints = vec![Keypoint::new(0.0, 0.0, 0.1); COCO_KEYPOINTS];
        for (k, i) in UPPER.iter().enumerate() {
            keypoints[*i] = Keypoint::new(100.0 + dx + 5.0 * k as f32, 50.0 + 3.0 * k as f32, conf);
        }
        Person { bbox: BBox::new(80.0 + dx, 30.0, 160.0 + dx, 200.0), score: 0.8, keypoints, landmarks: None, presence: None }
    }

    fn citizen() -> Person {
        Person { bbox: BBox::new(300.0, 40.0, 380.0, 220.0), ..person(200.0, 0.9) }
    }

    #[test]
    fn a_detected_clerk_is_followed_until_the_next_detection_is_due() {
        let mut t = ClerkTrack::new(TrackOptions { redetect_s: 2.0 });
        assert_eq!(t.plan(at(0.0)), Plan::Detect);
        t.judged(at(0.0), &[citizen(), person(0.0, 0.9)], Some(1), true, 0.5);
        let Plan::Follow { bbox, score } = t.plan(at(0.5)) else { panic!("should follow") };
        assert_eq!((bbox, score), (person(0.0, 0.9).bbox, 0.8));
        // The clerk moved 10 px: the box moves with them, the citizen comes
        // from the detection, after the clerk.
        let people = t.followed(Some(person(10.0, 0.9)), 0.5).expect("holds");
        assert_eq!(people.len(), 2);
        assert_eq!(people[0].bbox, BBox::new(90.0, 30.0, 170.0, 200.0));
        assert_eq!(people[1].bbox, citizen().bbox);
        t.judged(at(0.5), &people, Some(0), false, 0.5);
        assert!(matches!(t.plan(at(1.9)), Plan::Follow { .. }));
        assert_eq!(t.plan(at(2.0)), Plan::Detect, "the detector looks again every redetect_s");
        assert_eq!(t.plan(at(-1.0)), Plan::Detect, "a clock that went back detects");
    }

    #[test]
    fn a_pose_that_fades_or_jumps_loses_the_clerk() {
        let mut t = ClerkTrack::new(TrackOptions::default());
        t.judged(at(0.0), &[person(0.0, 0.9)], Some(0), true, 0.5);
        assert!(t.followed(Some(person(0.0, 0.3)), 0.5).is_none(), "head and shoulders below min_conf");
        assert_eq!(t.plan(at(0.5)), Plan::Detect);

        t.judged(at(1.0), &[person(0.0, 0.9)], Some(0), true, 0.5);
        assert!(t.followed(Some(person(60.0, 0.9)), 0.5).is_none(), "60 px in a box 80 px wide is a jump");
        assert!(!t.is_following());

        t.judged(at(2.0), &[person(0.0, 0.9)], Some(0), true, 0.5);
        assert!(t.followed(None, 0.5).is_none(), "no pose (BlazePose saw nobody)");
        assert!(!t.is_following());
    }

    #[test]
    fn nothing_is_followed_that_the_rules_did_not_take_for_the_clerk() {
        let mut t = ClerkTrack::new(TrackOptions::default());
        t.judged(at(0.0), &[citizen()], None, true, 0.5);
        assert!(!t.is_following(), "no clerk in the detection");
        t.judged(at(0.0), &[person(0.0, 0.3)], Some(0), true, 0.5);
        assert!(!t.is_following(), "a clerk too faint to follow");
        t.judged(at(0.0), &[person(0.0, 0.9)], Some(0), true, 0.5);
        let people = t.followed(Some(person(2.0, 0.9)), 0.5).unwrap();
        t.judged(at(0.5), &people, None, false, 0.5);
        assert!(!t.is_following(), "the rules no longer see the followed person as the clerk");
        t.judged(at(0.0), &[person(0.0, 0.9)], Some(0), true, 0.5);
        t.reset();
        assert_eq!(t.plan(at(0.5)), Plan::Detect);
    }

    /// A clerk lost while followed is not followed again before the next
    /// detection is due: no failed follow plus detection on every frame.
    #[test]
    fn after_a_loss_the_detector_alone_looks_until_the_next_detection_is_due() {
        let mut t = ClerkTrack::new(TrackOptions { redetect_s: 2.0 });
        let detect = || Ok::<_, ()>(vec![person(0.0, 0.9)]);
        let (people, detected) = t.people(at(0.0), 0.5, |_, _| Ok(None), detect).unwrap();
        assert!(detected);
        t.judged(at(0.0), &people, Some(0), true, 0.5);
        let (people, detected) = t.people(at(0.5), 0.5, |_, _| Ok(Some(person(0.0, 0.1))), detect).unwrap();
        assert!(detected, "the faint pose lost the clerk; the detector looked");
        t.judged(at(0.5), &people, Some(0), true, 0.5);
        assert!(!t.is_following(), "not followed again within 2 s of the loss");
        let (_, detected) = t.people(at(1.0), 0.5, |_, _| panic!("no follow"), detect).unwrap();
        assert!(detected);
        t.judged(at(2.5), &people, Some(0), true, 0.5);
        assert!(t.is_following(), "followed again once the next detection is due");
        assert_eq!(t.fresh_until(), Some(at(4.5)));
        let (_, detected) = t.people(at(3.0), 0.5, |_, _| Err(()), detect).unwrap();
        assert!(detected, "a failing pose model falls back to the detector");
    }

    /// Whatever poses and times come in (NaN points, clocks that jump
    /// either way, faint or wild poses), the detector is never skipped for
    /// longer than `redetect_s` after the detection that found the clerk,
    /// and a followed clerk's box keeps the detector's size.
    mod properties {
        use proptest::prelude::*;

        use super::*;

        #[derive(Debug, Clone)]
        enum Op {
            Detect { at_ms: i64, conf: f32, clerk: bool },
            Follow { at_ms: i64, dx: f32, conf: f32, nan: bool, none: bool },
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                (-5_000i64..20_000, 0.0f32..1.0, any::<bool>()).prop_map(|(at_ms, conf, clerk)| Op::Detect { at_ms, conf, clerk }),
                (-5_000i64..20_000, -200.0f32..200.0, 0.0f32..1.0, any::<bool>(), any::<bool>())
                    .prop_map(|(at_ms, dx, conf, nan, none)| Op::Follow { at_ms, dx, conf, nan, none }),
            ]
        }

        proptest! {
            #[test]
            fn the_detector_is_never_skipped_for_long(ops in proptest::collection::vec(op(), 1..60), redetect_s in 0.1f64..10.0) {
                let mut t = ClerkTrack::new(TrackOptions { redetect_s });
                // When the clerk now followed was detected, and their box's size then.
                let mut found: Option<(f64, f32, f32)> = None;
                for o in ops {
                    match o {
                        Op::Detect { at_ms, conf, clerk } => {
                            let p = person(0.0, conf);
                            t.judged(at(at_ms as f64 / 1000.0), &[citizen(), p.clone()], clerk.then_some(1), true, 0.5);
                            found = t.is_following().then(|| (at_ms as f64 / 1000.0, p.bbox.width(), p.bbox.height()));
                        }
                        Op::Follow { at_ms, dx, conf, nan, none } => {
                            let now = at_ms as f64 / 1000.0;
                            match t.plan(at(now)) {
                                Plan::Follow { bbox, .. } => {
                                    let (since, w, h) = found.expect("following only after a detection that found the clerk");
                                    prop_assert!((0.0..redetect_s).contains(&(now - since)));
                                    prop_assert!((bbox.width() - w).abs() < 1e-3 && (bbox.height() - h).abs() < 1e-3);
                                    let mut p = person(dx, conf);
                                    if nan {
                                        p.keypoints[kp::NOSE].x = f32::NAN;
                                    }
                                    match t.followed((!none).then_some(p), 0.5) {
                                        Some(people) => {
                                            prop_assert_eq!(people.len(), 2);
                                            prop_assert!(people[0].bbox.x1.is_finite());
                                        }
                                        None => found = None,
                                    }
                                }
                                Plan::Detect => {}
                            }
                        }
                    }
                    if !t.is_following() {
                        found = None;
                    }
                }
            }
        }
    }
}
