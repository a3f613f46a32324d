//! What happens to the agent's rows when the store cannot take them (disk
//! full, a corrupt or read-only file, another process holding the lock):
//! they wait in memory, in order, and are retried with backoff; the failure
//! shows in `/status`, `/metrics` and the heartbeat; past a bound the agent
//! stops and exits non-zero rather than run on losing data.
//!
//! [`RetryQueue`] is pure: it takes the monotonic time as an argument, so
//! tests drive hours of failure without waiting. [`StoreHealth`] is the
//! shared, lock-free view the status server reads.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::base::clock::Backoff;
use crate::sync::lock;

/// The first wait after a failed write, and the longest.
pub const FIRST_RETRY: Duration = Duration::from_secs(1);
pub const MAX_RETRY: Duration = Duration::from_secs(30);

/// How long the store may fail before the agent gives up (`--store-give-up-s`).
pub const DEFAULT_GIVE_UP: Duration = Duration::from_secs(600);

/// Rows that may wait in memory before the agent gives up whatever the
/// time: far more than 24 windows make in an hour (a minute row per window
/// per minute, a few events), far less than the box's memory.
pub const MAX_WAITING: usize = 100_000;

/// What one write attempt said about an item.
#[derive(Debug)]
pub enum Attempt {
    /// Stored.
    Written,
    /// The store itself failed (it may recover): keep the item and retry.
    StoreFailed(String),
    /// This item can never be stored (a malformed row): drop it, with its
    /// reason, and go on with the rest.
    Rejected(String),
}

/// Where the queue stands after [`RetryQueue::flush`].
#[derive(Debug, PartialEq)]
pub enum Flush {
    /// Nothing waits.
    Clear,
    /// Items wait; try again after this long.
    Waiting(Duration),
    /// The store has failed for longer than the bound, or too many rows
    /// wait: stop and say so.
    GiveUp(String),
}

/// Items waiting for the store, in the order they were made (an event's
/// open row before its close, a minute before its amendment).
#[derive(Debug)]
pub struct RetryQueue<T> {
    items: VecDeque<T>,
    backoff: Backoff,
    /// Monotonic time of the next attempt while failing.
    next_try: Option<Duration>,
    /// Monotonic time of the first failure of this spell.
    failing_since: Option<Duration>,
    give_up_after: Duration,
    max_waiting: usize,
    last_error: Option<String>,
}

impl<T> RetryQueue<T> {
    pub fn new(give_up_after: Duration, max_waiting: usize) -> RetryQueue<T> {
        RetryQueue {
            items: VecDeque::new(),
            backoff: Backoff::new(FIRST_RETRY, MAX_RETRY),
            next_try: None,
            failing_since: None,
            give_up_after,
            max_waiting,
            last_error: None,
        }
    }

