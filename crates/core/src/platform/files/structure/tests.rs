//! Minimal files of each kind built here, byte by byte, with the ways
//! they break; random and cut-off files; the corpus of files made by real
//! tools (`../corpus`).

use std::io::{Cursor, Read, Seek, SeekFrom, Write};

use proptest::prelude::*;

use super::{Malformed, check, check_in};

mod image;
mod ofd;
mod pdf;

use image::{
    baseline_jpeg, chunk, ihdr, jpeg_parts, png_of, progressive_jpeg, seg, valid_png, zlib,
};
use ofd::{BODY, ofd, ofd_xml};
use pdf::{CATALOG, pdf, valid_pdf, xref_stream_pdf};

/// The part at fault, or `"ok"`.
fn verdict(kind: &str, bytes: &[u8]) -> &'static str {
    match check_in(kind, &mut Cursor::new(bytes)) {
        Ok(()) => "ok",
        Err(Malformed::Broken { part, .. }) => part,
        Err(Malformed::Io(e)) => panic!("{kind}: i/o on memory: {e}"),
    }
}

#[test]
fn every_sniffed_kind_has_a_check() {
    for (kind, _) in super::super::SNIFFED {
        assert_ne!(verdict(kind, b"x"), "kind", "{kind}");
    }
    assert_eq!(verdict("gif", b"GIF89a"), "kind");
}

fn valid_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("pdf", valid_pdf()),
        ("pdf", xref_stream_pdf(None)),
        ("png", valid_png()),
        ("jpeg", baseline_jpeg()),
        ("jpeg", progressive_jpeg()),
        ("ofd", ofd(&ofd_xml(BODY), false)),
        ("ofd", ofd(&ofd_xml(BODY), true)),
    ]
}

#[test]
fn every_file_cut_short_is_refused() {
    for (kind, good) in valid_files() {
        // A PDF is whole at its last %%EOF; the line end after it may go.
        let whole = match kind {
            "pdf" => good.windows(5).rposition(|w| w == b"%%EOF").unwrap() + 5,
            _ => good.len(),
        };
        for n in 0..whole {
            assert_ne!(verdict(kind, &good[..n]), "ok", "{kind} cut at {n}");
        }
    }
}

#[test]
fn the_corpus_passes() {
    for (kind, bytes) in [
        (
            "pdf",
            &include_bytes!("../corpus/xref-stream-incremental.pdf")[..],
        ),
        ("jpeg", &include_bytes!("../corpus/progressive.jpg")[..]),
        (
            "jpeg",
            &include_bytes!("../corpus/baseline-restart.jpg")[..],
        ),
        ("png", &include_bytes!("../corpus/rgba-multi-idat.png")[..]),
        ("ofd", &include_bytes!("../corpus/sample.ofd")[..]),
    ] {
        assert_eq!(super::super::sniff(bytes, bytes), Some(kind));
        assert_eq!(verdict(kind, bytes), "ok", "{kind}");
    }
}

#[test]
fn a_real_file_is_read_where_it_is() {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(&valid_png()).unwrap();
    f.sync_all().unwrap();
    // Wherever the writer left it.
    assert!(check("png", &mut f).is_ok());
    f.seek(SeekFrom::Start(3)).unwrap();
    assert!(check("png", &mut f).is_ok());
    let e = check("jpeg", &mut f).unwrap_err();
    assert_eq!(e.problem().code, super::CODE);
    assert_eq!(e.problem().args, vec![("type", "JPEG".to_owned())]);
    assert!(matches!(
        crate::platform::files::FileError::from(e),
        crate::platform::files::FileError::Refused(_)
    ));
}

