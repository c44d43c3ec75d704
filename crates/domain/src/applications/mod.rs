//! Applications (申办): from a draft to the point where processing starts.
//!
//! A draft's answers live on the server and change by JSON merge patches
//! (RFC 7396), each checked against the item's form (only what is given;
//! the whole form on submission). Who applies for whom is recorded with the
//! authority; the channel it came by gives its 申报来源 (GB/T 39046 A.5).

use serde_json::{Map, Value};

mod case_no;
mod objects;
mod timeline;

pub use case_no::{CASE_NO_MAX, CaseNo, CaseNoError};
pub use objects::{served, service_object};
pub use timeline::Milestone;

/// Where an application is (spec §2.4, up to the point processing starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// 草稿: being filled in.
    Draft,
    /// 已提交: submitted (or corrected), waiting for pre-review and
    /// acceptance.
    Submitted,
    /// 补齐补正告知: the one complete list of corrections was sent; the
    /// applicant corrects on the same case and submits again.
    CorrectionNotified,
    /// 已受理: accepted; the clock runs.
    Accepted,
    /// 不予受理: not accepted, with reason and basis.
    NotAccepted,
    /// 已撤回: withdrawn by the applicant.
    Withdrawn,
    /// 已过期: a draft left unsaved past its keeping time; its answers are
    /// cleared and its files released, its history kept.
    Expired,
}

impl State {
    /// Every state.
    pub const ALL: [Self; 7] = [
        Self::Draft,
        Self::Submitted,
        Self::CorrectionNotified,
        Self::Accepted,
        Self::NotAccepted,
        Self::Withdrawn,
        Self::Expired,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::CorrectionNotified => "correction",
            Self::Accepted => "accepted",
            Self::NotAccepted => "not_accepted",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
        }
    }

    /// Parses a stored code.
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }

    /// Whether the applicant may change the answers and materials: a draft,
    /// or a case sent back for correction.
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::CorrectionNotified)
    }
}

/// What the acceptance staff do with a submitted case (Art. 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 补正告知: one complete list of what to correct.
    RequestCorrection,
    /// 受理: accept; the clock starts.
    Accept,
    /// 不予受理: refuse, with reason and basis.
    Reject,
}

impl Action {
    /// Every action.
    pub const ALL: [Self; 3] = [Self::RequestCorrection, Self::Accept, Self::Reject];

    /// Its name in the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::RequestCorrection => "request_correction",
            Self::Accept => "accept",
            Self::Reject => "reject",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == s)
    }

    /// The state it leads to.
    pub fn to(self) -> State {
        match self {
            Self::RequestCorrection => State::CorrectionNotified,
            Self::Accept => State::Accepted,
            Self::Reject => State::NotAccepted,
        }
    }
}

/// The actions allowed on a case in `state`, when corrections were already
/// asked `corrected` times: a submitted case may be sent back for
/// correction once (the list is complete, so never a second time),
/// accepted or refused; while the applicant corrects it may still be
/// refused.
pub fn allowed_actions(state: State, corrected: u32) -> Vec<Action> {
    match state {
        State::Submitted if corrected == 0 => Action::ALL.to_vec(),
        State::Submitted => vec![Action::Accept, Action::Reject],
        State::CorrectionNotified => vec![Action::Reject],
        _ => vec![],
    }
}

/// Whether a notice given this many working days after the application was
/// received is late: Art. 32 gives five working days after receipt to say
/// what must be corrected; later, the application counts as accepted from
/// receipt.
pub fn notice_late(working_days_after_receipt: i64) -> bool {
    working_days_after_receipt > 5
}

/// What a correction changed between two submissions of a case.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Answers changed, added or removed: key, before, after.
    pub answers: Vec<(String, Option<Value>, Option<Value>)>,
    /// Files given since: (material code, file name).
    pub files_added: Vec<(String, String)>,
    /// Files taken back since: (material code, file name).
    pub files_removed: Vec<(String, String)>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty() && self.files_added.is_empty() && self.files_removed.is_empty()
    }
}

/// A file as a submission recorded it: material code, name, SHA-256.
pub type SubmittedFile = (String, String, String);

