//! One typed configuration, layered: built-in defaults, then `tongban.toml`
//! (or the file given with `--config`), then `TONGBAN_*` environment
//! variables, then command-line flags. A bad value fails at start-up with a
//! line that names the setting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Folder for the SQLite file and stored files.
    pub data_dir: PathBuf,
    /// Database URL; empty means the SQLite file in `data_dir`.
    pub database_url: String,
    /// The public base URL people reach the platform at (used in links and
    /// trusted as an origin for form posts behind a proxy).
    pub public_url: String,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (the
    /// client address then comes from that header).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Log settings.
    pub log: LogConfig,
    /// Session settings.
    pub session: SessionConfig,
    /// Database pool settings.
    pub db: DbConfig,
    /// Background worker settings.
    pub jobs: JobsConfig,
    /// Catalog search settings.
    pub search: SearchConfig,
    /// How periods are counted on the legal calendar.
    pub calendar: CalendarConfig,
    /// Sign-in limits and real-name levels.
    pub identity: IdentityConfig,
    /// How one-time codes and notices reach people.
    pub mail: MailConfig,
    /// Who may read `/metrics`.
    pub metrics: MetricsConfig,
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Client addresses (after `trusted_proxies`) served `/metrics`; every
    /// other address is refused. Default: the loopback addresses.
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
            identity: IdentityConfig::default(),
            mail: MailConfig::default(),
            metrics: MetricsConfig::default(),
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

/// A configuration problem, phrased so the operator knows what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// the file
        path: PathBuf,
        /// why
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped settings.
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// the file
        path: PathBuf,
        /// the parser's explanation, with line and column
        message: String,
    },
    /// An environment variable has a bad value.
    #[error("environment variable {name} is invalid: {message}")]
    Env {
        /// the variable
        name: String,
        /// why
        message: String,
    },
    /// A value is out of range.
    #[error("setting {name} is invalid: {message}")]
    Invalid {
        /// the setting
        name: String,
        /// why
        message: String,
    },
}

/// Environment variables and the settings they override.
const ENV_KEYS: &[(&str, &str)] = &[
    ("TONGBAN_LISTEN", "listen"),
    ("TONGBAN_DATA_DIR", "data_dir"),
    ("TONGBAN_DATABASE_URL", "database_url"),
    ("TONGBAN_PUBLIC_URL", "public_url"),
    ("TONGBAN_LOG_FORMAT", "log.format"),
    ("TONGBAN_LOG_LEVEL", "log.level"),
    ("TONGBAN_SESSION_IDLE_MINUTES", "session.idle_minutes"),
    ("TONGBAN_SESSION_ABSOLUTE_HOURS", "session.absolute_hours"),
    ("TONGBAN_SESSION_SECURE_COOKIE", "session.secure_cookie"),
    ("TONGBAN_DB_MAX_CONNECTIONS", "db.max_connections"),
    ("TONGBAN_DB_MAX_BATCH", "db.max_batch"),
    ("TONGBAN_JOBS_ENABLED", "jobs.enabled"),
    ("TONGBAN_JOBS_POLL_MS", "jobs.poll_ms"),
    ("TONGBAN_JOBS_CONCURRENCY", "jobs.concurrency"),
    ("TONGBAN_SEARCH_SYNONYMS_FILE", "search.synonyms_file"),
    ("TONGBAN_CALENDAR_PERIOD_STARTS", "calendar.period_starts"),
    (
        "TONGBAN_IDENTITY_ADDRESS_FAILURES",
        "identity.address_failures",
    ),
    (
        "TONGBAN_IDENTITY_ADDRESS_WINDOW_MINUTES",
        "identity.address_window_minutes",
    ),
    ("TONGBAN_IDENTITY_DATA_KEY", "identity.data_key"),
    ("TONGBAN_MAIL_SMTP_HOST", "mail.smtp_host"),
    ("TONGBAN_MAIL_SMTP_PORT", "mail.smtp_port"),
    ("TONGBAN_MAIL_SMTP_TLS", "mail.smtp_tls"),
    ("TONGBAN_MAIL_SMTP_USERNAME", "mail.smtp_username"),
    ("TONGBAN_MAIL_SMTP_PASSWORD", "mail.smtp_password"),
    ("TONGBAN_MAIL_FROM", "mail.from"),
];

