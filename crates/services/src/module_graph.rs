//! The modules of this crate depend on each other without a circle (issue 12 item 7): a
//! capability that uses another must not be used by it, so each can be read, tested and changed
//! from the bottom up. Shared pieces live below both users (`sheets` for list exports,
//! `visit_access` for who sees a visit, `calendar` for working days, `regions` for region
//! errors). This test reads every source file, takes the `crate::<module>` paths it names
//! (comments and string literals left out) and fails naming a circle when one comes back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module → the other top-level modules its files name.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level modules declared in `lib.rs` (`mod x;` / `pub mod x;`).
fn declared_modules(lib: &str) -> BTreeSet<String> {
    strip(lib)
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l
                .strip_prefix("pub(crate) ")
                .or(l.strip_prefix("pub "))
                .unwrap_or(l);
            let name = l.strip_prefix("mod ")?.strip_suffix(';')?.trim();
            Some(name.to_string())
        })
        .collect()
}

/// The source with comments and the contents of string and char literals blanked out, so that
/// a path quoted in a doc comment or a message is not taken for a dependency.
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&b, i) {
            // A raw string r"…" or r#"…"#: skip to the quote followed by as many hashes.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < b.len() {
                if b[j] == '"' && (1..=hashes).all(|k| b.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a, which has no closing quote).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first names of the items of a `{…}` group that starts `s` (after the brace), at its top
/// level: `{Result, departments, sheets::{a, b}}` names `Result`, `departments` and `sheets`.
fn group_heads(s: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut start = Some(0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = Some(i + 1),
            _ => {}
        }
        if let Some(st) = start
            && depth == 0
        {
            let h = ident_at(s[st..].trim_start());
            if !h.is_empty() {
                heads.push(h);
                start = None;
            }
        }
    }
    heads
}

/// The top-level modules that `src` names through `crate::`.
fn named_modules<'a>(src: &'a str, modules: &BTreeSet<String>) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    let mut rest = src;
    while let Some(k) = rest.find("crate::") {
        let before = rest[..k].chars().next_back();
        let after = rest[k + "crate::".len()..].trim_start();
        rest = &rest[k + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let heads = match after.strip_prefix('{') {
            Some(group) => group_heads(group),
            None => vec![ident_at(after)],
        };
        out.extend(heads.into_iter().filter(|h| modules.contains(*h)));
    }
    out
}

/// The graph of `files` (path below `src/`, text); a file's module is its first path component.
fn graph(lib: &str, files: &[(String, String)]) -> Graph {
    let modules = declared_modules(lib);
    let mut g = Graph::new();
    for (path, text) in files {
        let first = path.split(['/', '\\']).next().unwrap_or_default();
        let module = first.strip_suffix(".rs").unwrap_or(first).to_string();
        if !modules.contains(&module) {
            continue;
        }
        let stripped = strip(text);
        let deps = g.entry(module.clone()).or_default();
        for m in named_modules(&stripped, &modules) {
            if m != module {
                deps.insert(m.to_string());
            }
        }
    }
    g
}

/// A circle of the graph (`[a, b, …, a]`), if there is one.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        g: &Graph,
        n: &str,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(n) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = path
                    .iter()
                    .position(|p| p == n)
                    .expect("open nodes are on the path");
                let mut cycle = path[from..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(n.to_string(), Mark::Open);
        path.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(g, m, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(n.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    g.keys()
        .find_map(|n| visit(g, n, &mut marks, &mut Vec::new()))
}

fn sources(dir: &Path, below: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let p = entry.expect("directory entry").path();
        if p.is_dir() {
            sources(&p, below, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p.strip_prefix(below).expect("below src");
            let text = std::fs::read_to_string(&p).expect("source is UTF-8");
            out.push((rel.to_string_lossy().into_owned(), text));
        }
    }
}

#[test]
fn modules_depend_on_each_other_without_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    let g = graph(&lib, &files);
    // The reader must see the edges that exist, or an empty graph would pass.
    assert!(
        g.get("exchange")
            .is_some_and(|d| d.contains("departments") && d.contains("sheets")),
        "{g:?}"
    );
    assert!(
        g.get("queues")
            .is_some_and(|d| d.contains("follow_ups") && d.contains("plans")),
        "{g:?}"
    );
    if let Some(c) = find_cycle(&g) {
        panic!(
            "modules of lianjian-services depend on each other in a circle: {}. Move what both \
             need into a module below them.",
            c.join(" → ")
        );
    }
}

#[test]
fn a_circle_is_found_whatever_way_it_is_written() {
    let lib = "pub mod a;\nmod b;\npub(crate) mod c;\nmod d;\n";
    let file = |p: &str, t: &str| (p.to_string(), t.to_string());
    let files = [
        file("a.rs", "use crate::{Result, b::{x, y}};\n"),
        file("b/inner.rs", "fn f() { crate::c::g() }\n"),
        file(
            "c.rs",
            "// crate::d in a comment\nconst S: &str = \"crate::d\";\nconst R: &str = r#\"crate::d\"#;\n\
             fn h<'a>(x: &'a str) -> char { let _ = x; '\"' }\nuse crate::a::Thing;\n",
        ),
        file("d.rs", "use crate::{\n    a,\n};\n"),
    ];
    let g = graph(lib, &files);
    assert_eq!(g["a"], BTreeSet::from(["b".to_string()]));
    assert_eq!(g["b"], BTreeSet::from(["c".to_string()]));
    assert_eq!(
        g["c"],
        BTreeSet::from(["a".to_string()]),
        "comments and strings are not paths"
    );
    assert_eq!(g["d"], BTreeSet::from(["a".to_string()]));
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let acyclic = graph(lib, &files[1..]);
    assert_eq!(find_cycle(&acyclic), None);
}
