//! OFD packages built as ZIPs, stored or deflated, and the ways they break.

use std::io::Write;

use super::verdict;

/// A ZIP of `entries`, stored or deflated, with a comment.
fn zip(entries: &[(&str, &[u8])], deflate: bool, comment: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut dir = Vec::new();
    for (name, data) in entries {
        let crc = crc32fast::hash(data);
        let body = if deflate {
            let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(data).unwrap();
            z.finish().unwrap()
        } else {
            data.to_vec()
        };
        let method: u16 = if deflate { 8 } else { 0 };
        let at = out.len() as u32;
        let mut common = Vec::new();
        common.extend(20u16.to_le_bytes());
        common.extend(0u16.to_le_bytes());
        common.extend(method.to_le_bytes());
        common.extend([0, 0, 0x21, 0x5D]);
        common.extend(crc.to_le_bytes());
        common.extend((body.len() as u32).to_le_bytes());
        common.extend((data.len() as u32).to_le_bytes());
        common.extend((name.len() as u16).to_le_bytes());
        common.extend(0u16.to_le_bytes());
        out.extend(b"PK\x03\x04");
        out.extend(&common);
        out.extend(name.as_bytes());
        out.extend(&body);
        dir.extend(b"PK\x01\x02\x14\x00");
        dir.extend(&common);
        // Comment length, disk, internal and external attributes.
        dir.extend([0; 10]);
        dir.extend(at.to_le_bytes());
        dir.extend(name.as_bytes());
    }
    let offset = out.len() as u32;
    out.extend(&dir);
    out.extend(b"PK\x05\x06\0\0\0\0");
    let n = entries.len() as u16;
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend((dir.len() as u32).to_le_bytes());
    out.extend(offset.to_le_bytes());
    out.extend((comment.len() as u16).to_le_bytes());
    out.extend(comment);
    out
}

pub(super) fn ofd_xml(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- made by a test -->\n\
         <ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\" DocType=\"OFD\" Version=\"1.0\">{body}</ofd:OFD>"
    )
}

pub(super) const BODY: &str = "<ofd:DocBody><ofd:DocInfo><ofd:DocID>x</ofd:DocID></ofd:DocInfo>\
                    <ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>";

pub(super) fn ofd(xml: &str, deflate: bool) -> Vec<u8> {
    zip(
        &[
            ("OFD.xml", xml.as_bytes()),
            ("Doc_0/Document.xml", b"<ofd:Document/>"),
        ],
        deflate,
        b"",
    )
}

#[test]
fn an_ofd_package_naming_its_document_is_accepted() {
    assert_eq!(verdict("ofd", &ofd(&ofd_xml(BODY), false)), "ok");
    assert_eq!(verdict("ofd", &ofd(&ofd_xml(BODY), true)), "ok");
    // A default namespace, a leading slash, a comment as long as allowed.
    let plain = "<OFD xmlns=\"http://www.ofdspec.org/2016\"><DocBody>\
                 <DocRoot> /Doc_0/Document.xml </DocRoot></DocBody></OFD>";
    let with_comment = zip(
        &[
            ("OFD.xml", plain.as_bytes()),
            ("Doc_0/Document.xml", b"<Document/>"),
        ],
        false,
        &[b'c'; 65535],
    );
    assert_eq!(verdict("ofd", &with_comment), "ok");
}

#[test]
fn an_ofd_package_without_its_entry_or_document_is_refused() {
    let doc: &[u8] = b"<ofd:Document/>";
    let no_entry = zip(&[("Doc_0/Document.xml", doc)], false, b"");
    assert_eq!(verdict("ofd", &no_entry), "ofd.entry");
    let xml = ofd_xml(BODY);
    let missing_doc = zip(&[("OFD.xml", xml.as_bytes())], false, b"");
    assert_eq!(verdict("ofd", &missing_doc), "ofd.doc_root");
    let elsewhere = ofd_xml(&BODY.replace("Doc_0/Document.xml", "Doc_1/Document.xml"));
    assert_eq!(verdict("ofd", &ofd(&elsewhere, true)), "ofd.doc_root");
    for broken in [
        ofd_xml("<ofd:DocBody><ofd:DocInfo/></ofd:DocBody>"),
        ofd_xml(""),
        ofd_xml("<ofd:DocBody><ofd:DocRoot></ofd:DocRoot></ofd:DocBody>"),
        BODY.to_owned(),
        "not xml at all".to_owned(),
    ] {
        assert_eq!(
            verdict("ofd", &ofd(&broken, false)),
            "ofd.doc_body",
            "{broken}"
        );
    }
    // The entry's bytes changed after its CRC was taken.
    let mut flipped = ofd(&xml, false);
    let i = flipped.windows(7).position(|w| w == b"DocBody").unwrap();
    flipped[i] = b'X';
    assert_eq!(verdict("ofd", &flipped), "ofd.xml");
    let mut inflated_garbage = ofd(&xml, true);
    inflated_garbage[40..60].fill(0xFF);
    assert_eq!(verdict("ofd", &inflated_garbage), "ofd.xml");
}

#[test]
fn a_zip_cut_short_or_with_a_false_directory_is_refused() {
    let good = ofd(&ofd_xml(BODY), false);
    assert_eq!(verdict("ofd", &good[..good.len() - 1]), "zip.eocd");
    assert_eq!(verdict("ofd", &good[..100]), "zip.eocd");
    let mut more = good.clone();
    let n = more.len();
    more[n - 12] = 9; // the record counts nine entries
    more[n - 14] = 9;
    assert_eq!(verdict("ofd", &more), "zip.directory");
    let mut outside = good.clone();
    outside[n - 6..n - 2].copy_from_slice(&(n as u32).to_le_bytes());
    assert_eq!(verdict("ofd", &outside), "zip.directory");
    let mut zip_only = b"PK\x03\x04".to_vec();
    zip_only.extend([0; 64]);
    assert_eq!(verdict("ofd", &zip_only), "zip.eocd");
}
