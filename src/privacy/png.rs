//! PNG files chunk by chunk: the hub's thumbnail check and the audit read
//! the chunks in sequence (length, type, data, CRC), never by searching for
//! bytes, so a chunk cannot hide inside another one's data.

/// The PNG file signature.
pub const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Largest thumbnail side the hub accepts, in pixels (checked in `IHDR`,
/// before anything is decoded).
pub const MAX_THUMB_SIDE: u32 = 4096;

/// One chunk: its type and where its data lies in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub kind: [u8; 4],
    /// Offset of the chunk's length field.
    pub offset: usize,
    pub data: std::ops::Range<usize>,
}

impl Chunk {
    pub fn name(&self) -> String {
        self.kind.iter().map(|&b| if b.is_ascii_graphic() { b as char } else { '?' }).collect()
    }
}

/// The chunks of a PNG file up to and including `IEND`, and where `IEND`
/// ends (anything after it is trailing data).
#[derive(Debug)]
pub struct Layout {
    pub chunks: Vec<Chunk>,
    pub end: usize,
}

/// Walks the chunks in sequence. Any framing error (no signature, a chunk
/// past the end of the file, a bad CRC, no `IEND`) is an `Err` that names
/// the byte offset.
pub fn layout(bytes: &[u8]) -> Result<Layout, String> {
    if !bytes.starts_with(SIGNATURE) {
        return Err("not a PNG file (no PNG signature at byte 0)".into());
    }
    let mut at = SIGNATURE.len();
    let mut chunks = Vec::new();
    loop {
        let Some(head) = bytes.get(at..at + 8) else {
            return Err(format!("the file ends at byte {} before the IEND chunk", bytes.len()));
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = [head[4], head[5], head[6], head[7]];
        if len > 0x7FFF_FFFF || !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(format!("byte {at}: not a valid chunk header"));
        }
        let data = at + 8..at + 8 + len;
        let Some(crc) = bytes.get(data.end..data.end + 4) else {
            return Err(format!("chunk {} at byte {at} runs past the end of the file", String::from_utf8_lossy(&kind)));
        };
        let want = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
        let mut h = crc32fast::Hasher::new();
        h.update(&kind);
        h.update(&bytes[data.clone()]);
        if h.finalize() != want {
            return Err(format!("chunk {} at byte {at}: bad CRC", String::from_utf8_lossy(&kind)));
        }
        let end = data.end + 4;
        chunks.push(Chunk { kind, offset: at, data });
        if &kind == b"IEND" {
            return Ok(Layout { chunks, end });
        }
        at = end;
    }
}

/// The chunks a plain thumbnail may hold beyond `IHDR`, `IDAT` and `IEND`,
/// with their exact data length where it is fixed (`None`: bounded below).
const ANCILLARY: [(&[u8; 4], Option<usize>); 6] =
    [(b"PLTE", None), (b"tRNS", None), (b"gAMA", Some(4)), (b"cHRM", Some(32)), (b"sRGB", Some(1)), (b"pHYs", Some(9))];

