//! Reading still images and expanding folders into image lists, with errors
//! that name the file and say what is wrong with it.

use std::path::{Path, PathBuf};

use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image as FirImage, images::ImageRef};
use image::RgbImage;
use thiserror::Error;

/// Extensions treated as images when a folder is expanded.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png"];

#[derive(Debug, Error)]
pub enum ImageInputError {
    #[error("{path}: no such file or folder")]
    Missing { path: PathBuf },
    #[error("{path}: cannot be read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not an image liyi can read (JPEG or PNG): {message}")]
    NotAnImage { path: PathBuf, message: String },
    #[error("{path}: the image is damaged or truncated and cannot be decoded: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("{path}: folder holds no .jpg, .jpeg or .png files")]
    EmptyFolder { path: PathBuf },
}

/// Expands the command line's files and folders into image files. Folders
/// contribute their images (not recursive), sorted by name.
pub fn expand_inputs(args: &[PathBuf]) -> Result<Vec<PathBuf>, ImageInputError> {
    let mut out = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(arg)
                .map_err(|source| ImageInputError::Io { path: arg.clone(), source })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_image_name(p))
                .collect();
            if found.is_empty() {
                return Err(ImageInputError::EmptyFolder { path: arg.clone() });
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(arg.clone());
        }
    }
    Ok(out)
}

fn is_image_name(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Decodes an image file to 8-bit RGB.
pub fn load_rgb(path: &Path) -> Result<RgbImage, ImageInputError> {
    let bytes = std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ImageInputError::Missing { path: path.to_path_buf() },
        _ => ImageInputError::Io { path: path.to_path_buf(), source },
    })?;
    decode_rgb(&bytes, path)
}

/// Decodes image bytes; `path` only names them in errors.
pub fn decode_rgb(bytes: &[u8], path: &Path) -> Result<RgbImage, ImageInputError> {
    let format =
        image::guess_format(bytes).map_err(|e| ImageInputError::NotAnImage { path: path.to_path_buf(), message: e.to_string() })?;
    // The JPEG decoder fills a truncated file's missing rows with grey
    // rather than failing, which would feed the models half a picture.
    if format == image::ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(ImageInputError::Corrupt {
            path: path.to_path_buf(),
            message: "the JPEG data ends before its end-of-image marker".into(),
        });
    }
    let img = image::load_from_memory_with_format(bytes, format).map_err(|e| match e {
        image::ImageError::Unsupported(u) => ImageInputError::NotAnImage { path: path.to_path_buf(), message: u.to_string() },
        other => ImageInputError::Corrupt { path: path.to_path_buf(), message: other.to_string() },
    })?;
    Ok(img.into_rgb8())
}

/// True when an end-of-image marker (FF D9) follows the last start-of-scan
/// (FF DA). Inside entropy-coded data an FF byte is always followed by 00 or
/// a restart marker, so a truncated scan never contains FF D9.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_sos = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    match last_sos {
        Some(i) => bytes[i..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    }
}

/// The size a frame is scaled to: longer side at most `max_side`, even
/// dimensions (what scalers and encoders like).
pub fn analysis_size(w: u32, h: u32, max_side: u32) -> (u32, u32) {
    let long = w.max(h).max(1);
    let s = (max_side as f64 / long as f64).min(1.0);
    let even = |v: u32| ((v as f64 * s).round() as u32 / 2 * 2).max(2);
    (even(w), even(h))
}

/// Resizes an RGB image with the antialiased bilinear filter (the same filter
/// as Pillow's `BILINEAR`).
pub fn resize_rgb(src: &RgbImage, width: u32, height: u32) -> RgbImage {
    let width = width.max(1);
    let height = height.max(1);
    if src.width() == width && src.height() == height {
        return src.clone();
    }
    if src.width() == 0 || src.height() == 0 {
        return RgbImage::new(width, height);
    }
    // Both buffers are sized from their dimensions and u8 needs no alignment,
    // so neither constructor nor the resize itself can fail here.
    let src_view = ImageRef::new(src.width(), src.height(), src.as_raw(), PixelType::U8x3).expect("RgbImage buffer matches its dimensions");
    let mut dst = FirImage::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize(&src_view, &mut dst, &options).expect("source and destination are both U8x3");
    RgbImage::from_raw(width, height, dst.into_vec()).expect("resized buffer matches its dimensions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.jpg");
        assert!(matches!(load_rgb(&missing), Err(ImageInputError::Missing { .. })));

        let text = dir.path().join("notes.jpg");
        std::fs::write(&text, "hello, not an image").unwrap();
        let err = load_rgb(&text).unwrap_err();
        assert!(matches!(err, ImageInputError::NotAnImage { .. }), "{err}");
        assert!(err.to_string().contains("notes.jpg"));
    }

    #[test]
    fn truncated_png_is_corrupt() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/astronaut.png")).unwrap();
        assert!(decode_rgb(&bytes, Path::new("whole.png")).is_ok());
        let err = decode_rgb(&bytes[..bytes.len() / 2], Path::new("half.png")).unwrap_err();
        assert!(matches!(err, ImageInputError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn truncated_jpeg_is_corrupt() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/street-walk/frame-014.jpg")).unwrap();
        assert!(decode_rgb(&bytes, Path::new("whole.jpg")).is_ok());
        for cut in [bytes.len() / 2, bytes.len() - 2] {
            let err = decode_rgb(&bytes[..cut], Path::new("cut.jpg")).unwrap_err();
            assert!(matches!(err, ImageInputError::Corrupt { .. }), "{err}");
        }
    }

    #[test]
    fn folders_expand_to_sorted_images() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["b.png", "a.JPG", "c.txt"] {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        let list = expand_inputs(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = list.iter().map(|p| p.file_name().unwrap().to_str().unwrap().to_string()).collect();
        assert_eq!(names, ["a.JPG", "b.png"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(expand_inputs(&[empty.path().to_path_buf()]), Err(ImageInputError::EmptyFolder { .. })));
    }
}
