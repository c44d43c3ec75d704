//! An OFD package (GB/T 33190): a ZIP whose end-of-central-directory
//! record is found in its last 64 KiB and a few bytes (a comment may take
//! that much; ZIP64 records are followed), whose central directory lies
//! inside the file and lists as many entries as the record says, among
//! them `OFD.xml`. That entry document is read from its local header,
//! stored or deflated, 1 MiB at most, its CRC checked; its root element is
//! `OFD` and each `DocBody` names in its `DocRoot` a document the
//! directory holds (`<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>`).
//! The directory is read twice as a stream rather than kept, so a
//! package of many entries costs no memory.

use std::io::{Read, Seek};

use super::{Malformed, Source, Stream};

/// The end-of-central-directory record's signature.
const EOCD: &[u8; 4] = b"PK\x05\x06";
/// Its fixed length.
const EOCD_LEN: usize = 22;
/// Entries in a directory at most.
const MAX_ENTRIES: u64 = 100_000;
/// The entry document's size at most, inflated.
const MAX_XML: u64 = 1024 * 1024;
/// Documents in a package at most.
const MAX_DOCS: usize = 64;

pub(super) fn check<R: Read + Seek>(src: &mut Source<'_, R>) -> Result<(), Malformed> {
    let dir = directory(src)?;
    let mut entry = None;
    walk(src, &dir, |name, e| {
        if name == b"OFD.xml" && entry.is_none() {
            entry = Some(e);
        }
    })?;
    let entry = entry.ok_or_else(|| src.bad("ofd.entry"))?;
    let xml = read_entry(src, &entry, dir.offset)?;
    let roots = doc_roots(&xml).ok_or_else(|| src.bad("ofd.doc_body"))?;
    let mut found = vec![false; roots.len()];
    walk(src, &dir, |name, _| {
        let name = normalise(&String::from_utf8_lossy(name));
        for (i, r) in roots.iter().enumerate() {
            found[i] |= *r == name;
        }
    })?;
    if found.iter().all(|f| *f) {
        Ok(())
    } else {
        Err(src.bad("ofd.doc_root"))
    }
}

/// Where the central directory is and what it holds.
struct Directory {
    offset: u64,
    size: u64,
    entries: u64,
}

/// What the central directory says of one entry.
#[derive(Clone, Copy)]
struct Entry {
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    local: u64,
}

