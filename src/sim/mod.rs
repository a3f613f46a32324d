//! Seated-clerk keypoint simulator.
//!
//! A pure (no I/O), deterministic generator of COCO-17 keypoint traces for a
//! clerk seated behind a service-window desk, seen by a ceiling-mounted front
//! camera, with a citizen occasionally walking up to the counter.
//!
//! # World frame (metres)
//! * origin on the floor directly below the clerk's seated hip centre;
//! * `x` to the camera's right (= image right; the clerk faces the camera, so
//!   the clerk's *left* side is at `+x`);
//! * `y` up;
//! * `z` from the clerk towards the camera.
//!
//! The desk ([`scene`]) spans `z ∈ [0.25, 0.85]` with its top at 0.75 m, the
//! citizen stands at `z ≈ 1.1` (in front of the desk, slightly to image
//! right), and the camera ([`camera`]) hangs at `(0, height_m, distance_m)`
//! looking towards `-z`, tilted down.
//!
//! # Pipeline per frame
//! [`clerk`] / [`citizen`] turn the scripted [`scenario`] into joint-angle
//! poses, [`body`] turns poses into 3-D joints, [`camera`] projects them,
//! [`occlusion`] decides which joints are really visible, and [`detector`]
//! mimics a pose model (noise, confident visible joints, moderate-confidence
//! *wrong guesses* for hidden ones, boxes, scores). [`simulate()`] strings it all
//! together and attaches ground truth ([`truth`]) and image zones ([`zones`]).

pub mod body;
pub mod camera;
pub mod citizen;
pub mod clerk;
pub mod detector;
pub mod evaluate;
pub mod family;
pub mod library;
pub mod noise;
pub mod occlusion;
pub mod scenario;
pub mod scene;
pub mod script;
pub mod simulate;
pub mod truth;
pub mod vec3;
pub mod zones;

#[cfg(test)]
mod tests;

pub use camera::Camera;
pub use scenario::{Activity, BusyForm, Clerk, HeadForm, Scenario, Segment, SlouchForm};
pub use simulate::{SimConfig, SimFrame, Simulation, simulate};
pub use truth::{FrameTruth, TruthEvent};
pub use zones::Zones;
