//! One clock for the whole program, as a trait so that tests can drive time
//! (in the manner of Moonfire NVR's `Clocks`). Wall time is UTC integer
//! milliseconds since the Unix epoch: the one form instants take in keys,
//! joins and comparisons. Monotonic time is a `Duration` since the clock's
//! start, for backoff and timeouts. Sleeping goes through the clock too, so
//! a simulated clock can make an hour of schedule pass in microseconds.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A boxed future, so that [`Clock`] stays object-safe (`Arc<dyn Clock>`).
/// The years a frame may be timed in. Readers refuse others (a trace line,
/// a video's timestamps relative to its start), and the rules ignore them:
/// no hall's calendar reaches past them, and chrono's own range ends where
/// local times overflow.
pub const FRAME_YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync + 'static {
    /// Wall time: UTC milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// Monotonic time since the clock was made; never goes back.
    fn elapsed(&self) -> Duration;
    /// Waits `d` of this clock's time.
    fn sleep(&self, d: Duration) -> Sleep;
    /// Blocks the calling thread for `d` of this clock's time (capture
    /// threads, which are not async).
    fn sleep_blocking(&self, d: Duration);

    /// Wall time in seconds, for the places that still keep `f64` seconds.
    fn now_unix(&self) -> f64 {
        self.now_ms() as f64 / 1000.0
    }
}

/// The machine's clocks.
#[derive(Debug, Clone)]
pub struct RealClock {
    start: Instant,
}

impl RealClock {
    pub fn new() -> RealClock {
        RealClock { start: Instant::now() }
    }

    /// The shared real clock, as the trait object most code takes.
    pub fn shared() -> Arc<dyn Clock> {
        Arc::new(RealClock::new())
    }
}

impl Default for RealClock {
    fn default() -> Self {
        RealClock::new()
    }
}

impl Clock for RealClock {
    fn now_ms(&self) -> i64 {
        unix_ms(SystemTime::now())
    }

    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&self, d: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(d))
    }

    fn sleep_blocking(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// The machine's wall time in unix seconds: the one helper for code that
/// has no [`Clock`] at hand (it was copied in several modules).
pub fn now_unix() -> f64 {
    unix_ms(SystemTime::now()) as f64 / 1000.0
}

/// Milliseconds since the Unix epoch of a `SystemTime` (negative before it,
/// saturating far outside `i64`).
pub fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// A clock that moves only when told to, or when something sleeps on it:
/// a sleep advances the clock by its length at once and yields, so a
/// schedule loop runs through simulated hours as fast as it can compute.
/// Clones share one time.
#[derive(Debug, Clone)]
pub struct SimulatedClock {
    boot_ms: i64,
    elapsed_ms: Arc<AtomicI64>,
}

impl SimulatedClock {
    /// A clock whose wall time starts at `boot_ms` (UTC ms).
    pub fn new(boot_ms: i64) -> SimulatedClock {
        SimulatedClock { boot_ms, elapsed_ms: Arc::new(AtomicI64::new(0)) }
    }

    /// Moves time forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let _ = self.elapsed_ms.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |e| Some(e.saturating_add(ms)));
    }
}

impl Clock for SimulatedClock {
    fn now_ms(&self) -> i64 {
        self.boot_ms.saturating_add(self.elapsed_ms.load(Ordering::SeqCst))
    }

    fn elapsed(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.elapsed_ms.load(Ordering::SeqCst)).unwrap_or(0))
    }

    fn sleep(&self, d: Duration) -> Sleep {
        self.advance(d);
        Box::pin(tokio::task::yield_now())
    }

    fn sleep_blocking(&self, d: Duration) {
        self.advance(d);
        std::thread::yield_now();
    }
}

/// Exponential backoff measured on a [`Clock`]: `first`, doubling, capped
/// at `max`; `reset` after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Backoff {
        Backoff { first, max: max.max(first), next: first }
    }

    /// The wait [`Backoff::next_wait`] will give next.
    pub fn peek(&self) -> Duration {
        self.next
    }

    /// The wait before the next attempt, and doubles the one after.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_ms_handles_both_sides_of_the_epoch() {
        assert_eq!(unix_ms(UNIX_EPOCH + Duration::from_millis(1_500)), 1_500);
        assert_eq!(unix_ms(UNIX_EPOCH - Duration::from_millis(2_000)), -2_000);
    }

    #[tokio::test]
    async fn simulated_sleep_advances_shared_time() {
        let clock = SimulatedClock::new(1_700_000_000_000);
        let other = clock.clone();
        clock.sleep(Duration::from_secs(3600)).await;
        assert_eq!(other.now_ms(), 1_700_000_000_000 + 3_600_000);
        assert_eq!(other.elapsed(), Duration::from_secs(3600));
        other.advance(Duration::from_millis(5));
        assert_eq!(clock.now_ms(), 1_700_003_600_005);
        assert!((clock.now_unix() - 1_700_003_600.005).abs() < 1e-6);
    }

    #[test]
    fn simulated_time_saturates_instead_of_wrapping() {
        let clock = SimulatedClock::new(i64::MAX - 10);
        clock.advance(Duration::from_secs(u64::MAX));
        assert_eq!(clock.now_ms(), i64::MAX);
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(2));
        let waits: Vec<u128> = (0..5).map(|_| b.next_wait().as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 2000, 2000]);
        b.reset();
        assert_eq!(b.next_wait(), Duration::from_millis(500));
    }

    #[tokio::test]
    async fn real_clock_agrees_with_the_system() {
        let clock = RealClock::shared();
        let before = unix_ms(SystemTime::now());
        let now = clock.now_ms();
        assert!(now >= before);
        clock.sleep(Duration::from_millis(1)).await;
        assert!(clock.elapsed() >= Duration::from_millis(1));
    }
}
