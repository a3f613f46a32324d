//! The hub's gate for uploaded clips: what it stores is exactly what it
//! checked, in a shape it decides itself.
//!
//! - The video is opened from memory with the MP4 demuxer forced and no
//!   protocol allowed. Its top-level boxes are read in sequence (no trailing
//!   bytes, nothing but `ftyp`, `moov`, `mdat` and padding), and no image
//!   signature may appear in it. It must hold exactly one stream, an H.264 video
//!   stream (no audio, data, subtitles, attachments or cover art). Every
//!   frame is decoded, searched for faces, and re-encoded by the hub into a
//!   new MP4 with one H.264 stream, no SEI, no metadata and no bytes outside
//!   the boxes the hub's muxer wrote.
//! - The thumbnail must be one plain, single-frame PNG (chunks read in
//!   sequence; animation, text and other chunks and trailing data refused;
//!   size checked before decoding). It is decoded, searched for faces and
//!   re-encoded by the hub.
//!
//! The sidecar's schema is the hub's business (`hub::validate::sidecar`).

use std::path::Path;
use std::sync::Mutex;

use image::RgbImage;

use super::png::{MAX_THUMB_SIDE, check_plain};
use crate::vision::retinaface::FaceDetector;

/// Largest video side the hub accepts, in pixels: the agent's largest
/// `clips.max_side`.
pub const MAX_VIDEO_SIDE: u32 = 1920;
/// Most frames in one clip: the agent's longest clip (30 s before and 60 s
/// after) at its highest analysis rate (30 fps) is 2,700.
pub const MAX_FRAMES: usize = 3_000;

/// An upload rewritten by the hub: these bytes, and nothing else, are stored.
#[derive(Debug)]
pub struct CleanClip {
    pub video: Vec<u8>,
    pub thumbnail: Vec<u8>,
    /// Frames searched for faces (the video's and the thumbnail).
    pub frames: usize,
}

/// Checks and rewrites an uploaded clip's video and thumbnail. `Err` names
/// what was refused (a stream, a chunk, a face and where) and what to send
/// instead; it never holds pixels.
///
/// The face detector is locked one frame at a time, so one long clip does
/// not hold every other box's upload behind it.
pub fn sanitize(video: &[u8], thumbnail: &[u8], faces: &Mutex<FaceDetector>) -> Result<CleanClip, String> {
    let thumbnail = thumbnail_png(thumbnail, faces).map_err(|e| format!("thumbnail: {e}"))?;
    let (video, frames) = video_mp4(video, faces).map_err(|e| format!("video: {e}"))?;
    Ok(CleanClip { video, thumbnail, frames: frames + 1 })
}

fn first_face(faces: &Mutex<FaceDetector>, img: &RgbImage, what: &str, frame: usize) -> Result<(), String> {
    let found = {
        let mut faces = crate::sync::lock(faces);
        faces.thresholds.score = super::faces::AUDIT_FACE_SCORE;
        super::faces::search(&mut faces, img, frame)?
    };
    match found.first() {
        Some(f) => Err(super::faces::describe(Path::new(what), f)),
        None => Ok(()),
    }
}

/// The thumbnail, checked chunk by chunk, decoded, searched and re-encoded.
fn thumbnail_png(bytes: &[u8], faces: &Mutex<FaceDetector>) -> Result<Vec<u8>, String> {
    check_plain(bytes, MAX_THUMB_SIDE)?;
    if let Some((format, at)) = super::signatures::embedded_media_except(bytes, Some(0)) {
        return Err(format!("{format} data at byte {at}; send the thumbnail alone"));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_THUMB_SIDE);
    limits.max_image_height = Some(MAX_THUMB_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| format!("not a readable PNG: {e}"))?.to_rgb8();
    first_face(faces, &img, "thumbnail.png", 0)?;
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).map_err(|e| format!("cannot re-encode: {e}"))?;
    Ok(out)
}

