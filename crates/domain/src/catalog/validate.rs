//! What a guide must satisfy before it can be published; every problem is listed at once.

use super::*;

/// A problem with a guide, tied to the field it concerns.
pub type GuideError = crate::FieldProblem;

fn err(
    errors: &mut Vec<GuideError>,
    field: impl Into<String>,
    code: &'static str,
    message: impl Into<String>,
) {
    errors.push(GuideError::new(field, code, message));
}

/// What is wrong with a guide's application forms: the item's, and each
/// situation's (whose keys may not repeat the item's, since its questions
/// add to them). Part of [`validate`]; the editor's preview shows it alone.
pub fn form_problems(g: &Guide) -> Vec<GuideError> {
    let mut e = g.form.problems();
    for (si, s) in g.situations.iter().enumerate() {
        for mut p in s.form.problems() {
            p.field = format!("situations[{si}].{}", p.field);
            e.push(p);
        }
        for (sj, sec) in s.form.sections.iter().enumerate() {
            for (fi, f) in sec.fields.iter().enumerate() {
                if g.form.field(&f.key).is_some() {
                    e.push(
                        GuideError::new(
                            format!("situations[{si}].form.sections[{sj}].fields[{fi}].key"),
                            "form_def.duplicate_key",
                            "业务办理项的字段键与事项表单重复",
                        )
                        .with("value", f.key.clone()),
                    );
                }
            }
        }
    }
    e
}

/// A material's code, file types and size limit.
fn material_identity(e: &mut Vec<GuideError>, at: &str, i: usize, m: &Material) {
    if !m.code.is_empty() && !code_ok(&m.code) {
        e.push(GuideError::new(
            format!("{at}.code"),
            "invalid",
            format!(
                "第{}项材料的编码应为1至16位字母、数字、下划线或连字符",
                i + 1
            ),
        ));
    }
    if m.file_types.is_empty()
        || m.file_types
            .iter()
            .any(|t| !FILE_TYPES.contains(&t.as_str()))
    {
        err(
            e,
            format!("{at}.file_types"),
            "invalid",
            format!(
                "第{}项材料接收的文件类型应从 PDF、OFD、JPEG、PNG 中选择",
                i + 1
            ),
        );
    }
    if !(1..=MAX_MB).contains(&m.max_mb) {
        e.push(
            GuideError::new(
                format!("{at}.max_mb"),
                "out_of_range",
                format!("第{}项材料的大小上限应为1至{MAX_MB} MB", i + 1),
            )
            .with("max", MAX_MB.to_string()),
        );
    }
}

