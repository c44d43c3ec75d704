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

#[test]
fn upload_bounds_are_settings_checked_at_start() {
    let c = Config::load(None, &env(&[])).unwrap();
    assert_eq!(
        (
            c.uploads.per_account,
            c.uploads.in_flight,
            c.uploads.idle_seconds
        ),
        (4, 256, 20)
    );
    let c = Config::load(None, &env(&[("TONGBAN_UPLOADS_IDLE_SECONDS", "5")])).unwrap();
    assert_eq!(c.uploads.idle_seconds, 5);
    for bad in [
        ("TONGBAN_UPLOADS_PER_ACCOUNT", "0"),
        ("TONGBAN_UPLOADS_IN_FLIGHT", "2"),
        ("TONGBAN_UPLOADS_IDLE_SECONDS", "0"),
    ] {
        let e = Config::load(None, &env(&[bad])).unwrap_err().to_string();
        assert!(e.contains("uploads"), "{e}");
    }
}
