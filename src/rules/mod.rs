//! Rules over time: per-frame observations, one state machine per rule with
//! entry and exit hysteresis, the window's schedule, events and minute
//! metrics. Pure: no I/O, time comes from the frames.

pub mod baseline;
pub mod desk_doubt;
pub mod engine;
pub mod event;
mod head_model;
pub mod machine;
pub mod metrics;
pub mod observe;
pub mod posture;
mod vanish;
pub mod visits;

pub use engine::WindowRules;
pub use event::{Event, N_RULES, RuleCode};
pub use metrics::MinuteMetrics;
pub use observe::{Observation, Posture};
