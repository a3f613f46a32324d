//! Locking shared state.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, recovering from poisoning: a thread that panicked while
/// holding the lock leaves counters, slots and model sessions usable, and
/// the agent must keep running the other windows. A window's rules or work
/// whose update a caught panic cut short are used as they were left
/// (docs/durability.md, "A panic inside one window").
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a caught panic said (its `&str` or `String` payload), for a log
/// line and a status field.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload.downcast_ref::<String>().cloned().or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}
