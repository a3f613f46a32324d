//! A hall's references: features of its own staff photographed at their
//! windows with the badge (or uniform) and without, and the threshold the
//! photos themselves calibrate (pure).
//!
//! The score of a crop is how much nearer it is to the positive references
//! than to the negative ones: the mean distance to its two nearest
//! negatives minus the mean distance to its two nearest positives. The
//! threshold is the cut that best separates the references' own
//! leave-one-out scores (balanced accuracy), and the score is mapped
//! through a logistic around it, scaled by their spread, to 0..1. Positives
//! alone cannot place such a cut, so at least two negatives are required.
//!
//! When the hall marked the badge's box on its photos, the references also
//! hold badge patches ([`super::template`]); then the best patch match is
//! the score, calibrated the same way (leave-one-photo-out), and the
//! features above are the fallback for a chest too small to search.

use serde::{Deserialize, Serialize};

use super::features::{Cues, Features, distance};
use super::template::BadgePatch;

pub const MIN_POSITIVES: usize = 3;
pub const MIN_NEGATIVES: usize = 2;
const NEAREST: usize = 2;

/// One labelled reference: its features and the photo's file name (no
/// pixels, no face).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub photo: String,
    pub features: Features,
}

/// The most badge patches a reference keeps (one per reference photo
/// with a badge; `attire reference` uses a few dozen photos at most).
pub const MAX_PATCHES: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub cues: Cues,
    pub positives: Vec<Sample>,
    pub negatives: Vec<Sample>,
    /// Raw score at which the decision flips.
    pub threshold: f32,
    /// Spread of the raw scores, for the logistic.
    pub scale: f32,
    /// Leave-one-out accuracy on the references themselves (balanced).
    pub loo_accuracy: f32,
    /// The badge itself, from boxes marked on the photos with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<BadgePatch>,
    /// The cut on the best patch match, when there are patches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_cut: Option<Cut>,
}

/// A calibrated decision on a raw score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cut {
    pub threshold: f32,
    pub scale: f32,
    /// Balanced accuracy of the leave-one-out scores at the threshold.
    pub loo_accuracy: f32,
}

impl Cut {
    /// The cut that best separates `pos` from `neg`, with the logistic's
    /// scale from their spread around it.
    pub fn fit(pos: &[f32], neg: &[f32]) -> Cut {
        let (threshold, loo_accuracy) = best_cut(pos, neg);
        let spread = pos.iter().chain(neg).map(|s| (s - threshold).abs()).sum::<f32>() / (pos.len() + neg.len()).max(1) as f32;
        Cut { threshold, scale: (spread / 2.0).max(1e-3), loo_accuracy }
    }

    pub fn probability(&self, raw: f32) -> f32 {
        1.0 / (1.0 + (-(raw - self.threshold) / self.scale).exp())
    }
}

fn nearest(x: &Features, set: &[&Features], cues: Cues) -> f32 {
    let mut d: Vec<f32> = set.iter().map(|s| distance(x, s, cues)).collect();
    d.sort_by(f32::total_cmp);
    let k = d.len().min(NEAREST);
    d[..k].iter().sum::<f32>() / k.max(1) as f32
}

fn raw(x: &Features, pos: &[&Features], neg: &[&Features], cues: Cues) -> f32 {
    nearest(x, neg, cues) - nearest(x, pos, cues)
}

/// The best cut between positive and negative scores (balanced accuracy),
/// and that accuracy.
fn best_cut(pos: &[f32], neg: &[f32]) -> (f32, f32) {
    let mut all: Vec<f32> = pos.iter().chain(neg).copied().collect();
    all.sort_by(f32::total_cmp);
    let mut cands: Vec<f32> = all.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    cands.push(0.0);
    let acc = |t: f32| {
        let tp = pos.iter().filter(|&&s| s >= t).count() as f32 / pos.len() as f32;
        let tn = neg.iter().filter(|&&s| s < t).count() as f32 / neg.len() as f32;
        (tp + tn) / 2.0
    };
    // Ties: prefer the cut nearest the middle of the two groups.
    let mid = (pos.iter().sum::<f32>() / pos.len() as f32 + neg.iter().sum::<f32>() / neg.len() as f32) / 2.0;
    cands
        .into_iter()
        .map(|t| (t, acc(t)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| (b.0 - mid).abs().total_cmp(&(a.0 - mid).abs())))
        .unwrap_or((0.0, 0.5))
}