fn le16(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn le32(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn le64(b: &[u8], i: usize) -> u64 {
    u64::from(le32(b, i)) | u64::from(le32(b, i + 4)) << 32
}

/// The end-of-central-directory record (and its ZIP64 twin where the
/// record says so), checked against the file.
fn directory<R: Read + Seek>(src: &mut Source<'_, R>) -> Result<Directory, Malformed> {
    let span = EOCD_LEN + usize::from(u16::MAX);
    let from = src.len.saturating_sub(span as u64);
    let tail = src.window(from, span)?;
    // The last record whose comment ends at or before the file's end.
    let at = (0..=tail.len().saturating_sub(EOCD_LEN))
        .rev()
        .find(|i| {
            tail[*i..].starts_with(EOCD)
                && *i + EOCD_LEN + usize::from(le16(&tail, i + 20)) <= tail.len()
        })
        .ok_or_else(|| src.bad("zip.eocd"))?;
    let r = &tail[at..at + EOCD_LEN];
    let eocd_at = from + at as u64;
    if le16(r, 4) != 0 || le16(r, 6) != 0 || le16(r, 8) != le16(r, 10) {
        return Err(src.bad("zip.multi_disk"));
    }
    let mut dir = Directory {
        offset: u64::from(le32(r, 16)),
        size: u64::from(le32(r, 12)),
        entries: u64::from(le16(r, 10)),
    };
    let mut end = eocd_at;
    if dir.entries == 0xFFFF || dir.size == 0xFFFF_FFFF || dir.offset == 0xFFFF_FFFF {
        let mut locator = [0u8; 20];
        src.read_at(
            eocd_at
                .checked_sub(20)
                .ok_or_else(|| src.bad("zip.zip64"))?,
            &mut locator,
            "zip.zip64",
        )?;
        if &locator[..4] != b"PK\x06\x07" {
            return Err(src.bad("zip.zip64"));
        }
        let record_at = le64(&locator, 8);
        let mut record = [0u8; 56];
        src.read_at(record_at, &mut record, "zip.zip64")?;
        if &record[..4] != b"PK\x06\x06" || record_at + 56 > eocd_at - 20 {
            return Err(src.bad("zip.zip64"));
        }
        dir = Directory {
            offset: le64(&record, 48),
            size: le64(&record, 40),
            entries: le64(&record, 32),
        };
        end = record_at;
    }
    let fits = dir.offset.checked_add(dir.size).is_some_and(|e| e <= end);
    if !fits || dir.entries == 0 || dir.entries > MAX_ENTRIES || dir.entries * 46 > dir.size {
        return Err(src.bad("zip.directory"));
    }
    Ok(dir)
}

/// Reads the central directory from start to end, giving each entry's
/// name and description to `each`; the directory must hold exactly the
/// entries its record counts, within its size.
fn walk<R: Read + Seek>(
    src: &mut Source<'_, R>,
    dir: &Directory,
    mut each: impl FnMut(&[u8], Entry),
) -> Result<(), Malformed> {
    let mut s = src.stream(dir.offset)?;
    let end = dir.offset + dir.size;
    let mut name = Vec::new();
    let mut extra = Vec::new();
    for _ in 0..dir.entries {
        let mut h = [0u8; 46];
        s.exact(&mut h, "zip.directory")?;
        if &h[..4] != b"PK\x01\x02" {
            return Err(s.bad("zip.directory"));
        }
        let (n, m, k) = (
            usize::from(le16(&h, 28)),
            usize::from(le16(&h, 30)),
            u64::from(le16(&h, 32)),
        );
        if s.pos + (n + m) as u64 + k > end {
            return Err(s.bad("zip.directory"));
        }
        name.resize(n, 0);
        s.exact(&mut name, "zip.directory")?;
        extra.resize(m, 0);
        s.exact(&mut extra, "zip.directory")?;
        s.pass(k, "zip.directory", |_| {})?;
        let mut e = Entry {
            flags: le16(&h, 8),
            method: le16(&h, 10),
            crc: le32(&h, 16),
            compressed: u64::from(le32(&h, 20)),
            size: u64::from(le32(&h, 24)),
            local: u64::from(le32(&h, 42)),
        };
        zip64_sizes(&extra, &mut e).ok_or_else(|| s.bad("zip.zip64"))?;
        each(&name, e);
    }
    if s.pos != end {
        return Err(s.bad("zip.directory"));
    }
    Ok(())
}

/// An entry's real sizes and offset from its ZIP64 extra field, for those
/// its header marks as too large for 32 bits (in the field's order).
fn zip64_sizes(extra: &[u8], e: &mut Entry) -> Option<()> {
    let wanted = [e.size, e.compressed, e.local].contains(&0xFFFF_FFFF);
    if !wanted {
        return Some(());
    }
    let mut i = 0;
    while i + 4 <= extra.len() {
        let (id, len) = (le16(extra, i), usize::from(le16(extra, i + 2)));
        let body = extra.get(i + 4..i + 4 + len)?;
        if id == 1 {
            let mut j = 0;
            for v in [&mut e.size, &mut e.compressed, &mut e.local] {
                if *v == 0xFFFF_FFFF {
                    *v = le64(body.get(j..j + 8)?, 0);
                    j += 8;
                }
            }
            return Some(());
        }
        i += 4 + len;
    }
    None
}

/// The entry document's text: its local header agrees, it is stored or
/// deflated, not encrypted, no larger than [`MAX_XML`], its CRC right.
fn read_entry<R: Read + Seek>(
    src: &mut Source<'_, R>,
    e: &Entry,
    directory: u64,
) -> Result<String, Malformed> {
    let bad = |src: &Source<'_, R>| src.bad("ofd.xml");
    let mut h = [0u8; 30];
    src.read_at(e.local, &mut h, "ofd.xml")?;
    if &h[..4] != b"PK\x03\x04" || e.flags & 1 != 0 || e.size > MAX_XML {
        return Err(bad(src));
    }
    let data = e.local + 30 + u64::from(le16(&h, 26)) + u64::from(le16(&h, 28));
    if data
        .checked_add(e.compressed)
        .is_none_or(|end| end > directory)
    {
        return Err(bad(src));
    }
    let mut name = [0u8; 7];
    src.read_at(e.local + 30, &mut name, "ofd.xml")?;
    if le16(&h, 26) != 7 || &name != b"OFD.xml" {
        return Err(bad(src));
    }
    let s = src.stream(data)?;
    let mut limited = Limited {
        s,
        left: e.compressed,
        failed: None,
    };
    let mut out = Vec::new();
    // One byte past the size said, to notice a lie.
    let read = match e.method {
        0 if e.compressed == e.size => (&mut limited).take(MAX_XML + 1).read_to_end(&mut out),
        8 => flate2::read::DeflateDecoder::new(&mut limited)
            .take(MAX_XML + 1)
            .read_to_end(&mut out),
        _ => return Err(bad(src)),
    };
    if let Some(failed) = limited.failed {
        return Err(failed.into());
    }
    // Any other error is a deflate stream that does not decode: the file's.
    if read.is_err() || out.len() as u64 != e.size || crc32fast::hash(&out) != e.crc {
        return Err(bad(src));
    }
    let text = out.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&out);
    String::from_utf8(text.to_vec()).map_err(|_| bad(src))
}

/// A stream read no further than `left` bytes (an entry's data), keeping
/// its own failure apart from the decoder's.
struct Limited<'a, R> {
    s: Stream<'a, R>,
    left: u64,
    failed: Option<std::io::Error>,
}

