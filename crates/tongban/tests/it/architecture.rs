//! The shape of the house, checked on every run: no circle between core's
//! modules (each capability and each piece of `platform`), `platform`
//! imports no capability, `web` never touches SQL, and `domain` does no I/O
//! and nothing async. Every path in the source counts — `use` lines and
//! paths written inline alike — read with `syn`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The module path of a source file: `catalog/search.rs` → `[catalog, search]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Every path a file names, as absolute module paths within its crate
/// (`crate::…` and `super::…` resolved; other crates' paths are kept with
/// their crate name first).
#[derive(Default)]
struct Paths {
    here: Vec<String>,
    found: Vec<Vec<String>>,
}

impl Paths {
    fn absolute(&self, segs: Vec<String>) -> Vec<String> {
        let mut at = self.here.clone();
        let mut it = segs.into_iter().peekable();
        match it.peek().map(String::as_str) {
            Some("crate") => {
                it.next();
                at.clear();
            }
            Some("super") => {
                while it.peek().map(String::as_str) == Some("super") {
                    it.next();
                    at.pop();
                }
            }
            Some("self") => {
                it.next();
            }
            _ => return std::iter::once("::extern".to_owned()).chain(it).collect(),
        }
        at.extend(it);
        at
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut segs = prefix.clone();
                if n.ident != "self" {
                    segs.push(n.ident.to_string());
                }
                let abs = self.absolute(segs);
                self.found.push(abs);
            }
            syn::UseTree::Rename(r) => {
                let mut segs = prefix.clone();
                segs.push(r.ident.to_string());
                let abs = self.absolute(segs);
                self.found.push(abs);
            }
            syn::UseTree::Glob(_) => {
                let abs = self.absolute(prefix.clone());
                self.found.push(abs);
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        let abs = self.absolute(segs);
        self.found.push(abs);
        syn::visit::visit_path(self, p);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        // An inline module (`mod tests { … }`) is part of its file's module
        // for this purpose: tests may reach anywhere.
        if m.content.is_some()
            && m.attrs
                .iter()
                .any(|a| a.path().is_ident("cfg") && quote_string(a).contains("test"))
        {
            return;
        }
        syn::visit::visit_item_mod(self, m);
    }
}

fn quote_string(a: &syn::Attribute) -> String {
    match &a.meta {
        syn::Meta::List(l) => l.tokens.to_string(),
        _ => String::new(),
    }
}

/// The paths each file of a crate names: (file's module, named path).
fn paths_of(krate: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let src = crate_src(krate);
    let mut out = Vec::new();
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).unwrap();
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut v = Paths {
            here: module_of(&src, &file),
            ..Paths::default()
        };
        v.visit_file(&ast);
        for p in v.found {
            out.push((v.here.clone(), p));
        }
    }
    out
}

/// The unit of core a module belongs to: a capability (`catalog`), or one
/// piece of the platform (`platform::db`).
fn unit(module: &[String]) -> Option<String> {
    match module {
        [] => None,
        [p, piece, ..] if p == "platform" => Some(format!("platform::{piece}")),
        [p] if p == "platform" => None,
        [first, ..] => Some(first.clone()),
    }
}

/// The `#[macro_export]` macros of a crate (named at its root, as
/// `crate::tx!`), each with the module that defines it.
fn exported_macros(krate: &str) -> BTreeMap<String, Vec<String>> {
    let src = crate_src(krate);
    let mut out = BTreeMap::new();
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).unwrap();
        let ast = syn::parse_file(&text).unwrap();
        for item in &ast.items {
            if let syn::Item::Macro(m) = item
                && let Some(name) = &m.ident
                && m.attrs.iter().any(|a| a.path().is_ident("macro_export"))
            {
                out.insert(name.to_string(), module_of(&src, &file));
            }
        }
    }
    out
}

