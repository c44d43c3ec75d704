//! Reading HTML forms the way a browser submits them, for operations that
//! edit through the same pages people use (and for the integration tests).

/// The fields a browser would submit with the form `form_id`: inputs
/// (checked boxes only), textareas and the selected option of each select.
pub fn fields(html: &str, form_id: &str) -> Option<Vec<(String, String)>> {
    let start = html.find(&format!("id=\"{form_id}\""))?;
    let end = start + html[start..].find("</form>")?;
    let form = &html[start..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        tag.find(&key).map(|i| {
            let rest = &tag[i + key.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_owned()
        })
    };
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        if tag.starts_with("<input") {
            if let Some(name) = attr(tag, "name") {
                let kind = attr(tag, "type").unwrap_or_default();
                if kind != "checkbox" || tag.contains(" checked") {
                    out.push((name, unescape(&attr(tag, "value").unwrap_or_default())));
                }
            }
        } else if tag.starts_with("<textarea") {
            if let Some(name) = attr(tag, "name") {
                let body = &rest[tag_end + 1..];
                out.push((
                    name,
                    unescape(&body[..body.find("</textarea>").unwrap_or(0)]),
                ));
            }
        } else if tag.starts_with("<select")
            && let Some(name) = attr(tag, "name")
        {
            let body = &rest[tag_end..rest.find("</select>").unwrap_or(rest.len())];
            let options: Vec<&str> = body.split("<option").skip(1).collect();
            let chosen = options
                .iter()
                .find(|o| o.contains(" selected"))
                .or(options.first());
            if let Some(o) = chosen {
                out.push((name, attr(o, "value").unwrap_or_default()));
            }
        }
        rest = &rest[1..];
    }
    Some(out)
}

/// Sets a field, adding it when absent.
pub fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(f) => f.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}
