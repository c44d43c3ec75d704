//! Bulk import and export of the catalog in the national exchange field
//! names (spec §1.4–1.5: `catalog_code`, `task_code`, `task_name`, …), as
//! JSON or CSV.
//!
//! One flat record per implementation. Lists use `；` between entries;
//! materials use the compact form `名称*#证照:类型` (`*` = required,
//! `#证照:` / `#共享:` = fetched instead of asked for); fees `名称=标准@依据`;
//! FAQ `问题=回答`. Local extensions to the national names: `task_name_en`,
//! `division_code`, `theme`, `materials`, `charges`, `faq`, `aliases`.
//!
//! An import is all or nothing: every row is checked first and every
//! problem reported with its row and field; only a clean file is written,
//! in one transaction.

mod fields;
mod problems;
mod row;
#[cfg(test)]
mod tests;

pub use fields::*;
pub use problems::*;
pub use row::*;

use serde::{Deserialize, Serialize};
use tongban_domain::catalog::{
    CaseKind, Faq, Fee, Fetchable, Guide, Material, Situation, TimeLimit, TimeUnit, validate,
};
use tongban_domain::kernel::Role;

use crate::catalog::{self, CatalogError, NewItem, Prepared};
use crate::identity::Principal;
use crate::kernel::orgs::{self, Org};
use crate::platform::clock::now_ms;
use crate::platform::db::{Db, DbError};

use fields::exchange_field;

/// Every published implementation within `paths` (all when empty), in
/// exchange form, ordered by organisation and code.
pub async fn export(db: &Db) -> Result<Vec<ExchangeRow>, CatalogError> {
    let rows = crate::platform::db::query(
        "SELECT p.catalog_code, p.task_code, p.org_id, p.division_code, v.document FROM published_items p \
         JOIN organizations o ON o.id = p.org_id JOIN item_versions v ON v.id = p.version_id ORDER BY o.path, p.task_code",
    )
    .fetch_all(&db)
    .await?;
    let mut orgs_cache: Vec<Org> = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let org_id: i64 = r.try_get("org_id")?;
        let org = match orgs_cache.iter().find(|o| o.id == org_id) {
            Some(o) => o.clone(),
            None => {
                let o = orgs::get(db, org_id).await?.ok_or(CatalogError::NotFound)?;
                orgs_cache.push(o.clone());
                o
            }
        };
        let doc: String = r.try_get("document")?;
        let g: Guide = serde_json::from_str(&doc)
            .map_err(|e| DbError::Corrupt(format!("stored guide unreadable: {e}")))?;
        out.push(to_row(
            &r.try_get::<String, _>("catalog_code")?,
            &r.try_get::<String, _>("task_code")?,
            &org,
            &r.try_get::<String, _>("division_code")?,
            &g,
        ));
    }
    Ok(out)
}

/// Writes rows as CSV (UTF-8 with a byte-order mark, so spreadsheet
/// programs used in government offices open the Chinese text correctly).
pub fn to_csv(rows: &[ExchangeRow]) -> Result<Vec<u8>, CatalogError> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    for r in rows {
        w.serialize(r)
            .map_err(|e| DbError::Internal(e.to_string()))?;
    }
    w.into_inner()
        .map_err(|e| CatalogError::Db(DbError::Internal(e.to_string())))
}

