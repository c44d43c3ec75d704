//! What every server-rendered page shares: the layout's navigation, the
//! renderers, safe back links, the language switch and the not-found
//! answer. Pages themselves live with their capability; one `XxxView` per
//! page, templates under `templates/<capability>/`, all text from the
//! message catalogs.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::kernel::Role;

use crate::AppError;
use crate::http::ctx::{Ctx, LANG_COOKIE};
use crate::http::i18n::Lang;

/// What the layout needs on every page.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    /// Signed-in person's display name (empty when signed out).
    pub display_name: String,
    /// Whether someone is signed in.
    pub signed_in: bool,
    /// Unread messages in their inbox.
    pub unread: i64,
    /// Whether they may open the admin console.
    pub is_admin: bool,
    /// Whether they accept applications (受理台).
    pub is_clerk: bool,
    /// Current path, encoded for a `back=` parameter.
    pub back: String,
    /// Language-switch target tag.
    pub other_lang: &'static str,
}

impl Nav {
    /// The navigation state of a request.
    pub fn from_ctx(ctx: &Ctx) -> Self {
        let p = ctx.session.as_ref().map(|s| &s.principal);
        Self {
            display_name: p
                .map(|p| p.account.display_name.clone())
                .unwrap_or_default(),
            signed_in: p.is_some(),
            unread: ctx.session.as_ref().map_or(0, |s| s.unread),
            is_admin: p.is_some_and(|p| {
                [
                    Role::SystemAdmin,
                    Role::DeptAdmin,
                    Role::CatalogEditor,
                    Role::Supervisor,
                ]
                .iter()
                .any(|r| p.has_role(*r))
            }),
            is_clerk: p.is_some_and(|p| p.has_role(Role::WindowClerk)),
            back: crate::http::ctx::urlencode(&ctx.path),
            other_lang: ctx.lang.other().tag(),
        }
    }
}

/// Renders a view to an HTML response. A page that comes back with an
/// error summary is titled "错误：…" ("Error: …"), so a screen reader
/// says so before anything else.
pub fn render<T: Template>(view: &T) -> Result<Response, AppError> {
    Ok(Html(titled_for_errors(view.render()?)).into_response())
}

fn titled_for_errors(html: String) -> String {
    if !html.contains("id=\"error-summary\"") {
        return html;
    }
    let prefix = if html.starts_with("<!doctype html>\n<html lang=\"en\"") {
        "Error: "
    } else {
        "错误："
    };
    match html.find("<title>") {
        Some(i) if !html[i + 7..].starts_with(prefix) => {
            format!("{}{prefix}{}", &html[..i + 7], &html[i + 7..])
        }
        _ => html,
    }
}

/// Renders a form page: 200, or 422 when the submission had problems.
pub fn render_form<T: Template>(view: &T, ok: bool) -> Result<Response, AppError> {
    let mut res = render(view)?;
    if !ok {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// Only a local path is a safe place to send someone back to; anything
/// else goes to `/`.
pub fn safe_back(back: Option<&str>) -> String {
    back.filter(|b| is_local_path(b))
        .map_or_else(|| "/".to_owned(), str::to_owned)
}

/// A path on this site: one leading `/`, no control character, whitespace
/// or backslash (browsers drop tabs and newlines and read `\` as `/`, so
/// `/\t/host` and `/\\host` would leave the site), and resolving it against
/// a page of this site stays on this site.
pub fn is_local_path(b: &str) -> bool {
    const HERE: &str = "http://tongban.invalid/";
    b.starts_with('/')
        && !b.starts_with("//")
        && !b
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && url::Url::parse(b).is_err()
        && url::Url::parse(HERE)
            .and_then(|base| base.join(b))
            .is_ok_and(|u| u.host_str() == Some("tongban.invalid") && u.port().is_none())
}

/// The cookie that remembers a browser's language for a year.
pub fn lang_cookie(lang: Lang) -> String {
    format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.tag()
    )
}

/// Query of the language switch.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    back: Option<String>,
}

/// `GET /lang/{tag}`: remembers the language and goes back.
pub async fn lang_get(
    Path(tag): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::from_tag(&tag).ok_or(AppError::NotFound)?;
    Ok((
        [(header::SET_COOKIE, lang_cookie(lang))],
        Redirect::to(&safe_back(q.back.as_deref())),
    )
        .into_response())
}

/// Fallback for unknown paths.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn only_a_local_path_is_a_place_to_go_back_to() {
        for ok in ["/", "/items?q=1", "/account#x", "/items/%2F%2Fhost", "/a:b"] {
            assert_eq!(safe_back(Some(ok)), ok, "{ok:?}");
        }
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "/\u{7f}x",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_back(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_back(None), "/");
    }
}