/// Every rule a guide must satisfy to be published, checked at once so the
/// editor sees the whole list (一次性告知 applies to editors too).
pub fn validate(g: &Guide, lists: &CodeLists) -> Vec<GuideError> {
    let mut e = Vec::new();
    if g.name.trim().is_empty() {
        err(&mut e, "name", "required", "事项名称不能为空");
    } else if g.name.chars().count() > 200 {
        err(&mut e, "name", "too_long", "事项名称不能超过200个字符");
    }
    if label(ITEM_TYPES, &g.item_type).is_none() {
        err(
            &mut e,
            "item_type",
            "invalid_code",
            "事项类型代码无效（GB/T 39046 附录A.1）",
        );
    }
    if g.legal_basis.trim().is_empty() {
        err(&mut e, "legal_basis", "required", "设定依据不能为空");
    }
    if g.conditions.iter().all(|c| c.trim().is_empty()) {
        err(&mut e, "conditions", "required", "至少填写一项受理条件");
    }
    if g.process.iter().all(|c| c.trim().is_empty()) {
        err(&mut e, "process", "required", "至少填写一个办理流程步骤");
    }
    for (i, m) in g.materials.iter().enumerate() {
        if m.name.trim().is_empty() {
            err(
                &mut e,
                format!("materials[{i}].name"),
                "required",
                format!("第{}项材料缺少名称", i + 1),
            );
        }
        if m.originals > 20 || m.copies > 20 {
            err(
                &mut e,
                format!("materials[{i}].copies"),
                "out_of_range",
                format!("第{}项材料的份数不能超过20", i + 1),
            );
        }
        if !lists.contains(CodeList::MaterialForm, &m.form) {
            err(
                &mut e,
                format!("materials[{i}].form"),
                "invalid_code",
                format!("第{}项材料的材料形式代码无效", i + 1),
            );
        }
        if !lists.contains(CodeList::MaterialSource, &m.source) {
            err(
                &mut e,
                format!("materials[{i}].source"),
                "invalid_code",
                format!("第{}项材料的来源渠道代码无效", i + 1),
            );
        }
        match &m.fetchable {
            Fetchable::Certificate(s) | Fetchable::SharedData(s) if s.trim().is_empty() => err(
                &mut e,
                format!("materials[{i}].fetchable"),
                "required",
                format!("第{}项材料可免提交时，须写明证照或共享数据名称", i + 1),
            ),
            _ => {}
        }
        material_identity(&mut e, &format!("materials[{i}]"), i, m);
        if !m.code.is_empty() && g.materials[..i].iter().any(|o| o.code == m.code) {
            err(
                &mut e,
                format!("materials[{i}].code"),
                "duplicate",
                format!("第{}项材料的编码 {} 与前面的材料重复", i + 1, m.code),
            );
        }
    }
    e.extend(form_problems(g));
    for (si, s) in g.situations.iter().enumerate() {
        if s.name.trim().is_empty() {
            err(
                &mut e,
                format!("situations[{si}].name"),
                "required",
                format!("第{}个业务办理项缺少名称", si + 1),
            );
        }
        for (i, m) in s.materials.iter().enumerate() {
            if m.name.trim().is_empty() {
                err(
                    &mut e,
                    format!("situations[{si}].materials[{i}].name"),
                    "required",
                    "业务办理项的材料缺少名称",
                );
            }
            material_identity(&mut e, &format!("situations[{si}].materials[{i}]"), i, m);
        }
    }
    if g.legal_limit.unit != g.promised_limit.unit && g.promised_limit.value > 0 {
        err(
            &mut e,
            "promised_limit.unit",
            "unit_mismatch",
            "承诺办结时限应与法定办结时限使用相同单位",
        );
    } else if g.promised_limit.value > g.legal_limit.value {
        err(
            &mut e,
            "promised_limit.value",
            "exceeds_legal",
            "承诺办结时限不能长于法定办结时限",
        );
    }
    if g.case_kind == CaseKind::Immediate && g.promised_limit.value != 0 {
        err(
            &mut e,
            "promised_limit.value",
            "immediate_nonzero",
            "即办件的承诺办结时限应为0（当场办结）",
        );
    }
    for (i, f) in g.fees.iter().enumerate() {
        if f.name.trim().is_empty() {
            err(
                &mut e,
                format!("fees[{i}].name"),
                "required",
                format!("第{}项收费缺少名称", i + 1),
            );
        }
        if f.standard.trim().is_empty() {
            err(
                &mut e,
                format!("fees[{i}].standard"),
                "required",
                format!("第{}项收费缺少收费标准", i + 1),
            );
        }
        if f.basis.trim().is_empty() {
            err(
                &mut e,
                format!("fees[{i}].basis"),
                "required",
                format!("第{}项收费缺少收费依据", i + 1),
            );
        }
        if f.waivable && f.waiver_basis.trim().is_empty() {
            err(
                &mut e,
                format!("fees[{i}].waiver_basis"),
                "required",
                format!("第{}项收费允许减免，须写明减免依据", i + 1),
            );
        }
    }
    if !(1..=4).contains(&g.online_depth) {
        err(
            &mut e,
            "online_depth",
            "invalid_code",
            "网上办理深度应为Ⅰ至Ⅳ级",
        );
    }
    if g.min_level > 4 {
        err(
            &mut e,
            "min_level",
            "out_of_range",
            "实名等级要求应为一至四级",
        );
    }
    if g.online_depth == 4 && g.visits > 0 {
        err(
            &mut e,
            "visits",
            "depth4_visits",
            "全程网办（Ⅳ级）事项的到办事现场次数必须为0",
        );
    }
    if g.online_depth == 3 && g.visits > 1 {
        err(
            &mut e,
            "visits",
            "depth3_visits",
            "Ⅲ级事项到办事现场次数不能超过1次",
        );
    }
    if g.handling_forms.is_empty() {
        err(&mut e, "handling_forms", "required", "至少选择一种办理形式");
    }
    for (i, c) in g.handling_forms.iter().enumerate() {
        if label(HANDLING_FORMS, c).is_none() {
            err(
                &mut e,
                format!("handling_forms[{i}]"),
                "invalid_code",
                "办理形式代码无效（附录A.5）",
            );
        }
    }
    if g.visits == 0 && g.online_depth < 4 && !g.handling_forms.iter().any(|c| c == "4") {
        err(
            &mut e,
            "visits",
            "zero_visits_needs_post",
            "非全程网办事项到现场0次的，办理形式须包含快递申请",
        );
    }
    if g.service_objects.is_empty() {
        err(
            &mut e,
            "service_objects",
            "required",
            "至少选择一个服务对象",
        );
    }
    for (i, c) in g.service_objects.iter().enumerate() {
        if label(SERVICE_OBJECTS, c).is_none() {
            err(
                &mut e,
                format!("service_objects[{i}]"),
                "invalid_code",
                "服务对象代码无效（附录A.4）",
            );
        }
    }
    for (field, v, what) in [
        ("place", &g.place, "办理地点"),
        ("hours", &g.hours, "办理时间"),
        ("consult_phone", &g.consult_phone, "咨询电话"),
        ("supervise_phone", &g.supervise_phone, "监督电话"),
    ] {
        if v.trim().is_empty() {
            err(&mut e, field, "required", format!("{what}不能为空"));
        }
    }
    for (i, q) in g.faq.iter().enumerate() {
        if q.question.trim().is_empty() || q.answer.trim().is_empty() {
            err(
                &mut e,
                format!("faq[{i}]"),
                "required",
                format!("第{}个常见问题须有问有答", i + 1),
            );
        }
    }
    e
}
