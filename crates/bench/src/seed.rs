//! Data for a load run: N catalog items and M accounts on top of the demo,
//! written straight through tongban-core (the HTTP path would spend most of
//! the time hashing a million passwords), plus the bench relying parties and
//! one open draft per editing client.

use anyhow::Context;
use sha2::{Digest, Sha256};
use tongban_core::Db;
use tongban_core::catalog;
use tongban_core::catalog::exchange::{self, ExchangeRow};
use tongban_core::identity::accounts::{self, Principal};
use tongban_core::platform::db::{DbError, DbOptions};

use crate::ops::{RP_ID, RP_REDIRECT, RP_SECRET, SVC_ID, bench_username};

/// Items imported per transaction.
const ITEM_CHUNK: usize = 5_000;
/// Accounts per statement, and statements per transaction.
const ACCOUNT_ROWS: usize = 400;
const ACCOUNT_STATEMENTS: usize = 25;

/// What the benchmark applies for (see [`Seeder::applying`]).
#[derive(Debug, Clone, Default)]
pub struct Applying {
    /// (实施编码, material codes) of items submitted without answers.
    pub apply: Vec<(String, Vec<String>)>,
    /// (实施编码, text field key) of items whose drafts are edited.
    pub drafts: Vec<(String, String)>,
    /// (实施编码, material code) of a material taking 50 MB files.
    pub big: Option<(String, String)>,
}

/// A connection to the platform's database with what seeding needs.
pub struct Seeder {
    db: Db,
    admin: Principal,
    /// The demo's published items: the templates of synthetic ones.
    templates: Vec<ExchangeRow>,
}