impl Reference {
    /// Calibrates from labelled samples.
    pub fn calibrate(cues: Cues, positives: Vec<Sample>, negatives: Vec<Sample>) -> Result<Reference, String> {
        if positives.len() < MIN_POSITIVES {
            return Err(format!("{} photo(s) with the item; take at least {MIN_POSITIVES} (3-10 is right)", positives.len()));
        }
        if negatives.len() < MIN_NEGATIVES {
            return Err(format!(
                "{} photo(s) without it; take at least {MIN_NEGATIVES}: without them no threshold can be calibrated",
                negatives.len()
            ));
        }
        let loo = |set: &[Sample], other: &[Sample], positive: bool| -> Vec<f32> {
            (0..set.len())
                .map(|i| {
                    let rest: Vec<&Features> = set.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, s)| &s.features).collect();
                    let others: Vec<&Features> = other.iter().map(|s| &s.features).collect();
                    if positive { raw(&set[i].features, &rest, &others, cues) } else { raw(&set[i].features, &others, &rest, cues) }
                })
                .collect()
        };
        let (ps, ns) = (loo(&positives, &negatives, true), loo(&negatives, &positives, false));
        let cut = Cut::fit(&ps, &ns);
        Ok(Reference {
            cues,
            positives,
            negatives,
            threshold: cut.threshold,
            scale: cut.scale,
            loo_accuracy: cut.loo_accuracy,
            patches: Vec::new(),
            patch_cut: None,
        })
    }

    /// Reads a reference file's JSON, checking what the matcher relies on
    /// (a hand-edited or truncated file is an error, not a crash).
    pub fn from_json(text: &str) -> Result<Reference, String> {
        let r: Reference = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if r.patches.len() > MAX_PATCHES {
            return Err(format!("{} badge patches; a reference keeps at most {MAX_PATCHES}", r.patches.len()));
        }
        for (i, p) in r.patches.iter().enumerate() {
            // The matcher resizes the chest by `w / expected width`: a patch
            // wider than `attire reference` makes (or a tiny `rel_w`) would
            // blow the chest up to gigapixels.
            if p.w == 0
                || p.h == 0
                || p.w.max(p.h) > super::template::PATCH_MAX_SIDE
                || p.w.checked_mul(p.h).is_none_or(|n| p.values.len() as u64 != u64::from(n))
                || !(p.rel_w.is_finite() && p.rel_w > 0.01 && p.rel_w <= 2.0)
                || p.values.iter().any(|v| !v.is_finite())
            {
                return Err(format!(
                    "badge patch {} is damaged ({}×{} with {} values, rel_w {})",
                    i + 1,
                    p.w,
                    p.h,
                    p.values.len(),
                    p.rel_w
                ));
            }
        }
        if !(r.threshold.is_finite() && r.scale > 0.0) || r.patch_cut.is_some_and(|c| !(c.threshold.is_finite() && c.scale > 0.0)) {
            return Err("its calibration is damaged (threshold or scale)".into());
        }
        Ok(r)
    }

    /// Adds badge patches, calibrated on the best-match scores of the
    /// photos with the badge (each without its own patches) and without.
    pub fn with_patches(mut self, patches: Vec<BadgePatch>, pos: &[f32], neg: &[f32]) -> Result<Reference, String> {
        if patches.is_empty() {
            return Err("no badge box could be cut from the photos with the badge".into());
        }
        if pos.len() < MIN_POSITIVES || neg.len() < MIN_NEGATIVES {
            return Err(format!(
                "badge patches need {MIN_POSITIVES} photos with and {MIN_NEGATIVES} without to calibrate; {} and {} could be scored",
                pos.len(),
                neg.len()
            ));
        }
        self.patch_cut = Some(Cut::fit(pos, neg));
        self.patches = patches;
        Ok(self)
    }

    /// The probability from the best patch match when there are patches
    /// and the chest could be searched, else from the features.
    pub fn probability_with(&self, x: &Features, patch_match: Option<f32>) -> f32 {
        match (self.patch_cut, patch_match) {
            (Some(cut), Some(m)) => cut.probability(m),
            _ => self.probability(x),
        }
    }

    /// The raw score of a crop's features (positive: like the positives).
    pub fn raw(&self, x: &Features) -> f32 {
        let pos: Vec<&Features> = self.positives.iter().map(|s| &s.features).collect();
        let neg: Vec<&Features> = self.negatives.iter().map(|s| &s.features).collect();
        raw(x, &pos, &neg, self.cues)
    }

    /// 0..1; above 0.5 means "like the positives" (badge worn, uniform on).
    pub fn probability(&self, x: &Features) -> f32 {
        Cut { threshold: self.threshold, scale: self.scale, loo_accuracy: self.loo_accuracy }.probability(self.raw(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attire::features::HIST_BINS;

    fn f(colour_bin: usize, card: f32) -> Features {
        let mut hist = vec![0.0; HIST_BINS];
        hist[colour_bin] = 1.0 - card;
        hist[HIST_BINS - 1] = card;
        Features { hist, card, edges: card / 2.0, text: Some(card / 3.0) }
    }

    fn s(name: &str, f: Features) -> Sample {
        Sample { photo: name.into(), features: f }
    }

    #[test]
    fn needs_negatives_to_calibrate() {
        let pos = vec![s("a", f(3, 0.1)), s("b", f(3, 0.12)), s("c", f(3, 0.09))];
        let err = Reference::calibrate(Cues::Badge, pos.clone(), vec![s("x", f(3, 0.0))]).unwrap_err();
        assert!(err.contains("without") && err.contains("calibrated"), "{err}");
        assert!(Reference::calibrate(Cues::Badge, pos[..2].to_vec(), vec![]).unwrap_err().contains("at least 3"));
    }

    #[test]
    fn separates_and_scores_new_crops() {
        let pos = vec![s("a", f(3, 0.10)), s("b", f(3, 0.12)), s("c", f(3, 0.09)), s("d", f(3, 0.11))];
        let neg = vec![s("x", f(3, 0.0)), s("y", f(3, 0.01)), s("z", f(3, 0.0))];
        let r = Reference::calibrate(Cues::Badge, pos, neg).unwrap();
        assert_eq!(r.loo_accuracy, 1.0);
        assert!(r.probability(&f(3, 0.105)) > 0.7);
        assert!(r.probability(&f(3, 0.005)) < 0.3);
        // Serialised: numbers and file names only.
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"photo\":\"a\"") && json.contains("\"cues\":\"badge\""));
        assert!(!json.contains("patches"), "no patches unless boxes were marked");
    }

    #[test]
    fn patches_calibrate_on_match_scores_and_take_over_the_score() {
        let pos = vec![s("a", f(3, 0.10)), s("b", f(3, 0.12)), s("c", f(3, 0.09))];
        let neg = vec![s("x", f(3, 0.0)), s("y", f(3, 0.01))];
        let r = Reference::calibrate(Cues::Badge, pos, neg).unwrap();
        let patch = BadgePatch { photo: "a".into(), w: 3, h: 3, rel_w: 0.2, values: vec![0.0; 9] };
        assert!(r.clone().with_patches(vec![], &[0.9; 3], &[0.2; 2]).is_err());
        assert!(r.clone().with_patches(vec![patch.clone()], &[0.9; 3], &[0.2]).unwrap_err().contains("without"));
        let r = r.with_patches(vec![patch], &[0.82, 0.9, 0.86], &[0.55, 0.61]).unwrap();
        let cut = r.patch_cut.unwrap();
        assert_eq!(cut.loo_accuracy, 1.0);
        assert!(cut.threshold > 0.61 && cut.threshold < 0.82, "{cut:?}");
        assert!(r.probability_with(&f(3, 0.0), Some(0.88)) > 0.7, "the match decides, not the features");
        assert!(r.probability_with(&f(3, 0.11), Some(0.5)) < 0.3);
        assert!(r.probability_with(&f(3, 0.105), None) > 0.7, "no search possible: the features decide");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(Reference::from_json(&json).unwrap(), r);
        // A damaged patch is an error, not an out-of-bounds panic later.
        let damaged = json.replace("\"w\":3", "\"w\":30");
        assert!(Reference::from_json(&damaged).unwrap_err().contains("badge patch 1 is damaged"));
        // A patch wider than the matcher's (gigapixel resizes), or one whose
        // w × h wraps u32: refused.
        let wide = json
            .replace("\"w\":3", "\"w\":4000")
            .replace("\"values\":[0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0]", &format!("\"values\":[{}]", vec!["0.0"; 12000].join(",")));
        assert!(Reference::from_json(&wide).unwrap_err().contains("badge patch 1 is damaged"));
        let huge = json.replace("\"w\":3", "\"w\":65536").replace("\"h\":3", "\"h\":65536");
        assert!(Reference::from_json(&huge).unwrap_err().contains("badge patch 1 is damaged"));
        assert!(Reference::from_json("{").is_err());
    }
}
