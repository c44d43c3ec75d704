//! PDFs with a classic table, a cross-reference stream and incremental
//! updates, and the ways they break.

use super::verdict;

pub(super) const CATALOG: [&str; 3] = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
];

/// A PDF of `objects` (numbered from 1) with a classic table.
pub(super) fn pdf(objects: &[&str], trailer: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut at = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        at.push(out.len());
        out.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).as_bytes());
    for o in at {
        out.extend(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} {trailer} /ID [<0a1b><0a1b>] >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

pub(super) fn valid_pdf() -> Vec<u8> {
    pdf(&CATALOG, "/Root 1 0 R")
}

fn startxref_of(b: &[u8]) -> usize {
    let s = String::from_utf8_lossy(b);
    let i = s.rfind("startxref").unwrap();
    s[i + 9..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// `base` with an incremental update: object 4 added, a table of one
/// entry, `/Prev` naming `prev`.
fn updated(base: &[u8], prev: usize) -> Vec<u8> {
    let mut out = base.to_vec();
    let obj = out.len();
    out.extend(b"4 0 obj\n<< /Producer (update) >>\nendobj\n");
    let xref = out.len();
    out.extend(
        format!(
            "xref\n4 1\n{obj:010} 00000 n\r\ntrailer\n<< /Size 5 /Root 1 0 R /Info 4 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

/// A PDF 1.5 file whose only cross-reference section is a stream
/// (`/W [1 2 1]`, not compressed), `/Length` as given.
pub(super) fn xref_stream_pdf(length: Option<&str>) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut rows = vec![0u8, 0, 0, 0xFF];
    for (i, body) in CATALOG.iter().enumerate() {
        let at = out.len() as u16;
        rows.extend([1, (at >> 8) as u8, at as u8, 0]);
        out.extend(format!("{} 0 obj\r\n{body}\r\nendobj\r\n", i + 1).as_bytes());
    }
    let x = out.len() as u16;
    rows.extend([1, (x >> 8) as u8, x as u8, 0]);
    let length = length.map_or_else(|| rows.len().to_string(), str::to_owned);
    out.extend(
        format!("4 0 obj\r\n<</Type/XRef/Size 5/W[1 2 1]/Root 1 0 R/Length {length}>>stream\r\n")
            .as_bytes(),
    );
    out.extend(&rows);
    out.extend(format!("\r\nendstream\r\nendobj\r\nstartxref\r\n{x}\r\n%%EOF\r\n").as_bytes());
    out
}

/// `b` with its `startxref` number replaced.
fn with_startxref(b: &[u8], n: i64) -> Vec<u8> {
    let s = String::from_utf8_lossy(b).into_owned();
    let i = s.rfind("startxref").unwrap();
    let old = startxref_of(b);
    let mut out = b[..i].to_vec();
    out.extend(
        s[i..]
            .replacen(&old.to_string(), &n.to_string(), 1)
            .as_bytes(),
    );
    out
}

#[test]
fn a_pdf_with_its_cross_reference_table_is_accepted() {
    assert_eq!(verdict("pdf", &valid_pdf()), "ok");
}

#[test]
fn a_pdf_whose_startxref_is_missing_or_points_elsewhere_is_refused() {
    let good = valid_pdf();
    let at = startxref_of(&good) as i64;
    assert_eq!(
        verdict("pdf", &with_startxref(&good, 1 << 40)),
        "pdf.xref_offset"
    );
    assert_eq!(
        verdict("pdf", &with_startxref(&good, good.len() as i64 + 10)),
        "pdf.xref_offset"
    );
    // At an object that is no cross-reference stream, or far from any
    // section.
    assert_eq!(
        verdict("pdf", &with_startxref(&good, 20)),
        "pdf.xref_stream"
    );
    let filler = format!("<< /Length 300 >>\nstream\n{}\nendstream", "x".repeat(300));
    let long = pdf(
        &[CATALOG[0], CATALOG[1], CATALOG[2], filler.as_str()],
        "/Root 1 0 R",
    );
    let middle = long.windows(5).position(|w| w == b"xxxxx").unwrap() + 150;
    assert_eq!(
        verdict("pdf", &with_startxref(&long, middle as i64)),
        "pdf.xref"
    );
    // A few bytes off, as sloppy writers do: the reader finds it, and so do we.
    for off in [-5, -1, 1, 3, 30] {
        assert_eq!(
            verdict("pdf", &with_startxref(&good, at + off)),
            "ok",
            "{off}"
        );
    }
    assert_eq!(
        verdict("pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"),
        "pdf.startxref"
    );
    let no_eof = &good[..good.len() - 6];
    assert_eq!(verdict("pdf", no_eof), "pdf.startxref");
}

#[test]
fn a_pdf_without_root_or_with_a_broken_table_is_refused() {
    assert_eq!(verdict("pdf", &pdf(&CATALOG, "/Info 1 0 R")), "pdf.root");
    assert_eq!(verdict("pdf", &pdf(&CATALOG, "/Root 1")), "pdf.root");
    let good = valid_pdf();
    let s = String::from_utf8_lossy(&good).into_owned();
    // An entry's object beyond the end of the file.
    let bad = s.replacen("00000 n", "00000 x", 1);
    assert_eq!(verdict("pdf", bad.as_bytes()), "pdf.xref_entry");
    let far = s.replacen(&format!("{:010} 00000 n", 15), "9999999999 00000 n", 1);
    assert_ne!(far, s);
    assert_eq!(verdict("pdf", far.as_bytes()), "pdf.xref_entry");
    let no_trailer = s.replace("trailer", "trailor");
    assert_eq!(verdict("pdf", no_trailer.as_bytes()), "pdf.trailer");
    let open_dict = s.replace(" >>\nstartxref", " \nstartxref");
    assert_eq!(verdict("pdf", open_dict.as_bytes()), "pdf.trailer");
}

#[test]
fn incremental_updates_are_followed_along_prev() {
    let base = valid_pdf();
    let once = updated(&base, startxref_of(&base));
    assert_eq!(verdict("pdf", &once), "ok");
    let twice = updated(&once, startxref_of(&once));
    assert_eq!(verdict("pdf", &twice), "ok");
    // An older section that is not there, a loop, and one outside.
    assert_eq!(verdict("pdf", &updated(&base, 20)), "pdf.xref_stream");
    let looped = updated(&base, base.len() + 42);
    assert_eq!(verdict("pdf", &looped), "pdf.xref_offset", "itself");
    assert_eq!(verdict("pdf", &updated(&base, 1 << 33)), "pdf.xref_offset");
}

#[test]
fn a_cross_reference_stream_is_accepted_and_checked() {
    assert_eq!(verdict("pdf", &xref_stream_pdf(None)), "ok");
    // Its length given indirectly is not followed.
    assert_eq!(verdict("pdf", &xref_stream_pdf(Some("9 0 R"))), "ok");
    assert_eq!(
        verdict("pdf", &xref_stream_pdf(Some("9999"))),
        "pdf.xref_stream"
    );
    assert_eq!(
        verdict("pdf", &xref_stream_pdf(Some("3"))),
        "pdf.xref_stream"
    );
    let s = String::from_utf8_lossy(&xref_stream_pdf(None)).into_owned();
    assert_eq!(
        verdict("pdf", s.replace("/Type/XRef", "/Type/XObject").as_bytes()),
        "pdf.xref_stream"
    );
    assert_eq!(
        verdict("pdf", s.replace("/W[1 2 1]", "").as_bytes()),
        "pdf.xref_stream"
    );
    // A classic update on top of a stream, and a hybrid's /XRefStm.
    let base = xref_stream_pdf(None);
    let x = startxref_of(&base);
    assert_eq!(verdict("pdf", &updated(&base, x)), "ok");
    let hybrid = pdf(&CATALOG, &format!("/Root 1 0 R /XRefStm {x}"));
    assert_eq!(
        verdict("pdf", &hybrid),
        "pdf.xref_stm",
        "not a stream there"
    );
}

#[test]
fn the_platforms_own_pdfs_pass() {
    let doc = crate::platform::pdf::Official {
        title: "受理通知书".into(),
        body: vec!["你提交的申请符合受理条件。".into()],
        ..Default::default()
    };
    let bytes = crate::platform::pdf::official(&doc).unwrap();
    assert_eq!(verdict("pdf", &bytes), "ok");
}
