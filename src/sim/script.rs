//! Random scenario scripts: a working hour of one clerk, drawn from a seed.
//!
//! A script is mostly upright work in its busy forms (typing, writing,
//! leaning back, turning aside), broken by episodes drawn at random:
//! violations of every rule in every form, decoys (the same behaviours kept
//! short), citizens who are greeted in time or not, errands and absences.
//! Every violation lasts at least twice its rule's tolerance and every decoy
//! at most half of it, and upright spells of at least 40 s separate episodes,
//! so the ground truth ([`super::truth`]) is never ambiguous.

use super::noise::Rng;
use super::scenario::{BusyForm, Clerk, HeadForm, Scenario, SlouchForm};

const WORK_FORMS: [BusyForm; 4] = [BusyForm::Typing, BusyForm::Writing, BusyForm::LeaningBack, BusyForm::TurnedAside];
const SLOUCH_FORMS: [SlouchForm; 6] = [
    SlouchForm::Hunch,
    SlouchForm::RoundedBack,
    SlouchForm::ForwardLean,
    SlouchForm::SlidDown,
    SlouchForm::ElbowLean,
    SlouchForm::NeckBend,
];
const HEAD_FORMS: [HeadForm; 4] = [HeadForm::FoldedArms, HeadForm::OneArm, HeadForm::HandProp, HeadForm::Forehead];

fn pick<T: Copy>(rng: &mut Rng, xs: &[T]) -> T {
    xs[(rng.next_u64() % xs.len() as u64) as usize]
}

/// A slouch of `form` with angles drawn from the form's range.
pub fn slouch(rng: &mut Rng, form: SlouchForm) -> Clerk {
    let (trunk_deg, neck_deg) = match form {
        SlouchForm::Hunch => (rng.range(30.0, 45.0), rng.range(5.0, 20.0)),
        SlouchForm::RoundedBack => (rng.range(28.0, 40.0), rng.range(15.0, 30.0)),
        SlouchForm::ForwardLean => (rng.range(30.0, 45.0), rng.range(-15.0, 10.0)),
        SlouchForm::SlidDown => (0.0, rng.range(15.0, 30.0)),
        SlouchForm::ElbowLean => (rng.range(25.0, 40.0), rng.range(-5.0, 15.0)),
        SlouchForm::NeckBend => (0.0, rng.range(38.0, 55.0)),
    };
    Clerk::Slouch { trunk_deg, neck_deg, form }
}

/// Upright work, one of the busy forms or plain.
fn work(rng: &mut Rng) -> Clerk {
    if rng.chance(0.35) { Clerk::Upright } else { Clerk::Busy { form: pick(rng, &WORK_FORMS) } }
}

struct Builder<'a> {
    rng: &'a mut Rng,
    sc: Scenario,
    t: f32,
}

impl Builder<'_> {
    fn add(&mut self, secs: f32, clerk: Clerk, citizen: bool) {
        self.sc.segments.push(super::scenario::Segment { secs, clerk, citizen });
        self.t += secs;
    }

    /// An upright spell of about `secs`, in one to three work forms.
    fn upright(&mut self, secs: f32) {
        let parts = 1 + (self.rng.next_u64() % 3) as usize;
        for _ in 0..parts {
            let c = work(self.rng);
            self.add(secs / parts as f32, c, false);
        }
    }

    fn episode(&mut self) {
        let segs = episode(self.rng);
        for (secs, clerk, citizen) in segs {
            self.add(secs, clerk, citizen);
        }
    }
}

