//! FFmpeg's initialisation and the small safety helpers every FFmpeg user
//! in Liyi shares: decoding (`capture`, `frames` for the audit and the hub's
//! upload check) and encoding (`privacy::mp4`).

pub mod frames;

use std::path::Path;
use std::sync::Once;

use ffmpeg::frame;
use ffmpeg_next as ffmpeg;

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
        _ => Err(format!("{}: FFmpeg needs a UTF-8 path without NUL bytes", path.display())),
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

/// An MP4/MOV file held in memory, opened by FFmpeg through a custom I/O
/// context over the bytes: the `mov` demuxer is forced (nothing is probed,
/// so a Matroska, AVI or image file named `.mp4` is not read as such), and
/// no protocol may be opened (no file, no URL, no external reference).
pub(crate) struct MemInput {
    input: Option<ffmpeg::format::context::Input>,
    avio: *mut ffmpeg::ffi::AVIOContext,
    cursor: *mut std::io::Cursor<Vec<u8>>,
}

// SAFETY: the AVFormatContext, its AVIOContext and the cursor are owned by
// this value alone and used through `&mut self` only.
unsafe impl Send for MemInput {}

unsafe extern "C" fn mem_read(opaque: *mut libc::c_void, buf: *mut u8, size: libc::c_int) -> libc::c_int {
    // SAFETY: `opaque` is the cursor MemInput owns.
    let cursor = unsafe { &mut *(opaque as *mut std::io::Cursor<Vec<u8>>) };
    // SAFETY: FFmpeg hands a writable buffer of `size` bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(buf, size.max(0) as usize) };
    match std::io::Read::read(cursor, out) {
        Ok(0) | Err(_) => ffmpeg::ffi::AVERROR_EOF,
        Ok(n) => n as libc::c_int,
    }
}

unsafe extern "C" fn mem_seek(opaque: *mut libc::c_void, offset: i64, whence: libc::c_int) -> i64 {
    // SAFETY: as in `mem_read`.
    let cursor = unsafe { &mut *(opaque as *mut std::io::Cursor<Vec<u8>>) };
    let len = cursor.get_ref().len() as i64;
    if whence & ffmpeg::ffi::AVSEEK_SIZE != 0 {
        return len;
    }
    let base = match whence & !ffmpeg::ffi::AVSEEK_FORCE {
        libc::SEEK_SET => 0,
        libc::SEEK_CUR => cursor.position() as i64,
        libc::SEEK_END => len,
        _ => return -i64::from(libc::EINVAL),
    };
    match base.checked_add(offset) {
        Some(p) if (0..=len).contains(&p) => {
            cursor.set_position(p as u64);
            p
        }
        _ => -i64::from(libc::EINVAL),
    }
}

impl MemInput {
    /// Opens `bytes` with the `mov` demuxer and reads its stream info.
    pub(crate) fn open_mp4(bytes: Vec<u8>) -> Result<MemInput, String> {
        use ffmpeg::ffi;
        init();
        const BUF: usize = 64 * 1024;
        let cursor = Box::into_raw(Box::new(std::io::Cursor::new(bytes)));
        // SAFETY: plain FFmpeg allocation calls; every pointer is checked
        // before use and owned by `me`, whose Drop frees them in order.
        unsafe {
            let mut me = MemInput { input: None, avio: std::ptr::null_mut(), cursor };
            let buf = ffi::av_malloc(BUF) as *mut u8;
            if buf.is_null() {
                return Err("out of memory".into());
            }
            me.avio = ffi::avio_alloc_context(buf, BUF as libc::c_int, 0, cursor.cast(), Some(mem_read), None, Some(mem_seek));
            if me.avio.is_null() {
                ffi::av_free(buf.cast());
                return Err("out of memory".into());
            }
            let mut ctx = ffi::avformat_alloc_context();
            if ctx.is_null() {
                return Err("out of memory".into());
            }
            (*ctx).pb = me.avio;
            (*ctx).flags |= ffi::AVFMT_FLAG_CUSTOM_IO;
            let format = ffi::av_find_input_format(c"mov".as_ptr());
            if format.is_null() {
                ffi::avformat_free_context(ctx);
                return Err("this FFmpeg has no MP4 demuxer".into());
            }
            let mut options = ffmpeg::Dictionary::new();
            options.set("protocol_whitelist", "none");
            options.set("format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2");
            options.set("enable_drefs", "0");
            let mut opts = options.disown();
            // On failure FFmpeg frees `ctx` (not our custom I/O context).
            let res = ffi::avformat_open_input(&mut ctx, std::ptr::null(), format, &mut opts);
            drop(ffmpeg::Dictionary::own(opts));
            if res < 0 {
                return Err(format!("not an MP4 file FFmpeg can read: {}", ffmpeg::Error::from(res)));
            }
            let input = ffmpeg::format::context::Input::wrap(ctx);
            let res = ffi::avformat_find_stream_info(ctx, std::ptr::null_mut());
            me.input = Some(input);
            if res < 0 {
                return Err(format!("cannot read the MP4's streams: {}", ffmpeg::Error::from(res)));
            }
            Ok(me)
        }
    }

    pub(crate) fn input(&mut self) -> &mut ffmpeg::format::context::Input {
        self.input.as_mut().expect("set in open_mp4")
    }
}

impl Drop for MemInput {
    fn drop(&mut self) {
        // The format context first: with AVFMT_FLAG_CUSTOM_IO it leaves the
        // I/O context to us.
        drop(self.input.take());
        // SAFETY: pointers made in `open_mp4`, freed once here.
        unsafe {
            if !self.avio.is_null() {
                ffmpeg::ffi::av_freep(std::ptr::addr_of_mut!((*self.avio).buffer).cast());
                ffmpeg::ffi::avio_context_free(&mut self.avio);
            }
            drop(Box::from_raw(self.cursor));
        }
    }
}
