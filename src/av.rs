//! FFmpeg's initialisation and the small safety helpers every FFmpeg user
//! in Liyi shares: decoding (`capture`) and encoding (`privacy::mp4`).

use std::path::Path;
use std::sync::Once;

use ffmpeg_next as ffmpeg;
use ffmpeg::frame;

static INIT: Once = Once::new();

/// Initialises FFmpeg once per process, with its own logging quiet.
pub(crate) fn init() {
    INIT.call_once(|| {
        let _ = ffmpeg::init();
        // Liyi reports FFmpeg's failures as its own errors, with a fix.
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

/// The path as FFmpeg wants it. `ffmpeg-next` panics on a path that is not
/// UTF-8 or holds a NUL byte, so both are refused here first.
pub(crate) fn ffmpeg_path(path: &Path) -> Result<&str, String> {
    match path.to_str() {
        Some(s) if !s.is_empty() && !s.contains('\0') => Ok(s),
        _ => Err(format!(
            "{}: FFmpeg needs a UTF-8 path without NUL bytes",
            path.display()
        )),
    }
}

/// Whether `frame` has pixel memory: `frame::Video::new` ignores a failed
/// allocation and leaves the data pointer null, and `data()` on such a frame
/// would build a slice from it.
pub(crate) fn has_buffer(frame: &frame::Video) -> bool {
    // SAFETY: `is_empty` only reads the frame's first data pointer; the
    // frame is a valid, owned AVFrame.
    unsafe { !frame.is_empty() }
}


/// True for the two "nothing more for now" answers of FFmpeg's send/receive
/// API: EAGAIN (it needs more input) and EOF (it is fully flushed).
pub(crate) fn is_drained(e: &ffmpeg::Error) -> bool {
    matches!(e, ffmpeg::Error::Other { errno: ffmpeg::error::EAGAIN } | ffmpeg::Error::Eof)
}
