//! A guide as exchange fields and back: the compact forms of materials,
//! fees and FAQ, and every problem of a row by field.

use super::*;

fn split(s: &str) -> Vec<String> {
    s.split(['；', ';'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn split_codes(s: &str) -> Vec<String> {
    s.split(['^', ',', '，'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses a material in compact form:
/// `名称[*][{key=value|…}][#证照:类型 | #共享:数据集]`.
///
/// `*` marks it required; the optional attributes are `code` (the
/// material's stable code), `originals`, `copies` (counts), `form` and
/// `source` (codes of the configurable lists), `issuer`, `note`, `types`
/// (file types taken online, `pdf+ofd+jpeg+png`) and `max_mb` (size limit).
/// Left out, a material has one original and no copies, may be paper or
/// electronic, comes from the applicant (or from the government when it is
/// a certificate), takes every file type up to 10 MB, and is given a code
/// when the guide is saved. An unknown attribute or a count
/// that is not a number is an error naming it.
pub fn parse_material(spec: &str) -> Result<Material, String> {
    let (head, fetch) = match spec.split_once('#') {
        Some((h, f)) => (h, Some(f)),
        None => (spec, None),
    };
    let head = head.trim();
    let (head, attrs) = match head.strip_suffix('}').and_then(|h| h.split_once('{')) {
        Some((h, a)) => (h, Some(a)),
        None => (head, None),
    };
    let required = head.trim_end().ends_with('*');
    let name = head.trim().trim_end_matches('*').trim().to_owned();
    let fetchable = match fetch.and_then(|f| f.split_once([':', '：'])) {
        Some(("证照", t)) => Fetchable::Certificate(t.trim().to_owned()),
        Some(("共享", t)) => Fetchable::SharedData(t.trim().to_owned()),
        Some((other, _)) => {
            return Err(format!(
                "材料“{name}”的免提交来源“{other}”应为“证照”或“共享”"
            ));
        }
        None if fetch.is_some_and(|f| f.trim() == "申请表") => Fetchable::FromForm,
        None if fetch.is_some() => {
            return Err(format!(
                "材料“{name}”的免提交来源应写作“#证照:类型”“#共享:数据集”或“#申请表”"
            ));
        }
        None => Fetchable::No,
    };
    let mut m = Material {
        name,
        required,
        originals: 1,
        copies: 0,
        source: if matches!(fetchable, Fetchable::Certificate(_)) {
            "government".into()
        } else {
            "applicant".into()
        },
        fetchable,
        ..Material::default()
    };
    for pair in attrs.into_iter().flat_map(|a| a.split('|')) {
        if pair.trim().is_empty() {
            continue;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = value.trim();
        let count = |what: &str| {
            value
                .parse::<u8>()
                .map_err(|_| format!("材料“{}”的{what}“{value}”不是0至255的整数", m.name))
        };
        match key.trim() {
            "originals" => m.originals = count("原件份数")?,
            "copies" => m.copies = count("复印件份数")?,
            "form" => m.form = value.to_owned(),
            "source" => m.source = value.to_owned(),
            "issuer" => m.issuer = value.to_owned(),
            "note" => m.note = value.to_owned(),
            "code" => m.code = value.to_owned(),
            "types" => {
                m.file_types = value
                    .split('+')
                    .map(|t| t.trim().to_ascii_lowercase())
                    .filter(|t| !t.is_empty())
                    .collect()
            }
            "max_mb" => {
                m.max_mb = value
                    .parse::<u32>()
                    .map_err(|_| format!("材料“{}”的大小上限“{value}”不是整数（MB）", m.name))?
            }
            other => {
                return Err(format!(
                    "材料“{}”的属性“{other}”无法识别（可用：code、originals、copies、form、source、issuer、note、types、max_mb）",
                    m.name
                ));
            }
        }
    }
    Ok(m)
}

/// Text stored inside the compact form may not hold its separators.
fn attr_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '{' | '}' | '|' | '#' | ';' | '；' | '、' | '\n' | '\r' => '，',
            c => c,
        })
        .collect()
}

/// Formats a material in compact form; attributes that hold their default
/// are left out, so simple materials stay simple.
pub fn format_material(m: &Material) -> String {
    let mut s = m.name.clone();
    if m.required {
        s.push('*');
    }
    let default_source = if matches!(m.fetchable, Fetchable::Certificate(_)) {
        "government"
    } else {
        "applicant"
    };
    let mut attrs = Vec::new();
    if !m.code.is_empty() {
        attrs.push(format!("code={}", attr_text(&m.code)));
    }
    if m.originals != 1 {
        attrs.push(format!("originals={}", m.originals));
    }
    if m.copies != 0 {
        attrs.push(format!("copies={}", m.copies));
    }
    if m.form != Material::default().form {
        attrs.push(format!("form={}", attr_text(&m.form)));
    }
    if m.source != default_source {
        attrs.push(format!("source={}", attr_text(&m.source)));
    }
    if !m.issuer.is_empty() {
        attrs.push(format!("issuer={}", attr_text(&m.issuer)));
    }
    if !m.note.is_empty() {
        attrs.push(format!("note={}", attr_text(&m.note)));
    }
    if m.file_types != tongban_domain::catalog::default_file_types() {
        attrs.push(format!("types={}", attr_text(&m.file_types.join("+"))));
    }
    if m.max_mb != tongban_domain::catalog::DEFAULT_MAX_MB {
        attrs.push(format!("max_mb={}", m.max_mb));
    }
    if !attrs.is_empty() {
        s.push('{');
        s.push_str(&attrs.join("|"));
        s.push('}');
    }
    match &m.fetchable {
        Fetchable::Certificate(t) => s.push_str(&format!("#证照:{t}")),
        Fetchable::SharedData(t) => s.push_str(&format!("#共享:{t}")),
        Fetchable::FromForm => s.push_str("#申请表"),
        Fetchable::No => {}
    }
    s
}

/// Parses a fee `名称=标准@依据`.
pub fn parse_fee(spec: &str) -> Fee {
    let (name, rest) = spec.split_once('=').unwrap_or((spec, ""));
    let (standard, basis) = rest.split_once('@').unwrap_or((rest, ""));
    Fee {
        name: name.trim().into(),
        standard: standard.trim().into(),
        basis: basis.trim().into(),
        ..Fee::default()
    }
}

fn flag(b: bool) -> String {
    if b { "1".into() } else { "0".into() }
}

fn unit(u: TimeUnit) -> String {
    match u {
        TimeUnit::Workday => "workday".into(),
        TimeUnit::Day => "day".into(),
    }
}

/// The exchange form of a published guide.
pub fn to_row(
    catalog_code: &str,
    task_code: &str,
    org: &Org,
    division_code: &str,
    g: &Guide,
) -> ExchangeRow {
    ExchangeRow {
        catalog_code: catalog_code.into(),
        task_code: task_code.into(),
        task_name: g.name.clone(),
        task_name_en: g.name_en.clone(),
        task_type: g.item_type.clone(),
        by_law: g.legal_basis.clone(),
        use_level: org.admin_level.to_string(),
        dept_name: org.name_zh.clone(),
        dept_code: org.credit_code.clone(),
        division_code: division_code.into(),
        accept_condition: g.conditions.join("；"),
        handle_flow: g.process.join("；"),
        anticipate_day: g.legal_limit.value.to_string(),
        anticipate_type: unit(g.legal_limit.unit),
        promise_day: g.promised_limit.value.to_string(),
        promise_type: unit(g.promised_limit.unit),
        project_type: match g.case_kind {
            CaseKind::Immediate => "1",
            CaseKind::Promised => "2",
            CaseKind::Other => "9",
        }
        .into(),
        special_procedure: g.special_procedures.join("；"),
        server_type: g.service_objects.join("^"),
        handle_type: g.handling_forms.join("^"),
        theme: g.themes.join("^"),
        online_handle_depth: g.online_depth.to_string(),
        min_level: if g.min_level == 0 {
            String::new()
        } else {
            g.min_level.to_string()
        },
        limit_scene_num: g.visits.to_string(),
        is_schedule: flag(g.appointment),
        is_pay_online: flag(g.online_payment),
        is_express: flag(g.express_delivery),
        transact_addr: g.place.clone(),
        transact_time: g.hours.clone(),
        link_way: g.consult_phone.clone(),
        supervise_way: g.supervise_phone.clone(),
        result_name: g.result_name.clone(),
        materials: g
            .materials
            .iter()
            .map(format_material)
            .collect::<Vec<_>>()
            .join("；"),
        charges: g
            .fees
            .iter()
            .map(|f| format!("{}={}@{}", f.name, f.standard, f.basis))
            .collect::<Vec<_>>()
            .join("；"),
        faq: g
            .faq
            .iter()
            .map(|q| format!("{}={}", q.question, q.answer))
            .collect::<Vec<_>>()
            .join("；"),
        aliases: g.aliases.join("；"),
        form: tongban_domain::catalog::form::text::format(&g.form),
        situation_forms: situation_forms_text(g),
        situations: g
            .situations
            .iter()
            .map(|st| {
                format!(
                    "{}={}",
                    st.name,
                    st.materials
                        .iter()
                        .map(format_material)
                        .collect::<Vec<_>>()
                        .join("、")
                )
            })
            .collect::<Vec<_>>()
            .join("；"),
    }
}

fn num(row: usize, field: &str, v: &str, errors: &mut Vec<RowError>) -> u32 {
    let v = v.trim();
    if v.is_empty() {
        return 0;
    }
    v.parse().unwrap_or_else(|_| {
        errors.push(RowError {
            row,
            field: field.into(),
            message: format!("“{v}”不是数字"),
        });
        0
    })
}

fn parse_unit(row: usize, field: &str, v: &str, errors: &mut Vec<RowError>) -> TimeUnit {
    match v.trim() {
        "" | "workday" | "工作日" => TimeUnit::Workday,
        "day" | "自然日" => TimeUnit::Day,
        other => {
            errors.push(RowError {
                row,
                field: field.into(),
                message: format!("时限单位“{other}”无效，应为 workday 或 day"),
            });
            TimeUnit::Workday
        }
    }
}

/// The guide a row describes, with the problems of its fields.
pub fn guide_from_row(row_no: usize, r: &ExchangeRow) -> (Guide, Vec<RowError>) {
    let mut errors = Vec::new();
    let mut g = Guide {
        name: r.task_name.trim().into(),
        name_en: r.task_name_en.trim().into(),
        item_type: r.task_type.trim().into(),
        legal_basis: r.by_law.trim().into(),
        conditions: split(&r.accept_condition),
        process: split(&r.handle_flow),
        legal_limit: TimeLimit {
            value: num(row_no, "anticipate_day", &r.anticipate_day, &mut errors),
            unit: parse_unit(row_no, "anticipate_type", &r.anticipate_type, &mut errors),
            explain: String::new(),
        },
        promised_limit: TimeLimit {
            value: num(row_no, "promise_day", &r.promise_day, &mut errors),
            unit: parse_unit(row_no, "promise_type", &r.promise_type, &mut errors),
            explain: String::new(),
        },
        case_kind: match r.project_type.trim() {
            "1" => CaseKind::Immediate,
            "9" => CaseKind::Other,
            _ => CaseKind::Promised,
        },
        special_procedures: split(&r.special_procedure),
        service_objects: split_codes(&r.server_type),
        handling_forms: split_codes(&r.handle_type),
        themes: split_codes(&r.theme),
        online_depth: num(
            row_no,
            "online_handle_depth",
            &r.online_handle_depth,
            &mut errors,
        )
        .min(255) as u8,
        visits: num(row_no, "limit_scene_num", &r.limit_scene_num, &mut errors).min(255) as u8,
        min_level: num(row_no, "min_level", &r.min_level, &mut errors).min(255) as u8,
        appointment: r.is_schedule.trim() == "1",
        online_payment: r.is_pay_online.trim() == "1",
        express_delivery: r.is_express.trim() == "1",
        place: r.transact_addr.trim().into(),
        hours: r.transact_time.trim().into(),
        consult_phone: r.link_way.trim().into(),
        supervise_phone: r.supervise_way.trim().into(),
        result_name: r.result_name.trim().into(),
        materials: split(&r.materials)
            .iter()
            .filter_map(|m| match parse_material(m) {
                Ok(m) => Some(m),
                Err(message) => {
                    errors.push(RowError {
                        row: row_no,
                        field: "materials".into(),
                        message,
                    });
                    None
                }
            })
            .collect(),
        fees: split(&r.charges).iter().map(|f| parse_fee(f)).collect(),
        faq: split(&r.faq)
            .iter()
            .map(|q| {
                let (question, answer) = q.split_once('=').unwrap_or((q, ""));
                Faq {
                    question: question.trim().into(),
                    answer: answer.trim().into(),
                }
            })
            .collect(),
        aliases: split(&r.aliases),
        situations: split(&r.situations)
            .iter()
            .map(|entry| {
                let (name, mats) = entry.split_once('=').unwrap_or((entry, ""));
                Situation {
                    code: String::new(),
                    form: Default::default(),
                    name: name.trim().into(),
                    materials: mats
                        .split('、')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .filter_map(|m| match parse_material(m) {
                            Ok(m) => Some(m),
                            Err(message) => {
                                errors.push(RowError {
                                    row: row_no,
                                    field: "situations".into(),
                                    message,
                                });
                                None
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
        form: match tongban_domain::catalog::form::text::parse(&r.form) {
            Ok(f) => f,
            Err(lines) => {
                for l in lines {
                    errors.push(RowError {
                        row: row_no,
                        field: "form".into(),
                        message: format!("申请表单第{}行：{}", l.line, l.message),
                    });
                }
                Default::default()
            }
        },
        ..Guide::default()
    };
    read_situation_forms(row_no, &r.situation_forms, &mut g.situations, &mut errors);
    (g, errors)
}

/// The line that opens a situation's own questions in `situation_forms`.
const SITUATION_MARK: &str = "@ ";

/// The questions each situation adds, in one text: a line `@ 名称` opens a
/// situation's form, written as the item's form is; situations without
/// questions are left out.
fn situation_forms_text(g: &Guide) -> String {
    let mut out = String::new();
    for st in g
        .situations
        .iter()
        .filter(|st| !st.form.sections.is_empty())
    {
        out.push_str(SITUATION_MARK);
        out.push_str(&st.name);
        out.push('\n');
        out.push_str(&tongban_domain::catalog::form::text::format(&st.form));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Reads [`situation_forms_text`] back into the situations named in the
/// row; text before the first `@` line, a situation named twice or not at
/// all in `situations`, and any line of a form that cannot be read are
/// problems of the row (lines counted in the whole cell).
fn read_situation_forms(
    row_no: usize,
    text: &str,
    situations: &mut [Situation],
    errors: &mut Vec<RowError>,
) {
    let problem = |message: String| RowError {
        row: row_no,
        field: "situation_forms".into(),
        message,
    };
    // (situation name, first line number of its form, its text)
    let mut blocks: Vec<(String, usize, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix(SITUATION_MARK) {
            blocks.push((name.trim().to_owned(), i + 2, String::new()));
        } else if let Some(b) = blocks.last_mut() {
            b.2.push_str(line);
            b.2.push('\n');
        } else if !line.trim().is_empty() {
            errors.push(problem(format!(
                "业务办理项表单第{}行：应先以“@ 业务办理项名称”开头",
                i + 1
            )));
            return;
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for (name, first, body) in &blocks {
        if seen.contains(&name.as_str()) {
            errors.push(problem(format!("业务办理项“{name}”的表单写了两次")));
            continue;
        }
        seen.push(name);
        let Some(st) = situations.iter_mut().find(|st| &st.name == name) else {
            errors.push(problem(format!(
                "业务办理项表单中的“{name}”不在本事项的业务办理项中"
            )));
            continue;
        };
        match tongban_domain::catalog::form::text::parse(body) {
            Ok(f) => st.form = f,
            Err(lines) => {
                for l in lines {
                    errors.push(problem(format!(
                        "业务办理项表单第{}行：{}",
                        first + l.line - 1,
                        l.message
                    )));
                }
            }
        }
    }
}

/// The exchange name of a guide field, for error messages.
pub(super) fn exchange_field(path: &str) -> &str {
    let head = path.split(['.', '[']).next().unwrap_or(path);
    match head {
        "name" => "task_name",
        "item_type" => "task_type",
        "legal_basis" => "by_law",
        "conditions" => "accept_condition",
        "process" => "handle_flow",
        "legal_limit" => "anticipate_day",
        "promised_limit" => "promise_day",
        "service_objects" => "server_type",
        "handling_forms" => "handle_type",
        "online_depth" => "online_handle_depth",
        "min_level" => "min_level",
        "visits" => "limit_scene_num",
        "place" => "transact_addr",
        "hours" => "transact_time",
        "consult_phone" => "link_way",
        "supervise_phone" => "supervise_way",
        "fees" => "charges",
        "materials" => "materials",
        "faq" => "faq",
        other => other,
    }
}
