//! Reading every frame of a stored clip back, for the privacy audit and
//! the hub's upload check.

use std::path::Path;

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::{Packet, codec, format, frame, media};
use ffmpeg_next as ffmpeg;
use image::RgbImage;

use super::init;

/// Decodes every frame of the video file at `path` (any format FFmpeg reads)
/// to RGB at its native size, calling `f` for each in display order, and
/// returns how many there were. Any read or decode error is an `Err`: this
/// is for auditing clips, where a damaged packet is a finding.
pub fn for_each_frame(path: &Path, mut f: impl FnMut(RgbImage)) -> Result<usize, String> {
    let name = path.display().to_string();
    if !path.is_file() {
        return Err(format!("{name}: no such file"));
    }
    let path_str = ffmpeg_path(path)?;
    init();
    let mut input = format::input(path_str).map_err(|e| format!("{name}: cannot open: {e}"))?;
    // FFmpeg's "tty" demuxer reads any text file as a "video".
    if input.format().name() == "tty" {
        return Err(format!("{name}: this is a text file, not a video"));
    }
    let index = input.streams().best(media::Type::Video).ok_or_else(|| format!("{name}: no video stream"))?.index();
    decode_stream(&mut input, index, &name, None, |img| {
        f(img);
        Ok(())
    })
}

/// Decodes every frame of stream `index` of `input` to RGB at its native
/// size, calling `f` for each in display order; an `Err` from `f` stops the
/// decoding and is returned. Any read or decode error is an `Err` too.
/// Returns how many frames there were. With `max_side`, the decoder
/// refuses to allocate a larger picture (FFmpeg's `max_pixels`) and a larger
/// frame is an `Err` before it is converted.
pub(crate) fn decode_stream(
    input: &mut format::context::Input,
    index: usize,
    name: &str,
    max_side: Option<u32>,
    mut f: impl FnMut(RgbImage) -> Result<(), String>,
) -> Result<usize, String> {
    let parameters = input.stream(index).ok_or_else(|| format!("{name}: no stream {index}"))?.parameters();
    let mut context = codec::context::Context::from_parameters(parameters).map_err(|e| format!("{name}: {e}"))?;
    context.set_threading(codec::threading::Config::count(1));
    if let Some(side) = max_side {
        // SAFETY: the context is ours and not opened yet; `max_pixels` is a
        // plain field libavcodec reads when it allocates a picture.
        unsafe { (*context.as_mut_ptr()).max_pixels = i64::from(side) * i64::from(side) };
    }
    let mut decoder = context.decoder().video().map_err(|e| format!("{name}: cannot decode the video: {e}"))?;

    let mut reader = FrameReader { name, scaler: None, count: 0, max_side };
    let mut packet = Packet::empty();
    loop {
        // Not `input.packets()`: that iterator retries a failing read forever.
        match packet.read(input) {
            Ok(()) if packet.stream() == index => {
                decoder.send_packet(&packet).map_err(|e| format!("{name}: bad packet: {e}"))?;
                reader.drain(&mut decoder, &mut f)?;
            }
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(e) => return Err(format!("{name}: read failed: {e}")),
        }
    }
    decoder.send_eof().map_err(|e| format!("{name}: cannot flush the decoder: {e}"))?;
    reader.drain(&mut decoder, &mut f)?;
    Ok(reader.count)
}

/// Converts decoded frames to RGB for [`for_each_frame`].
struct FrameReader<'a> {
    name: &'a str,
    /// The scaler and the (format, width, height) it was built for.
    scaler: Option<(scaling::Context, (Pixel, u32, u32))>,
    count: usize,
    max_side: Option<u32>,
}

impl FrameReader<'_> {
    /// Hands every frame the decoder has ready to `f`.
    fn drain(&mut self, decoder: &mut ffmpeg::decoder::Video, f: &mut impl FnMut(RgbImage) -> Result<(), String>) -> Result<(), String> {
        let mut decoded = frame::Video::empty();
        loop {
            match decoder.receive_frame(&mut decoded) {
                Ok(()) => {}
                Err(e) if is_drained(&e) => return Ok(()),
                Err(e) => return Err(format!("{}: decoding failed: {e}", self.name)),
            }
            f(self.convert(&decoded)?)?;
            self.count += 1;
        }
    }

    fn convert(&mut self, frame: &frame::Video) -> Result<RgbImage, String> {
        let key = (frame.format(), frame.width(), frame.height());
        let (_, w, h) = key;
        if w == 0 || h == 0 {
            return Err(format!("{}: decoded an empty frame", self.name));
        }
        if let Some(side) = self.max_side.filter(|s| w > *s || h > *s) {
            return Err(format!("{}: a {w}x{h} frame; at most {side} pixels a side", self.name));
        }
        // Built on the first frame, rebuilt if the stream changes size.
        if !matches!(&self.scaler, Some((_, k)) if *k == key) {
            let scaler = scaling::Context::get(key.0, w, h, Pixel::RGB24, w, h, scaling::Flags::BILINEAR)
                .map_err(|e| format!("{}: cannot convert {:?} frames to RGB: {e}", self.name, key.0))?;
            self.scaler = Some((scaler, key));
        }
        let Some((scaler, _)) = self.scaler.as_mut() else { unreachable!("set just above") };
        let mut rgb = frame::Video::empty();
        scaler.run(frame, &mut rgb).map_err(|e| format!("{}: cannot convert a frame to RGB: {e}", self.name))?;
        if !has_buffer(&rgb) {
            return Err(format!("{}: out of memory for a {w}x{h} frame", self.name));
        }
        let row = w as usize * 3;
        let stride = rgb.stride(0);
        let data = rgb.data(0);
        let mut out = Vec::with_capacity(row * h as usize);
        for y in 0..h as usize {
            out.extend_from_slice(&data[y * stride..y * stride + row]);
        }
        RgbImage::from_raw(w, h, out).ok_or_else(|| format!("{}: frame buffer size mismatch", self.name))
    }
}

pub(crate) use crate::av::{ffmpeg_path, has_buffer, is_drained};
