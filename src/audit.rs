//! `liyi privacy-audit`: proves, file by file, that a data folder holds no
//! face and no stray image.
//!
//! - Every frame of every video and every image is searched with the face
//!   detector at a sensitive threshold, at 960 px or more on the long side
//!   (clip frames are enlarged, so small faces are not missed).
//! - Every stream of every video: a stored clip holds one video stream, so
//!   any other stream (audio, data, subtitles, a second video, cover art) is
//!   a finding, and every video stream and attached picture is searched.
//! - Every frame of every image, animated PNG frames included.
//! - Trailing bytes: after a PNG's `IEND`, after an MP4's last box.
//! - Every file, media included, is searched for embedded image data (JPEG,
//!   PNG, GIF, WebP, BMP and MP4 signatures, except the one legitimate image
//!   or container at byte 0), also inside base64 text and `data:` URIs.
//!
//! Anything found, and anything that cannot be read, is a finding.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::vision::retinaface::FaceDetector;

pub use crate::privacy::faces::{AUDIT_FACE_SCORE, AUDIT_LONG_SIDE};
pub use crate::privacy::signatures::{embedded_media, embedded_media_except, encoded_media};

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
    /// A file whose shape is not a stored clip's: an extra stream, trailing
    /// bytes, a chunk that can carry data.
    Structure { path: PathBuf, message: String },
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
            Finding::Structure { path, message } => write!(f, "{}: {message}", path.display()),
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
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                report.findings.push(Finding::Unchecked { path: path.clone(), message: e.to_string() });
                continue;
            }
        };
        report.bytes_scanned += bytes.len() as u64;
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
        // The one image or container a media file legitimately starts with.
        let mut legit = None;
        if VIDEO_EXTENSIONS.contains(&ext.as_str()) {
            report.media_files += 1;
            legit = Some(0);
            video(&path, &bytes, faces, &mut report);
        } else if ext == "png" || bytes.starts_with(crate::privacy::png::SIGNATURE) {
            report.media_files += 1;
            legit = Some(0);
            png(&path, &bytes, faces, &mut report);
        } else if IMAGE_EXTENSIONS.contains(&ext.as_str()) {
            report.media_files += 1;
            legit = Some(0);
            match crate::imageio::decode_rgb(&bytes, &path) {
                Ok(img) => {
                    report.frames_checked += 1;
                    report.findings.extend(search(faces, &img, &path, 0));
                }
                Err(e) => report.findings.push(Finding::Unchecked { path: path.clone(), message: e.to_string() }),
            }
        } else {
            report.other_files += 1;
        }
        if let Some((format, offset)) = embedded_media_except(&bytes, legit) {
            report.findings.push(Finding::EmbeddedMedia { path: path.clone(), format, offset });
        }
        if let Some((format, offset)) = encoded_media(&bytes) {
            report.findings.push(Finding::EmbeddedMedia { path: path.clone(), format, offset });
        }
    }
    Ok(report)
}

