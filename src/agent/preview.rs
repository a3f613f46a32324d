//! The zone editor's live preview: while the editor is open (a preview
//! asked for in the last minute), a redacted, skeleton-drawn PNG of the
//! window every 2 s. It passes the same redaction gate as clips, and the
//! same last look before it leaves ([`crate::privacy::RedactedFrame::recheck`]).

use std::time::{Duration, Instant};

use super::faces::Faces;
use super::state::WindowState;
use super::step::Redactees;
use crate::capture::Frame;
use crate::privacy::RedactOptions;
use crate::sync::lock;
use crate::vision::Person;

/// Previews stop this long after the last request.
const WANTED_FOR: Duration = Duration::from_secs(60);
/// At most one preview per this.
const EVERY: Duration = Duration::from_secs(2);
/// Long side of the PNG.
const LONG_SIDE: u32 = 960;

/// Makes the window's preview from this frame, if one is wanted and due.
pub(super) fn preview_frame(w: &WindowState, frame: &Frame, people: &[Person], redactees: &Redactees, faces: &Faces) {
    let masks = {
        let shown = lock(&w.shown);
        let wanted = shown.preview_wanted.is_some_and(|t| t.elapsed() < WANTED_FOR);
        if !wanted || shown.preview.as_ref().is_some_and(|(t, _)| t.elapsed() < EVERY) {
            return;
        }
        shown.masks.clone()
    };
    // Without the people to fill (the detector failed), no preview.
    let Some(all) = redactees.people(&frame.image, people) else { return };
    let evidence = faces.for_preview(&frame.image);
    let min_conf = w.window.thresholds.min_keypoint_conf;
    // The last look, as for a clip frame: the PNG as it will be served.
    let (shot, look) = crate::privacy::still(
        frame.image.clone(),
        &all,
        &evidence,
        &masks,
        &RedactOptions::default(),
        Some(LONG_SIDE),
        |shot| shot.draw_people(people, min_conf),
        |img| faces.for_check(img),
    );
    if let crate::privacy::Recheck::Whole(why) = look {
        tracing::warn!(window = %w.window.id, why, "the preview's last look filled it whole");
    }
    match shot.png_bytes() {
        Ok(png) => lock(&w.shown).preview = Some((Instant::now(), png)),
        Err(e) => tracing::warn!(window = %w.window.id, error = %e, "preview not encoded"),
    }
}
