//! A window's capture loop: reads the source into the window's slot,
//! reopening it with backoff when it fails, and paces recordings on their
//! own timestamps as a camera would send them. When the workers have not
//! taken the last frame, the source skips to its next keyframe. Waits go
//! through a [`Clock`], so tests drive them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};

use super::state::WindowState;
use super::{FIRST_BACKOFF, MAX_BACKOFF};
use crate::base::clock::{Backoff, Clock};
use crate::capture::{self, CaptureError, CaptureOptions, Source};
use crate::config::SourceSpec;
use crate::sync::lock;

/// How often a waiting capture thread looks at the stop flag.
pub(super) const STOP_POLL: Duration = Duration::from_millis(50);

/// Reads one window's source into its slot, reopening it with backoff
/// (0.5 s doubling to [`MAX_BACKOFF`]) when it fails. Waits (the backoff,
/// and a recording's pace) go through `clock`, so tests drive them.
pub(super) fn capture_loop(w: &WindowState, opts: CaptureOptions, loop_files: bool, stop: &AtomicBool, clock: &dyn Clock) {
    capture_loop_with(w, opts, loop_files, stop, clock, &capture::open);
}

/// Opens a window's source: [`capture::open`], or a test's.
type Opener<'a> = &'a dyn Fn(&SourceSpec, CaptureOptions) -> Result<Box<dyn Source>, CaptureError>;

/// [`capture_loop`] with the source opened by `open`.
fn capture_loop_with(w: &WindowState, opts: CaptureOptions, loop_files: bool, stop: &AtomicBool, clock: &dyn Clock, open: Opener) {
    let spec = w.window.source.clone().expect("windows without a source are skipped");
    let is_file = matches!(spec, SourceSpec::File { .. } | SourceSpec::Images { .. });
    let mut backoff = Backoff::new(FIRST_BACKOFF, MAX_BACKOFF);
    let mut opened_once = false;
    while !stop.load(Ordering::Relaxed) {
        // A panic inside a library (FFmpeg's bindings, a decoder) on what
        // this source sent is this source's failure, like an error: counted,
        // shown and reopened after the backoff. Let out of the thread, it
        // would leave the window's slot open and its source dead, and at the
        // stop the run's scope would panic again, skipping every window's
        // last flush.
        let read = crate::base::panics::catch(|| read_source(w, &spec, opts, is_file, stop, clock, open, &mut backoff, &mut opened_once));
        if let Err(panic) = read {
            let why = crate::sync::panic_message(&*panic);
            w.stats.errors.fetch_add(1, Ordering::Relaxed);
            w.stats.source_up.store(false, Ordering::Relaxed);
            *lock(&w.stats.last_error) = Some(format!("the source's reader panicked: {why}"));
            if let Some(left_out) = w.panic_logged(crate::base::throttle::monotonic()) {
                tracing::error!(window = %w.window.id, why, retry_in = ?backoff.peek(), left_out, "the source's reader panicked; reopening (left_out: panics in this window since the last line)");
            }
        }
        if is_file && !loop_files {
            break;
        }
        // Wait before the next attempt, in short steps so a stop is heard.
        let until = clock.elapsed() + backoff.next_wait();
        wait_until(until, stop, clock);
    }
    w.slot.close();
}

