//! The latest-frame slot between a window's capture thread and the
//! inference workers: a new frame replaces an unread one (counted as stale),
//! so nothing queues without bound.

use std::sync::{Condvar, Mutex};

use crate::capture::Frame;
use crate::sync::lock;

#[derive(Default)]
pub struct Slot {
    inner: Mutex<SlotState>,
    ready: Condvar,
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
        self.ready.notify_one();
    }

    /// Takes the frame, if one is waiting.
    pub fn take(&self) -> Option<Frame> {
        lock(&self.inner).frame.take()
    }

    /// Marks the source finished (end of file, or shutdown).
    pub fn close(&self) {
        lock(&self.inner).closed = true;
        self.ready.notify_all();
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
}