/// Reads CSV rows; a malformed row is reported with its line. More than
/// [`MAX_ROWS`] rows are refused.
pub fn from_csv(data: &[u8]) -> Result<Vec<ExchangeRow>, Problems> {
    let data = data.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(data);
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(data);
    let mut rows = Vec::new();
    let mut errors = Problems::default();
    for (i, rec) in r.deserialize::<ExchangeRow>().enumerate() {
        if i == MAX_ROWS {
            return Err(too_many_rows());
        }
        match rec {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(RowError {
                row: i + 2,
                field: String::new(),
                message: format!("无法读取该行：{e}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn too_many_rows() -> Problems {
    Problems::whole_file(format!(
        "一个导入文件最多 {MAX_ROWS} 行，请分成几个文件导入"
    ))
}

/// Whether the actor may import at all (editors and system administrators),
/// and publish at once (system administrators). Decided before the file is
/// read, so an account without the right costs the platform nothing.
pub fn may_import(actor: &Principal, publish: bool) -> Result<(), CatalogError> {
    let editor = [Role::CatalogEditor, Role::SystemAdmin]
        .iter()
        .any(|r| actor.has_role(*r));
    if !editor || (publish && !actor.has_role(Role::SystemAdmin)) {
        return Err(CatalogError::Forbidden);
    }
    Ok(())
}

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file has problems; nothing was imported.
    #[error("导入文件有 {} 处问题，未导入任何数据", .0.total)]
    Rows(Problems),
    /// Storage failure.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl From<DbError> for ImportError {
    fn from(e: DbError) -> Self {
        Self::Catalog(CatalogError::Db(e))
    }
}

/// Imports rows: checks all, then writes all in one transaction. Items are
/// created as drafts for review, or published at once when `publish` is
/// set (system administrators only: for guides approved elsewhere, such as
/// the provincial catalog). `first_row` is the file row of `rows[0]`.
pub async fn import(
    db: &Db,
    actor: &Principal,
    rows: Vec<ExchangeRow>,
    publish: bool,
    first_row: usize,
) -> Result<usize, ImportError> {
    may_import(actor, publish)?;
    if rows.len() > MAX_ROWS {
        return Err(ImportError::Rows(too_many_rows()));
    }
    if rows.is_empty() {
        // An empty file is a mistake (the wrong file, a lost export), not
        // a successful import of nothing.
        return Err(ImportError::Rows(Problems::whole_file(
            "导入文件没有数据行".into(),
        )));
    }
    let lists = catalog::code_lists(db).await?;
    let mut errors = Problems::default();
    let mut prepared: Vec<Prepared> = Vec::new();
    // Departments by credit code, the unknown ones too: one lookup per code.
    let mut orgs_cache: std::collections::HashMap<String, Option<Org>> = Default::default();
    for (i, r) in rows.into_iter().enumerate() {
        let row_no = first_row + i;
        let (guide, problems) = guide_from_row(row_no, &r);
        for e in problems {
            errors.push(e);
        }
        for e in validate(&guide, &lists) {
            errors.push(RowError {
                row: row_no,
                field: exchange_field(&e.field).into(),
                message: e.message,
            });
        }
        let code = r.dept_code.trim().to_ascii_uppercase();
        let org = match orgs_cache.get(&code) {
            Some(o) => o.clone(),
            None => {
                let found = crate::platform::db::query(
                    "SELECT id FROM organizations WHERE credit_code = $1",
                )
                .bind(&code)
                .fetch_optional(&db)
                .await?;
                let o = match found {
                    Some(row) => Some(
                        orgs::get(db, row.try_get(0)?)
                            .await?
                            .ok_or(CatalogError::NotFound)?,
                    ),
                    None => None,
                };
                orgs_cache.insert(code.clone(), o.clone());
                o
            }
        };
        let Some(org) = org else {
            errors.push(RowError {
                row: row_no,
                field: "dept_code".into(),
                message: format!("实施主体代码“{code}”不是平台上的机构"),
            });
            continue;
        };
        if ![Role::CatalogEditor, Role::SystemAdmin]
            .iter()
            .any(|role| actor.can(*role, &org.path))
        {
            errors.push(RowError {
                row: row_no,
                field: "dept_code".into(),
                message: "该实施主体不在您的管理范围内".into(),
            });
            continue;
        }
        let new = NewItem {
            catalog_code: r.catalog_code,
            task_code: r.task_code,
            org_id: org.id,
            division_code: r.division_code,
            guide,
        };
        match catalog::prepare(&org, new) {
            Ok(p) => {
                if prepared.iter().any(|q| q.task_code() == p.task_code()) {
                    errors.push(RowError {
                        row: row_no,
                        field: "task_code".into(),
                        message: "实施编码在文件中重复".into(),
                    });
                } else {
                    let exists = crate::platform::db::query(
                        "SELECT 1 FROM service_items WHERE task_code = $1",
                    )
                    .bind(p.task_code())
                    .fetch_optional(&db)
                    .await?;
                    if exists.is_some() {
                        errors.push(RowError {
                            row: row_no,
                            field: "task_code".into(),
                            message: format!("实施编码 {} 已存在", p.task_code()),
                        });
                    }
                    prepared.push(p);
                }
            }
            Err(CatalogError::Code(e)) => errors.push(RowError {
                row: row_no,
                field: "catalog_code".into(),
                message: e.to_string(),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows(errors));
    }
    let actor_id = Some(actor.account.id);
    let n = prepared.len();
    db.write(crate::tx!(c => {
        let now = now_ms();
        for p in &prepared {
            let ids = catalog::insert_prepared(c, p, actor_id, now).await?;
            if publish {
                catalog::publish_inserted(c, p, ids, actor_id, now).await?;
            }
        }
        Ok::<_, CatalogError>(())
    }))
    .await?;
    Ok(n)
}
