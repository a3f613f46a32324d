//! Enrolment (photos → a [`Reference`]) and checking (a frame's person →
//! a probability), with the models that both need.

use std::path::{Path, PathBuf};

use image::RgbImage;

use super::chest::{Chest, chest};
use super::features::{Cues, Features, features};
use super::reference::{Reference, Sample};
use super::template::{self, PixelBox};
use super::text::TextDetector;
use crate::vision::pose::PoseEstimator;
use crate::vision::{Person, VisionError};

#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("{path}: {message}. Fix: {fix}")]
    Photo { path: PathBuf, message: String, fix: &'static str },
    #[error("{folder}: {message}")]
    Folder { folder: PathBuf, message: String },
    #[error(transparent)]
    Vision(#[from] VisionError),
}

/// What a check of one person says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Probability (0..1) that the item is worn.
    Score(f32),
    /// The chest could not be judged.
    Unknown(super::Unknown),
}

/// Photos smaller than this (long side, px) are enlarged before pose:
/// enrolment photos are often tight crops, too small for the person detector.
pub const MIN_PHOTO_SIDE: u32 = 320;

/// `img`, enlarged when it is smaller than [`MIN_PHOTO_SIDE`].
pub fn enlarged(img: RgbImage) -> RgbImage {
    let long = img.width().max(img.height()).max(1);
    if long >= MIN_PHOTO_SIDE {
        return img;
    }
    let k = MIN_PHOTO_SIDE as f32 / long as f32;
    image::imageops::resize(
        &img,
        (img.width() as f32 * k).round() as u32,
        (img.height() as f32 * k).round() as u32,
        image::imageops::FilterType::CatmullRom,
    )
}

/// The models a check runs: pose (for enrolment photos) and the text
/// detector.
pub struct AttireChecker<'a> {
    pub pose: &'a PoseEstimator,
    pub text: Option<&'a mut TextDetector>,
    /// Photos are person crops: the chest is a band of the photo, not
    /// found from keypoints (for already-cropped photos, e.g. datasets).
    pub person_crops: bool,
}

impl AttireChecker<'_> {
    /// Features of a chest crop (with the text cue when the detector runs).
    pub fn crop_features(&mut self, img: &RgbImage, c: &Chest, cues: Cues) -> Result<Features, VisionError> {
        let crop = image::imageops::crop_imm(img, c.x0, c.y0, c.width(), c.height()).to_image();
        let text = match (&mut self.text, cues) {
            (Some(t), Cues::Badge) => Some(t.text_share(&crop)?),
            _ => None,
        };
        Ok(features(&crop, text))
    }

    /// The chest of a photo's main person: with `person_crops` the band of
    /// the photo, else the person whose chest region is largest.
    pub fn photo_chest(&self, img: &RgbImage) -> Result<Option<Chest>, VisionError> {
        if self.person_crops {
            return Ok(super::chest::chest_in_box(img.width(), img.height()).ok());
        }
        Ok(self.main_person(img)?.map(|(_, c)| c))
    }

    /// The person of a photo whose chest is largest, with that chest.
    pub fn main_person(&self, img: &RgbImage) -> Result<Option<(Person, Chest)>, VisionError> {
        let people = self.pose.estimate(img)?;
        Ok(people
            .into_iter()
            .filter_map(|p| chest(&p, img.width(), img.height(), None).ok().map(|c| (p, c)))
            .max_by_key(|(_, c)| c.width() * c.height()))
    }

    /// The probability that a chest wears the item: the best badge-patch
    /// match when the reference has patches, else the features.
    pub fn score(&mut self, img: &RgbImage, c: &Chest, reference: &Reference) -> Result<f32, VisionError> {
        let features = self.crop_features(img, c, reference.cues)?;
        Ok(reference.probability_with(&features, template::match_chest(img, c, self.person_crops, &reference.patches, None)))
    }

    /// Scores one person of a frame against a reference.
    pub fn check(&mut self, img: &RgbImage, person: &Person, desk_y: Option<f32>, reference: &Reference) -> Result<Verdict, VisionError> {
        match chest(person, img.width(), img.height(), desk_y) {
            Err(u) => Ok(Verdict::Unknown(u)),
            Ok(c) => Ok(Verdict::Score(self.score(img, &c, reference)?)),
        }
    }

    /// The folder's samples and, for badge patches, each photo with its
    /// chest and marked boxes (kept in memory during enrolment only).
    fn samples(&mut self, folder: &Path, cues: Cues, boxes: bool) -> Result<(Vec<Sample>, Vec<Enrolled>), EnrollError> {
        let photos = list_photos(folder)?;
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for path in photos {
            let bad = |message: String, fix: &'static str| EnrollError::Photo { path: path.clone(), message, fix };
            let img = enlarged(crate::imageio::load_rgb(&path).map_err(|e| bad(e.to_string(), "use a readable JPEG or PNG photo"))?);
            let Some(c) = self.photo_chest(&img)? else {
                // Not fatal: the count check below says if too few remain.
                tracing::warn!(photo = %path.display(), "no person with both shoulders visible; photo skipped (take it from the window camera's view, chest in sight)");
                eprintln!("warning: {}: no person with both shoulders visible; skipped", path.display());
                continue;
            };
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            out.push(Sample { photo: name.clone(), features: self.crop_features(&img, &c, cues)? });
            let marked = if boxes { badge_boxes(&path, &img)? } else { Vec::new() };
            kept.push(Enrolled { name, img, chest: c, boxes: marked });
        }
        Ok((out, kept))
    }
}

