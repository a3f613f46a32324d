//! Allocator settings for a process that runs for months.
//!
//! glibc raises its mmap threshold every time a large block is freed, so
//! after the first few frames every 1280x720 frame buffer (2.7 MB) and every
//! decoder picture comes from the heap arenas of whichever capture thread
//! made it, and the freed memory stays resident, fragmented across one arena
//! per thread. Pinning the threshold at 128 KiB gives large buffers back to
//! the kernel when they are freed. Measured with
//! `scripts/bench-agent.sh 8 30`: steady RSS for 8 windows fell from about
//! 330 to 240 MB at the same frame rate (docs/design.md).

/// Applies the settings; a no-op where the C library is not glibc.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before
    // the agent starts its threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