/// A reader that notes the largest single read and the bytes read in all.
struct Counting<R> {
    inner: R,
    largest: usize,
    total: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

#[test]
fn a_large_file_is_read_once_in_small_pieces() {
    // 20 MB of image data in 1 MB chunks; a scan of 20 MB; a PDF with a
    // 20 MB stream before its table.
    let mut big_png = vec![ihdr(4096, 4096, 8, 0)];
    let mut data = zlib(&[0; 16]);
    data.resize(1 << 20, 0x55);
    big_png.extend((0..20).map(|_| chunk(b"IDAT", &data)));
    big_png.push(chunk(b"IEND", b""));
    let mut big_jpeg = jpeg_parts(0xC2);
    let mut s = seg(0xDA, &[1, 1, 0x00, 0, 0, 0x01]);
    s.extend(std::iter::repeat_n(0x5Au8, 20 << 20));
    big_jpeg.extend([s, vec![0xFF, 0xD9]]);
    let filler = "x".repeat(20 << 20);
    let stream = format!(
        "<< /Length {} >>\nstream\n{filler}\nendstream",
        filler.len()
    );
    let big_pdf = pdf(
        &[CATALOG[0], CATALOG[1], CATALOG[2], stream.as_str()],
        "/Root 1 0 R",
    );
    for (kind, bytes) in [
        ("png", png_of(&big_png)),
        ("jpeg", big_jpeg.concat()),
        ("pdf", big_pdf),
    ] {
        let mut r = Counting {
            inner: Cursor::new(&bytes),
            largest: 0,
            total: 0,
        };
        assert!(check_in(kind, &mut r).is_ok(), "{kind}");
        assert!(r.largest <= 66 * 1024, "{kind}: a read of {}", r.largest);
        assert!(
            r.total <= bytes.len() as u64 + (1 << 20),
            "{kind}: read {}",
            r.total
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_after_a_signature_are_refused_without_panic(
        which in 0usize..4,
        rest in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let (kind, head): (&str, &[u8]) = [
            ("pdf", &b"%PDF-1.7\n"[..]),
            ("png", &b"\x89PNG\r\n\x1a\n"[..]),
            ("jpeg", &b"\xFF\xD8\xFF"[..]),
            ("ofd", &b"PK\x03\x04"[..]),
        ][which];
        let mut bytes = head.to_vec();
        bytes.extend(&rest);
        prop_assert_ne!(verdict(kind, &bytes), "ok");
    }

    #[test]
    fn changed_bytes_never_panic(
        which in 0usize..7,
        changes in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let (kind, mut bytes) = valid_files().swap_remove(which);
        for (at, b) in changes {
            let n = bytes.len();
            bytes[at % n] = b;
        }
        // Either verdict is fine; a panic or an i/o error is not.
        let _ = verdict(kind, &bytes);
    }
}

/// The process's peak resident memory in KiB since the last reset
/// (Linux: /proc/self/status, reset through /proc/self/clear_refs).
fn peak_kib(reset: bool) -> Option<u64> {
    if reset {
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
#[ignore = "measures the process's peak memory: run it alone, --ignored --exact"]
fn a_50_mb_upload_is_checked_in_little_memory() {
    let mut jpeg = jpeg_parts(0xC2).concat();
    jpeg.extend([0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0, 1]);
    let mut png = png_of(&[ihdr(8192, 8192, 8, 0)]);
    let mut idat = zlib(&[0; 16]);
    idat.resize(1 << 20, 0x55);
    let idat = chunk(b"IDAT", &idat);
    let data = vec![0x5Au8; 1 << 20];
    for (kind, head, piece, end) in [
        ("jpeg", std::mem::take(&mut jpeg), &data, vec![0xFF, 0xD9]),
        ("png", std::mem::take(&mut png), &idat, chunk(b"IEND", b"")),
    ] {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&head).unwrap();
        for _ in 0..50 {
            f.write_all(piece).unwrap();
        }
        f.write_all(&end).unwrap();
        f.sync_all().unwrap();
        let Some(before) = peak_kib(true) else {
            return;
        };
        assert!(check(kind, &mut f).is_ok(), "{kind}");
        let after = peak_kib(false).unwrap();
        eprintln!(
            "{kind}: 50 MB checked, peak memory +{} KiB",
            after.saturating_sub(before)
        );
        assert!(after.saturating_sub(before) < 4 * 1024, "{kind}");
    }
}
