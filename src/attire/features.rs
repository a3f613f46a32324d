//! What a chest crop looks like, as numbers (pure; no pixels are kept):
//!
//! - `hist`: a colour histogram (12 hues × 2 saturation levels + 4 grey
//!   levels), normalised: the lanyard's and card's colours, and the
//!   uniform's;
//! - `card`: the largest bright, unsaturated, card-shaped blob, as a share of
//!   the crop (a white or pale badge);
//! - `edges`: mean gradient strength (printed text and lanyard edges);
//! - `text`: the share of the crop the text detector (PP-OCRv4 det) marks
//!   as text, when it ran (badges carry printed names and numbers).

use image::RgbImage;
use imageproc::region_labelling::{Connectivity, connected_components};
use serde::{Deserialize, Serialize};

use crate::vision::preprocess::resize_rgb;

/// Crops are compared at this size (w × h).
pub const CROP_W: u32 = 48;
pub const CROP_H: u32 = 64;
const HUES: usize = 12;
pub const HIST_BINS: usize = HUES * 2 + 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Features {
    pub hist: Vec<f32>,
    pub card: f32,
    pub edges: f32,
    #[serde(default)]
    pub text: Option<f32>,
}

fn hsv(p: [u8; 3]) -> (f32, f32, f32) {
    let [r, g, b] = p.map(|c| f32::from(c) / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    let h = if d == 0.0 {
        0.0
    } else if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    let s = if max == 0.0 { 0.0 } else { d / max };
    (h, s, max)
}

/// Features of a crop (any size; it is resized to `CROP_W × CROP_H`).
pub fn features(crop: &RgbImage, text: Option<f32>) -> Features {
    let img = resize_rgb(crop, CROP_W, CROP_H);
    let mut hist = vec![0f32; HIST_BINS];
    let mut bright = image::GrayImage::new(CROP_W, CROP_H);
    for (x, y, p) in img.enumerate_pixels() {
        let (h, s, v) = hsv(p.0);
        let bin = if s < 0.2 || v < 0.15 {
            HUES * 2 + ((v * 4.0) as usize).min(3)
        } else {
            let hue = ((h / 360.0 * HUES as f32) as usize).min(HUES - 1);
            hue * 2 + usize::from(s >= 0.55)
        };
        hist[bin] += 1.0;
        if v > 0.7 && s < 0.25 {
            bright.put_pixel(x, y, image::Luma([255]));
        }
    }
    let n = (CROP_W * CROP_H) as f32;
    hist.iter_mut().for_each(|h| *h /= n);
    Features { hist, card: card_blob(&bright), edges: edge_strength(&img), text }
}

/// The largest bright blob that is card-shaped (fills most of its box,
/// aspect 1:2.5 to 2.5:1, 1-30 % of the crop), as a share of the crop.
fn card_blob(mask: &image::GrayImage) -> f32 {
    let labels = connected_components(mask, Connectivity::Eight, image::Luma([0u8]));
    let mut boxes: std::collections::HashMap<u32, (u32, u32, u32, u32, u32)> = std::collections::HashMap::new();
    for (x, y, l) in labels.enumerate_pixels() {
        if l.0[0] == 0 {
            continue;
        }
        let e = boxes.entry(l.0[0]).or_insert((x, y, x, y, 0));
        e.0 = e.0.min(x);
        e.1 = e.1.min(y);
        e.2 = e.2.max(x);
        e.3 = e.3.max(y);
        e.4 += 1;
    }
    let total = (mask.width() * mask.height()) as f32;
    boxes
        .values()
        .filter_map(|&(x0, y0, x1, y1, area)| {
            let (w, h) = ((x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32);
            let share = area as f32 / total;
            let fill = area as f32 / (w * h);
            (fill >= 0.6 && (0.4..=2.5).contains(&(w / h)) && (0.01..=0.3).contains(&share)).then_some(share)
        })
        .fold(0.0, f32::max)
}

/// Mean absolute grey-level gradient, 0..1.
fn edge_strength(img: &RgbImage) -> f32 {
    let grey = |x: u32, y: u32| {
        let p = img.get_pixel(x, y).0;
        (0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])) / 255.0
    };
    let (w, h) = img.dimensions();
    let mut sum = 0.0;
    for y in 0..h - 1 {
        for x in 0..w - 1 {
            sum += (grey(x + 1, y) - grey(x, y)).abs() + (grey(x, y + 1) - grey(x, y)).abs();
        }
    }
    sum / ((w - 1) * (h - 1)) as f32
}

/// Which cues a comparison uses: all of them for the badge, colour only for
/// the uniform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cues {
    Badge,
    Uniform,
}

/// Distance between two crops' features (0 = identical).
pub fn distance(a: &Features, b: &Features, cues: Cues) -> f32 {
    // Chi-square distance of the histograms, 0..1.
    let chi: f32 = a.hist.iter().zip(&b.hist).map(|(x, y)| if x + y > 0.0 { (x - y).powi(2) / (x + y) } else { 0.0 }).sum::<f32>() / 2.0;
    match cues {
        Cues::Uniform => chi,
        Cues::Badge => {
            let text = match (a.text, b.text) {
                (Some(x), Some(y)) => (x - y).abs(),
                _ => 0.0,
            };
            chi + 2.0 * (a.card - b.card).abs() + 2.0 * (a.edges - b.edges).abs() + 2.0 * text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shirt(colour: [u8; 3], card: bool) -> RgbImage {
        let mut img = RgbImage::from_pixel(96, 128, image::Rgb(colour));
        if card {
            for y in 50..80 {
                for x in 30..52 {
                    img.put_pixel(x, y, image::Rgb([245, 245, 240]));
                }
            }
            // A lanyard and two lines of "text" on the card.
            for y in 0..50 {
                for x in 39..43 {
                    img.put_pixel(x, y, image::Rgb([200, 20, 20]));
                }
            }
            for x in 33..49 {
                img.put_pixel(x, 60, image::Rgb([20, 20, 20]));
                img.put_pixel(x, 66, image::Rgb([20, 20, 20]));
            }
        }
        img
    }

    #[test]
    fn a_card_on_a_shirt_is_seen() {
        let with = features(&shirt([30, 50, 120], true), None);
        let without = features(&shirt([30, 50, 120], false), None);
        assert!(with.card > 0.03 && without.card == 0.0, "{} {}", with.card, without.card);
        assert!(with.edges > without.edges);
        assert!((with.hist.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }

    #[test]
    fn distance_orders_by_likeness() {
        let a = features(&shirt([30, 50, 120], true), None);
        let b = features(&shirt([32, 52, 118], true), None);
        let c = features(&shirt([30, 50, 120], false), None);
        let d = features(&shirt([150, 150, 150], false), None);
        assert!(distance(&a, &b, Cues::Badge) < distance(&a, &c, Cues::Badge));
        assert!(distance(&a, &c, Cues::Uniform) < distance(&a, &d, Cues::Uniform));
        assert_eq!(distance(&a, &a, Cues::Badge), 0.0);
    }
}
