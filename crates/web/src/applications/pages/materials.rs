//! The materials page: a file per material uploaded, reused from an
//! earlier case, or taken back.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::applications::{self, ApplicationError, Opened};
use tongban_domain::FieldProblem;
use tongban_domain::catalog::Fetchable;

use super::{form_and_guide, name_of, voice};
use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render, render_form};
use crate::http::uploads::Upload;
use crate::{AppError, AppState};

/// A material as its page shows it.
#[derive(Debug)]
pub struct MaterialView {
    /// code
    pub code: String,
    /// name
    pub name: String,
    /// required
    pub required: bool,
    /// fetched from (worded), when the person gives nothing
    pub fetched: String,
    /// accepted types and size, worded
    pub accepts: String,
    /// `accept` attribute of the file input
    pub accept: String,
    /// a note
    pub note: String,
    /// the files given, each linked
    pub files: Vec<FileLine>,
    /// files given in earlier cases that this material takes (giving id,
    /// name and where from)
    pub reusable: Vec<(i64, String)>,
    /// what is wrong
    pub error: String,
    /// the item's blank form for it (a file key), when the guide has one
    pub blank_form: String,
    /// the item's filled-in sample, when the guide has one
    pub sample: String,
}

/// `/applications/{id}/materials` view.
#[derive(Template)]
#[template(path = "applications/materials.html")]
pub struct MaterialsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// application id
    pub id: String,
    /// item name
    pub name: String,
    /// the materials
    pub materials: Vec<MaterialView>,
    /// problems
    pub errors: Vec<FieldError>,
    /// opened from check your answers: continuing returns there
    pub back_to_check: bool,
    /// what was just done, worded
    pub done: String,
}

/// A size as people read it: KB below a megabyte, MB with one decimal above.
pub fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0)
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

fn materials_view(
    ctx: &Ctx,
    o: &Opened,
    reusable: &[applications::Reusable],
    errors: Vec<FieldError>,
) -> Result<MaterialsView, AppError> {
    let t = voice(ctx, o);
    let (g, _) = form_and_guide(o).ok_or(AppError::NotFound)?;
    let materials = applications::materials_of(g, &o.app.situation)
        .map(|m| {
            let fetched = match &m.fetchable {
                Fetchable::No => String::new(),
                Fetchable::Certificate(what) => {
                    t.fmt("apply.fetched_certificate", &[("what", what)])
                }
                Fetchable::SharedData(what) => t.fmt("apply.fetched_shared", &[("what", what)]),
                Fetchable::FromForm => t.get("apply.from_form"),
            };
            let types: Vec<String> = m
                .file_types
                .iter()
                .map(|x| x.to_ascii_uppercase())
                .collect();
            MaterialView {
                accepts: t.fmt(
                    "apply.accepts",
                    &[("types", &types.join("、")), ("mb", &m.max_mb.to_string())],
                ),
                accept: m
                    .file_types
                    .iter()
                    .map(|x| match x.as_str() {
                        "pdf" => ".pdf,application/pdf",
                        "ofd" => ".ofd",
                        "jpeg" => ".jpg,.jpeg,image/jpeg",
                        "png" => ".png,image/png",
                        _ => "",
                    })
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join(","),
                files: file_lines(
                    &t,
                    o.app.files.iter().filter(|f| f.material == m.code),
                    &|_| m.name.clone(),
                    &format!("/api/v1/applications/{}", o.app.id),
                    false,
                ),
                reusable: reusable
                    .iter()
                    .filter(|r| r.material_name == m.name && m.file_types.contains(&r.kind))
                    .map(|r| {
                        (
                            r.given_id,
                            t.fmt(
                                "apply.reuse_line",
                                &[
                                    ("name", &r.name),
                                    ("case", &r.case_number),
                                    ("size", &size_text(r.size)),
                                ],
                            ),
                        )
                    })
                    .collect(),
                error: errors
                    .iter()
                    .filter(|e| e.field == format!("m-{}", m.code))
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
                code: m.code.clone(),
                name: m.name.clone(),
                required: m.required,
                fetched,
                note: m.note.clone(),
                blank_form: m.blank_form.clone(),
                sample: m.sample.clone(),
            }
        })
        .collect();
    Ok(MaterialsView {
        nav: Nav::from_ctx(ctx),
        id: o.app.id.clone(),
        name: name_of(&t, o),
        materials,
        errors,
        back_to_check: false,
        done: String::new(),
        t,
    })
}

/// A file given, as the pages list it: its name links to the file, an
/// image shows as a thumbnail; sizes in KB or MB; the SHA-256 for staff.
#[derive(Debug)]
pub struct FileLine {
    /// id of the giving
    pub id: i64,
    /// the material's name
    pub material: String,
    /// name as uploaded
    pub name: String,
    /// where it opens
    pub href: String,
    /// a PNG or JPEG, shown as a thumbnail
    pub image: bool,
    /// type, size, trust and origin, worded
    pub about: String,
    /// SHA-256 (shown to staff behind "details")
    pub sha256: String,
}