impl Seeder {
    /// Opens the database of a platform already seeded with the demo.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        Self::new(Db::connect(url, DbOptions::default()).await?).await
    }

    /// Works on an open database already seeded with the demo.
    pub async fn new(db: Db) -> anyhow::Result<Self> {
        let admin = accounts::by_username(&db, "admin")
            .await?
            .context("the demo's admin account is missing")?;
        let admin = accounts::principal(&db, admin.id)
            .await?
            .context("the admin's roles are missing")?;
        let templates: Vec<ExchangeRow> = exchange::export(&db)
            .await?
            .into_iter()
            .filter(|r| !r.catalog_code.starts_with('B'))
            .collect();
        anyhow::ensure!(!templates.is_empty(), "the demo catalog is empty");
        Ok(Self {
            db,
            admin,
            templates,
        })
    }

    /// Closes the connections.
    pub async fn close(self) {
        self.db.close().await;
    }

    /// Published items in the catalog now.
    pub async fn item_count(&self) -> anyhow::Result<usize> {
        count(&self.db, "SELECT COUNT(*) FROM published_items").await
    }

    /// Seeded (bench) accounts now.
    pub async fn account_count(&self) -> anyhow::Result<usize> {
        count(
            &self.db,
            "SELECT COUNT(*) FROM accounts WHERE username LIKE 'bench%'",
        )
        .await
    }

    /// Publishes synthetic items until the catalog holds `total`: copies of
    /// the demo guides under new basic codes `B…`, imported the way a
    /// provincial catalog is (published at once, one transaction per chunk).
    pub async fn grow_items(&self, total: usize) -> anyhow::Result<()> {
        let mut have = self.item_count().await?;
        while have < total {
            let n = (total - have).min(ITEM_CHUNK);
            let rows: Vec<ExchangeRow> = (have..have + n)
                .map(|i| {
                    let mut r = self.templates[i % self.templates.len()].clone();
                    r.catalog_code = format!("B{i:011}");
                    r.task_code = String::new();
                    r.task_name = format!("{}（{}）", r.task_name, i);
                    r
                })
                .collect();
            exchange::import(&self.db, &self.admin, rows, true, 1)
                .await
                .map_err(|e| anyhow::anyhow!("importing synthetic items: {e:?}"))?;
            have += n;
        }
        Ok(())
    }

    /// Adds person accounts `bench0000000…` until there are `total`, all
    /// with the demo password (the demo citizen's Argon2id hash is reused:
    /// hashing a million passwords takes 14 CPU-hours).
    pub async fn grow_accounts(&self, total: usize) -> anyhow::Result<()> {
        let hash: String = tongban_core::platform::db::query(
            "SELECT password_hash FROM accounts WHERE username = 'citizen'",
        )
        .fetch_one(&self.db)
        .await?
        .try_get(0)?;
        let mut have = self.account_count().await?;
        let now = tongban_core::platform::clock::now_ms();
        while have < total {
            let n = (total - have).min(ACCOUNT_ROWS * ACCOUNT_STATEMENTS);
            let (from, hash) = (have, hash.clone());
            self.db
                .write(move |c| {
                    Box::pin(async move {
                        let mut i = from;
                        while i < from + n {
                            let rows = (from + n - i).min(ACCOUNT_ROWS);
                            let values: Vec<String> = (0..rows)
                                .map(|k| {
                                    let b = k * 3;
                                    format!(
                                        "(${}, 'person', ${}, ${}, 'active', 1, {now}, {now}, {now})",
                                        b + 1,
                                        b + 2,
                                        b + 3
                                    )
                                })
                                .collect();
                            let sql = format!(
                                "INSERT INTO accounts (username, kind, display_name, password_hash, status, \
                                 real_name_level, password_changed_at, created_at, updated_at) VALUES {}",
                                values.join(", ")
                            );
                            let mut q = tongban_core::platform::db::query(sql);
                            for k in i..i + rows {
                                q = q
                                    .bind(bench_username(k))
                                    .bind(format!("测试用户{k}"))
                                    .bind(hash.clone());
                            }
                            q.execute(&mut *c).await?;
                            i += rows;
                        }
                        Ok::<_, DbError>(())
                    })
                })
                .await?;
            have += n;
        }
        Ok(())
    }

    /// Registers the bench relying party (confidential, ES256, no consent
    /// screen: a first-party department system) and service account.
    pub async fn register_clients(&self) -> anyhow::Result<()> {
        let secret = hex::encode(Sha256::digest(RP_SECRET.as_bytes()));
        let now = tongban_core::platform::clock::now_ms();
        self.db
            .write(move |c| {
                Box::pin(async move {
                    for (id, kind, redirect, scopes) in [
                        (RP_ID, "confidential", RP_REDIRECT, "openid profile"),
                        (SVC_ID, "service", "", "catalog.read"),
                    ] {
                        tongban_core::platform::db::query(
                            "INSERT INTO oidc_clients (client_id, name, kind, secret_hash, redirect_uris, logout_uris, \
                             scopes, id_token_alg, require_consent, created_at, updated_at) \
                             SELECT $1, $1, $2, $3, $4, '', $5, 'ES256', 0, $6, $6 \
                             WHERE NOT EXISTS (SELECT 1 FROM oidc_clients WHERE client_id = $1)",
                        )
                        .bind(id)
                        .bind(kind)
                        .bind(&secret)
                        .bind(redirect)
                        .bind(scopes)
                        .bind(now)
                        .execute(&mut *c)
                        .await?;
                    }
                    // The admin and the clerk sign in with a fresh TOTP step each run.
                    tongban_core::platform::db::query("UPDATE accounts SET totp_last_step = NULL WHERE username IN ('admin', 'clerk')")
                        .execute(&mut *c)
                        .await?;
                    Ok::<_, DbError>(())
                })
            })
            .await?;
        Ok(())
    }

    /// Draft versions for `n` editing clients: the open drafts there are,
    /// and new ones opened on published items until there are `n`.
    pub async fn drafts(&self, n: usize) -> anyhow::Result<Vec<i64>> {
        let mut drafts = ids(
            &self.db,
            "SELECT id FROM item_versions WHERE status = 'draft' ORDER BY id",
        )
        .await?;
        if drafts.len() < n {
            let items = ids(
                &self.db,
                "SELECT s.id FROM service_items s WHERE s.status = 'published' AND NOT EXISTS \
                 (SELECT 1 FROM item_versions v WHERE v.item_id = s.id AND v.status IN ('draft', 'in_review')) \
                 ORDER BY s.id",
            )
            .await?;
            for item in items.into_iter().take(n - drafts.len()) {
                drafts.push(
                    catalog::open_draft(
                        &self.db,
                        tongban_core::identity::Actor::Person(&self.admin),
                        item,
                    )
                    .await?,
                );
            }
        }
        drafts.truncate(n);
        Ok(drafts)
    }

    /// What the demo citizen applies for in the benchmark: items a
    /// submission needs no answers for, in the scope of the demo window
    /// clerk, with their materials; items whose form has a plain text
    /// question, with its key, for drafts; and a material taking 50 MB
    /// files, for the upload's memory.
    pub async fn applying(&self) -> anyhow::Result<Applying> {
        use tongban_domain::catalog::form::Kind;
        let clerk = accounts::by_username(&self.db, "clerk")
            .await?
            .context("no demo clerk")?;
        let clerk = accounts::principal(&self.db, clerk.id)
            .await?
            .context("no clerk principal")?;
        let mut divisions = Vec::new();
        for g in &clerk.grants {
            if let Some(o) = tongban_core::kernel::orgs::get(&self.db, g.org_id).await? {
                divisions.push(o.division_code);
            }
        }
        let apply: Vec<(String, Vec<String>)> = crate::applying::targets(&self.db)
            .await?
            .into_iter()
            .filter(|t| divisions.contains(&t.division))
            .map(|t| (t.task_code, t.materials))
            .collect();
        let codes: Vec<String> = tongban_core::platform::db::query_scalar(
            "SELECT task_code FROM published_items WHERE online_depth >= 2 ORDER BY item_id LIMIT $1",
        )
        .bind(crate::applying::CANDIDATES)
        .fetch_all(&self.db)
        .await?;
        let mut drafts = Vec::new();
        let mut big = None;
        for code in codes {
            let Some(p) = catalog::published(&self.db, &code).await? else {
                continue;
            };
            let g = &p.guide;
            // The 50 MB upload goes to an item the demo enterprise applies for.
            if big.is_none()
                && g.online_depth >= 2
                && g.situations.is_empty()
                && g.service_objects.iter().any(|o| o == "2")
                && let Some(m) = g.materials.iter().find(|m| {
                    m.max_mb >= 50
                        && m.fetchable == tongban_domain::catalog::Fetchable::No
                        && m.file_types.iter().any(|t| t == "pdf")
                })
            {
                big = Some((code.clone(), m.code.clone()));
            }
            // The demo citizen applies as a person: items serving persons.
            if g.online_depth < 2
                || g.min_level > 3
                || !g.situations.is_empty()
                || !g.service_objects.iter().any(|o| o == "1")
            {
                continue;
            }
            let key = g.form.sections.iter().flat_map(|s| s.fields.iter()).find(|f| {
                f.show_if.is_none()
                    && f.prefill.is_none()
                    && matches!(&f.kind, Kind::Text { pattern, max_len, .. } if pattern.is_empty() && *max_len >= 20)
            });
            if let Some(f) = key {
                drafts.push((code, f.key.clone()));
            }
        }
        Ok(Applying { apply, drafts, big })
    }

    /// Implementation codes of published items.
    pub async fn task_codes(&self) -> anyhow::Result<Vec<String>> {
        let rows = tongban_core::platform::db::query(
            "SELECT task_code FROM published_items ORDER BY task_code",
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?)
    }

    /// Theme codes.
    pub async fn themes(&self) -> anyhow::Result<Vec<String>> {
        Ok(catalog::themes(&self.db)
            .await?
            .into_iter()
            .map(|t| t.code)
            .collect())
    }
}

async fn count(db: &Db, sql: &'static str) -> anyhow::Result<usize> {
    let n: i64 = tongban_core::platform::db::query(sql)
        .fetch_one(&db)
        .await?
        .try_get(0)?;
    Ok(usize::try_from(n)?)
}

async fn ids(db: &Db, sql: &'static str) -> anyhow::Result<Vec<i64>> {
    let rows = tongban_core::platform::db::query(sql)
        .fetch_all(&db)
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}