impl<R: Read + Seek> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let k = match self.s.r.read(&mut buf[..n]) {
            Ok(k) => k,
            Err(e) => {
                let kind = e.kind();
                self.failed = Some(e);
                return Err(kind.into());
            }
        };
        self.left -= k as u64;
        self.s.pos += k as u64;
        Ok(k)
    }
}

/// The `DocRoot` of every `DocBody` in `OFD.xml` (1 to [`MAX_DOCS`]),
/// normalised as package paths; `None` unless the root element is `OFD`
/// and each body names a root.
fn doc_roots(xml: &str) -> Option<Vec<String>> {
    let mut tags = Tags { xml, at: 0 };
    let root = tags.by_ref().find(|t| !t.name.starts_with(['?', '!']))?;
    if local(root.name) != "OFD" || root.closing {
        return None;
    }
    let mut roots = Vec::new();
    let mut in_body = false;
    let mut named = false;
    for t in tags {
        match (local(t.name), t.closing) {
            ("DocBody", false) if !t.empty => (in_body, named) = (true, false),
            ("DocBody", true) => {
                if !in_body || !named {
                    return None;
                }
                in_body = false;
            }
            ("DocRoot", false) if in_body && !named && !t.empty => {
                let text = &xml[t.end..];
                let text = &text[..text.find('<')?];
                let path = normalise(&unescape(text.trim()));
                if path.is_empty() || roots.len() == MAX_DOCS {
                    return None;
                }
                roots.push(path);
                named = true;
            }
            _ => {}
        }
    }
    (!in_body && !roots.is_empty()).then_some(roots)
}

/// A package path as the directory writes it: no leading `/` or `./`,
/// forward slashes.
fn normalise(p: &str) -> String {
    let p = p.replace('\\', "/");
    let mut p = p.as_str();
    loop {
        if let Some(r) = p.strip_prefix('/') {
            p = r;
        } else if let Some(r) = p.strip_prefix("./") {
            p = r;
        } else {
            return p.to_owned();
        }
    }
}

/// The five predefined entities, the only ones a path would use.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// An element's name without its namespace prefix.
fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

/// A tag of an XML text: its name, whether it closes (`</x>`) or is empty
/// (`<x/>`), and where its text begins.
struct Tag<'a> {
    name: &'a str,
    closing: bool,
    empty: bool,
    end: usize,
}

/// The tags of an XML text in order (comments, CDATA and processing
/// instructions come as tags named `!…` and `?…`).
struct Tags<'a> {
    xml: &'a str,
    at: usize,
}

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

    fn next(&mut self) -> Option<Tag<'a>> {
        let start = self.at + self.xml[self.at..].find('<')? + 1;
        let rest = &self.xml[start..];
        let close = if rest.starts_with("!--") {
            rest.find("-->")? + 3
        } else if rest.starts_with("![CDATA[") {
            rest.find("]]>")? + 3
        } else {
            rest.find('>')? + 1
        };
        self.at = start + close;
        let inner = &rest[..close - 1];
        let closing = inner.starts_with('/');
        let body = inner.trim_start_matches('/');
        let name_len = body
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(body.len());
        Some(Tag {
            name: &body[..name_len],
            closing,
            empty: inner.ends_with('/'),
            end: self.at,
        })
    }
}
