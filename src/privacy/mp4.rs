//! H.264 MP4 clips through FFmpeg (libavcodec / libavformat, Debian's FFmpeg
//! 5.1 via `ffmpeg-next`). Private to the privacy module: the public
//! [`ClipEncoder`](super::ClipEncoder) accepts only redacted frames.
//!
//! Clips are what browsers play everywhere: H.264 (libx264, High profile),
//! yuv420p, BT.601 limited range tagged as such, and the `moov` atom at the
//! front of the file (`+faststart`) so playback starts before the download
//! ends. Encoding uses one thread: the target box shares two cores with
//! inference.

use std::path::Path;

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::{Dictionary, Packet, Rational, codec, color, encoder, format, frame};
use ffmpeg_next as ffmpeg;
use image::RgbImage;

/// Largest accepted side, in pixels: a sanity bound far above any camera
/// that still keeps a frame's buffers allocatable.
const MAX_SIDE: u32 = 8192;

/// x264 speed / size trade-off; "veryfast" costs a fraction of the default
/// "medium" for somewhat bigger files.
const PRESET: &str = "veryfast";

/// Constant quality (0 = lossless … 51); 28 is the usual "good enough for a
/// web preview" value: about 0.5 Mbit/s for 960×540 street footage at 5 fps.
const CRF: &str = "28";

/// Seconds between key frames: seeking lands at most this far off.
const GOP_SECONDS: f64 = 2.0;

use crate::av::{ffmpeg_path, has_buffer, init, is_drained};

/// A scaler owned by one writer.
struct Scaler(scaling::Context);

// SAFETY: an SwsContext has no thread affinity; it is only unsafe to use it
// from two threads at once. `Scaler` is owned by exactly one `Mp4Writer`,
// which uses it through `&mut self` only, so moving it between threads is
// sound.
unsafe impl Send for Scaler {}

/// Writes RGB frames, all of one size, to an H.264 MP4 file.
///
/// Call [`Mp4Writer::finish`] to complete the file; a writer dropped without
/// it leaves a file that players cannot open (no `moov` atom), so write to a
/// temporary name and rename after `finish` succeeds.
pub struct Mp4Writer {
    output: format::context::Output,
    encoder: encoder::Video,
    scaler: Scaler,
    /// The RGB24 staging frame the scaler reads; reused for every frame.
    rgb: frame::Video,
    stream: usize,
    encoder_time_base: Rational,
    stream_time_base: Rational,
    width: u32,
    height: u32,
    /// Frames sent so far; also the next frame's pts (one tick per frame).
    frames: i64,
    /// For error messages.
    name: String,
}

impl Mp4Writer {
    /// Creates the MP4 file at `path` for frames of `width`×`height` (both
    /// even) shown at `fps` frames per second (fractional rates are fine).
    ///
    /// The container is always MP4, whatever the file's extension, so a
    /// temporary name such as `clip.mp4.part` works.
    pub fn create(path: &Path, width: u32, height: u32, fps: f64) -> Result<Mp4Writer, String> {
        let name = path.display().to_string();
        if width == 0 || height == 0 || !width.is_multiple_of(2) || !height.is_multiple_of(2) {
            return Err(format!("{name}: frame size {width}x{height} must be non-zero and even (yuv420p halves both)"));
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(format!("{name}: frame size {width}x{height} exceeds {MAX_SIDE} pixels a side"));
        }
        if !fps.is_finite() || fps <= 0.0 || fps > 1000.0 {
            return Err(format!("{name}: frame rate {fps} must be above 0 and at most 1000"));
        }
        let path_str = ffmpeg_path(path)?;
        init();
        let fail = |what: &str, e: ffmpeg::Error| format!("{name}: {what}: {e}");
        let codec = encoder::find_by_name("libx264")
            .or_else(|| encoder::find(codec::Id::H264))
            .ok_or_else(|| format!("{name}: this FFmpeg has no H.264 encoder (libavcodec built without libx264)"))?;

        // The format is named, not guessed from the extension, because the
        // caller writes to a temporary name first.
        let output = format::output_as(path_str, "mp4").map_err(|e| fail("cannot create the file", e))?;
        // Leave no half-made file behind when the encoder or muxer says no.
        Self::start(output, codec, name, width, height, fps).inspect_err(|_| {
            let _ = std::fs::remove_file(path);
        })
    }