/// What changed from one submission (`before`) to the next (`after`):
/// every answer whose value differs, and the files by material and content.
pub fn changes(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    files_before: &[SubmittedFile],
    files_after: &[SubmittedFile],
) -> Changes {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let answers = keys
        .into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| (k.clone(), before.get(k).cloned(), after.get(k).cloned()))
        .collect();
    let same = |a: &SubmittedFile, b: &SubmittedFile| a.0 == b.0 && a.2 == b.2;
    Changes {
        answers,
        files_added: files_after
            .iter()
            .filter(|f| !files_before.iter().any(|g| same(f, g)))
            .map(|f| (f.0.clone(), f.1.clone()))
            .collect(),
        files_removed: files_before
            .iter()
            .filter(|f| !files_after.iter().any(|g| same(f, g)))
            .map(|f| (f.0.clone(), f.1.clone()))
            .collect(),
    }
}

/// How far a material's file can be trusted (国办函〔2016〕108号).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustGrade {
    /// A: produced by the issuing body, with its electronic seal.
    A,
    /// B: checked against the original by window staff.
    B,
    /// C: uploaded by the applicant; the original is checked at the window.
    C,
    /// D: made by the applicant under a declaration of truthfulness.
    D,
}

impl TrustGrade {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }

    /// Parses a stored code.
    pub fn from_code(s: &str) -> Option<Self> {
        [Self::A, Self::B, Self::C, Self::D]
            .into_iter()
            .find(|g| g.code() == s)
    }

    /// The grade of a file by who handled it: scanned by a window clerk
    /// from the original, at the window, it is B; uploaded by anyone else
    /// (the applicant into a draft begun at a window included) C.
    pub fn of_upload(scanned_at_window: bool) -> Self {
        if scanned_at_window { Self::B } else { Self::C }
    }
}

/// Why a member of staff read a case (`application_reads.purpose`): every
/// read is kept for supervision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPurpose {
    /// The case page at the acceptance desk.
    Acceptance,
    /// One of the case's files, opened.
    File,
    /// One of the case's images, shown as a thumbnail on the case page.
    Thumbnail,
}

impl ReadPurpose {
    /// Every purpose.
    pub const ALL: [Self; 3] = [Self::Acceptance, Self::File, Self::Thumbnail];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Acceptance => "acceptance",
            Self::File => "file",
            Self::Thumbnail => "thumbnail",
        }
    }
}

/// How an application reached the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The portal in a browser.
    Portal,
    /// The JSON API (apps, department systems).
    Api,
    /// A window of a 政务服务中心, for a person who is present.
    Window,
    /// A community agent (代办) with the applicant's consent.
    Agent,
}

impl Channel {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Api => "api",
            Self::Window => "window",
            Self::Agent => "agent",
        }
    }

    /// 申报来源 (A.5): 1 窗口办理, 2 电脑端网上办理, 3 移动端网上申请, 9 其他.
    /// A community agent's application counts as 其他: A.5 has no code for
    /// it [U: a provincial code list may].
    pub fn source_code(self, mobile: bool) -> &'static str {
        match (self, mobile) {
            (Self::Window, _) => "1",
            (Self::Portal | Self::Api, false) => "2",
            (Self::Portal | Self::Api, true) => "3",
            (Self::Agent, _) => "9",
        }
    }
}

/// On what authority the person acting applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// For themselves (or an enterprise signed in as itself).
    Own,
    /// As the agent of an enterprise, under the mandate with this id.
    Mandate(i64),
    /// A window clerk for a person present at the window, whose identity
    /// was checked and who signed the application (一窗受理).
    Window,
    /// A community agent (代办员) with the person's recorded consent.
    Consent,
    /// A person applying for another person on the strength of a signed
    /// 授权委托书 (power of attorney), which the case then asks for as a
    /// material ([`POWER_OF_ATTORNEY`]).
    Attorney,
}

/// The code of the material an application made under a power of attorney
/// asks besides the item's own: the signed 授权委托书.
pub const POWER_OF_ATTORNEY: &str = "POA";

/// The 授权委托书 material of an application made under a power of
/// attorney: required, a scan or an electronic document.
pub fn power_of_attorney() -> crate::catalog::Material {
    crate::catalog::Material {
        code: POWER_OF_ATTORNEY.into(),
        name: "授权委托书".into(),
        required: true,
        originals: 1,
        copies: 0,
        source: "applicant".into(),
        note: "申请人签字的授权委托书，写明委托事项、权限和期限".into(),
        ..crate::catalog::Material::default()
    }
}

