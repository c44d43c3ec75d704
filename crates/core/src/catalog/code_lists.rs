//! The life-event themes and the code lists the specification leaves open, kept by system administrators, every edit logged.

use super::*;

/// Whether a code of a platform list (themes, code lists) has the allowed
/// shape: 1–40 lower-case letters, digits or underscores.
fn code_shape_ok(code: &str) -> bool {
    (1..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Adds a life-event theme or renames an existing one (system
/// administrators: the theme list is a platform-wide code list).
pub async fn save_theme(
    db: &Db,
    actor: &Principal,
    code: &str,
    audience: &str,
    name_zh: &str,
    name_en: &str,
    sort_order: i64,
) -> Result<(), CatalogError> {
    if !actor.has_role(Role::SystemAdmin) {
        return Err(CatalogError::Forbidden);
    }
    let code = code.trim().to_owned();
    let mut problems = Vec::new();
    let mut problem = |field: &str, code: &'static str, message: &str| {
        problems.push(GuideError::new(field, code, message));
    };
    if !code_shape_ok(&code) {
        problem(
            "code",
            "invalid",
            "主题代码应为1至40位小写字母、数字或下划线",
        );
    }
    if !matches!(audience, "person" | "enterprise") {
        problem("audience", "invalid", "服务对象应为自然人或法人");
    }
    if name_zh.trim().is_empty() {
        problem("name_zh", "required", "主题名称不能为空");
    }
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    let actor_id = actor.account.id;
    let (audience, name_zh, name_en) = (
        audience.to_owned(),
        name_zh.trim().to_owned(),
        name_en.trim().to_owned(),
    );
    db.write(crate::tx!(c => {
            crate::platform::db::query(
                "INSERT INTO themes (code, audience, name_zh, name_en, sort_order) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (code) DO UPDATE SET audience = excluded.audience, name_zh = excluded.name_zh, \
                 name_en = excluded.name_en, sort_order = excluded.sort_order",
            )
            .bind(&code)
            .bind(&audience)
            .bind(&name_zh)
            .bind(&name_en)
            .bind(sort_order)
            .execute(&mut *c)
            .await?;
            log_code_edit(c, "theme", &code, &name_zh, &name_en, actor_id).await?;
            Ok::<_, CatalogError>(())
        }))
    .await
}

/// Records an edit of a code list or theme: the audit trail of the catalog's
/// vocabulary, and the move of its generation.
async fn log_code_edit(
    c: &mut AnyConnection,
    list: &str,
    code: &str,
    name_zh: &str,
    name_en: &str,
    actor_id: i64,
) -> Result<(), CatalogError> {
    crate::platform::db::query(
        "INSERT INTO code_list_events (list, code, name_zh, name_en, actor_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(list)
    .bind(code)
    .bind(name_zh)
    .bind(name_en)
    .bind(actor_id)
    .bind(now_ms())
    .execute(c)
    .await?;
    Ok(())
}

/// The configured code lists (defaults for lists never edited).
pub async fn code_lists(db: &Db) -> Result<CodeLists, CatalogError> {
    let rows = crate::platform::db::query(
        "SELECT list, code, name_zh, name_en FROM code_lists ORDER BY list, sort_order, code",
    )
    .fetch_all(&db)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let list: String = r.try_get("list")?;
        // A row of a list this build does not know is ignored, not fatal.
        if let Some(list) = CodeList::parse(&list) {
            out.push((
                list,
                CodeEntry {
                    code: r.try_get("code")?,
                    zh: r.try_get("name_zh")?,
                    en: r.try_get("name_en")?,
                },
            ));
        }
    }
    Ok(CodeLists::from_rows(out))
}

/// One edit of a code-list entry, as a system administrator typed it.
#[derive(Debug, Clone)]
pub struct CodeEdit {
    /// The list.
    pub list: CodeList,
    /// Code (new, or the one being reworded).
    pub code: String,
    /// Chinese label.
    pub name_zh: String,
    /// English label.
    pub name_en: String,
    /// Position in the list.
    pub sort_order: i64,
}

/// Adds a code to a list or rewords one (system administrators: the lists
/// are platform-wide). Codes are never removed, since published guides may
/// use them; lists the publication rules depend on take no new codes.
pub async fn save_code(db: &Db, actor: &Principal, edit: CodeEdit) -> Result<(), CatalogError> {
    if !actor.has_role(Role::SystemAdmin) {
        return Err(CatalogError::Forbidden);
    }
    let current = code_lists(db).await?;
    let code = edit.code.trim().to_owned();
    let mut problems = Vec::new();
    let mut problem = |field: &str, code: &'static str, message: &str| {
        problems.push(GuideError::new(field, code, message));
    };
    if !code_shape_ok(&code) {
        problem("code", "invalid", "代码应为1至40位小写字母、数字或下划线");
    } else if !edit.list.extensible() && !current.contains(edit.list, &code) {
        problem(
            "code",
            "fixed",
            "此代码表的代码由办理规则固定，只能修改名称",
        );
    }
    let name_zh = edit.name_zh.trim().to_owned();
    let name_en = edit.name_en.trim().to_owned();
    if name_zh.is_empty() || name_zh.chars().count() > 50 {
        problem("name_zh", "required", "中文名称不能为空，且不超过50个字");
    }
    if name_en.chars().count() > 100 {
        problem("name_en", "too_long", "英文名称不超过100个字符");
    }
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    let list = edit.list;
    let sort_order = edit.sort_order;
    let actor_id = actor.account.id;
    // The first edit of a list stores what it shows now (its defaults), so
    // that adding a code never hides the others.
    let existing: Vec<CodeEntry> = current.entries(list).to_vec();
    db.write(crate::tx!(c => {
            let stored: i64 = crate::platform::db::query("SELECT COUNT(*) FROM code_lists WHERE list = $1")
                .bind(list.as_str())
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?;
            if stored == 0 {
                for (i, e) in existing.iter().enumerate() {
                    crate::platform::db::query(
                        "INSERT INTO code_lists (list, code, name_zh, name_en, sort_order) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(list.as_str())
                    .bind(&e.code)
                    .bind(&e.zh)
                    .bind(&e.en)
                    .bind((i as i64 + 1) * 10)
                    .execute(&mut *c)
                    .await?;
                }
            }
            crate::platform::db::query(
                "INSERT INTO code_lists (list, code, name_zh, name_en, sort_order) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (list, code) DO UPDATE SET name_zh = excluded.name_zh, \
                 name_en = excluded.name_en, sort_order = excluded.sort_order",
            )
            .bind(list.as_str())
            .bind(&code)
            .bind(&name_zh)
            .bind(&name_en)
            .bind(sort_order)
            .execute(&mut *c)
            .await?;
            log_code_edit(c, list.as_str(), &code, &name_zh, &name_en, actor_id).await?;
            Ok::<_, CatalogError>(())
        }))
    .await
}

/// One recorded edit of a code list or theme.
#[derive(Debug, Clone, Serialize)]
pub struct CodeListEdit {
    /// List name (`material_form`, …, or `theme`).
    pub list: String,
    /// Code.
    pub code: String,
    /// Chinese label as saved.
    pub name_zh: String,
    /// English label as saved.
    pub name_en: String,
    /// Who saved it.
    pub actor: String,
    /// When.
    pub at: Millis,
}

/// The latest edits of the catalog's code lists and themes, newest first.
pub async fn code_list_history(db: &Db, limit: i64) -> Result<Vec<CodeListEdit>, CatalogError> {
    let rows = crate::platform::db::query(
        "SELECT e.list, e.code, e.name_zh, e.name_en, COALESCE(a.display_name, '') AS actor, e.at \
         FROM code_list_events e LEFT JOIN accounts a ON a.id = e.actor_id \
         ORDER BY e.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CodeListEdit {
                list: r.try_get("list")?,
                code: r.try_get("code")?,
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}
