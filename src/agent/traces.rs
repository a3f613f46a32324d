//! Keypoint traces recorded by the agent (`liyi run --record-traces DIR`):
//! one JSON line per analysed frame, per window and day
//! (`DIR/YYYY-MM-DD/<window>.jsonl`), numbers only, for tuning with
//! `liyi replay --sweep` on the hall's own days. Days older than the clips'
//! `max_age_days` are deleted, like clips.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::trace::TraceFrame;
use crate::vision::FrameReport;

pub struct TraceRecorder {
    root: PathBuf,
    window: String,
    max_age_days: f64,
    open: Option<(String, std::io::BufWriter<std::fs::File>)>,
    frame: u64,
}

impl TraceRecorder {
    pub fn new(root: &Path, window: &str, max_age_days: f64) -> TraceRecorder {
        TraceRecorder { root: root.to_path_buf(), window: window.to_string(), max_age_days, open: None, frame: 0 }
    }

    /// Appends one frame; opens the day's file (and prunes old days) when
    /// the day changes.
    pub fn record(&mut self, mut line: TraceFrame) -> std::io::Result<()> {
        let day = line.ts.format("%Y-%m-%d").to_string();
        if self.open.as_ref().is_none_or(|(d, _)| *d != day) {
            if let Some((_, mut f)) = self.open.take() {
                f.flush()?;
            }
            let dir = self.root.join(&day);
            std::fs::create_dir_all(&dir)?;
            let file = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(format!("{}.jsonl", self.window)))?;
            self.open = Some((day, std::io::BufWriter::new(file)));
            prune(&self.root, line.ts.date_naive(), self.max_age_days);
        }
        self.frame += 1;
        line.frame.frame = self.frame;
        let (_, f) = self.open.as_mut().expect("opened above");
        serde_json::to_writer(&mut *f, &line).map_err(std::io::Error::other)?;
        f.write_all(b"\n")?;
        // At most about 10 s of frames wait in memory.
        if self.frame.is_multiple_of(20) {
            f.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        match self.open.as_mut() {
            Some((_, f)) => f.flush(),
            None => Ok(()),
        }
    }
}

/// Deletes day folders older than `max_age_days` before `today`.
fn prune(root: &Path, today: chrono::NaiveDate, max_age_days: f64) {
    let Ok(rd) = std::fs::read_dir(root) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Ok(d) = chrono::NaiveDate::parse_from_str(&name, "%Y-%m-%d")
            && ((today - d).num_days() as f64) > max_age_days
            && let Err(err) = std::fs::remove_dir_all(e.path())
        {
            tracing::warn!(dir = %e.path().display(), error = %err, "old trace day not deleted");
        }
    }
}

/// A trace line for one analysed frame.
pub fn line(
    ts: chrono::DateTime<chrono::FixedOffset>,
    window: &str,
    width: u32,
    height: u32,
    model: &str,
    people: &[crate::vision::Person],
    badge: Option<f32>,
    uniform: Option<f32>,
) -> TraceFrame {
    TraceFrame {
        ts,
        window: window.to_string(),
        frame: FrameReport { source: "agent".into(), frame: 0, width, height, model: model.to_string(), people: people.to_vec() },
        badge,
        uniform,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_file_per_day_and_prunes_old_days() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("2026-01-01")).unwrap();
        let mut r = TraceRecorder::new(dir.path(), "w01", 30.0);
        let ts = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        r.record(line(ts, "w01", 640, 360, "m", &[], Some(0.8), None)).unwrap();
        r.record(line(ts + chrono::Duration::milliseconds(500), "w01", 640, 360, "m", &[], None, None)).unwrap();
        r.flush().unwrap();
        let text = std::fs::read_to_string(dir.path().join("2026-03-02/w01.jsonl")).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("\"badge\":0.8") && text.contains("\"frame\":2"));
        assert!(!dir.path().join("2026-01-01").exists(), "a day past max_age_days is deleted");
        // Readable by replay's reader.
        let mut reader = crate::trace::TraceReader::open(&dir.path().join("2026-03-02/w01.jsonl")).unwrap();
        assert!(reader.next().unwrap().is_ok());
    }
}
