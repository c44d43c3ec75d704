//! The file store: uploaded documents kept in the data folder under their
//! SHA-256 (so the same file is stored once), described in the `files`
//! table. Used for the blank forms and samples of catalog materials.
//!
//! A file is named to the outside by an unguessable key. What refers to it
//! is recorded in `file_refs` by the capability that refers to it
//! ([`set_refs`]); the capability decides who may download it, and a file
//! nobody refers to is removed by [`purge_unreferenced`] once its upload is
//! well past (so an upload whose save is still in flight is never raced).
//!
//! Beyond one machine the folder must be shared storage (an S3-compatible
//! store is the plan in DESIGN.md); every node reads and writes the same
//! content addresses.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::platform::clock::now_ms;
use crate::platform::db::{Db, DbError};

pub mod structure;

/// Largest file accepted.
pub const MAX_FILE: usize = 10 * 1024 * 1024;

/// File kinds accepted, by extension: (extension, content type).
pub const ALLOWED: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("ofd", "application/ofd"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
];

/// A stored file's description.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoredFile {
    /// Id.
    pub id: i64,
    /// The unguessable key that names it in links (`/files/{key}`).
    pub key: String,
    /// Who uploaded it.
    pub created_by: Option<i64>,
    /// Name as uploaded.
    pub name: String,
    /// Content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content.
    pub sha256: String,
}

/// Why a file was refused or could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Empty, too large, or a kind not accepted: the problem with the file.
    #[error("{}", .0.message)]
    Refused(tongban_domain::FieldProblem),
    /// Not found.
    #[error("文件不存在")]
    NotFound,
    /// Disk failure.
    #[error("file store: {0}")]
    Io(#[from] std::io::Error),
    /// Storage failure.
    #[error(transparent)]
    Db(#[from] DbError),
}

fn refused(code: &'static str, message: &str) -> FileError {
    FileError::Refused(tongban_domain::FieldProblem::new("file", code, message))
}

fn path_of(root: &Path, sha: &str) -> PathBuf {
    root.join("files").join(&sha[..2]).join(sha)
}

/// The content type for a file name, if the kind is accepted.
pub fn kind_of(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    ALLOWED.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t)
}

