//! OpenID Connect: a relying party written with an independent OIDC client
//! library signs a demo citizen in (code + PKCE), verifies the ID token from
//! the JWKS and reads userinfo; and every failure the protocol names.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;
use tongban_core::demo::{DEMO_RP_ID, DEMO_RP_REDIRECT, DEMO_RP_SECRET};
use tongban_core::identity::oidc::{self, ClientForm};

use crate::helpers::{TestApp, form_fields};

/// The OIDC library's HTTP calls, made with reqwest.
async fn http(
    req: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (parts, body) = req.into_parts();
    let res = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut out = http::Response::builder().status(res.status());
    for (k, v) in res.headers() {
        out = out.header(k, v);
    }
    let body = res.bytes().await?.to_vec();
    Ok(out.body(body).expect("response"))
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str(q).unwrap()
}

fn q<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Follows an authorization URL as the signed-in `browser`, allowing on the
/// consent screen when it is shown; returns the final redirect.
async fn authorize(app: &TestApp, browser: &reqwest::Client, url: &str) -> String {
    let r = browser.get(url).send().await.unwrap();
    if r.status() == 303 || r.status() == 302 {
        return r.headers()["location"].to_str().unwrap().to_owned();
    }
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let mut fields = form_fields(&page, "consent-form");
    fields.push(("decision".into(), "allow".into()));
    let r = browser
        .post(app.url("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    r.headers()["location"].to_str().unwrap().to_owned()
}

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

/// The code an authorization at `url` yields for the signed-in `browser`.
async fn code_for(app: &TestApp, browser: &reqwest::Client, url: &str) -> String {
    q(&query_of(&authorize(app, browser, url).await), "code")
        .unwrap()
        .to_owned()
}

/// Exchanges a code of the demo relying party at the token endpoint.
async fn exchange_demo(app: &TestApp, code: &str) -> (u16, Value) {
    token(
        app,
        Some((DEMO_RP_ID, DEMO_RP_SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", DEMO_RP_REDIRECT),
        ],
    )
    .await
}

/// Registers a client through the core (what the admin page does).
async fn register(app: &TestApp, form: ClientForm) -> Option<String> {
    let admin = tongban_core::identity::accounts::by_username(&app.db, "admin")
        .await
        .unwrap()
        .unwrap();
    let p = tongban_core::identity::accounts::principal(&app.db, admin.id)
        .await
        .unwrap()
        .unwrap();
    oidc::register(&app.db, &p, &form).await.unwrap().1
}

fn spa(client_id: &str) -> ClientForm {
    ClientForm {
        client_id: client_id.into(),
        name: "市民移动端".into(),
        kind: "public".into(),
        redirect_uris: "http://127.0.0.1:9000/cb".into(),
        logout_uris: String::new(),
        scopes: "openid profile".into(),
        id_token_alg: "ES256".into(),
        require_consent: false,
        org_id: None,
    }
}

fn pkce() -> (String, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    (challenge.as_str().to_owned(), verifier.secret().to_owned())
}

fn authorize_url(app: &TestApp, client_id: &str, redirect: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("scope", "openid profile"),
        ("state", "st-1"),
        ("nonce", "n-1"),
    ];
    for (k, v) in extra {
        pairs.retain(|(n, _)| n != k);
        pairs.push((k, v));
    }
    app.url(&format!(
        "/oauth/authorize?{}",
        serde_urlencoded::to_string(&pairs).unwrap()
    ))
}

async fn token(app: &TestApp, auth: Option<(&str, &str)>, form: &[(&str, &str)]) -> (u16, Value) {
    let mut r = app.client().post(app.url("/oauth/token")).form(form);
    if let Some((id, secret)) = auth {
        r = r.basic_auth(id, Some(secret));
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
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
                sqlx::query("UPDATE oidc_codes SET expires_at = 0 WHERE code_hash = $1")
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

fn base64_url(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

#[tokio::test]
async fn relying_party_logout_ends_the_session_and_its_tokens() {
    let app = TestApp::spawn().await;
    let citizen = app.signed_in("citizen").await;
    let code = code_for(
        &app,
        &citizen,
        &authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]),
    )
    .await;
    let rp = Some((DEMO_RP_ID, DEMO_RP_SECRET));
    let (_, tokens) = exchange_demo(&app, &code).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    // An unregistered place to return to is refused.
    let bad = format!(
        "/oauth/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "https://evil.example/")
        ])
        .unwrap()
    );
    let r = citizen.get(app.url(&bad)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let url = format!(
        "/oauth/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "http://127.0.0.1:8765/"),
            ("state", "bye"),
        ])
        .unwrap()
    );
    let r = citizen.get(app.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("演示接入系统"));
    let fields = form_fields(&page, "logout-form");
    let r = citizen
        .post(app.url("/oauth/logout"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "http://127.0.0.1:8765/?state=bye");
    // Signed out here and for the relying party's refresh token.
    let r = citizen.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), 303);
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

