//! One version: the editor, review (submit, publish, schedule, send back), history and differences.

use super::guide_form::{GuideForm, guide_from_pairs};
use super::new::types;
use super::*;

/// `/admin/catalog/versions/{id}` view.
#[derive(Template)]
#[template(path = "catalog/admin_version.html")]
pub struct VersionView {
    /// translator
    pub t: Tr,
    /// the application form as an applicant will see it, when asked for
    pub preview: Option<Vec<super::form_preview::PreviewSection>>,
    /// navigation
    pub nav: Nav,
    /// version id
    pub id: i64,
    /// item id
    pub item_id: i64,
    /// heading
    pub heading: String,
    /// status label
    pub status: String,
    /// revision to post back
    pub revision: i64,
    /// whether the form is editable
    pub can_edit: bool,
    /// whether the review buttons show
    pub can_review: bool,
    /// the form
    pub form: GuideForm,
    /// field errors (blocking)
    pub errors: Vec<FieldError>,
    /// publication problems (advice while editing)
    pub problems: Vec<FieldError>,
    /// notice
    pub notice: String,
    /// whether a conflict happened
    pub conflict: bool,
    /// changes against the published version (None if nothing is published)
    pub changes: Option<Vec<Change>>,
    /// public page link when published
    pub public_task_code: Option<String>,
    /// choices
    pub types: Vec<(String, String)>,
    /// choices
    pub handling_forms: Vec<(String, String)>,
    /// choices
    pub service_objects: Vec<(String, String)>,
    /// choices
    pub themes: Vec<(String, String)>,
    /// choices
    pub depths: Vec<(String, String)>,
    /// choices of the minimum real-name level
    pub levels: Vec<(String, String)>,
    /// choices of 材料形式
    pub material_forms: Vec<(String, String)>,
    /// choices of 来源渠道
    pub material_sources: Vec<(String, String)>,
    /// file types a material may take online
    pub file_types: &'static [&'static str],
    /// scheduled dates, when any
    pub schedule_info: String,
}

impl VersionView {
    /// Whether a code is among the choices of a material list (`form` or
    /// `source`); an unknown stored code is then shown as itself, never
    /// silently replaced by the first choice.
    pub fn known(&self, list: &str, code: &str) -> bool {
        let choices = if list == "form" {
            &self.material_forms
        } else {
            &self.material_sources
        };
        choices.iter().any(|(c, _)| c == code)
    }
}

/// Query of the version page.
#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    done: Option<String>,
}

pub(super) struct Loaded {
    pub(super) v: Version,
    pub(super) item: catalog::Item,
    pub(super) org_path: String,
}

pub(super) async fn load(state: &AppState, id: i64) -> Result<Loaded, AppError> {
    let v = catalog::version(state.db(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let item = catalog::item(state.db(), v.item_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let org = orgs::get(state.db(), item.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        v,
        item,
        org_path: org.path,
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "one place assembles the page from its parts"
)]
pub(super) async fn version_view(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    form: Option<GuideForm>,
    shown_guide: &Guide,
    errors: Vec<FieldError>,
    notice: String,
    conflict: bool,
) -> Result<VersionView, AppError> {
    let t = ctx.tr();
    let p = principal(ctx)?;
    let may = rights(p, &l.org_path);
    if !may.any() {
        return Err(AppError::Forbidden);
    }
    let published = match l.item.published_version_id {
        Some(pid) if pid != l.v.id => catalog::version(state.db(), pid).await?.map(|pv| pv.guide),
        _ => None,
    };
    let themes = state.themes().await?;
    let lists = state.code_lists().await?;
    let choices = |list: CodeList| -> Vec<(String, String)> {
        lists
            .entries(list)
            .iter()
            .map(|e| (e.code.clone(), t.pick(&e.zh, &e.en).to_owned()))
            .collect()
    };
    let label = |table: &[(&str, &str, &str)]| -> Vec<(String, String)> {
        table
            .iter()
            .map(|(c, zh, en)| ((*c).to_owned(), t.pick(zh, en).to_owned()))
            .collect()
    };
    Ok(VersionView {
        t,
        preview: None,
        nav: Nav::from_ctx(ctx),
        id: l.v.id,
        item_id: l.item.id,
        heading: t.fmt(
            if l.v.status == VersionStatus::Draft {
                "acat.edit_title"
            } else {
                "acat.view_title"
            },
            &[
                ("name", &l.v.guide.name),
                ("v", &l.v.version_no.to_string()),
            ],
        ),
        status: status_label(&t, l.v.status),
        revision: l.v.revision,
        can_edit: l.v.status == VersionStatus::Draft && may.edit,
        can_review: l.v.status == VersionStatus::InReview && may.review,
        form: form.unwrap_or_else(|| GuideForm::from_guide(&l.v.guide)),
        errors,
        problems: localize(&t, rules::validate(shown_guide, &lists)),
        notice,
        conflict,
        changes: published.map(|pg| diff(&pg, shown_guide)),
        public_task_code: (l.item.published_version_id == Some(l.v.id))
            .then(|| l.item.task_code.clone()),
        types: types(&t),
        handling_forms: label(rules::HANDLING_FORMS),
        service_objects: label(rules::SERVICE_OBJECTS),
        themes: themes
            .iter()
            .map(|th| (th.code.clone(), t.pick(&th.name_zh, &th.name_en).to_owned()))
            .collect(),
        schedule_info: if l.v.effective_at.is_some() || l.v.cancel_at.is_some() {
            let show = |at: Option<i64>| at.map(format_cst).unwrap_or_else(|| t.get("acat.none"));
            t.fmt(
                "acat.schedule_info",
                &[
                    ("effective", &show(l.v.effective_at)),
                    ("cancel", &show(l.v.cancel_at)),
                ],
            )
        } else {
            String::new()
        },
        depths: choices(CodeList::OnlineDepth),
        material_forms: choices(CodeList::MaterialForm),
        file_types: tongban_domain::catalog::FILE_TYPES,
        levels: std::iter::once(("0".to_owned(), t.get("guide.min_level_none")))
            .chain(
                state
                    .config()
                    .identity
                    .levels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        (
                            (i + 1).to_string(),
                            t.pick(&l.name_zh, &l.name_en).to_owned(),
                        )
                    }),
            )
            .collect(),
        material_sources: choices(CodeList::MaterialSource),
    })
}

/// `GET /admin/catalog/versions/{id}`.
pub async fn version_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let l = load(&state, id).await?;
    let notice = match q.done.as_deref() {
        Some("saved") => t.get("acat.saved"),
        Some("draft_opened") => t.get("acat.draft_opened"),
        _ => String::new(),
    };
    let guide = l.v.guide.clone();
    render(&version_view(&state, &ctx, &l, None, &guide, vec![], notice, false).await?)
}

