//! A PDF (ISO 32000): `startxref` near the end names where the last
//! cross-reference section begins, and that section is there: a classic
//! table (`xref`, subsections of entries whose objects lie inside the
//! file, `trailer` and a dictionary naming the document's `/Root`) or a
//! cross-reference stream (`N G obj << /Type /XRef /W … /Size … >>
//! stream`, since PDF 1.5, its data inside the file and followed by
//! `endstream` when its `/Length` is given directly). Incremental updates
//! (a signature, a form filled in, an annotation added) chain older
//! sections by `/Prev`; the chain is followed, 64 sections at most, each
//! inside the file and none twice. A hybrid file's `/XRefStm` must name a
//! cross-reference stream.
//!
//! Lenient where real files are sloppy: any PDF whitespace and line ends,
//! `startxref` anywhere in the last 2 KiB (some tools pad after `%%EOF`),
//! and an offset up to 32 bytes off either way. Writers that miscount a
//! line end or a header byte are common among scanners, and every reader
//! finds the section nearby; a file whose offsets are further off has
//! usually been cut or had its line ends rewritten, which also breaks its
//! binary streams, and is refused. Readers can rebuild a broken file by
//! scanning it whole; a file that needs that is damaged, and the applicant
//! can save it again.

use std::io::{Read, Seek};

use super::{Malformed, Source, Stream};

/// How much of the end is searched for `startxref`.
const TAIL: usize = 2048;
/// How far a section may begin from where its offset says.
const SLACK: u64 = 32;
/// Sections followed along `/Prev` at most.
const HOPS: usize = 64;
/// The longest dictionary read (a trailer, a stream's dictionary).
const DICT: usize = 64 * 1024;
/// Nesting of arrays and dictionaries followed inside a dictionary.
const DEPTH: u8 = 32;

pub(super) fn check<R: Read + Seek>(src: &mut Source<'_, R>) -> Result<(), Malformed> {
    let tail = src.window(src.len.saturating_sub(TAIL as u64), TAIL)?;
    let mut at = startxref(&tail).ok_or_else(|| src.bad("pdf.startxref"))?;
    let mut seen: Vec<u64> = Vec::new();
    for hop in 0..HOPS {
        if at >= src.len || seen.contains(&at) {
            return Err(src.bad("pdf.xref_offset"));
        }
        seen.push(at);
        let s = section(src, at)?;
        // The newest trailer names the document; older ones need not be
        // read by anyone.
        if hop == 0 && !s.root {
            return Err(src.bad("pdf.root"));
        }
        if let Some(x) = s.xref_stm
            && (x >= src.len || !section(src, x)?.stream)
        {
            return Err(src.bad("pdf.xref_stm"));
        }
        match s.prev {
            None => return Ok(()),
            Some(p) => at = p,
        }
    }
    Err(src.bad("pdf.prev"))
}

