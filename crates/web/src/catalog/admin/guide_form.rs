//! The guide as a form: every element of a version as fields, read back into a guide with every problem listed.

use super::*;
use tongban_domain::catalog::form::text as form_text;

/// A material row of the form.
#[derive(Debug, Default)]
pub struct MRow {
    /// stable code (empty for a new row: given on save)
    pub code: String,
    /// name
    pub name: String,
    /// required
    pub required: bool,
    /// originals
    pub originals: String,
    /// copies
    pub copies: String,
    /// `no`, `cert`, `shared`
    pub fetch: String,
    /// certificate or data set
    pub fetch_name: String,
    /// 材料形式 code
    pub form: String,
    /// 来源渠道 code
    pub source: String,
    /// 出具单位
    pub issuer: String,
    /// note
    pub note: String,
    /// blank form file id
    pub blank_form: String,
    /// sample file id
    pub sample: String,
    /// file types taken online
    pub file_types: Vec<String>,
    /// size limit in MB
    pub max_mb: String,
}

impl MRow {
    /// Whether the row takes a file type.
    pub fn takes(&self, ty: &str) -> bool {
        self.file_types.iter().any(|t| t == ty)
    }
}

/// The guide as form values.
#[derive(Debug, Default)]
pub struct GuideForm {
    /// scalar fields by name
    pub name: String,
    /// English name
    pub name_en: String,
    /// type
    pub item_type: String,
    /// legal basis
    pub legal_basis: String,
    /// conditions, one per line
    pub conditions: String,
    /// process, one per line
    pub process: String,
    /// special procedures, one per line
    pub special: String,
    /// aliases, one per line
    pub aliases: String,
    /// legal limit
    pub legal_limit: String,
    /// promised limit
    pub promised_limit: String,
    /// case kind code
    pub case_kind: String,
    /// depth
    pub online_depth: String,
    /// visits
    pub visits: String,
    /// minimum real-name level (`0` = none)
    pub min_level: String,
    /// flags
    pub appointment: bool,
    /// flags
    pub online_payment: bool,
    /// flags
    pub express_delivery: bool,
    /// place
    pub place: String,
    /// hours
    pub hours: String,
    /// consult
    pub consult_phone: String,
    /// supervise
    pub supervise_phone: String,
    /// result
    pub result_name: String,
    /// selected handling forms
    pub handling_forms: Vec<String>,
    /// selected service objects
    pub service_objects: Vec<String>,
    /// selected themes
    pub themes: Vec<String>,
    /// materials, with blank rows to add more
    pub materials: Vec<MRow>,
    /// fees (name, standard, basis)
    pub fees: Vec<(String, String, String)>,
    /// faq
    pub faq: Vec<(String, String)>,
    /// situations
    pub situations: Vec<SRow>,
    /// the application form as text (see `tongban_domain::catalog::form::text`)
    pub form_text: String,
}

/// A situation (业务办理项) row of the form.
#[derive(Debug, Default, Clone)]
pub struct SRow {
    /// stable code (empty for a new row: given on save)
    pub code: String,
    /// name
    pub name: String,
    /// materials, one per line in compact form
    pub materials: String,
    /// the questions it adds, as form text
    pub form_text: String,
}

/// Reads a form's text; each unreadable line becomes a problem of `field`
/// naming its line, and the form read so far is empty.
fn read_form(
    text: &str,
    field: &str,
    errors: &mut Vec<FieldError>,
    t: &Tr,
) -> tongban_domain::catalog::form::FormDef {
    match form_text::parse(text) {
        Ok(f) => f,
        Err(lines) => {
            for l in lines {
                // The line's problem in the page's language.
                let said = t
                    .lookup(&format!("formtext.{}", l.code))
                    .map_or_else(|| l.message.clone(), |m| m.replace("{value}", &l.value));
                errors.push(FieldError::of(
                    t,
                    tongban_domain::FieldProblem::new(field, "form_def.line", l.message)
                        .with("line", l.line.to_string())
                        .with("message", said),
                ));
            }
            Default::default()
        }
    }
}

