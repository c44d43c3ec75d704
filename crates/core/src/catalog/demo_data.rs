//! The demo catalog: realistic Harbin service items, several implemented at
//! both city and district level, loaded and published by `--demo`.
//!
//! The items live in `demo_catalog.txt`, one per line, so that content can
//! be read and corrected without reading code. Loading is idempotent and
//! resumable: an item whose 实施编码 exists already is skipped.

use tongban_domain::catalog::{CaseKind, CatalogCode, Guide, TaskCode, TimeLimit};
use tongban_domain::kernel::CreditCode;

use crate::catalog::exchange::{parse_fee, parse_material};
use crate::catalog::{self, CatalogError, NewItem};
use crate::platform::db::{Db, DbError};

const TEXT: &str = include_str!("demo_data.txt");
const FORMS: &str = include_str!("demo_forms.txt");

/// Local departures from the city standard, as districts really make them,
/// so the standardisation report has something to show: (item, district
/// body, promised limit, extra material).
const LOCAL_VARIATIONS: &[(&str, &str, Option<u32>, Option<&str>)] = &[
    (
        "食品经营许可",
        "南岗区市场监督管理局",
        Some(15),
        Some("房屋租赁合同*"),
    ),
    (
        "最低生活保障",
        "道里区民政局",
        None,
        Some("社区（村）出具的家庭情况证明*"),
    ),
];

/// One parsed line.
#[derive(Debug, Clone)]
pub struct DemoItem {
    /// Short name of the implementing department.
    pub dept: String,
    /// The guide.
    pub guide: Guide,
    /// Short names of district departments implementing the same item.
    pub also: Vec<String>,
}

fn list(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses the demo file; a malformed line is an error naming it.
pub fn parse() -> Result<Vec<DemoItem>, String> {
    let mut out = Vec::new();
    for (n, line) in TEXT.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('|').collect();
        if f.len() != 17 {
            return Err(format!(
                "demo_catalog.txt line {}: {} fields, expected 17",
                n + 1,
                f.len()
            ));
        }
        let num = |i: usize| {
            f[i].trim()
                .parse::<u32>()
                .map_err(|_| format!("line {}: field {} is not a number", n + 1, i + 1))
        };
        let kind = if f[8] == "I" {
            CaseKind::Immediate
        } else {
            CaseKind::Promised
        };
        let depth = num(9)? as u8;
        let visits = num(10)? as u8;
        let mut forms = vec!["1".to_owned(), "2".to_owned(), "3".to_owned()];
        if visits == 0 && depth < 4 {
            forms.push("4".to_owned());
        }
        let process: Vec<String> = match (kind, f[3]) {
            (CaseKind::Immediate, _) => vec![
                "申请：网上或窗口提交".into(),
                "受理并当场办结".into(),
                "送达：当场领取或电子送达".into(),
            ],
            (_, "01") => vec![
                "申请".into(),
                "受理".into(),
                "审查".into(),
                "决定".into(),
                "送达（窗口领取、邮寄或电子证照）".into(),
            ],
            _ => vec![
                "申请".into(),
                "受理".into(),
                "审核".into(),
                "办结".into(),
                "送达".into(),
            ],
        };
        let guide = Guide {
            name: f[1].trim().into(),
            name_en: f[2].trim().into(),
            item_type: f[3].trim().into(),
            service_objects: list(f[4]),
            themes: list(f[5]),
            legal_limit: TimeLimit {
                value: num(6)?,
                ..TimeLimit::default()
            },
            promised_limit: TimeLimit {
                value: num(7)?,
                ..TimeLimit::default()
            },
            case_kind: kind,
            online_depth: depth,
            visits,
            legal_basis: f[11].trim().into(),
            conditions: list(f[12]),
            materials: list(f[13])
                .iter()
                .map(|m| parse_material(m))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("demo_catalog.txt line {}: {e}", n + 1))?,
            fees: list(f[14]).iter().map(|x| parse_fee(x)).collect(),
            aliases: list(f[15]),
            process,
            handling_forms: forms,
            appointment: true,
            online_payment: !f[14].trim().is_empty(),
            express_delivery: true,
            hours: "周一至周五 8:30—12:00，13:00—17:00（法定节假日除外）".into(),
            consult_phone: "0451-12345".into(),
            supervise_phone: "0451-12345".into(),
            result_name: String::new(),
            ..Guide::default()
        };
        out.push(DemoItem {
            dept: f[0].trim().into(),
            guide,
            also: list(f[16]),
        });
    }
    for (name, text) in forms() {
        let it = out
            .iter_mut()
            .find(|i| i.guide.name == name)
            .ok_or_else(|| format!("demo_forms.txt: no demo item named {name}"))?;
        it.guide.form = tongban_domain::catalog::form::text::parse(&text).map_err(|lines| {
            let l = &lines[0];
            format!(
                "demo_forms.txt, form of {name}, line {}: {}",
                l.line, l.message
            )
        })?;
    }
    Ok(out)
}

