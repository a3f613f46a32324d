//! Video files and RTSP streams through FFmpeg (libavformat / libavcodec,
//! Debian's FFmpeg 5.1 via `ffmpeg-next`). Frames are decoded with one
//! thread, non-reference frames are skipped when the analysis rate is well
//! below the source's, and only kept frames are converted to RGB at the
//! analysis size, in one pass, straight into the frame's buffer. When the
//! reader falls behind, packets are dropped undecoded up to the next
//! keyframe ([`Source::skip_to_keyframe`]).

use std::path::Path;

use chrono::{DateTime, FixedOffset, Local};
use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg_next as ffmpeg;
use image::RgbImage;

use super::{CaptureError, CaptureOptions, Frame, RateGate, Source, analysis_size, name_of};

pub(crate) use crate::av::init;

/// Bytes past the last row that swscale may touch (its widest SIMD store).
const SCALE_SLACK: usize = 64;

/// How far from its start a file's frame may lie: a year. A stream's
/// timestamps are the file's to say; one past this is broken or crafted.
const MAX_FILE_SPAN_S: i64 = 366 * 86_400;

/// The time of a file's frame `t` seconds after `start`; `None` when `t` is
/// not a finite offset within [`MAX_FILE_SPAN_S`] (either side: some files
/// start at a negative timestamp).
fn file_frame_time(start: DateTime<FixedOffset>, t: f64) -> Option<DateTime<FixedOffset>> {
    if !t.is_finite() || t.abs() > MAX_FILE_SPAN_S as f64 {
        return None;
    }
    start.checked_add_signed(chrono::TimeDelta::try_milliseconds((t * 1000.0).round() as i64)?)
}

/// The longest group of pictures (keyframe to keyframe, seconds) that
/// [`Source::skip_to_keyframe`] skips through: below the rules' 3 s, past
/// which the time between two frames counts as unobserved.
const MAX_SKIP_GROUP_S: f64 = 2.5;
/// How many of the last groups must all be that short: cameras that
/// stretch the group on a still scene (smart codecs) are not skipped.
const GROUPS_SEEN: usize = 3;

/// The scaler, owned by one source and used by one thread at a time.
struct Scaler(scaling::Context);

// SAFETY: an SwsContext has no thread affinity; it is only unsafe to use it
// from two threads at once. `Scaler` is owned by exactly one `VideoSource`,
// which is used through `&mut self` only, so moving it between threads is
// sound.
unsafe impl Send for Scaler {}

pub struct VideoSource {
    name: String,
    input: ffmpeg::format::context::Input,
    decoder: ffmpeg::decoder::Video,
    stream: usize,
    time_base: f64,
    scaler: Option<Scaler>,
    gate: RateGate,
    options: CaptureOptions,
    /// Wall-clock start for live streams, or the configured start.
    start: DateTime<FixedOffset>,
    live: bool,
    decoded: u64,
    dropped: u64,
    /// Drop packets undecoded until the next keyframe.
    skip_to_key: bool,
    skipped: u64,
    /// The stream time of the last keyframe read, and the lengths of the
    /// last [`GROUPS_SEEN`] groups (keyframe to keyframe), seconds.
    last_key_t: Option<f64>,
    groups_s: std::collections::VecDeque<f64>,
    /// The stream time of the first packet the current skip dropped.
    skip_from_t: Option<f64>,
    /// The first picture after a skip is not yet decoded.
    resumed: bool,
    /// Skipping is allowed (a resume that did not decode a keyframe turns
    /// it off for this source).
    skippable: bool,
    eof_sent: bool,
    size: Option<(u32, u32)>,
}

