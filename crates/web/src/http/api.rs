//! The OpenAPI document of the JSON API under `/api/v1` (served at
//! `/api/openapi.json`, readable at `/api/docs`), gathering each
//! capability's operations, and the RFC 9457 problem they answer errors
//! with. The handlers live with their capability and call the same core
//! functions as the pages.

use utoipa::OpenApi;

use crate::applications::api as applications;
use crate::applications::cases;
use crate::applications::consents;
use crate::catalog::api as catalog;
use crate::identity::api as identity;
use crate::kernel::api as kernel;

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "tongban API", version = "1", description = "通办 一网通办政务服务平台 JSON API. Errors are RFC 9457 problem details."),
    paths(
        kernel::list_divisions,
        kernel::get_division,
        kernel::list_organizations,
        kernel::get_organization,
        kernel::create_organization,
        kernel::get_windows,
        kernel::put_windows,
        kernel::check_id_card,
        kernel::check_credit_code,
        crate::kernel::calendar::deadline_get,
        crate::kernel::calendar::year_get,
        identity::get_me,
        catalog::list_items,
        catalog::get_item,
        catalog::get_item_form,
        catalog::get_standardisation,
        catalog::export_catalog,
        catalog::import_catalog,
        identity::create_session,
        applications::create_application,
        applications::list_applications,
        applications::get_application,
        applications::patch_application,
        applications::get_upgrade,
        applications::post_upgrade,
        applications::post_material_file,
        applications::delete_material_file,
        applications::submit_application,
        applications::end_authority,
        consents::ask_consent,
        consents::begin_consent,
        consents::list_consents,
        consents::answer_consent,
        cases::get_case,
        cases::post_action,
        crate::applications::files::application_file_get,
        crate::applications::files::case_file_get,
        identity::delete_session,
    ),
    components(schemas(
        kernel::DivisionDto,
        kernel::DivisionDetail,
        kernel::OrgDto,
        kernel::NewOrgDto,
        kernel::WindowsDto,
        kernel::CheckRequest,
        kernel::CheckResult,
        crate::kernel::calendar::DeadlineDto,
        crate::kernel::calendar::YearDto,
        crate::kernel::calendar::DayDto,
        identity::MeDto,
        catalog::ItemSummaryDto,
        catalog::ItemPage,
        catalog::ItemDto,
        catalog::ItemFormDto,
        catalog::FormMaterialDto,
        catalog::SituationFormDto,
        catalog::ImportResult,
        identity::GrantDto,
        applications::NewApplication,
        applications::DraftRef,
        applications::DraftPatch,
        applications::ApplicationDto,
        applications::UpgradeDto,
        applications::RevisionRef,
        applications::GivenFileDto,
        applications::ReuseFile,
        applications::Submitted,
        applications::SubmitBody,
        applications::DeclarationDto,
        cases::CaseDto,
        cases::FindingDto,
        cases::DocumentDto,
        cases::ActionBody,
        cases::ActionParams,
        cases::FindingBody,
        cases::ActedDto,
        identity::SessionRequest,
        crate::http::error::FieldError,
        Problem,
    )),
    modifiers(&CommonProblems),
    tags((name = "kernel", description = "行政区划、机构与法定工作日历 divisions, organisations and the legal calendar"), (name = "identity", description = "账号与会话 accounts and sessions"), (name = "catalog", description = "政务服务事项 service items"), (name = "applications", description = "申办 applications"))
)]
pub struct ApiDoc;

/// The problems every operation can answer with, whatever its handler
/// declares: the request cannot be read (400), its body is too large (413)
/// or not JSON (415), a value breaks a rule the schema cannot say (422),
/// and the database is unavailable (503). Clients generated from the
/// document then know every status the platform sends.
struct CommonProblems;

impl utoipa::Modify for CommonProblems {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build(),
            )
        };
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let has_body = op.request_body.is_some();
                let mut add = |status: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description));
                };
                if has_params || has_body {
                    add(
                        "400",
                        "The request cannot be read (a malformed value or body).",
                    );
                    add(
                        "422",
                        "A value breaks a rule; `errors` lists every problem.",
                    );
                }
                if has_body {
                    add("413", "The body is larger than this operation takes.");
                    add("415", "The body is not of the declared media type.");
                }
                add("503", "The database is unavailable; try again shortly.");
            }
        }
    }
}

/// An RFC 9457 problem.
#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct Problem {
    /// URI of the problem type.
    pub r#type: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Explanation in the request's language.
    pub detail: String,
    /// Machine code: `not_found`, `validation`, `conflict`, …
    pub code: String,
    /// Request id to quote to support.
    pub request_id: String,
    /// Why, for a `conflict`: `changed` (a stale revision: reload and
    /// retry), `task_code_taken`, `credit_code_taken`, `wrong_state`,
    /// `draft_exists`, `same_reviewer`, `reviewer_made_submitter`.
    pub reason: Option<String>,
    /// Field errors, for `validation`.
    pub errors: Option<Vec<crate::http::error::FieldError>>,
}

/// Reads an integer that JSON may write as `3` or as `3.0`: JSON Schema's
/// `integer` is a number without a fraction, however it is written.
pub fn whole_number<'de, D>(d: D) -> Result<i64, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(D::Error::custom("expected a whole number")),
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct R {
        #[serde(deserialize_with = "super::whole_number")]
        n: i64,
    }

    #[test]
    fn integers_may_be_written_with_a_zero_fraction() {
        let r = |s: &str| serde_json::from_str::<R>(s).map(|r| r.n);
        assert_eq!(r(r#"{"n": 3}"#).unwrap(), 3);
        assert_eq!(r(r#"{"n": -3542.0}"#).unwrap(), -3542);
        assert!(r(r#"{"n": 2.5}"#).is_err());
        assert!(r(r#"{"n": "3"}"#).is_err());
        assert!(r(r#"{"n": 1e300}"#).is_err());
    }
}
