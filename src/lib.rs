//! Liyi (礼仪): watches government service windows through cameras and turns
//! what it sees into etiquette-compliance figures, without storing a face.
//!
//! The data path, one frame at a time (see `docs/design.md`): a camera or
//! file ([`capture`]) → [`vision`] (ONNX pose, person and face models) →
//! people with keypoints → [`rules`] (observations against the clerk's own
//! baseline, state machines, events, minute metrics) → the edge [`store`]
//! and its outbox → [`uplink`] → the [`hub`]. Pixels leave only through
//! [`privacy::redact`], the one gate ([`clips`], previews, drawings).
//! [`geometry`] and [`rules`] are pure; everything that touches files,
//! models or the network is kept out of them.

pub mod agent;
pub mod analyze;
pub mod atomic;
pub mod attire;
pub mod audit;
pub mod av;
pub mod base;
pub mod capture;
pub mod check;
pub mod cli;
pub mod clips;
pub mod config;
pub mod doctor;
pub mod geometry;
pub mod hub;
pub mod i18n;
pub mod imageio;
pub mod mqtt;
pub mod paths;
pub mod privacy;
pub mod replay;
pub mod rules;
pub mod secret;
pub mod signin;
pub mod sim;
pub mod store;
pub mod sync;
pub mod trace;
pub mod uplink;
pub mod vision;
pub mod wire;
