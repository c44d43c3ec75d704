//! The sections of the configuration, with their defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Config;

/// Who may read `/metrics` and the demo's outbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Client addresses (after `trusted_proxies`) served `/metrics` and, in
    /// demo mode, the outbox at `/dev/messages`; every other address is
    /// refused. Default: the loopback addresses.
    pub allow: Vec<std::net::IpAddr>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            allow: vec![
                std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ],
        }
    }
}

/// How many uploads may be in flight, and how long one may sit idle. An
/// upload waiting on a slow line holds a little memory and a file, no
/// thread; these bound how many such waits there are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UploadsConfig {
    /// Uploads one account (or, signed out, one address) may have in
    /// flight at once; one more is answered 429.
    pub per_account: usize,
    /// Uploads this node takes at once, from everyone; one more is
    /// answered 429.
    pub in_flight: usize,
    /// Seconds an upload may send nothing before it is dropped (408).
    pub idle_seconds: u64,
}

impl Default for UploadsConfig {
    fn default() -> Self {
        Self {
            per_account: 4,
            in_flight: 256,
            idle_seconds: 20,
        }
    }
}

/// Sign-in limits and real-name levels.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// Failed sign-in steps one client address may make per window.
    pub address_failures: i64,
    /// The window, in minutes.
    pub address_window_minutes: i64,
    /// Real-name levels 1–4 (the national value set is [U]): names shown to
    /// people, and the `acr` value each carries to relying parties.
    pub levels: Vec<LevelConfig>,
    /// The key sealing personal data at rest (64 hex digits). Empty: a key
    /// file `data.key` is made in the data folder on first start. Several
    /// nodes on one database must share one key.
    pub data_key: String,
}

/// One real-name level.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LevelConfig {
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// `acr` value.
    pub acr: String,
}

/// How one-time codes and notices reach people. Without an SMTP host (or an
/// SMS gateway) messages go to the development outbox, shown in demo mode at
/// `/dev/messages`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// SMTP server; empty for the development outbox.
    pub smtp_host: String,
    /// SMTP port.
    pub smtp_port: u16,
    /// `none`, `starttls` or `tls`.
    pub smtp_tls: String,
    /// SMTP user name (empty: no authentication).
    pub smtp_username: String,
    /// SMTP password.
    pub smtp_password: String,
    /// Sender address.
    pub from: String,
}

/// Catalog search settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// A synonym list replacing the built-in one (same format as
    /// `crates/core/src/catalog/search/synonyms.txt`); empty for the built-in list.
    pub synonyms_file: String,
}

/// How periods are counted on the legal calendar.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// Whether the day of the starting event is day one of a period:
    /// `next_day` (民法典 Art. 201, the default) or `same_day`.
    pub period_starts: tongban_domain::kernel::calendar::StartRule,
}

/// Application settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ApplicationsConfig {
    /// Days a draft is kept after its last change (1–365).
    pub draft_days: i64,
    /// The 办件编号 pattern: `{task_code}`, `{date}` (yyyyMMdd) and
    /// `{seq:N}` (the item's daily sequence in N digits) [U].
    pub case_number: String,
    /// Unsubmitted drafts one person may have at once.
    pub drafts_per_account: i64,
    /// Bytes of files one person may keep in unsubmitted applications
    /// (drafts and cases back for correction).
    pub bytes_per_account: i64,
}

impl Default for ApplicationsConfig {
    fn default() -> Self {
        Self {
            draft_days: 30,
            case_number: "{task_code}{date}{seq:4}".into(),
            drafts_per_account: 100,
            bytes_per_account: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// Log settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter such as `info` or `tongban=debug,info`.
    pub level: String,
}

/// Session settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Idle minutes after which a session ends.
    pub idle_minutes: i64,
    /// Hours after which a session ends regardless of use.
    pub absolute_hours: i64,
    /// Whether the session cookie is marked `Secure` (on behind HTTPS).
    pub secure_cookie: bool,
}

/// Database pool settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DbConfig {
    /// Connections in the pool.
    pub max_connections: u32,
    /// Most transactions one SQLite commit carries.
    pub max_batch: usize,
}

/// Background worker settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Whether this node runs background jobs.
    pub enabled: bool,
    /// Milliseconds between polls when the queue is empty.
    pub poll_ms: u64,
    /// Jobs run at once on this node.
    pub concurrency: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("tongban-data"),
            database_url: String::new(),
            public_url: String::new(),
            trusted_proxies: Vec::new(),
            log: LogConfig::default(),
            session: SessionConfig::default(),
            db: DbConfig::default(),
            jobs: JobsConfig::default(),
            search: SearchConfig::default(),
            calendar: CalendarConfig::default(),
            applications: ApplicationsConfig::default(),
            identity: IdentityConfig::default(),
            mail: MailConfig::default(),
            metrics: MetricsConfig::default(),
            uploads: UploadsConfig::default(),
        }
    }
}

impl IdentityConfig {
    /// Level `n` (1–4; out-of-range values are clamped), if configured.
    pub fn level(&self, n: i64) -> Option<&LevelConfig> {
        self.levels.get(usize::try_from(n.clamp(1, 4) - 1).ok()?)
    }
}

impl Default for IdentityConfig {
    fn default() -> Self {
        let level = |zh: &str, en: &str, n: u8| LevelConfig {
            name_zh: zh.into(),
            name_en: en.into(),
            acr: format!("urn:tongban:rnl:{n}"),
        };
        Self {
            address_failures: 30,
            address_window_minutes: 15,
            data_key: String::new(),
            levels: vec![
                level("一级：手机号验证", "Level 1: mobile number verified", 1),
                level(
                    "二级：姓名和身份证号经人口库核验",
                    "Level 2: name and ID number checked against the population register",
                    2,
                ),
                level(
                    "三级：二级加人脸识别或银行卡验证",
                    "Level 3: level 2 plus face or bank-card verification",
                    3,
                ),
                level(
                    "四级：窗口当面核验或数字证书",
                    "Level 4: verified in person or by digital certificate",
                    4,
                ),
            ],
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_host: String::new(),
            smtp_port: 25,
            smtp_tls: "starttls".into(),
            smtp_username: String::new(),
            smtp_password: String::new(),
            from: "tongban <noreply@tongban.invalid>".into(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_minutes: 30,
            absolute_hours: 12,
            secure_cookie: false,
        }
    }
}

impl Default for DbConfig {
    fn default() -> Self {
        Self {
            max_connections: 8,
            max_batch: 64,
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_ms: 500,
            concurrency: 4,
        }
    }
}