impl Config {
    /// The URL of a listening address, as people's browsers reach it: an
    /// unspecified address (`0.0.0.0`) is reached on the loopback address.
    pub fn url_of(addr: SocketAddr) -> String {
        let ip = match addr.ip() {
            std::net::IpAddr::V4(v4) if v4.is_unspecified() => {
                std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
            }
            std::net::IpAddr::V6(v6) if v6.is_unspecified() => {
                std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
            }
            other => other,
        };
        format!("http://{}", SocketAddr::new(ip, addr.port()))
    }

    /// Fills an empty `public_url` from the address the server listens on;
    /// returns whether it did (the operator is then warned outside the demo:
    /// the issuer of tokens should be the public address people use).
    pub fn settle_public_url(&mut self, bound: SocketAddr) -> bool {
        if !self.public_url.is_empty() {
            return false;
        }
        self.public_url = Self::url_of(bound);
        true
    }

    /// Loads defaults, then `file` (if given, it must exist; otherwise
    /// `tongban.toml` in the working folder if present), then the variables
    /// in `env`.
    pub fn load(file: Option<&Path>, env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let mut value =
            toml::Value::try_from(Config::default()).map_err(|e| ConfigError::Invalid {
                name: "defaults".into(),
                message: e.to_string(),
            })?;
        let implicit = PathBuf::from("tongban.toml");
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None if implicit.exists() => Some(implicit),
            None => None,
        };
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let from_file: toml::Value = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                path: path.clone(),
                message: e.to_string(),
            })?;
            merge(&mut value, from_file);
            // Check the file alone against the schema for a precise message.
            value
                .clone()
                .try_into::<Config>()
                .map_err(|e| ConfigError::Parse {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
        }
        for (name, key) in ENV_KEYS {
            if let Some(raw) = env.get(*name) {
                set_path(&mut value, key, env_value(raw));
                value
                    .clone()
                    .try_into::<Config>()
                    .map_err(|e| ConfigError::Env {
                        name: (*name).to_string(),
                        message: e.to_string(),
                    })?;
            }
        }
        if let Some(unknown) = env
            .keys()
            .find(|k| k.starts_with("TONGBAN_") && !is_known_env(k))
        {
            return Err(ConfigError::Env {
                name: unknown.clone(),
                message: "unknown setting".into(),
            });
        }
        let cfg: Config = value.try_into().map_err(|e| ConfigError::Invalid {
            name: "config".into(),
            message: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks ranges and combinations that types alone do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |name: &str, message: &str| ConfigError::Invalid {
            name: name.into(),
            message: message.into(),
        };
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(bad("log.format", "must be \"text\" or \"json\""));
        }
        let db_ok = ["", "sqlite:", "postgres:", "postgresql:"].iter().any(|p| {
            if p.is_empty() {
                self.database_url.is_empty()
            } else {
                self.database_url.starts_with(p)
            }
        });
        if !db_ok {
            return Err(bad(
                "database_url",
                "must start with sqlite: or postgres://",
            ));
        }
        if self.session.idle_minutes < 1 || self.session.absolute_hours < 1 {
            return Err(bad(
                "session",
                "idle_minutes and absolute_hours must be at least 1",
            ));
        }
        if self.db.max_connections < 1 || self.db.max_batch < 1 {
            return Err(bad(
                "db",
                "max_connections and max_batch must be at least 1",
            ));
        }
        if !self.search.synonyms_file.is_empty() && !Path::new(&self.search.synonyms_file).is_file()
        {
            return Err(bad("search.synonyms_file", "file not found"));
        }
        if self.identity.address_failures < 1 || self.identity.address_window_minutes < 1 {
            return Err(bad(
                "identity",
                "address_failures and address_window_minutes must be at least 1",
            ));
        }
        if self.identity.levels.len() != 4 {
            return Err(bad("identity.levels", "exactly four levels are needed"));
        }
        if !matches!(self.mail.smtp_tls.as_str(), "none" | "starttls" | "tls") {
            return Err(bad(
                "mail.smtp_tls",
                "must be \"none\", \"starttls\" or \"tls\"",
            ));
        }
        if self.jobs.concurrency < 1 {
            return Err(bad("jobs.concurrency", "must be at least 1"));
        }
        if !self.public_url.is_empty()
            && url::Url::parse(&self.public_url)
                .ok()
                .is_none_or(|u| u.host().is_none() || u.query().is_some() || u.fragment().is_some())
        {
            return Err(bad("public_url", "must be an absolute URL with a host"));
        }
        if !(self.public_url.is_empty()
            || self.public_url.starts_with("http://")
            || self.public_url.starts_with("https://"))
        {
            return Err(bad("public_url", "must start with http:// or https://"));
        }
        Ok(())
    }

    /// The database URL in effect: the configured one, or the SQLite file in
    /// the data folder.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            crate::platform::db::Db::sqlite_url(&self.data_dir.join("tongban.sqlite"))
        } else {
            self.database_url.clone()
        }
    }

    /// The configuration as TOML, with the database password masked.
    pub fn to_redacted_toml(&self) -> String {
        let mut c = self.clone();
        c.database_url = redact_url(&c.database_url);
        if !c.identity.data_key.is_empty() {
            c.identity.data_key = "********".into();
        }
        if !c.mail.smtp_password.is_empty() {
            c.mail.smtp_password = "********".into();
        }
        toml::to_string_pretty(&c).unwrap_or_default()
    }
}

