//! Limits on password sign-ins, shared by the hub and the agent's LAN login.
//!
//! - [`Limiter`]: per-address and per-account counts of wrong passwords. An
//!   attempt is *reserved* under one lock before its password is checked, so
//!   parallel requests cannot all pass the check "fewer than N failures so
//!   far": an attempt in flight counts as a failure until it is settled.
//!   After the limit, the key is refused for a backoff that doubles with
//!   each lockout (up to [`MAX_BACKOFF`]).
//! - [`PasswordPool`]: argon2 runs on the blocking pool behind a semaphore
//!   (as many checks at once as cores, at most 4), with a short bounded
//!   queue in front. When the queue is full the caller is told at once
//!   ([`Busy`]) and answers 503, so a flood of sign-ins cannot queue without
//!   bound or starve the async threads that serve everything else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::sync::lock;

/// Wrong passwords from one address before it is refused.
pub const ADDRESS_LIMIT: u32 = 5;
/// Wrong passwords for one account (from any address) before it is refused.
pub const ACCOUNT_LIMIT: u32 = 20;
/// Failures older than this are forgotten (and the first lockout lasts this long).
pub const WINDOW: Duration = Duration::from_secs(300);
/// The longest lockout.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    Account(String),
}

#[derive(Debug, Clone)]
struct Entry {
    /// Settled wrong passwords in the current window.
    failures: u32,
    /// Reserved attempts not yet settled.
    in_flight: u32,
    /// Start of the current window.
    since: Instant,
    /// Lockouts so far (the backoff doubles with each).
    lockouts: u32,
    /// Refused until then.
    blocked_until: Option<Instant>,
}

impl Entry {
    fn new(now: Instant) -> Entry {
        Entry { failures: 0, in_flight: 0, since: now, lockouts: 0, blocked_until: None }
    }

    /// Forgets a window that has passed.
    fn refresh(&mut self, now: Instant) {
        if self.blocked_until.is_some_and(|u| now >= u) {
            self.blocked_until = None;
            self.failures = 0;
            self.since = now;
        }
        if self.blocked_until.is_none() && now.duration_since(self.since) >= WINDOW {
            self.failures = 0;
            self.since = now;
        }
    }

    fn idle(&self, now: Instant) -> bool {
        self.in_flight == 0 && self.blocked_until.is_none_or(|u| now >= u) && now.duration_since(self.since) >= MAX_BACKOFF
    }
}

/// Per-address and per-account failure counts (see the module docs).
pub struct Limiter {
    entries: Mutex<HashMap<Key, Entry>>,
    address_limit: u32,
    account_limit: u32,
}

/// Refused without checking the password: retry after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused(pub Duration);

/// An attempt reserved by [`Limiter::reserve`]. Settle it with
/// [`Attempt::succeeded`] or [`Attempt::failed`]; dropped unsettled (the
/// password was never checked), it gives its reservation back.
pub struct Attempt {
    limiter: Arc<Limiter>,
    keys: Vec<Key>,
    settled: bool,
}

impl Limiter {
    pub fn new(address_limit: u32, account_limit: u32) -> Arc<Limiter> {
        Arc::new(Limiter { entries: Mutex::new(HashMap::new()), address_limit: address_limit.max(1), account_limit: account_limit.max(1) })
    }

    fn limit(&self, k: &Key) -> u32 {
        match k {
            Key::Address(_) => self.address_limit,
            Key::Account(_) => self.account_limit,
        }
    }

    /// Reserves one attempt for `address` (and `account`, when the sign-in
    /// names one), or says how long to wait. Atomic: the check and the
    /// reservation happen under one lock.
    pub fn reserve(self: &Arc<Self>, address: IpAddr, account: Option<&str>, now: Instant) -> Result<Attempt, Refused> {
        let mut keys = vec![Key::Address(address)];
        if let Some(a) = account {
            // Bounded, so a flood of long names cannot grow the map's keys.
            keys.push(Key::Account(a.chars().take(64).collect::<String>().to_lowercase()));
        }
        let mut map = lock(&self.entries);
        if map.len() > 10_000 {
            map.retain(|_, e| !e.idle(now));
        }
        let mut wait = Duration::ZERO;
        for k in &keys {
            if let Some(e) = map.get_mut(k) {
                e.refresh(now);
                if let Some(until) = e.blocked_until {
                    wait = wait.max(until.duration_since(now));
                } else if e.failures + e.in_flight >= self.limit(k) {
                    // The remaining tries are all in flight: wait for them.
                    wait = wait.max(Duration::from_secs(1));
                }
            }
        }
        if !wait.is_zero() {
            return Err(Refused(wait));
        }
        for k in &keys {
            map.entry(k.clone()).or_insert_with(|| Entry::new(now)).in_flight += 1;
        }
        Ok(Attempt { limiter: Arc::clone(self), keys, settled: false })
    }

    /// Whether `address` is refused now (for requests that only look).
    pub fn blocked(&self, address: IpAddr, now: Instant) -> Option<Refused> {
        let mut map = lock(&self.entries);
        let e = map.get_mut(&Key::Address(address))?;
        e.refresh(now);
        e.blocked_until.map(|u| Refused(u.duration_since(now)))
    }

