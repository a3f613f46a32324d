//! `liyi privacy-audit`: proves, file by file, that a data folder holds no
//! face and no stray image.
//!
//! - Every frame of every video and every image is searched with the face
//!   detector at a sensitive threshold, at 960 px or more on the long side
//!   (clip frames are enlarged, so small faces are not missed).
//! - Every other file (SQLite stores and their WAL, logs, JSON sidecars) is
//!   searched for embedded image data: JPEG, PNG, MP4 and WebP signatures.
//!
//! Anything found, and anything that cannot be read, is a finding.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::vision::retinaface::FaceDetector;

/// The long side frames are searched at, at least.
pub const AUDIT_LONG_SIDE: u32 = 960;
/// Faces from this score count: sensitive on purpose (the detector's usual
/// cut is 0.5; real faces score above 0.9). Not lower: at 0.3 a glass on a
/// table with a drawn joint beside it scored 0.31-0.34 in a redacted clip of
/// `seated-group.jpg` (docs/privacy.md). Redaction itself fills from 0.3.
pub const AUDIT_FACE_SCORE: f32 = 0.4;

const VIDEO_EXTENSIONS: [&str; 6] = ["mp4", "mkv", "webm", "mov", "avi", "m4v"];
const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "bmp", "webp", "gif"];

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The face detector found a face in a stored frame.
    Face { path: PathBuf, frame: usize, score: f32, bbox: [f32; 4] },
    /// Image or video bytes inside a file that should hold none.
    EmbeddedMedia { path: PathBuf, format: &'static str, offset: usize },
    /// A file that could not be checked (unreadable, undecodable).
    Unchecked { path: PathBuf, message: String },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Face { path, frame, score, bbox } => write!(
                f,
                "{}: a face (score {score:.2}) in frame {frame} at x {:.0}-{:.0}, y {:.0}-{:.0}",
                path.display(),
                bbox[0],
                bbox[2],
                bbox[1],
                bbox[3]
            ),
            Finding::EmbeddedMedia { path, format, offset } => write!(f, "{}: {format} data at byte {offset}", path.display()),
            Finding::Unchecked { path, message } => write!(f, "{}: cannot be checked: {message}", path.display()),
        }
    }
}

/// What an audit saw.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub media_files: usize,
    pub frames_checked: usize,
    pub other_files: usize,
    pub bytes_scanned: u64,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Audits every file under `dir`.
