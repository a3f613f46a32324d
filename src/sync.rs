//! Locking shared state.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, recovering from poisoning: a thread that panicked while
/// holding the lock leaves counters, slots and model sessions usable (none
/// of them holds an invariant that a half-done update could break), and the
/// agent must keep running the other windows.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
