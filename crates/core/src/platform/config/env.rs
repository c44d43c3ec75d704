//! `TONGBAN_*` environment variables: which settings they override, and how
//! their values are laid over the file's.

/// Environment variables and the settings they override.
pub(super) const ENV_KEYS: &[(&str, &str)] = &[
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
    ("TONGBAN_APPLICATIONS_DRAFT_DAYS", "applications.draft_days"),
    (
        "TONGBAN_APPLICATIONS_DRAFTS_PER_ACCOUNT",
        "applications.drafts_per_account",
    ),
    (
        "TONGBAN_APPLICATIONS_BYTES_PER_ACCOUNT",
        "applications.bytes_per_account",
    ),
    (
        "TONGBAN_APPLICATIONS_CASE_NUMBER",
        "applications.case_number",
    ),
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
    ("TONGBAN_UPLOADS_PER_ACCOUNT", "uploads.per_account"),
    ("TONGBAN_UPLOADS_IN_FLIGHT", "uploads.in_flight"),
    ("TONGBAN_UPLOADS_IDLE_SECONDS", "uploads.idle_seconds"),
];

pub(super) fn is_known_env(name: &str) -> bool {
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
pub(super) fn env_value(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = raw.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(raw.to_owned())
    }
}

pub(super) fn set_path(root: &mut toml::Value, dotted: &str, v: toml::Value) {
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

pub(super) fn merge(base: &mut toml::Value, over: toml::Value) {
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
