//! Keypoint traces: JSON lines, one per frame — the `liyi analyze --json`
//! object plus `ts` (RFC 3339 with offset) and `window`. No pixels, so a
//! hall can keep and share them to tune thresholds.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::vision::FrameReport;

/// One frame of a trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceFrame {
    pub ts: DateTime<FixedOffset>,
    pub window: String,
    #[serde(flatten)]
    pub frame: FrameReport,
    /// The clerk's attire, when it was judged for this frame: probability
    /// that the work badge / the uniform is worn (numbers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniform: Option<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{path}: cannot be read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{path}:{line}: not a trace frame: {message}. Fix: each line must be a `liyi analyze --json` object \
         plus \"ts\" (RFC 3339 with offset, e.g. \"2026-03-02T09:00:00.5+08:00\") and \"window\" (a window id)"
    )]
    Line { path: PathBuf, line: usize, message: String },
}

/// Reads a trace line by line; blank lines are skipped.
pub struct TraceReader {
    path: PathBuf,
    lines: std::io::Lines<BufReader<std::fs::File>>,
    line: usize,
    /// Bytes consumed so far, for progress.
    pub bytes_read: u64,
}

impl TraceReader {
    pub fn open(path: &Path) -> Result<TraceReader, TraceError> {
        let file = std::fs::File::open(path).map_err(|source| TraceError::Io { path: path.to_path_buf(), source })?;
        Ok(TraceReader { path: path.to_path_buf(), lines: BufReader::new(file).lines(), line: 0, bytes_read: 0 })
    }

    /// The 1-based line number of the last frame returned.
    pub fn line(&self) -> usize {
        self.line
    }
}

impl Iterator for TraceReader {
    type Item = Result<TraceFrame, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let text = match self.lines.next()? {
                Ok(t) => t,
                Err(source) => return Some(Err(TraceError::Io { path: self.path.clone(), source })),
            };
            self.line += 1;
            self.bytes_read += text.len() as u64 + 1;
            if text.trim().is_empty() {
                continue;
            }
            return Some(parse_line(&text).map_err(|message| TraceError::Line { path: self.path.clone(), line: self.line, message }));
        }
    }
}

/// Parses and checks one trace line.
pub fn parse_line(text: &str) -> Result<TraceFrame, String> {
    let f: TraceFrame = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if !crate::base::clock::FRAME_YEARS.contains(&chrono::Datelike::year(&f.ts)) {
        return Err(format!("`ts` {} is out of range: use a time from 1970 to 9999", f.ts));
    }
    if f.frame.width == 0 || f.frame.height == 0 {
        return Err("`width` and `height` must be the frame's size in pixels".into());
    }
    if let Some(p) = f.frame.people.iter().find(|p| p.keypoints.len() != 17) {
        return Err(format!("every person needs 17 keypoints, one has {}", p.keypoints.len()));
    }
    Ok(f)
}

/// Writes frames as JSON lines.
pub fn write_frames<W: Write>(out: &mut W, frames: &[TraceFrame]) -> std::io::Result<()> {
    for f in frames {
        serde_json::to_writer(&mut *out, f)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        r#"{"ts":"2026-03-02T09:00:00.5+08:00","window":"w1","source":"cam","frame":7,"width":1280,"height":720,"model":"m","people":[]}"#;

    #[test]
    fn round_trip() {
        let f = parse_line(LINE).unwrap();
        assert_eq!(f.window, "w1");
        assert_eq!(f.frame.frame, 7);
        let mut buf = Vec::new();
        write_frames(&mut buf, std::slice::from_ref(&f)).unwrap();
        assert_eq!(parse_line(std::str::from_utf8(&buf).unwrap().trim()).unwrap(), f);
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(parse_line(&LINE.replace("+08:00", "")).is_err(), "a timestamp without offset is refused");
        assert!(parse_line(&LINE.replace(r#""width":1280"#, r#""width":0"#)).unwrap_err().contains("width"));
        assert!(parse_line(&LINE.replace(r#""window":"w1","#, "")).unwrap_err().contains("window"));
        let bad_person = LINE.replace(r#""people":[]"#, r#""people":[{"box":[0,0,1,1],"score":1,"keypoints":[[0,0,1]]}]"#);
        assert!(parse_line(&bad_person).unwrap_err().contains("17 keypoints"));
        for ts in ["+262142-12-31T23:59:59+08:00", "-262143-01-01T00:00:00+00:00", "1969-12-31T23:59:59+00:00", "+10000-01-01T00:00:00Z"] {
            let line = LINE.replace("2026-03-02T09:00:00.5+08:00", ts);
            assert!(parse_line(&line).is_err(), "{ts}");
        }
        assert!(
            parse_line(&LINE.replace("2026-03-02T09:00:00.5+08:00", "1969-12-31T23:59:59+00:00")).unwrap_err().contains("out of range")
        );
    }

    #[test]
    fn reader_reports_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        std::fs::write(&p, format!("{LINE}\n\n{{oops\n")).unwrap();
        let mut r = TraceReader::open(&p).unwrap();
        assert!(r.next().unwrap().is_ok());
        let err = r.next().unwrap().unwrap_err().to_string();
        assert!(err.contains("t.jsonl:3:"), "{err}");
        assert!(r.next().is_none());
    }
}
