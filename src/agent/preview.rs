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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use image::RgbImage;

    use super::*;
    use crate::agent::faces::Search;
    use crate::geometry::{BBox, Point, Polygon};
    use crate::vision::detector::Detection;

    /// A horizontal gradient with checkered patches: the "face" at
    /// (800, 200)–(880, 280), a sign at (200, 500)–(280, 580), and a notice
    /// at (40, 40)–(200, 180), under the mask.
    fn scene() -> RgbImage {
        let checkered = |x: u32, y: u32| if (x / 10 + y / 10) % 2 == 0 { image::Rgb([230, 200, 180]) } else { image::Rgb([20, 30, 40]) };
        RgbImage::from_fn(1280, 720, |x, y| {
            let inside = |x0: u32, y0: u32| (x0..x0 + 80).contains(&x) && (y0..y0 + 80).contains(&y);
            let in_mask = (40..200).contains(&x) && (40..180).contains(&y);
            if inside(800, 200) || inside(200, 500) || in_mask { checkered(x, y) } else { image::Rgb([(x * 255 / 1280) as u8, 110, 90]) }
        })
    }

    fn spread(img: &RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32), channel: usize) -> u8 {
        let v: Vec<u8> = (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).map(|(x, y)| img.get_pixel(x, y).0[channel]).collect();
        v.iter().max().unwrap_or(&0) - v.iter().min().unwrap_or(&0)
    }

    /// The preview's own wiring, with a first search that misses the face:
    /// the PNG it keeps is the frame shrunk to 960, with the window's mask
    /// filled, and the face filled by the last look, which searched the
    /// still as served.
    #[test]
    fn the_preview_s_last_look_fills_a_face_the_first_search_missed() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        let mask = Polygon([(0.0, 0.0), (0.2, 0.0), (0.2, 0.3), (0.0, 0.3)].iter().map(|&(x, y)| Point::new(x, y)).collect());
        {
            let mut shown = lock(&w.shown);
            shown.masks = vec![mask];
            shown.preview_wanted = Some(Instant::now());
        }
        let searches: Arc<Mutex<Vec<(Search, (u32, u32))>>> = Arc::default();
        let seen = Arc::clone(&searches);
        let faces = Faces::scripted(move |search, img| {
            lock(&seen).push((search, img.dimensions()));
            Ok(match search {
                // The first search misses the face.
                Search::Preview => Vec::new(),
                // The last look finds it while it is there (at 960 of 1280,
                // it lies at (600, 150)–(660, 210)).
                Search::Check if spread(img, (600, 150, 660, 210), 1) > 50 => {
                    vec![Detection { bbox: BBox::new(600.0, 150.0, 660.0, 210.0), score: 0.9 }]
                }
                Search::Check => Vec::new(),
            })
        });
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let frame = Frame { ts: t0, index: 0, image: scene() };
        preview_frame(w, &frame, &[], &Redactees { recheck: None }, &faces);

        let png = lock(&w.shown).preview.as_ref().map(|(_, png)| png.clone()).expect("a preview was made");
        let shot = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(shot.dimensions(), (960, 540));
        let searches = lock(&searches).clone();
        assert_eq!(searches.first(), Some(&(Search::Preview, (1280, 720))), "the first search saw the camera's frame: {searches:?}");
        let checks: Vec<_> = searches.iter().filter(|(s, _)| *s == Search::Check).collect();
        assert!(!checks.is_empty() && checks.iter().all(|(_, d)| *d == (960, 540)), "the last look saw the still as served: {searches:?}");
        assert!(spread(&shot, (602, 152, 658, 208), 1) < 50, "the face the first search missed is filled");
        assert!(spread(&shot, (152, 377, 208, 433), 1) > 150, "the sign is kept");
        // The mask (the top left fifth by a third) is filled: the notice
        // under it lies at (30, 30)–(150, 135) served.
        assert!(spread(&shot, (32, 32, 148, 133), 1) < 50, "the notice under the mask is filled");
        assert!(spread(&shot, (300, 300, 500, 330), 0) > 30, "the gradient outside the mask is kept");
    }

    /// A last look that cannot run fills the whole preview.
    #[test]
    fn a_preview_whose_last_look_fails_is_filled_whole() {
        let agent = crate::agent::state::one_window_agent();
        let w = &agent.windows[0];
        lock(&w.shown).preview_wanted = Some(Instant::now());
        let faces = Faces::scripted(|search, _| match search {
            Search::Preview => Ok(Vec::new()),
            Search::Check => Err("the model failed".into()),
        });
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        preview_frame(w, &Frame { ts: t0, index: 0, image: scene() }, &[], &Redactees { recheck: None }, &faces);
        let png = lock(&w.shown).preview.as_ref().map(|(_, png)| png.clone()).expect("a preview was made");
        let shot = image::load_from_memory(&png).unwrap().to_rgb8();
        assert!(spread(&shot, (0, 0, 960, 540), 1) < 60 && spread(&shot, (0, 0, 960, 540), 0) < 60, "filled whole");
    }
}
