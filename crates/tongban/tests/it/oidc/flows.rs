//! Sign-in flows a relying party drives: code with PKCE, client credentials, staff second factor, prompt=login, the issuer.

use super::*;

#[tokio::test]
async fn a_relying_party_signs_a_citizen_in_and_reads_userinfo_with_a_standard_library() {
    let app = TestApp::spawn().await;
    let issuer = IssuerUrl::new(app.url("")).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap();
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(DEMO_RP_ID.into()),
        Some(ClientSecret::new(DEMO_RP_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(DEMO_RP_REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("phone".into()))
        .set_pkce_challenge(challenge)
        .url();

    // Signed out: the provider sends the person to sign in and back.
    let anonymous = app.client();
    let r = anonymous.get(url.as_str()).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let login = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        login.starts_with("/login?next=%2Foauth%2Fauthorize"),
        "{login}"
    );
    // The sign-in page lets its form lead back to the relying party.
    let r = anonymous.get(app.url(&login)).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:8765"),
        "{csp}"
    );

    // Signed in: the consent screen names the system and what it receives.
    let citizen = app.signed_in("citizen").await;
    let r = citizen.get(url.as_str()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("演示接入系统") && page.contains("手机号码"));
    let location = authorize(&app, &citizen, url.as_str()).await;
    assert!(location.starts_with(DEMO_RP_REDIRECT), "{location}");
    let back = query_of(&location);
    assert_eq!(q(&back, "state"), Some(csrf.secret().as_str()));
    assert_eq!(q(&back, "iss"), Some(app.url("").as_str()));
    let code = q(&back, "code").unwrap().to_owned();

    // The library exchanges the code and verifies the ID token from the JWKS.
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    let claims = id_token.claims(&rp.id_token_verifier(), &nonce).unwrap();
    let sub = claims.subject().as_str().to_owned();
    assert_eq!(
        claims.auth_context_ref().map(|a| a.as_str()),
        Some("urn:tongban:rnl:3")
    );
    assert!(claims.name().is_some());
    assert!(tokens.refresh_token().is_some());

    let info: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.subject().as_str(), sub);
    assert_eq!(info.phone_number().map(|p| p.as_str()), Some("13800000001"));
    assert!(info.email().is_none(), "email was not asked for");

    // Consent is remembered: the next sign-in goes straight back.
    let (url2, _, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .url();
    let r = citizen.get(url2.as_str()).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().contains("code="));

    // The code cannot be used twice.
    let again = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&http)
        .await;
    assert!(again.is_err());
}

