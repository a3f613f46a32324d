//! Work badge (工作牌) and dress code (着装): is the clerk wearing them?
//!
//! - `chest`: the chest region from pose keypoints (pure).
//! - `features`: colour, card-shape, edge and text cues of a chest crop,
//!   and the distance between two crops (pure).
//! - `reference`: a hall's references from its own photos, the calibrated
//!   threshold, and scoring (pure).
//! - `template`: badge patches cut from boxes the hall marked, and where a
//!   chest matches them best (pure).
//! - `mining`: finding the badge patch without marked boxes: what the photos
//!   with the badge share and those without lack (pure).
//! - `text`: the PP-OCRv4 text detector behind the text cue.
//! - `enroll`: photos → references (`liyi attire enroll`), and the checker
//!   that scores photos (`liyi attire check`).
//! - `model`: the slot for a hall's own ONNX attire model (manifest-described).
//! - `judge`: a live frame's clerk → badge and uniform probabilities, for the
//!   `missing_badge` and `dress_code` rules.
//!
//! No frame is kept: references hold numbers, photo file names and, when
//! the hall marked its badge, badge-sized grey patches (at most 24 px).

pub mod chest;
pub mod enroll;
pub mod features;
pub mod judge;
pub mod mining;
pub mod model;
pub mod reference;
pub mod settings;
pub mod template;
pub mod text;

pub use chest::{Chest, Unknown, chest};
pub use enroll::{AttireChecker, EnrollError, Verdict, enroll};
pub use features::{Cues, Features, features};
pub use judge::{Attire, Judge};
pub use reference::{Reference, Sample};