    /// Sets up the encoder and the stream and writes the header.
    fn start(
        mut output: format::context::Output,
        codec: ffmpeg::Codec,
        name: String,
        width: u32,
        height: u32,
        fps: f64,
    ) -> Result<Mp4Writer, String> {
        let fail = |what: &str, e: ffmpeg::Error| format!("{name}: {what}: {e}");
        let global_header = output.format().flags().contains(format::Flags::GLOBAL_HEADER);

        // One tick per frame: frame i has pts i in the encoder's time base.
        let rate = frame_rate(fps);
        let encoder_time_base = rate.invert();

        let mut context = codec::context::Context::new_with_codec(codec);
        context.set_threading(codec::threading::Config::count(1));
        let mut video = context.encoder().video().map_err(|e| fail("cannot set up the H.264 encoder", e))?;
        video.set_width(width);
        video.set_height(height);
        video.set_format(Pixel::YUV420P);
        video.set_time_base(encoder_time_base);
        video.set_frame_rate(Some(rate));
        video.set_gop(((fps * GOP_SECONDS).round() as u32).max(1));
        video.set_max_b_frames(0);
        // swscale's RGB→YUV is BT.601 limited range; say so in the stream
        // (x264 writes it to the VUI) so that players convert back alike.
        video.set_colorspace(color::Space::SMPTE170M);
        video.set_color_range(color::Range::MPEG);
        if global_header {
            // MP4 keeps SPS/PPS once in the `avcC` box, not in every key frame.
            video.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let mut options = Dictionary::new();
        options.set("preset", PRESET);
        options.set("crf", CRF);
        // Other H.264 encoders ignore the x264 options they do not know.
        let encoder = video.open_with(options).map_err(|e| fail("cannot open the H.264 encoder", e))?;

        let stream = {
            let mut stream = output.add_stream(codec).map_err(|e| fail("cannot add the video stream", e))?;
            stream.set_time_base(encoder_time_base);
            stream.set_avg_frame_rate(rate);
            // After `open`: this copies the SPS/PPS extradata too.
            stream.set_parameters(&encoder);
            stream.index()
        };

        let mut muxer_options = Dictionary::new();
        muxer_options.set("movflags", "+faststart");
        // No "encoder" tag or other metadata: the file holds boxes that
        // carry the picture and nothing else.
        muxer_options.set("fflags", "+bitexact");
        output.write_header_with(muxer_options).map_err(|e| fail("cannot write the MP4 header", e))?;
        // The muxer picks its own time base (a timescale of at least 10000)
        // in `write_header`; read it only now.
        let stream_time_base = output.stream(stream).ok_or_else(|| format!("{name}: the muxer lost its video stream"))?.time_base();

        let scaler = scaling::Context::get(Pixel::RGB24, width, height, Pixel::YUV420P, width, height, scaling::Flags::BILINEAR)
            .map_err(|e| fail("cannot convert RGB to YUV", e))?;
        let rgb = frame::Video::new(Pixel::RGB24, width, height);
        if !has_buffer(&rgb) {
            return Err(format!("{name}: out of memory for a {width}x{height} frame"));
        }

        Ok(Mp4Writer {
            output,
            encoder,
            scaler: Scaler(scaler),
            rgb,
            stream,
            encoder_time_base,
            stream_time_base,
            width,
            height,
            frames: 0,
            name,
        })
    }

    /// Frames pushed so far.
    pub fn frames(&self) -> i64 {
        self.frames
    }

    /// Encodes one frame; it must have the size given to [`Mp4Writer::create`].
    pub fn push(&mut self, image: &RgbImage) -> Result<(), String> {
        if image.dimensions() != (self.width, self.height) {
            return Err(format!(
                "{}: frame is {}x{}, the clip is {}x{}",
                self.name,
                image.width(),
                image.height(),
                self.width,
                self.height
            ));
        }
        // Rows of the AVFrame are padded to its stride.
        let row = self.width as usize * 3;
        let stride = self.rgb.stride(0);
        let data = self.rgb.data_mut(0);
        for (y, src) in image.as_raw().chunks_exact(row).enumerate() {
            data[y * stride..y * stride + row].copy_from_slice(src);
        }

        // A fresh frame each time: the encoder may still hold a reference to
        // the previous one's buffer, so it must not be overwritten.
        let mut yuv = frame::Video::new(Pixel::YUV420P, self.width, self.height);
        if !has_buffer(&yuv) {
            return Err(format!("{}: out of memory for a {}x{} frame", self.name, self.width, self.height));
        }
        self.scaler.0.run(&self.rgb, &mut yuv).map_err(|e| format!("{}: cannot convert a frame to YUV: {e}", self.name))?;
        yuv.set_pts(Some(self.frames));
        self.encoder.send_frame(&yuv).map_err(|e| format!("{}: the encoder refused frame {}: {e}", self.name, self.frames))?;
        self.frames += 1;
        self.write_packets()
    }

    /// Flushes the encoder and writes the MP4 trailer (with `+faststart`,
    /// this rewrites the file to move the `moov` atom to the front).
    ///
    /// A clip without frames is an error: no player would open it.
    pub fn finish(mut self) -> Result<(), String> {
        if self.frames == 0 {
            return Err(format!("{}: no frames were written", self.name));
        }
        self.encoder.send_eof().map_err(|e| format!("{}: cannot flush the encoder: {e}", self.name))?;
        self.write_packets()?;
        self.output.write_trailer().map_err(|e| format!("{}: cannot finish the MP4 file: {e}", self.name))
    }

    /// Moves every packet the encoder has ready into the file.
    fn write_packets(&mut self) -> Result<(), String> {
        let mut packet = Packet::empty();
        loop {
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) => {}
                Err(e) if is_drained(&e) => return Ok(()),
                Err(e) => return Err(format!("{}: the encoder failed: {e}", self.name)),
            }
            packet.set_stream(self.stream);
            // x264 puts its settings in an SEI NAL unit (in-band user data):
            // clips carry picture data only.
            if let Some(data) = packet.data()
                && let Some(clean) = strip_sei(data)
            {
                let mut stripped = Packet::copy(&clean);
                stripped.set_pts(packet.pts());
                stripped.set_dts(packet.dts());
                stripped.set_duration(packet.duration());
                stripped.set_flags(packet.flags());
                packet = stripped;
                packet.set_stream(self.stream);
            }
            // libx264 leaves the duration at 0. The muxer would guess it from
            // the frame rate, but the last frame's display time, and so the
            // clip's duration, hangs on it: set it outright.
            if packet.duration() <= 0 {
                packet.set_duration(1);
            }
            packet.rescale_ts(self.encoder_time_base, self.stream_time_base);
            packet.write_interleaved(&mut self.output).map_err(|e| format!("{}: cannot write to the file: {e}", self.name))?;
        }
    }
}

