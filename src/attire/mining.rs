//! Finding the badge without marked boxes (pure): the patch that the photos
//! with the badge share and the photos without it lack.
//!
//! Every photo's search region is scaled to a common torso width
//! ([`TORSO_PX`]). Candidate patches are cut on a grid from a few of the
//! photos with the badge (the anchors), in three badge-sized shapes. Each
//! candidate scores the mean of its best match in the *other* photos with
//! the badge, minus the mean of its two best matches in the photos without.
//! The best few become badge patches, and are then calibrated like marked
//! ones. This is discriminative patch discovery: it finds what tells the two
//! folders apart, which is the badge when the photos differ only in it.
//! That is why they should come from the same window cameras.

use image::GrayImage;
use image::imageops::{self, FilterType};

use super::template::{BadgePatch, ncc_max, normalised};

/// Regions are compared at this torso width.
pub const TORSO_PX: f32 = 64.0;
/// Candidate shapes (w × h px at [`TORSO_PX`]): a landscape card, a larger
/// one, a portrait lanyard card.
const SHAPES: [(u32, u32); 3] = [(10, 8), (14, 10), (10, 14)];
const STRIDE: u32 = 4;
/// Photos with the badge that candidates are cut from.
const ANCHORS: usize = 3;
/// Patches kept.
pub const KEEP: usize = 3;

/// One enrolment photo's search region, grey, and its torso width in px.
pub struct Region<'a> {
    pub photo: &'a str,
    pub gray: GrayImage,
    pub torso_px: f32,
}

/// A region scaled to [`TORSO_PX`].
fn scaled(r: &Region) -> GrayImage {
    let k = TORSO_PX / r.torso_px.max(1.0);
    let (w, h) = (((r.gray.width() as f32 * k).round() as u32).max(1), ((r.gray.height() as f32 * k).round() as u32).max(1));
    imageops::resize(&r.gray, w, h, FilterType::Triangle)
}

fn candidate(g: &GrayImage, x: u32, y: u32, w: u32, h: u32, photo: &str) -> Option<BadgePatch> {
    let pixels = (0..h).flat_map(|j| (0..w).map(move |i| (i, j))).map(|(i, j)| f32::from(g.get_pixel(x + i, y + j)[0]));
    // A nearly flat patch (plain shirt, wall) carries no pattern.
    let values = normalised(pixels, 20.0)?;
    Some(BadgePatch { photo: photo.to_string(), w, h, rel_w: w as f32 / TORSO_PX, values })
}

/// The best [`KEEP`] patches that tell `with` from `without`, best first,
/// with their scores; empty when there are too few photos. Uses up to
/// `threads` threads.
pub fn mine(with: &[Region], without: &[Region], threads: usize) -> Vec<(f32, BadgePatch)> {
    if with.len() < 2 || without.len() < 2 {
        return Vec::new();
    }
    let pos: Vec<GrayImage> = with.iter().map(scaled).collect();
    let neg: Vec<GrayImage> = without.iter().map(scaled).collect();
    let mut cands: Vec<(usize, BadgePatch)> = Vec::new();
    for (a, g) in pos.iter().enumerate().take(ANCHORS) {
        for (w, h) in SHAPES {
            if g.width() < w || g.height() < h {
                continue;
            }
            for y in (0..=g.height() - h).step_by(STRIDE as usize) {
                for x in (0..=g.width() - w).step_by(STRIDE as usize) {
                    if let Some(c) = candidate(g, x, y, w, h, with[a].photo) {
                        cands.push((a, c));
                    }
                }
            }
        }
    }
    let score = |(a, c): &(usize, BadgePatch)| -> f32 {
        let others: Vec<f32> = pos.iter().enumerate().filter(|(j, _)| j != a).map(|(_, g)| ncc_max(g, c).unwrap_or(-1.0)).collect();
        let mut n: Vec<f32> = neg.iter().map(|g| ncc_max(g, c).unwrap_or(-1.0)).collect();
        n.sort_by(|x, y| y.total_cmp(x));
        others.iter().sum::<f32>() / others.len() as f32 - (n[0] + n[1]) / 2.0
    };
    let threads = threads.max(1);
    let chunk = cands.len().div_ceil(threads).max(1);
    let mut scored: Vec<(f32, BadgePatch)> = std::thread::scope(|s| {
        let handles: Vec<_> =
            cands.chunks(chunk).map(|part| s.spawn(move || part.iter().map(|c| (score(c), c.1.clone())).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    scored.sort_by(|x, y| y.0.total_cmp(&x.0));
    scored.truncate(KEEP);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured "shirt" 64 px wide, with a striped card at (x, y) when
    /// `card`.
    fn shirt(seed: u32, card: Option<(u32, u32)>) -> GrayImage {
        let mut g = GrayImage::from_fn(64, 96, |i, j| image::Luma([100 + ((i * 7 + j * 13 + seed * 5) % 17) as u8]));
        if let Some((x, y)) = card {
            for j in 0..8 {
                for i in 0..12 {
                    g.put_pixel(x + i, y + j, image::Luma([if (i / 2) % 2 == 0 { 235 } else { 25 }]));
                }
            }
        }
        g
    }

    #[test]
    fn finds_the_card_the_photos_with_it_share() {
        let names: Vec<String> = (0..10).map(|i| format!("p{i}.jpg")).collect();
        let with: Vec<Region> = (0..5)
            .map(|i| Region { photo: &names[i], gray: shirt(i as u32, Some((20 + i as u32 * 3, 30 + i as u32 * 4))), torso_px: 64.0 })
            .collect();
        let without: Vec<Region> = (5..10).map(|i| Region { photo: &names[i], gray: shirt(i as u32, None), torso_px: 64.0 }).collect();
        let found = mine(&with, &without, 2);
        assert_eq!(found.len(), KEEP);
        let (score, best) = &found[0];
        assert!(*score > 0.3, "{score}");
        // The patch is striped (the card), not shirt texture: strongly
        // bimodal values.
        let extreme = best.values.iter().filter(|v| v.abs() > 0.05).count();
        assert!(extreme * 2 > best.values.len(), "{best:?}");
        assert!(mine(&with[..1], &without, 2).is_empty(), "one photo with the badge is too few");
    }
}
