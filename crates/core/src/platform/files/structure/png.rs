//! A PNG (ISO/IEC 15948): the signature, `IHDR` first with a sane size
//! and a valid colour type and bit depth, then every chunk walked with its
//! CRC checked, at least one `IDAT` (behind a `PLTE` for a palette image)
//! and `IEND` last. After `IEND` only zero bytes are allowed: some tools
//! pad a file, but anything else there is a second file riding along.
//! The image data is not inflated; its zlib header is checked.

use std::io::{Read, Seek};

use super::{Malformed, Source};

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// The largest chunk length the format allows (2^31 − 1).
const MAX_CHUNK: u32 = 0x7FFF_FFFF;

pub(super) fn check<R: Read + Seek>(src: &mut Source<'_, R>) -> Result<(), Malformed> {
    let mut s = src.stream(0)?;
    let mut sig = [0u8; 8];
    s.exact(&mut sig, "png.signature")?;
    if &sig != SIGNATURE {
        return Err(s.bad("png.signature"));
    }
    let mut colour = None;
    let mut palette = false;
    let mut idats = 0u64;
    loop {
        let mut head = [0u8; 8];
        // A file that ends between chunks never reached IEND.
        s.exact(&mut head, "png.iend")?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = [head[4], head[5], head[6], head[7]];
        if len > MAX_CHUNK || u64::from(len) + 4 > s.left() {
            return Err(s.bad("png.chunk_length"));
        }
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(s.bad("png.chunk_type"));
        }
        if colour.is_none() && &kind != b"IHDR" {
            return Err(s.bad("png.ihdr"));
        }
        // The first 13 bytes are all any check below looks at (IHDR's
        // fields, the zlib header of the first IDAT).
        let mut first = [0u8; 13];
        let mut kept = 0usize;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&kind);
        s.pass(u64::from(len), "png.chunk_length", |piece| {
            crc.update(piece);
            let k = piece.len().min(first.len() - kept);
            first[kept..kept + k].copy_from_slice(&piece[..k]);
            kept += k;
        })?;
        let mut stored = [0u8; 4];
        s.exact(&mut stored, "png.crc")?;
        if crc.finalize() != u32::from_be_bytes(stored) {
            return Err(s.bad("png.crc"));
        }
        match &kind {
            b"IHDR" => {
                if colour.is_some() || len != 13 {
                    return Err(s.bad("png.ihdr"));
                }
                colour = Some(header(&first).ok_or_else(|| s.bad("png.ihdr"))?);
            }
            b"PLTE" => {
                if idats > 0 || len == 0 || len % 3 != 0 || len > 256 * 3 {
                    return Err(s.bad("png.plte"));
                }
                palette = true;
            }
            b"IDAT" => {
                if colour == Some(3) && !palette {
                    return Err(s.bad("png.plte"));
                }
                // The image data is one zlib stream: its header is in the
                // first IDAT (a deflate stream, window ≤ 32 KiB, check
                // bits right).
                if idats == 0 {
                    let ok = kept >= 2
                        && first[0] & 0x0F == 8
                        && first[0] >> 4 <= 7
                        && (u16::from(first[0]) << 8 | u16::from(first[1])) % 31 == 0;
                    if !ok {
                        return Err(s.bad("png.zlib"));
                    }
                }
                idats += 1;
            }
            b"IEND" => {
                if len != 0 {
                    return Err(s.bad("png.iend"));
                }
                if idats == 0 {
                    return Err(s.bad("png.idat"));
                }
                let mut rest_is_zero = true;
                let left = s.left();
                s.pass(left, "png.after_iend", |piece| {
                    rest_is_zero &= piece.iter().all(|b| *b == 0);
                })?;
                return if rest_is_zero {
                    Ok(())
                } else {
                    Err(s.bad("png.after_iend"))
                };
            }
            // A critical chunk (upper-case first letter) a decoder does
            // not know stops it: the image cannot be shown.
            _ if kind[0].is_ascii_uppercase() => return Err(s.bad("png.critical_chunk")),
            _ => {}
        }
    }
}

/// The colour type of a sane `IHDR` (size above zero and within the
/// format, a colour type with one of its bit depths, the one compression
/// and filter method, no or Adam7 interlace).
fn header(b: &[u8; 13]) -> Option<u8> {
    let width = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let height = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
    let (depth, colour) = (b[8], b[9]);
    let depth_ok = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    let ok = (1..=MAX_CHUNK).contains(&width)
        && (1..=MAX_CHUNK).contains(&height)
        && depth_ok
        && b[10] == 0
        && b[11] == 0
        && b[12] <= 1;
    ok.then_some(colour)
}