/// The files given, as lines opened under `base` (the application's or
/// the case's path in the API), each with its material named by
/// `material`.
pub fn file_lines<'f>(
    t: &Tr,
    files: impl Iterator<Item = &'f applications::GivenFile>,
    material: &dyn Fn(&str) -> String,
    base: &str,
    staff: bool,
) -> Vec<FileLine> {
    files
        .map(|f| FileLine {
            id: f.id,
            material: material(&f.material),
            name: f.name.clone(),
            href: format!("{base}/files/{}", f.id),
            image: matches!(f.kind.as_str(), "png" | "jpeg"),
            about: format!(
                "{} · {} · {}",
                f.kind.to_ascii_uppercase(),
                size_text(f.size),
                trust_text(t, &f.trust, &f.origin, staff)
            ),
            sha256: f.sha256.clone(),
        })
        .collect()
}

/// A file's trust grade and origin, worded: the grade for staff, what it
/// means for the applicant otherwise.
pub fn trust_text(t: &Tr, trust: &str, origin: &str, staff: bool) -> String {
    let from = match origin.split_once(':') {
        Some(("reuse", case)) => t.fmt("apply.origin_reuse", &[("case", case)]),
        _ => t.get(&format!("apply.origin_{origin}")),
    };
    let grade = if staff {
        t.get(&format!("apply.trust_{trust}"))
    } else {
        t.get(&format!("apply.trust_for_applicant_{trust}"))
    };
    format!("{grade} · {from}")
}

/// Problems about materials, anchored at `m-<code>`.
fn material_errors(t: &Tr, problems: Vec<FieldProblem>) -> Vec<FieldError> {
    localize(t, problems)
        .into_iter()
        .map(|mut e| {
            if let Some(code) = e.field.strip_prefix("/materials/") {
                e.field = format!("m-{code}");
            }
            e
        })
        .collect()
}

/// The problem of an upload button pressed with no file chosen.
fn nothing_chosen(code: &str) -> FieldProblem {
    FieldProblem::new(
        format!("/materials/{code}"),
        "file.none",
        "请选择要上传的文件",
    )
}

/// Query of the materials page.
#[derive(Debug, Deserialize)]
pub struct MaterialsQuery {
    /// `check` when opened from check your answers
    #[serde(default)]
    back: String,
    /// what was just done (`removed`)
    #[serde(default)]
    done: String,
}

/// `GET /applications/{id}/materials`.
pub async fn materials_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<MaterialsQuery>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let (o, reusable) = applications::open_materials(state.db(), &s.principal, &id).await?;
    if !o.app.state.editable() {
        return Ok(Redirect::to(&format!("/applications/{id}")).into_response());
    }
    let mut v = materials_view(&ctx, &o, &reusable, vec![])?;
    v.back_to_check = q.back == "check";
    if q.done == "removed" {
        v.done = v.t.get("apply.removed");
    }
    render(&v)
}

/// `POST /applications/{id}/materials`: the materials page as one form.
/// Every file chosen (fields `file.<code>`) is given, whichever button was
/// pressed: a material's upload button (`upload` = its code) returns to
/// the page, "continue" (`action`) goes on (to check your answers when
/// `back` is `check`). Problems are listed on the page; the files given
/// meanwhile stay.
pub async fn materials_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    upload: Upload<Multipart>,
) -> Result<Response, AppError> {
    let Upload {
        body: mut form,
        admitted,
    } = upload;
    let s = ctx.require_session()?;
    let (mut upload_code, mut back) = (String::new(), false);
    let mut gave = Vec::new();
    let mut problems = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| admitted.failed(AppError::BadRequest(e.body_text())))?
    {
        let name = field.name().unwrap_or("").to_owned();
        if let Some(code) = name.strip_prefix("file.") {
            let code = code.to_owned();
            let file_name = field.file_name().unwrap_or("").to_owned();
            if file_name.is_empty() {
                continue;
            }
            match applications::give(
                state.db(),
                &state.config().data_dir,
                &s.principal,
                &id,
                &code,
                &file_name,
                Box::pin(field),
                state.config().applications.bytes_per_account,
            )
            .await
            {
                Ok(_) => gave.push(code),
                Err(ApplicationError::Invalid(p)) => {
                    if let Some(stopped) = admitted.stopped() {
                        return Err(stopped);
                    }
                    problems.extend(p);
                }
                Err(e) => return Err(admitted.failed(AppError::from(e))),
            }
        } else {
            let value = field
                .text()
                .await
                .map_err(|e| admitted.failed(AppError::BadRequest(e.body_text())))?;
            match name.as_str() {
                "upload" => upload_code = value,
                "back" => back = value == "check",
                _ => {}
            }
        }
    }
    let pointer = format!("/materials/{upload_code}");
    if !upload_code.is_empty()
        && !gave.contains(&upload_code)
        && !problems.iter().any(|p| p.field == pointer)
    {
        problems.push(nothing_chosen(&upload_code));
    }
    let base = format!("/applications/{id}");
    let back_query = if back { "?back=check" } else { "" };
    if problems.is_empty() {
        let to = match (upload_code.is_empty(), back) {
            (false, _) => format!("{base}/materials{back_query}#m-{upload_code}"),
            (true, true) => format!("{base}/check"),
            (true, false) => format!("{base}/after/materials"),
        };
        return Ok(Redirect::to(&to).into_response());
    }
    let (o, reusable) = applications::open_materials(state.db(), &s.principal, &id).await?;
    let mut v = materials_view(&ctx, &o, &reusable, material_errors(&ctx.tr(), problems))?;
    v.back_to_check = back;
    render_form(&v, false)
}