/// A video file: its top-level boxes (MP4), every stream, every frame of
/// every video stream and attached picture.
fn video(path: &Path, bytes: &[u8], faces: &mut FaceDetector, report: &mut Report) {
    let structure = |message: String| Finding::Structure { path: path.to_path_buf(), message };
    if bytes.get(4..8) == Some(b"ftyp") {
        match crate::privacy::top_level_boxes(bytes) {
            Err(e) => report.findings.push(structure(e)),
            Ok(boxes) => {
                for (kind, at, _) in boxes.into_iter().filter(|b| !crate::privacy::CLIP_BOXES.contains(&&b.0)) {
                    let kind = String::from_utf8_lossy(&kind);
                    report.findings.push(structure(format!("MP4 box {kind:?} at byte {at} is not part of a clip")));
                }
            }
        }
    }
    crate::av::init();
    let open = || -> Result<ffmpeg_next::format::context::Input, String> {
        let s = crate::av::ffmpeg_path(path)?;
        let input = ffmpeg_next::format::input(s).map_err(|e| format!("cannot open: {e}"))?;
        if input.format().name() == "tty" {
            return Err("a text file, not a video".into());
        }
        Ok(input)
    };
    let streams: Vec<(usize, ffmpeg_next::media::Type, bool, String)> = match open() {
        Ok(input) => input
            .streams()
            .map(|s| {
                let pic = s.disposition().contains(ffmpeg_next::format::stream::Disposition::ATTACHED_PIC);
                (s.index(), s.parameters().medium(), pic, format!("{:?}", s.parameters().id()))
            })
            .collect(),
        Err(message) => {
            report.findings.push(Finding::Unchecked { path: path.to_path_buf(), message });
            return;
        }
    };
    let main = streams.iter().find(|(_, kind, pic, _)| *kind == ffmpeg_next::media::Type::Video && !pic).map(|s| s.0);
    if main.is_none() {
        report.findings.push(Finding::Unchecked { path: path.to_path_buf(), message: "no video stream".into() });
    }
    for (index, kind, pic, codec) in &streams {
        let searched = *kind == ffmpeg_next::media::Type::Video;
        if Some(*index) != main {
            let what = match kind {
                _ if *pic => "an attached picture (cover art)".to_string(),
                ffmpeg_next::media::Type::Video => format!("a second video stream ({codec})"),
                ffmpeg_next::media::Type::Audio => format!("an audio stream ({codec})"),
                ffmpeg_next::media::Type::Subtitle => format!("a subtitle stream ({codec})"),
                ffmpeg_next::media::Type::Attachment => format!("an attachment ({codec})"),
                _ => format!("a data stream ({codec})"),
            };
            report.findings.push(structure(format!("stream {index} is {what}; a clip holds one video stream only")));
        }
        if !searched {
            continue;
        }
        let mut frame = 0;
        let mut found = Vec::new();
        let read = open().and_then(|mut input| {
            crate::av::frames::decode_stream(&mut input, *index, &format!("stream {index}"), None, |img| {
                found.extend(search(faces, &img, path, frame));
                frame += 1;
                Ok(())
            })
        });
        report.frames_checked += frame;
        report.findings.extend(found);
        if let Err(message) = read {
            report.findings.push(Finding::Unchecked { path: path.to_path_buf(), message });
        }
    }
}

