//! RP-initiated logout (RP-Initiated Logout 1.0): the confirmation page and the sign-out everywhere the session reached.

use super::authorize::error_page;
use super::*;

/// The sign-out confirmation.
#[derive(Template)]
#[template(path = "identity/oauth_logout.html")]
pub struct LogoutView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the question
    pub intro: String,
    /// carried parameters
    pub hidden: Vec<(String, String)>,
}

/// Where to go after sign-out: the registered post-logout URI, if any. A
/// `client_id` must be an audience of the `id_token_hint` when both are
/// given (RP-Initiated Logout 1.0 §2), or one system could send people
/// signing out to another's address.
async fn logout_target(
    state: &AppState,
    pairs: &[(String, String)],
) -> Result<Result<(Option<Client>, Option<String>), String>, AppError> {
    let hint_aud: Option<Vec<String>> = match param(pairs, "id_token_hint") {
        Some(h) => {
            let keys = state.keys().await?;
            // An expired ID token is still a fine hint of who asked.
            keys.verify(h, "JWT")
                .filter(|c| c["iss"] == state.issuer().as_str())
                .map(|c| match &c["aud"] {
                    serde_json::Value::String(a) => vec![a.clone()],
                    serde_json::Value::Array(list) => list
                        .iter()
                        .filter_map(|a| a.as_str().map(str::to_owned))
                        .collect(),
                    _ => vec![],
                })
        }
        None => None,
    };
    let client_id = match (param(pairs, "client_id"), &hint_aud) {
        (Some(id), Some(aud)) if !aud.iter().any(|a| a == id) => {
            return Ok(Err("oauth.logout_client_mismatch".into()));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(aud)) => aud.first().cloned(),
        (None, None) => None,
    };
    let client = match &client_id {
        Some(id) => state.client(id).await?,
        None => None,
    };
    let target = match (param(pairs, "post_logout_redirect_uri"), &client) {
        (None, _) => None,
        (Some(u), Some(c)) if c.logout_uris.iter().any(|x| x == u) => {
            let mut url = u.to_owned();
            if let Some(s) = param(pairs, "state") {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&serde_urlencoded::to_string([("state", s)]).unwrap_or_default());
            }
            Some(url)
        }
        (Some(_), _) => return Ok(Err("oauth.bad_logout_redirect".into())),
    };
    Ok(Ok((client, target)))
}

/// `GET /oauth/logout`: asks the person to confirm signing out.
pub async fn logout_get(
    State(state): State<AppState>,
    ctx: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let pairs = match params(q.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => return error_page(&ctx, e.description),
    };
    let (client, target) = match logout_target(&state, &pairs).await? {
        Ok(x) => x,
        Err(key) => return error_page(&ctx, ctx.tr().get(&key)),
    };
    if ctx.session.is_none() {
        // Nothing to end: go straight back.
        return Ok(Redirect::to(target.as_deref().unwrap_or("/login?done=logout")).into_response());
    }
    let t = ctx.tr();
    let intro = match client {
        Some(c) => t.fmt("oauth.logout_from", &[("client", &c.name)]),
        None => t.get("oauth.logout_intro"),
    };
    let mut res = render(&LogoutView {
        t,
        nav: Nav::from_ctx(&ctx),
        intro,
        hidden: pairs,
    })?;
    if let Some(csp) = target
        .as_deref()
        .and_then(origin_of)
        .and_then(csp_allowing_form_target)
    {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}

/// `POST /oauth/logout`: ends the session everywhere tongban knows of it.
pub async fn logout_post(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let pairs = match params(&body) {
        Ok(p) => p,
        Err(e) => return error_page(&ctx, e.description),
    };
    let (_, target) = match logout_target(&state, &pairs).await? {
        Ok(x) => x,
        Err(key) => return error_page(&ctx, ctx.tr().get(&key)),
    };
    if let Some(s) = &ctx.session {
        end_session(&state, &s.token_hash).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            crate::identity::auth::clear_session_cookie(),
        )],
        Redirect::to(target.as_deref().unwrap_or("/login?done=logout")),
    )
        .into_response())
}