impl Authority {
    /// Parses the stored form.
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "own" => Some(Self::Own),
            "window" => Some(Self::Window),
            "consent" => Some(Self::Consent),
            "attorney" => Some(Self::Attorney),
            _ => s
                .strip_prefix("mandate:")
                .and_then(|id| id.parse().ok())
                .map(Self::Mandate),
        }
    }

    /// Whether the applicant can end the acting person's power on one
    /// application (a community agent's consent, a 授权委托书); a mandate
    /// is ended by the enterprise on its agents page, a window clerk's by
    /// the clerk's role.
    pub fn ended_by_applicant(&self) -> bool {
        matches!(self, Self::Consent | Self::Attorney)
    }

    /// Stored form: `own` or `mandate:<id>`.
    pub fn code(&self) -> String {
        match self {
            Self::Own => "own".into(),
            Self::Mandate(id) => format!("mandate:{id}"),
            Self::Window => "window".into(),
            Self::Consent => "consent".into(),
            Self::Attorney => "attorney".into(),
        }
    }
}

/// Why a case-number pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseNumberError {
    /// A placeholder is missing or unknown.
    #[error(
        "the pattern must hold {{task_code}}, {{date}} and {{seq:N}} (N 1–9), and nothing else in braces"
    )]
    Pattern,
    /// The day's sequence passed what the pattern's digits hold.
    #[error("the daily sequence {0} does not fit the pattern")]
    Overflow(i64),
    /// Longer than the 50 characters of GB/T 39046 (an..50).
    #[error("a case number is at most 50 characters")]
    TooLong,
}

