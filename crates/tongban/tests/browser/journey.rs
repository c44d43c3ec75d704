//! The journey as people live it, in chromium at a phone's width (412 px):
//! a citizen applies for a replacement ID card, a window clerk asks for
//! one correction on the desk, the citizen corrects it from the notice's
//! link, the clerk accepts, and the citizen sees the dates. Every page on
//! the way is checked with axe-core (no serious or critical violation) and
//! for width (nothing wider than the screen).

use std::time::Duration;

use fantoccini::Locator;

use super::{chromium, click, helpers, shoot, type_into, violations};

/// Waits (up to 10 s) for an element to be on the page.
async fn wait_for(c: &fantoccini::Client, css: &str) -> fantoccini::elements::Element {
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    let body = c.source().await.unwrap_or_default();
    panic!("{css} never appeared on {url}:\n{body}");
}

/// What is wrong with the page the browser shows: axe's serious and
/// critical violations, and anything wider than the screen.
async fn page_problems(c: &fantoccini::Client, axe: &str, name: &str) -> Vec<String> {
    let mut out: Vec<String> = violations(c, axe)
        .await
        .into_iter()
        .map(|v| format!("{name}: {v}"))
        .collect();
    let widths = c
        .execute(
            "const wide = [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
               .slice(0, 3).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className);
             return [document.documentElement.scrollWidth, window.innerWidth, wide];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
    if scroll > inner {
        out.push(format!(
            "{name}: the page is {scroll} px wide on a {inner} px screen ({})",
            widths[2]
        ));
    }
    out
}

async fn sign_in(c: &fantoccini::Client, app: &helpers::TestApp, who: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    type_into(c, "f-username", who).await;
    type_into(c, "f-password", tongban_core::demo::DEMO_PASSWORD).await;
    click(c, "login-submit").await;
    if who != "citizen" {
        wait_for(c, "#f-code").await;
        type_into(c, "f-code", &app.totp_code(who).await).await;
        click(c, "totp-submit").await;
    }
    wait_for(c, "#nav-account").await;
}

async fn sign_out(c: &fantoccini::Client) {
    click(c, "sign-out").await;
    wait_for(c, "a[href^='/login']").await;
}