    pub fn push(&mut self, item: T) {
        self.items.push_back(item);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The waiting items, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    /// Monotonic time the current spell of failures began.
    pub fn failing_since(&self) -> Option<Duration> {
        self.failing_since
    }

    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// Writes waiting items in order while the store takes them. While the
    /// store is failing, nothing is tried before the backoff has passed
    /// (unless `force`, for the last attempt at shutdown). `write` reports
    /// each attempt; `on_rejected` hears of items dropped as malformed.
    pub fn flush(
        &mut self,
        now: Duration,
        force: bool,
        mut write: impl FnMut(&T) -> Attempt,
        mut on_rejected: impl FnMut(T, String),
    ) -> Flush {
        if let Some(at) = self.next_try
            && now < at
            && !force
        {
            return self.verdict(now, at - now);
        }
        while let Some(item) = self.items.front() {
            match write(item) {
                Attempt::Written => {
                    self.items.pop_front();
                }
                Attempt::Rejected(why) => {
                    if let Some(item) = self.items.pop_front() {
                        on_rejected(item, why);
                    }
                }
                Attempt::StoreFailed(e) => {
                    self.failing_since.get_or_insert(now);
                    self.last_error = Some(e);
                    let wait = self.backoff.next_wait();
                    self.next_try = Some(now + wait);
                    return self.verdict(now, wait);
                }
            }
        }
        self.backoff.reset();
        self.next_try = None;
        self.failing_since = None;
        self.last_error = None;
        Flush::Clear
    }

    fn verdict(&self, now: Duration, wait: Duration) -> Flush {
        let failing = self.failing_since.map_or(Duration::ZERO, |t| now.saturating_sub(t));
        let error = self.last_error.as_deref().unwrap_or("unknown error");
        if failing >= self.give_up_after {
            Flush::GiveUp(format!("the store has failed for {} s: {error}", failing.as_secs()))
        } else if self.items.len() > self.max_waiting {
            Flush::GiveUp(format!("{} rows wait for the store, more than {} can be kept: {error}", self.items.len(), self.max_waiting))
        } else {
            Flush::Waiting(wait)
        }
    }
}

/// The store writer's state as the status server sees it.
#[derive(Debug, Default)]
pub struct StoreHealth {
    /// Rows made but not yet stored (waiting in memory): added when a row
    /// is queued, taken off when it is written or dropped.
    pub unsaved: AtomicU64,
    /// Write attempts the store refused (cumulative).
    pub write_failures: AtomicU64,
    /// Rows dropped as malformed, and clips whose files could not be
    /// written (cumulative).
    pub rows_rejected: AtomicU64,
    pub clips_lost: AtomicU64,
    /// Since when (unix ms) the store has been failing, and why.
    failing: Mutex<Option<(i64, String)>>,
}

impl StoreHealth {
    pub fn set_failing(&self, since_ms: i64, error: &str) {
        let mut f = lock(&self.failing);
        let since = f.as_ref().map_or(since_ms, |(s, _)| *s);
        *f = Some((since, error.to_string()));
    }

    pub fn is_failing(&self) -> bool {
        lock(&self.failing).is_some()
    }

    pub fn set_ok(&self) {
        *lock(&self.failing) = None;
    }

