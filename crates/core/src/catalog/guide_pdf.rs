//! The printable guide (办事指南) as PDF, with a Chinese font embedded in
//! the binary (WenQuanYi Micro Hei, Apache-2.0), so a fresh machine needs no
//! font package and every reader sees the same characters.
//!
//! Layout is deliberately plain: A4, one column, headings and wrapped
//! paragraphs, the "what to bring" checklist first after the facts.

use tongban_domain::catalog::{self as rules, CaseKind, CodeList, CodeLists, Fetchable, Guide};

pub use crate::platform::pdf::PdfError;
use crate::platform::pdf::Writer;

/// Facts printed at the top of the guide besides the guide itself.
#[derive(Debug, Clone)]
pub struct GuideFacts {
    /// 实施编码.
    pub task_code: String,
    /// 实施主体.
    pub org_name: String,
    /// Version number.
    pub version_no: i64,
    /// Publication time, formatted.
    pub published_at: String,
    /// Where the online guide is (URL path or full URL).
    pub url: String,
    /// The configured wording of the catalog's code lists.
    pub lists: CodeLists,
    /// The real-name level needed, named (empty when none).
    pub min_level: String,
}

/// Renders the guide as a PDF. CPU work: call it off the async threads.
pub fn render(g: &Guide, facts: &GuideFacts) -> Result<Vec<u8>, PdfError> {
    let mut w = Writer::new();
    w.title(&g.name, 20.0, 0.0, (31, 31, 31));
    w.text("办事指南", 12.0, 0.0, (110, 110, 110));
    w.y += 6.0;
    let label = |table: &[(&str, &str, &str)], c: &str| {
        rules::label(table, c)
            .map(|(zh, _)| zh.to_owned())
            .unwrap_or_default()
    };
    w.para(&format!("实施主体：{}", facts.org_name));
    w.para(&format!(
        "事项类型：{}",
        label(rules::ITEM_TYPES, &g.item_type)
    ));
    w.para(&format!("实施编码：{}", facts.task_code));
    w.para(&format!(
        "版本：第{}版，发布于 {}",
        facts.version_no, facts.published_at
    ));
    w.para(&format!(
        "承诺办结时限：{}；法定办结时限：{}；办件类型：{}",
        g.promised_limit.words_zh(),
        g.legal_limit.words_zh(),
        if g.case_kind == CaseKind::Immediate {
            "即办件"
        } else {
            "承诺件"
        }
    ));
    let depth = facts
        .lists
        .get(CodeList::OnlineDepth, &g.online_depth.to_string())
        .map(|e| e.zh.as_str())
        .unwrap_or("");
    w.para(&format!(
        "网上办理深度：{depth}；到现场次数：{} 次",
        g.visits
    ));

    if !facts.min_level.is_empty() {
        w.para(&format!("实名等级要求：{}", facts.min_level));
    }

    w.heading("办事需要带什么");
    let mut fetched = 0;
    for (i, m) in g.materials.iter().enumerate() {
        let mut s = format!(
            "{}（{}）",
            m.name,
            if m.required {
                "必需"
            } else {
                "视情况提供"
            }
        );
        if m.originals > 0 {
            s.push_str(&format!("，原件{}份", m.originals));
        }
        if m.copies > 0 {
            s.push_str(&format!("，复印件{}份", m.copies));
        }
        if m.fetchable == Fetchable::No {
            for (list, code) in [
                (CodeList::MaterialForm, &m.form),
                (CodeList::MaterialSource, &m.source),
            ] {
                if let Some(e) = facts.lists.get(list, code) {
                    s.push_str(&format!("，{}", e.zh));
                }
            }
        }
        if !m.issuer.is_empty() {
            s.push_str(&format!("，出具单位：{}", m.issuer));
        }
        if !m.note.is_empty() {
            s.push_str(&format!("（{}）", m.note));
        }
        match &m.fetchable {
            Fetchable::Certificate(what) => {
                fetched += 1;
                s.push_str(&format!("——免提交，由电子证照库获取（{what}）"));
            }
            Fetchable::SharedData(what) => {
                fetched += 1;
                s.push_str(&format!("——免提交，由共享数据获取（{what}）"));
            }
            Fetchable::FromForm => s.push_str("——网上申请时由申请表生成，无需另行提交"),
            Fetchable::No => {}
        }
        w.item(i + 1, &s);
    }
    if fetched > 0 {
        w.para("标注“免提交”的材料无需您提供。");
    }
    w.heading("受理条件");
    for (i, c) in g.conditions.iter().enumerate() {
        w.item(i + 1, c);
    }
    w.heading("办理流程");
    for (i, s) in g.process.iter().enumerate() {
        w.item(i + 1, s);
    }
    w.heading("收费标准");
    if g.fees.is_empty() {
        w.para("不收费");
    }
    for (i, f) in g.fees.iter().enumerate() {
        w.item(
            i + 1,
            &format!("{}：{}（依据：{}）", f.name, f.standard, f.basis),
        );
    }
    w.heading("办理地点与时间");
    w.para(&format!("办理地点：{}", g.place));
    w.para(&format!("办理时间：{}", g.hours));
    let forms: Vec<String> = g
        .handling_forms
        .iter()
        .map(|c| label(rules::HANDLING_FORMS, c))
        .collect();
    w.para(&format!("办理方式：{}", forms.join("、")));
    w.para(&format!(
        "咨询电话：{}；监督投诉电话：{}",
        g.consult_phone, g.supervise_phone
    ));
    w.heading("设定依据");
    w.para(&g.legal_basis);
    if !g.faq.is_empty() {
        w.heading("常见问题");
        for q in &g.faq {
            w.para(&format!("问：{}", q.question));
            w.para(&format!("答：{}", q.answer));
        }
    }
    w.y += 10.0;
    w.text(
        &format!("以网上公布的最新版本为准：{}", facts.url),
        9.0,
        0.0,
        (110, 110, 110),
    );
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_guide_makes_a_multi_page_pdf() {
        let g = Guide {
            name: "食品经营许可".into(),
            conditions: vec![
                "具有与经营的食品品种、数量相适应的场所".into();
                80
            ],
            ..Guide::default()
        };
        let facts = GuideFacts {
            task_code: "X".into(),
            org_name: "哈尔滨市市场监督管理局".into(),
            version_no: 1,
            published_at: "2026-11-28".into(),
            url: "/items/X".into(),
            lists: CodeLists::defaults(),
            min_level: String::new(),
        };
        let pdf = render(&g, &facts).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // The page tree's /Count says how many pages there are.
        let text = String::from_utf8_lossy(&pdf);
        let count: usize = text
            .split("/Count ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .expect("page count");
        assert!(count >= 2, "{count} page(s)");
    }
}
