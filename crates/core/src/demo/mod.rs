//! The Harbin demo: divisions, departments and one account per role, loaded
//! by `serve --demo` and `seed --demo` into an empty database.
//!
//! Division codes down to county level are GB/T 2260; street and community
//! codes follow the 9/12-digit statistical scheme but are illustrative, as
//! are all credit codes (valid by checksum, not real registrations).

use crate::platform::db::Conn as AnyConnection;
use tongban_domain::identity::{AccountKind, Username};
use tongban_domain::kernel::{AdminLevel, CreditCode, OrgKind, Role};

use crate::identity::accounts::{self, AuthError, NewAccount};
use crate::identity::password;
use crate::kernel::orgs::{self, NewOrg, OrgError};
use crate::platform::clock::now_ms;
use crate::platform::db::{Db, DbError};

mod cases;
mod places;

pub use cases::{CaseSetting, seed_cases};

use places::{CITY_DEPARTMENTS, DISTRICT_DEPARTMENTS, DIVISIONS};

/// The one password of every demo account.
pub const DEMO_PASSWORD: &str = "tongban-demo";

/// Demo sign-in names and what they are for.
pub const DEMO_ACCOUNTS: &[(&str, &str)] = &[
    ("citizen", "自然人 citizen"),
    ("enterprise", "法人 enterprise"),
    ("clerk", "窗口人员 window clerk, 市政务服务中心"),
    ("reviewer", "审查人员 reviewer, 市市场监督管理局"),
    ("decider", "决定人员 decider, 市市场监督管理局"),
    ("editor", "事项编辑 catalog editor, whole city"),
    ("supervisor", "监察人员 supervisor, whole city"),
    ("admin", "系统管理员 system admin, whole city"),
    ("agent", "代办员 community agent, 兆麟街道"),
    ("deptadmin", "部门管理员 department admin, 市市场监督管理局"),
];

