//! The process's panic hook, installed by every `liyi` command. The agent
//! catches a panic in one window's frame or source and goes on
//! (docs/durability.md, "A panic inside one window"); Rust's default hook
//! still writes every panic to stderr, so one that recurs on every frame
//! writes a few lines per frame for as long as it lasts. A panic caught
//! through [`catch`] is written the first time at each place in the code
//! as the default hook would, then at most once a minute for that place,
//! saying how many were left out. Every other panic (one nothing catches,
//! which may end a thread or the process) is always written.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::Write;
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

thread_local! {
    /// How many [`catch`] calls this thread is inside.
    static CAUGHT: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f`, catching a panic in it. While it runs, a panic on this thread
/// is one the caller survives, and the hook may leave it out of stderr
/// after the first at its place.
pub fn catch<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    CAUGHT.with(|c| c.set(c.get().saturating_add(1)));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CAUGHT.with(|c| c.set(c.get().saturating_sub(1)));
    out
}

/// Whether this thread is inside [`catch`].
fn caught() -> bool {
    CAUGHT.try_with(|c| c.get() > 0).unwrap_or(false)
}

/// Installs the quiet hook in front of the current one.
pub fn install_quiet_hook() {
    let _ = monotonic();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !caught() {
            // Nothing here will catch it: it may end the thread or the
            // process, and is always written.
            return default(info);
        }
        let place = info.location().map_or_else(|| "an unknown place".to_string(), |l| format!("{}:{}", l.file(), l.line()));
        match admit(places(), &place, monotonic(), Duration::from_secs(60)) {
            Some(0) => default(info),
            Some(left_out) => {
                default(info);
                // Never panic in a panic hook (that aborts): a stderr that
                // cannot be written is ignored, as the default hook does.
                let _ = writeln!(std::io::stderr(), "({left_out} more panics at {place} since the last one written were left out)");
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
    fn catch_marks_the_thread_while_it_runs_and_returns_the_panic() {
        assert!(!caught());
        let inner = catch(|| {
            assert!(caught());
            let nested = catch(|| caught());
            assert!(matches!(nested, Ok(true)));
            caught()
        });
        assert!(matches!(inner, Ok(true)));
        assert!(!caught(), "unmarked after it returns");
        let panicked = catch(|| -> u8 { panic!("caught in a test") });
        assert_eq!(crate::sync::panic_message(&*panicked.unwrap_err()), "caught in a test");
        assert!(!caught(), "unmarked after a panic too");
    }

    #[test]
    fn a_held_lock_writes_the_panic() {
        let places = Mutex::new(HashMap::new());
        let _held = places.lock().unwrap();
        assert_eq!(admit(&places, "a.rs:1", Duration::ZERO, Duration::from_secs(60)), Some(0));
    }
}
