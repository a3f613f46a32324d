//! How often a visitor at the counter hides the clerk from the camera.
//!
//! A visitor who stands between the camera and the clerk hides the clerk's
//! shoulders, and for those frames the greeting is unknown: a visit hidden
//! for most of its length is never judged, and no rule says so. In the
//! simulator this is the main reason greetings go unjudged where the camera
//! is otherwise well placed (`docs/accuracy.md`). Each window counts its
//! recent visits and how many of them a visitor hid, so that `/status`, the
//! live table, `replay --sweep` and `liyi doctor` can tell the installer to
//! raise the camera or move it to the side.

use serde::{Deserialize, Serialize};

/// The visits a tally remembers: past twice this many, both counts are
/// halved, so that a camera moved to a better place is seen within a few
/// hundred visits.
pub const RECENT_VISITS: u32 = 200;
/// Visits counted before the share is trusted.
pub const MIN_VISITS: u32 = 20;
/// The share of hidden visits from which the window is warned. The greeting
/// target is a recall of 0.90: from a tenth of hidden visits on, it cannot
/// be met at this placement whatever the rules do.
pub const HIDDEN_SHARE: f64 = 0.10;
/// A visit shorter than this (first to last frame with the citizen) is not
/// counted, whatever the greeting's `arrival_s` says.
pub const MIN_VISIT_S: f64 = 3.0;
/// The clerk seen this long before a visit began counts as there for it.
pub const CLERK_BEFORE_S: f64 = 10.0;

/// One visit under way: its frames in service with the citizen at the
/// counter, those in which a visitor hid the clerk
/// ([`crate::rules::Observation::clerk_hidden`]), and whether the clerk was
/// there for it at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Visit {
    frames: u32,
    hidden: u32,
    clerk_seen: bool,
}

impl Visit {
    /// A visit that begins with the clerk seen just before (or not).
    pub fn new(clerk_seen: bool) -> Visit {
        Visit { clerk_seen, ..Visit::default() }
    }

    pub fn frame(&mut self, hidden: bool, clerk_seen: bool) {
        self.frames = self.frames.saturating_add(1);
        if hidden {
            self.hidden = self.hidden.saturating_add(1);
        }
        self.clerk_seen |= clerk_seen;
    }

    /// Frames were counted (in service, with the citizen at the counter).
    pub fn counted(&self) -> bool {
        self.frames > 0
    }

    /// A visitor hid the clerk in more than half of the visit's frames, and
    /// the clerk was there: seen during the visit or just before it. A
    /// visitor at an empty desk hides nobody.
    pub fn hidden(&self) -> bool {
        self.clerk_seen && u64::from(self.hidden) * 2 > u64::from(self.frames)
    }
}

/// A window's recent visits, and how many a visitor hid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VisitTally {
    pub visits: u32,
    pub hidden: u32,
}

impl VisitTally {
    pub fn add(&mut self, visit: &Visit) {
        self.visits += 1;
        self.hidden += u32::from(visit.hidden());
        if self.visits >= 2 * RECENT_VISITS {
            self.visits /= 2;
            self.hidden /= 2;
        }
    }

    /// The tally as a stored one may hold it (a damaged or hand-edited
    /// store): never more hidden visits than visits, never more than it
    /// remembers.
    pub fn sane(self) -> VisitTally {
        let visits = self.visits.min(2 * RECENT_VISITS - 1);
        VisitTally { visits, hidden: self.hidden.min(visits) }
    }

    /// Visitors hid the clerk in at least [`HIDDEN_SHARE`] of at least
    /// [`MIN_VISITS`] visits.
    pub fn too_often(&self) -> bool {
        self.visits >= MIN_VISITS && f64::from(self.hidden) >= HIDDEN_SHARE * f64::from(self.visits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(frames: u32, hidden: u32) -> Visit {
        let mut v = Visit::new(true);
        (0..frames).for_each(|i| v.frame(i < hidden, false));
        v
    }

    #[test]
    fn a_visit_is_hidden_when_most_of_its_frames_are_and_the_clerk_was_there() {
        assert!(!Visit::default().hidden());
        assert!(!visit(10, 5).hidden());
        assert!(visit(10, 6).hidden());
        assert!(visit(1, 1).hidden());
        let mut empty_desk = Visit::new(false);
        (0..10).for_each(|_| empty_desk.frame(true, false));
        assert!(!empty_desk.hidden(), "nobody to hide: the clerk was not seen before or during the visit");
        empty_desk.frame(false, true);
        assert!(empty_desk.hidden(), "seen once during it: the clerk was there");
    }

    #[test]
    fn the_warning_needs_enough_visits_and_a_tenth_of_them_hidden() {
        let mut t = VisitTally::default();
        (0..19).for_each(|_| t.add(&visit(10, 10)));
        assert!(!t.too_often(), "19 visits are too few to judge a placement");
        t.add(&visit(10, 0));
        assert!(t.too_often());
        let mut t = VisitTally::default();
        (0..90).for_each(|_| t.add(&visit(10, 0)));
        (0..9).for_each(|_| t.add(&visit(10, 10)));
        assert_eq!(t, VisitTally { visits: 99, hidden: 9 });
        assert!(!t.too_often());
        t.add(&visit(10, 10));
        assert!(t.too_often());
    }

    #[test]
    fn old_visits_fade_so_a_moved_camera_is_seen() {
        let mut t = VisitTally::default();
        (0..100).for_each(|_| t.add(&visit(10, 10)));
        (0..1000).for_each(|_| t.add(&visit(10, 0)));
        assert!(t.visits < 2 * RECENT_VISITS && t.hidden * 20 < t.visits, "under a twentieth hidden after 1000 clear visits: {t:?}");
        assert!(!t.too_often());
    }

    #[test]
    fn a_stored_tally_is_made_sane() {
        assert_eq!(VisitTally { visits: 5, hidden: 9 }.sane(), VisitTally { visits: 5, hidden: 5 });
        assert_eq!(VisitTally { visits: u32::MAX, hidden: u32::MAX }.sane().visits, 2 * RECENT_VISITS - 1);
        let mut t = VisitTally { visits: u32::MAX, hidden: 0 }.sane();
        t.add(&visit(1, 1));
        assert!(t.visits < 2 * RECENT_VISITS);
    }
}
