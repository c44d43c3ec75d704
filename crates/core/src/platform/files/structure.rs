//! Whether an uploaded file is built as its kind must be, not only begins
//! like one: eight PNG signature bytes followed by zeros are no picture, a
//! PDF cut off in transfer has no cross-reference section at its end. A
//! clerk who opens such a file finds nothing, after the applicant was told
//! the material was received; refused at upload, the applicant can send it
//! again at once.
//!
//! [`check`] reads a synced temporary file by seeking and reading bounded
//! pieces (64 KiB at a time; an OFD's `OFD.xml` is inflated to 1 MiB at
//! most), so a 50 MB upload costs no more memory to check than a small one.
//! It checks structure, not content: the PDF's cross-reference chain, the
//! PNG's chunks and their CRCs, the JPEG's markers and scans, the OFD
//! package's directory and entry document. Images are not decoded and
//! PDF objects are not parsed, which keeps the check fast and its own
//! attack surface small.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use tongban_domain::FieldProblem;

use super::FileError;

mod jpeg;
mod ofd;
mod pdf;
mod png;
#[cfg(test)]
mod tests;

/// The code of the problem a malformed upload is refused with.
pub const CODE: &str = "upload.malformed";

/// How much is read at a time.
const BUF: usize = 64 * 1024;

/// Why a file is not what its kind says.
#[derive(Debug, thiserror::Error)]
pub enum Malformed {
    /// The file is not built as a `kind` file must be; `part` names the
    /// structure at fault (`pdf.startxref`, `png.crc` …) for the logs,
    /// not for the person, who is told the file seems damaged.
    #[error("upload.malformed: {part}")]
    Broken {
        /// The kind checked (`pdf`, `png`, `jpeg`, `ofd`).
        kind: &'static str,
        /// The structure at fault.
        part: &'static str,
    },
    /// The temporary file could not be read: the server's failure, not the
    /// file's.
    #[error("reading an upload to check it: {0}")]
    Io(#[from] std::io::Error),
}

impl Malformed {
    /// The problem a person is shown: [`CODE`] on the field `file`, with
    /// the kind (`PDF`) as `{type}`.
    pub fn problem(&self) -> FieldProblem {
        let kind = match self {
            Self::Broken { kind, .. } => kind.to_ascii_uppercase(),
            Self::Io(_) => String::new(),
        };
        FieldProblem::new("file", CODE, format!("文件已损坏或不是真正的{kind}文件"))
            .with("type", kind)
    }
}

impl From<Malformed> for FileError {
    fn from(m: Malformed) -> Self {
        match m {
            Malformed::Io(e) => FileError::Io(e),
            broken => FileError::Refused(broken.problem()),
        }
    }
}

/// Checks the structure of a `kind` file (a code of
/// [`super::SNIFFED`]: `pdf`, `png`, `jpeg` or `ofd`), reading it from
/// wherever it is positioned by seeking; the file must be open for
/// reading.
pub fn check(kind: &str, file: &mut std::fs::File) -> Result<(), Malformed> {
    check_in(kind, file)
}

/// [`check`] on anything that reads and seeks (the tests use memory).
fn check_in<R: Read + Seek>(kind: &str, r: &mut R) -> Result<(), Malformed> {
    let kind: &'static str = match kind {
        "pdf" => "pdf",
        "png" => "png",
        "jpeg" => "jpeg",
        "ofd" => "ofd",
        // A kind added to SNIFFED without a check here is refused, so the
        // tests that upload it say so at once.
        _ => {
            return Err(Malformed::Broken {
                kind: "unknown",
                part: "kind",
            });
        }
    };
    let mut src = Source::new(kind, r)?;
    match kind {
        "pdf" => pdf::check(&mut src),
        "png" => png::check(&mut src),
        "jpeg" => jpeg::check(&mut src),
        _ => ofd::check(&mut src),
    }
}

/// A file being checked: its length, known once, and reads at offsets
/// that never go past it.
struct Source<'r, R> {
    r: &'r mut R,
    len: u64,
    kind: &'static str,
}