/// Opens the source once and reads it into the slot until it ends, fails
/// or a stop is asked for.
#[allow(clippy::too_many_arguments)]
fn read_source(
    w: &WindowState,
    spec: &SourceSpec,
    opts: CaptureOptions,
    is_file: bool,
    stop: &AtomicBool,
    clock: &dyn Clock,
    open: Opener,
    backoff: &mut Backoff,
    opened_once: &mut bool,
) {
    match open(spec, opts) {
        Ok(mut src) => {
            w.stats.source_up.store(true, Ordering::Relaxed);
            // A looping file starting over is not a reconnection.
            if *opened_once && !is_file {
                w.stats.reconnects.fetch_add(1, Ordering::Relaxed);
            }
            *opened_once = true;
            // Recordings play on their own clock, as a camera sends:
            // after each frame the loop waits as long as that frame
            // came after the one before (at most MAX_FILE_STEP: a gap
            // in a recording is not waited out), so a skip to the next
            // keyframe skips stream time too.
            let mut due = clock.elapsed();
            let mut last_ts = None;
            // This source's count of packets skipped so far.
            let mut skipped = 0;
            loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match src.next_frame() {
                    Ok(Some(frame)) => {
                        // The backoff starts again once the source gives a
                        // frame: one that opens and then fails at once (or
                        // panics) is retried ever less often.
                        if last_ts.is_none() {
                            backoff.reset();
                        }
                        let step = file_step(last_ts.replace(frame.ts), frame.ts);
                        w.stats.frames_in.fetch_add(1, Ordering::Relaxed);
                        *lock(&w.stats.last_frame) = Some(Instant::now());
                        // The workers have not taken the last frame:
                        // decode nothing more until the next keyframe
                        // (an overloaded box sheds decoding too).
                        if w.slot.put(frame) {
                            src.skip_to_keyframe();
                        }
                        // A recording then waits as long as this frame
                        // came after the one before it. (Waiting before
                        // the hand-over would be exact, but would hold a
                        // second decoded frame per window meanwhile:
                        // 60 MB more at 24 windows.)
                        if is_file {
                            due += step;
                            wait_until(due, stop, clock);
                            due = due.max(clock.elapsed());
                        }
                        count_skipped(w, src.skipped(), &mut skipped);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        w.stats.errors.fetch_add(1, Ordering::Relaxed);
                        *lock(&w.stats.last_error) = Some(e.to_string());
                        tracing::warn!(window = %w.window.id, error = %e, "source failed; reopening");
                        break;
                    }
                }
            }
            count_skipped(w, src.skipped(), &mut skipped);
            w.stats.source_up.store(false, Ordering::Relaxed);
        }
        Err(e) => {
            w.stats.errors.fetch_add(1, Ordering::Relaxed);
            *lock(&w.stats.last_error) = Some(e.to_string());
            tracing::warn!(window = %w.window.id, error = %e, retry_in = ?backoff.peek(), "cannot open source");
        }
    }
}

/// Sleeps until `until` on `clock`, in steps of [`STOP_POLL`] so that a
/// stop is heard.
fn wait_until(until: Duration, stop: &AtomicBool, clock: &dyn Clock) {
    while !stop.load(Ordering::Relaxed) {
        let now = clock.elapsed();
        if now >= until {
            break;
        }
        clock.sleep_blocking((until - now).min(STOP_POLL));
    }
}

/// Adds the source's packets skipped since `seen` to the window's count.
fn count_skipped(w: &WindowState, now: u64, seen: &mut u64) {
    w.stats.packets_skipped.fetch_add(now.saturating_sub(*seen), Ordering::Relaxed);
    *seen = now;
}

/// The longest a recording's frame waits after the one before it.
const MAX_FILE_STEP: Duration = Duration::from_secs(10);

