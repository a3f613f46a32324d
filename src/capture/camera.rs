//! USB / V4L2 cameras (`camera:N`, `/dev/videoN`) through nokhwa.
//!
//! Deliberately thin: nokhwa opens the device and hands over raw buffers
//! (MJPEG or YUYV); the rate gate drops what is not analysed *before* the
//! buffer is decoded, and the rest is decoded to RGB and scaled to the
//! analysis size. Everything around it (rate gate, scaling, the agent's
//! reconnect loop) is shared with the other sources and tested there; no
//! camera exists on the build machines.

use std::time::Instant;

use chrono::Local;
use nokhwa::Camera;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution};

use super::{CaptureError, CaptureOptions, Frame, RateGate, Source, analysis_size};
use crate::imageio::resize_rgb;

/// What is asked of the camera: the closest it offers to 1280x720 MJPEG at
/// 15 fps, a mode almost every USB camera has and that needs little USB
/// bandwidth.
const WANTED: (u32, u32, u32) = (1280, 720, 15);

pub struct CameraSource {
    name: String,
    camera: Camera,
    gate: RateGate,
    options: CaptureOptions,
    opened: Instant,
    index: u64,
    dropped: u64,
    size: Option<(u32, u32)>,
}

// SAFETY: the camera is opened, read and dropped by the one capture thread
// that owns the source; the trait asks for `Send` only so that the boxed
// source can be created on that thread's behalf.
unsafe impl Send for CameraSource {}

impl CameraSource {
    pub fn open(index: u32, options: CaptureOptions) -> Result<CameraSource, CaptureError> {
        let name = format!("camera:{index}");
        let open_err = |message: String, fix: &str| CaptureError::Open { source_name: name.clone(), message, fix: fix.into() };
        #[cfg(target_os = "linux")]
        if !std::path::Path::new(&format!("/dev/video{index}")).exists() {
            return Err(open_err(
                format!("/dev/video{index} does not exist"),
                "plug the camera in and check `ls /dev/video*`; the service user needs to be in the `video` group",
            ));
        }
        let (w, h, fps) = WANTED;
        let requested = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(CameraFormat::new(
            Resolution::new(w, h),
            FrameFormat::MJPEG,
            fps,
        )));
        let mut camera = Camera::new(CameraIndex::Index(index), requested)
            .map_err(|e| open_err(e.to_string(), "check that no other program holds the camera and that it offers MJPEG or YUYV"))?;
        camera.open_stream().map_err(|e| open_err(e.to_string(), "check that no other program holds the camera"))?;
        Ok(CameraSource {
            name,
            camera,
            gate: RateGate::new(options.fps),
            options,
            opened: Instant::now(),
            index: 0,
            dropped: 0,
            size: None,
        })
    }
}

impl Source for CameraSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        loop {
            let buffer =
                self.camera.frame().map_err(|e| CaptureError::Decode { source_name: self.name.clone(), message: e.to_string() })?;
            let res = buffer.resolution();
            self.size = Some((res.width(), res.height()));
            if !self.gate.keep(self.opened.elapsed().as_secs_f64()) {
                self.dropped += 1;
                continue;
            }
            let ts = Local::now().fixed_offset();
            let decoded = buffer
                .decode_image::<RgbFormat>()
                .map_err(|e| CaptureError::Decode { source_name: self.name.clone(), message: e.to_string() })?;
            let (dw, dh) = decoded.dimensions();
            let rgb = image::RgbImage::from_raw(dw, dh, decoded.into_raw())
                .ok_or_else(|| CaptureError::Decode { source_name: self.name.clone(), message: "short frame".into() })?;
            let (aw, ah) = analysis_size(dw, dh, self.options.max_side);
            let image = if (aw, ah) == (dw, dh) { rgb } else { resize_rgb(&rgb, aw, ah) };
            self.index += 1;
            return Ok(Some(Frame { ts, index: self.index - 1, image }));
        }
    }

    fn dropped(&self) -> u64 {
        self.dropped
    }

    fn native_size(&self) -> Option<(u32, u32)> {
        self.size
    }
}