pub(super) fn lines(v: &[String]) -> String {
    v.join("\n")
}

impl GuideForm {
    /// The form for a guide, with blank rows for additions.
    pub fn from_guide(g: &Guide) -> Self {
        let mut materials: Vec<MRow> = g
            .materials
            .iter()
            .map(|m| {
                let (fetch, fetch_name) = match &m.fetchable {
                    Fetchable::No => ("no", String::new()),
                    Fetchable::Certificate(s) => ("cert", s.clone()),
                    Fetchable::SharedData(s) => ("shared", s.clone()),
                    Fetchable::FromForm => ("form", String::new()),
                };
                MRow {
                    code: m.code.clone(),
                    file_types: m.file_types.clone(),
                    max_mb: m.max_mb.to_string(),
                    name: m.name.clone(),
                    required: m.required,
                    originals: m.originals.to_string(),
                    copies: m.copies.to_string(),
                    fetch: fetch.into(),
                    fetch_name,
                    form: m.form.clone(),
                    source: m.source.clone(),
                    issuer: m.issuer.clone(),
                    note: m.note.clone(),
                    blank_form: m.blank_form.clone(),
                    sample: m.sample.clone(),
                }
            })
            .collect();
        for _ in 0..3 {
            let blank = Material::default();
            materials.push(MRow {
                fetch: "no".into(),
                originals: "1".into(),
                copies: "0".into(),
                form: blank.form,
                source: blank.source,
                file_types: blank.file_types,
                max_mb: blank.max_mb.to_string(),
                ..MRow::default()
            });
        }
        let mut fees: Vec<_> = g
            .fees
            .iter()
            .map(|f| (f.name.clone(), f.standard.clone(), f.basis.clone()))
            .collect();
        fees.push(Default::default());
        let mut faq: Vec<_> = g
            .faq
            .iter()
            .map(|q| (q.question.clone(), q.answer.clone()))
            .collect();
        let mut situations: Vec<SRow> = g
            .situations
            .iter()
            .map(|st| {
                let lines: Vec<String> = st
                    .materials
                    .iter()
                    .map(tongban_core::catalog::exchange::format_material)
                    .collect();
                SRow {
                    code: st.code.clone(),
                    name: st.name.clone(),
                    materials: lines.join("\n"),
                    form_text: form_text::format(&st.form),
                }
            })
            .collect();
        situations.push(Default::default());
        faq.push(Default::default());
        Self {
            name: g.name.clone(),
            name_en: g.name_en.clone(),
            item_type: g.item_type.clone(),
            legal_basis: g.legal_basis.clone(),
            conditions: lines(&g.conditions),
            process: lines(&g.process),
            special: lines(&g.special_procedures),
            aliases: lines(&g.aliases),
            legal_limit: g.legal_limit.value.to_string(),
            promised_limit: g.promised_limit.value.to_string(),
            case_kind: match g.case_kind {
                CaseKind::Immediate => "1",
                CaseKind::Promised => "2",
                CaseKind::Other => "9",
            }
            .into(),
            online_depth: g.online_depth.to_string(),
            visits: g.visits.to_string(),
            min_level: g.min_level.to_string(),
            appointment: g.appointment,
            online_payment: g.online_payment,
            express_delivery: g.express_delivery,
            place: g.place.clone(),
            hours: g.hours.clone(),
            consult_phone: g.consult_phone.clone(),
            supervise_phone: g.supervise_phone.clone(),
            result_name: g.result_name.clone(),
            handling_forms: g.handling_forms.clone(),
            service_objects: g.service_objects.clone(),
            themes: g.themes.clone(),
            materials,
            fees,
            faq,
            situations,
            form_text: form_text::format(&g.form),
        }
    }