/// One episode's segments: `(seconds, clerk, citizen at the counter)`.
fn episode(rng: &mut Rng) -> Vec<(f32, Clerk, bool)> {
    let mut out = Vec::new();
    let mut push = |secs: f32, clerk: Clerk, citizen: bool| out.push((secs, clerk, citizen));
    {
        let r = rng.uniform();
        match r {
            // A long slouch, sometimes in two forms back to back.
            r if r < 0.16 => {
                let first = pick(rng, &SLOUCH_FORMS);
                let a = slouch(rng, first);
                let secs = rng.range(70.0, 280.0);
                if rng.chance(0.25) {
                    let second = pick(rng, &SLOUCH_FORMS);
                    let b = slouch(rng, second);
                    push(secs * 0.5, a, false);
                    push(secs * 0.5, b, false);
                } else {
                    push(secs, a, false);
                }
            }
            // Asleep on the desk.
            r if r < 0.28 => {
                let c = Clerk::HeadOnDesk { form: pick(rng, &HEAD_FORMS), trunk_deg: rng.range(40.0, 70.0) };
                let secs = rng.range(70.0, 420.0);
                push(secs, c, false);
            }
            // Decoys: a lapse kept short.
            r if r < 0.52 => {
                let c = match rng.next_u64() % 7 {
                    0 => Clerk::PickUp,
                    1 => Clerk::Busy { form: BusyForm::LookingDown },
                    2 => {
                        let f = pick(rng, &SLOUCH_FORMS);
                        slouch(rng, f)
                    }
                    3 => Clerk::HeadOnDesk { form: pick(rng, &HEAD_FORMS), trunk_deg: rng.range(40.0, 70.0) },
                    4 => Clerk::CrossedLegs { right_over_left: rng.chance(0.5) },
                    5 => Clerk::Standing,
                    _ => Clerk::Away,
                };
                let secs = match c {
                    Clerk::Away => rng.range(15.0, 55.0),
                    Clerk::Standing => rng.range(10.0, 40.0),
                    _ => rng.range(5.0, 14.0),
                };
                push(secs, c, false);
            }
            // A long absence.
            r if r < 0.58 => {
                let secs = rng.range(250.0, 600.0);
                push(secs, Clerk::Away, false);
            }
            // Legs crossed for a while (unobservable behind a closed desk).
            r if r < 0.66 => {
                let c = Clerk::CrossedLegs { right_over_left: rng.chance(0.5) };
                let secs = rng.range(70.0, 300.0);
                push(secs, c, false);
            }
            // A citizen: greeted within 2–7 s, or kept waiting seated.
            _ => {
                let greet = rng.chance(0.7);
                let seated = work(rng);
                if greet {
                    let (wait, stand, rest) = (rng.range(2.0, 7.0), rng.range(10.0, 40.0), rng.range(30.0, 200.0));
                    let after = work(rng);
                    push(wait, seated, true);
                    push(stand, Clerk::Standing, true);
                    push(rest, after, true);
                } else {
                    let wait = rng.range(45.0, 150.0);
                    push(wait, seated, true);
                    if rng.chance(0.5) {
                        let stand = rng.range(10.0, 30.0);
                        push(stand, Clerk::Standing, true);
                    }
                }
            }
        }
    }
    out
}

/// A random script of about `minutes` minutes. Deterministic for the
/// generator's state; always passes [`super::truth::validate`].
pub fn random_script(rng: &mut Rng, name: &str, minutes: f32, legs_visible: bool) -> Scenario {
    let total = minutes * 60.0;
    let sc = Scenario::new(name, "random working hour").with_legs_visible(legs_visible);
    let mut b = Builder { rng, sc, t: 0.0 };
    let first = b.rng.range(90.0, 240.0);
    b.upright(first);
    while b.t < total - 60.0 {
        b.episode();
        let gap = b.rng.range(40.0, 200.0);
        b.upright(gap);
    }
    b.sc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Activity;
    use crate::sim::truth::{truth_events, validate};

    #[test]
    fn scripts_are_unambiguous_and_cover_every_rule_and_form() {
        let mut rng = Rng::new(11);
        let mut rules = std::collections::BTreeSet::new();
        let mut forms = std::collections::BTreeSet::new();
        for i in 0..60 {
            let sc = random_script(&mut rng, &format!("s{i}"), 60.0, i % 3 == 0);
            validate(&sc).unwrap_or_else(|e| panic!("script {i}: {e:?}"));
            assert!((3540.0..4500.0).contains(&sc.duration_secs()), "{}", sc.duration_secs());
            let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
            for e in truth_events(&sc, start, false) {
                rules.insert(e.rule.clone());
                forms.insert(e.form.clone());
            }
            assert!(sc.activity_runs().iter().any(|r| r.0 == Activity::Upright));
        }
        assert_eq!(rules.len(), 5, "{rules:?}");
        for f in ["rounded_back", "forward_lean", "slid_down", "elbow_lean", "neck_bend", "folded_arms", "one_arm", "hand_prop", "forehead"]
        {
            assert!(forms.contains(f), "no {f} in {forms:?}");
        }
    }
}
