//! The process's panic hook for long-running commands. The agent and the
//! hub catch a panic where it happens and go on (docs/durability.md, "A
//! panic inside one window"); Rust's default hook still writes every panic
//! to stderr, so one that recurs on every frame writes a few lines per
//! frame for as long as it lasts. This hook writes the first panic at each
//! place in the code as the default hook would, then at most one a minute
//! for that place, saying how many were left out.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::throttle::{Throttle, monotonic};

/// Where each place's panics were last written.
fn places() -> &'static Mutex<HashMap<String, Throttle>> {
    static PLACES: OnceLock<Mutex<HashMap<String, Throttle>>> = OnceLock::new();
    PLACES.get_or_init(Default::default)
}

/// At most this many places are remembered; past it, every panic is
/// written (a program panicking in that many places has other problems).
const MAX_PLACES: usize = 1024;

/// Whether a panic at `place` at `now` is written, and how many there were
/// left out before it. Separate from the hook so tests can drive it.
fn admit(places: &Mutex<HashMap<String, Throttle>>, place: &str, now: Duration, every: Duration) -> Option<u64> {
    // Never wait in a panic hook: a lock held elsewhere (it is not, but a
    // hook must not deadlock a panicking thread) means write it.
    let Ok(mut places) = places.try_lock() else { return Some(0) };
    if !places.contains_key(place) && places.len() >= MAX_PLACES {
        return Some(0);
    }
    places.entry(place.to_string()).or_insert_with(|| Throttle::new(every)).admit(now)
}

/// Installs the quiet hook in front of the current one.
pub fn install_quiet_hook() {
    let _ = monotonic();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let place = info.location().map_or_else(|| "an unknown place".to_string(), |l| format!("{}:{}", l.file(), l.line()));
        match admit(places(), &place, monotonic(), Duration::from_secs(60)) {
            Some(0) => default(info),
            Some(left_out) => {
                default(info);
                eprintln!("({left_out} more panics at {place} since the last one written were left out)");
            }
            None => {}
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_place_is_throttled_on_its_own() {
        let places = Mutex::new(HashMap::new());
        let every = Duration::from_secs(60);
        let at = |s: u64| Duration::from_secs(s);
        assert_eq!(admit(&places, "a.rs:1", at(0), every), Some(0));
        assert_eq!(admit(&places, "a.rs:1", at(1), every), None);
        assert_eq!(admit(&places, "a.rs:1", at(2), every), None);
        assert_eq!(admit(&places, "b.rs:9", at(2), every), Some(0), "another place is written");
        assert_eq!(admit(&places, "a.rs:1", at(61), every), Some(2));
    }

    #[test]
    fn past_the_places_remembered_every_panic_is_written() {
        let places = Mutex::new(HashMap::new());
        let every = Duration::from_secs(60);
        for i in 0..MAX_PLACES {
            assert_eq!(admit(&places, &format!("p{i}"), Duration::ZERO, every), Some(0));
        }
        assert_eq!(admit(&places, "one more", Duration::ZERO, every), Some(0));
        assert_eq!(admit(&places, "one more", Duration::ZERO, every), Some(0));
        assert_eq!(admit(&places, "p0", Duration::ZERO, every), None, "the places remembered stay throttled");
    }

    #[test]
    fn a_held_lock_writes_the_panic() {
        let places = Mutex::new(HashMap::new());
        let _held = places.lock().unwrap();
        assert_eq!(admit(&places, "a.rs:1", Duration::ZERO, Duration::from_secs(60)), Some(0));
    }
}
