//! The file store: uploaded documents kept in the data folder under their
//! SHA-256 (so the same file is stored once), described in the `files`
//! table. Used for the blank forms and samples of catalog materials.
//!
//! Beyond one machine the folder must be shared storage (an S3-compatible
//! store is the plan in DESIGN.md); every node reads and writes the same
//! content addresses.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::clock::now_ms;
use crate::db::{Db, DbError};

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
    /// Empty, too large, or a kind not accepted.
    #[error("{0}")]
    Refused(String),
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

impl From<sqlx::Error> for FileError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::from(e))
    }
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
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(120)
        .collect();
    if bytes.is_empty() {
        return Err(FileError::Refused("文件为空".into()));
    }
    if bytes.len() > MAX_FILE {
        return Err(FileError::Refused("文件不能超过10MB".into()));
    }
    let content_type = kind_of(&name)
        .ok_or_else(|| FileError::Refused("只接受 PDF、OFD、Word、Excel、PNG、JPG 文件".into()))?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let target = path_of(root, &sha);
    let size = bytes.len() as i64;
    let target2 = target.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if target2.exists() {
            return Ok(());
        }
        if let Some(dir) = target2.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = target2.with_extension("part");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target2)
    })
    .await
    .map_err(|e| FileError::Io(std::io::Error::other(e.to_string())))??;
    let (n, ct, sh) = (name.clone(), content_type.to_owned(), sha.clone());
    let id = db
        .write(move |c| {
            Box::pin(async move {
                let r = sqlx::query("INSERT INTO files (sha256, name, content_type, size, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                    .bind(&sh)
                    .bind(&n)
                    .bind(&ct)
                    .bind(size)
                    .bind(actor)
                    .bind(now_ms())
                    .fetch_one(c)
                    .await?;
                Ok::<_, DbError>(r.try_get::<i64, _>(0)?)
            })
        })
        .await?;
    Ok(StoredFile {
        id,
        name,
        content_type: content_type.to_owned(),
        size,
        sha256: sha,
    })
}

/// A file's description.
pub async fn get(db: &Db, id: i64) -> Result<StoredFile, FileError> {
    let r = sqlx::query("SELECT id, name, content_type, size, sha256 FROM files WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(FileError::NotFound)?;
    Ok(StoredFile {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        content_type: r.try_get(2)?,
        size: r.try_get(3)?,
        sha256: r.try_get(4)?,
    })
}

/// A file's content.
pub async fn read(root: &Path, f: &StoredFile) -> Result<Vec<u8>, FileError> {
    match tokio::fs::read(path_of(root, &f.sha256)).await {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FileError::NotFound),
        Err(e) => Err(e.into()),
    }
}