/// Top-level boxes an MP4 clip may hold: `wide` and `free`/`skip` are
/// padding FFmpeg writes.
pub const CLIP_BOXES: [&[u8; 4]; 6] = [b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide"];

/// The top-level boxes of an MP4 file, read in sequence: (type, offset,
/// size). `Err` when the file does not start with `ftyp`, a box runs past
/// the end, or bytes follow the last box; it names the byte offset.
pub fn top_level_boxes(bytes: &[u8]) -> Result<Vec<([u8; 4], usize, usize)>, String> {
    if bytes.get(4..8) != Some(b"ftyp") {
        return Err("not an MP4 file (no ftyp box at byte 0)".into());
    }
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let left = bytes.len() - at;
        let Some(head) = bytes.get(at..at + 8) else {
            return Err(format!("{left} trailing byte(s) after the last MP4 box (from byte {at})"));
        };
        let kind = [head[4], head[5], head[6], head[7]];
        let size = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
            1 => bytes.get(at + 8..at + 16).map_or(0, |b| u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])),
            0 => left as u64,
            s => u64::from(s),
        };
        if !kind.iter().all(|b| b.is_ascii_graphic() || *b == b' ') || size < 8 || size > left as u64 {
            return Err(format!("{left} byte(s) from byte {at} are not a complete MP4 box (trailing data)"));
        }
        out.push((kind, at, size as usize));
        at += size as usize;
    }
    Ok(out)
}