impl<'r, R: Read + Seek> Source<'r, R> {
    fn new(kind: &'static str, r: &'r mut R) -> Result<Self, Malformed> {
        let len = r.seek(SeekFrom::End(0))?;
        Ok(Self { r, len, kind })
    }

    /// The error naming `part` of this file's kind.
    fn bad(&self, part: &'static str) -> Malformed {
        Malformed::Broken {
            kind: self.kind,
            part,
        }
    }

    /// Exactly `buf.len()` bytes at `at`; a file too short for them is
    /// broken at `part`.
    fn read_at(&mut self, at: u64, buf: &mut [u8], part: &'static str) -> Result<(), Malformed> {
        if at
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.len)
        {
            return Err(self.bad(part));
        }
        self.r.seek(SeekFrom::Start(at))?;
        self.r.read_exact(buf)?;
        Ok(())
    }

    /// Up to `max` bytes from `at`: fewer where the file ends.
    fn window(&mut self, at: u64, max: usize) -> Result<Vec<u8>, Malformed> {
        let n = self.len.saturating_sub(at).min(max as u64) as usize;
        let mut buf = vec![0; n];
        if n > 0 {
            self.read_at(at, &mut buf, "read")?;
        }
        Ok(buf)
    }

    /// Buffered reading from `at` on, never past the end.
    fn stream(&mut self, at: u64) -> Result<Stream<'_, R>, Malformed> {
        self.r.seek(SeekFrom::Start(at.min(self.len)))?;
        Ok(Stream {
            r: BufReader::with_capacity(BUF, &mut *self.r),
            pos: at.min(self.len),
            len: self.len,
            kind: self.kind,
        })
    }
}

/// Sequential reading with a 64 KiB buffer and the position kept.
struct Stream<'a, R> {
    r: BufReader<&'a mut R>,
    pos: u64,
    len: u64,
    kind: &'static str,
}

impl<R: Read + Seek> Stream<'_, R> {
    fn bad(&self, part: &'static str) -> Malformed {
        Malformed::Broken {
            kind: self.kind,
            part,
        }
    }

    /// Bytes left before the end of the file.
    fn left(&self) -> u64 {
        self.len - self.pos
    }

    /// The next byte, or `None` at the end.
    fn byte(&mut self) -> Result<Option<u8>, Malformed> {
        let b = self.peek()?;
        if b.is_some() {
            self.r.consume(1);
            self.pos += 1;
        }
        Ok(b)
    }

    /// The next byte without taking it.
    fn peek(&mut self) -> Result<Option<u8>, Malformed> {
        if self.pos >= self.len {
            return Ok(None);
        }
        Ok(self.r.fill_buf()?.first().copied())
    }

    /// Skips to the next `byte` (left unread), or to the end.
    fn skip_to(&mut self, byte: u8) -> Result<(), Malformed> {
        while self.pos < self.len {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let (k, found) = match buf.iter().position(|b| *b == byte) {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            self.r.consume(k);
            self.pos += k as u64;
            if found {
                break;
            }
        }
        Ok(())
    }

    /// Exactly `buf.len()` bytes, or broken at `part`.
    fn exact(&mut self, buf: &mut [u8], part: &'static str) -> Result<(), Malformed> {
        if (buf.len() as u64) > self.left() {
            return Err(self.bad(part));
        }
        self.r.read_exact(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    /// Passes `n` bytes to `each` in pieces of at most 64 KiB, or broken
    /// at `part` when fewer are left.
    fn pass(
        &mut self,
        mut n: u64,
        part: &'static str,
        mut each: impl FnMut(&[u8]),
    ) -> Result<(), Malformed> {
        if n > self.left() {
            return Err(self.bad(part));
        }
        while n > 0 {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Err(self.bad(part));
            }
            let k = buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            each(&buf[..k]);
            self.r.consume(k);
            self.pos += k as u64;
            n -= k as u64;
        }
        Ok(())
    }
}
