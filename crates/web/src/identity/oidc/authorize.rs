//! Authorization (OpenID Connect Core §3.1.2): the request checked, the decision carried out, the consent and step-up screens.

use super::*;

/// A page explaining why an authorization request cannot go on (nothing is
/// redirected: the target is not trusted).
#[derive(Template)]
#[template(path = "identity/oauth_error.html")]
pub struct OAuthErrorView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// explanation
    pub message: String,
}

pub(super) fn error_page(ctx: &Ctx, message: String) -> Result<Response, AppError> {
    let mut res = render(&OAuthErrorView {
        t: ctx.tr(),
        nav: Nav::from_ctx(ctx),
        message,
    })?;
    *res.status_mut() = StatusCode::BAD_REQUEST;
    Ok(res)
}

/// The consent screen.
#[derive(Template)]
#[template(path = "identity/oauth_consent.html")]
pub struct ConsentView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// who asks, as a sentence
    pub intro: String,
    /// where the person returns to, as a sentence
    pub return_note: String,
    /// what will be released, one line per scope
    pub claims: Vec<String>,
    /// the request's parameters, carried through the form
    pub hidden: Vec<(String, String)>,
}

/// A request checked far enough to know where errors may be sent.
struct Checked {
    client: Client,
    redirect_uri: String,
    state: Option<String>,
}

impl Checked {
    fn redirect(&self, query: &[(&str, &str)], iss: &str) -> Response {
        let mut url = self.redirect_uri.clone();
        url.push(if url.contains('?') { '&' } else { '?' });
        let mut pairs: Vec<(&str, &str)> = query.to_vec();
        if let Some(s) = &self.state {
            pairs.push(("state", s));
        }
        pairs.push(("iss", iss));
        url.push_str(&serde_urlencoded::to_string(&pairs).unwrap_or_default());
        Redirect::to(&url).into_response()
    }

    fn error(&self, e: &OAuthError, iss: &str) -> Response {
        self.redirect(
            &[("error", e.code), ("error_description", &e.description)],
            iss,
        )
    }
}

async fn check_target(
    state: &AppState,
    ctx: &Ctx,
    pairs: &[(String, String)],
) -> Result<Result<Checked, Response>, AppError> {
    let t = ctx.tr();
    let Some(client_id) = param(pairs, "client_id") else {
        return Ok(Err(error_page(ctx, t.get("oauth.no_client"))?));
    };
    let Some(client) = state.client(client_id).await? else {
        return Ok(Err(error_page(ctx, t.get("oauth.unknown_client"))?));
    };
    if client.kind == ClientKind::Service {
        return Ok(Err(error_page(ctx, t.get("oauth.unknown_client"))?));
    }
    let redirect_uri = match param(pairs, "redirect_uri") {
        Some(r) if client.redirect_uris.iter().any(|u| u == r) => r.to_owned(),
        _ => return Ok(Err(error_page(ctx, t.get("oauth.bad_redirect"))?)),
    };
    Ok(Ok(Checked {
        client,
        redirect_uri,
        state: param(pairs, "state").map(str::to_owned),
    }))
}

