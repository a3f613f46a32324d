//! The latest-frame slot between a window's capture thread and the
//! inference workers: a new frame replaces an unread one (counted as stale),
//! so nothing queues without bound. Every window's slot rings one shared
//! [`Bell`], on which idle workers wait: no polling. A window is analysed
//! by one worker at a time ([`Turn`]), so its frames reach the rules in
//! order and no window takes two workers while others wait.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::capture::Frame;
use crate::sync::lock;

/// Wakes idle workers when any window has a frame (or a source ends).
#[derive(Default)]
pub struct Bell {
    rung: Mutex<u64>,
    cv: Condvar,
}

impl Bell {
    /// How many times it has rung; read before looking for work, then
    /// passed to [`Bell::wait`], so a frame that arrives in between is not
    /// slept through.
    pub fn count(&self) -> u64 {
        *lock(&self.rung)
    }

    fn ring(&self, all: bool) {
        *lock(&self.rung) += 1;
        if all { self.cv.notify_all() } else { self.cv.notify_one() }
    }

    /// Waits until the bell has rung since `seen`, or `limit` has passed;
    /// returns the count now.
    pub fn wait(&self, seen: u64, limit: Duration) -> u64 {
        let guard = lock(&self.rung);
        match self.cv.wait_timeout_while(guard, limit, |n| *n == seen) {
            Ok((n, _)) => *n,
            Err(poisoned) => *poisoned.into_inner().0,
        }
    }
}

#[derive(Default)]
pub struct Slot {
    inner: Mutex<SlotState>,
    bell: Arc<Bell>,
}

#[derive(Default)]
struct SlotState {
    frame: Option<Frame>,
    stale: u64,
    closed: bool,
    /// A worker is analysing this window's previous frame.
    busy: bool,
}

/// A worker's turn at a window: the window is given to no other worker
/// until the turn is dropped.
#[must_use]
pub struct Turn<'a> {
    slot: &'a Slot,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut s = lock(&self.slot.inner);
        s.busy = false;
        let waiting = s.frame.is_some() || s.closed;
        drop(s);
        // A frame that came in meanwhile (or the end) wakes a worker.
        if waiting {
            self.slot.bell.ring(false);
        }
    }
}

impl Slot {
    /// Puts a frame in, replacing (and counting) one nobody took; returns
    /// whether it did (the workers are behind with this window).
    pub fn put(&self, frame: Frame) -> bool {
        let mut s = lock(&self.inner);
        let replaced = s.frame.replace(frame).is_some();
        if replaced {
            s.stale += 1;
        }
        drop(s);
        self.bell.ring(false);
        replaced
    }

    /// A slot that rings `bell` (shared by a box's windows).
    pub fn with_bell(bell: Arc<Bell>) -> Slot {
        Slot { inner: Mutex::default(), bell }
    }

    /// Takes the frame, if one is waiting and no worker has the window;
    /// the window is this caller's until the [`Turn`] is dropped.
    pub fn take(&self) -> Option<(Frame, Turn<'_>)> {
        let mut s = lock(&self.inner);
        if s.busy {
            return None;
        }
        let frame = s.frame.take()?;
        s.busy = true;
        Some((frame, Turn { slot: self }))
    }

    /// Marks the source finished (end of file, or shutdown).
    pub fn close(&self) {
        lock(&self.inner).closed = true;
        self.bell.ring(true);
    }

    pub fn is_closed_and_empty(&self) -> bool {
        let s = lock(&self.inner);
        s.closed && s.frame.is_none()
    }

    pub fn stale(&self) -> u64 {
        lock(&self.inner).stale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    fn frame(i: u64) -> Frame {
        Frame { ts: chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap(), index: i, image: RgbImage::new(2, 2) }
    }

    #[test]
    fn newer_frames_replace_unread_ones() {
        let s = Slot::default();
        assert!(!s.put(frame(1)), "an empty slot");
        assert!(s.put(frame(2)), "frame 1 was never taken");
        assert_eq!(s.stale(), 1);

        assert_eq!(s.take().unwrap().0.index, 2);
        assert!(s.take().is_none());
        s.close();
        assert!(s.is_closed_and_empty());
    }

    /// While a worker has a window, its next frame waits (and is still
    /// replaced by newer ones); ending the turn gives it out and rings.
    #[test]
    fn one_worker_at_a_time_per_window() {
        let bell = Arc::new(Bell::default());
        let s = Slot::with_bell(Arc::clone(&bell));
        s.put(frame(1));
        let (f1, turn) = s.take().unwrap();
        assert_eq!(f1.index, 1);
        s.put(frame(2));
        s.put(frame(3));
        assert!(s.take().is_none(), "the window is busy");
        assert!(!s.is_closed_and_empty());
        let seen = bell.count();
        drop(turn);
        assert!(bell.count() > seen, "the waiting frame rings when the turn ends");
        let (f3, _turn) = s.take().unwrap();
        assert_eq!(f3.index, 3);
        assert_eq!(s.stale(), 1);
    }

    #[test]
    fn a_frame_wakes_a_waiting_worker() {
        let bell = Arc::new(Bell::default());
        let slot = Arc::new(Slot::with_bell(Arc::clone(&bell)));
        let seen = bell.count();
        let putter = {
            let slot = Arc::clone(&slot);
            std::thread::spawn(move || slot.put(frame(7)))
        };
        // Woken by the frame, not by the (generous) limit: the count moved.
        let now = bell.wait(seen, Duration::from_secs(60));
        assert!(now > seen);
        putter.join().unwrap();
        assert_eq!(slot.take().unwrap().0.index, 7);
        // Rung before the wait began: it does not sleep through it.
        let seen = bell.count();
        slot.close();
        assert!(bell.wait(seen, Duration::from_secs(60)) > seen);
    }
}
