//! One frame's result, as every user of pose output shares it: the JSON
//! line `liyi analyze --json` prints, the body of a keypoint trace line,
//! what the simulator emits and what the agent records.

use serde::{Deserialize, Serialize};

use super::person::Person;

/// The people found in one frame, in original-image pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameReport {
    pub source: String,
    pub frame: u64,
    pub width: u32,
    pub height: u32,
    pub model: String,
    pub people: Vec<Person>,
}
