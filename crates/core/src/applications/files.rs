//! The files given for an application's materials, opened to be read: by
//! the applicant and the person acting for them (while their authority
//! holds), and by the acceptance staff in whose scope the case is, each
//! staff open recorded like their reading of the case.

use tongban_domain::applications::ReadPurpose;

use super::{ApplicationError, GivenFile};
use crate::identity::Principal;
use crate::platform::clock::Millis;
use crate::platform::db::{Db, DbError};
use crate::platform::files;

/// A given file ready to be sent: what it is, and its content opened.
#[derive(Debug)]
pub struct FileToSend {
    /// The giving: name, type by content, size, trust and origin.
    pub given: GivenFile,
    /// The content, read from the start.
    pub content: tokio::fs::File,
}

/// File `given_id` of the actor's application `public_id` (the applicant's,
/// or one they act for while their authority holds); `NotFound` for a file
/// of another application.
pub async fn open_file(
    db: &Db,
    root: &std::path::Path,
    actor: &Principal,
    public_id: &str,
    given_id: i64,
) -> Result<FileToSend, ApplicationError> {
    let (row_id, _) = super::drafts::load(db, actor, public_id).await?;
    send(db, root, row_id, given_id).await
}

/// File `given_id` of case `case_number`: for the acceptance staff in
/// whose scope it is (the open is recorded at `now`, as `purpose`: opened,
/// or shown as a thumbnail), or for its applicant and the person acting;
/// `NotFound` for anyone else.
pub async fn open_case_file(
    db: &Db,
    root: &std::path::Path,
    actor: &Principal,
    case_number: &str,
    given_id: i64,
    purpose: ReadPurpose,
    now: Millis,
) -> Result<FileToSend, ApplicationError> {
    let row_id = match super::acceptance::scoped(db, actor, case_number).await {
        Ok((row_id, _)) => {
            let file = send(db, root, row_id, given_id).await?;
            let actor_id = actor.account.id;
            db.write(crate::tx!(c => {
                crate::platform::db::query(
                    "INSERT INTO application_reads (application_id, actor_id, purpose, created_at, given_id) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(row_id)
                .bind(actor_id)
                .bind(purpose.code())
                .bind(now)
                .bind(given_id)
                .execute(c)
                .await?;
                Ok::<_, DbError>(())
            }))
            .await?;
            return Ok(file);
        }
        Err(ApplicationError::NotFound) => {
            super::acceptance::own_case(db, actor, case_number).await?.0
        }
        Err(e) => return Err(e),
    };
    send(db, root, row_id, given_id).await
}

async fn send(
    db: &Db,
    root: &std::path::Path,
    row_id: i64,
    given_id: i64,
) -> Result<FileToSend, ApplicationError> {
    let given = super::materials::given(db, row_id)
        .await?
        .into_iter()
        .find(|f| f.id == given_id)
        .ok_or(ApplicationError::NotFound)?;
    let content = match files::open(root, &given.sha256).await {
        Ok(f) => f,
        Err(files::FileError::NotFound) => return Err(ApplicationError::NotFound),
        Err(e) => return Err(DbError::Internal(e.to_string()).into()),
    };
    Ok(FileToSend { given, content })
}