/// The 办件编号 of the `seq`-th application to an item on `date`, after
/// `pattern` (default `{task_code}{date}{seq:4}`: the 实施编码, the day as
/// `yyyyMMdd` and a four-digit daily sequence; spec §2.1, configurable
/// [U] until the provincial rule DB23/T 2551.3 is confirmed).
pub fn case_number(
    pattern: &str,
    task_code: &str,
    date: time::Date,
    seq: i64,
) -> Result<String, CaseNumberError> {
    let mut out = String::new();
    let mut rest = pattern;
    let (mut has_task, mut has_date, mut has_seq) = (false, false, false);
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let j = after.find('}').ok_or(CaseNumberError::Pattern)?;
        match &after[..j] {
            "task_code" => {
                has_task = true;
                out.push_str(task_code);
            }
            "date" => {
                has_date = true;
                out.push_str(&format!(
                    "{:04}{:02}{:02}",
                    date.year(),
                    u8::from(date.month()),
                    date.day()
                ));
            }
            p => {
                let width: usize = p
                    .strip_prefix("seq:")
                    .and_then(|w| w.parse().ok())
                    .filter(|w| (1..=9).contains(w))
                    .ok_or(CaseNumberError::Pattern)?;
                let s = format!("{seq:0width$}");
                if s.len() > width || seq < 1 {
                    return Err(CaseNumberError::Overflow(seq));
                }
                has_seq = true;
                out.push_str(&s);
            }
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    if !(has_task && has_date && has_seq) {
        return Err(CaseNumberError::Pattern);
    }
    if out.chars().count() > 50 {
        return Err(CaseNumberError::TooLong);
    }
    Ok(out)
}

/// A case number made by `pattern`, in the pattern's own parts for people
/// to read and quote: the 实施编码 (its leading 18-character credit code
/// apart), the date, the sequence and any literal text, joined by spaces.
/// A number the pattern did not make is grouped by fours. Whitespace
/// between the parts is what [`CaseNo::parse_typed`] forgives.
pub fn grouped_case_number(pattern: &str, number: &str) -> String {
    parts_of(pattern, number).map_or_else(
        || {
            number
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        },
        |p| p.join(" "),
    )
}

/// The parts of `number` as `pattern` made it; `None` when it does not fit.
fn parts_of(pattern: &str, number: &str) -> Option<Vec<String>> {
    // The pattern's pieces: literal text, or a placeholder of known width
    // (the task code takes what the others leave).
    enum Piece<'a> {
        Text(&'a str),
        Width(usize),
        Task,
    }
    let mut pieces = Vec::new();
    let mut rest = pattern;
    while let Some(i) = rest.find('{') {
        if i > 0 {
            pieces.push(Piece::Text(&rest[..i]));
        }
        let after = &rest[i + 1..];
        let j = after.find('}')?;
        pieces.push(match &after[..j] {
            "task_code" => Piece::Task,
            "date" => Piece::Width(8),
            p => Piece::Width(p.strip_prefix("seq:")?.parse().ok()?),
        });
        rest = &after[j + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    let fixed: usize = pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.len(),
            Piece::Width(w) => *w,
            Piece::Task => 0,
        })
        .sum();
    let tasks = pieces.iter().filter(|p| matches!(p, Piece::Task)).count();
    let task_len = match tasks {
        0 if number.len() == fixed => 0,
        1 if number.len() > fixed => number.len() - fixed,
        _ => return None,
    };
    // A pattern with text of its own (`HRB-…`) already separates its
    // parts, and a space there would not be typed back: shown as it is.
    if pieces.iter().any(|p| matches!(p, Piece::Text(_))) {
        return Some(vec![number.to_owned()]);
    }
    let mut out = Vec::new();
    let mut at = 0;
    for p in &pieces {
        let len = match p {
            Piece::Text(t) => t.len(),
            Piece::Width(w) => *w,
            Piece::Task => task_len,
        };
        let part = number.get(at..at + len)?;
        at += len;
        match p {
            Piece::Task if part.len() > 18 => {
                out.push(part[..18].to_owned());
                out.push(part[18..].to_owned());
            }
            _ => out.push(part.to_owned()),
        }
    }
    Some(out)
}

/// Applies a JSON merge patch (RFC 7396) to an object: a `null` removes a
/// member, an object merges into an object, anything else replaces. The
/// strings it brings are what a person typed, so invisible controls are
/// dropped from them on the way in ([`crate::text::visible_json`]).
pub fn merge_patch(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        match v {
            Value::Null => {
                target.remove(k);
            }
            Value::Object(p) => {
                let entry = target
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(t) = entry {
                    merge_patch(t, p);
                }
            }
            other => {
                target.insert(k.clone(), crate::text::visible_json(other));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_case_number_is_grouped_by_its_patterns_parts() {
        let n = "11230100MB1234567X3012001000001202601010001";
        assert_eq!(
            grouped_case_number("{task_code}{date}{seq:4}", n),
            "11230100MB1234567X 3012001000001 20260101 0001"
        );
        assert_eq!(
            grouped_case_number("HRB-{date}-{seq:6}_{task_code}", "HRB-20260101-000005_T1"),
            "HRB-20260101-000005_T1"
        );
        // A number the pattern did not make: by fours.
        assert_eq!(
            grouped_case_number("{task_code}{date}{seq:4}", "ABC"),
            "ABC"
        );
        assert_eq!(
            grouped_case_number("{date}{seq:4}", "Y2026010100011"),
            "Y202 6010 1000 11"
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        // The examples of RFC 7396 Appendix A, as far as objects go.
        for (target, patch, result) in [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ] {
            let mut t = obj(target);
            merge_patch(&mut t, &obj(patch.clone()));
            assert_eq!(Value::Object(t), result, "{patch}");
        }
    }

    #[test]
    fn a_patch_brings_no_invisible_controls() {
        let mut t = obj(json!({"a": "b"}));
        merge_patch(
            &mut t,
            &obj(json!({"a": "\u{202E}c\u{200B}", "g": [{"x": "y\u{2066}"}]})),
        );
        assert_eq!(Value::Object(t), json!({"a": "c", "g": [{"x": "y"}]}));
    }

    #[test]
    fn case_numbers_follow_the_pattern() {
        let d = time::macros::date!(2026 - 11 - 30);
        let task = "11230100MB1234567X3012001000001";
        let n = case_number("{task_code}{date}{seq:4}", task, d, 17).unwrap();
        assert_eq!(n, format!("{task}202611300017"));
        assert_eq!(n.len(), 43);
        assert_eq!(
            case_number("HRB-{date}-{seq:6}-{task_code}", "X", d, 5).unwrap(),
            "HRB-20261130-000005-X"
        );
        assert_eq!(
            case_number("{task_code}{date}{seq:4}", task, d, 10_000),
            Err(CaseNumberError::Overflow(10_000))
        );
        assert_eq!(
            case_number("{task_code}{seq:4}", task, d, 1),
            Err(CaseNumberError::Pattern)
        );
        assert_eq!(
            case_number("{task_code}{date}{seq:4}{who}", task, d, 1),
            Err(CaseNumberError::Pattern)
        );
        assert_eq!(
            case_number("{task_code}{date}{seq:4}-extra-long-suffix", task, d, 1),
            Err(CaseNumberError::TooLong)
        );
    }

    #[test]
    fn codes_round_trip_and_sources_follow_a5() {
        for s in State::ALL {
            assert_eq!(State::from_code(s.code()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(a));
        }
        assert_eq!(Channel::Window.source_code(false), "1");
        assert_eq!(Channel::Portal.source_code(false), "2");
        assert_eq!(Channel::Portal.source_code(true), "3");
        assert_eq!(Channel::Agent.source_code(false), "9");
        assert_eq!(Authority::Mandate(7).code(), "mandate:7");
        assert_eq!(Authority::Attorney.code(), "attorney");
        for a in [
            Authority::Own,
            Authority::Mandate(42),
            Authority::Window,
            Authority::Consent,
            Authority::Attorney,
        ] {
            assert_eq!(Authority::from_code(&a.code()), Some(a));
        }
        assert_eq!(Authority::from_code("mandate:x"), None);
        assert_eq!(Authority::from_code("boss"), None);
        let poa = power_of_attorney();
        assert!(poa.required && poa.code == POWER_OF_ATTORNEY);
        assert!(poa.file_types.iter().any(|t| t == "pdf") && poa.max_mb > 0);
    }

    #[test]
    fn a_window_scan_is_checked_against_the_original_an_upload_is_not() {
        assert_eq!(TrustGrade::of_upload(true), TrustGrade::B);
        assert_eq!(TrustGrade::of_upload(false), TrustGrade::C);
        for g in [TrustGrade::A, TrustGrade::B, TrustGrade::C, TrustGrade::D] {
            assert_eq!(TrustGrade::from_code(g.code()), Some(g));
        }
    }

    #[test]
    fn a_correction_shows_the_answers_and_files_it_changed() {
        let before: Map<String, Value> =
            serde_json::from_str(r#"{"a": 1, "b": "x", "c": [1]}"#).unwrap_or_default();
        let after: Map<String, Value> =
            serde_json::from_str(r#"{"a": 1, "b": "y", "d": true}"#).unwrap_or_default();
        let f = |m: &str, n: &str, h: &str| (m.to_owned(), n.to_owned(), h.to_owned());
        let c = changes(
            &before,
            &after,
            &[f("M1", "old.pdf", "h1"), f("M2", "same.pdf", "h2")],
            &[f("M2", "same-renamed.pdf", "h2"), f("M1", "new.pdf", "h3")],
        );
        let keys: Vec<&str> = c.answers.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(keys, ["b", "c", "d"]);
        assert_eq!(c.files_added, [("M1".to_owned(), "new.pdf".to_owned())]);
        assert_eq!(c.files_removed, [("M1".to_owned(), "old.pdf".to_owned())]);
        assert!(changes(&after, &after, &[], &[]).is_empty());
    }

    #[test]
    fn corrections_are_asked_once_and_only_of_a_submitted_case() {
        assert_eq!(allowed_actions(State::Submitted, 0).len(), 3);
        assert_eq!(
            allowed_actions(State::Submitted, 1),
            vec![Action::Accept, Action::Reject]
        );
        assert_eq!(
            allowed_actions(State::CorrectionNotified, 1),
            vec![Action::Reject]
        );
        for s in [
            State::Draft,
            State::Accepted,
            State::NotAccepted,
            State::Withdrawn,
        ] {
            assert!(allowed_actions(s, 0).is_empty(), "{s:?}");
        }
        assert!(State::CorrectionNotified.editable() && !State::Submitted.editable());
        assert!(!notice_late(5) && notice_late(6));
    }
}