impl VideoSource {
    pub fn open_file(path: &Path, options: CaptureOptions) -> Result<VideoSource, CaptureError> {
        let name = name_of(path);
        if !path.is_file() {
            return Err(CaptureError::Open {
                source_name: name,
                message: "no such file".into(),
                fix: "check the file: path in the config".into(),
            });
        }
        // ffmpeg-next panics on a path that is not UTF-8 or holds a NUL.
        let ffmpeg_path = crate::av::ffmpeg_path(path).map_err(|message| CaptureError::Open {
            source_name: name.clone(),
            message,
            fix: "rename the file or its folder to a UTF-8 name, or move it".into(),
        })?;
        init();
        let input = ffmpeg::format::input(&ffmpeg_path).map_err(|e| CaptureError::Open {
            source_name: name.clone(),
            message: e.to_string(),
            fix: "the file must be a video FFmpeg can read (MP4, MKV, …)".into(),
        })?;
        // FFmpeg's "tty" demuxer turns any text file into "video"; a camera
        // recording is never that.
        let format = input.format().name().to_string();
        if format == "tty" {
            return Err(CaptureError::Open {
                source_name: name,
                message: "this is a text file, not a video".into(),
                fix: "the file must be a video FFmpeg can read (MP4, MKV, …)".into(),
            });
        }
        Self::from_input(name, input, options, false)
    }

    pub fn open_rtsp(url: &str, options: CaptureOptions) -> Result<VideoSource, CaptureError> {
        // ffmpeg-next panics on a NUL byte; the config refuses control
        // characters, and a caller that skipped it gets an error too.
        if url.chars().any(char::is_control) {
            return Err(CaptureError::Open {
                source_name: crate::config::SourceSpec::Rtsp { url: url.replace(char::is_control, "?") }.to_string(),
                message: "the address holds a control character".into(),
                fix: "remove it from the source in the config".into(),
            });
        }
        init();
        let mut dict = ffmpeg::Dictionary::new();
        dict.set("rtsp_transport", "tcp");
        // Give up on a silent server after 5 s (microseconds).
        dict.set("timeout", "5000000");
        // FFmpeg studies a stream for 5 s before the first frame by default;
        // the camera's SDP already names the codec, and 1 s keeps a
        // reconnection inside the 5 s goal (measured in tests/rtsp.rs).
        dict.set("analyzeduration", "1000000");
        let shown = crate::config::SourceSpec::Rtsp { url: url.to_string() }.to_string();
        let input = ffmpeg::format::input_with_dictionary(&url, dict).map_err(|e| CaptureError::Open {
            source_name: shown.clone(),
            message: e.to_string(),
            fix: "check the camera's address, port, path and credentials, and that it is reachable".into(),
        })?;
        Self::from_input(shown, input, options, true)
    }

    fn from_input(
        name: String,
        input: ffmpeg::format::context::Input,
        options: CaptureOptions,
        live: bool,
    ) -> Result<VideoSource, CaptureError> {
        let open_err =
            |message: String| CaptureError::Open { source_name: name.clone(), message, fix: "the source must carry a video stream".into() };
        let stream = input.streams().best(ffmpeg::media::Type::Video).ok_or_else(|| open_err("no video stream".into()))?;
        let index = stream.index();
        let tb = stream.time_base();
        let time_base = f64::from(tb.numerator()) / f64::from(tb.denominator().max(1));
        let native_fps = {
            let r = stream.avg_frame_rate();
            if r.denominator() > 0 && r.numerator() > 0 { f64::from(r.numerator()) / f64::from(r.denominator()) } else { 25.0 }
        };
        let mut context = ffmpeg::codec::context::Context::from_parameters(stream.parameters()).map_err(|e| open_err(e.to_string()))?;
        context.set_threading(ffmpeg::codec::threading::Config::count(1));
        let mut decoder = context.decoder().video().map_err(|e| open_err(e.to_string()))?;
        if native_fps >= 3.0 * options.fps {
            decoder.skip_frame(ffmpeg::codec::discard::Discard::NonReference);
        }
        let start = options.start.filter(|_| !live).unwrap_or_else(|| Local::now().fixed_offset());
        Ok(VideoSource {
            name,
            input,
            decoder,
            stream: index,
            time_base,
            scaler: None,
            gate: RateGate::new(options.fps),
            options,
            start,
            live,
            decoded: 0,
            dropped: 0,
            skip_to_key: false,
            skipped: 0,
            last_key_t: None,
            groups_s: std::collections::VecDeque::new(),
            skip_from_t: None,
            resumed: false,
            skippable: true,
            eof_sent: false,
            size: None,
        })
    }