/// How long after the frame at `prev` the one at `ts` is due: the time
/// between them, none for the first frame or one that goes back in time,
/// at most [`MAX_FILE_STEP`].
fn file_step(prev: Option<DateTime<FixedOffset>>, ts: DateTime<FixedOffset>) -> Duration {
    let Some(prev) = prev else { return Duration::ZERO };
    (ts - prev).to_std().map_or(Duration::ZERO, |d| d.min(MAX_FILE_STEP))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::base::clock::{Clock, SimulatedClock, Sleep};

    /// A simulated clock that raises `stop` once `limit` of time has been
    /// slept through: the capture loop runs its schedule in microseconds.
    struct StopAfter {
        clock: SimulatedClock,
        stop: Arc<AtomicBool>,
        limit: Duration,
    }

    impl Clock for StopAfter {
        fn now_ms(&self) -> i64 {
            self.clock.now_ms()
        }
        fn elapsed(&self) -> Duration {
            self.clock.elapsed()
        }
        fn sleep(&self, d: Duration) -> Sleep {
            self.clock.sleep(d)
        }
        fn sleep_blocking(&self, d: Duration) {
            self.clock.sleep_blocking(d);
            if self.clock.elapsed() >= self.limit {
                self.stop.store(true, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn a_dead_camera_is_retried_on_a_doubling_backoff_capped_at_two_seconds() {
        let agent = crate::agent::state::one_window_agent();
        let stop = Arc::new(AtomicBool::new(false));
        // Attempts at 0, 0.5, 1.5, 3.5, 5.5, 7.5 and 9.5 s (waits 0.5, 1, 2, 2…).
        let clock = StopAfter { clock: SimulatedClock::new(0), stop: Arc::clone(&stop), limit: Duration::from_millis(9_600) };
        capture_loop(&agent.windows[0], CaptureOptions::default(), false, &stop, &clock);
        let s = &agent.windows[0].stats;
        assert_eq!(s.errors.load(Ordering::Relaxed), 7);
        assert_eq!(s.reconnects.load(Ordering::Relaxed), 0, "never opened, so never reopened");
        assert!(!s.source_up.load(Ordering::Relaxed));
        assert!(lock(&s.last_error).as_deref().is_some_and(|e| e.contains("127.0.0.1:9")));
    }

    #[test]
    fn recordings_wait_as_long_as_their_timestamps_say_within_bounds() {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let at = |ms: i64| t0 + chrono::TimeDelta::milliseconds(ms);
        assert_eq!(file_step(None, t0), Duration::ZERO, "the first frame is due at once");
        assert_eq!(file_step(Some(t0), at(500)), Duration::from_millis(500));
        assert_eq!(file_step(Some(t0), at(2_000)), Duration::from_secs(2), "a skip to the next keyframe");
        assert_eq!(file_step(Some(at(500)), t0), Duration::ZERO, "back in time: not waited");
        assert_eq!(file_step(Some(t0), at(86_400_000)), MAX_FILE_STEP, "a gap of a day is not waited out");
    }

    /// A recording is paced on its timestamps, each frame handed over when
    /// its time comes; and once the source knows its groups are short, a
    /// frame nobody took sends it to the next keyframe, the packets between
    /// dropped undecoded and their time skipped.
    #[test]
    fn a_recording_plays_on_its_clock_and_skips_to_keyframes_when_nobody_reads() {
        let dir = tempfile::tempdir().unwrap();
        let video = dir.path().join("g1s.mp4");
        // 6 s at 10 fps, a keyframe every second.
        let made = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:d=6"])
            .args(["-c:v", "libx264", "-bf", "0", "-g", "10", "-sc_threshold", "0"])
            .arg(&video)
            .status()
            .expect("ffmpeg is installed by scripts/setup.sh");
        assert!(made.success());
        let text = format!(
            "hall = \"t\"\n[[window]]\nid = \"w1\"\nsource = \"file:{}\"\n\
             staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]\n\
             counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]\nhours = [\"00:00-23:59\"]\n",
            video.display()
        );
        let cfg = crate::config::parse(&text, std::path::Path::new("t.toml")).unwrap();
        let agent = crate::agent::state::Agent::new(&cfg, &std::collections::BTreeMap::new()).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let clock = StopAfter { clock: SimulatedClock::new(0), stop: Arc::clone(&stop), limit: Duration::from_secs(60) };
        // No worker takes a frame: from the fourth keyframe on (three
        // groups of 1 s seen), every frame is replaced unread.
        capture_loop(&agent.windows[0], CaptureOptions::default(), false, &stop, &clock);
        let s = &agent.windows[0].stats;
        // 0, 0.5, … 3.0 s at 2 fps, then the keyframes at 4 and 5 s.
        assert_eq!(s.frames_in.load(Ordering::Relaxed), 9);
        assert_eq!(s.packets_skipped.load(Ordering::Relaxed), 27, "3.1–3.9, 4.1–4.9 and 5.1–5.9 s never decoded");
        assert_eq!(clock.elapsed(), Duration::from_secs(5), "the file played on its own clock: 5 s from the first frame to the last");
        assert_eq!(agent.windows[0].slot.stale(), 8);
    }

    /// A source whose reader panics (as ffmpeg-next does on some input)
    /// the first time it is opened, then gives one frame and ends.
    struct Flaky {
        panics: bool,
        given: bool,
    }

    impl Source for Flaky {
        fn next_frame(&mut self) -> Result<Option<capture::Frame>, CaptureError> {
            if self.panics {
                panic!("a library panicked on the stream");
            }
            if std::mem::replace(&mut self.given, true) {
                return Ok(None);
            }
            let ts = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
            Ok(Some(capture::Frame { ts, index: 0, image: image::RgbImage::new(8, 8) }))
        }
        fn dropped(&self) -> u64 {
            0
        }
        fn native_size(&self) -> Option<(u32, u32)> {
            Some((8, 8))
        }
    }

    /// A source that panics every time it is read is counted every time
    /// and written to the log once.
    #[test]
    fn a_source_that_panics_every_time_is_written_to_the_log_once() {
        let agent = crate::agent::state::one_window_agent();
        let stop = Arc::new(AtomicBool::new(false));
        let clock = StopAfter { clock: SimulatedClock::new(0), stop: Arc::clone(&stop), limit: Duration::from_secs(10) };
        let open = |_: &SourceSpec, _: CaptureOptions| -> Result<Box<dyn Source>, CaptureError> {
            Ok(Box::new(Flaky { panics: true, given: false }))
        };
        let w = &agent.windows[0];
        capture_loop_with(w, CaptureOptions::default(), false, &stop, &clock, &open);
        let panics = w.stats.errors.load(Ordering::Relaxed);
        assert!(panics >= 3, "the source panicked {panics} times");
        let later = crate::base::throttle::monotonic() + Duration::from_secs(3600);
        assert_eq!(w.panic_logged(later), Some(panics - 1), "the first was written, the rest left out");
    }

    #[test]
    fn a_panic_in_the_reader_is_the_source_failing_not_the_thread() {
        let agent = crate::agent::state::one_window_agent();
        let stop = Arc::new(AtomicBool::new(false));
        let clock = StopAfter { clock: SimulatedClock::new(0), stop: Arc::clone(&stop), limit: Duration::from_secs(3) };
        let opened = std::sync::atomic::AtomicU32::new(0);
        let w = &agent.windows[0];
        let open = |_: &SourceSpec, _: CaptureOptions| -> Result<Box<dyn Source>, CaptureError> {
            match opened.fetch_add(1, Ordering::SeqCst) {
                0 => Ok(Box::new(Flaky { panics: true, given: false })),
                1 => {
                    // The panic was counted and shown, the source marked down.
                    assert_eq!(w.stats.errors.load(Ordering::SeqCst), 1);
                    assert!(lock(&w.stats.last_error).as_deref().is_some_and(|e| e.contains("reader panicked")));
                    assert!(!w.stats.source_up.load(Ordering::SeqCst));
                    Ok(Box::new(Flaky { panics: false, given: false }))
                }
                _ => Err(CaptureError::Open { source_name: "cam".into(), message: "gone".into(), fix: "none".into() }),
            }
        };
        capture_loop_with(&agent.windows[0], CaptureOptions::default(), false, &stop, &clock, &open);
        let s = &agent.windows[0].stats;
        assert!(opened.load(Ordering::SeqCst) >= 3, "reopened after the panic, and again after the end");
        assert_eq!(s.frames_in.load(Ordering::Relaxed), 1, "the reopened source was read");
        assert!(agent.windows[0].slot.take().is_some(), "its frame reached the slot");
        assert_eq!(s.reconnects.load(Ordering::Relaxed), 1, "the panic counts as the camera failing");
        assert_eq!(
            s.errors.load(Ordering::Relaxed),
            u64::from(opened.load(Ordering::SeqCst)) - 1,
            "every attempt but the one that ended normally counted an error, the panic among them"
        );
        assert!(!s.source_up.load(Ordering::Relaxed));
    }

    #[test]
    fn a_stop_ends_the_wait_at_once() {
        let agent = crate::agent::state::one_window_agent();
        let stop = Arc::new(AtomicBool::new(false));
        // Stopped 0.1 s into the first 0.5 s wait: the loop polls the flag.
        let clock = StopAfter { clock: SimulatedClock::new(0), stop: Arc::clone(&stop), limit: Duration::from_millis(100) };
        capture_loop(&agent.windows[0], CaptureOptions::default(), false, &stop, &clock);
        assert_eq!(agent.windows[0].stats.errors.load(Ordering::Relaxed), 1);
        assert!(clock.elapsed() <= Duration::from_millis(100), "{:?}", clock.elapsed());
    }
}