/// Stores a file; returns its description. The content is written and
/// synced before the row is committed, so a row never points at nothing.
pub async fn store(
    db: &Db,
    root: &Path,
    name: &str,
    bytes: Vec<u8>,
    actor: Option<i64>,
) -> Result<StoredFile, FileError> {
    let name = clean_name(name);
    if bytes.is_empty() {
        return Err(refused("empty", "文件为空"));
    }
    if bytes.len() > MAX_FILE {
        return Err(refused("too_large", "文件不能超过10MB"));
    }
    let content_type = kind_of(&name)
        .ok_or_else(|| refused("file_type", "只接受 PDF、OFD、Word、Excel、PNG、JPG 文件"))?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as i64;
    // The row first, then the content, always (see `record`).
    let target = path_of(root, &sha);
    let stored = record(db, name, content_type, sha, size, actor).await?;
    on_disk(move || {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = target.with_extension(format!("part{}", new_key()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })
    .await?;
    Ok(stored)
}

/// A file name as stored: no invisible controls (a right-to-left override
/// would show `x\u{202E}fdp.exe` as `xexe.pdf`; see
/// `tongban_domain::text`) or path separators, 120 characters at most.
fn clean_name(name: &str) -> String {
    tongban_domain::text::visible(name)
        .trim()
        .chars()
        .filter(|c| *c != '/' && *c != '\\')
        .take(120)
        .collect()
}

/// Records a file's row (under its hash's lock) before its content is put
/// in place: the row is committed before the content is written, and the
/// content is always written (never "already there, skip"), so a purge
/// that removes the content of a hash no row names either ran wholly before
/// this row (and the write restores the content) or sees this row and
/// keeps it. On PostgreSQL both take a lock on the hash for that.
async fn record(
    db: &Db,
    name: String,
    content_type: &'static str,
    sha: String,
    size: i64,
    actor: Option<i64>,
) -> Result<StoredFile, DbError> {
    let row = FileRow {
        name,
        content_type,
        sha256: sha,
        size,
    };
    let engine = db.engine();
    db.write(crate::tx!(c => { row.insert(c, engine, actor).await }))
        .await
}

/// A new file key: 128 random bits, hex.
fn new_key() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

const FILE_COLS: &str = "id, public_key, created_by, name, content_type, size, sha256";

fn file_from_row(r: &crate::platform::db::Row) -> Result<StoredFile, DbError> {
    Ok(StoredFile {
        id: r.try_get("id")?,
        key: r.try_get("public_key")?,
        created_by: r.try_get("created_by")?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
    })
}

/// A file's description, by its key.
pub async fn by_key(db: &Db, key: &str) -> Result<StoredFile, FileError> {
    let r = crate::platform::db::query(format!(
        "SELECT {FILE_COLS} FROM files WHERE public_key = $1"
    ))
    .bind(key)
    .fetch_optional(&db)
    .await?
    .ok_or(FileError::NotFound)?;
    Ok(file_from_row(&r)?)
}

/// Records what an owner refers to, inside the owner's transaction: the
/// owner's earlier references are replaced. Keys of no stored file are
/// skipped (a guide may carry text where a file would be).
pub async fn set_refs(
    c: &mut crate::platform::db::Conn,
    owner_kind: &str,
    owner_id: i64,
    keys: &[&str],
) -> Result<(), DbError> {
    crate::platform::db::query("DELETE FROM file_refs WHERE owner_kind = $1 AND owner_id = $2")
        .bind(owner_kind)
        .bind(owner_id)
        .execute(&mut *c)
        .await?;
    for key in keys {
        crate::platform::db::query(
            "INSERT INTO file_refs (file_id, owner_kind, owner_id) \
             SELECT id, $2, $3 FROM files WHERE public_key = $1 ON CONFLICT DO NOTHING",
        )
        .bind(*key)
        .bind(owner_kind)
        .bind(owner_id)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// The owners that refer to a file, as `(owner_kind, owner_id)`.
pub async fn refs(db: &Db, file_id: i64) -> Result<Vec<(String, i64)>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT owner_kind, owner_id FROM file_refs WHERE file_id = $1 ORDER BY owner_kind, owner_id",
    )
    .bind(file_id)
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("owner_kind")?, r.try_get("owner_id")?)))
        .collect()
}

/// How long an unreferenced file is kept after its upload: the upload and
/// the save that refers to it are two steps, and a save may wait on a slow
/// editor's conflict; a day is far beyond any of that.
pub const UNREFERENCED_GRACE_MS: i64 = 24 * 3600 * 1000;

/// Removes files that nothing refers to and that were uploaded more than
/// [`UNREFERENCED_GRACE_MS`] before `now` (failed saves, replaced
/// attachments); their content goes too unless another row shares it.
/// Returns how many were removed.
pub async fn purge_unreferenced(db: &Db, root: &Path, now: i64) -> Result<usize, FileError> {
    let cutoff = now - UNREFERENCED_GRACE_MS;
    let engine = db.engine();
    let root = root.to_path_buf();
    let removed = db
        .write(crate::tx!(c => {
            let rows = crate::platform::db::query(
                "DELETE FROM files WHERE created_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM file_refs r WHERE r.file_id = files.id) \
                 RETURNING sha256",
            )
            .bind(cutoff)
            .fetch_all(&mut *c)
            .await?;
            let removed = rows.len();
            let mut hashes: Vec<String> = Vec::new();
            for r in rows {
                let sha: String = r.try_get(0)?;
                if !hashes.contains(&sha) {
                    hashes.push(sha);
                }
            }
            for sha in hashes {
                // Under the hash's lock, so an upload of the same
                // content waits (see `store`).
                lock_hash(c, engine, &sha).await?;
                let shared = crate::platform::db::query("SELECT 1 FROM files WHERE sha256 = $1 LIMIT 1")
                    .bind(&sha)
                    .fetch_optional(&mut *c)
                    .await?;
                if shared.is_none() {
                    match tokio::fs::remove_file(path_of(&root, &sha)).await {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(FileError::Io(e)),
                    }
                }
            }
            Ok::<_, FileError>(removed)
        }))
        .await?;
    Ok(removed)
}

