//! What a system learns: the ID number scope, enterprise agents, real-name levels, enterprises themselves.

use super::*;

#[tokio::test]
async fn the_id_number_is_released_only_under_its_own_scope() {
    let app = TestApp::spawn().await;
    let secret = register(
        &app,
        ClientForm {
            client_id: "social-security".into(),
            name: "社保业务系统".into(),
            kind: "confidential".into(),
            redirect_uris: "https://sb.example.gov.cn/cb".into(),
            scopes: "openid profile id_number".into(),
            id_token_alg: "ES256".into(),
            require_consent: true,
            ..ClientForm::default()
        },
    )
    .await
    .unwrap();
    let citizen = app.signed_in("citizen").await;
    let get_claims = |scope: &'static str| {
        let app = &app;
        let citizen = &citizen;
        let secret = secret.clone();
        async move {
            let url = authorize_url(
                app,
                "social-security",
                "https://sb.example.gov.cn/cb",
                &[("scope", scope)],
            );
            let r = citizen.get(&url).send().await.unwrap();
            let location = if r.status() == 200 {
                let page = r.text().await.unwrap();
                if scope.contains("id_number") {
                    assert!(page.contains("公民身份号码"), "the consent screen names it");
                }
                let mut fields = form_fields(&page, "consent-form");
                fields.push(("decision".into(), "allow".into()));
                let r = citizen
                    .post(app.url("/oauth/authorize"))
                    .form(&fields)
                    .send()
                    .await
                    .unwrap();
                r.headers()["location"].to_str().unwrap().to_owned()
            } else {
                r.headers()["location"].to_str().unwrap().to_owned()
            };
            let code = q(&query_of(&location), "code").unwrap().to_owned();
            let (s, tokens) = token(
                app,
                Some(("social-security", secret.as_str())),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", "https://sb.example.gov.cn/cb"),
                ],
            )
            .await;
            assert_eq!(s, 200, "{tokens}");
            let info: Value = app
                .client()
                .get(app.url("/oauth/userinfo"))
                .bearer_auth(tokens["access_token"].as_str().unwrap())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            info
        }
    };
    let without = get_claims("openid profile").await;
    assert!(without.get("id_number").is_none());
    let with = get_claims("openid profile id_number").await;
    let expected = tongban_domain::kernel::IdCardNo::with_check("23010219900307123").unwrap();
    assert_eq!(with["id_number"], expected.as_str());
}

