//! Image and video signatures inside bytes that should hold none: raw, in
//! base64 runs or `data:` URIs. Pure; used by the hub's upload check and by
//! `liyi privacy-audit`.

/// The first image or video signature in `bytes`: pure.
pub fn embedded_media(bytes: &[u8]) -> Option<(&'static str, usize)> {
    embedded_media_except(bytes, None)
}

/// The first image or video signature in `bytes` other than one at
/// `legit` (the image or container the file itself is): JPEG, PNG, GIF,
/// WebP, BMP (with a plausible header) and MP4.
pub fn embedded_media_except(bytes: &[u8], legit: Option<usize>) -> Option<(&'static str, usize)> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    (0..bytes.len()).filter(|i| Some(*i) != legit).find_map(|i| {
        let rest = &bytes[i..];
        let format = if jpeg_at(rest) {
            "JPEG"
        } else if rest.starts_with(PNG) {
            "PNG"
        } else if rest.starts_with(b"GIF87a") || rest.starts_with(b"GIF89a") {
            "GIF"
        } else if rest.len() >= 12 && &rest[..4] == b"RIFF" && &rest[8..12] == b"WEBP" {
            "WebP"
        } else if bmp_at(rest) {
            "BMP"
        } else if rest.len() >= 12
            && &rest[4..8] == b"ftyp"
            && rest[8..12].iter().all(|b| b.is_ascii_alphanumeric() || *b == b' ')
            && matches!(u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]), n @ 16..=1024 if n % 4 == 0)
        {
            // MP4/MOV: a plausible box size (16 bytes and 4 per compatible
            // brand), then `ftyp` and a printable brand.
            "MP4"
        } else {
            return None;
        };
        Some((format, i))
    })
}

/// A JPEG: start of image, then a marker that opens real files (APPn,
/// quantisation or Huffman table, start of frame, comment) whose segment is
/// followed by another marker.
fn jpeg_at(rest: &[u8]) -> bool {
    if rest.len() < 8 || rest[..3] != [0xFF, 0xD8, 0xFF] || !matches!(rest[3], 0xE0..=0xEF | 0xDB | 0xC4 | 0xC0 | 0xC2 | 0xFE) {
        return false;
    }
    let len = usize::from(u16::from_be_bytes([rest[4], rest[5]]));
    len >= 2 && rest.get(4 + len) == Some(&0xFF) && rest.get(5 + len).is_some_and(|m| *m != 0 && *m != 0xFF)
}

/// A BMP: `BM`, a file size, zero reserved bytes, a pixel offset inside the
/// file, a known DIB header size, one plane and a usual bit depth.
fn bmp_at(rest: &[u8]) -> bool {
    if rest.len() < 30 || &rest[..2] != b"BM" {
        return false;
    }
    let u32_at = |i: usize| u32::from_le_bytes([rest[i], rest[i + 1], rest[i + 2], rest[i + 3]]);
    let (size, reserved, offset, dib) = (u32_at(2), u32_at(6), u32_at(10), u32_at(14));
    let (planes, bpp) = if dib == 12 {
        (u16::from_le_bytes([rest[22], rest[23]]), u16::from_le_bytes([rest[24], rest[25]]))
    } else {
        (u16::from_le_bytes([rest[26], rest[27]]), u16::from_le_bytes([rest[28], rest[29]]))
    };
    reserved == 0
        && size >= 30
        && (26..size).contains(&offset)
        && matches!(dib, 12 | 40 | 52 | 56 | 64 | 108 | 124)
        && planes == 1
        && matches!(bpp, 1 | 2 | 4 | 8 | 16 | 24 | 32)
}

/// Runs of base64 at least this long are decoded and searched.
const BASE64_RUN: usize = 64;

/// Image data hidden as text: a `data:` URI, or a run of base64 (standard
/// or URL-safe, at any alignment) that decodes to an image signature.
pub fn encoded_media(bytes: &[u8]) -> Option<(&'static str, usize)> {
    use base64::Engine;
    let lower = |b: &u8| b.to_ascii_lowercase();
    if let Some(i) = bytes.windows(5).position(|w| w.iter().map(lower).eq(b"data:".iter().copied())) {
        let after: Vec<u8> = bytes[i + 5..].iter().take(64).map(lower).collect();
        if after.starts_with(b"image/") || after.starts_with(b"video/") || after.windows(7).any(|w| w == b";base64") {
            return Some(("data: URI", i));
        }
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_');
    let mut i = 0;
    while i < bytes.len() {
        if !is_b64(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_b64(bytes[i]) {
            i += 1;
        }
        if i - start < BASE64_RUN {
            continue;
        }
        let run: Vec<u8> = bytes[start..i]
            .iter()
            .map(|&b| match b {
                b'-' => b'+',
                b'_' => b'/',
                b => b,
            })
            .collect();
        for shift in 0..4 {
            let usable = (run.len() - shift) / 4 * 4;
            if let Ok(decoded) = engine.decode(&run[shift..shift + usable])
                && let Some((format, _)) = embedded_media(&decoded)
            {
                return Some((base64_name(format), start + shift));
            }
        }
    }
    None
}

fn base64_name(format: &str) -> &'static str {
    match format {
        "JPEG" => "base64 JPEG",
        "PNG" => "base64 PNG",
        "GIF" => "base64 GIF",
        "WebP" => "base64 WebP",
        "BMP" => "base64 BMP",
        _ => "base64 MP4",
    }
}