/// On PostgreSQL, a transaction lock on a content hash, so an upload and a
/// purge of the same content take turns (SQLite has one writer anyway).
async fn lock_hash(
    c: &mut crate::platform::db::Conn,
    engine: crate::platform::db::Engine,
    sha: &str,
) -> Result<(), DbError> {
    if engine == crate::platform::db::Engine::Postgres {
        crate::platform::db::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(sha)
            .execute(c)
            .await?;
    }
    Ok(())
}

/// A file's content.
pub async fn read(root: &Path, f: &StoredFile) -> Result<Vec<u8>, FileError> {
    match tokio::fs::read(path_of(root, &f.sha256)).await {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FileError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// A stored content opened for reading, by its SHA-256.
pub async fn open(root: &Path, sha256: &str) -> Result<tokio::fs::File, FileError> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(FileError::NotFound);
    }
    match tokio::fs::File::open(path_of(root, sha256)).await {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FileError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// A file type known by its content, not by its name: (code, content type).
pub const SNIFFED: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("ofd", "application/ofd"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
];

/// The type of a file from its first bytes and its last ones (an OFD
/// package is a ZIP whose directory names `OFD.xml`).
pub fn sniff(head: &[u8], tail: &[u8]) -> Option<&'static str> {
    let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    if head.starts_with(b"%PDF-") {
        Some("pdf")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some("jpeg")
    } else if head.starts_with(b"PK\x03\x04") && (has(head, b"OFD.xml") || has(tail, b"OFD.xml")) {
        Some("ofd")
    } else {
        None
    }
}

/// A file received whole into the store's temporary folder: counted,
/// hashed, typed by its content and synced, not yet recorded. Record its
/// row with [`FileRow::insert`] inside the transaction that uses it, then
/// [`Received::place`] the content once that has committed (the row
/// first, then the content, as [`store`] does). Dropped unplaced, the
/// temporary file goes.
pub struct Received {
    /// The row to record.
    pub row: FileRow,
    tmp: Cleanup,
    target: PathBuf,
}

/// A file's row as [`record`] writes it, to be written inside a caller's
/// transaction.
#[derive(Debug, Clone)]
pub struct FileRow {
    /// Name as uploaded (cleaned).
    pub name: String,
    /// Content type, by content.
    pub content_type: &'static str,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
}

impl FileRow {
    /// Inserts the row under its hash's lock, inside the caller's
    /// transaction.
    pub async fn insert(
        &self,
        c: &mut crate::platform::db::Conn,
        engine: crate::platform::db::Engine,
        actor: Option<i64>,
    ) -> Result<StoredFile, DbError> {
        let key = new_key();
        lock_hash(c, engine, &self.sha256).await?;
        let r = crate::platform::db::query("INSERT INTO files (sha256, name, content_type, size, created_by, created_at, public_key) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(&self.sha256)
            .bind(&self.name)
            .bind(self.content_type)
            .bind(self.size)
            .bind(actor)
            .bind(now_ms())
            .bind(&key)
            .fetch_one(c)
            .await?;
        Ok(StoredFile {
            id: r.try_get::<i64, _>(0)?,
            key,
            created_by: actor,
            name: self.name.clone(),
            content_type: self.content_type.to_owned(),
            size: self.size,
            sha256: self.sha256.clone(),
        })
    }
}

/// Removes a temporary file on every way out but success.
struct Cleanup(Option<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Received {
    /// Moves the content into the store, once its row is committed.
    pub async fn place(mut self) -> Result<(), FileError> {
        let Some(tmp) = self.tmp.0.take() else {
            return Ok(());
        };
        let target = self.target.clone();
        let moved =
            on_disk(move || Ok(std::fs::rename(&tmp, &target).map_err(|e| (tmp, e)))).await?;
        if let Err((tmp, e)) = moved {
            self.tmp.0 = Some(tmp);
            return Err(e.into());
        }
        Ok(())
    }
}

/// How much of an upload is gathered before it is written: a write is then
/// a hop to a blocking thread per quarter megabyte, and an upload holds no
/// more than about this much in memory.
const CHUNK: usize = 256 * 1024;

/// How much of the start and the end of a file [`sniff`] is shown.
const EDGE: usize = 64 * 1024;

/// A temporary file being written and what is known of its content so
/// far. It moves onto a blocking thread for each chunk that has arrived and
/// back, so that an upload waiting on the network holds no thread. It owns
/// the clean-up: an upload given up while a write runs (its future
/// dropped) still loses its temporary file when the write returns.
struct Writing {
    file: std::fs::File,
    hasher: Sha256,
    head: Vec<u8>,
    tail: Vec<u8>,
    cleanup: Cleanup,
}

impl Writing {
    fn create(dir: &Path, tmp: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        // Readable too, so that checks of its structure can read it back.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        Ok(Self {
            file,
            hasher: Sha256::new(),
            head: Vec::with_capacity(EDGE),
            tail: Vec::with_capacity(2 * EDGE),
            cleanup: Cleanup(Some(tmp)),
        })
    }

    fn write(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.hasher.update(b);
        if self.head.len() < EDGE {
            self.head
                .extend_from_slice(&b[..b.len().min(EDGE - self.head.len())]);
        }
        // The last EDGE bytes at least, trimmed only now and then.
        if b.len() >= EDGE {
            self.tail.clear();
            self.tail.extend_from_slice(&b[b.len() - EDGE..]);
        } else {
            self.tail.extend_from_slice(b);
            if self.tail.len() > 2 * EDGE {
                self.tail.drain(..self.tail.len() - EDGE);
            }
        }
        self.file.write_all(b)
    }
}

/// Runs a step of an upload on the files lane.
async fn on_disk<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, FileError> {
    crate::platform::lanes::files()
        .run(f)
        .await
        .map_err(|e| FileError::Io(std::io::Error::other(e.to_string())))?
        .map_err(FileError::Io)
}

/// Receives a file that arrives in pieces. The pieces are gathered as they
/// come, with no thread held while the network is idle; each quarter
/// megabyte gathered is written and hashed on the files lane (so no more
/// than about that is held in memory). The upload is refused as soon as it
/// passes `max_bytes`; at the end its type is decided by its content and
/// refused unless among `types` (codes of [`SNIFFED`]), and only then is it
/// synced. Nothing of a refused or broken upload stays on disk.
pub async fn receive<S, B, E>(
    root: &Path,
    name: &str,
    mut pieces: S,
    max_bytes: u64,
    types: &[String],
) -> Result<Received, FileError>
where
    S: futures::Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    use futures::StreamExt;
    let name = clean_name(name);
    let tmp_dir = root.join("tmp");
    let tmp = tmp_dir.join(format!("upload-{}", new_key()));
    let mut writing = on_disk(move || Writing::create(&tmp_dir, tmp)).await?;
    let mut gathered: Vec<u8> = Vec::with_capacity(CHUNK);
    let mut size: u64 = 0;
    // Every way out of this loop drops `writing`, which removes the file.
    while let Some(piece) = pieces.next().await {
        let piece = piece.map_err(|e| FileError::Io(std::io::Error::other(e.to_string())))?;
        let b = piece.as_ref();
        size += b.len() as u64;
        if size > max_bytes {
            return Err(FileError::Refused(
                tongban_domain::FieldProblem::new(
                    "file",
                    "upload.too_large",
                    "文件超过该材料的大小上限",
                )
                .with("max", (max_bytes / (1024 * 1024)).to_string()),
            ));
        }
        gathered.extend_from_slice(b);
        if gathered.len() >= CHUNK {
            let chunk = std::mem::take(&mut gathered);
            let (w, mut chunk) = on_disk(move || {
                writing.write(&chunk)?;
                Ok((writing, chunk))
            })
            .await?;
            writing = w;
            // The chunk's memory serves the next one.
            chunk.clear();
            gathered = chunk;
        }
    }
    if size == 0 {
        return Err(refused("upload.empty", "文件为空"));
    }
    let taken = types.to_vec();
    let store_root = root.to_path_buf();
    let written = on_disk(move || {
        writing.write(&gathered)?;
        let Writing {
            mut file,
            hasher,
            head,
            tail,
            cleanup,
        } = writing;
        let Some(kind) = sniff(&head, &tail).filter(|k| taken.iter().any(|t| t == k)) else {
            return Ok(None);
        };
        // Its structure is read back for its kind before it is synced: a
        // damaged or disguised file is refused (and `cleanup` removes it).
        if let Err(m) = structure::check(kind, &mut file) {
            return Ok(Some(Err(m)));
        }
        file.sync_all()?;
        drop(file);
        let sha = hex::encode(hasher.finalize());
        let target = path_of(&store_root, &sha);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(Some(Ok((sha, kind, target, cleanup))))
    })
    .await?
    .map(|checked| {
        checked.map_err(|m| {
            if let structure::Malformed::Broken { part, .. } = &m {
                tracing::info!(upload.part = %part, "upload refused: malformed");
            }
            FileError::from(m)
        })
    })
    .transpose()?;
    let Some((sha256, kind, target, cleanup)) = written else {
        return Err(FileError::Refused(
            tongban_domain::FieldProblem::new(
                "file",
                "upload.file_type",
                "文件类型不在该材料接受的范围内",
            )
            .with("types", types.join("、").to_ascii_uppercase()),
        ));
    };
    let content_type = SNIFFED
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("application/octet-stream", |(_, t)| *t);
    Ok(Received {
        row: FileRow {
            name,
            content_type,
            sha256,
            size: size as i64,
        },
        tmp: cleanup,
        target,
    })
}

