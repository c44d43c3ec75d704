//! The legal calendar: deadlines across the 2026 holidays, a provisional
//! 2027, and an administrator loading a year from a table.

use serde_json::Value;

use crate::helpers::TestApp;

async fn deadline(app: &TestApp, query: &str) -> (u16, Value) {
    let r = app
        .client()
        .get(app.url(&format!("/api/v1/calendar/deadline?{query}")))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn deadlines_follow_the_2026_holidays_and_make_up_days() {
    let app = TestApp::spawn().await;
    // Friday 13 February: the next working day is Saturday the 14th (调休).
    let (s, d) = deadline(&app, "from=2026-02-13&working_days=1").await;
    assert_eq!(s, 200);
    assert_eq!(d["deadline"], "2026-02-14");
    assert_eq!(d["provisional"], false);
    // After it, the Spring Festival runs to Monday the 23rd.
    let (_, d) = deadline(&app, "from=2026-02-14&working_days=1").await;
    assert_eq!(d["deadline"], "2026-02-24");
    // 20 working days from 9 March cross 清明 (Monday 6 April off).
    let (_, d) = deadline(&app, "from=2026-03-09&working_days=20").await;
    assert_eq!(d["deadline"], "2026-04-07");
    // Calendar days ending on a holiday end on the next working day.
    let (_, d) = deadline(&app, "from=2026-09-27&days=5").await;
    assert_eq!(d["deadline"], "2026-10-08");
    // Into 2027, whose notice is not loaded: provisional.
    let (_, d) = deadline(&app, "from=2026-12-21&working_days=20").await;
    assert_eq!(d["provisional"], true);
    // 2025 is shipped too.
    let (_, d) = deadline(&app, "from=2025-09-30&working_days=1").await;
    assert_eq!(d["deadline"], "2025-10-09");
}

#[tokio::test]
async fn bad_questions_get_a_clear_422() {
    let app = TestApp::spawn().await;
    for (query, field, code) in [
        ("working_days=3", "from", "required"),
        ("from=2026-02-30&working_days=3", "from", "bad_date"),
        ("from=2031-01-05&working_days=3", "from", "out_of_range"),
        ("from=2026-03-02", "working_days", "one_of"),
        (
            "from=2026-03-02&working_days=3&days=3",
            "working_days",
            "one_of",
        ),
        (
            "from=2026-03-02&working_days=9999",
            "working_days",
            "too_large",
        ),
    ] {
        let (s, p) = deadline(&app, query).await;
        assert_eq!(s, 422, "{query}");
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
        assert_eq!(p["errors"][0]["code"], code, "{query}: {p}");
    }
    let r = app
        .client()
        .get(app.url("/api/v1/calendar/2031"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn a_year_lists_its_holidays_and_make_up_days() {
    let app = TestApp::spawn().await;
    let y: Value = app
        .client()
        .get(app.url("/api/v1/calendar/2026"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(y["provisional"], false);
    let dates = |k: &str| -> Vec<String> {
        y[k].as_array()
            .unwrap()
            .iter()
            .map(|d| d["date"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(dates("holidays").contains(&"2026-02-15".to_owned()));
    assert_eq!(dates("holidays").len(), 33);
    assert_eq!(
        dates("workdays"),
        [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10"
        ]
    );
    let y: Value = app
        .client()
        .get(app.url("/api/v1/calendar/2027"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(y["provisional"], true);
    assert_eq!(y["holidays"].as_array().unwrap().len(), 13);
    assert_eq!(y["holidays"][1]["date"], "2027-02-05");
}

#[tokio::test]
async fn an_administrator_loads_a_year_from_a_table_after_seeing_what_it_changes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // The console warns that 2027 is not loaded (today is in 2026 or later).
    let (_, page) = app.get_text(&admin, "/admin").await;
    let today_year = time::OffsetDateTime::now_utc().year();
    if today_year <= 2027 {
        assert!(page.contains("calendar-warning-2027"), "{page}");
    }
    // Others may not touch it.
    let (s, _) = app
        .get_text(&app.clerk().await, "/admin/calendar/2027")
        .await;
    assert_eq!(s, 403);
    let post = |form: Vec<(&'static str, String)>| {
        let (c, url) = (admin.clone(), app.url("/admin/calendar/2027"));
        async move { c.post(url).form(&form).send().await.unwrap() }
    };
    // A bad table: every bad line at once, nothing saved.
    let r = post(vec![
        (
            "table",
            "2027-02-05~2027-02-11,放假,春节\n2026-12-31,放假\n2027-02-14,午休".into(),
        ),
        ("revision", "0".into()),
        ("action", "save".into()),
    ])
    .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("第2行") && body.contains("第3行"), "{body}");
    let table = "# 2027\n2027-02-05~2027-02-11,放假,春节\n2027-02-14,上班,春节\n";
    // Preview: what the table changes, before anything is kept.
    let r = post(vec![
        ("table", table.into()),
        ("source", "国办发明电〔2026〕测试".into()),
        ("revision", "0".into()),
        ("action", "preview".into()),
    ])
    .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("change-added") && body.contains("2027-02-14"),
        "{body}"
    );
    assert!(body.contains("calendar-save"));
    let (_, d) = deadline(&app, "from=2027-02-12&working_days=1").await;
    assert_eq!(d["deadline"], "2027-02-15", "nothing is saved by a preview");
    // Save.
    let r = post(vec![
        ("table", table.into()),
        ("source", "国办发明电〔2026〕测试".into()),
        ("revision", "0".into()),
        ("action", "save".into()),
    ])
    .await;
    assert_eq!(r.status(), 303);
    let (_, d) = deadline(&app, "from=2027-02-12&working_days=1").await;
    assert_eq!(d["deadline"], "2027-02-14");
    assert_eq!(d["provisional"], false);
    let (_, d) = deadline(&app, "from=2027-02-04&working_days=1").await;
    assert_eq!(d["deadline"], "2027-02-12");
    // A second administrator's form drawn before the save loses, and is told.
    let r = post(vec![
        ("table", "2027-02-05,放假,春节\n".into()),
        ("revision", "0".into()),
        ("action", "save".into()),
    ])
    .await;
    assert_eq!(r.status(), 409);
    let (_, d) = deadline(&app, "from=2027-02-12&working_days=1").await;
    assert_eq!(
        d["deadline"], "2027-02-14",
        "the losing edit changed nothing"
    );
    let (_, page) = app.get_text(&admin, "/admin").await;
    assert!(!page.contains("calendar-warning-2027"));
}