/// A PNG: its chunks in sequence (trailing data, chunks that carry data),
/// its image, and every frame when it is animated.
fn png(path: &Path, bytes: &[u8], faces: &mut FaceDetector, report: &mut Report) {
    use image::AnimationDecoder;
    let structure = |message: String| Finding::Structure { path: path.to_path_buf(), message };
    match crate::privacy::png::layout(bytes) {
        Err(e) => report.findings.push(structure(e)),
        Ok(l) => {
            if l.end < bytes.len() {
                let n = bytes.len() - l.end;
                report.findings.push(structure(format!("{n} trailing byte(s) after the IEND chunk (from byte {})", l.end)));
            }
            const KNOWN: [&[u8; 4]; 13] =
                [b"IHDR", b"PLTE", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"pHYs", b"IDAT", b"IEND", b"acTL", b"fcTL", b"fdAT", b"bKGD"];
            for c in l.chunks.iter().filter(|c| !KNOWN.contains(&&c.kind)) {
                report.findings.push(structure(format!("chunk {} at byte {} can carry data ({} bytes)", c.name(), c.offset, c.data.len())));
            }
        }
    }
    // Bounded: a header may claim any size (a 100000 px square would ask for
    // 30 GB); what is past the bounds cannot be checked, which is a finding.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(1 << 30);
    let decoder = || image::codecs::png::PngDecoder::with_limits(std::io::Cursor::new(bytes), limits.clone());
    // The default image (what a viewer without APNG shows)…
    match decoder().and_then(image::DynamicImage::from_decoder) {
        Ok(img) => {
            report.frames_checked += 1;
            report.findings.extend(search(faces, &img.to_rgb8(), path, 0));
        }
        Err(e) => report.findings.push(Finding::Unchecked { path: path.to_path_buf(), message: e.to_string() }),
    }
    // …and every frame of the animation.
    let frames = match decoder().and_then(|d| if d.is_apng()? { d.apng().map(Some) } else { Ok(None) }) {
        Ok(Some(apng)) => apng.into_frames(),
        Ok(None) => return,
        Err(e) => return report.findings.push(Finding::Unchecked { path: path.to_path_buf(), message: e.to_string() }),
    };
    for (i, frame) in frames.enumerate() {
        match frame {
            Ok(f) => {
                let rgb = image::DynamicImage::ImageRgba8(f.into_buffer()).to_rgb8();
                report.frames_checked += 1;
                report.findings.extend(search(faces, &rgb, path, i + 1));
            }
            Err(e) => {
                report.findings.push(Finding::Unchecked { path: path.to_path_buf(), message: format!("animation frame {}: {e}", i + 1) });
                break;
            }
        }
    }
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
    match crate::privacy::faces::search(faces, img, frame) {
        Ok(found) => {
            found.into_iter().map(|f| Finding::Face { path: path.to_path_buf(), frame: f.frame, score: f.score, bbox: f.bbox }).collect()
        }
        Err(message) => vec![Finding::Unchecked { path: path.to_path_buf(), message }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_found_anywhere_and_text_is_clean() {
        assert_eq!(embedded_media(b"{\"window\": \"w01\", \"rule\": \"absent\"}"), None);
        let mut blob = b"SQLite format 3\0....".to_vec();
        blob.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xDB, 0, 67]);
        assert_eq!(embedded_media(&blob), Some(("JPEG", 20)));
        // Not at the legitimate image's own offset, but anywhere else.
        assert_eq!(embedded_media_except(&blob[20..], Some(0)), None);
        assert_eq!(embedded_media_except(&blob, Some(0)), Some(("JPEG", 20)));
        assert_eq!(embedded_media(b"..GIF89a.."), Some(("GIF", 2)));
        assert_eq!(embedded_media(b"RIFF\x10\0\0\0WEBPVP8 "), Some(("WebP", 0)));
        let mut bmp = b"xBM".to_vec();
        bmp.extend_from_slice(&[70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 24, 0]);
        assert_eq!(embedded_media(&bmp), Some(("BMP", 1)));
        assert_eq!(embedded_media(b"BM is a word, BMW a car, and BM\0\0\0\0 nothing"), None);
        // Base64 and data: URIs in text, at any alignment.
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&blob[20..]);
        let b64 = format!("{b64}{}", "A".repeat(64));
        assert_eq!(encoded_media(format!("{{\"n\": \"{b64}\"}}").as_bytes()).map(|f| f.0), Some("base64 JPEG"));
        assert_eq!(encoded_media(format!("{{\"n\": \"xy{b64}\"}}").as_bytes()).map(|f| f.0), Some("base64 JPEG"));
        assert_eq!(encoded_media(b"{\"a\": \"DATA:image/png;base64,AAAA\"}"), Some(("data: URI", 7)));
        let hex = "0123456789abcdef".repeat(8);
        assert_eq!(encoded_media(hex.as_bytes()), None, "a long hash is not an image");
        assert_eq!(embedded_media(b"xx\x89PNG\r\n\x1a\nrest"), Some(("PNG", 2)));
        assert_eq!(embedded_media(b"\0\0\0\x20ftypisom\0\0"), Some(("MP4", 0)));
        assert_eq!(embedded_media(b"(no ftyp box at byte 0)"), None, "text that names the box");
        // A lone FF D8 FF followed by something else is not a JPEG.
        assert_eq!(embedded_media(&[0xFF, 0xD8, 0xFF, 0x00]), None);
    }
}