#[tokio::test]
async fn a_public_client_must_use_pkce_and_its_es256_id_token_verifies() {
    let app = TestApp::spawn().await;
    assert!(
        register(&app, spa("citizen-app")).await.is_none(),
        "public clients have no secret"
    );
    let citizen = app.signed_in("citizen").await;
    let redirect = "http://127.0.0.1:9000/cb";
    // Without PKCE: refused, by redirect, with the state.
    let loc = authorize(
        &app,
        &citizen,
        &authorize_url(&app, "citizen-app", redirect, &[]),
    )
    .await;
    let back = query_of(&loc);
    assert_eq!(q(&back, "error"), Some("invalid_request"));
    assert_eq!(q(&back, "state"), Some("st-1"));
    // Plain PKCE is not accepted either.
    let loc = authorize(
        &app,
        &citizen,
        &authorize_url(
            &app,
            "citizen-app",
            redirect,
            &[
                ("code_challenge", "abc"),
                ("code_challenge_method", "plain"),
            ],
        ),
    )
    .await;
    assert_eq!(q(&query_of(&loc), "error"), Some("invalid_request"));

    let (challenge, verifier) = pkce();
    let url = authorize_url(
        &app,
        "citizen-app",
        redirect,
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let code_of = |loc: String| q(&query_of(&loc), "code").unwrap().to_owned();
    // Missing verifier, then a wrong one: the code is refused (and spent).
    let code = code_of(authorize(&app, &citizen, &url).await);
    let (s, body) = token(
        &app,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("client_id", "citizen-app"),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    let code = code_of(authorize(&app, &citizen, &url).await);
    let (wrong, _) = pkce();
    let (s, body) = token(
        &app,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("client_id", "citizen-app"),
            ("code_verifier", &wrong),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    // RFC 6749 §5.2: the description is printable ASCII, for the developer.
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
        "{description}"
    );
    // The right verifier: an ES256 ID token that the library verifies.
    let code = code_of(authorize(&app, &citizen, &url).await);
    let (s, body) = token(
        &app,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("client_id", "citizen-app"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.url("")).unwrap(), &http)
            .await
            .unwrap();
    let rp =
        CoreClient::from_provider_metadata(metadata, ClientId::new("citizen-app".into()), None);
    let id_token: openidconnect::core::CoreIdToken =
        serde_json::from_value(body["id_token"].clone()).unwrap();
    let verifier = rp
        .id_token_verifier()
        .set_allowed_algs([CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = id_token
        .claims(&verifier, &Nonce::new("n-1".into()))
        .unwrap();
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("citizen")
    );
}

#[tokio::test]
async fn service_clients_get_their_own_tokens_with_client_credentials() {
    let app = TestApp::spawn().await;
    let secret = register(
        &app,
        ClientForm {
            client_id: "dept-system".into(),
            name: "市市场监管局审批系统".into(),
            kind: "service".into(),
            scopes: "catalog.read".into(),
            id_token_alg: "ES256".into(),
            ..ClientForm::default()
        },
    )
    .await
    .unwrap();
    let auth = Some(("dept-system", secret.as_str()));
    let (s, body) = token(&app, auth, &[("grant_type", "client_credentials")]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["scope"], "catalog.read");
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    // The token is an ES256 JWT verifiable from the JWKS, naming the client.
    let jwt = body["access_token"].as_str().unwrap();
    let header: Value =
        serde_json::from_slice(&base64_url(jwt.split('.').next().unwrap())).unwrap();
    assert_eq!(
        (header["alg"].as_str(), header["typ"].as_str()),
        (Some("ES256"), Some("at+jwt"))
    );
    let jwks: Value = app
        .client()
        .get(app.url("/oauth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == header["kid"])
    );
    // It names no person: userinfo refuses it.
    let r = app
        .client()
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Scopes beyond the registration, and user flows, are refused.
    let (s, body) = token(
        &app,
        auth,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "catalog.export"),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_scope")));
    let (s, body) = token(
        &app,
        Some((DEMO_RP_ID, DEMO_RP_SECRET)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(
        (s, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    // A system disabled in the console gets nothing from then on.
    let admin = app.admin().await;
    let r = admin
        .post(app.url("/admin/clients/dept-system"))
        .form(&[("action", "disable")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (s, body) = token(&app, auth, &[("grant_type", "client_credentials")]).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn staff_sign_in_to_a_relying_party_passes_through_the_second_factor() {
    let app = TestApp::spawn().await;
    let browser = app.client();
    let url = authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]);
    let r = browser.get(&url).send().await.unwrap();
    let login = r.headers()["location"].to_str().unwrap().to_owned();
    let next = q(&query_of(&login), "next").unwrap().to_owned();
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("username", "reviewer"),
            ("password", tongban_core::demo::DEMO_PASSWORD),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/login/totp");
    // The code page lets its form lead on to the relying party.
    let r = browser.get(app.url("/login/totp")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:8765"),
        "{csp}"
    );
    let code = app.totp_code("reviewer").await;
    let r = browser
        .post(app.url("/login/totp"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"].to_str().unwrap(), next);
    let r = browser.get(app.url(&next)).send().await.unwrap();
    assert_eq!(r.status(), 200, "the consent screen");
}

#[tokio::test]
async fn prompt_login_cannot_be_skipped_by_a_marker_in_the_url() {
    let app = TestApp::spawn().await;
    let citizen = app.signed_in("citizen").await;
    // The old client-side marker, and a made-up server token: both lead to
    // the sign-in page, never to a code.
    for forged in [
        vec![("prompt", "login"), ("tb_after", "0")],
        vec![("prompt", "login"), ("tb_reauth", &"a".repeat(64))],
    ] {
        let r = citizen
            .get(authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &forged))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/login?"), "{to}");
    }
    // The real trip: the sign-in page, a fresh sign-in, back to a code.
    let r = citizen
        .get(authorize_url(
            &app,
            DEMO_RP_ID,
            DEMO_RP_REDIRECT,
            &[("prompt", "login")],
        ))
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let next = q(&query_of(&to), "next").unwrap().to_owned();
    assert!(next.contains("tb_reauth="), "{next}");
    // Replaying that URL with the old session still asks for a sign-in.
    let r = citizen.get(app.url(&next)).send().await.unwrap();
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?")
    );
    let fresh = app.signed_in("citizen").await;
    let back = authorize(&app, &fresh, &app.url(&next)).await;
    assert!(back.starts_with(DEMO_RP_REDIRECT), "{back}");
    assert!(q(&query_of(&back), "code").is_some());
}

#[tokio::test]
async fn the_issuer_is_never_taken_from_the_host_header() {
    let app = TestApp::spawn().await;
    let r = app
        .client()
        .get(app.url("/.well-known/openid-configuration"))
        .header("host", "evil.example:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["issuer"], format!("http://{}", app.addr));
    assert!(
        doc["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with(&format!("http://{}/", app.addr))
    );
}

#[tokio::test]
async fn a_sign_in_form_posted_from_another_site_is_refused() {
    let app = TestApp::spawn().await;
    let r = app
        .client()
        .post(app.url("/login"))
        .header("origin", "https://attacker.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("username", "citizen"),
            ("password", tongban_core::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());
}
