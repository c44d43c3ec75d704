//! What the editors' console reads: implementations in scope, the standardisation report, the catalog's generation.

use super::*;

/// A line of the editors' item list.
#[derive(Debug, Clone, Serialize)]
pub struct AdminRow {
    /// Item id.
    pub item_id: i64,
    /// 实施编码.
    pub task_code: String,
    /// Name in the latest version.
    pub name: String,
    /// Implementing organisation.
    pub org_name: String,
    /// `unpublished`, `published`, `withdrawn`.
    pub item_status: String,
    /// Latest version id.
    pub version_id: i64,
    /// Latest version number.
    pub version_no: i64,
    /// Latest version's status.
    pub version_status: VersionStatus,
    /// Latest change.
    pub updated_at: Millis,
}

/// Organisation subtrees (ancestry paths) where `p` holds any of `roles`.
pub fn scope_paths(p: &Principal, roles: &[Role]) -> Vec<String> {
    let mut paths: Vec<String> = p
        .grants
        .iter()
        .filter(|g| roles.contains(&g.role))
        .map(|g| g.org_path.clone())
        .collect();
    paths.sort();
    paths.dedup();
    // A path inside another adds nothing.
    let all = paths.clone();
    paths.retain(|x| !all.iter().any(|y| y != x && x.starts_with(y.as_str())));
    paths
}

/// Items within the given subtrees with their latest version, most recently
/// changed first; `status` filters on the latest version's status.
pub async fn admin_list(
    db: &Db,
    paths: &[String],
    status: Option<VersionStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AdminRow>, i64), CatalogError> {
    if paths.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let scope: Vec<String> = (0..paths.len())
        .map(|i| format!("o.path LIKE ${}", i + 2))
        .collect();
    let from = format!(
        "FROM service_items i JOIN organizations o ON o.id = i.org_id \
         JOIN item_versions v ON v.item_id = i.id AND v.version_no = (SELECT MAX(x.version_no) FROM item_versions x WHERE x.item_id = i.id) \
         WHERE ($1 = '' OR v.status = $1) AND ({})",
        scope.join(" OR ")
    );
    let status = status.map(|s| s.code()).unwrap_or("");
    let n = paths.len();
    let mut count = crate::platform::db::query(format!("SELECT COUNT(*) {from}")).bind(status);
    for p in paths {
        count = count.bind(format!("{p}%"));
    }
    let total: i64 = count.fetch_one(&db).await?.try_get(0)?;
    let mut q = crate::platform::db::query(format!(
        "SELECT i.id AS item_id, i.task_code, i.status AS item_status, o.name_zh AS org_name, v.id AS version_id, \
         v.version_no, v.status AS version_status, v.document, v.updated_at {from} \
         ORDER BY v.updated_at DESC, i.id LIMIT ${} OFFSET ${}",
        n + 2,
        n + 3
    ))
    .bind(status);
    for p in paths {
        q = q.bind(format!("{p}%"));
    }
    let rows = q.bind(limit).bind(offset).fetch_all(&db).await?;
    let list = rows
        .iter()
        .map(|r| {
            let doc: String = r.try_get("document")?;
            let name = serde_json::from_str::<Guide>(&doc)
                .map(|g| g.name)
                .unwrap_or_default();
            let vs: String = r.try_get("version_status")?;
            Ok(AdminRow {
                item_id: r.try_get("item_id")?,
                task_code: r.try_get("task_code")?,
                item_status: r.try_get("item_status")?,
                org_name: r.try_get("org_name")?,
                version_id: r.try_get("version_id")?,
                version_no: r.try_get("version_no")?,
                version_status: VersionStatus::from_code(&vs).ok_or(CatalogError::WrongState)?,
                updated_at: r.try_get("updated_at")?,
                name,
            })
        })
        .collect::<Result<Vec<_>, CatalogError>>()?;
    Ok((list, total))
}

/// One element where an implementation departs from the reference one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Divergence {
    /// Element: `name`, `legal_limit`, `promised_limit`, `materials`, `fees`, `online_depth`, `visits`, `conditions`.
    pub element: &'static str,
    /// The reference value.
    pub reference: String,
    /// This implementation's value.
    pub local: String,
}

/// An implementation of an item and how it differs from the reference.
#[derive(Debug, Clone, Serialize)]
pub struct LocalVariant {
    /// 实施编码.
    pub task_code: String,
    /// Implementing organisation.
    pub org_name: String,
    /// Division.
    pub division_code: String,
    /// Differences (empty when it follows the standard).
    pub divergences: Vec<Divergence>,
}

/// The standardisation picture of one basic item (同一事项、同一标准).
#[derive(Debug, Clone, Serialize)]
pub struct StandardReport {
    /// 基本编码.
    pub catalog_code: String,
    /// Name in the reference implementation.
    pub name: String,
    /// The reference implementation (the highest-level body's).
    pub reference: LocalVariant,
    /// The other implementations.
    pub variants: Vec<LocalVariant>,
}

