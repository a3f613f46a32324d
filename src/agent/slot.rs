//! The latest-frame slot between a window's capture thread and the
//! inference workers: a new frame replaces an unread one (counted as stale),
//! so nothing queues without bound. Every window's slot rings one shared
//! [`Bell`], on which idle workers wait: no polling.

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
}

impl Slot {
    /// Puts a frame in, replacing (and counting) one nobody took.
    pub fn put(&self, frame: Frame) {
        let mut s = lock(&self.inner);
        if s.frame.replace(frame).is_some() {
            s.stale += 1;
        }
        drop(s);
        self.bell.ring(false);
    }

    /// A slot that rings `bell` (shared by a box's windows).
    pub fn with_bell(bell: Arc<Bell>) -> Slot {
        Slot { inner: Mutex::default(), bell }
    }

    /// Takes the frame, if one is waiting.
    pub fn take(&self) -> Option<Frame> {
        lock(&self.inner).frame.take()
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
        s.put(frame(1));
        s.put(frame(2));
        assert_eq!(s.stale(), 1);
        assert_eq!(s.take().unwrap().index, 2);
        assert!(s.take().is_none());
        s.close();
        assert!(s.is_closed_and_empty());
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
        assert_eq!(slot.take().unwrap().index, 7);
        // Rung before the wait began: it does not sleep through it.
        let seen = bell.count();
        slot.close();
        assert!(bell.wait(seen, Duration::from_secs(60)) > seen);
    }
}
