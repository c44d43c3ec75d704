//! The items people apply for most lead the home page (issue 21, item 14).

use super::acceptance::submitted;
use super::city_item;
use crate::helpers::TestApp;

#[tokio::test]
async fn the_items_most_applied_for_lead_the_home_page_in_the_pages_language() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    submitted(&app, &citizen).await;
    let anon = app.client();
    let (_, home) = app.get_text(&anon, "/").await;
    let most_used = home
        .split("id=\"most-used\"")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .unwrap_or_else(|| panic!("{home}"));
    assert!(
        most_used.contains(&format!("href=\"/items/{item}\">居民身份证补领</a>")),
        "{most_used}"
    );
    // After the search and the quick links, before the themes and the
    // divisions.
    let at = |s: &str| home.find(s).unwrap_or_else(|| panic!("{s}: {home}"));
    assert!(at("id=\"most-used\"") < at("id=\"h-themes\""));
    assert!(at("id=\"most-used\"") < at("id=\"divisions\""));
    anon.get(app.url("/lang/en")).send().await.unwrap();
    let (_, home) = app.get_text(&anon, "/").await;
    assert!(home.contains("Most used services") && home.contains("Replacement of a lost ID card"));
}
