//! Judging a clerk's attire in a live frame, with whatever `[attire]`
//! configures: the hall's references (badge, uniform), its own model, or
//! both (then their probabilities are averaged).

use std::sync::Mutex;

use image::RgbImage;

use super::chest::chest;
use super::features::{Cues, features};
use super::model::{AttireModel, worn};
use super::settings::AttireSettings;
use super::text::TextDetector;
use crate::sync::lock;
use crate::vision::catalog::Catalog;
use crate::vision::engine::EngineOptions;
use crate::vision::runtime::Runtime;
use crate::vision::{Person, VisionError};

pub struct Judge {
    settings: AttireSettings,
    text: Option<Mutex<TextDetector>>,
    model: Option<Mutex<AttireModel>>,
}

/// Probabilities that the badge / the uniform is worn (`None`: not judged).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Attire {
    pub badge: Option<f32>,
    pub uniform: Option<f32>,
}

impl Judge {
    pub fn load(runtime: &Runtime, catalog: &Catalog, settings: &AttireSettings, options: EngineOptions) -> Result<Judge, VisionError> {
        let text = match &settings.badge {
            Some(_) => Some(Mutex::new(TextDetector::load(runtime, catalog, options)?)),
            None => None,
        };
        let model = match &settings.model {
            Some(m) => Some(Mutex::new(AttireModel::load(runtime, catalog, &m.path, options)?)),
            None => None,
        };
        Ok(Judge { settings: settings.clone(), text, model })
    }

    pub fn every_s(&self) -> f64 {
        self.settings.every_s
    }

    /// The clerk's attire in `img`; `desk_y` in pixels.
    pub fn judge(&self, img: &RgbImage, clerk: &Person, desk_y: Option<f32>) -> Result<Attire, VisionError> {
        let Ok(c) = chest(clerk, img.width(), img.height(), desk_y) else { return Ok(Attire::default()) };
        let crop = image::imageops::crop_imm(img, c.x0, c.y0, c.width(), c.height()).to_image();
        let mut badge = Vec::new();
        let mut uniform = Vec::new();
        if let Some(r) = &self.settings.badge {
            let text = match &self.text {
                Some(t) => Some(lock(t).text_share(&crop)?),
                None => None,
            };
            badge.push(r.probability_with(&features(&crop, text), super::template::match_chest(img, &c, false, &r.patches, None)));
        }
        if let Some(r) = &self.settings.uniform {
            debug_assert_eq!(r.cues, Cues::Uniform);
            uniform.push(r.probability(&features(&crop, None)));
        }
        if let (Some(m), Some(slot)) = (&self.model, &self.settings.model) {
            let probs = lock(m).classify(&crop)?;
            badge.extend(worn(&probs, &slot.badge, &slot.no_badge));
            uniform.extend(worn(&probs, &slot.uniform_ok, &slot.uniform_off));
        }
        let mean = |v: Vec<f32>| (!v.is_empty()).then(|| v.iter().sum::<f32>() / v.len() as f32);
        Ok(Attire { badge: mean(badge), uniform: mean(uniform) })
    }
}