/// `POST /admin/catalog/versions/{id}`: save, submit, publish or send back.
pub async fn version_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?.clone();
    let l = load(&state, id).await?;
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let revision: i64 = field("revision")
        .parse()
        .map_err(|_| AppError::field("revision", "required"))?;
    let action = field("action");
    let db = state.db();
    match action.as_str() {
        // Preview: the form as an applicant will see it, with what is wrong
        // with its definition; nothing is saved.
        "preview" | "save" | "submit" => {
            let (guide, form, mut errors) = guide_from_pairs(&t, &pairs, &l.v.guide);
            let preview = action == "preview";
            if preview {
                errors.extend(localize(&t, rules::form_problems(&guide)));
            }
            if preview || !errors.is_empty() {
                let mut view = version_view(
                    &state,
                    &ctx,
                    &l,
                    Some(form),
                    &guide,
                    errors,
                    String::new(),
                    false,
                )
                .await?;
                if preview {
                    view.preview = Some(super::form_preview::preview(&t, &guide.form));
                    return render(&view);
                }
                return unprocessable(&view);
            }
            let saved =
                match catalog::save_draft(db, Actor::Person(&p), id, revision, guide.clone()).await
                {
                    Ok(r) => r,
                    Err(CatalogError::Conflict) => {
                        let fresh = load(&state, id).await?;
                        let mut view = version_view(
                            &state,
                            &ctx,
                            &fresh,
                            Some(form),
                            &guide,
                            vec![],
                            String::new(),
                            true,
                        )
                        .await?;
                        view.errors.push(FieldError::worded(
                            "name",
                            "invalid",
                            t.get("acat.conflict"),
                        ));
                        let mut res = render(&view)?;
                        *res.status_mut() = StatusCode::CONFLICT;
                        return Ok(res);
                    }
                    Err(e) => return Err(e.into()),
                };
            if action == "save" {
                return Ok(
                    Redirect::to(&format!("/admin/catalog/versions/{id}?done=saved"))
                        .into_response(),
                );
            }
            match catalog::submit(db, Actor::Person(&p), id, saved).await {
                Ok(()) => Ok(Redirect::to("/admin/catalog?done=submitted").into_response()),
                Err(CatalogError::Invalid(problems)) => {
                    let fresh = load(&state, id).await?;
                    let errors = localize(&t, problems);
                    let view = version_view(
                        &state,
                        &ctx,
                        &fresh,
                        None,
                        &fresh.v.guide,
                        errors,
                        t.get("acat.saved"),
                        false,
                    )
                    .await?;
                    unprocessable(&view)
                }
                Err(e) => Err(e.into()),
            }
        }
        "publish" => {
            let date = |k: &str| -> Result<Option<i64>, AppError> {
                let v = field(k);
                if v.trim().is_empty() {
                    return Ok(None);
                }
                tongban_core::platform::clock::parse_cst_date(&v)
                    .map(Some)
                    .ok_or_else(|| AppError::field(k, "bad_date"))
            };
            let schedule = catalog::Schedule {
                effective_at: date("effective_date")?,
                cancel_at: date("cancel_date")?,
            };
            catalog::publish_on(
                db,
                Actor::Person(&p),
                id,
                revision,
                schedule,
                tongban_core::platform::clock::now_ms(),
            )
            .await?;
            state.catalog_touched().await;
            Ok(Redirect::to("/admin/catalog?done=published").into_response())
        }
        "reject" => {
            catalog::reject(db, Actor::Person(&p), id, revision, &field("note")).await?;
            Ok(Redirect::to("/admin/catalog?done=rejected").into_response())
        }
        _ => Err(AppError::field("action", "invalid")),
    }
}

pub(super) fn unprocessable(view: &VersionView) -> Result<Response, AppError> {
    let mut res = render(view)?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}