#[tokio::test]
async fn a_citizen_applies_on_a_phone_corrects_once_and_is_accepted_at_the_desk() {
    if !super::browser_present() {
        return;
    }
    let Some(axe) = super::axe_source() else {
        assert!(
            std::env::var("TONGBAN_TEST_REQUIRE_BROWSER").is_err(),
            "TONGBAN_TEST_REQUIRE_BROWSER is set but axe-core is missing"
        );
        return;
    };
    let app = helpers::TestApp::spawn().await;
    let item: String = tongban_core::platform::db::query_scalar(
        "SELECT task_code FROM published_items WHERE name = '居民身份证补领' AND division_code = '230100'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let scan = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(scan.path(), helpers::MINIMAL_PDF).unwrap();
    let shots = super::screenshots_dir();
    let (c, _driver, _profile) = chromium().await;
    let mut found = Vec::new();

    // The citizen applies on a phone.
    sign_in(&c, &app, "citizen").await;
    c.goto(&app.url(&format!("/apply/{item}"))).await.unwrap();
    wait_for(&c, "#start-form").await;
    found.extend(page_problems(&c, &axe, "start").await);
    click(&c, "start").await;
    wait_for(&c, "#page-form").await;
    found.extend(page_problems(&c, &axe, "question page 1").await);
    shoot(&c, &shots, "journey-question.png").await;
    click(&c, "f-reason-damaged").await;
    click(&c, "continue").await;
    wait_for(&c, "#f-collect-window").await;
    found.extend(page_problems(&c, &axe, "question page 2").await);
    click(&c, "f-collect-window").await;
    click(&c, "continue").await;
    let file = wait_for(&c, "#materials-form input[type=file]").await;
    found.extend(page_problems(&c, &axe, "materials").await);
    file.send_keys(&scan.path().display().to_string())
        .await
        .unwrap();
    // "Continue" uploads the file chosen.
    click(&c, "continue").await;
    wait_for(&c, "#declare").await;
    found.extend(page_problems(&c, &axe, "check").await);
    click(&c, "declare").await;
    click(&c, "submit").await;
    wait_for(&c, "#confirmation").await;
    found.extend(page_problems(&c, &axe, "confirmation").await);
    shoot(&c, &shots, "journey-confirmation.png").await;
    let url = c.current_url().await.unwrap();
    let id = url.path().rsplit('/').next().unwrap().to_owned();
    let number: String = tongban_core::platform::db::query_scalar(
        "SELECT case_number FROM applications WHERE public_id = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    c.goto(&app.url("/applications")).await.unwrap();
    wait_for(&c, "#mine .card").await;
    found.extend(page_problems(&c, &axe, "我的办件").await);
    sign_out(&c).await;

    // The clerk asks for one correction, placed on the question.
    sign_in(&c, &app, "clerk").await;
    c.goto(&app.url("/work/cases")).await.unwrap();
    found.extend(page_problems(&c, &axe, "the desk's queue").await);
    c.goto(&app.url(&format!("/work/cases/{number}")))
        .await
        .unwrap();
    wait_for(&c, "#decide").await;
    found.extend(page_problems(&c, &axe, "the case").await);
    click(&c, "request-correction").await;
    let place = wait_for(&c, "#f-finding-0-target").await;
    found.extend(page_problems(&c, &axe, "the correction page").await);
    place.select_by_value("/fields/reason").await.unwrap();
    type_into(
        &c,
        "f-finding-0-problem",
        "证件损坏的，请改选实际原因并说明",
    )
    .await;
    click(&c, "preview").await;
    wait_for(&c, "#notice-preview").await;
    found.extend(page_problems(&c, &axe, "the notice's preview").await);
    shoot(&c, &shots, "journey-notice-preview.png").await;
    click(&c, "issue").await;
    wait_for(&c, "#notice").await;
    sign_out(&c).await;

    // The citizen follows the notice's link to the question, then submits
    // the one correction.
    sign_in(&c, &app, "citizen").await;
    c.goto(&app.url(&format!("/applications/{id}")))
        .await
        .unwrap();
    let link = wait_for(&c, "#findings a[href*='#f-reason']").await;
    found.extend(page_problems(&c, &axe, "the correction notice's page").await);
    shoot(&c, &shots, "journey-findings.png").await;
    link.click().await.unwrap();
    wait_for(&c, "#f-reason-lost").await;
    c.goto(&app.url(&format!("/applications/{id}/check")))
        .await
        .unwrap();
    wait_for(&c, "#declare").await;
    click(&c, "declare").await;
    click(&c, "submit").await;
    let done = wait_for(&c, "#confirmation h1").await;
    assert!(done.text().await.unwrap().contains("补正后"));
    sign_out(&c).await;

    // The clerk accepts after the preview; the citizen sees the dates.
    sign_in(&c, &app, "clerk").await;
    c.goto(&app.url(&format!("/work/cases/{number}/decide/accept")))
        .await
        .unwrap();
    wait_for(&c, "#preview").await;
    found.extend(page_problems(&c, &axe, "the acceptance page").await);
    click(&c, "preview").await;
    wait_for(&c, "#issue").await;
    click(&c, "issue").await;
    wait_for(&c, "#promised-date").await;
    sign_out(&c).await;
    sign_in(&c, &app, "citizen").await;
    c.goto(&app.url(&format!("/applications/{id}")))
        .await
        .unwrap();
    wait_for(&c, "#promised-date").await;
    let steps = wait_for(&c, "#timeline").await.text().await.unwrap();
    assert!(
        steps.contains("已受理") && steps.contains("需要补正"),
        "{steps}"
    );
    found.extend(page_problems(&c, &axe, "the accepted case").await);
    c.execute(
        "document.getElementById('promised-date').scrollIntoView();",
        vec![],
    )
    .await
    .unwrap();
    shoot(&c, &shots, "journey-accepted-timeline.png").await;
    c.goto(&app.url("/track")).await.unwrap();
    found.extend(page_problems(&c, &axe, "/track").await);
    c.close().await.unwrap();
    assert!(found.is_empty(), "found:\n{}", found.join("\n"));
}