fn compare_guides(reference: &Guide, local: &Guide) -> Vec<Divergence> {
    let names = |g: &Guide| {
        g.materials
            .iter()
            .map(|m| m.name.trim().to_owned())
            .collect::<Vec<_>>()
    };
    let (ra, la) = (names(reference), names(local));
    let list = |v: Vec<&String>, label: &str| {
        if v.is_empty() {
            String::new()
        } else {
            format!(
                "{label}{}",
                v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("、")
            )
        }
    };
    let fees = |g: &Guide| {
        g.fees
            .iter()
            .map(|f| format!("{} {}", f.name, f.standard))
            .collect::<Vec<_>>()
            .join("；")
    };
    let pairs: [(&'static str, String, String); 8] = [
        ("name", reference.name.clone(), local.name.clone()),
        (
            "legal_limit",
            reference.legal_limit.value.to_string(),
            local.legal_limit.value.to_string(),
        ),
        (
            "promised_limit",
            reference.promised_limit.value.to_string(),
            local.promised_limit.value.to_string(),
        ),
        (
            "materials",
            list(ra.iter().filter(|n| !la.contains(n)).collect(), "缺少："),
            list(la.iter().filter(|n| !ra.contains(n)).collect(), "增加："),
        ),
        ("fees", fees(reference), fees(local)),
        (
            "online_depth",
            reference.online_depth.to_string(),
            local.online_depth.to_string(),
        ),
        (
            "visits",
            reference.visits.to_string(),
            local.visits.to_string(),
        ),
        (
            "conditions",
            reference.conditions.join("；"),
            local.conditions.join("；"),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(element, reference, local)| Divergence {
            element,
            reference,
            local,
        })
        .collect()
}

/// For every basic item implemented by more than one body, how each
/// implementation departs from the one at the highest level. With
/// `only_divergent`, items whose implementations all agree are left out.
pub async fn standardisation(
    db: &Db,
    only_divergent: bool,
) -> Result<Vec<StandardReport>, CatalogError> {
    let rows = crate::platform::db::query(
        "SELECT p.catalog_code, p.task_code, o.name_zh, p.division_code, o.admin_level, o.path, v.document \
         FROM published_items p JOIN organizations o ON o.id = p.org_id JOIN item_versions v ON v.id = p.version_id \
         WHERE p.catalog_code IN (SELECT catalog_code FROM published_items GROUP BY catalog_code HAVING COUNT(*) > 1) \
         ORDER BY p.catalog_code, o.admin_level, o.path",
    )
    .fetch_all(&db)
    .await?;
    let mut out: Vec<StandardReport> = Vec::new();
    let mut reference_guide: Option<Guide> = None;
    for r in &rows {
        let code: String = r.try_get("catalog_code")?;
        let doc: String = r.try_get("document")?;
        let g: Guide = serde_json::from_str(&doc)
            .map_err(|e| DbError::Corrupt(format!("stored guide unreadable: {e}")))?;
        let variant = LocalVariant {
            task_code: r.try_get("task_code")?,
            org_name: r.try_get("name_zh")?,
            division_code: r.try_get("division_code")?,
            divergences: Vec::new(),
        };
        match out.last_mut().filter(|rep| rep.catalog_code == code) {
            Some(rep) => {
                let reference = reference_guide.as_ref().ok_or(CatalogError::NotFound)?;
                rep.variants.push(LocalVariant {
                    divergences: compare_guides(reference, &g),
                    ..variant
                });
            }
            None => {
                out.push(StandardReport {
                    catalog_code: code,
                    name: g.name.clone(),
                    reference: variant,
                    variants: Vec::new(),
                });
                reference_guide = Some(g);
            }
        }
    }
    if only_divergent {
        out.retain(|rep| rep.variants.iter().any(|v| !v.divergences.is_empty()));
    }
    Ok(out)
}

/// The catalog's generation: the ids of its latest public item event
/// (`published`, `scheduled`, `withdrawn`: what changes what the public
/// sees; drafts, reviews and rejections leave cached guides and the search
/// index valid) and latest code-list edit added up (0 when empty).
/// Both only grow, so the sum moves whenever either does; anything derived
/// from the published catalog or its wording is stale once it moves.
pub async fn generation(db: &Db) -> Result<i64, CatalogError> {
    // The IN list repeats the partial index's condition word for word
    // (migration 0015), so both databases answer from the index.
    Ok(crate::platform::db::query(
        "SELECT COALESCE((SELECT id FROM item_events WHERE action IN ('published', 'scheduled', 'withdrawn') \
         ORDER BY id DESC LIMIT 1), 0) \
         + (SELECT COALESCE(MAX(id), 0) FROM code_list_events)",
    )
    .fetch_one(&db)
    .await?
    .try_get(0)?)
}
