//! What every long-running part shares and tests must be able to drive:
//! the clock ([`clock`]) and the shutdown signal ([`shutdown`]).

pub mod clock;
pub mod shutdown;