/// The edges between units, each with one example of the path behind it.
fn core_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut g: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let macros = exported_macros("core");
    for (here, mut path) in paths_of("core") {
        if path.first().map(String::as_str) == Some("::extern") {
            continue;
        }
        // `crate::tx!` lives where the macro is defined.
        if let [name] = path.as_slice()
            && let Some(home) = macros.get(name)
        {
            path = home.iter().cloned().chain([name.clone()]).collect();
        }
        let (Some(from), Some(to)) = (unit(&here), unit(&path)) else {
            continue;
        };
        if from != to {
            g.entry(from)
                .or_default()
                .entry(to)
                .or_insert_with(|| path.join("::"));
        }
    }
    g
}

/// A circle in a graph, if there is one, as the list of its nodes.
fn find_circle(g: &BTreeMap<String, BTreeMap<String, String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeMap<String, String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut c = stack[i..].to_vec();
            c.push(n.to_owned());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_owned());
        for next in g.get(n).into_iter().flat_map(|e| e.keys()) {
            if let Some(c) = visit(next, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn core_has_no_circle_between_its_modules() {
    let g = core_graph();
    if let Some(c) = find_circle(&g) {
        let how: Vec<String> = c
            .windows(2)
            .map(|w| format!("{} → {} (via {})", w[0], w[1], g[&w[0]][&w[1]]))
            .collect();
        panic!("a circle between core's modules:\n  {}", how.join("\n  "));
    }
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let edge = |a: &str, b: &str| {
        (
            a.to_owned(),
            BTreeMap::from([(b.to_owned(), String::new())]),
        )
    };
    let g = BTreeMap::from([edge("a", "b"), edge("b", "c"), edge("c", "a")]);
    assert_eq!(
        find_circle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let g = BTreeMap::from([edge("a", "b"), edge("b", "c")]);
    assert_eq!(find_circle(&g), None);
}

#[test]
fn the_platform_knows_no_capability() {
    let g = core_graph();
    let mut wrong = Vec::new();
    for (from, to) in &g {
        if from.starts_with("platform::") {
            for (target, via) in to {
                if !target.starts_with("platform::") {
                    wrong.push(format!("{from} → {target} (via {via})"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "platform uses a capability:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn web_never_touches_sql() {
    let manifest = std::fs::read_to_string(crate_src("web").join("../Cargo.toml")).unwrap();
    assert!(!manifest.contains("sqlx"), "web depends on sqlx");
    let sql: Vec<String> = paths_of("web")
        .into_iter()
        .filter(|(_, p)| p.get(1).is_some_and(|c| c == "sqlx"))
        .map(|(m, p)| format!("{}: {}", m.join("::"), p.join("::")))
        .collect();
    assert!(sql.is_empty(), "web uses sqlx:\n  {}", sql.join("\n  "));
}

#[test]
fn domain_does_no_io_and_nothing_async() {
    let manifest = std::fs::read_to_string(crate_src("domain").join("../Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|d| d.split("\n[").next())
        .unwrap_or("");
    for line in deps.lines().filter(|l| l.contains('=')) {
        let name = line.split(['.', '=', ' ']).next().unwrap_or("").trim();
        assert!(
            // regex-lite: the patterns of form fields, matched in linear
            // time with no I/O.
            [
                "serde",
                "serde_json",
                "thiserror",
                "time",
                "hmac",
                "sha1",
                "regex-lite"
            ]
            .contains(&name),
            "domain depends on {name}: only pure rules belong there"
        );
    }
    for (m, p) in paths_of("domain") {
        let s = p.join("::");
        for banned in [
            "::extern::std::fs",
            "::extern::std::net",
            "::extern::std::process",
            "::extern::std::thread",
            "::extern::std::time::SystemTime",
            "::extern::std::time::Instant",
            "::extern::tokio",
            "::extern::futures",
        ] {
            assert!(!s.starts_with(banned), "{}: {s}", m.join("::"));
        }
    }
    for file in rust_files(&crate_src("domain")) {
        let ast = syn::parse_file(&std::fs::read_to_string(&file).unwrap()).unwrap();
        struct Async(bool);
        impl<'ast> Visit<'ast> for Async {
            fn visit_signature(&mut self, s: &'ast syn::Signature) {
                self.0 |= s.asyncness.is_some();
            }
        }
        let mut a = Async(false);
        a.visit_file(&ast);
        assert!(!a.0, "{} has an async function", file.display());
    }
}
