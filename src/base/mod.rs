//! What every long-running part shares and tests must be able to drive:
//! the clock ([`clock`]), the shutdown signal ([`shutdown`]), and how often
//! a recurring fault is written to the log ([`throttle`], and for panics
//! [`panics`]).

pub mod clock;
pub mod panics;
pub mod shutdown;
pub mod throttle;
