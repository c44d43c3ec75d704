//! A JPEG (ITU-T T.81, JFIF or Exif): `SOI`, then marker segments each
//! within the file, one frame header (`SOF0`–`SOF15` but `DHT`, `JPG`,
//! `DAC`) with a size above zero, and at least one scan (`SOS` naming the
//! frame's components) whose entropy-coded data runs to the next marker;
//! a progressive image has several, with tables between them. It ends at
//! `EOI`. Whatever follows `EOI` is left alone: cameras append preview
//! images and maker data there, and every reader stops at `EOI`.

use std::io::{Read, Seek};

use super::{Malformed, Source, Stream};

pub(super) fn check<R: Read + Seek>(src: &mut Source<'_, R>) -> Result<(), Malformed> {
    let mut s = src.stream(0)?;
    let mut soi = [0u8; 2];
    s.exact(&mut soi, "jpeg.soi")?;
    if soi != [0xFF, 0xD8] {
        return Err(s.bad("jpeg.soi"));
    }
    // The frame's component identifiers, once its header is read.
    let mut components: Option<Vec<u8>> = None;
    let mut scans = 0u32;
    // The marker that ended a scan's entropy-coded data, already read.
    let mut after_scan = None;
    loop {
        let marker = match after_scan.take() {
            Some(m) => m,
            None => next_marker(&mut s)?,
        };
        match marker {
            0xD9 => {
                return match (&components, scans) {
                    (None, _) => Err(s.bad("jpeg.frame")),
                    (Some(_), 0) => Err(s.bad("jpeg.scan")),
                    _ => Ok(()),
                };
            }
            // A restart marker outside entropy-coded data, or a second SOI.
            0xD0..=0xD8 => return Err(s.bad("jpeg.marker")),
            // TEM stands alone, with no length.
            0x01 => {}
            _ => {
                let mut len = [0u8; 2];
                s.exact(&mut len, "jpeg.segment")?;
                let len = u16::from_be_bytes(len);
                if len < 2 || u64::from(len - 2) > s.left() {
                    return Err(s.bad("jpeg.segment"));
                }
                let body = usize::from(len - 2);
                match marker {
                    0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                        if components.is_some() {
                            return Err(s.bad("jpeg.frame"));
                        }
                        let mut b = vec![0u8; body];
                        s.exact(&mut b, "jpeg.frame")?;
                        components = Some(frame(&b).ok_or_else(|| s.bad("jpeg.frame"))?);
                    }
                    0xDA => {
                        let Some(ids) = &components else {
                            return Err(s.bad("jpeg.scan"));
                        };
                        let mut b = vec![0u8; body];
                        s.exact(&mut b, "jpeg.scan")?;
                        if !scan(&b, ids) {
                            return Err(s.bad("jpeg.scan"));
                        }
                        after_scan = Some(entropy_coded(&mut s)?);
                        scans += 1;
                    }
                    _ => s.pass(u64::from(len - 2), "jpeg.segment", |_| {})?,
                }
            }
        }
    }
}

/// The code of the marker at the reader: `FF`, any number of fill bytes
/// `FF`, then the code.
fn next_marker<R: Read + Seek>(s: &mut Stream<'_, R>) -> Result<u8, Malformed> {
    if s.byte()? != Some(0xFF) {
        return Err(s.bad("jpeg.marker"));
    }
    loop {
        match s.byte()? {
            Some(0xFF) => {}
            Some(0x00) | None => return Err(s.bad("jpeg.marker")),
            Some(code) => return Ok(code),
        }
    }
}

/// Skips entropy-coded data up to the next marker that is not a restart
/// (`FF` then `00` is a stuffed byte, `FF D0`–`FF D7` a restart, `FF FF`
/// fill before a marker) and returns that marker's code.
fn entropy_coded<R: Read + Seek>(s: &mut Stream<'_, R>) -> Result<u8, Malformed> {
    loop {
        // Most of a file is here: skip to the next FF a buffer at a time.
        s.skip_to(0xFF)?;
        match s.byte()? {
            None => return Err(s.bad("jpeg.eoi")),
            Some(0xFF) => loop {
                match s.peek()? {
                    None => return Err(s.bad("jpeg.eoi")),
                    Some(0xFF) => {
                        // Fill: the last FF before the code is the marker's.
                        s.byte()?;
                    }
                    Some(0x00 | 0xD0..=0xD7) => {
                        s.byte()?;
                        break;
                    }
                    Some(code) => {
                        s.byte()?;
                        return Ok(code);
                    }
                }
            },
            Some(_) => {}
        }
    }
}

/// The component identifiers of a frame header (`P Y X Nf`, then `Nf`
/// three-byte component specifications), if it is sound: precision 2 to
/// 16 bits, a height and width above zero (a height given later by `DNL`
/// is not supported by common decoders), at least one component.
fn frame(b: &[u8]) -> Option<Vec<u8>> {
    let (&precision, rest) = b.split_first()?;
    let height = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]);
    let width = u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]);
    let n = usize::from(*rest.get(4)?);
    let specs = rest.get(5..)?;
    let ok = (2..=16).contains(&precision)
        && height > 0
        && width > 0
        && n > 0
        && specs.len() == 3 * n
        && specs.chunks(3).all(|c| c[1] >> 4 >= 1 && c[1] & 0x0F >= 1);
    ok.then(|| specs.chunks(3).map(|c| c[0]).collect())
}

/// Whether a scan header (`Ns`, then `Ns` two-byte selectors, then three
/// bytes of spectral selection and approximation) names 1 to 4 of the
/// frame's components.
fn scan(b: &[u8], frame: &[u8]) -> bool {
    let Some((&n, rest)) = b.split_first() else {
        return false;
    };
    let n = usize::from(n);
    (1..=4).contains(&n)
        && rest.len() == 2 * n + 3
        && rest[..2 * n].chunks(2).all(|c| frame.contains(&c[0]))
}
