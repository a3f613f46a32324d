//! `[attire]`: how the work badge and dress code are judged: references
//! from `liyi attire enroll`, a hall's own ONNX model, or both.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::Reporter;
use crate::attire::Reference;

pub use crate::attire::settings::{AttireSettings, ModelSlot};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAttire {
    badge_reference: Option<Spanned<String>>,
    uniform_reference: Option<Spanned<String>>,
    model: Option<Spanned<String>>,
    #[serde(default)]
    badge_classes: Vec<String>,
    #[serde(default)]
    no_badge_classes: Vec<String>,
    #[serde(default)]
    uniform_ok_classes: Vec<String>,
    #[serde(default)]
    uniform_off_classes: Vec<String>,
    every_s: Option<Spanned<f64>>,
}

pub(super) fn attire(raw: &RawAttire, at: usize, base: &Path, r: &mut Reporter) -> Option<AttireSettings> {
    let before = r.errors.len();
    let mut reference = |v: &Option<Spanned<String>>, field: &str| -> Option<Reference> {
        let v = v.as_ref()?;
        let path = base.join(v.get_ref());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                r.error(
                    v.span().start,
                    format!("attire.{field}"),
                    format!("{} cannot be read: {e}", path.display()),
                    "make it with `liyi attire enroll --with DIR --without DIR --out FILE`",
                );
                return None;
            }
        };
        match Reference::from_json(&text) {
            Ok(rf) => Some(rf),
            Err(e) => {
                r.error(
                    v.span().start,
                    format!("attire.{field}"),
                    format!("{} is not a reference file: {e}", path.display()),
                    "make it again with `liyi attire enroll`",
                );
                None
            }
        }
    };
    let badge = reference(&raw.badge_reference, "badge_reference");
    let uniform = reference(&raw.uniform_reference, "uniform_reference");
    if let (Some(b), Some(u)) = (&badge, &uniform)
        && (b.cues == crate::attire::Cues::Uniform || u.cues == crate::attire::Cues::Badge)
    {
        r.error(
            at,
            "attire",
            "badge_reference and uniform_reference are swapped",
            "enrol the badge without --uniform and the uniform with it",
        );
    }
    let model = raw.model.as_ref().map(|m| {
        let path = base.join(m.get_ref());
        if !path.is_file() {
            r.error(
                m.span().start,
                "attire.model",
                format!("{} does not exist", path.display()),
                "point at the hall's attire .onnx file (its manifest .toml beside it); see docs/attire.md",
            );
        }
        if raw.badge_classes.is_empty() && raw.uniform_ok_classes.is_empty() {
            r.error(
                m.span().start,
                "attire.badge_classes",
                "no class is mapped to a rule",
                "list the model's class names that mean a badge is worn (badge_classes) or the uniform is right (uniform_ok_classes)",
            );
        }
        ModelSlot {
            path: path.display().to_string(),
            badge: raw.badge_classes.clone(),
            no_badge: raw.no_badge_classes.clone(),
            uniform_ok: raw.uniform_ok_classes.clone(),
            uniform_off: raw.uniform_off_classes.clone(),
        }
    });
    if badge.is_none() && uniform.is_none() && model.is_none() && r.errors.len() == before {
        r.error(
            at,
            "attire",
            "names no reference and no model",
            "set badge_reference (from `liyi attire enroll`) or model, or remove [attire]",
        );
    }
    let every_s = match &raw.every_s {
        Some(v) if (1.0..=300.0).contains(v.get_ref()) => *v.get_ref(),
        Some(v) => {
            r.error(
                v.span().start,
                "attire.every_s",
                format!("{} is out of range 1..=300", v.get_ref()),
                "check the clerk's attire every 5-30 s",
            );
            10.0
        }
        None => 10.0,
    };
    (r.errors.len() == before).then_some(AttireSettings { badge, uniform, model, every_s })
}