fn is_known_env(name: &str) -> bool {
    // TONGBAN_TEST_* belong to the test harness, not to the platform.
    ENV_KEYS.iter().any(|(n, _)| *n == name)
        || name == "TONGBAN_CONFIG"
        || name.starts_with("TONGBAN_TEST_")
}

/// Hides the password in `postgres://user:secret@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Environment values are strings; numbers and booleans are recognised so
/// that `TONGBAN_DB_MAX_BATCH=32` sets an integer.
fn env_value(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = raw.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(raw.to_owned())
    }
}

fn set_path(root: &mut toml::Value, dotted: &str, v: toml::Value) {
    let mut cur = root;
    let parts: Vec<&str> = dotted.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        let Some(table) = cur.as_table_mut() else {
            return;
        };
        if i + 1 == parts.len() {
            table.insert((*p).to_owned(), v);
            return;
        }
        cur = table
            .entry((*p).to_owned())
            .or_insert_with(|| toml::Value::Table(toml::map::Map::new()));
    }
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(&f, "listen = \"127.0.0.1:9000\"\n[db]\nmax_batch = 16\n").unwrap();
        let c = Config::load(Some(&f), &env(&[("TONGBAN_DB_MAX_BATCH", "32")])).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.db.max_batch, 32);
        assert_eq!(c.db.max_connections, 8);
    }

    #[test]
    fn unknown_setting_in_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(&f, "lisen = \"x\"\n").unwrap();
        let e = Config::load(Some(&f), &env(&[])).unwrap_err().to_string();
        assert!(e.contains("lisen"), "{e}");
    }

    #[test]
    fn malformed_file_and_bad_env_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(&f, "listen = [").unwrap();
        assert!(matches!(
            Config::load(Some(&f), &env(&[])),
            Err(ConfigError::Parse { .. })
        ));
        let e = Config::load(None, &env(&[("TONGBAN_LISTEN", "nowhere")])).unwrap_err();
        assert!(
            matches!(e, ConfigError::Env { ref name, .. } if name == "TONGBAN_LISTEN"),
            "{e}"
        );
        let e = Config::load(None, &env(&[("TONGBAN_LOG_FORMAT", "xml")])).unwrap_err();
        assert!(e.to_string().contains("log.format"));
        let e = Config::load(None, &env(&[("TONGBAN_LISTN", "x")])).unwrap_err();
        assert!(e.to_string().contains("TONGBAN_LISTN"));
        assert!(
            Config::load(
                None,
                &env(&[
                    ("TONGBAN_TEST_PG", "postgres://x"),
                    ("TONGBAN_TEST_REQUIRE_BROWSER", "1")
                ])
            )
            .is_ok()
        );
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let e = Config::load(Some(Path::new("/nonexistent/tongban.toml")), &env(&[])).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://tb:s3cret@db:5432/tb"),
            "postgres://tb:***@db:5432/tb"
        );
        assert_eq!(redact_url("sqlite://x.sqlite"), "sqlite://x.sqlite");
    }
}
