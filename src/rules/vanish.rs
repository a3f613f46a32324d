//! How the clerk went out of sight. A clerk who leaves gets up and walks
//! off: the frames around the vanish show them standing or rising, or show
//! a person walking away who is not matched as the clerk any more. A clerk
//! who lowers the head behind a monitor or a stack of files vanishes in
//! place: nobody rises and nobody walks off. That is not an absence: until
//! the clerk is seen again, or for at most [`SUNK_UNKNOWN_MS`], absence is
//! unknown rather than seen.
//!
//! Pure: fed one frame at a time with the frame's timestamp.

use chrono::{DateTime, FixedOffset};

use super::observe::{Observation, Posture};

type Ts = DateTime<FixedOffset>;

/// How far back from the last sighting a rise counts, and how soon after
/// it a vanish must follow to be judged by it.
const LOOKBACK_MS: i64 = 8_000;
/// The shoulders risen past where sitting is sure: getting up (leaning
/// back raises them too, but less).
const SHOULDERS_RISEN: f32 = super::posture::SIT_RISE;
/// How long after a vanish a person walking off is looked for. Until then
/// the clerk counts as gone, so that a real absence's tolerance starts on
/// time.
const WALK_OFF_MS: i64 = 3_000;
/// The longest a clerk who vanished in place counts as possibly still
/// there, out of sight. Past it, not seen is absent again.
pub const SUNK_UNKNOWN_MS: i64 = 600_000;

/// What the tracker knows about the clerk's whereabouts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum State {
    /// Not seen, and nothing says they are still there.
    #[default]
    Gone,
    /// Last seen `at`, with `others` people besides them; last rose at
    /// `rose_at` (since they were last out of sight).
    Seen { at: Ts, others: usize, rose_at: Option<Ts> },
    /// Vanished at `since` without rising; watching for someone walking off.
    Watching { since: Ts, others: usize },
    /// Vanished in place at `since`: possibly still there, out of sight.
    InPlace { since: Ts },
}

/// Tracks when the clerk last rose, and how the clerk went out of sight.
#[derive(Debug, Default)]
pub struct Vanish {
    state: State,
}

impl Vanish {
    /// Whether the clerk vanished in place and may still be there.
    pub fn in_place(&self) -> bool {
        matches!(self.state, State::InPlace { .. })
    }