/// Stores a file that arrives in pieces: [`receive`]d, its row recorded on
/// its own, then placed.
pub async fn store_stream<S, B, E>(
    db: &Db,
    root: &Path,
    name: &str,
    pieces: S,
    max_bytes: u64,
    types: &[String],
    actor: Option<i64>,
) -> Result<StoredFile, FileError>
where
    S: futures::Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let received = receive(root, name, pieces, max_bytes, types).await?;
    let row = received.row.clone();
    let engine = db.engine();
    let stored = db
        .write(crate::tx!(c => { row.insert(c, engine, actor).await }))
        .await?;
    received.place().await?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::{clean_name, sniff};

    #[test]
    fn names_lose_invisible_controls_and_separators() {
        assert_eq!(
            clean_name(" 申请书\u{202E}fdp.exe\u{200B}.pdf "),
            "申请书fdp.exe.pdf"
        );
        assert_eq!(clean_name("\u{200B} ../a\\b\n.pdf"), "..ab.pdf");
        assert_eq!(clean_name(&"长".repeat(200)).chars().count(), 120);
    }

    #[test]
    fn types_are_read_from_the_content() {
        assert_eq!(sniff(b"%PDF-1.4\n", b""), Some("pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", b""), Some("png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0..JFIF", b""), Some("jpeg"));
        // An OFD package: a ZIP whose first entry, or whose directory at the
        // end, names OFD.xml. A ZIP that does not is no OFD (a .docx, say).
        assert_eq!(
            sniff(b"PK\x03\x04\x14\x00\x00\x00\x08\x00OFD.xml", b""),
            Some("ofd")
        );
        assert_eq!(
            sniff(
                b"PK\x03\x04\x14\x00",
                b"...PK\x01\x02....OFD.xml...PK\x05\x06"
            ),
            Some("ofd")
        );
        assert_eq!(
            sniff(
                b"PK\x03\x04\x14\x00[Content_Types].xml",
                b"word/document.xml"
            ),
            None
        );
        assert_eq!(sniff(b"GIF89a", b""), None);
        assert_eq!(sniff(b"", b""), None);
    }
}