pub fn audit(dir: &Path, faces: &mut FaceDetector) -> Result<Report, std::io::Error> {
    let mut report = Report::default();
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    faces.thresholds.score = AUDIT_FACE_SCORE;
    for path in files {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
        if VIDEO_EXTENSIONS.contains(&ext.as_str()) {
            report.media_files += 1;
            let mut frame = 0;
            let mut found = Vec::new();
            let read = crate::capture::for_each_frame(&path, |img| {
                found.extend(search(faces, &img, &path, frame));
                frame += 1;
            });
            report.frames_checked += frame;
            report.findings.extend(found);
            if let Err(message) = read {
                report.findings.push(Finding::Unchecked { path: path.clone(), message });
            }
        } else if IMAGE_EXTENSIONS.contains(&ext.as_str()) {
            report.media_files += 1;
            match crate::imageio::load_rgb(&path) {
                Ok(img) => {
                    report.frames_checked += 1;
                    report.findings.extend(search(faces, &img, &path, 0));
                }
                Err(e) => report.findings.push(Finding::Unchecked { path: path.clone(), message: e.to_string() }),
            }
        } else {
            report.other_files += 1;
            match std::fs::read(&path) {
                Ok(bytes) => {
                    report.bytes_scanned += bytes.len() as u64;
                    if let Some((format, offset)) = embedded_media(&bytes) {
                        report.findings.push(Finding::EmbeddedMedia { path: path.clone(), format, offset });
                    }
                }
                Err(e) => report.findings.push(Finding::Unchecked { path: path.clone(), message: e.to_string() }),
            }
        }
    }
    Ok(report)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn search(faces: &mut FaceDetector, img: &image::RgbImage, path: &Path, frame: usize) -> Vec<Finding> {
    faces.long_side = img.width().max(img.height()).max(AUDIT_LONG_SIDE);
    match faces.detect(img) {
        Ok(found) => found.into_iter().map(|d| Finding::Face { path: path.to_path_buf(), frame, score: d.score, bbox: [d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2] }).collect(),
        Err(e) => vec![Finding::Unchecked { path: path.to_path_buf(), message: format!("face detector failed on frame {frame}: {e}") }],
    }
}

/// The first image or video signature in `bytes`: pure.
pub fn embedded_media(bytes: &[u8]) -> Option<(&'static str, usize)> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    for i in 0..bytes.len() {
        let rest = &bytes[i..];
        // JPEG: start of image, then a marker that opens real files (APPn,
        // quantisation or Huffman table, start of frame).
        if rest.len() >= 4 && rest[0] == 0xFF && rest[1] == 0xD8 && rest[2] == 0xFF && matches!(rest[3], 0xE0..=0xEF | 0xDB | 0xC4 | 0xC0 | 0xFE) {
            return Some(("JPEG", i));
        }
        if rest.starts_with(PNG) {
            return Some(("PNG", i));
        }
        // MP4/MOV: a box size, then `ftyp` and a printable brand.
        if i >= 4 && rest.len() >= 8 && &rest[..4] == b"ftyp" && rest[4..8].iter().all(|b| b.is_ascii_alphanumeric() || *b == b' ') {
            return Some(("MP4", i - 4));
        }
        if rest.len() >= 12 && &rest[..4] == b"RIFF" && &rest[8..12] == b"WEBP" {
            return Some(("WebP", i));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_found_anywhere_and_text_is_clean() {
        assert_eq!(embedded_media(b"{\"window\": \"w01\", \"rule\": \"absent\"}"), None);
        let mut blob = b"SQLite format 3\0....".to_vec();
        blob.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F']);
        assert_eq!(embedded_media(&blob), Some(("JPEG", 20)));
        assert_eq!(embedded_media(b"xx\x89PNG\r\n\x1a\nrest"), Some(("PNG", 2)));
        assert_eq!(embedded_media(b"\0\0\0\x20ftypisom\0\0"), Some(("MP4", 0)));
        // A lone FF D8 FF followed by something else is not a JPEG.
        assert_eq!(embedded_media(&[0xFF, 0xD8, 0xFF, 0x00]), None);
    }
}

/// The same checks as [`audit`], on an uploaded clip held in memory (the
/// hub's gate): every video frame and the thumbnail through the face
/// detector, the sidecar searched for image data. The bytes never touch a
/// disk: FFmpeg reads the video from an anonymous memory file.
/// `Ok(frames checked)` when clean; `Err(reason)` names the first finding.
pub fn check_upload(video: &[u8], thumbnail: &[u8], sidecar: &[u8], faces: &mut FaceDetector) -> Result<usize, String> {
    faces.thresholds.score = AUDIT_FACE_SCORE;
    if let Some((format, offset)) = embedded_media(sidecar) {
        return Err(format!("the sidecar holds {format} data at byte {offset}"));
    }
    let thumb = image::load_from_memory_with_format(thumbnail, image::ImageFormat::Png).map_err(|e| format!("the thumbnail is not a readable PNG: {e}"))?.to_rgb8();
    let path = Path::new("thumbnail.png");
    if let Some(f) = search(faces, &thumb, path, 0).into_iter().next() {
        return Err(f.to_string());
    }
    let mem = MemFile::new(video).map_err(|e| format!("cannot hold the video in memory: {e}"))?;
    let mut frame = 0;
    let mut found = Vec::new();
    let read = crate::capture::for_each_frame(&mem.path(), |img| {
        if found.is_empty() {
            found.extend(search(faces, &img, Path::new("video.mp4"), frame));
        }
        frame += 1;
    });
    if let Some(f) = found.into_iter().next() {
        return Err(f.to_string());
    }
    read.map_err(|e| format!("the video cannot be decoded: {e}"))?;
    if frame == 0 {
        return Err("the video has no frames".into());
    }
    Ok(frame + 1)
}

/// An anonymous in-memory file (`memfd_create`), readable by path through
/// `/proc/self/fd`.
struct MemFile(std::fs::File);

impl MemFile {
    fn new(bytes: &[u8]) -> std::io::Result<MemFile> {
        use std::io::Write;
        use std::os::fd::FromRawFd;
        // SAFETY: a static NUL-terminated name; the returned descriptor is
        // checked and owned by the File from here on.
        let fd = unsafe { libc::memfd_create(c"liyi-upload".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
        file.write_all(bytes)?;
        Ok(MemFile(file))
    }

    fn path(&self) -> PathBuf {
        use std::os::fd::AsRawFd;
        PathBuf::from(format!("/proc/self/fd/{}", self.0.as_raw_fd()))
    }
}