/// An enrolment photo held for the badge-patch calibration.
struct Enrolled {
    name: String,
    img: RgbImage,
    chest: Chest,
    boxes: Vec<PixelBox>,
}

/// The badge boxes marked for `photo`: `NAME.txt` beside it (YOLO format).
fn badge_boxes(photo: &Path, img: &RgbImage) -> Result<Vec<PixelBox>, EnrollError> {
    let label = photo.with_extension("txt");
    let text = std::fs::read_to_string(&label).map_err(|e| EnrollError::Photo {
        path: photo.to_path_buf(),
        message: format!("its badge box file {} cannot be read: {e}", label.display()),
        fix: "mark the badge on every photo with it, as a YOLO label file beside the photo (NAME.txt: `0 cx cy w h`, normalised), e.g. with labelImg or CVAT",
    })?;
    template::read_boxes(&text, img.width(), img.height()).map_err(|(line, message)| EnrollError::Photo {
        path: label.clone(),
        message: if line > 0 { format!("line {line}: {message}") } else { message },
        fix: "write one box per line as `class cx cy w h`, each normalised to 0..1 (YOLO format)",
    })
}

/// The photos in a folder (JPEG, PNG), sorted.
fn list_photos(folder: &Path) -> Result<Vec<PathBuf>, EnrollError> {
    let rd = std::fs::read_dir(folder)
        .map_err(|e| EnrollError::Folder { folder: folder.to_path_buf(), message: format!("cannot be read: {e}") })?;
    let mut photos: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
        })
        .collect();
    photos.sort();
    if photos.is_empty() {
        return Err(EnrollError::Folder { folder: folder.to_path_buf(), message: "holds no .jpg or .png photo".into() });
    }
    Ok(photos)
}

/// Where a badge reference's patches come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patches {
    /// Found in the photos (the default).
    Found,
    /// Cut from boxes marked in a label file beside each photo with the badge.
    Marked,
    /// None: whole-chest features only.
    None,
}

/// Enrols from two folders: photos with the item and photos without.
/// For the badge, badge patches are calibrated too (leave one photo out):
/// with `boxes`, cut from the boxes marked in a label file beside each photo
/// with the badge; without, found in the photos ([`super::mining`]) and kept
/// when they separate the photos at all.
pub fn enroll(checker: &mut AttireChecker, with: &Path, without: &Path, cues: Cues, patches: Patches) -> Result<Reference, EnrollError> {
    let boxes = patches == Patches::Marked;
    let (positives, with_photos) = checker.samples(with, cues, boxes)?;
    let (negatives, without_photos) = checker.samples(without, cues, false)?;
    let folder_error = |message| EnrollError::Folder { folder: with.parent().unwrap_or(with).to_path_buf(), message };
    let reference = Reference::calibrate(cues, positives, negatives).map_err(folder_error)?;
    if cues != Cues::Badge || patches == Patches::None {
        return Ok(reference);
    }
    let whole = checker.person_crops;
    let patches: Vec<_> = if boxes {
        with_photos
            .iter()
            .flat_map(|p| {
                let gray = image::imageops::grayscale(&p.img);
                p.boxes.iter().filter_map(|b| template::cut(&gray, *b, p.chest.scale, &p.name)).collect::<Vec<_>>()
            })
            .collect()
    } else {
        fn region(p: &Enrolled, whole: bool) -> super::mining::Region<'_> {
            let (x0, y0, x1, y1) = template::search_region(&p.chest, p.img.width(), p.img.height(), whole);
            let gray = image::imageops::grayscale(&image::imageops::crop_imm(&p.img, x0, y0, x1 - x0, y1 - y0).to_image());
            super::mining::Region { photo: &p.name, gray, torso_px: p.chest.scale }
        }
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let found = super::mining::mine(
            &with_photos.iter().map(|p| region(p, whole)).collect::<Vec<_>>(),
            &without_photos.iter().map(|p| region(p, whole)).collect::<Vec<_>>(),
            threads,
        );
        found.into_iter().map(|(_, p)| p).collect()
    };
    if patches.is_empty() && !boxes {
        return Ok(reference);
    }
    // A reference keeps at most MAX_PATCHES (what `Reference::from_json`
    // reads back); the calibration below scores with exactly those.
    let mut patches = patches;
    patches.truncate(super::reference::MAX_PATCHES);
    // A photo whose chest admits no patch at any scale counts as no match.
    let score = |p: &Enrolled, skip: Option<&str>| template::match_chest(&p.img, &p.chest, whole, &patches, skip).unwrap_or(-1.0);
    let pos: Vec<f32> = with_photos.iter().map(|p| score(p, Some(&p.name))).collect();
    let neg: Vec<f32> = without_photos.iter().map(|p| score(p, None)).collect();
    let with_patches = reference.clone().with_patches(patches, &pos, &neg).map_err(folder_error)?;
    // Found patches that do not even separate the enrolment photos are
    // noise. (The chest features' own leave-one-out figure is no guide:
    // on real photos it is high while the features are at chance; see
    // docs/accuracy.md.)
    if !boxes && with_patches.patch_cut.is_some_and(|c| c.loo_accuracy <= 0.5) {
        tracing::warn!("no badge patch found that tells the photos apart; the chest features are used");
        return Ok(reference);
    }
    Ok(with_patches)
}