/// The offset after the last `startxref` in the tail, if `%%EOF` follows.
fn startxref(tail: &[u8]) -> Option<u64> {
    let i = tail.windows(9).rposition(|w| w == b"startxref")?;
    let rest = &tail[skip_space(tail, i + 9)..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 15 {
        return None;
    }
    let n = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    rest[digits..]
        .windows(5)
        .any(|w| w == b"%%EOF")
        .then_some(n)
}

/// What a cross-reference section says of the document.
struct Section {
    /// Its dictionary names `/Root` (by reference).
    root: bool,
    /// The older section, by `/Prev`.
    prev: Option<u64>,
    /// A hybrid file's cross-reference stream, by `/XRefStm`.
    xref_stm: Option<u64>,
    /// It is a cross-reference stream, not a table.
    stream: bool,
}

/// The section that begins at `at` or, failing that, nearest to it
/// within [`SLACK`].
fn section<R: Read + Seek>(src: &mut Source<'_, R>, at: u64) -> Result<Section, Malformed> {
    let from = at.saturating_sub(SLACK);
    let win = src.window(from, (3 * SLACK) as usize + 64)?;
    let here = (at - from) as usize;
    let exact = skip_space(&win, here);
    let mut starts: Vec<usize> = (0..win.len())
        .filter(|i| i.abs_diff(here) <= SLACK as usize && begins(&win, *i))
        .collect();
    starts.sort_by_key(|i| (*i != exact, i.abs_diff(here)));
    let mut first_error = None;
    for i in starts {
        let start = from + i as u64;
        let tried = if win[i..].starts_with(b"xref") {
            table(src, start)
        } else {
            stream(src, start)
        };
        match tried {
            Ok(s) => return Ok(s),
            Err(e @ Malformed::Io(_)) => return Err(e),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| src.bad("pdf.xref")))
}

/// Whether a section may begin at `i`: after a delimiter, `xref` and
/// whitespace, or an object header.
fn begins(win: &[u8], i: usize) -> bool {
    let after_delimiter = i == 0 || !regular(win[i - 1]);
    let rest = &win[i..];
    after_delimiter
        && ((rest.starts_with(b"xref") && rest.get(4).is_some_and(|b| space(*b)))
            || object_header(rest).is_some())
}

/// The length of an object header (`12 0 obj`) at the start of `b`.
fn object_header(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    for _ in 0..2 {
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let spaces = b[i + digits..].iter().take_while(|c| space(**c)).count();
        if digits == 0 || spaces == 0 {
            return None;
        }
        i += digits + spaces;
    }
    let ok = b[i..].starts_with(b"obj") && b.get(i + 3).is_none_or(|c| !regular(*c));
    ok.then_some(i + 3)
}

/// A classic cross-reference table at `start` (its `xref`).
fn table<R: Read + Seek>(src: &mut Source<'_, R>, start: u64) -> Result<Section, Malformed> {
    let len = src.len;
    let mut s = src.stream(start + 4)?;
    loop {
        skip_stream_space(&mut s)?;
        if s.peek()? == Some(b't') {
            let mut word = [0u8; 7];
            s.exact(&mut word, "pdf.trailer")?;
            if &word != b"trailer" {
                return Err(s.bad("pdf.trailer"));
            }
            break;
        }
        let _first = integer(&mut s)?;
        skip_stream_space(&mut s)?;
        let count = integer(&mut s)?;
        // An entry takes 20 bytes (a few writers make it 19).
        if count > s.left() / 19 {
            return Err(s.bad("pdf.xref"));
        }
        for _ in 0..count {
            skip_stream_space(&mut s)?;
            let offset = integer(&mut s)?;
            skip_stream_space(&mut s)?;
            let _generation = integer(&mut s)?;
            skip_stream_space(&mut s)?;
            match s.byte()? {
                Some(b'n') if offset < len => {}
                Some(b'f') => {}
                _ => return Err(s.bad("pdf.xref_entry")),
            }
        }
    }
    skip_stream_space(&mut s)?;
    let at = s.pos;
    drop(s);
    let win = src.window(at, DICT)?;
    let (d, _) = dict(&win, 0, 0).ok_or_else(|| src.bad("pdf.trailer"))?;
    Ok(Section {
        root: d.root,
        prev: d.prev,
        xref_stm: d.xref_stm,
        stream: false,
    })
}

/// A cross-reference stream object at `start` (its `N G obj`).
fn stream<R: Read + Seek>(src: &mut Source<'_, R>, start: u64) -> Result<Section, Malformed> {
    let win = src.window(start, DICT + 64)?;
    let bad = |src: &Source<'_, R>| src.bad("pdf.xref_stream");
    let header = object_header(&win).ok_or_else(|| bad(src))?;
    let (d, end) = dict(&win, skip_space(&win, header), 0).ok_or_else(|| bad(src))?;
    if !(d.xref_type && d.w && d.size) {
        return Err(bad(src));
    }
    let i = skip_space(&win, end);
    let rest = &win[i..];
    let eol = if rest.starts_with(b"stream\r\n") {
        8
    } else if rest.starts_with(b"stream\n") || rest.starts_with(b"stream\r") {
        7
    } else {
        return Err(bad(src));
    };
    if let Some(n) = d.length {
        let data_end = (start + (i + eol) as u64)
            .checked_add(n)
            .filter(|e| *e <= src.len)
            .ok_or_else(|| bad(src))?;
        let after = src.window(data_end, 64)?;
        let j = skip_space(&after, 0);
        if !after[j..].starts_with(b"endstream") {
            return Err(bad(src));
        }
    }
    Ok(Section {
        root: d.root,
        prev: d.prev,
        xref_stm: None,
        stream: true,
    })
}

/// What this check reads of a trailer or cross-reference stream dictionary.
#[derive(Default)]
struct Dict {
    root: bool,
    prev: Option<u64>,
    xref_stm: Option<u64>,
    length: Option<u64>,
    xref_type: bool,
    w: bool,
    size: bool,
}

/// A token of PDF syntax, strings, arrays and nested dictionaries taken
/// whole.
enum Token<'a> {
    Name(&'a [u8]),
    Integer(u64),
    R,
    DictEnd,
    ArrayEnd,
    Other,
}

/// The dictionary starting at `i` (at its `<<`) and the index after its
/// `>>`; `None` if it is not one.
fn dict(b: &[u8], i: usize, depth: u8) -> Option<(Dict, usize)> {
    if depth > DEPTH {
        return None;
    }
    let mut i = skip_space(b, i);
    if !b[i..].starts_with(b"<<") {
        return None;
    }
    i += 2;
    let mut d = Dict::default();
    loop {
        let (t, next) = token(b, i, depth)?;
        i = next;
        let key = match t {
            Token::DictEnd => return Some((d, i)),
            Token::Name(k) => k,
            _ => return None,
        };
        let (v, next) = token(b, i, depth)?;
        i = next;
        let mut reference = false;
        if let Token::Integer(_) = v
            && let Some((Token::Integer(_), j)) = token(b, i, depth)
            && let Some((Token::R, k)) = token(b, j, depth)
        {
            reference = true;
            i = k;
        }
        match (key, &v) {
            (_, Token::DictEnd | Token::ArrayEnd | Token::R) => return None,
            (b"Root", _) => d.root = reference,
            (b"Prev", Token::Integer(n)) if !reference => d.prev = Some(*n),
            (b"XRefStm", Token::Integer(n)) if !reference => d.xref_stm = Some(*n),
            (b"Length", Token::Integer(n)) if !reference => d.length = Some(*n),
            (b"Type", Token::Name(t)) => d.xref_type = *t == b"XRef",
            (b"W", _) => d.w = true,
            (b"Size", Token::Integer(_)) => d.size = !reference,
            _ => {}
        }
    }
}

/// The token at `i` and the index after it.
fn token(b: &[u8], i: usize, depth: u8) -> Option<(Token<'_>, usize)> {
    let i = skip_space(b, i);
    let c = *b.get(i)?;
    let end_of = |from: usize| from + b[from..].iter().take_while(|c| regular(**c)).count();
    match c {
        b'/' => {
            let j = end_of(i + 1);
            Some((Token::Name(&b[i + 1..j]), j))
        }
        b'<' if b.get(i + 1) == Some(&b'<') => {
            let (_, j) = dict(b, i, depth + 1)?;
            Some((Token::Other, j))
        }
        b'<' => {
            let j = i + 1 + b[i + 1..].iter().position(|c| *c == b'>')?;
            Some((Token::Other, j + 1))
        }
        b'>' if b.get(i + 1) == Some(&b'>') => Some((Token::DictEnd, i + 2)),
        b'(' => Some((Token::Other, string_end(b, i)?)),
        b'[' => {
            if depth >= DEPTH {
                return None;
            }
            let mut j = i + 1;
            loop {
                let (t, next) = token(b, j, depth + 1)?;
                j = next;
                match t {
                    Token::ArrayEnd => return Some((Token::Other, j)),
                    Token::DictEnd => return None,
                    _ => {}
                }
            }
        }
        b']' => Some((Token::ArrayEnd, i + 1)),
        b')' | b'>' | b'{' | b'}' => None,
        _ => {
            let j = end_of(i).max(i + 1);
            let word = &b[i..j];
            if word == b"R" {
                Some((Token::R, j))
            } else if word.iter().all(u8::is_ascii_digit) && word.len() <= 15 {
                let n = std::str::from_utf8(word).ok()?.parse().ok()?;
                Some((Token::Integer(n), j))
            } else {
                Some((Token::Other, j))
            }
        }
    }
}

/// The index after the literal string starting at `i` (its `(`):
/// balanced parentheses, backslash escapes.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// PDF whitespace.
fn space(c: u8) -> bool {
    matches!(c, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

/// Neither whitespace nor a delimiter.
fn regular(c: u8) -> bool {
    !space(c) && !b"()<>[]{}/%".contains(&c)
}

/// The index after whitespace and comments from `i`.
fn skip_space(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if space(c) {
            i += 1;
        } else if c == b'%' {
            while b.get(i).is_some_and(|c| *c != b'\n' && *c != b'\r') {
                i += 1;
            }
        } else {
            break;
        }
    }
    i
}

/// Skips whitespace in a stream.
fn skip_stream_space<R: Read + Seek>(s: &mut Stream<'_, R>) -> Result<(), Malformed> {
    while s.peek()?.is_some_and(space) {
        s.byte()?;
    }
    Ok(())
}

/// A non-negative integer in a stream (at most 15 digits).
fn integer<R: Read + Seek>(s: &mut Stream<'_, R>) -> Result<u64, Malformed> {
    let mut n: u64 = 0;
    let mut digits = 0;
    while let Some(c) = s.peek()?.filter(u8::is_ascii_digit) {
        s.byte()?;
        n = n * 10 + u64::from(c - b'0');
        digits += 1;
        if digits > 15 {
            return Err(s.bad("pdf.xref"));
        }
    }
    if digits == 0 {
        return Err(s.bad("pdf.xref"));
    }
    Ok(n)
}
