//! Tokens: refresh rotation and reuse, the errors RFC 6749 names, key rotation, revocation on a password change.

use super::*;

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_family() {
    let app = TestApp::spawn().await;
    let citizen = app.signed_in("citizen").await;
    let url = authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]);
    let code = code_for(&app, &citizen, &url).await;
    let rp = Some((DEMO_RP_ID, DEMO_RP_SECRET));
    let (s, first) = exchange_demo(&app, &code).await;
    assert_eq!(s, 200, "{first}");
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let (s, second) = token(
        &app,
        rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
    )
    .await;
    assert_eq!(s, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    assert!(second["id_token"].is_string());
    // Widening the scope on refresh is refused, and does not spend the token.
    let (s, body) = token(
        &app,
        rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r2),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_scope")));
    // Someone replays the first token: refused, and the family is revoked,
    // so the legitimate holder of r2 must sign in again.
    let (s, body) = token(
        &app,
        rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    let (s, _) = token(
        &app,
        rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &r2)],
    )
    .await;
    assert_eq!(s, 400);

    // A token of one client presented by another is refused.
    register(
        &app,
        ClientForm {
            client_id: "other-rp".into(),
            name: "另一系统".into(),
            kind: "confidential".into(),
            redirect_uris: "https://other.example.gov.cn/cb".into(),
            scopes: "openid profile".into(),
            id_token_alg: "ES256".into(),
            ..ClientForm::default()
        },
    )
    .await;
    let code = code_for(&app, &citizen, &url).await;
    let (_, fresh) = exchange_demo(&app, &code).await;
    let other_secret = {
        let admin = tongban_core::identity::accounts::by_username(&app.db, "admin")
            .await
            .unwrap()
            .unwrap();
        let p = tongban_core::identity::accounts::principal(&app.db, admin.id)
            .await
            .unwrap()
            .unwrap();
        oidc::client_action(&app.db, &p, "other-rp", "rotate_secret")
            .await
            .unwrap()
            .unwrap()
    };
    let (s, body) = token(
        &app,
        Some(("other-rp", &other_secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", fresh["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    // …and the rightful client can still use it.
    let (s, _) = token(
        &app,
        rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", fresh["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn bad_requests_get_the_rfc_6749_errors_and_untrusted_targets_get_no_redirect() {
    let app = TestApp::spawn().await;
    let citizen = app.signed_in("citizen").await;
    // Unknown client and unregistered redirect URI: a page, never a redirect.
    for url in [
        authorize_url(&app, "nobody", DEMO_RP_REDIRECT, &[]),
        authorize_url(&app, DEMO_RP_ID, "http://127.0.0.1:8765/evil", &[]),
        authorize_url(&app, DEMO_RP_ID, "https://attacker.example/cb", &[]),
    ] {
        let r = citizen.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 400, "{url}");
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.unwrap().contains("oauth-error"));
    }
    // Errors the client should hear go back to its registered URI with state.
    for (extra, expected) in [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "profile")], "invalid_scope"),
        (vec![("scope", "openid admin")], "invalid_scope"),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("request", "eyJ")], "request_not_supported"),
    ] {
        let r = citizen
            .get(authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &extra))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(loc.starts_with(DEMO_RP_REDIRECT));
        let back = query_of(&loc);
        assert_eq!(q(&back, "error"), Some(expected), "{extra:?}");
        assert_eq!(q(&back, "state"), Some("st-1"));
    }
    // prompt=none for someone signed out.
    let r = app
        .client()
        .get(authorize_url(
            &app,
            DEMO_RP_ID,
            DEMO_RP_REDIRECT,
            &[("prompt", "none")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        q(
            &query_of(r.headers()["location"].to_str().unwrap()),
            "error"
        ),
        Some("login_required")
    );
    // prompt=none before consent was given.
    let r = citizen
        .get(authorize_url(
            &app,
            DEMO_RP_ID,
            DEMO_RP_REDIRECT,
            &[("prompt", "none")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        q(
            &query_of(r.headers()["location"].to_str().unwrap()),
            "error"
        ),
        Some("consent_required")
    );
    // Denying consent.
    let r = citizen
        .get(authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]))
        .send()
        .await
        .unwrap();
    let mut fields = form_fields(&r.text().await.unwrap(), "consent-form");
    fields.push(("decision".into(), "deny".into()));
    let r = citizen
        .post(app.url("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(
        q(
            &query_of(r.headers()["location"].to_str().unwrap()),
            "error"
        ),
        Some("access_denied")
    );

    let rp = Some((DEMO_RP_ID, DEMO_RP_SECRET));
    let code = code_for(
        &app,
        &citizen,
        &authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]),
    )
    .await;
    // Wrong secret: 401 invalid_client with a challenge; the code survives.
    let r = app
        .client()
        .post(app.url("/oauth/token"))
        .basic_auth(DEMO_RP_ID, Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEMO_RP_REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    // Two ways of authenticating at once.
    let (s, body) = token(
        &app,
        rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEMO_RP_REDIRECT),
            ("client_secret", DEMO_RP_SECRET),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_request")));
    // Wrong redirect URI at the exchange.
    let (s, body) = token(
        &app,
        rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:8765/other"),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    // client_secret_post works, for a fresh code.
    let code = code_for(
        &app,
        &citizen,
        &authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]),
    )
    .await;
    let (s, body) = token(
        &app,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEMO_RP_REDIRECT),
            ("client_id", DEMO_RP_ID),
            ("client_secret", DEMO_RP_SECRET),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    // Expired code.
    let code = code_for(
        &app,
        &citizen,
        &authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]),
    )
    .await;
    let hash = oidc::digest(&code);
    app.db
        .write(move |c| {
            Box::pin(async move {
                tongban_core::platform::db::query(
                    "UPDATE oidc_codes SET expires_at = 0 WHERE code_hash = $1",
                )
                .bind(&hash)
                .execute(c)
                .await?;
                Ok::<_, tongban_core::platform::db::DbError>(())
            })
        })
        .await
        .unwrap();
    let (s, body) = exchange_demo(&app, &code).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    // Malformed requests.
    let (s, body) = token(
        &app,
        rp,
        &[("grant_type", "password"), ("username", "citizen")],
    )
    .await;
    assert_eq!(
        (s, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (s, body) = token(&app, rp, &[("grant_type", "authorization_code")]).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_request")));
    let r = app
        .client()
        .post(app.url("/oauth/token"))
        .basic_auth(DEMO_RP_ID, Some(DEMO_RP_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=refresh_token&grant_type=authorization_code")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    let r = app
        .client()
        .post(app.url("/oauth/token"))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // userinfo without or with a forged token.
    let r = app
        .client()
        .get(app.url("/oauth/userinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client()
        .get(app.url("/oauth/userinfo"))
        .bearer_auth("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

#[tokio::test]
async fn keys_rotate_and_the_retired_key_stays_published_until_its_tokens_expire() {
    let app = TestApp::spawn().await;
    let ring = oidc::KeyRing::load(&app.db).await.unwrap();
    let old = ring.active(oidc::Alg::Es256).unwrap().kid.clone();
    let rotated = oidc::KeyRing::rotate(&app.db, oidc::Alg::Es256, 3_600_000)
        .await
        .unwrap();
    let new = rotated.active(oidc::Alg::Es256).unwrap().kid.clone();
    assert_ne!(old, new);
    let kids: Vec<String> = rotated.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert!(kids.contains(&old) && kids.contains(&new));
    // A key retired with no tokens left to outlive is dropped at once; the
    // first one is still kept for its hour.
    let gone = oidc::KeyRing::rotate(&app.db, oidc::Alg::Es256, -1)
        .await
        .unwrap();
    let kids = gone.jwks().to_string();
    assert!(kids.contains(&old) && !kids.contains(&new));
}

#[tokio::test]
async fn a_password_change_ends_the_long_lived_access_of_every_system() {
    let app = TestApp::spawn().await;
    let citizen = app.signed_in("citizen").await;
    let url = authorize_url(
        &app,
        DEMO_RP_ID,
        DEMO_RP_REDIRECT,
        &[("scope", "openid offline_access")],
    );
    let code = code_for(&app, &citizen, &url).await;
    let (s, tokens) = exchange_demo(&app, &code).await;
    assert_eq!(s, 200, "{tokens}");
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let r = citizen
        .post(app.url("/account/password"))
        .form(&[
            ("current", "tongban-demo"),
            ("new", "Songhua-River-2026"),
            ("confirm", "Songhua-River-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_redirection() || r.status() == 200,
        "{}",
        r.status()
    );
    let (s, body) = token(
        &app,
        Some((DEMO_RP_ID, DEMO_RP_SECRET)),
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn an_access_token_with_the_applications_scope_reaches_the_applications_api_only() {
    let app = TestApp::spawn().await;
    let citizen = app.signed_in("citizen").await;
    let token_for = async |scope: &str| {
        let url = authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[("scope", scope)]);
        let code = code_for(&app, &citizen, &url).await;
        let (s, tokens) = exchange_demo(&app, &code).await;
        assert_eq!(s, 200, "{tokens}");
        tokens["access_token"].as_str().unwrap().to_owned()
    };
    let with = token_for("openid applications").await;
    let without = token_for("openid profile").await;
    // A program without cookies: the token is its sign-in.
    let program = app.client();
    let item: String = tongban_core::platform::db::query_scalar(
        "SELECT task_code FROM published_items WHERE name = '居民身份证补领' AND division_code = '230100'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let r = program
        .post(app.url("/api/v1/applications"))
        .bearer_auth(&with)
        .json(&serde_json::json!({"item": item}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let r = program
        .get(app.url("/api/v1/applications"))
        .bearer_auth(&with)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    // Without the scope: forbidden; no token or a forged one: not signed in.
    let r = program
        .get(app.url("/api/v1/applications"))
        .bearer_auth(&without)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    for auth in [None, Some("not-a-token")] {
        let mut req = program.get(app.url("/api/v1/applications"));
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        assert_eq!(req.send().await.unwrap().status(), 401);
    }
    // The token is for applications and cases, not the rest of the API.
    let r = program
        .get(app.url("/api/v1/me"))
        .bearer_auth(&with)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