    /// Numbers and the error's text (no pixels, no rows).
    pub fn snapshot(&self) -> crate::wire::StoreBeat {
        let failing = lock(&self.failing).clone();
        crate::wire::StoreBeat {
            ok: failing.is_none(),
            unsaved: self.unsaved.load(Ordering::Relaxed),
            write_failures: self.write_failures.load(Ordering::Relaxed),
            rows_rejected: self.rows_rejected.load(Ordering::Relaxed),
            clips_lost: self.clips_lost.load(Ordering::Relaxed),
            failing_since_unix: failing.as_ref().map(|(ms, _)| *ms as f64 / 1000.0),
            last_error: failing.map(|(_, e)| crate::wire::bounded_text(&e, crate::wire::MAX_ERROR_CHARS)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// A store that fails while `down` says so, and records what it took.
    struct FakeStore {
        down: bool,
        taken: Vec<u32>,
        attempts: usize,
    }

    impl FakeStore {
        fn write(&mut self, item: &u32) -> Attempt {
            self.attempts += 1;
            if *item == 13 {
                Attempt::Rejected("malformed".into())
            } else if self.down {
                Attempt::StoreFailed("database or disk is full".into())
            } else {
                self.taken.push(*item);
                Attempt::Written
            }
        }
    }

    #[test]
    fn rows_wait_in_order_and_go_in_when_the_store_recovers() {
        let mut q = RetryQueue::new(secs(600), 1000);
        let mut store = FakeStore { down: true, taken: vec![], attempts: 0 };
        for i in 1..=3 {
            q.push(i);
        }
        assert_eq!(q.flush(secs(0), false, |i| store.write(i), |_, _| {}), Flush::Waiting(secs(1)));
        assert_eq!(q.failing_since(), Some(secs(0)));
        assert_eq!(q.last_error(), Some("database or disk is full"));
        // Before the backoff has passed nothing is tried.
        q.push(4);
        assert_eq!(
            q.flush(secs(0) + Duration::from_millis(500), false, |i| store.write(i), |_, _| {}),
            Flush::Waiting(Duration::from_millis(500))
        );
        assert_eq!(store.attempts, 1);
        // Waits double.
        assert_eq!(q.flush(secs(1), false, |i| store.write(i), |_, _| {}), Flush::Waiting(secs(2)));
        assert_eq!(q.flush(secs(3), false, |i| store.write(i), |_, _| {}), Flush::Waiting(secs(4)));
        store.down = false;
        assert_eq!(q.flush(secs(7), false, |i| store.write(i), |_, _| {}), Flush::Clear);
        assert_eq!(store.taken, [1, 2, 3, 4]);
        assert_eq!(q.failing_since(), None);
        assert!(q.is_empty());
        // After a recovery the backoff starts again from the first wait.
        store.down = true;
        q.push(5);
        assert_eq!(q.flush(secs(8), false, |i| store.write(i), |_, _| {}), Flush::Waiting(secs(1)));
        assert_eq!(q.failing_since(), Some(secs(8)));
    }

    #[test]
    fn backoff_is_capped() {
        let mut q = RetryQueue::new(secs(100_000), 1000);
        let mut store = FakeStore { down: true, taken: vec![], attempts: 0 };
        q.push(1);
        let mut now = secs(0);
        let mut last = Duration::ZERO;
        for _ in 0..20 {
            match q.flush(now, false, |i| store.write(i), |_, _| {}) {
                Flush::Waiting(w) => {
                    last = w;
                    now += w;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(last, MAX_RETRY);
    }

    #[test]
    fn a_malformed_row_is_dropped_without_blocking_the_rest() {
        let mut q = RetryQueue::new(secs(600), 1000);
        let mut store = FakeStore { down: false, taken: vec![], attempts: 0 };
        for i in [12, 13, 14] {
            q.push(i);
        }
        let mut rejected = vec![];
        assert_eq!(q.flush(secs(0), false, |i| store.write(i), |i, why| rejected.push((i, why))), Flush::Clear);
        assert_eq!(store.taken, [12, 14]);
        assert_eq!(rejected, [(13, "malformed".to_string())]);
    }

    #[test]
    fn gives_up_past_the_time_bound() {
        let mut q = RetryQueue::new(secs(60), 1000);
        let mut store = FakeStore { down: true, taken: vec![], attempts: 0 };
        q.push(1);
        let mut now = secs(0);
        let verdict = loop {
            match q.flush(now, false, |i| store.write(i), |_, _| {}) {
                Flush::Waiting(w) => now += w,
                other => break other,
            }
        };
        let Flush::GiveUp(why) = verdict else { panic!("{verdict:?}") };
        assert!(now >= secs(60) && now < secs(60) + MAX_RETRY, "{now:?}");
        assert!(why.contains("database or disk is full"), "{why}");
        // Nothing was lost from the queue: the caller reports what waits.
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn gives_up_when_too_many_rows_wait() {
        let mut q = RetryQueue::new(secs(600), 3);
        let mut store = FakeStore { down: true, taken: vec![], attempts: 0 };
        for i in 0..4 {
            q.push(i);
        }
        assert!(matches!(q.flush(secs(0), false, |i| store.write(i), |_, _| {}), Flush::GiveUp(w) if w.contains("4 rows wait")));
    }

    #[test]
    fn a_forced_flush_tries_at_once() {
        let mut q = RetryQueue::new(secs(600), 10);
        let mut store = FakeStore { down: true, taken: vec![], attempts: 0 };
        q.push(1);
        let _ = q.flush(secs(0), false, |i| store.write(i), |_, _| {});
        store.down = false;
        assert_eq!(q.flush(Duration::from_millis(10), true, |i| store.write(i), |_, _| {}), Flush::Clear);
        assert_eq!(store.taken, [1]);
    }

    #[test]
    fn health_keeps_the_start_of_a_spell() {
        let h = StoreHealth::default();
        assert!(h.snapshot().ok);
        h.set_failing(1_000, "disk full");
        h.set_failing(5_000, "still full");
        let s = h.snapshot();
        assert!(!s.ok);
        assert_eq!(s.failing_since_unix, Some(1.0));
        assert_eq!(s.last_error.as_deref(), Some("still full"));
        h.set_ok();
        assert_eq!(h.snapshot().failing_since_unix, None);
    }
}