async fn org_by_short(db: &Db, short: &str) -> Result<Option<(i64, String, i64, String)>, DbError> {
    let r = crate::platform::db::query("SELECT id, credit_code, admin_level, division_code FROM organizations WHERE short_name_zh = $1")
        .bind(short)
        .fetch_optional(&db)
        .await?;
    r.map(|r| {
        Ok((
            r.try_get("id")?,
            r.try_get("credit_code")?,
            r.try_get("admin_level")?,
            r.try_get("division_code")?,
        ))
    })
    .transpose()
}

async fn division_name(db: &Db, code: &str) -> Result<String, DbError> {
    let r = crate::platform::db::query("SELECT name_zh FROM divisions WHERE code = $1")
        .bind(code)
        .fetch_optional(&db)
        .await?;
    Ok(r.map(|r| r.try_get::<String, _>(0))
        .transpose()?
        .unwrap_or_default())
}

/// Loads and publishes the demo catalog; returns how many implementations
/// were created.
pub async fn seed(db: &Db) -> Result<usize, CatalogError> {
    let items = parse().map_err(|e| CatalogError::Db(DbError::Internal(e)))?;
    let mut created = 0;
    let mut dept_index: Vec<String> = Vec::new();
    for (seq, it) in items.iter().enumerate() {
        if !dept_index.contains(&it.dept) {
            dept_index.push(it.dept.clone());
        }
        let d = dept_index.iter().position(|x| *x == it.dept).unwrap_or(0) + 1;
        let code = CatalogCode::parse(&format!("{}{:03}{:04}000", it.guide.item_type, d, seq + 1))?;
        for (i, short) in std::iter::once(&it.dept).chain(it.also.iter()).enumerate() {
            let Some((org_id, credit, level, division)) = org_by_short(db, short).await? else {
                return Err(CatalogError::Db(DbError::Internal(format!(
                    "demo catalog: no organisation named {short}"
                ))));
            };
            let body = CreditCode::parse(&credit)
                .map_err(|e| CatalogError::Db(DbError::Internal(e.to_string())))?;
            let task = TaskCode::compose(
                &body,
                char::from_digit(level as u32, 10).unwrap_or('3'),
                &code,
            )?;
            let exists =
                crate::platform::db::query("SELECT 1 FROM service_items WHERE task_code = $1")
                    .bind(task.as_str())
                    .fetch_optional(&db)
                    .await?;
            if exists.is_some() {
                continue;
            }
            let mut guide = it.guide.clone();
            for (name, dept, promised, extra) in LOCAL_VARIATIONS {
                if guide.name == *name && short == dept {
                    if let Some(p) = promised {
                        guide.promised_limit.value = *p;
                    }
                    if let Some(m) = extra {
                        guide.materials.push(
                            parse_material(m)
                                .map_err(|e| CatalogError::Db(DbError::Internal(e)))?,
                        );
                    }
                }
            }
            guide.place = if i == 0 {
                format!("哈尔滨市政务服务中心 {short}窗口")
            } else {
                format!(
                    "哈尔滨市{}政务服务中心 {short}窗口",
                    division_name(db, &division).await?
                )
            };
            let (_, version) = catalog::create_item(
                db,
                crate::identity::Actor::System,
                NewItem {
                    catalog_code: code.as_str().into(),
                    task_code: task.as_str().into(),
                    org_id,
                    division_code: division,
                    guide,
                },
            )
            .await?;
            catalog::publish_imported(db, version).await?;
            created += 1;
        }
    }
    Ok(created)
}

/// The demo application forms by item name (`demo_forms.txt`: each begins
/// with a line `=== name`; `#` lines before the first are the file's notes).
fn forms() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for line in FORMS.lines() {
        if let Some(name) = line.strip_prefix("=== ") {
            out.push((name.trim(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_item_parses_and_passes_publication_rules() {
        let items = parse().unwrap();
        assert!(items.len() >= 50, "{}", items.len());
        for it in &items {
            let mut g = it.guide.clone();
            g.place = "x".into();
            let problems = tongban_domain::catalog::validate(&g, &Default::default());
            assert!(problems.is_empty(), "{}: {problems:?}", g.name);
        }
        let food = items
            .iter()
            .find(|i| i.guide.name == "食品经营许可")
            .unwrap();
        assert!(food.guide.aliases.contains(&"开饭店".to_owned()));
        assert_eq!(food.also.len(), 2);
        assert!(
            matches!(food.guide.materials[1].fetchable, tongban_domain::catalog::Fetchable::Certificate(ref t) if t == "营业执照")
        );
        // Twelve items across six departments have application forms.
        let with_forms: Vec<&DemoItem> =
            items.iter().filter(|i| !i.guide.form.is_empty()).collect();
        assert_eq!(with_forms.len(), 12);
        let mut depts: Vec<&str> = with_forms.iter().map(|i| i.dept.as_str()).collect();
        depts.sort_unstable();
        depts.dedup();
        assert!(depts.len() >= 5, "{depts:?}");
        let f = &food.guide.form;
        assert_eq!(
            f.field("credit_code").unwrap().kind,
            tongban_domain::catalog::form::Kind::CreditCode
        );
        assert!(f.field("kitchen_area").unwrap().show_if.is_some());
        let id = items
            .iter()
            .find(|i| i.guide.name == "居民身份证补领")
            .unwrap();
        assert_eq!(id.guide.fees[0].standard, "20元/证");
        assert!(!id.guide.fees[0].basis.is_empty());
    }
}
