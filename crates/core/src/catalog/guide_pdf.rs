//! The printable guide (办事指南) as PDF, with a Chinese font embedded in
//! the binary (WenQuanYi Micro Hei, Apache-2.0), so a fresh machine needs no
//! font package and every reader sees the same characters.
//!
//! Layout is deliberately plain: A4, one column, headings and wrapped
//! paragraphs, the "what to bring" checklist first after the facts.

use std::sync::{Arc, OnceLock};

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::Point;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use tongban_domain::catalog::{
    self as rules, CaseKind, CodeList, CodeLists, Fetchable, Guide, TimeLimit, TimeUnit,
};

const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The embedded font could not be read (a broken build).
    #[error("embedded font unreadable")]
    Font,
    /// The PDF writer failed.
    #[error("pdf: {0}")]
    Write(String),
}

fn font() -> Result<Font, PdfError> {
    static FONT: OnceLock<Option<Font>> = OnceLock::new();
    FONT.get_or_init(|| {
        let data: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(FONT_BYTES);
        Font::new(data.into(), 0)
    })
    .clone()
    .ok_or(PdfError::Font)
}

/// Estimated advance of a character in ems: CJK glyphs are square, Latin
/// and digits about half as wide (close enough for wrapping; the font's
/// Latin glyphs are narrower than this, never wider).
fn advance(c: char) -> f32 {
    if c.is_ascii() { 0.55 } else { 1.0 }
}

/// Splits text into lines no wider than `width` at `size`.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        for c in para.chars() {
            let cw = advance(c) * size;
            if w + cw > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                w = 0.0;
            }
            line.push(c);
            w += cw;
        }
        lines.push(line);
    }
    lines
}

/// One laid-out line: x, baseline y, size, text, colour.
type Line = (f32, f32, f32, String, (u8, u8, u8));

struct Writer {
    doc: Document,
    pages: Vec<Vec<Line>>,
    y: f32,
}

impl Writer {
    fn new() -> Self {
        Self {
            doc: Document::new(),
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn ensure(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn text(&mut self, s: &str, size: f32, indent: f32, color: (u8, u8, u8)) {
        for line in wrap(s, size, PAGE_W - 2.0 * MARGIN - indent) {
            self.ensure(size * 1.5);
            self.y += size * 1.4;
            let y = self.y;
            if let Some(p) = self.pages.last_mut() {
                p.push((MARGIN + indent, y, size, line, color));
            }
        }
    }

    fn heading(&mut self, s: &str) {
        self.ensure(40.0);
        self.y += 8.0;
        self.text(s, 14.0, 0.0, (140, 29, 24));
    }

    fn para(&mut self, s: &str) {
        self.text(s, 10.5, 0.0, (31, 31, 31));
    }

    fn item(&mut self, n: usize, s: &str) {
        self.text(&format!("{n}. {s}"), 10.5, 8.0, (31, 31, 31));
    }

    fn finish(mut self) -> Result<Vec<u8>, PdfError> {
        let font = font()?;
        let total = self.pages.len();
        for (i, lines) in self.pages.iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
                .ok_or_else(|| PdfError::Write("page size".into()))?;
            let mut page = self.doc.start_page_with(settings);
            let mut surface = page.surface();
            for (x, y, size, text, (r, g, b)) in lines {
                surface.set_fill(Some(Fill {
                    paint: rgb::Color::new(*r, *g, *b).into(),
                    opacity: NormalizedF32::ONE,
                    rule: Default::default(),
                }));
                surface.draw_text(
                    Point::from_xy(*x, *y),
                    font.clone(),
                    *size,
                    text,
                    false,
                    TextDirection::Auto,
                );
            }
            surface.set_fill(Some(Fill {
                paint: rgb::Color::new(110, 110, 110).into(),
                opacity: NormalizedF32::ONE,
                rule: Default::default(),
            }));
            surface.draw_text(
                Point::from_xy(PAGE_W - MARGIN - 40.0, PAGE_H - MARGIN / 2.0),
                font.clone(),
                9.0,
                &format!("{} / {}", i + 1, total),
                false,
                TextDirection::Auto,
            );
            surface.finish();
            page.finish();
        }
        self.doc
            .finish()
            .map_err(|e| PdfError::Write(format!("{e:?}")))
    }
}

fn limit(l: &TimeLimit) -> String {
    match (l.value, l.unit) {
        (0, _) => "即办（当场办结）".into(),
        (n, TimeUnit::Workday) => format!("{n} 个工作日"),
        (n, TimeUnit::Day) => format!("{n} 个自然日"),
    }
}

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
    w.text(&g.name, 20.0, 0.0, (31, 31, 31));
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
        limit(&g.promised_limit),
        limit(&g.legal_limit),
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
    fn wrapping_respects_width_and_keeps_every_character() {
        let text = "食品经营许可申请书ABC123".repeat(10);
        let lines = wrap(&text, 10.0, 100.0);
        assert!(lines.len() > 5);
        assert!(
            lines
                .iter()
                .all(|l| l.chars().map(advance).sum::<f32>() * 10.0 <= 100.0)
        );
        assert_eq!(lines.concat(), text);
    }

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