/// `POST /applications/{id}/materials/{code}`: a file for a material, as
/// `multipart/form-data` (the field `file`), streamed to the store.
pub async fn material_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, code)): Path<(String, String)>,
    upload: Upload<Multipart>,
) -> Result<Response, AppError> {
    let Upload {
        body: mut form,
        admitted,
    } = upload;
    let s = ctx.require_session()?;
    let t = ctx.tr();
    let mut result = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| admitted.failed(AppError::BadRequest(e.body_text())))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or(&code).to_owned();
        result = Some(
            applications::give(
                state.db(),
                &state.config().data_dir,
                &s.principal,
                &id,
                &code,
                &name,
                Box::pin(field),
                state.config().applications.bytes_per_account,
            )
            .await,
        );
        break;
    }
    if let Some(Err(_)) = &result
        && let Some(stopped) = admitted.stopped()
    {
        return Err(stopped);
    }
    let problems = match result {
        Some(Ok(_)) => {
            return Ok(
                Redirect::to(&format!("/applications/{id}/materials#m-{code}")).into_response(),
            );
        }
        Some(Err(ApplicationError::Invalid(p))) => p,
        Some(Err(e)) => return Err(e.into()),
        None => vec![nothing_chosen(&code)],
    };
    let (o, reusable) = applications::open_materials(state.db(), &s.principal, &id).await?;
    render_form(
        &materials_view(&ctx, &o, &reusable, material_errors(&t, problems))?,
        false,
    )
}

/// What the reuse button posts.
#[derive(Debug, Deserialize)]
pub struct ReuseForm {
    #[serde(default)]
    from: i64,
}

/// `POST /applications/{id}/materials/{code}/reuse`: gives a file from an
/// earlier case again, by reference.
pub async fn material_reuse_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, code)): Path<(String, String)>,
    Form(f): Form<ReuseForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    match applications::reuse(state.db(), &s.principal, &id, &code, f.from).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/applications/{id}/materials#m-{code}")).into_response())
        }
        Err(ApplicationError::Invalid(p)) => {
            let (o, reusable) = applications::open_materials(state.db(), &s.principal, &id).await?;
            render_form(
                &materials_view(&ctx, &o, &reusable, material_errors(&ctx.tr(), p))?,
                false,
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /applications/{id}/files/{file_id}/delete`: takes a file back.
pub async fn file_delete_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    applications::take_back(state.db(), &s.principal, &id, file_id).await?;
    Ok(Redirect::to(&format!("/applications/{id}/materials?done=removed")).into_response())
}

/// `/applications/{id}/files/{file_id}/remove` view: removing a file is
/// asked first.
#[derive(Template)]
#[template(path = "applications/file_remove.html")]
pub struct RemoveView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// application id
    pub id: String,
    /// item name
    pub name: String,
    /// the giving
    pub file_id: i64,
    /// the file's name
    pub file: String,
    /// the material's code
    pub material_code: String,
    /// the material's name
    pub material: String,
}

/// `GET /applications/{id}/files/{file_id}/remove`: asks before a file is
/// taken back.
pub async fn file_remove_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let o = applications::open(state.db(), &s.principal, &id).await?;
    if !o.app.state.editable() {
        return Ok(Redirect::to(&format!("/applications/{id}")).into_response());
    }
    let t = voice(&ctx, &o);
    let f = o
        .app
        .files
        .iter()
        .find(|f| f.id == file_id)
        .ok_or(AppError::NotFound)?;
    let material = form_and_guide(&o)
        .and_then(|(g, _)| applications::material_of(g, &o.app.situation, &f.material))
        .map_or_else(|| f.material.clone(), |m| m.name.clone());
    render(&RemoveView {
        nav: Nav::from_ctx(&ctx),
        id: o.app.id.clone(),
        name: name_of(&t, &o),
        file_id,
        file: f.name.clone(),
        material_code: f.material.clone(),
        material,
        t,
    })
}