/// Checks everything that is answered by redirect; returns the authorization
/// and the prompt values.
fn check_request(
    c: &Checked,
    pairs: &[(String, String)],
) -> Result<(Authorization, Vec<String>), OAuthError> {
    if param(pairs, "request").is_some() {
        return Err(OAuthError::new(
            "request_not_supported",
            "the request parameter is not supported",
        ));
    }
    if param(pairs, "request_uri").is_some() {
        return Err(OAuthError::new(
            "request_uri_not_supported",
            "the request_uri parameter is not supported",
        ));
    }
    if param(pairs, "response_type") != Some("code") {
        return Err(OAuthError::new(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if param(pairs, "response_mode").is_some_and(|m| m != "query") {
        return Err(OAuthError::new(
            "invalid_request",
            "only response_mode=query is supported",
        ));
    }
    let scope = split_scope(param(pairs, "scope").unwrap_or(""));
    if !scope.iter().any(|s| s == "openid") {
        return Err(OAuthError::new(
            "invalid_scope",
            "scope must include openid",
        ));
    }
    if let Some(bad) = scope.iter().find(|s| !c.client.scopes.contains(s)) {
        return Err(OAuthError::new(
            "invalid_scope",
            format!("client not allowed scope {bad}"),
        ));
    }
    let challenge = param(pairs, "code_challenge");
    match (challenge, param(pairs, "code_challenge_method")) {
        (Some(ch), Some("S256")) if ch.len() == 43 => {}
        (Some(_), Some("S256")) => {
            return Err(OAuthError::new(
                "invalid_request",
                "malformed code_challenge",
            ));
        }
        (Some(_), _) => {
            return Err(OAuthError::new(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        (None, Some(_)) => {
            return Err(OAuthError::new("invalid_request", "code_challenge missing"));
        }
        (None, None) if c.client.kind == ClientKind::Public => {
            return Err(OAuthError::new(
                "invalid_request",
                "public clients must use PKCE (S256)",
            ));
        }
        (None, None) => {}
    }
    let prompt = split_scope(param(pairs, "prompt").unwrap_or(""));
    if prompt
        .iter()
        .any(|p| !["none", "login", "consent", "select_account"].contains(&p.as_str()))
        || (prompt.iter().any(|p| p == "none") && prompt.len() > 1)
    {
        return Err(OAuthError::new("invalid_request", "invalid prompt"));
    }
    if param(pairs, "max_age").is_some_and(|m| m.parse::<u32>().is_err()) {
        return Err(OAuthError::new(
            "invalid_request",
            "max_age must be a non-negative integer",
        ));
    }
    let nonce = param(pairs, "nonce");
    if nonce.is_some_and(|n| n.len() > 255) {
        return Err(OAuthError::new("invalid_request", "nonce too long"));
    }
    Ok((
        Authorization {
            client_id: c.client.client_id.clone(),
            redirect_uri: c.redirect_uri.clone(),
            scope,
            nonce: nonce.map(str::to_owned),
            code_challenge: challenge.map(str::to_owned),
        },
        prompt,
    ))
}

/// The URL of this request with some parameters replaced (for the trip
/// through the sign-in page).
fn authorize_url(pairs: &[(String, String)], drop: &[&str], add: &[(&str, String)]) -> String {
    let mut kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| !drop.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for (k, v) in add {
        kept.push((k, v));
    }
    format!(
        "/oauth/authorize?{}",
        serde_urlencoded::to_string(&kept).unwrap_or_default()
    )
}

fn to_login(next: &str) -> Response {
    let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    Redirect::to(&format!("/login?{q}")).into_response()
}

/// `GET /oauth/authorize`.
pub async fn authorize_get(
    State(state): State<AppState>,
    ctx: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let raw = q.unwrap_or_default();
    authorize(&state, &ctx, raw.as_bytes(), None).await
}

/// `POST /oauth/authorize`: the answer of the consent screen (`decision` =
/// `allow` or `deny`, with the request's parameters).
pub async fn authorize_post(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .map_err(|_| AppError::BadRequest("form".into()))?;
    let decision = pairs
        .iter()
        .position(|(k, _)| k == "decision")
        .map(|i| pairs.remove(i).1)
        .unwrap_or_default();
    let raw = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    authorize(&state, &ctx, raw.as_bytes(), Some(decision == "allow")).await
}

async fn authorize(
    state: &AppState,
    ctx: &Ctx,
    raw: &[u8],
    consent: Option<bool>,
) -> Result<Response, AppError> {
    let iss = state.issuer();
    let pairs = match params(raw) {
        Ok(p) => p,
        // Duplicated parameters: we cannot tell which redirect URI is meant.
        Err(e) => return error_page(ctx, e.description),
    };
    let target = match check_target(state, ctx, &pairs).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let (authz, prompt) = match check_request(&target, &pairs) {
        Ok(x) => x,
        Err(e) => return Ok(target.error(&e, &iss)),
    };
    // The demand for a fresh sign-in lives on the server; the browser only
    // carries its token, so it cannot move the time the demand was made.
    let reauth_since = match param(&pairs, "tb_reauth") {
        Some(token) => oidc::reauth_since(state.db(), token, &target.client.client_id).await?,
        None => None,
    };
    let session = ctx.session.as_deref();
    let client = &target.client;
    let level = session.map_or(0, |s| s.principal.account.real_name_level);
    let acrs: Vec<&str> = state
        .config()
        .identity
        .levels
        .iter()
        .map(|l| l.acr.as_str())
        .collect();
    let consent_known = match session {
        Some(s) if client.require_consent && consent.is_none() => {
            oidc::has_consent(
                state.db(),
                s.principal.account.id,
                &client.client_id,
                &authz.scope,
            )
            .await?
        }
        _ => false,
    };
    let decision = decide::decide(&decide::AuthorizeInput {
        prompt: &prompt,
        max_age: param(&pairs, "max_age").and_then(|m| m.parse::<i64>().ok()),
        session_started: session.map(|s| s.created_at),
        reauth_since,
        level,
        needed_level: decide::needed_level(param(&pairs, "acr_values"), &acrs),
        require_consent: client.require_consent,
        consent_answer: consent,
        consent_known,
        now: now_ms(),
    });
    let refuse = |code: &'static str| {
        let message = match code {
            "login_required" => "login required",
            "interaction_required" => "real-name level too low",
            "access_denied" => "the person declined",
            _ => "consent required",
        };
        target.error(&OAuthError::new(code, message), &iss)
    };
    let session = match (decision, session) {
        (decide::Decision::Refuse(code), _) => return Ok(refuse(code)),
        (decide::Decision::SignIn { demand_reauth }, _) => {
            let demand = if demand_reauth {
                let token = oidc::reauth_demand(state.db(), &client.client_id).await?;
                vec![("tb_reauth", token)]
            } else {
                vec![]
            };
            return Ok(to_login(&authorize_url(&pairs, &["tb_reauth"], &demand)));
        }
        (decide::Decision::StepUp { needed }, _) => {
            return step_up_page(state, ctx, &target, &iss, level, needed);
        }
        (decide::Decision::AskConsent, _) => return consent_page(ctx, &target, &authz, &pairs),
        (decide::Decision::Issue { record_consent }, Some(s)) => {
            if record_consent {
                oidc::grant_consent(
                    state.db(),
                    s.principal.account.id,
                    &client.client_id,
                    &authz.scope,
                )
                .await?;
            }
            s
        }
        // `decide` issues only to a signed-in session.
        (decide::Decision::Issue { .. }, None) => {
            return Ok(to_login(&authorize_url(&pairs, &["tb_reauth"], &[])));
        }
    };
    let account_id = session.principal.account.id;
    // Acting for an enterprise only while the mandate still holds.
    let acting_for = match session.acting_for {
        Some(enterprise) => {
            tongban_core::identity::agents::live_mandate(state.db(), account_id, enterprise)
                .await?
                .map(|m| m.enterprise_id)
        }
        None => None,
    };
    let who = Subject {
        acting_for,
        account_id,
        session_hash: Some(session.token_hash.clone()),
        acr: acr_for(state, level),
        auth_time: session.created_at,
    };
    let code = oidc::issue_code(state.db(), &authz, &who).await?;
    tracing::info!(request.id = %ctx.request_id, oidc.client = %client.client_id, account.id = account_id, "authorization code issued");
    Ok(target.redirect(&[("code", &code)], &iss))
}

/// What a sign-in lacks for the system that asked.
#[derive(Template)]
#[template(path = "identity/oauth_stepup.html")]
pub struct StepUpView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the question, as a sentence
    pub intro: String,
    /// how to reach the level
    pub how: String,
    /// back to the system, with the error it should hear
    pub cancel: String,
}

fn step_up_page(
    state: &AppState,
    ctx: &Ctx,
    target: &Checked,
    iss: &str,
    level: i64,
    needed: i64,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let name = |n: i64| {
        state
            .config()
            .identity
            .level(n)
            .map(|l| t.pick(&l.name_zh, &l.name_en).to_owned())
            .unwrap_or_default()
    };
    let cancel = target
        .error(
            &OAuthError::new(
                "unmet_authentication_requirements",
                "real-name level too low",
            ),
            iss,
        )
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("/")
        .to_owned();
    let mut res = render(&StepUpView {
        intro: t.fmt(
            "oauth.stepup_intro",
            &[
                ("client", &target.client.name),
                ("needed", &name(needed)),
                ("current", &name(level)),
            ],
        ),
        how: t.get("oauth.stepup_how"),
        t,
        nav: Nav::from_ctx(ctx),
        cancel,
    })?;
    *res.status_mut() = StatusCode::FORBIDDEN;
    Ok(res)
}

fn consent_page(
    ctx: &Ctx,
    target: &Checked,
    authz: &Authorization,
    pairs: &[(String, String)],
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let claims = authz
        .scope
        .iter()
        .filter(|s| s.as_str() != "openid")
        .map(|s| t.get(&format!("oauth.scope_{s}")))
        .chain(std::iter::once(t.get("oauth.scope_openid")))
        .collect();
    let origin = origin_of(&target.redirect_uri).unwrap_or("").to_owned();
    let mut res = render(&ConsentView {
        t,
        nav: Nav::from_ctx(ctx),
        intro: t.fmt("oauth.consent_intro", &[("client", &target.client.name)]),
        return_note: t.fmt("oauth.consent_return", &[("host", &origin)]),
        claims,
        hidden: pairs.to_vec(),
    })?;
    if let Some(csp) = csp_allowing_form_target(&origin) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}