#[tokio::test]
async fn an_enterprise_agent_acts_within_its_scope_only_until_revoked() {
    let app = TestApp::spawn().await;
    let food = catalog_code_of(&app, "食品经营许可").await;
    let birth = catalog_code_of(&app, "新生儿入户").await;
    let enterprise = app.signed_in("enterprise").await;
    let (_, page) = app.get_text(&enterprise, "/account").await;
    assert!(
        page.contains("经办人授权") && page.contains("张晓明"),
        "the demo agent is listed"
    );
    // Bad authorisations are explained field by field.
    let r = enterprise
        .post(app.url("/account/agents"))
        .form(&[
            ("action", "grant"),
            ("agent", "clerk"),
            ("items", "999999999999"),
            ("until", "2020-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    for e in ["自然人账号", "999999999999 不存在", "有效期应晚于今天"] {
        assert!(body.contains(e), "{e}");
    }
    // A person cannot authorise agents.
    let citizen = app.signed_in("citizen").await;
    let r = citizen
        .post(app.url("/account/agents"))
        .form(&[
            ("action", "grant"),
            ("agent", "citizen"),
            ("until", "2099-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Re-authorise the citizen for the food licence only.
    let until = tongban_core::platform::clock::format_cst(
        tongban_core::platform::clock::now_ms() + 30 * 24 * 3600 * 1000,
    )[..10]
        .to_owned();
    let r = enterprise
        .post(app.url("/account/agents"))
        .form(&[
            ("action", "grant"),
            ("agent", "citizen"),
            ("items", food.as_str()),
            ("until", until.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let ent_id = tongban_core::identity::accounts::by_username(&app.db, "enterprise")
        .await
        .unwrap()
        .unwrap()
        .id;
    let cit_id = tongban_core::identity::accounts::by_username(&app.db, "citizen")
        .await
        .unwrap()
        .unwrap()
        .id;
    use tongban_core::identity::agents;
    assert!(
        agents::may_act(&app.db, cit_id, ent_id, &food)
            .await
            .unwrap()
    );
    assert!(
        !agents::may_act(&app.db, cit_id, ent_id, &birth)
            .await
            .unwrap(),
        "outside the scope"
    );
    // The citizen acts for the enterprise; a relying party learns it.
    let r = citizen
        .post(app.url("/account/acting"))
        .form(&[("enterprise_id", ent_id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, page) = app.get_text(&citizen, "/account").await;
    assert!(page.contains("当前正在代表单位办理"));
    let code = code_for(
        &app,
        &citizen,
        &authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]),
    )
    .await;
    let rp = Some((DEMO_RP_ID, DEMO_RP_SECRET));
    let (s, tokens) = exchange_demo(&app, &code).await;
    assert_eq!(s, 200, "{tokens}");
    let id_claims: Value = serde_json::from_slice(&base64_url(
        tokens["id_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(id_claims["enterprise"]["role"], "agent");
    assert_eq!(id_claims["enterprise"]["items"], serde_json::json!([food]));
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let info: Value = app
        .client()
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        info["enterprise"]["credit_code"],
        id_claims["enterprise"]["credit_code"]
    );
    // The enterprise revokes: the agent stops acting everywhere.
    let (_, page) = app.get_text(&enterprise, "/account").await;
    let at = page.find(r#"id="revoke-"#).unwrap() + r#"id="revoke-"#.len();
    let mandate: String = page[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let r = enterprise
        .post(app.url("/account/agents"))
        .form(&[("action", "revoke"), ("id", mandate.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, page) = app.get_text(&citizen, "/account").await;
    assert!(!page.contains("当前正在代表单位办理"));
    let r = app
        .client()
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (s, _) = token(
        &app,
        rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(s, 400);
    let r = citizen
        .post(app.url("/account/acting"))
        .form(&[("enterprise_id", ent_id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no authorisation, no acting");
}

#[tokio::test]
async fn acr_values_ask_for_exactly_the_missing_level() {
    let app = TestApp::spawn().await;
    let citizen = app.signed_in("citizen").await;
    let url = authorize_url(
        &app,
        DEMO_RP_ID,
        DEMO_RP_REDIRECT,
        &[("acr_values", "urn:tongban:rnl:4")],
    );
    let r = citizen.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("四级") && page.contains("三级"),
        "names the needed and the current level"
    );
    let at = page.find(r#"id="stepup-cancel""#).unwrap();
    let href_at = page[..at].rfind("href=\"").unwrap() + 6;
    let cancel = page[href_at..href_at + page[href_at..].find('"').unwrap()].replace("&amp;", "&");
    assert!(cancel.starts_with(DEMO_RP_REDIRECT));
    assert_eq!(
        q(&query_of(&cancel), "error"),
        Some("unmet_authentication_requirements")
    );
    // Without interaction the system hears it at once.
    let r = citizen
        .get(authorize_url(
            &app,
            DEMO_RP_ID,
            DEMO_RP_REDIRECT,
            &[("acr_values", "urn:tongban:rnl:4"), ("prompt", "none")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        q(
            &query_of(r.headers()["location"].to_str().unwrap()),
            "error"
        ),
        Some("interaction_required")
    );
    // Unknown values are ignored; a level already reached passes.
    let r = citizen
        .get(authorize_url(
            &app,
            DEMO_RP_ID,
            DEMO_RP_REDIRECT,
            &[("acr_values", "urn:other:gold urn:tongban:rnl:2")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the consent screen");
    // Verified at the window, the same request succeeds with acr level 4.
    let clerk = app.clerk().await;
    let demo_id = tongban_domain::kernel::IdCardNo::with_check("23010219900307123").unwrap();
    let r = clerk
        .post(app.url("/counter"))
        .form(&[
            ("action", "verify"),
            ("username", "citizen"),
            ("id_number", demo_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let code = code_for(&app, &citizen, &url).await;
    let (_, tokens) = exchange_demo(&app, &code).await;
    let claims: Value = serde_json::from_slice(&base64_url(
        tokens["id_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(claims["acr"], "urn:tongban:rnl:4");
}

#[tokio::test]
async fn an_enterprise_signing_in_itself_carries_its_credit_code_and_legal_representative() {
    let app = TestApp::spawn().await;
    let enterprise = app.signed_in("enterprise").await;
    let code = code_for(
        &app,
        &enterprise,
        &authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]),
    )
    .await;
    let (_, tokens) = exchange_demo(&app, &code).await;
    let claims: Value = serde_json::from_slice(&base64_url(
        tokens["id_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(claims["account_kind"], "enterprise");
    assert_eq!(claims["legal_representative"], "王建国");
    let cc = claims["credit_code"].as_str().unwrap();
    assert!(
        tongban_domain::kernel::CreditCode::parse(cc).is_ok(),
        "{cc}"
    );
    assert_eq!(claims["acr"], "urn:tongban:rnl:4");
}