    /// The decoded picture at the analysis size, as RGB.
    fn convert(&mut self, frame: &ffmpeg::frame::Video) -> Result<RgbImage, CaptureError> {
        let (w, h) = (frame.width(), frame.height());
        let (ow, oh) = analysis_size(w, h, self.options.max_side);
        let fits = |s: &Scaler| {
            let input = s.0.input();
            (input.format, input.width, input.height) == (frame.format(), w, h)
        };
        if !self.scaler.as_ref().is_some_and(fits) {
            let ctx = scaling::Context::get(frame.format(), w, h, Pixel::RGB24, ow, oh, scaling::Flags::BILINEAR)
                .map_err(|e| CaptureError::Decode { source_name: self.name.clone(), message: format!("cannot convert frames: {e}") })?;
            self.scaler = Some(Scaler(ctx));
        }
        let scaler = self.scaler.as_mut().expect("just built");
        scale_rgb(&mut scaler.0, frame, ow, oh).map_err(|message| CaptureError::Decode { source_name: self.name.clone(), message })
    }

    /// Tries to take one decoded frame; `Some` when it is due.
    fn take_decoded(&mut self) -> Result<Option<Frame>, CaptureError> {
        let mut decoded = ffmpeg::frame::Video::empty();
        while self.decoder.receive_frame(&mut decoded).is_ok() {
            self.decoded += 1;
            if std::mem::take(&mut self.resumed) {
                // The container called it a keyframe, the decoder did not
                // (a recovery point, an intra refresh): never skip again
                // here, and show no picture it had to patch up.
                if !decoded.is_key() {
                    self.skippable = false;
                }
                if decoded.is_corrupt() {
                    self.dropped += 1;
                    continue;
                }
            }
            self.size = Some((decoded.width(), decoded.height()));
            let t =
                decoded.timestamp().or(decoded.pts()).map_or((self.decoded + self.skipped) as f64 / 25.0, |p| p as f64 * self.time_base);
            if !self.gate.keep(t) {
                self.dropped += 1;
                continue;
            }
            let image = self.convert(&decoded)?;
            let ts = if self.live {
                Local::now().fixed_offset()
            } else {
                file_frame_time(self.start, t).ok_or_else(|| CaptureError::Decode {
                    source_name: self.name.clone(),
                    message: format!(
                        "frame {} has timestamp {t} s, out of range (a file's frames must fall within {} days of its start). \
                         Fix: re-mux the file, e.g. `ffmpeg -i IN -c copy -reset_timestamps 1 OUT.mp4`",
                        self.decoded - 1,
                        MAX_FILE_SPAN_S / 86_400
                    ),
                })?
            };
            return Ok(Some(Frame { ts, index: self.decoded - 1 + self.skipped, image }));
        }
        Ok(None)
    }
}