    /// Feeds one frame's observation; returns whether the clerk, not seen
    /// now, may be sitting out of sight (absence unknown).
    pub fn push(&mut self, ts: Ts, obs: &Observation) -> bool {
        if obs.present {
            // Sat at the seat further back is risen against the desk, not
            // getting up.
            let rose =
                obs.posture == Some(Posture::Standing) || (!obs.back_seat && obs.measures.is_some_and(|m| m.drop <= -SHOULDERS_RISEN));
            let earlier = match self.state {
                State::Seen { rose_at, .. } => rose_at,
                _ => None,
            };
            self.state = State::Seen { at: ts, others: obs.people.saturating_sub(1), rose_at: if rose { Some(ts) } else { earlier } };
            return false;
        }
        if let State::Seen { at, others, rose_at } = self.state {
            let within = |a: Ts, b: Ts| (b - a).num_milliseconds() <= LOOKBACK_MS;
            let rose = rose_at.is_some_and(|r| within(r, at));
            self.state = if within(at, ts) && !rose { State::Watching { since: ts, others } } else { State::Gone };
        }
        match self.state {
            State::Watching { since, others } => {
                if obs.people > others {
                    // Someone more than before, not matched as the clerk:
                    // the clerk walking off.
                    self.state = State::Gone;
                } else if (ts - since).num_milliseconds() >= WALK_OFF_MS {
                    self.state = State::InPlace { since };
                    return true;
                }
                false
            }
            State::InPlace { since } if (ts - since).num_milliseconds() < SUNK_UNKNOWN_MS => true,
            State::InPlace { .. } => {
                self.state = State::Gone;
                false
            }
            State::Gone | State::Seen { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::posture::Measures;

    fn at(s: f64) -> Ts {
        DateTime::parse_from_rfc3339("2026-03-02T10:00:00+08:00").unwrap() + chrono::Duration::milliseconds((s * 1000.0) as i64)
    }

    fn seen(drop: f32, posture: Posture, people: usize) -> Observation {
        let m = Measures { drop, ..Measures::default() };
        Observation { present: true, posture: Some(posture), measures: Some(m), people, ..Observation::absent(false) }
    }

    fn nobody(people: usize) -> Observation {
        Observation { people, ..Observation::absent(false) }
    }

    /// Seated for 10 s at 2 frames a second, with `people` in the frame.
    fn seated(v: &mut Vanish, people: usize) {
        for i in 0..20 {
            assert!(!v.push(at(f64::from(i) * 0.5), &seen(0.02, Posture::Sitting, people)));
        }
    }

    #[test]
    fn a_clerk_vanishing_in_place_is_not_yet_absent() {
        let mut v = Vanish::default();
        seated(&mut v, 1);
        // Counted gone while someone walking off may still show up.
        assert!(!v.push(at(10.0), &nobody(0)));
        assert!(!v.push(at(12.5), &nobody(0)));
        assert!(v.push(at(13.0), &nobody(0)));
        assert!(v.push(at(300.0), &nobody(0)));
        // Bounded: past the limit, a clerk still unseen is gone.
        assert!(!v.push(at(10.0 + SUNK_UNKNOWN_MS as f64 / 1000.0), &nobody(0)));
        assert!(!v.push(at(900.0), &nobody(0)));
    }

    #[test]
    fn a_clerk_sat_back_at_the_seat_further_back_has_not_risen() {
        // The desk is the baseline: sat back, the shoulders read 0.6 risen.
        let mut v = Vanish::default();
        for i in 0..20 {
            let back = Observation { back_seat: true, ..seen(-0.6, Posture::Sitting, 1) };
            assert!(!v.push(at(f64::from(i) * 0.5), &back));
        }
        assert!(!v.push(at(10.0), &nobody(0)));
        assert!(v.push(at(13.0), &nobody(0)), "vanished in place, not got up");
        // Without the seat, that rise is getting up.
        let mut v = Vanish::default();
        for i in 0..20 {
            assert!(!v.push(at(f64::from(i) * 0.5), &seen(-0.6, Posture::Sitting, 1)));
        }
        assert!(!v.push(at(10.0), &nobody(0)));
        assert!(!v.push(at(13.0), &nobody(0)));
    }

    #[test]
    fn a_clerk_seen_walking_off_has_left() {
        let mut v = Vanish::default();
        seated(&mut v, 2);
        // The citizen stays; one more person than the citizen is the clerk
        // walking away, no longer in the staff zone.
        assert!(!v.push(at(10.0), &nobody(1)));
        assert!(!v.push(at(10.5), &nobody(2)));
        for t in [11.0, 20.0, 200.0] {
            assert!(!v.push(at(t), &nobody(1)));
        }
    }

    #[test]
    fn a_clerk_who_rose_first_has_left() {
        let mut v = Vanish::default();
        seated(&mut v, 1);
        v.push(at(10.0), &seen(-0.45, Posture::Sitting, 1));
        for t in [10.5, 14.0, 60.0] {
            assert!(!v.push(at(t), &nobody(0)));
        }
        let mut v = Vanish::default();
        seated(&mut v, 1);
        v.push(at(10.0), &seen(-0.8, Posture::Standing, 1));
        assert!(!v.push(at(14.0), &nobody(0)));
    }

    #[test]
    fn being_seen_again_ends_the_doubt() {
        let mut v = Vanish::default();
        seated(&mut v, 1);
        assert!(!v.push(at(14.0), &nobody(0)));
        assert!(v.push(at(17.0), &nobody(0)));
        assert!(!v.push(at(20.0), &seen(0.0, Posture::Sitting, 1)));
        // Then standing up and walking off: gone.
        assert!(!v.push(at(20.5), &seen(-0.8, Posture::Standing, 1)));
        assert!(!v.push(at(25.0), &nobody(0)));
    }

    #[test]
    fn never_seen_or_seen_long_ago_is_gone() {
        let mut v = Vanish::default();
        assert!(!v.push(at(0.0), &nobody(0)));
        assert!(!v.push(at(100.0), &nobody(0)));
        let mut v = Vanish::default();
        v.push(at(0.0), &seen(0.0, Posture::Sitting, 1));
        // Frames missing for a minute (a dropped stream), then nobody.
        assert!(!v.push(at(60.0), &nobody(0)));
        assert!(!v.push(at(70.0), &nobody(0)));
    }
}