/// (username, display name, (kind, home organisation, credit code), roles)
type DemoPerson = (
    &'static str,
    &'static str,
    (AccountKind, Option<i64>, Option<String>),
    Vec<(Role, i64)>,
);

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// An organisation failed validation (a bug in the demo table).
    #[error("demo organisation: {0}")]
    Org(#[from] OrgError),
    /// An account failed.
    #[error("demo account: {0}")]
    Account(#[from] AuthError),
    /// A catalog item failed (a bug in the demo catalog).
    #[error("demo catalog: {0}")]
    Catalog(#[from] crate::catalog::CatalogError),
    /// Storage failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Building a code failed (a bug in the demo table).
    #[error("demo code: {0}")]
    Code(String),
}

/// Loads the demo unless the database already has divisions. Returns
/// whether it loaded anything. One transaction: all or nothing.
pub async fn seed(db: &Db) -> Result<bool, DemoError> {
    let hash = password::hash(DEMO_PASSWORD.to_owned())
        .await
        .map_err(AuthError::from)?;
    let loaded = db
        .write(crate::tx!(c => { seed_in(c, &hash).await }))
        .await?;
    // The catalog loads item by item and skips what exists, so a second
    // run (or one after an interrupted first) completes it without doubles.
    let items = crate::catalog::demo_data::seed(db).await?;
    if loaded {
        seed_identity(db).await?;
    }
    Ok(loaded || items > 0)
}

/// The TOTP secret every demo staff account shares (README): add it to an
/// authenticator app, or compute codes from it, to sign in as staff.
pub const DEMO_TOTP_SECRET: &str = "TONGBANDEMOSTAFFSECRETKEYHARBINA";

/// The demo relying party (README): a department system on this machine.
pub const DEMO_RP_ID: &str = "demo-rp";
/// Its secret.
pub const DEMO_RP_SECRET: &str = "demo-rp-secret";
/// Its redirect URI.
pub const DEMO_RP_REDIRECT: &str = "http://127.0.0.1:8765/callback";

/// Contact details and real-name levels of the demo people, and the demo
/// relying party.
async fn seed_identity(db: &Db) -> Result<(), DemoError> {
    db.write(crate::tx!(c => {
            for (user, phone, email, level) in [
                ("citizen", "13800000001", "citizen@demo.tongban.invalid", 3),
                ("enterprise", "13800000002", "enterprise@demo.tongban.invalid", 4),
            ] {
                crate::platform::db::query("UPDATE accounts SET phone = $1, email = $2, real_name_level = $3 WHERE username = $4")
                    .bind(phone)
                    .bind(email)
                    .bind(level)
                    .bind(user)
                    .execute(&mut *c)
                    .await?;
            }
            crate::platform::db::query("UPDATE accounts SET legal_representative = '王建国' WHERE username = 'enterprise'")
                .execute(&mut *c)
                .await?;
            // Staff are identified in person when they are appointed, and
            // sign in with a second factor.
            crate::platform::db::query("UPDATE accounts SET real_name_level = 4 WHERE kind = 'staff'")
                .execute(&mut *c)
                .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    let form = crate::identity::oidc::ClientForm {
        client_id: DEMO_RP_ID.into(),
        name: "演示接入系统（某部门业务系统）".into(),
        kind: "confidential".into(),
        redirect_uris: DEMO_RP_REDIRECT.into(),
        logout_uris: "http://127.0.0.1:8765/".into(),
        scopes: "openid profile phone email offline_access applications".into(),
        id_token_alg: "RS256".into(),
        require_consent: true,
        org_id: None,
    };
    crate::identity::oidc::register_fixed(db, &form, Some(DEMO_RP_SECRET))
        .await
        .map_err(|e| DemoError::Code(e.to_string()))?;
    // The demo citizen is the demo enterprise's agent for its food business
    // licence and its registration changes, for a year.
    db.write(crate::tx!(c => {
            let id = |name: &'static str| format!("(SELECT id FROM accounts WHERE username = '{name}')");
            let codes: Vec<String> = crate::platform::db::query(
                "SELECT catalog_code FROM catalog_entries WHERE name IN ('食品经营许可', '企业变更登记') ORDER BY catalog_code",
            )
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
            let now = now_ms();
            crate::platform::db::query(format!(
                "INSERT INTO enterprise_agents (enterprise_id, agent_id, items, granted_at, expires_at) \
                 SELECT {}, {}, $1, $2, $3",
                id("enterprise"),
                id("citizen")
            ))
            .bind(if codes.is_empty() { "*".to_owned() } else { codes.join(" ") })
            .bind(now)
            .bind(now + 365 * 24 * 3600 * 1000)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    Ok(())
}

/// Records what the demo seals with the platform's data key (which the
/// seeding step does not have): the demo citizen's ID number and the staff's
/// shared TOTP secret, unless already recorded.
pub async fn seed_sealed(db: &Db, key: &crate::platform::crypto::DataKey) -> Result<(), DemoError> {
    use base64::Engine;
    // 230102 道里区, born 1990-03-07, sequence 123 (odd: male).
    let id = tongban_domain::kernel::IdCardNo::with_check("23010219900307123")
        .map_err(|e| DemoError::Code(e.to_string()))?;
    let sealed = base64::engine::general_purpose::STANDARD.encode(key.seal(id.as_str().as_bytes()));
    let hash = key.lookup_hash(id.as_str());
    let totp = crate::identity::mfa::seal_secret(key, DEMO_TOTP_SECRET);
    db.write(crate::tx!(c => {
        crate::platform::db::query(
            "UPDATE accounts SET id_number_sealed = $1, id_number_hash = $2 \
             WHERE username = 'citizen' AND id_number_hash IS NULL",
        )
        .bind(&sealed)
        .bind(&hash)
        .execute(&mut *c)
        .await?;
        crate::platform::db::query(
            "UPDATE accounts SET totp_secret = $1 WHERE kind = 'staff' AND totp_secret IS NULL",
        )
        .bind(&totp)
        .execute(c)
        .await?;
        Ok::<_, DbError>(())
    }))
    .await?;
    Ok(())
}

struct Seq(u32);

impl Seq {
    /// A fresh credit code for a government body in `region`.
    fn code(&mut self, prefix: &str, region: &str) -> Result<String, DemoError> {
        self.0 += 1;
        let body = format!("{:08}", 1000 + self.0);
        CreditCode::compose(prefix, region, &body)
            .map(|c| c.as_str().to_owned())
            .map_err(|e| DemoError::Code(e.to_string()))
    }
}

async fn add_org(
    c: &mut AnyConnection,
    seq: &mut Seq,
    parent: Option<i64>,
    division: &str,
    level: AdminLevel,
    kind: &str,
    (name_zh, short, name_en): (&str, &str, &str),
) -> Result<i64, DemoError> {
    let region = &division[..6];
    let n = NewOrg {
        credit_code: seq.code("11", region)?,
        name_zh: name_zh.to_owned(),
        name_en: name_en.to_owned(),
        short_name_zh: Some(short.to_owned()),
        kind: kind.to_owned(),
        admin_level: level.code(),
        division_code: division.to_owned(),
        parent_id: parent,
        phone: Some("12345".to_owned()),
        address_zh: None,
    };
    Ok(orgs::insert(c, &n).await?)
}

async fn seed_in(c: &mut AnyConnection, hash: &str) -> Result<bool, DemoError> {
    let n: i64 = crate::platform::db::query("SELECT COUNT(*) FROM divisions")
        .fetch_one(&mut *c)
        .await?
        .try_get(0)?;
    if n > 0 {
        return Ok(false);
    }
    for (i, (code, kind, zh, en)) in DIVISIONS.iter().enumerate() {
        let parent = tongban_domain::kernel::DivisionCode::parse(code)
            .map_err(|e| DemoError::Code(e.to_string()))?
            .parent()
            .map(|p| p.as_str().to_owned());
        crate::platform::db::query("INSERT INTO divisions (code, parent_code, kind, name_zh, name_en, sort_order) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(*code)
            .bind(parent)
            .bind(*kind)
            .bind(*zh)
            .bind(*en)
            .bind(i as i64)
            .execute(&mut *c)
            .await?;
    }
    let mut seq = Seq(0);
    let province = add_org(
        c,
        &mut seq,
        None,
        "230000",
        AdminLevel::Provincial,
        OrgKind::Government.code(),
        (
            "黑龙江省人民政府",
            "省政府",
            "Heilongjiang Provincial People's Government",
        ),
    )
    .await?;
    let city = add_org(
        c,
        &mut seq,
        Some(province),
        "230100",
        AdminLevel::Municipal,
        OrgKind::Government.code(),
        (
            "哈尔滨市人民政府",
            "市政府",
            "Harbin Municipal People's Government",
        ),
    )
    .await?;
    let mut city_depts = Vec::new();
    for (kind, zh, short, en) in CITY_DEPARTMENTS {
        let id = add_org(
            c,
            &mut seq,
            Some(city),
            "230100",
            AdminLevel::Municipal,
            kind,
            (zh, short, en),
        )
        .await?;
        city_depts.push((*short, id));
    }
    let dept = |short: &str| {
        city_depts
            .iter()
            .find(|(s, _)| *s == short)
            .map(|(_, id)| *id)
            .unwrap_or(city)
    };
    let mut district_govs = Vec::new();
    for (code, _, zh, en) in DIVISIONS
        .iter()
        .filter(|d| d.0.len() == 6 && d.0 != "230000" && d.0 != "230100")
    {
        let gov_zh = format!("哈尔滨市{zh}人民政府");
        let gov_short = format!("{zh}政府");
        let gov_en = format!("{en} People's Government");
        let id = add_org(
            c,
            &mut seq,
            Some(city),
            code,
            AdminLevel::County,
            OrgKind::Government.code(),
            (&gov_zh, &gov_short, &gov_en),
        )
        .await?;
        district_govs.push((*code, *zh, *en, id));
    }
    let mut zhaolin_point = city;
    for (code, zh, en, gov) in district_govs
        .iter()
        .filter(|d| d.0 == "230102" || d.0 == "230103")
    {
        for (kind, suffix, en_suffix) in DISTRICT_DEPARTMENTS {
            let name = format!("哈尔滨市{zh}{suffix}");
            let short = format!("{zh}{suffix}");
            let en_name = format!("{en} {en_suffix}");
            add_org(
                c,
                &mut seq,
                Some(*gov),
                code,
                AdminLevel::County,
                kind,
                (&name, &short, &en_name),
            )
            .await?;
        }
        let (street, street_zh, street_en) = if *code == "230102" {
            ("230102001", "兆麟街道", "Zhaolin")
        } else {
            ("230103001", "花园街道", "Huayuan")
        };
        let point = add_org(
            c,
            &mut seq,
            Some(*gov),
            street,
            AdminLevel::Township,
            OrgKind::ServicePoint.code(),
            (
                &format!("哈尔滨市{zh}{street_zh}便民服务中心"),
                &format!("{street_zh}便民服务中心"),
                &format!("{street_en} Subdistrict Service Point, {en}"),
            ),
        )
        .await?;
        if *code == "230102" {
            zhaolin_point = point;
        }
    }
    // Every department of a division has a window at its 政务服务中心.
    crate::platform::db::query(
        "INSERT INTO center_windows (center_id, org_id, created_at) \
         SELECT c.id, o.id, $1 FROM organizations c \
         JOIN organizations o ON o.division_code = c.division_code AND o.kind = 'department' \
         WHERE c.kind = 'service_center'",
    )
    .bind(now_ms())
    .execute(&mut *c)
    .await?;

    let now = now_ms();
    let enterprise_code = CreditCode::compose("91", "230102", "MA1B2C3D")
        .map_err(|e| DemoError::Code(e.to_string()))?;
    let staff = |org: i64| (AccountKind::Staff, Some(org), None::<String>);
    let people: Vec<DemoPerson> = vec![
        (
            "citizen",
            "张晓明",
            (AccountKind::Person, None, None),
            vec![],
        ),
        (
            "enterprise",
            "哈尔滨松花江食品有限公司",
            (
                AccountKind::Enterprise,
                None,
                Some(enterprise_code.as_str().to_owned()),
            ),
            vec![],
        ),
        (
            "clerk",
            "李静",
            staff(dept("市政务服务中心")),
            vec![(Role::WindowClerk, dept("市政务服务中心"))],
        ),
        (
            "reviewer",
            "王磊",
            staff(dept("市市场监管局")),
            vec![(Role::Reviewer, dept("市市场监管局"))],
        ),
        (
            "decider",
            "赵敏",
            staff(dept("市市场监管局")),
            vec![(Role::Decider, dept("市市场监管局"))],
        ),
        (
            "editor",
            "刘洋",
            staff(dept("市营商环境局")),
            vec![(Role::CatalogEditor, city)],
        ),
        (
            "supervisor",
            "陈刚",
            staff(dept("市营商环境局")),
            vec![(Role::Supervisor, city)],
        ),
        (
            "admin",
            "孙伟",
            staff(dept("市政府办公厅")),
            vec![(Role::SystemAdmin, city)],
        ),
        (
            "agent",
            "周丽",
            staff(zhaolin_point),
            vec![(Role::CommunityAgent, zhaolin_point)],
        ),
        (
            "deptadmin",
            "吴昊",
            staff(dept("市市场监管局")),
            vec![(Role::DeptAdmin, dept("市市场监管局"))],
        ),
    ];
    for (username, name, (kind, org_id, credit_code), roles) in people {
        let username = Username::parse(username).map_err(|e| DemoError::Code(e.to_string()))?;
        let id = accounts::insert(
            c,
            &NewAccount {
                username,
                kind,
                display_name: name.to_owned(),
                password_hash: hash.to_owned(),
                org_id,
                credit_code,
                created_by: None,
            },
            now,
        )
        .await?;
        for (role, org) in roles {
            accounts::insert_grant(c, id, role, org, None, now).await?;
        }
    }
    Ok(true)
}