fn secret_on(page: &str) -> String {
    let start =
        page.find(r#"id="new-secret">"#).expect("secret shown") + r#"id="new-secret">"#.len();
    page[start..start + page[start..].find('<').unwrap()].to_owned()
}

#[tokio::test]
async fn system_admins_register_systems_in_the_console_and_secrets_are_shown_once() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    assert_eq!(app.get_text(&editor, "/admin/clients").await.0, 403);
    let admin = app.admin().await;
    let (status, page) = app.get_text(&admin, "/admin/clients").await;
    assert_eq!(status, 200);
    assert!(page.contains(DEMO_RP_ID) && page.contains(DEMO_RP_REDIRECT));
    // Bad registrations are explained field by field, in Chinese.
    let r = admin
        .post(app.url("/admin/clients"))
        .form(&[
            ("client_id", "Bad Id"),
            ("name", ""),
            ("kind", "confidential"),
            ("redirect_uris", "http://rp.example.gov.cn/cb"),
            ("scopes", "openid admin"),
            ("id_token_alg", "HS256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    for expected in [
        "接入标识应为",
        "系统名称不能为空",
        "须为完整的 https 地址",
        "不是用户可授予的范围",
        "签名算法应为",
    ] {
        assert!(body.contains(expected), "{expected}");
    }
    // A service account: its secret is shown once and works.
    let r = admin
        .post(app.url("/admin/clients"))
        .form(&[
            ("client_id", "scjg-approval"),
            ("name", "市场监管审批系统"),
            ("kind", "service"),
            ("scopes", "catalog.read"),
            ("id_token_alg", "ES256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let secret = secret_on(&r.text().await.unwrap());
    let (s, _) = token(
        &app,
        Some(("scjg-approval", &secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 200);
    let (_, page) = app.get_text(&admin, "/admin/clients/scjg-approval").await;
    assert!(!page.contains(&secret), "the secret is not shown again");
    // The same id cannot be registered twice.
    let r = admin
        .post(app.url("/admin/clients"))
        .form(&[
            ("client_id", "scjg-approval"),
            ("name", "x"),
            ("kind", "service"),
            ("scopes", "catalog.read"),
            ("id_token_alg", "ES256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("已被使用"));
    // A new secret replaces the old one at once.
    let r = admin
        .post(app.url("/admin/clients/scjg-approval"))
        .form(&[("action", "rotate_secret")])
        .send()
        .await
        .unwrap();
    let new_secret = secret_on(&r.text().await.unwrap());
    let (s, _) = token(
        &app,
        Some(("scjg-approval", &secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 401);
    let (s, _) = token(
        &app,
        Some(("scjg-approval", &new_secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 200);
    // Editing the demo RP's redirect addresses takes effect at once.
    let (_, page) = app
        .get_text(&admin, &format!("/admin/clients/{DEMO_RP_ID}"))
        .await;
    let mut fields = form_fields(&page, "client-form");
    tongban_bench::form::set(
        &mut fields,
        "redirect_uris",
        "http://127.0.0.1:8765/callback\nhttp://127.0.0.1:8766/callback",
    );
    let r = admin
        .post(app.url(&format!("/admin/clients/{DEMO_RP_ID}")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let citizen = app.signed_in("citizen").await;
    let r = citizen
        .get(authorize_url(
            &app,
            DEMO_RP_ID,
            "http://127.0.0.1:8766/callback",
            &[],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the consent screen, not an error page");
}

#[tokio::test]
async fn people_see_their_devices_and_systems_and_end_either() {
    let app = TestApp::spawn().await;
    let phone = app.signed_in("citizen").await;
    let laptop = app.signed_in("citizen").await;
    let (_, page) = app.get_text(&phone, "/account").await;
    assert_eq!(
        page.matches(r#"name="id" value=""#).count(),
        3,
        "two devices and 'all'"
    );
    assert!(page.contains("本设备"));
    // Allow the demo RP from the laptop and get a refresh token.
    let code = code_for(
        &app,
        &laptop,
        &authorize_url(
            &app,
            DEMO_RP_ID,
            DEMO_RP_REDIRECT,
            &[("scope", "openid profile offline_access")],
        ),
    )
    .await;
    let rp = Some((DEMO_RP_ID, DEMO_RP_SECRET));
    let (_, tokens) = exchange_demo(&app, &code).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    // From the phone: the laptop is listed; end it.
    let (_, page) = app.get_text(&phone, "/account").await;
    assert!(
        page.contains("演示接入系统"),
        "the allowed system is listed"
    );
    // The other device's row is the one not marked as this device.
    let table = &page[page.find(r#"id="devices""#).unwrap()..];
    let other_row = table
        .split("<tr>")
        .skip(2)
        .find(|row| !row.contains("本设备"))
        .unwrap();
    let start = other_row.find(r#"name="id" value=""#).unwrap() + r#"name="id" value=""#.len();
    let laptop_id = other_row[start..start + other_row[start..].find('"').unwrap()].to_owned();
    let r = phone
        .post(app.url("/account/sessions"))
        .form(&[("id", laptop_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        laptop
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(app.get_text(&phone, "/account").await.0, 200);
    // offline_access outlives the laptop's session, until consent is withdrawn.
    let (s, body) = token(
        &app,
        rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let r = phone
        .post(app.url("/account/consents"))
        .form(&[("client_id", DEMO_RP_ID)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (s, _) = token(
        &app,
        rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(s, 400);
    let r = phone
        .get(authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "asked again");
    // Sign out everywhere.
    let tablet = app.signed_in("citizen").await;
    let r = phone
        .post(app.url("/account/sessions"))
        .form(&[("id", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    for c in [&phone, &tablet] {
        assert_eq!(
            c.get(app.url("/account")).send().await.unwrap().status(),
            303
        );
    }
}

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

async fn catalog_code_of(app: &TestApp, name: &str) -> String {
    use sqlx::Row;
    sqlx::query("SELECT catalog_code FROM catalog_entries WHERE name = $1")
        .bind(name)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
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
async fn logout_refuses_a_client_id_that_the_id_token_was_not_issued_to() {
    let app = TestApp::spawn().await;
    let mut other = spa("other-rp");
    other.logout_uris = "http://127.0.0.1:9000/bye".into();
    register(&app, other).await;
    let citizen = app.signed_in("citizen").await;
    let code = code_for(
        &app,
        &citizen,
        &authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]),
    )
    .await;
    let (_, tokens) = exchange_demo(&app, &code).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let url = format!(
        "/oauth/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token),
            ("client_id", "other-rp"),
            ("post_logout_redirect_uri", "http://127.0.0.1:9000/bye"),
        ])
        .unwrap()
    );
    let r = citizen.get(app.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("不一致"));
    // Nothing ended: the citizen is still signed in.
    assert_eq!(
        citizen
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
