//! How often one kind of log line may be written. A fault that recurs on
//! every frame (a panic in one window's analysis, at 2 frames/s, in each of
//! 24 windows) would otherwise write a line per frame for as long as it
//! lasts, and bury every other line. The first occurrence is written at
//! once; after it, at most one line per interval, saying how many were
//! left out since the last. Time comes in as an argument, so tests drive
//! it.

use std::time::Duration;

/// At most one line per `every`, counting the ones left out.
#[derive(Debug, Clone)]
pub struct Throttle {
    every: Duration,
    last: Option<Duration>,
    left_out: u64,
}

impl Throttle {
    /// Lets a line through at most once per `every`.
    pub const fn new(every: Duration) -> Throttle {
        Throttle { every, last: None, left_out: 0 }
    }

    /// An occurrence at `now` (monotonic time, e.g. [`super::clock::Clock::elapsed`]
    /// or since any fixed instant). `Some(n)`: write the line, and say that
    /// `n` occurrences since the last line were not written. `None`: leave
    /// it out (it is counted). A clock that goes back is taken as no time
    /// having passed.
    pub fn admit(&mut self, now: Duration) -> Option<u64> {
        let due = self.last.is_none_or(|last| now.saturating_sub(last) >= self.every);
        if due {
            self.last = Some(now);
            Some(std::mem::take(&mut self.left_out))
        } else {
            self.left_out = self.left_out.saturating_add(1);
            None
        }
    }
}

/// Monotonic time since the first call, for a throttle where no
/// [`super::clock::Clock`] is at hand.
pub fn monotonic() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

impl Default for Throttle {
    /// One line a minute.
    fn default() -> Throttle {
        Throttle::new(Duration::from_secs(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn the_first_is_written_then_one_a_minute_with_the_count_left_out() {
        let mut t = Throttle::default();
        assert_eq!(t.admit(s(100)), Some(0));
        // Every half second for a minute: left out, counted.
        let written: Vec<_> = (1..120).map(|i| t.admit(s(100) + Duration::from_millis(500 * i))).collect();
        assert!(written.iter().all(Option::is_none), "{written:?}");
        assert_eq!(t.admit(s(160)), Some(119));
        assert_eq!(t.admit(s(161)), None);
        // After a quiet spell the next one is written at once.
        assert_eq!(t.admit(s(1000)), Some(1));
        assert_eq!(t.admit(s(1060)), Some(0));
    }

    #[test]
    fn a_clock_that_goes_back_writes_nothing_more() {
        let mut t = Throttle::new(s(10));
        assert_eq!(t.admit(s(50)), Some(0));
        assert_eq!(t.admit(s(5)), None);
        assert_eq!(t.admit(s(59)), None);
        assert_eq!(t.admit(s(60)), Some(2));
    }

    proptest! {
        /// Whatever the times, no two lines are closer than the interval
        /// (in a clock that does not go back), and every occurrence is
        /// either written or counted in the next line written.
        #[test]
        fn lines_are_spaced_and_nothing_is_lost(mut gaps in proptest::collection::vec(0u64..5000, 1..300), every in 1u64..20_000) {
            let mut t = Throttle::new(Duration::from_millis(every));
            let mut now = 0u64;
            let (mut last, mut accounted) = (None::<u64>, 0u64);
            gaps.push(every); // one more, late enough to be written
            let n = gaps.len() as u64;
            for g in gaps {
                now += g;
                if let Some(left) = t.admit(Duration::from_millis(now)) {
                    if let Some(l) = last {
                        prop_assert!(now - l >= every);
                    }
                    last = Some(now);
                    accounted += 1 + left;
                }
            }
            prop_assert_eq!(accounted + t.left_out, n);
        }
    }
}