/// `frame` at `ow`×`oh` as RGB through `scaler` (made for exactly these
/// sizes and formats), written by swscale in one pass straight into the
/// image's own buffer: no intermediate picture, no copy.
fn scale_rgb(scaler: &mut scaling::Context, frame: &ffmpeg::frame::Video, ow: u32, oh: u32) -> Result<RgbImage, String> {
    // swscale reads the planes the context was made for: a frame of
    // another size or format (a camera changing mode) must not reach it.
    let (input, output) = (scaler.input(), scaler.output());
    if (input.format, input.width, input.height) != (frame.format(), frame.width(), frame.height())
        || (output.format, output.width, output.height) != (Pixel::RGB24, ow, oh)
    {
        return Err("cannot convert frames: the picture does not match the scaler made for this stream".into());
    }
    let row = ow as usize * 3;
    let len = row * oh as usize;
    // Zeroed memory of this size comes from fresh pages, not a memset. The
    // slack covers any write past the last row by swscale's vectorised
    // output.
    let mut out = vec![0u8; len + SCALE_SLACK];
    let dst = [out.as_mut_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut()];
    let dst_stride = [row as std::ffi::c_int, 0, 0, 0];
    // SAFETY: the source planes and strides are the decoded frame's own, and
    // `frame.height()` rows of them exist; the destination is one packed
    // RGB24 plane of `oh` rows of `row` bytes (plus slack) owned by `out`,
    // which outlives the call. The caller made the context for exactly
    // these sizes and formats.
    let rows = unsafe {
        let f = frame.as_ptr();
        ffmpeg::ffi::sws_scale(
            scaler.as_mut_ptr(),
            (*f).data.as_ptr() as *const *const u8,
            (*f).linesize.as_ptr(),
            0,
            frame.height() as std::ffi::c_int,
            dst.as_ptr(),
            dst_stride.as_ptr(),
        )
    };
    if rows != oh as std::ffi::c_int {
        return Err(format!("cannot convert frames: the scaler wrote {rows} of {oh} rows"));
    }
    out.truncate(len);
    Ok(RgbImage::from_raw(ow, oh, out).expect("a buffer of exactly w x h x 3 bytes"))
}

