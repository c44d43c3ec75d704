//! The escaper of every page (`askama.toml` names it for `.html`
//! templates): askama's HTML escaping, and before it the invisible
//! controls of `tongban_domain::text` dropped, so text stored before
//! inputs were cleaned (or arriving by a way that forgot to) still cannot
//! turn a file name or an answer around on a page. Line breaks and tabs
//! stay: a page may show several lines as typed.

use std::fmt::{self, Write};

use askama::filters::Escaper;

/// Escapes for HTML text and attributes, without invisible controls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

/// Whether a page drops `c`.
fn dropped(c: char) -> bool {
    tongban_domain::text::hidden(c) && !matches!(c, '\n' | '\r' | '\t')
}

impl Escaper for Html {
    fn write_escaped_str<W: Write>(&self, mut dest: W, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(i) = rest.find(dropped) {
            askama::filters::Html.write_escaped_str(&mut dest, &rest[..i])?;
            let width = rest[i..].chars().next().map_or(1, char::len_utf8);
            rest = &rest[i + width..];
        }
        askama::filters::Html.write_escaped_str(dest, rest)
    }

    fn write_escaped_char<W: Write>(&self, dest: W, c: char) -> fmt::Result {
        if dropped(c) {
            return Ok(());
        }
        askama::filters::Html.write_escaped_char(dest, c)
    }
}

#[cfg(test)]
mod tests {
    use askama::Template;

    #[derive(Template)]
    #[template(
        source = "<p title=\"{{ v }}\">{{ v }}</p>{{ n }}{{ v|e }}",
        ext = "html"
    )]
    struct Page<'a> {
        v: &'a str,
        n: i64,
    }

    #[test]
    fn pages_drop_invisible_controls_and_escape_the_rest() {
        let html = Page {
            v: "申请书\u{202E}fdp.exe\u{200B} <b>&\"\n",
            n: 7,
        }
        .render()
        .unwrap();
        let v = "申请书fdp.exe &#60;b&#62;&#38;&#34;\n";
        assert_eq!(html, format!("<p title=\"{v}\">{v}</p>7{v}"));
    }
}
