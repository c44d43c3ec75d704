//! Micro-benchmarks of the pure hot paths (`cargo bench -p tongban-core`):
//! identifier checks, the legal calendar's deadline, catalog search over the demo catalog, password hashing
//! at the platform's parameters, token signing (ES256, RS256) and the
//! national algorithms as the platform uses them (SM4 + HMAC-SM3 sealing,
//! keyed SM3 lookups). Load runs over HTTP are in `bench/`.

#![expect(clippy::unwrap_used, reason = "benchmark set-up fails loudly")]

use std::sync::OnceLock;

use divan::{Bencher, black_box};
use serde_json::json;
use tongban_core::catalog::search::{SearchIndex, Synonyms};
use tongban_core::identity::oidc::{Alg, KeyRing};
use tongban_core::platform::crypto::DataKey;
use tongban_core::platform::db::{Db, DbOptions};
use tongban_domain::kernel::{CreditCode, IdCardNo};

fn main() {
    divan::main();
}

#[divan::bench]
fn id_card_number_check() {
    black_box(IdCardNo::parse(black_box("11010519491231002X")).is_ok());
}

/// The platform's calendar as migrations ship it (2025 and 2026 loaded).
fn calendar() -> &'static tongban_domain::kernel::calendar::Calendar {
    static CAL: OnceLock<tongban_domain::kernel::calendar::Calendar> = OnceLock::new();
    CAL.get_or_init(|| {
        let (rt, db, ..) = demo();
        rt.block_on(tongban_core::kernel::calendar::load(db))
            .unwrap()
    })
}

/// 20 working days (the statutory decision limit) from an acceptance day
/// moving through 2026, so that holidays and make-up days are crossed.
#[divan::bench]
fn deadline_20_working_days(bencher: Bencher) {
    use tongban_domain::kernel::calendar::{Period, StartRule, Unit};
    let cal = calendar();
    let start = time::macros::date!(2026 - 01 - 01);
    let mut i = 0i64;
    bencher.bench_local(|| {
        i = (i + 1) % 300;
        let from = start + time::Duration::days(i);
        black_box(
            cal.deadline(
                black_box(from),
                Period {
                    count: 20,
                    unit: Unit::WorkingDays,
                },
                StartRule::NextDay,
                &[],
            )
            .unwrap(),
        )
    });
}

#[divan::bench]
fn credit_code_check() {
    black_box(CreditCode::parse(black_box("9144030071526726XG")).is_ok());
}

/// The demo catalog in a temporary database, indexed once.
fn demo() -> &'static (
    tokio::runtime::Runtime,
    Db,
    SearchIndex,
    KeyRing,
    tempfile::TempDir,
) {
    static DEMO: OnceLock<(
        tokio::runtime::Runtime,
        Db,
        SearchIndex,
        KeyRing,
        tempfile::TempDir,
    )> = OnceLock::new();
    DEMO.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (db, index, keys) = rt.block_on(async {
            let url = Db::sqlite_url(&dir.path().join("bench.sqlite"));
            let db = Db::connect(&url, DbOptions::default()).await.unwrap();
            db.migrate().await.unwrap();
            tongban_core::demo::seed(&db).await.unwrap();
            let index = SearchIndex::new(Synonyms::load("").unwrap()).unwrap();
            let generation = tongban_core::catalog::generation(&db).await.unwrap();
            index.ensure_generation(&db, generation).await.unwrap();
            let keys = KeyRing::load(&db).await.unwrap();
            (db, index, keys)
        });
        (rt, db, index, keys, dir)
    })
}

#[divan::bench(args = ["开饭店", "身份证丢了", "营业执照变更", "公租房"])]
fn search(bencher: Bencher, query: &str) {
    let (_, _, index, _, _) = demo();
    bencher.bench(|| {
        index
            .search(black_box(query), Default::default(), 10, 0)
            .unwrap()
            .1
    });
}

#[divan::bench(args = ["ES256", "RS256"])]
fn sign_id_token(bencher: Bencher, alg: &str) {
    let (_, _, _, keys, _) = demo();
    let key = keys.active(Alg::parse(alg).unwrap()).unwrap();
    let claims = json!({"iss": "https://tongban.example", "sub": "42", "aud": "demo-rp", "iat": 1, "exp": 2,
        "name": "张晓明", "acr": "urn:tongban:rnl:3", "nonce": "n"});
    bencher.bench(|| key.sign("JWT", black_box(&claims)).unwrap());
}

#[divan::bench(sample_count = 20)]
fn password_hash() {
    black_box(
        tongban_core::identity::password::hash_blocking(black_box("correct horse battery 1"))
            .unwrap(),
    );
}

#[divan::bench]
fn seal_id_number(bencher: Bencher) {
    let key = DataKey::from_master(&[7u8; 32]);
    bencher.bench(|| key.seal(black_box(b"11010519491231002X")));
}

#[divan::bench]
fn id_number_lookup_digest(bencher: Bencher) {
    let key = DataKey::from_master(&[7u8; 32]);
    bencher.bench(|| key.lookup_hash(black_box("11010519491231002X")));
}
