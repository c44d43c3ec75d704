//! PNGs and JPEGs built chunk by chunk and marker by marker, and the ways
//! they break.

use std::io::Write;

use super::verdict;

pub(super) fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend(kind);
    out.extend(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend(crc.finalize().to_be_bytes());
    out
}

pub(super) fn zlib(raw: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(raw).unwrap();
    z.finish().unwrap()
}

pub(super) fn ihdr(w: u32, h: u32, depth: u8, colour: u8) -> Vec<u8> {
    let mut d = w.to_be_bytes().to_vec();
    d.extend(h.to_be_bytes());
    d.extend([depth, colour, 0, 0, 0]);
    chunk(b"IHDR", &d)
}

/// A 2×2 grey PNG from its chunks after the signature.
pub(super) fn png_of(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for c in chunks {
        out.extend(c);
    }
    out
}

pub(super) fn valid_png() -> Vec<u8> {
    png_of(&[
        ihdr(2, 2, 8, 0),
        chunk(b"tEXt", b"Comment\0tongban"),
        chunk(b"IDAT", &zlib(&[0, 10, 20, 0, 30, 40])),
        chunk(b"IEND", b""),
    ])
}

#[test]
fn a_png_with_its_chunks_is_accepted() {
    assert_eq!(verdict("png", &valid_png()), "ok");
    // Padding after IEND is no content.
    let mut padded = valid_png();
    padded.extend([0; 100]);
    assert_eq!(verdict("png", &padded), "ok");
}

#[test]
fn the_png_signature_followed_by_zeros_is_no_picture() {
    let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
    fake.extend([0; 64]);
    assert_eq!(verdict("png", &fake), "png.chunk_type");
    assert_eq!(verdict("png", b"\x89PNG\r\n\x1a\n"), "png.iend");
}

#[test]
fn a_png_broken_anywhere_is_refused() {
    let good = valid_png();
    let mut crc = good.clone();
    let n = crc.len();
    crc[n - 20] ^= 1; // inside the IDAT's data
    assert_eq!(verdict("png", &crc), "png.crc");
    assert_eq!(
        verdict("png", &good[..good.len() - 12]),
        "png.iend",
        "no IEND"
    );
    let mut tail = good.clone();
    tail.extend(b"PK\x03\x04 a zip riding along");
    assert_eq!(verdict("png", &tail), "png.after_iend");
    let idat = chunk(b"IDAT", &zlib(&[0, 1, 2, 0, 3, 4]));
    let end = chunk(b"IEND", b"");
    for (chunks, part) in [
        (vec![ihdr(2, 2, 8, 0), end.clone()], "png.idat"),
        (vec![idat.clone(), end.clone()], "png.ihdr"),
        (
            vec![ihdr(0, 2, 8, 0), idat.clone(), end.clone()],
            "png.ihdr",
        ),
        (
            vec![ihdr(2, 2, 3, 2), idat.clone(), end.clone()],
            "png.ihdr",
        ),
        (
            vec![
                ihdr(2, 2, 8, 0),
                ihdr(2, 2, 8, 0),
                idat.clone(),
                end.clone(),
            ],
            "png.ihdr",
        ),
        (
            vec![ihdr(2, 2, 8, 3), idat.clone(), end.clone()],
            "png.plte",
        ),
        (
            vec![ihdr(2, 2, 8, 0), chunk(b"IDAT", b"\0\0\0\0"), end.clone()],
            "png.zlib",
        ),
        (
            vec![
                ihdr(2, 2, 8, 0),
                chunk(b"ABCD", b""),
                idat.clone(),
                end.clone(),
            ],
            "png.critical_chunk",
        ),
        (
            vec![ihdr(2, 2, 8, 0), idat.clone(), chunk(b"IEND", b"x")],
            "png.iend",
        ),
    ] {
        assert_eq!(verdict("png", &png_of(&chunks)), part);
    }
    let mut palette = vec![ihdr(2, 2, 8, 3), chunk(b"PLTE", &[0, 0, 0, 255, 255, 255])];
    palette.extend([idat, end]);
    assert_eq!(verdict("png", &png_of(&palette)), "ok");
    // A length past the end.
    let mut long = good.clone();
    long[8..12].copy_from_slice(&1000u32.to_be_bytes());
    assert_eq!(verdict("png", &long), "png.chunk_length");
}

