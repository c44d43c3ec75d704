//! The API's JSON: read like axum's `Json`, but a body that does not fit
//! answers a problem like every other refusal. A member missing, of the
//! wrong type, or not taken is named in `errors[]` at its JSON pointer
//! (422, `json.required`, `json.type`, `json.unknown`); a body that is not
//! JSON at all is a 400 with the parser's words; one not declared JSON is a
//! 415. Written, it is axum's `Json`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use tongban_domain::FieldProblem;

use crate::AppError;

/// A JSON body read, or a JSON answer written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        if !declared_json(req.headers()) {
            return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
        }
        // The body's own limit (413) is axum's, as for its `Json`.
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        from_slice(&bytes)
            .map(Json)
            .map_err(IntoResponse::into_response)
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Whether the body is declared JSON (`application/json`, or a `+json`
/// type such as `application/merge-patch+json`).
fn declared_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(media) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
    else {
        return false;
    };
    let media = media.trim().to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// Reads a JSON value of type `T`, refusing what does not fit with the
/// member at fault named.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let pointer = pointer(e.path());
        let inner = e.into_inner();
        if inner.classify() == serde_json::error::Category::Data {
            AppError::Validation(vec![problem(pointer, &inner)])
        } else {
            AppError::BadRequest(inner.to_string())
        }
    })?;
    // Nothing may follow the value, as with axum's `Json`.
    de.end().map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(value)
}

/// The JSON pointer (RFC 6901) of a path: `/params/findings/0/problem`;
/// empty for the body itself.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        let token = match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => continue,
        };
        out.push('/');
        out.push_str(&escape(&token));
    }
    out
}

/// The problem of a value that is JSON but not of the body's shape, read
/// from serde's words (the only place that says which member is missing or
/// not taken): `missing field `x``, `unknown field `x`, expected …`, and
/// every other a wrong type or value.
fn problem(at: String, e: &serde_json::Error) -> FieldProblem {
    let words = e.to_string();
    // serde_json ends its words with the position, of no use to a caller
    // that is told the member.
    let words = words
        .rsplit_once(" at line ")
        .map_or(words.as_str(), |(w, _)| w)
        .to_owned();
    let named = |prefix: &str| {
        words
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    let (code, member, field) = if let Some(m) = named("missing field `") {
        ("json.required", m.clone(), format!("{at}/{}", escape(&m)))
    } else if let Some(m) = named("unknown field `") {
        // The path may already end at the member, or stop at its object.
        let field = if at.ends_with(&format!("/{}", escape(&m))) {
            at
        } else {
            format!("{at}/{}", escape(&m))
        };
        ("json.unknown", m, field)
    } else {
        let member = at.rsplit('/').next().unwrap_or_default().to_owned();
        ("json.type", member, at)
    };
    FieldProblem::new(field, code, format!("{member}: {words}"))
        .with("member", member)
        .with("detail", words)
}

/// A member's name as a pointer's token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "read only to be refused")]
    struct Body {
        revision: i64,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "read only to be refused")]
    struct Item {
        name: String,
    }

    fn refused(json: &str) -> Vec<(String, &'static str, String)> {
        match from_slice::<Body>(json.as_bytes()) {
            Err(AppError::Validation(ps)) => ps
                .into_iter()
                .map(|p| {
                    let member = p
                        .args
                        .iter()
                        .find(|(n, _)| *n == "member")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    (p.field, p.code, member)
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_member_at_fault_is_named_at_its_pointer() {
        let one = |f: &str, c: &'static str, m: &str| vec![(f.to_owned(), c, m.to_owned())];
        assert_eq!(refused("{}"), one("/revision", "json.required", "revision"));
        assert_eq!(
            refused(r#"{"revision": "2"}"#),
            one("/revision", "json.type", "revision")
        );
        assert_eq!(
            refused(r#"{"revision": 2, "x/y": 1}"#),
            one("/x~1y", "json.unknown", "x/y")
        );
        assert_eq!(
            refused(r#"{"revision": 2, "items": [{"name": "a"}, {}]}"#),
            one("/items/1/name", "json.required", "name")
        );
        assert_eq!(refused("[]"), one("", "json.type", ""));
        assert!(matches!(
            from_slice::<Body>(b"{"),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            from_slice::<Body>(br#"{"revision": 1} x"#),
            Err(AppError::BadRequest(_))
        ));
        assert!(from_slice::<Body>(br#"{"revision": 1}"#).is_ok());
    }

    #[test]
    fn only_bodies_declared_json_are_read() {
        let with = |v: &'static str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            declared_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!declared_json(&axum::http::HeaderMap::new()));
    }
}
