//! OpenID Connect: a relying party written with an independent OIDC client
//! library signs a demo citizen in (code + PKCE), verifies the ID token from
//! the JWKS and reads userinfo; and every failure the protocol names.

mod claims;
mod clients;
mod flows;
mod logout;
mod tokens;

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
pub(super) async fn http(
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

pub(super) fn query_of(location: &str) -> Vec<(String, String)> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str(q).unwrap()
}

pub(super) fn q<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Follows an authorization URL as the signed-in `browser`, allowing on the
/// consent screen when it is shown; returns the final redirect.
pub(super) async fn authorize(app: &TestApp, browser: &reqwest::Client, url: &str) -> String {
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

/// The code an authorization at `url` yields for the signed-in `browser`.
pub(super) async fn code_for(app: &TestApp, browser: &reqwest::Client, url: &str) -> String {
    q(&query_of(&authorize(app, browser, url).await), "code")
        .unwrap()
        .to_owned()
}

/// Exchanges a code of the demo relying party at the token endpoint.
pub(super) async fn exchange_demo(app: &TestApp, code: &str) -> (u16, Value) {
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
pub(super) async fn register(app: &TestApp, form: ClientForm) -> Option<String> {
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

pub(super) fn spa(client_id: &str) -> ClientForm {
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

pub(super) fn pkce() -> (String, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    (challenge.as_str().to_owned(), verifier.secret().to_owned())
}

pub(super) fn authorize_url(
    app: &TestApp,
    client_id: &str,
    redirect: &str,
    extra: &[(&str, &str)],
) -> String {
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

pub(super) async fn token(
    app: &TestApp,
    auth: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut r = app.client().post(app.url("/oauth/token")).form(form);
    if let Some((id, secret)) = auth {
        r = r.basic_auth(id, Some(secret));
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

pub(super) fn base64_url(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

pub(super) fn secret_on(page: &str) -> String {
    let start =
        page.find(r#"id="new-secret">"#).expect("secret shown") + r#"id="new-secret">"#.len();
    page[start..start + page[start..].find('<').unwrap()].to_owned()
}

pub(super) async fn catalog_code_of(app: &TestApp, name: &str) -> String {
    tongban_core::platform::db::query("SELECT catalog_code FROM catalog_entries WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}