    fn settle(&self, keys: &[Key], failed: bool, now: Instant) {
        let mut map = lock(&self.entries);
        for k in keys {
            let limit = self.limit(k);
            let Some(e) = map.get_mut(k) else { continue };
            e.in_flight = e.in_flight.saturating_sub(1);
            if !failed {
                continue;
            }
            e.refresh(now);
            e.failures += 1;
            if e.failures >= limit && e.blocked_until.is_none() {
                let backoff = WINDOW.saturating_mul(1u32 << e.lockouts.min(16)).min(MAX_BACKOFF);
                e.lockouts += 1;
                e.blocked_until = Some(now + backoff);
                tracing::warn!(key = ?k, failures = e.failures, backoff_s = backoff.as_secs(), "sign-in locked out");
            }
        }
        if !failed {
            // The right password: this address and account start afresh.
            for k in keys {
                if map.get(k).is_some_and(|e| e.in_flight == 0 && e.blocked_until.is_none()) {
                    map.remove(k);
                }
            }
        }
    }
}

impl Attempt {
    pub fn succeeded(self) {
        self.settle(false, Instant::now());
    }

    pub fn failed(self) {
        self.settle(true, Instant::now());
    }

    /// Settles at `now` (the clock of the tests).
    pub fn settle(mut self, failed: bool, now: Instant) {
        self.settled = true;
        self.limiter.settle(&self.keys, failed, now);
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.settled {
            let mut map = lock(&self.limiter.entries);
            for k in &self.keys {
                if let Some(e) = map.get_mut(k) {
                    e.in_flight = e.in_flight.saturating_sub(1);
                }
            }
        }
    }
}

/// Every permit of the [`PasswordPool`] is taken: answer 503 now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// A bounded pool for argon2 work (see the module docs).
#[derive(Clone)]
pub struct PasswordPool {
    /// Checks running.
    permits: Arc<Semaphore>,
    /// Checks running or waiting.
    admitted: Arc<Semaphore>,
}

/// Checks that may wait for a free slot, beyond those running.
pub const QUEUE: usize = 16;

impl PasswordPool {
    /// `size` checks at once, `queue` more waiting.
    pub fn new(size: usize, queue: usize) -> PasswordPool {
        PasswordPool { permits: Arc::new(Semaphore::new(size.max(1))), admitted: Arc::new(Semaphore::new(size.max(1) + queue)) }
    }

    /// As many checks at once as the machine's cores (at most 4), [`QUEUE`] waiting.
    pub fn for_this_machine() -> PasswordPool {
        PasswordPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()).min(4), QUEUE)
    }

    /// Runs `f` on the blocking pool, waiting for a slot if the queue has
    /// room; [`Busy`] at once if it has not.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
        let _admitted = Arc::clone(&self.admitted).try_acquire_owned().map_err(|_| Busy)?;
        let permit = Arc::clone(&self.permits).acquire_owned().await.map_err(|_| Busy)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|_| Busy)
    }

    /// Free places, running or waiting (for tests).
    pub fn available(&self) -> usize {
        self.admitted.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn in_flight_attempts_count_against_the_limit() {
        let l = Limiter::new(5, 20);
        let t0 = Instant::now();
        let held: Vec<Attempt> = (0..5).map(|_| l.reserve(ip("10.0.0.1"), Some("root"), t0).unwrap()).collect();
        // Five in flight: a sixth is refused before any has been checked.
        assert!(l.reserve(ip("10.0.0.1"), Some("root"), t0).is_err());
        assert!(l.reserve(ip("10.0.0.2"), Some("root"), t0).is_ok(), "another address keeps its tries");
        for a in held {
            a.settle(true, t0);
        }
        let Err(Refused(wait)) = l.reserve(ip("10.0.0.1"), None, t0) else { panic!("locked out") };
        assert_eq!(wait, WINDOW);
        assert!(l.blocked(ip("10.0.0.1"), t0).is_some());
        assert!(l.reserve(ip("10.0.0.1"), None, t0 + WINDOW).is_ok(), "the lock ends");
    }

    #[test]
    fn unsettled_attempts_give_their_reservation_back() {
        let l = Limiter::new(2, 20);
        let t0 = Instant::now();
        for _ in 0..10 {
            drop(l.reserve(ip("10.0.0.1"), None, t0).unwrap());
        }
        l.reserve(ip("10.0.0.1"), None, t0).unwrap().settle(false, t0);
        assert!(l.reserve(ip("10.0.0.1"), None, t0).is_ok());
    }

    #[test]
    fn lockouts_back_off_and_accounts_have_their_own_limit() {
        let l = Limiter::new(2, 3);
        let mut t = Instant::now();
        let mut waits = vec![];
        for _ in 0..3 {
            for _ in 0..2 {
                l.reserve(ip("10.0.0.9"), None, t).unwrap().settle(true, t);
            }
            let Err(Refused(w)) = l.reserve(ip("10.0.0.9"), None, t) else { panic!() };
            waits.push(w);
            t += w;
        }
        assert_eq!(waits, vec![WINDOW, WINDOW * 2, WINDOW * 4]);
        // Three addresses, one account: the account is refused from a fourth.
        for a in ["10.1.0.1", "10.1.0.2", "10.1.0.3"] {
            l.reserve(ip(a), Some("Wang"), t).unwrap().settle(true, t);
        }
        assert!(l.reserve(ip("10.1.0.4"), Some("wang"), t).is_err());
        assert!(l.reserve(ip("10.1.0.4"), Some("li"), t).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_pool_says_busy_at_once() {
        let pool = PasswordPool::new(1, 0);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let p = pool.clone();
        let held = tokio::spawn(async move { p.run(move || rx.recv().is_ok()).await });
        while pool.available() > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.run(|| 1).await, Err(Busy));
        tx.send(()).unwrap();
        assert_eq!(held.await.unwrap(), Ok(true));
        assert_eq!(pool.run(|| 2).await, Ok(2));
    }
}