    /// Whether a checkbox value is selected.
    pub fn has(&self, list: &str, code: &str) -> bool {
        let l = match list {
            "handling_forms" => &self.handling_forms,
            "service_objects" => &self.service_objects,
            _ => &self.themes,
        };
        l.iter().any(|c| c == code)
    }
}

/// Reads the posted form into a guide; numbers that are not numbers are
/// reported and the form is shown again.
pub(super) fn guide_from_pairs(
    t: &Tr,
    pairs: &[(String, String)],
    base: &Guide,
) -> (Guide, GuideForm, Vec<FieldError>) {
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let all = |k: &str| {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let split = |s: &str| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut errors = Vec::new();
    let mut num = |field: &str, v: &str| -> u32 {
        if v.is_empty() {
            return 0;
        }
        v.parse::<u32>().unwrap_or_else(|_| {
            errors.push(FieldError::worded(
                field,
                "not_number",
                t.get("acat.not_number"),
            ));
            0
        })
    };
    let legal = num("legal_limit", &one("legal_limit"));
    let promised = num("promised_limit", &one("promised_limit"));
    let depth = num("online_depth", &one("online_depth")).min(255) as u8;
    let visits = num("visits", &one("visits")).min(255) as u8;
    let min_level = num("min_level", &one("min_level")).min(255) as u8;
    let mut materials = Vec::new();
    let mut mrows = Vec::new();
    for i in 0..100 {
        let key = |f: &str| format!("m{i}_{f}");
        if !pairs.iter().any(|(n, _)| n.starts_with(&format!("m{i}_"))) {
            break;
        }
        let row = MRow {
            code: one(&key("code")),
            file_types: pairs
                .iter()
                .filter(|(n, _)| *n == key("types"))
                .map(|(_, v)| v.clone())
                .collect(),
            max_mb: one(&key("max_mb")),
            name: one(&key("name")),
            required: !one(&key("required")).is_empty(),
            originals: one(&key("originals")),
            copies: one(&key("copies")),
            fetch: one(&key("fetch")),
            fetch_name: one(&key("fetch_name")),
            form: one(&key("form")),
            source: one(&key("source")),
            issuer: one(&key("issuer")),
            note: one(&key("note")),
            blank_form: one(&key("blank_form")),
            sample: one(&key("sample")),
        };
        if !(row.name.is_empty()
            && row.fetch_name.is_empty()
            && row.issuer.is_empty()
            && row.note.is_empty())
        {
            materials.push(Material {
                code: row.code.trim().to_owned(),
                file_types: row.file_types.clone(),
                max_mb: num(&key("max_mb"), &row.max_mb),
                name: row.name.clone(),
                required: row.required,
                originals: num(&key("originals"), &row.originals).min(255) as u8,
                copies: num(&key("copies"), &row.copies).min(255) as u8,
                fetchable: match row.fetch.as_str() {
                    "cert" => Fetchable::Certificate(row.fetch_name.clone()),
                    "shared" => Fetchable::SharedData(row.fetch_name.clone()),
                    "form" => Fetchable::FromForm,
                    _ => Fetchable::No,
                },
                form: row.form.clone(),
                source: row.source.clone(),
                issuer: row.issuer.clone(),
                note: row.note.clone(),
                blank_form: row.blank_form.clone(),
                sample: row.sample.clone(),
            });
        }
        mrows.push(row);
    }
    let mut fees = Vec::new();
    let mut frows = Vec::new();
    for i in 0..50 {
        if !pairs.iter().any(|(n, _)| n.starts_with(&format!("f{i}_"))) {
            break;
        }
        let r = (
            one(&format!("f{i}_name")),
            one(&format!("f{i}_standard")),
            one(&format!("f{i}_basis")),
        );
        if !(r.0.is_empty() && r.1.is_empty() && r.2.is_empty()) {
            fees.push(Fee {
                name: r.0.clone(),
                standard: r.1.clone(),
                basis: r.2.clone(),
                ..Fee::default()
            });
        }
        frows.push(r);
    }
    let mut faq = Vec::new();
    let mut qrows = Vec::new();
    for i in 0..50 {
        if !pairs.iter().any(|(n, _)| n.starts_with(&format!("q{i}_"))) {
            break;
        }
        let r = (one(&format!("q{i}_question")), one(&format!("q{i}_answer")));
        if !(r.0.is_empty() && r.1.is_empty()) {
            faq.push(Faq {
                question: r.0.clone(),
                answer: r.1.clone(),
            });
        }
        qrows.push(r);
    }
    let mut situations = Vec::new();
    let mut srows = Vec::new();
    for i in 0..50 {
        if !pairs.iter().any(|(n, _)| n.starts_with(&format!("s{i}_"))) {
            break;
        }
        let r = SRow {
            code: one(&format!("s{i}_code")),
            name: one(&format!("s{i}_name")),
            materials: one(&format!("s{i}_materials")),
            form_text: one(&format!("s{i}_form")),
        };
        if !(r.name.is_empty() && r.materials.is_empty() && r.form_text.trim().is_empty()) {
            situations.push(tongban_domain::catalog::Situation {
                code: r.code.trim().to_owned(),
                name: r.name.clone(),
                form: read_form(
                    &r.form_text,
                    &format!("situations[{i}].form"),
                    &mut errors,
                    t,
                ),
                materials: split(&r.materials)
                    .iter()
                    .filter_map(|m| {
                        tongban_core::catalog::exchange::parse_material(m)
                            .map_err(|message| {
                                errors.push(FieldError::of(
                                    t,
                                    tongban_domain::FieldProblem::new(
                                        format!("situations[{i}]"),
                                        "material",
                                        message,
                                    ),
                                ))
                            })
                            .ok()
                    })
                    .collect(),
            });
        }
        srows.push(r);
    }
    let g = Guide {
        name: one("name"),
        name_en: one("name_en"),
        item_type: one("item_type"),
        legal_basis: one("legal_basis"),
        conditions: split(&one("conditions")),
        process: split(&one("process")),
        special_procedures: split(&one("special")),
        aliases: split(&one("aliases")),
        legal_limit: TimeLimit {
            value: legal,
            ..base.legal_limit.clone()
        },
        promised_limit: TimeLimit {
            value: promised,
            ..base.promised_limit.clone()
        },
        case_kind: match one("case_kind").as_str() {
            "1" => CaseKind::Immediate,
            "9" => CaseKind::Other,
            _ => CaseKind::Promised,
        },
        online_depth: depth,
        visits,
        min_level,
        appointment: !one("appointment").is_empty(),
        online_payment: !one("online_payment").is_empty(),
        express_delivery: !one("express_delivery").is_empty(),
        place: one("place"),
        hours: one("hours"),
        consult_phone: one("consult_phone"),
        supervise_phone: one("supervise_phone"),
        result_name: one("result_name"),
        handling_forms: all("handling_forms"),
        service_objects: all("service_objects"),
        themes: all("themes"),
        materials,
        fees,
        faq,
        // Elements this form does not edit are kept from the version.
        situations,
        form: read_form(&one("form_text"), "form", &mut errors, t),
        quantity_limit: base.quantity_limit.clone(),
        intermediary: base.intermediary.clone(),
    };
    let mut form = GuideForm::from_guide(&g);
    // Show exactly what was typed (including rows the guide dropped as empty).
    form.legal_limit = one("legal_limit");
    form.promised_limit = one("promised_limit");
    form.online_depth = one("online_depth");
    form.visits = one("visits");
    form.min_level = one("min_level");
    if !mrows.is_empty() {
        form.materials = mrows;
    }
    if !frows.is_empty() {
        form.fees = frows;
    }
    if !qrows.is_empty() {
        form.faq = qrows;
    }
    if !srows.is_empty() {
        form.situations = srows;
    }
    // What was typed stays, also when a line cannot be read.
    form.form_text = one("form_text");
    (g, form, errors)
}