/// An H.264 access unit without its SEI NAL units (type 6, in-band user
/// data), or `None` when it has none. Handles both framings: Annex B (start
/// codes, as libx264 hands packets to the muxer) and MP4's 4-byte lengths.
pub(crate) fn strip_sei(data: &[u8]) -> Option<Vec<u8>> {
    let nals = if data.starts_with(&[0, 0, 1]) || data.starts_with(&[0, 0, 0, 1]) { annex_b(data) } else { length_prefixed(data)? };
    if !nals.iter().any(|n| n.first().is_some_and(|b| b & 0x1F == 6)) {
        return None;
    }
    let annex = data.starts_with(&[0, 0, 1]) || data.starts_with(&[0, 0, 0, 1]);
    let mut out = Vec::with_capacity(data.len());
    for n in nals.into_iter().filter(|n| n.first().is_some_and(|b| b & 0x1F != 6)) {
        if annex {
            out.extend_from_slice(&[0, 0, 0, 1]);
        } else {
            out.extend_from_slice(&(n.len() as u32).to_be_bytes());
        }
        out.extend_from_slice(n);
    }
    Some(out)
}

/// The NAL units of a 4-byte-length framed access unit, or `None` when the
/// lengths do not add up to the packet.
pub(crate) fn length_prefixed(data: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < data.len() {
        let len = u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?) as usize;
        out.push(data.get(at + 4..(at + 4).checked_add(len)?)?);
        at += 4 + len;
    }
    Some(out)
}

/// The NAL units of an Annex B byte stream (start codes `00 00 01`, with or
/// without a leading zero; trailing zeros belong to no unit).
fn annex_b(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push((i, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &(_, begin)) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(data.len(), |&(s, _)| s);
        while end > begin && data[end - 1] == 0 {
            end -= 1;
        }
        if end > begin {
            out.push(&data[begin..end]);
        }
    }
    out
}