/// The video: one H.264 stream, every frame decoded, searched and
/// re-encoded; returns the new MP4 and the number of frames.
fn video_mp4(bytes: &[u8], faces: &Mutex<FaceDetector>) -> Result<(Vec<u8>, usize), String> {
    use ffmpeg_next::{codec, media};
    for (kind, at, _) in super::mp4::top_level_boxes(bytes)? {
        if !super::mp4::CLIP_BOXES.contains(&&kind) {
            return Err(format!(
                "box {:?} at byte {at} is not part of a clip (only ftyp, moov, mdat and free); send a plain MP4",
                String::from_utf8_lossy(&kind)
            ));
        }
    }
    if let Some((format, at)) = super::signatures::embedded_media_except(bytes, Some(0)) {
        return Err(format!("{format} data at byte {at}; send the video alone"));
    }
    let mut mem = crate::av::MemInput::open_mp4(bytes.to_vec())?;
    let input = mem.input();
    let streams: Vec<_> = input.streams().collect();
    if streams.len() != 1 {
        let kinds: Vec<String> = streams.iter().map(describe).collect();
        return Err(format!("{} streams ({}); send exactly one H.264 video stream and nothing else", streams.len(), kinds.join(", ")));
    }
    let s = &streams[0];
    let params = s.parameters();
    if params.medium() != media::Type::Video || params.id() != codec::Id::H264 {
        return Err(format!("stream 0 is {}; send one H.264 video stream", describe(s)));
    }
    if s.disposition().contains(ffmpeg_next::format::stream::Disposition::ATTACHED_PIC) {
        return Err("stream 0 is an attached picture (cover art); send one H.264 video stream".into());
    }
    let fps = [s.avg_frame_rate(), s.rate()]
        .into_iter()
        .find(|r| r.numerator() > 0 && r.denominator() > 0)
        .map_or(0.0, |r| f64::from(r.numerator()) / f64::from(r.denominator()));
    if !(fps > 0.0 && fps <= 120.0) {
        return Err(format!("frame rate {fps:.3} is not between 0 and 120 frames per second"));
    }
    // What the stream declares is checked before a frame is decoded: a
    // near-empty keyframe of 16000 x 16000 would take gigabytes to decode,
    // and 18,000 skipped frames hours to search. The decoder is also told
    // the largest picture it may allocate, in case the bitstream says
    // otherwise than the container.
    let (w, h) = codec::context::Context::from_parameters(params.clone())
        .and_then(|c| c.decoder().video())
        .map(|d| (d.width(), d.height()))
        .map_err(|e| format!("cannot read the stream's size: {e}"))?;
    if w == 0 || h == 0 || w > MAX_VIDEO_SIDE || h > MAX_VIDEO_SIDE {
        return Err(format!("{w}x{h} frames; send even sizes of at most {MAX_VIDEO_SIDE} pixels a side"));
    }
    let declared = usize::try_from(s.frames()).unwrap_or(usize::MAX);
    let tb = s.time_base();
    let seconds = if s.duration() > 0 && tb.denominator() > 0 {
        s.duration() as f64 * f64::from(tb.numerator()) / f64::from(tb.denominator())
    } else {
        0.0
    };
    if declared > MAX_FRAMES || seconds * fps > (MAX_FRAMES + 1) as f64 {
        return Err(format!("{declared} frames over {seconds:.0} s; send at most {MAX_FRAMES} frames"));
    }
    let index = s.index();
    drop(streams);
    let out = MemOut::new().map_err(|e| format!("cannot hold the re-encoded video in memory: {e}"))?;
    let mut writer: Option<super::mp4::Mp4Writer> = None;
    let mut size = None;
    let frames = crate::av::frames::decode_stream(input, index, "stream 0", Some(MAX_VIDEO_SIDE), |img| {
        let dims = img.dimensions();
        if *size.get_or_insert(dims) != dims {
            return Err(format!("frames change size ({:?} then {dims:?}); send frames of one size", size.unwrap_or(dims)));
        }
        let (w, h) = dims;
        if w > MAX_VIDEO_SIDE || h > MAX_VIDEO_SIDE || w % 2 == 1 || h % 2 == 1 {
            return Err(format!("{w}x{h} frames; send even sizes of at most {MAX_VIDEO_SIDE} pixels a side"));
        }
        let frame = frame_index(&writer);
        if frame >= MAX_FRAMES {
            return Err(format!("more than {MAX_FRAMES} frames; send a shorter clip"));
        }
        first_face(faces, &img, "video.mp4", frame)?;
        if writer.is_none() {
            writer = Some(super::mp4::Mp4Writer::create(&out.path(), w, h, fps)?);
        }
        match writer.as_mut() {
            Some(wr) => wr.push(&img),
            None => Err("no writer".into()),
        }
    })?;
    let Some(writer) = writer else { return Err("no frames".into()) };
    writer.finish()?;
    let video = out.bytes().map_err(|e| format!("cannot read the re-encoded video back: {e}"))?;
    Ok((video, frames))
}

fn frame_index(writer: &Option<super::mp4::Mp4Writer>) -> usize {
    writer.as_ref().map_or(0, |w| w.frames() as usize)
}

fn describe(s: &ffmpeg_next::format::stream::Stream) -> String {
    let p = s.parameters();
    let pic = if s.disposition().contains(ffmpeg_next::format::stream::Disposition::ATTACHED_PIC) { " attached picture" } else { "" };
    format!("stream {}: {:?} {:?}{pic}", s.index(), p.medium(), p.id())
}

/// An anonymous in-memory file (`memfd_create`) that FFmpeg's muxer writes
/// through `/proc/self/fd` (it reopens the file to move the index to the
/// front), read back into memory.
pub(crate) struct MemOut(std::fs::File);

impl MemOut {
    pub(crate) fn new() -> std::io::Result<MemOut> {
        use std::os::fd::FromRawFd;
        // SAFETY: a static NUL-terminated name; the returned descriptor is
        // checked and owned by the File from here on.
        let fd = unsafe { libc::memfd_create(c"liyi-clip".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        Ok(MemOut(unsafe { std::fs::File::from_raw_fd(fd) }))
    }

    pub(crate) fn path(&self) -> std::path::PathBuf {
        use std::os::fd::AsRawFd;
        std::path::PathBuf::from(format!("/proc/self/fd/{}", self.0.as_raw_fd()))
    }

    pub(crate) fn bytes(&self) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.path())
    }
}