pub(super) fn seg(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend(((body.len() + 2) as u16).to_be_bytes());
    out.extend(body);
    out
}

/// Entropy-coded bytes with a stuffed `FF 00` and a restart marker.
const SCAN_DATA: &[u8] = &[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0x9A];

pub(super) fn jpeg_parts(sof: u8) -> Vec<Vec<u8>> {
    vec![
        vec![0xFF, 0xD8],
        seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
        seg(0xDB, &[0; 65]),
        seg(sof, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]),
        seg(0xC4, &[0; 17]),
        seg(0xDD, &[0, 4]),
    ]
}

fn scan(ss: u8, se: u8, a: u8) -> Vec<u8> {
    let mut s = seg(0xDA, &[1, 1, 0x00, ss, se, a]);
    s.extend(SCAN_DATA);
    s
}

pub(super) fn baseline_jpeg() -> Vec<u8> {
    let mut parts = jpeg_parts(0xC0);
    parts.extend([scan(0, 63, 0), vec![0xFF, 0xD9]]);
    parts.concat()
}

pub(super) fn progressive_jpeg() -> Vec<u8> {
    let mut parts = jpeg_parts(0xC2);
    parts.extend([
        scan(0, 0, 0x01),
        seg(0xC4, &[0x10; 17]),
        scan(1, 5, 0x02),
        // Fill bytes before the next marker.
        vec![0xFF, 0xFF],
        scan(6, 63, 0x02),
        scan(1, 63, 0x21),
        vec![0xFF, 0xD9],
    ]);
    parts.concat()
}

#[test]
fn baseline_and_progressive_jpegs_are_accepted() {
    assert_eq!(verdict("jpeg", &baseline_jpeg()), "ok");
    assert_eq!(verdict("jpeg", &progressive_jpeg()), "ok");
    // What cameras append after EOI is not read.
    let mut trailer = baseline_jpeg();
    trailer.extend(b"\xFF\xD8 a preview image");
    assert_eq!(verdict("jpeg", &trailer), "ok");
}

#[test]
fn a_jpeg_without_frame_scan_or_end_is_refused() {
    let good = baseline_jpeg();
    assert_eq!(verdict("jpeg", &good[..good.len() - 2]), "jpeg.eoi");
    assert_eq!(verdict("jpeg", b"\xFF\xD8\xFF\xE0"), "jpeg.segment");
    assert_eq!(verdict("jpeg", b"\xFF\xD8\xFF\xD9"), "jpeg.frame");
    let mut zeros = b"\xFF\xD8\xFF".to_vec();
    zeros.extend([0; 64]);
    assert_eq!(verdict("jpeg", &zeros), "jpeg.marker");
    let mut no_scan = jpeg_parts(0xC0);
    no_scan.push(vec![0xFF, 0xD9]);
    assert_eq!(verdict("jpeg", &no_scan.concat()), "jpeg.scan");
    let mut parts = jpeg_parts(0xC0);
    parts.remove(3);
    parts.extend([scan(0, 63, 0), vec![0xFF, 0xD9]]);
    assert_eq!(
        verdict("jpeg", &parts.concat()),
        "jpeg.scan",
        "scan before frame"
    );
    let mut parts = jpeg_parts(0xC0);
    parts[3] = seg(0xC0, &[8, 0, 16, 0, 0, 1, 1, 0x11, 0]);
    parts.extend([scan(0, 63, 0), vec![0xFF, 0xD9]]);
    assert_eq!(verdict("jpeg", &parts.concat()), "jpeg.frame", "no width");
    let mut parts = jpeg_parts(0xC0);
    let mut other = seg(0xDA, &[1, 7, 0x00, 0, 63, 0]);
    other.extend(SCAN_DATA);
    parts.extend([other, vec![0xFF, 0xD9]]);
    assert_eq!(
        verdict("jpeg", &parts.concat()),
        "jpeg.scan",
        "no such component"
    );
    let mut parts = jpeg_parts(0xC0);
    parts.push(seg(0xC2, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
    parts.extend([scan(0, 63, 0), vec![0xFF, 0xD9]]);
    assert_eq!(verdict("jpeg", &parts.concat()), "jpeg.frame", "two frames");
    let mut rst = vec![0xFF, 0xD8, 0xFF, 0xD3];
    rst.extend(&good[2..]);
    assert_eq!(
        verdict("jpeg", &rst),
        "jpeg.marker",
        "a restart outside a scan"
    );
}
