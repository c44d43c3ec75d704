//! One typed configuration, layered: built-in defaults, then `tongban.toml`
//! (or the file given with `--config`), then `TONGBAN_*` environment
//! variables, then command-line flags. A bad value fails at start-up with a
//! line that names the setting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod env;
mod sections;

pub use env::redact_url;
use env::{ENV_KEYS, env_value, is_known_env, merge, set_path};
pub use sections::*;

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
    /// How long drafts are kept.
    pub applications: ApplicationsConfig,
    /// Sign-in limits and real-name levels.
    pub identity: IdentityConfig,
    /// How one-time codes and notices reach people.
    pub mail: MailConfig,
    /// Who may read `/metrics` and the demo's outbox.
    pub metrics: MetricsConfig,
    /// How many uploads may be in flight, and how long one may sit idle.
    pub uploads: UploadsConfig,
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
        // The numbers it gives must read back as case numbers, or no link
        // to a case would lead to it.
        if tongban_domain::applications::case_number(
            &self.applications.case_number,
            "11230100MB1234567X3012001000001",
            time::macros::date!(2026 - 01 - 01),
            1,
        )
        .ok()
        .and_then(|n| tongban_domain::applications::CaseNo::parse(&n).ok())
        .is_none()
        {
            return Err(bad(
                "applications.case_number",
                "must hold {task_code}, {date} and {seq:N} and give at most 50 letters, digits, '-', '_' or '.'",
            ));
        }
        if !(1..=365).contains(&self.applications.draft_days) {
            return Err(bad("applications.draft_days", "must be between 1 and 365"));
        }
        if self.applications.drafts_per_account < 1 {
            return Err(bad("applications.drafts_per_account", "must be at least 1"));
        }
        if self.applications.bytes_per_account < 1024 * 1024 {
            return Err(bad(
                "applications.bytes_per_account",
                "must be at least 1 MiB",
            ));
        }
        if self.uploads.per_account < 1
            || self.uploads.in_flight < self.uploads.per_account
            || self.uploads.idle_seconds < 1
        {
            return Err(bad(
                "uploads",
                "per_account and idle_seconds must be at least 1, in_flight at least per_account",
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

#[cfg(test)]
mod tests;
