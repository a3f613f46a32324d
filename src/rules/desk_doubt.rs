//! Whether a window's desk line can tell sitting from standing. Before the
//! clerk's baseline exists, sitting and standing come from the desk line
//! alone. A line drawn where no desk hides the clerk (the edge of a side
//! desk in an L-shaped post, drawn below the clerk's hips) calls a seated
//! clerk standing, and then no baseline is ever learnt. A clerk at a seated
//! window does not stand for most of a quarter of an hour, so a line that
//! says so is doubted: from then on the rules learn the baseline without
//! it, and `liyi doctor` and `/status` say to redraw it. Pure: time comes
//! from the frames.

use chrono::{DateTime, FixedOffset};

use super::observe::Posture;

type Ts = DateTime<FixedOffset>;

/// Seconds of the clerk seen (sitting or standing, by the desk line)
/// before the line's verdicts are weighed.
pub const DOUBT_AFTER_S: f64 = 900.0;
/// The share of that time called standing above which the line is doubted.
pub const DOUBT_STANDING_SHARE: f64 = 0.85;
/// Time between frames counted at most (longer gaps are unobserved).
const MAX_STEP_S: f64 = 3.0;

#[derive(Debug, Clone, Default)]
pub struct DeskDoubt {
    seen_s: f64,
    standing_s: f64,
    last: Option<Ts>,
    doubted: bool,
}

impl DeskDoubt {
    /// Whether the desk line is doubted (for good, until it is redrawn).
    pub fn doubted(&self) -> bool {
        self.doubted
    }

    /// Counts one frame's verdict from the desk line alone: `posture` of a
    /// present clerk with no baseline yet (`None` when the frame said
    /// nothing, or the baseline decided).
    pub fn push(&mut self, ts: Ts, posture: Option<Posture>) {
        let step = self.last.map_or(0.0, |l| ((ts - l).num_milliseconds() as f64 / 1000.0).clamp(0.0, MAX_STEP_S));
        self.last = Some(ts);
        if self.doubted {
            return;
        }
        let Some(posture) = posture else { return };
        self.seen_s += step;
        if posture == Posture::Standing {
            self.standing_s += step;
        }
        if self.seen_s >= DOUBT_AFTER_S && self.standing_s >= DOUBT_STANDING_SHARE * self.seen_s {
            self.doubted = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Ts {
        chrono::DateTime::parse_from_rfc3339("2026-03-02T08:00:00+08:00").unwrap() + chrono::TimeDelta::seconds(s)
    }

    fn feed(d: &mut DeskDoubt, from: i64, to: i64, p: Option<Posture>) {
        for s in from..to {
            d.push(at(s), p);
        }
    }

    #[test]
    fn a_line_that_calls_the_clerk_standing_for_most_of_a_quarter_hour_is_doubted() {
        let mut d = DeskDoubt::default();
        feed(&mut d, 0, 800, Some(Posture::Standing));
        assert!(!d.doubted(), "not before enough time is seen");
        feed(&mut d, 800, 905, Some(Posture::Standing));
        assert!(d.doubted());
        // For good: seated verdicts later do not undo it.
        feed(&mut d, 905, 3000, Some(Posture::Sitting));
        assert!(d.doubted());
    }

    #[test]
    fn a_clerk_who_sits_a_fair_share_of_the_time_keeps_the_line() {
        let mut d = DeskDoubt::default();
        for k in 0..20 {
            // Standing 80 % of each 100 s (a busy counter), sitting the rest.
            feed(&mut d, k * 100, k * 100 + 80, Some(Posture::Standing));
            feed(&mut d, k * 100 + 80, k * 100 + 100, Some(Posture::Sitting));
        }
        assert!(!d.doubted());
    }

    #[test]
    fn unknown_frames_and_gaps_do_not_count() {
        let mut d = DeskDoubt::default();
        feed(&mut d, 0, 2000, None);
        // Frames an hour apart count at most 3 s each.
        for k in 0..100 {
            d.push(at(10_000 + k * 3600), Some(Posture::Standing));
        }
        assert!(!d.doubted());
    }
}
