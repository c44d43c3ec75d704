//! Text a person typed, as others may be shown it: without the invisible
//! controls that change how the rest reads. A right-to-left override
//! (U+202E) makes `申请书\u{202E}fdp.exe` show as `申请书exe.pdf`; a zero
//! width space splits a name so that two that look the same are not; a
//! control character breaks a line of a PDF or an SMS. None of them is
//! something a person means to say on a government form, so they are
//! dropped where text comes in (file names, answers) and again where it
//! goes out (pages, PDFs, messages), for what was stored before.
//!
//! What is dropped: every control (Unicode category Cc) and format
//! character (Cf: the bidirectional embeddings, overrides and isolates,
//! the zero width space, joiners and marks, the Arabic letter mark, the
//! byte order mark, soft hyphens, invisible operators, tag characters …),
//! and the line and paragraph separators (U+2028, U+2029). Text of several
//! lines keeps its line breaks and tabs.
//!
//! Joiners (U+200C, U+200D) go too: they matter in a few scripts and in
//! emoji sequences, none of which a form of this platform asks for, and
//! they can make two names look alike.

use std::borrow::Cow;

/// The format characters (Unicode 16, category Cf) as inclusive ranges,
/// with U+2065 (unassigned, but reserved among the bidi isolates) kept in
/// its block so a later Unicode version cannot slip one in.
const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `c` is an invisible control that no reader should be given: a
/// control character (line breaks and tabs included), a format character,
/// or a line or paragraph separator (U+2028 and U+2029, in the table
/// beside the bidi controls they neighbour).
pub fn hidden(c: char) -> bool {
    if c.is_control() {
        return true;
    }
    let n = u32::from(c);
    // Everything below U+00AD is either a control (above) or visible.
    n >= 0xAD && FORMAT.iter().any(|(lo, hi)| (*lo..=*hi).contains(&n))
}

/// Text of one line as it may be shown: every [`hidden`] character
/// dropped, line breaks and tabs included. Borrowed when there was
/// nothing to drop (the usual case).
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter(|c| !hidden(*c)).collect())
}

/// Text of several lines as it may be shown: like [`visible`] but keeping
/// line breaks and tabs. A line break is `\n` whatever it was typed as
/// (`\r\n` from a browser's text area, a lone `\r`, U+2028, U+2029), so
/// the same text is counted and compared the same way wherever it came
/// from.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| hidden(c) && !matches!(c, '\n' | '\t')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\n' | '\t' => out.push(c),
            c if hidden(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Every string in a JSON value (answers posted to the API: text, the
/// entries of a repeating group, an address's parts) passed through
/// [`visible_lines`]; object keys are left to the form's check, which
/// refuses those it does not know.
pub fn visible_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(visible_lines(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(visible_json).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), visible_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bidi_and_zero_width_controls_are_dropped() {
        assert_eq!(visible("申请书\u{202E}fdp.exe"), "申请书fdp.exe");
        assert_eq!(visible("张\u{200B}三"), "张三");
        assert_eq!(
            visible("\u{FEFF}a\u{2066}b\u{2069}c\u{061C}d\u{200F}e\u{00AD}f\u{E0041}"),
            "abcdef"
        );
        assert_eq!(visible("one\nline\ttab\r\u{7}\u{85}"), "onelinetab");
        assert_eq!(visible("a\u{2028}b\u{2029}c"), "abc");
    }

    #[test]
    fn what_people_write_is_kept_and_borrowed() {
        for s in [
            "哈尔滨市道里区中央大街1号",
            "Zoë O'Brien-Smith",
            "①②③ ¥100.00 — “引号”",
            "👍🏽 emoji with a skin tone",
            "葛\u{E0100}", // a variation selector (Mn) chooses a glyph: kept
            "",
        ] {
            assert!(matches!(visible(s), Cow::Borrowed(_)), "{s}");
            assert!(matches!(visible_lines(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn lines_keep_breaks_and_tabs_as_newlines() {
        assert_eq!(visible_lines("a\r\nb\rc\nd\te"), "a\nb\nc\nd\te");
        assert_eq!(visible_lines("a\u{2028}b\u{2029}c"), "a\nb\nc");
        assert_eq!(
            visible_lines("第一行\u{202E}\r\n第\u{200B}二行"),
            "第一行\n第二行"
        );
        assert!(matches!(visible_lines("a\nb\tc"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_table_is_sorted_and_agrees_with_the_categories_rust_knows() {
        assert!(FORMAT.windows(2).all(|w| w[0].1 < w[1].0));
        assert!(FORMAT.iter().all(|(lo, hi)| lo <= hi));
        // Rust knows only Cc; every Cc is hidden.
        for n in 0..0x110000u32 {
            if let Some(c) = char::from_u32(n)
                && c.is_control()
            {
                assert!(hidden(c), "{n:X}");
            }
        }
        for c in ['\u{202A}', '\u{202D}', '\u{2067}', '\u{200C}', '\u{200D}'] {
            assert!(hidden(c));
        }
        for c in ['a', ' ', '\u{3000}', '中', '\u{FE0F}', '\u{200A}'] {
            assert!(!hidden(c), "{c:?}");
        }
    }

    #[test]
    fn every_string_in_json_answers_is_cleaned() {
        let v = serde_json::json!({
            "name": "张\u{200B}三",
            "members": [{"who": "李\u{202E}四", "age": 3}],
            "addr": {"detail": "中央大街\r\n1号"},
            "ok": true
        });
        assert_eq!(
            visible_json(&v),
            serde_json::json!({
                "name": "张三",
                "members": [{"who": "李四", "age": 3}],
                "addr": {"detail": "中央大街\n1号"},
                "ok": true
            })
        );
    }

    proptest! {
        #[test]
        fn nothing_hidden_survives_and_nothing_else_is_lost(s in any::<String>()) {
            let v = visible(&s);
            prop_assert!(!v.chars().any(hidden));
            let kept: String = s.chars().filter(|c| !hidden(*c)).collect();
            prop_assert_eq!(v.as_ref(), kept.as_str());
            // Applying it twice changes nothing (the output side may see
            // text the input side already cleaned).
            prop_assert_eq!(visible(&v), v.clone());
        }

        #[test]
        fn lines_keep_only_newlines_and_tabs(s in any::<String>()) {
            let v = visible_lines(&s);
            prop_assert!(!v.chars().any(|c| hidden(c) && c != '\n' && c != '\t'));
            prop_assert_eq!(visible_lines(&v), v.clone());
            prop_assert_eq!(visible(&v), visible(&s));
        }
    }
}
