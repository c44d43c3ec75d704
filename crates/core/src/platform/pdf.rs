//! Plain PDF documents with a Chinese font embedded in the binary
//! (WenQuanYi Micro Hei, Apache-2.0), so a fresh machine needs no font
//! package and every reader sees the same characters: the printable guide
//! and the official documents a case produces (回执, 受理通知书, 补正告知书,
//! 不予受理通知书 …), each with its document number, the issuing
//! organisation, the date and the legal basis ([`official`]).
//!
//! Layout is deliberately plain: A4, one column, wrapped paragraphs.
//! Every document is tagged (PDF/UA-style structure: a title, headings,
//! paragraphs and numbered lists in reading order, page numbers as
//! artifacts) and says it is Chinese, so a screen reader reads it as it
//! reads a page.

use std::sync::{Arc, OnceLock};

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, ListNumbering, SpanTag, Tag, TagGroup, TagTree,
};
use krilla::text::{Font, TextDirection};
use tongban_domain::text::visible_lines;

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

/// The width of `s` at `size`, as [`Writer::text`] would draw it.
fn width(s: &str, size: f32) -> f32 {
    visible_lines(s).chars().map(advance).sum::<f32>() * size
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

/// One laid-out line: x, baseline y, size, text, colour, and the block
/// (an index into [`Writer::blocks`]) it is part of.
type Line = (f32, f32, f32, String, (u8, u8, u8), usize);

/// What a block of text is, for the document's structure (its tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The document's title (H1).
    Title,
    /// A section heading (H2).
    Heading,
    /// A paragraph.
    Para,
    /// One entry of a numbered list.
    Item,
}

/// A plain A4 document being laid out: lines of wrapped text, pages added
/// as they fill, numbered "n / total" at the foot.
pub struct Writer {
    doc: Document,
    pages: Vec<Vec<Line>>,
    /// Every block of text in reading order: its role and its words.
    blocks: Vec<(Role, String)>,
    /// The baseline of the last line, from the top of the page.
    pub y: f32,
}

impl Writer {
    /// An empty document.
    pub fn new() -> Self {
        Self {
            doc: Document::new(),
            pages: vec![Vec::new()],
            blocks: Vec::new(),
            y: MARGIN,
        }
    }

    /// Starts a new page unless `h` more points fit on this one.
    pub fn ensure(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    /// Wrapped text at `size` points, indented, in an RGB colour. Every
    /// string drawn passes here, and loses its invisible controls first
    /// (`tongban_domain::text`): much of it is what people typed, some
    /// stored before inputs were cleaned, and a right-to-left override
    /// would turn the rest of its line around on paper too.
    pub fn text(&mut self, s: &str, size: f32, indent: f32, color: (u8, u8, u8)) {
        self.block(Role::Para, s, size, indent, color);
    }

    /// The document's title, as [`Writer::text`] draws it: read first, and
    /// named in the file's properties.
    pub fn title(&mut self, s: &str, size: f32, indent: f32, color: (u8, u8, u8)) {
        self.block(Role::Title, s, size, indent, color);
    }

    fn block(&mut self, role: Role, s: &str, size: f32, indent: f32, color: (u8, u8, u8)) {
        let s = visible_lines(s);
        // Nothing to draw is nothing to read.
        if s.trim().is_empty() {
            return;
        }
        let block = self.blocks.len();
        for line in wrap(&s, size, PAGE_W - 2.0 * MARGIN - indent) {
            self.ensure(size * 1.5);
            self.y += size * 1.4;
            let y = self.y;
            if let Some(p) = self.pages.last_mut() {
                p.push((MARGIN + indent, y, size, line, color, block));
            }
        }
        self.blocks.push((role, s.into_owned()));
    }

    /// A section heading.
    pub fn heading(&mut self, s: &str) {
        self.ensure(40.0);
        self.y += 8.0;
        self.block(Role::Heading, s, 14.0, 0.0, (140, 29, 24));
    }

    /// A paragraph of body text.
    pub fn para(&mut self, s: &str) {
        self.text(s, 10.5, 0.0, (31, 31, 31));
    }

    /// A heading drawn at `size`, indented, in a colour (an official
    /// document's list heading keeps the document's look).
    pub fn heading_as(&mut self, s: &str, size: f32, indent: f32, color: (u8, u8, u8)) {
        self.block(Role::Heading, s, size, indent, color);
    }

    /// A numbered list item drawn at `size`, indented.
    pub fn item_as(&mut self, n: usize, s: &str, size: f32, indent: f32, color: (u8, u8, u8)) {
        self.block(Role::Item, &format!("{n}. {s}"), size, indent, color);
    }

    /// A numbered list item.
    pub fn item(&mut self, n: usize, s: &str) {
        self.block(Role::Item, &format!("{n}. {s}"), 10.5, 8.0, (31, 31, 31));
    }

    /// The structure of the document: each block a group of the lines
    /// drawn for it, consecutive items one numbered list.
    fn tag_tree(&self, mut marks: Vec<Vec<Identifier>>) -> TagTree {
        let mut tree = TagTree::new();
        let mut list: Option<TagGroup> = None;
        for (i, (role, words)) in self.blocks.iter().enumerate() {
            let ids = std::mem::take(&mut marks[i]);
            if *role != Role::Item
                && let Some(l) = list.take()
            {
                tree.push(l);
            }
            let level = |n| std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN);
            let mut group = match role {
                Role::Title => TagGroup::new(Tag::Hn(level(1), Some(words.clone()))),
                Role::Heading => TagGroup::new(Tag::Hn(level(2), Some(words.clone()))),
                Role::Para => TagGroup::new(Tag::P),
                Role::Item => TagGroup::new(Tag::LBody),
            };
            for id in ids {
                group.push(id);
            }
            if *role == Role::Item {
                let mut li = TagGroup::new(Tag::LI);
                li.push(group);
                list.get_or_insert_with(|| TagGroup::new(Tag::L(ListNumbering::Decimal)))
                    .push(li);
            } else {
                tree.push(group);
            }
        }
        if let Some(l) = list {
            tree.push(l);
        }
        tree
    }