impl Source for VideoSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        loop {
            if let Some(f) = self.take_decoded()? {
                return Ok(Some(f));
            }
            if self.eof_sent {
                return Ok(None);
            }
            let mut packet = ffmpeg::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) => {
                    if packet.stream() != self.stream {
                        continue;
                    }
                    let t = packet.pts().or(packet.dts()).map(|p| p as f64 * self.time_base);
                    if packet.is_key()
                        && let Some(t) = t
                    {
                        if let Some(t0) = self.last_key_t.filter(|&t0| t > t0) {
                            self.groups_s.push_back(t - t0);
                            if self.groups_s.len() > GROUPS_SEEN {
                                self.groups_s.pop_front();
                            }
                        }
                        self.last_key_t = Some(t);
                    }
                    if self.skip_to_key {
                        if !packet.is_key() {
                            self.skipped += 1;
                            // A group far longer than the last ones: the
                            // camera stretched it. Skip to its end, but
                            // not again until short groups are seen anew.
                            if let Some(t) = t
                                && t - *self.skip_from_t.get_or_insert(t) > MAX_SKIP_GROUP_S
                            {
                                self.groups_s.clear();
                            }
                            continue;
                        }
                        // The pictures the skipped ones would have
                        // referred to are gone: start afresh here.
                        self.skip_to_key = false;
                        self.resumed = true;
                        self.decoder.flush();
                    }
                    if let Err(e) = self.decoder.send_packet(&packet) {
                        // A damaged packet is counted and skipped, not fatal.
                        tracing::debug!(source = %self.name, error = %e, "decoder rejected a packet");
                        self.dropped += 1;
                    }
                }
                Err(ffmpeg::Error::Eof) => {
                    let _ = self.decoder.send_eof();
                    self.eof_sent = true;
                }
                Err(e) => {
                    return Err(CaptureError::Decode { source_name: self.name.clone(), message: format!("read failed: {e}") });
                }
            }
        }
    }

    fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Only where the last [`GROUPS_SEEN`] groups were each at most
    /// [`MAX_SKIP_GROUP_S`] long: a camera that sends a keyframe a minute
    /// (or none, refreshing in stripes) would leave the window without a
    /// frame that long.
    fn skip_to_keyframe(&mut self) {
        if self.skippable && self.groups_s.len() >= GROUPS_SEEN && self.groups_s.iter().all(|&g| g <= MAX_SKIP_GROUP_S) {
            self.skip_to_key = true;
            self.skip_from_t = None;
        }
    }

    fn skipped(&self) -> u64 {
        self.skipped
    }

    fn native_size(&self) -> Option<(u32, u32)> {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_times_out_of_range_are_refused_not_a_panic() {
        let start = DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        assert_eq!(file_frame_time(start, 1.5), Some(start + chrono::TimeDelta::milliseconds(1500)));
        assert_eq!(file_frame_time(start, -0.04), Some(start - chrono::TimeDelta::milliseconds(40)));
        for t in [f64::NAN, f64::INFINITY, -f64::INFINITY, 1e300, -1e300, 9.3e15, i64::MAX as f64, 366.0 * 86_400.0 + 1.0] {
            assert_eq!(file_frame_time(start, t), None, "{t}");
        }
        let late = chrono::DateTime::<chrono::Utc>::MAX_UTC.fixed_offset() - chrono::TimeDelta::hours(1);
        assert_eq!(file_frame_time(late, 86_400.0), None, "a configured start near the end of time");
    }

    #[test]
    fn paths_and_addresses_ffmpeg_would_panic_on_are_errors() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"cam\xff.mp4"));
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/street-walk.mp4"), &odd).unwrap();
        let e = VideoSource::open_file(&odd, CaptureOptions::default()).err().expect("a non-UTF-8 path is refused").to_string();
        assert!(e.contains("UTF-8") && e.contains("Fix:"), "{e}");
        let e = VideoSource::open_rtsp("rtsp://cam/s\u{0}x", CaptureOptions::default()).err().expect("a NUL is refused").to_string();
        assert!(e.contains("control character") && !e.contains('\u{0}'), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn any_timestamp_gives_a_time_or_none(t in proptest::num::f64::ANY) {
            let start = DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
            if let Some(ts) = file_frame_time(start, t) {
                proptest::prop_assert!((ts - start).num_seconds().abs() <= MAX_FILE_SPAN_S);
            }
        }
    }

    /// The first few decoded frames of the shipped street video.
    fn decoded(n: usize) -> Vec<ffmpeg::frame::Video> {
        init();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/street-walk.mp4");
        let mut input = ffmpeg::format::input(&path).unwrap();
        let stream = input.streams().best(ffmpeg::media::Type::Video).unwrap();
        let index = stream.index();
        let mut decoder = ffmpeg::codec::context::Context::from_parameters(stream.parameters()).unwrap().decoder().video().unwrap();
        let mut out = Vec::new();
        for (s, packet) in input.packets() {
            if s.index() != index {
                continue;
            }
            decoder.send_packet(&packet).unwrap();
            let mut f = ffmpeg::frame::Video::empty();
            while decoder.receive_frame(&mut f).is_ok() {
                out.push(std::mem::replace(&mut f, ffmpeg::frame::Video::empty()));
            }
            if out.len() >= n {
                break;
            }
        }
        out.truncate(n);
        out
    }

    #[test]
    fn direct_conversion_gives_the_bytes_ffmpeg_gives() {
        let frames = decoded(3);
        assert_eq!(frames.len(), 3);
        let (w, h) = (frames[0].width(), frames[0].height());
        // Scaled (the usual case), an odd width, and the native size
        // (swscale's unscaled converters).
        for (ow, oh) in [analysis_size(w, h, 1280), (999, 561), (w, h)] {
            let mut ctx = scaling::Context::get(frames[0].format(), w, h, Pixel::RGB24, ow, oh, scaling::Flags::BILINEAR).unwrap();
            for f in &frames {
                let direct = scale_rgb(&mut ctx, f, ow, oh).unwrap();
                let mut rgb = ffmpeg::frame::Video::empty();
                ctx.run(f, &mut rgb).unwrap();
                let stride = rgb.stride(0);
                let row = ow as usize * 3;
                let theirs: Vec<u8> = (0..oh as usize).flat_map(|y| rgb.data(0)[y * stride..y * stride + row].to_vec()).collect();
                assert_eq!(direct.dimensions(), (ow, oh));
                assert!(direct.as_raw() == &theirs, "{ow}x{oh}: the bytes differ");
            }
        }
        // A picture of another size than the scaler was made for is refused,
        // never read past its planes.
        let mut small = scaling::Context::get(frames[0].format(), w / 2, h / 2, Pixel::RGB24, 320, 180, scaling::Flags::BILINEAR).unwrap();
        let e = scale_rgb(&mut small, &frames[0], 320, 180).unwrap_err();
        assert!(e.contains("does not match"), "{e}");
    }
}