/// Checks that `bytes` is one plain, single-frame PNG of at most
/// `max_side` pixels a side: `IHDR` first, then only `PLTE`, `tRNS`,
/// `gAMA`, `cHRM`, `sRGB` and `pHYs`, then consecutive `IDAT` chunks, then
/// `IEND` and nothing after it. Animation chunks (`acTL`, `fcTL`, `fdAT`),
/// text (`tEXt`, `zTXt`, `iTXt`), profiles, EXIF and every other chunk are
/// refused. Returns the width and height from `IHDR`.
pub fn check_plain(bytes: &[u8], max_side: u32) -> Result<(u32, u32), String> {
    let layout = layout(bytes)?;
    if layout.end != bytes.len() {
        return Err(format!(
            "{} byte(s) of trailing data after the IEND chunk (byte {}); send the PNG alone",
            bytes.len() - layout.end,
            layout.end
        ));
    }
    let first = &layout.chunks[0];
    if &first.kind != b"IHDR" || first.data.len() != 13 {
        return Err("the first chunk must be a 13-byte IHDR".into());
    }
    let ihdr = &bytes[first.data.clone()];
    let w = u32::from_be_bytes([ihdr[0], ihdr[1], ihdr[2], ihdr[3]]);
    let h = u32::from_be_bytes([ihdr[4], ihdr[5], ihdr[6], ihdr[7]]);
    if w == 0 || h == 0 || w > max_side || h > max_side {
        return Err(format!("IHDR: {w}x{h} pixels; a thumbnail is 1 to {max_side} pixels a side"));
    }
    let mut seen_idat = false;
    let mut idat_done = false;
    for c in &layout.chunks[1..] {
        let at = c.offset;
        match &c.kind {
            b"IDAT" if idat_done => return Err(format!("IDAT at byte {at}: the image data must be consecutive chunks")),
            b"IDAT" => seen_idat = true,
            b"IEND" if !c.data.is_empty() => return Err(format!("IEND at byte {at} has data")),
            b"IEND" => {}
            b"acTL" | b"fcTL" | b"fdAT" => {
                return Err(format!("animation chunk {} at byte {at}: a thumbnail is a single-frame PNG", c.name()));
            }
            kind => {
                let Some((_, len)) = ANCILLARY.iter().find(|(k, _)| *k == kind) else {
                    return Err(format!(
                        "chunk {} at byte {at} is not allowed in a thumbnail (only IHDR, PLTE, tRNS, gAMA, cHRM, sRGB, pHYs, IDAT, IEND)",
                        c.name()
                    ));
                };
                if seen_idat {
                    return Err(format!("chunk {} at byte {at} comes after the image data", c.name()));
                }
                if len.is_some_and(|n| n != c.data.len()) || c.data.len() > 768 {
                    return Err(format!("chunk {} at byte {at} has {} bytes of data", c.name(), c.data.len()));
                }
            }
        }
        if seen_idat && &c.kind != b"IDAT" {
            idat_done = true;
        }
    }
    if !seen_idat {
        return Err("no IDAT chunk: the PNG has no image data".into());
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut h = crc32fast::Hasher::new();
        h.update(kind);
        h.update(data);
        out.extend_from_slice(&h.finalize().to_be_bytes());
        out
    }

    fn plain() -> Vec<u8> {
        let mut out = Vec::new();
        image::RgbImage::new(4, 3).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    /// `plain()` with `extra` inserted before its first IDAT.
    fn with_before_idat(extra: &[u8]) -> Vec<u8> {
        let p = plain();
        let l = layout(&p).unwrap();
        let idat = l.chunks.iter().find(|c| &c.kind == b"IDAT").unwrap().offset;
        [&p[..idat], extra, &p[idat..]].concat()
    }

    #[test]
    fn a_plain_png_passes() {
        assert_eq!(check_plain(&plain(), MAX_THUMB_SIDE), Ok((4, 3)));
        assert!(check_plain(&with_before_idat(&chunk(b"gAMA", &[0, 0, 177, 143])), MAX_THUMB_SIDE).is_ok());
    }

    #[test]
    fn extra_chunks_trailing_data_and_big_sizes_are_refused() {
        let e = check_plain(&with_before_idat(&chunk(b"acTL", &[0, 0, 0, 2, 0, 0, 0, 0])), 4096).unwrap_err();
        assert!(e.contains("animation chunk acTL"), "{e}");
        let e = check_plain(&with_before_idat(&chunk(b"tEXt", b"Comment\0/9j/4AAQ")), 4096).unwrap_err();
        assert!(e.contains("chunk tEXt") && e.contains("not allowed"), "{e}");
        let mut p = plain();
        p.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
        let e = check_plain(&p, 4096).unwrap_err();
        assert!(e.contains("4 byte(s) of trailing data"), "{e}");
        assert!(check_plain(&plain(), 3).unwrap_err().contains("4x3 pixels"));
        // A bad CRC, a truncated file and junk are framing errors, not panics.
        let mut bad = plain();
        let n = bad.len();
        bad[n - 20] ^= 1;
        assert!(check_plain(&bad, 4096).is_err());
        assert!(check_plain(&plain()[..30], 4096).is_err());
        for junk in [&b""[..], b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIDAT"] {
            assert!(check_plain(junk, 4096).is_err());
        }
    }
}