    /// The PDF bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, PdfError> {
        let font = font()?;
        let total = self.pages.len();
        let mut marks: Vec<Vec<Identifier>> = vec![Vec::new(); self.blocks.len()];
        for (i, lines) in self.pages.iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
                .ok_or_else(|| PdfError::Write("page size".into()))?;
            let mut page = self.doc.start_page_with(settings);
            let mut surface = page.surface();
            for (x, y, size, text, (r, g, b), block) in lines {
                let mark = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
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
                surface.end_tagged();
                marks[*block].push(mark);
            }
            surface.start_tagged(ContentTag::Artifact(Artifact::new(
                ArtifactType::PageNumber,
                None,
            )));
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
            surface.end_tagged();
            surface.finish();
            page.finish();
        }
        let tree = self.tag_tree(marks);
        let title = self
            .blocks
            .iter()
            .find(|b| b.0 == Role::Title)
            .map(|b| b.1.clone());
        let mut metadata = Metadata::new().language("zh-CN".into());
        if let Some(t) = title {
            metadata = metadata.title(t);
        }
        self.doc.set_metadata(metadata);
        self.doc.set_tag_tree(tree);
        self.doc
            .finish()
            .map_err(|e| PdfError::Write(format!("{e:?}")))
    }
}

/// An official document (公文式告知书): what every notice of a case
/// carries, laid out the same way.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Official {
    /// The title (受理通知书).
    pub title: String,
    /// The document number (文号), printed under the title.
    pub number: String,
    /// Who it is addressed to (申请人), printed before the body with a colon.
    pub addressee: String,
    /// The body, one paragraph each.
    pub body: Vec<String>,
    /// Facts as label and value (办件编号, 事项名称 …).
    pub facts: Vec<(String, String)>,
    /// A numbered list under its heading (the corrections of a 补正告知书),
    /// empty for none.
    pub list: Option<(String, Vec<String>)>,
    /// The legal basis (依据), printed after the body.
    pub basis: String,
    /// Paragraphs after the basis (the right of appeal, where to ask).
    pub after: Vec<String>,
    /// The issuing organisation, printed at the foot with the date.
    pub issuer: String,
    /// The date of issue, as printed (2026年11月30日).
    pub date: String,
    /// A small line at the very end (where to check the document online).
    pub footnote: String,
}

