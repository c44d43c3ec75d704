//! Following a case without an account (办件查询): by its 办件编号 and the
//! query code printed on the receipt, for a walk-in applicant. Wrong
//! guesses are limited per address, and what is shown names no one in full.

use sha2::{Digest, Sha256};
use tongban_domain::applications::State;

use super::ApplicationError;
use crate::platform::clock::Millis;
use crate::platform::db::{Db, DbError};
use crate::platform::throttle::{self, Limit, Refusal};

/// Wrong guesses allowed per address in a quarter of an hour.
const GUESSES: Limit = Limit {
    max: 10,
    window_ms: 15 * 60 * 1000,
};

/// What the query shows.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// 办件编号.
    pub case_number: String,
    /// Item name.
    pub item_name: String,
    /// The applicant's name, masked (张*明).
    pub applicant: String,
    /// State.
    pub state: State,
    /// Received.
    pub submitted_at: Option<Millis>,
    /// Accepted.
    pub accepted_at: Option<Millis>,
    /// 承诺办结日期.
    pub promised_date: Option<String>,
    /// 法定办结日期, once accepted.
    pub legal_date: Option<String>,
    /// It falls in a year whose arrangement is not yet published (暂定).
    pub provisional: bool,
    /// The official documents: title and number.
    pub documents: Vec<(String, String)>,
    /// Its steps so far, oldest first.
    pub timeline: Vec<(tongban_domain::applications::Milestone, Millis)>,
}

/// Why a query was not answered.
#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    /// No case with that number and code.
    #[error("办件编号或查询码不正确")]
    NotFound,
    /// Too many wrong guesses from this address.
    #[error("查询次数过多")]
    TooMany {
        /// until when
        until: Millis,
    },
    /// Storage.
    #[error(transparent)]
    Application(#[from] ApplicationError),
}

/// A name with every character but the first and last masked.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 | 1 => name.to_owned(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// A case by number and query code, for anyone holding the receipt; wrong
/// guesses from `origin` (the client's address) are limited.
pub async fn track(
    db: &Db,
    origin: &str,
    case_number: &tongban_domain::applications::CaseNo,
    code: &str,
) -> Result<Tracked, TrackError> {
    let claim = match throttle::claim(db, &format!("track:{origin}"), GUESSES)
        .await
        .map_err(ApplicationError::from)?
    {
        Ok(c) => c,
        Err(Refusal::Blocked { until }) => return Err(TrackError::TooMany { until }),
        Err(Refusal::Busy) => {
            return Err(TrackError::TooMany {
                until: crate::platform::clock::now_ms() + 60_000,
            });
        }
    };
    let found = find(db, case_number.as_str(), code).await;
    let failed = matches!(found, Err(TrackError::NotFound));
    if let Err(e) = throttle::settle(db, claim, failed).await {
        tracing::warn!(error = %e, "throttle settle failed");
    }
    found
}

async fn find(db: &Db, case_number: &str, code: &str) -> Result<Tracked, TrackError> {
    let row = crate::platform::db::query(
        "SELECT a.id, a.case_number, a.query_code, a.state, a.submitted_at, a.accepted_at, a.promised_date, a.legal_date, \
         p.display_name, v.name AS item_name FROM applications a JOIN accounts p ON p.id = a.applicant_id \
         LEFT JOIN published_items v ON v.task_code = a.task_code WHERE a.case_number = $1",
    )
    .bind(case_number)
    .fetch_optional(&db)
    .await
    .map_err(ApplicationError::from)?;
    let Some(r) = row else {
        return Err(TrackError::NotFound);
    };
    let stored: Option<String> = r.try_get("query_code").map_err(ApplicationError::from)?;
    let given = code.trim().to_ascii_uppercase();
    // Compared as digests, so the time taken says nothing about the code.
    if stored.is_none_or(|s| Sha256::digest(s.as_bytes()) != Sha256::digest(given.as_bytes())) {
        return Err(TrackError::NotFound);
    }
    let get = |e: DbError| TrackError::Application(e.into());
    let id: i64 = r.try_get("id").map_err(get)?;
    let promised: Option<String> = r.try_get("promised_date").map_err(get)?;
    let state: String = r.try_get("state").map_err(get)?;
    let legal: Option<String> = r.try_get("legal_date").map_err(get)?;
    let documents = crate::platform::db::query(
        "SELECT number, body FROM application_documents WHERE application_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&db)
    .await
    .map_err(get)?
    .iter()
    .map(|d| {
        let body: String = d.try_get("body").unwrap_or_default();
        let title = serde_json::from_str::<crate::platform::pdf::Official>(&body)
            .map(|o| o.title)
            .unwrap_or_default();
        (title, d.try_get("number").unwrap_or_default())
    })
    .collect();
    Ok(Tracked {
        case_number: r.try_get("case_number").map_err(get)?,
        item_name: r
            .try_get::<Option<String>, _>("item_name")
            .map_err(get)?
            .unwrap_or_default(),
        applicant: mask_name(&r.try_get::<String, _>("display_name").map_err(get)?),
        state: State::from_code(&state).unwrap_or(State::Submitted),
        submitted_at: r.try_get("submitted_at").map_err(get)?,
        accepted_at: r.try_get("accepted_at").map_err(get)?,
        provisional: super::acceptance::tentative(db, &[promised.as_deref(), legal.as_deref()])
            .await
            .map_err(|e| TrackError::Application(e.into()))?,
        promised_date: promised,
        legal_date: legal,
        documents,
        timeline: super::standing::timeline(db, id)
            .await
            .map_err(|e| TrackError::Application(e.into()))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_but_for_the_ends() {
        assert_eq!(mask_name("张晓明"), "张*明");
        assert_eq!(mask_name("李娜"), "李*");
        assert_eq!(mask_name("欧阳文华"), "欧**华");
        assert_eq!(mask_name("王"), "王");
    }
}