/// `fps` as a rational with a small denominator (2.5 → 5/2, 29.97 → 2997/100).
fn frame_rate(fps: f64) -> Rational {
    // `From<f64>` allows denominators up to i32::MAX; keep time bases sane.
    match Rational::from(fps).reduce_with_limit(100_000) {
        Ok(exact) => exact,
        Err(closest) => closest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::av::frames::for_each_frame;
    use std::process::Command;
    use std::time::Instant;

    /// A frame of one flat colour with a darker square that moves.
    fn frame(w: u32, h: u32, i: u32) -> RgbImage {
        let colour = [(i * 25 % 256) as u8, (255 - i * 20 % 256) as u8, 128];
        let mut img = RgbImage::from_pixel(w, h, image::Rgb(colour));
        let (x0, y0) = (i * 8 % (w - 32), h / 3);
        for y in y0..y0 + 32 {
            for x in x0..x0 + 32 {
                img.put_pixel(x, y, image::Rgb(colour.map(|c| c / 2)));
            }
        }
        img
    }

    fn mean(img: &RgbImage) -> [f64; 3] {
        let mut sum = [0f64; 3];
        for p in img.pixels() {
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
        }
        sum.map(|s| s / f64::from(img.width() * img.height()))
    }

    fn write_clip(path: &Path, frames: &[RgbImage], fps: f64) {
        let (w, h) = frames[0].dimensions();
        let mut writer = Mp4Writer::create(path, w, h, fps).unwrap();
        for f in frames {
            writer.push(f).unwrap();
        }
        writer.finish().unwrap();
    }

    /// `ffprobe`'s key=value lines for the clip, or `None` when it is absent.
    fn ffprobe(path: &Path) -> Option<std::collections::HashMap<String, String>> {
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "stream=codec_name,profile,pix_fmt,width,height,nb_frames"])
            .args(["-show_entries", "format=duration", "-of", "default=noprint_wrappers=1"])
            .arg(path)
            .output()
            .ok()?;
        assert!(out.status.success(), "ffprobe failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        Some(text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// Top-level MP4 boxes: (offset, type).
    fn boxes(bytes: &[u8]) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        let mut at = 0usize;
        while at + 8 <= bytes.len() {
            let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as u64;
            let kind = String::from_utf8_lossy(&bytes[at + 4..at + 8]).to_string();
            let size = match size {
                1 => u64::from_be_bytes(bytes[at + 8..at + 16].try_into().unwrap()),
                0 => (bytes.len() - at) as u64,
                s => s,
            };
            out.push((at, kind));
            at += size as usize;
        }
        out
    }

    #[test]
    fn writes_a_browser_ready_clip() {
        let dir = tempfile::tempdir().unwrap();
        // A temporary name: the format must not come from the extension.
        let path = dir.path().join("clip.mp4.part");
        let frames: Vec<RgbImage> = (0..10).map(|i| frame(320, 240, i)).collect();
        write_clip(&path, &frames, 2.0);

        // (a) what ffprobe sees
        match ffprobe(&path) {
            Some(p) => {
                assert_eq!(p["codec_name"], "h264");
                assert!(matches!(p["profile"].as_str(), "High" | "Main" | "Constrained Baseline"), "profile {}", p["profile"]);
                assert_eq!(p["pix_fmt"], "yuv420p");
                assert_eq!((p["width"].as_str(), p["height"].as_str()), ("320", "240"));
                assert_eq!(p["nb_frames"], "10");
                let duration: f64 = p["duration"].parse().unwrap();
                assert!((duration - 5.0).abs() < 0.01, "duration {duration}");
            }
            None => eprintln!("ffprobe not found; skipped its checks"),
        }

        // (b) ftyp first, moov before mdat
        let bytes = std::fs::read(&path).unwrap();
        let boxes = boxes(&bytes);
        assert_eq!(boxes[0], (0, "ftyp".to_string()), "{boxes:?}");
        let moov = boxes.iter().position(|b| b.1 == "moov").expect("moov");
        let mdat = boxes.iter().position(|b| b.1 == "mdat").expect("mdat");
        assert!(moov < mdat, "not faststart: {boxes:?}");

        // (b2) no in-band user data (x264's settings SEI) and no metadata
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("x264 - core") && !text.contains("Lavf"), "SEI or encoder tag left in the clip");
        let top = top_level_boxes(&bytes).unwrap();
        assert!(top.iter().all(|b| CLIP_BOXES.contains(&&b.0)), "{boxes:?}");

        // (c) the frames come back, in colour
        let mut back = Vec::new();
        let n = for_each_frame(&path, |img| back.push(img)).unwrap();
        assert_eq!(n, 10);
        assert_eq!(back.len(), 10);
        for (i, (a, b)) in frames.iter().zip(&back).enumerate() {
            assert_eq!(b.dimensions(), (320, 240));
            let (ma, mb) = (mean(a), mean(b));
            for c in 0..3 {
                assert!((ma[c] - mb[c]).abs() < 4.0, "frame {i} channel {c}: {:.1} vs {:.1}", ma[c], mb[c]);
            }
        }
    }

    #[test]
    fn sei_units_are_stripped_in_both_framings() {
        let (sps, sei, idr) = (&[0x67u8, 1, 2][..], &[0x06u8, 5, 9, 9][..], &[0x65u8, 7, 7][..]);
        let annex: Vec<u8> = [&[0, 0, 0, 1][..], sps, &[0, 0, 1], sei, &[0, 0, 0, 1], idr].concat();
        assert_eq!(strip_sei(&annex).unwrap(), [&[0, 0, 0, 1][..], sps, &[0, 0, 0, 1], idr].concat());
        let avcc: Vec<u8> = [&[0, 0, 0, 4][..], sei, &[0, 0, 0, 3], idr].concat();
        assert_eq!(strip_sei(&avcc).unwrap(), [&[0, 0, 0, 3][..], idr].concat());
        assert_eq!(strip_sei(&[0, 0, 0, 3, 0x65, 1, 2]), None, "nothing to strip");
        assert_eq!(strip_sei(&[0, 0, 0, 9, 0x65]), None, "not framed: left alone, no panic");
    }

    #[test]
    fn top_level_boxes_refuse_trailing_bytes() {
        let mut f = [&[0, 0, 0, 16][..], b"ftypisom", &[0, 0, 2, 0], &[0, 0, 0, 8], b"mdat"].concat();
        assert_eq!(top_level_boxes(&f).unwrap().len(), 2);
        f.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
        let e = top_level_boxes(&f).unwrap_err();
        assert!(e.contains("4 trailing byte(s)") && e.contains("from byte 24"), "{e}");
        assert!(top_level_boxes(b"RIFF....AVI ").is_err());
    }

    #[test]
    fn writer_can_move_to_a_worker_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<Mp4Writer>();
    }

    #[test]
    fn fractional_rates_keep_the_duration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        let frames: Vec<RgbImage> = (0..10).map(|i| frame(64, 48, i)).collect();
        write_clip(&path, &frames, 2.5);
        if let Some(p) = ffprobe(&path) {
            let duration: f64 = p["duration"].parse().unwrap();
            assert!((duration - 4.0).abs() < 0.01, "duration {duration}");
            assert_eq!(p["nb_frames"], "10");
        }
        assert_eq!(for_each_frame(&path, |_| {}).unwrap(), 10);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        for (w, h, fps) in [(321, 240, 2.0), (320, 0, 2.0), (320, 240, 0.0), (320, 240, f64::NAN), (320, 240, -1.0), (20000, 240, 2.0)] {
            let err = Mp4Writer::create(&path, w, h, fps).err().expect("must fail");
            assert!(err.contains("clip.mp4"), "{err}");
        }
        assert!(Mp4Writer::create(&dir.path().join("missing/clip.mp4"), 320, 240, 2.0).is_err());
        assert!(Mp4Writer::create(dir.path(), 320, 240, 2.0).is_err(), "a folder is not a file");

        let mut writer = Mp4Writer::create(&path, 320, 240, 2.0).unwrap();
        let err = writer.push(&RgbImage::new(640, 480)).unwrap_err();
        assert!(err.contains("640x480"), "{err}");
        // Nothing pushed: finish refuses.
        assert!(writer.finish().is_err());

        assert!(for_each_frame(&dir.path().join("nothing.mp4"), |_| {}).is_err());
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a video\n").unwrap();
        assert!(for_each_frame(&text, |_| {}).is_err());
        let junk = dir.path().join("junk.mp4");
        std::fs::write(&junk, [0u8; 4096]).unwrap();
        assert!(for_each_frame(&junk, |_| {}).is_err());
        // A clip cut short (no moov at the front, none at the end).
        let full = dir.path().join("full.mp4");
        write_clip(&full, &(0..4).map(|i| frame(64, 48, i)).collect::<Vec<_>>(), 2.0);
        let bytes = std::fs::read(&full).unwrap();
        let cut = dir.path().join("cut.mp4");
        std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
        let _ = for_each_frame(&cut, |_| {}); // Ok or Err, but no panic
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_are_refused() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/tmp/\xff.mp4"));
        assert!(Mp4Writer::create(path, 320, 240, 2.0).is_err());
        assert!(for_each_frame(path, |_| {}).is_err());
    }

    /// `cargo test --release -- --ignored --nocapture encode_speed`
    #[test]
    #[ignore]
    fn encode_speed() {
        let (w, h) = (960, 540);
        // Camera-like content: a gradient with texture and moving blocks.
        let frames: Vec<RgbImage> = (0..20u32)
            .map(|i| {
                RgbImage::from_fn(w, h, |x, y| {
                    let n = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729) ^ i.wrapping_mul(31)) % 7;
                    let moving = (x + 40 * i) % 300 < 80 && y % 200 < 120;
                    let base = if moving { 200 } else { (x / 4 + y / 3) % 256 };
                    image::Rgb([(base + n).min(255) as u8, (base / 2 + n) as u8, (255 - base) as u8])
                })
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("speed.mp4");
        let start = Instant::now();
        write_clip(&path, &frames, 5.0);
        let ms = start.elapsed().as_secs_f64() * 1000.0 / frames.len() as f64;
        let size = std::fs::metadata(&path).unwrap().len();
        eprintln!("960x540: {ms:.1} ms/frame, {size} bytes for 20 frames");
        assert_eq!(for_each_frame(&path, |_| {}).unwrap(), 20);
    }
}