const INK: (u8, u8, u8) = (31, 31, 31);
const GREY: (u8, u8, u8) = (110, 110, 110);

/// Renders an official document. CPU work: call it off the async threads.
pub fn official(d: &Official) -> Result<Vec<u8>, PdfError> {
    let mut w = Writer::new();
    w.y += 10.0;
    let title_size = 20.0;
    let x = ((PAGE_W - 2.0 * MARGIN - width(&d.title, title_size)) / 2.0).max(0.0);
    w.title(&d.title, title_size, x, (140, 29, 24));
    if !d.number.is_empty() {
        w.text(
            &d.number,
            10.5,
            ((PAGE_W - 2.0 * MARGIN - width(&d.number, 10.5)) / 2.0).max(0.0),
            GREY,
        );
    }
    w.y += 12.0;
    if !d.addressee.is_empty() {
        w.text(&format!("{}：", d.addressee), 12.0, 0.0, INK);
    }
    for p in &d.body {
        w.text(p, 12.0, 24.0, INK);
    }
    if !d.facts.is_empty() {
        w.y += 6.0;
        for (k, v) in &d.facts {
            w.text(&format!("{k}：{v}"), 11.0, 24.0, INK);
        }
    }
    if let Some((heading, items)) = &d.list {
        w.y += 6.0;
        w.heading_as(heading, 12.0, 24.0, INK);
        for (i, s) in items.iter().enumerate() {
            w.item_as(i + 1, s, 11.0, 36.0, INK);
        }
    }
    if !d.basis.is_empty() {
        w.y += 6.0;
        w.text(&format!("依据：{}", d.basis), 11.0, 24.0, INK);
    }
    for p in &d.after {
        w.text(p, 11.0, 24.0, INK);
    }
    w.ensure(80.0);
    w.y += 30.0;
    for line in [&d.issuer, &d.date] {
        if line.is_empty() {
            continue;
        }
        w.text(
            line,
            12.0,
            (PAGE_W - 2.0 * MARGIN - width(line, 12.0) - 20.0).max(0.0),
            INK,
        );
    }
    if !d.footnote.is_empty() {
        w.y += 20.0;
        w.text(&d.footnote, 9.0, 0.0, GREY);
    }
    w.finish()
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_official_document_carries_its_number_and_issuer() {
        let d = Official {
            title: "受理通知书".into(),
            number: "哈市监受〔2026〕第1号".into(),
            addressee: "张三".into(),
            body: vec!["你提交的申请符合受理条件，决定予以受理。".into()],
            list: Some(("需补正的材料：".into(), vec!["营业执照".into(); 60])),
            issuer: "哈尔滨市市场监督管理局".into(),
            date: "2026年11月30日".into(),
            ..Official::default()
        };
        let pdf = official(&d).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        // Sixty list items do not fit one page.
        assert!(text.contains("/Count 2"), "two pages");
        // The corrections are a list under a heading, for screen readers.
        assert!(
            text.contains("/S/LI") && text.contains("/S/H2"),
            "tagged list"
        );
    }

    #[test]
    fn a_document_is_tagged_in_reading_order_and_says_its_language() {
        let mut w = Writer::new();
        w.title("办事指南", 20.0, 0.0, INK);
        w.heading("受理条件");
        w.item(1, "年满十八周岁");
        w.item(2, "持有有效身份证件");
        w.para("标注“免提交”的材料无需您提供。");
        let pdf = w.finish().unwrap();
        let text = String::from_utf8_lossy(&pdf);
        for needle in [
            "/StructTreeRoot",
            "/Marked true",
            "/Lang(zh-CN)",
            "/S/H1",
            "/S/H2",
            "/S/L/",
            "/S/LI",
            "/S/LBody",
            "/S/P",
            "/ParentTree",
        ] {
            assert!(text.contains(needle), "{needle} missing");
        }
    }

    #[test]
    fn nothing_invisible_is_drawn() {
        let mut w = Writer::new();
        w.para("张\u{202E}三\u{200B}\r\n第二行");
        let drawn: Vec<&str> = w.pages[0].iter().map(|l| l.3.as_str()).collect();
        assert_eq!(drawn, ["张三", "第二行"]);
    }

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
}
