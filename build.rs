//! Renders `content/chapter.md` and the sections after it (`content/beyond/*.md`) into Rust
//! statics (`$OUT_DIR/content.rs`, included by `src/content.rs`) and `content/exercises/*.md`
//! into `$OUT_DIR/exercises.rs` (build/exercises.rs, included by `src/model/exercises.rs`), so
//! the page carries no Markdown or TOML parser.
//! See content/README.md for the formats.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

#[path = "build/exercises.rs"]
mod exercises;
#[path = "build/prerender.rs"]
mod prerender;

struct Statement {
    expr: String,
    expected: String,
}

enum Block {
    Html(String),
    Code {
        lang: String,
        code: String,
        run: Option<String>,
        statements: Vec<Statement>,
    },
}

struct Doc {
    slug: String,
    title: String,
    front: Vec<(String, String)>,
    blocks: Vec<Block>,
}

struct Scenario {
    id: String,
    session: bool,
    username: String,
    password: String,
    path: String,
    responses: Vec<String>,
}

fn main() {
    println!("cargo:rerun-if-changed=content");
    println!("cargo:rerun-if-changed=content/exercises");
    println!("cargo:rerun-if-changed=content/beyond");
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let content = root.join("content");

    let chapter_path = content.join("chapter.md");
    println!("cargo:rerun-if-changed={}", chapter_path.display());
    let mut scenarios = Vec::new();
    let chapter = read_doc(&chapter_path, &mut scenarios);
    let beyond: Vec<Doc> = markdown_files(&content.join("beyond"))
        .iter()
        .map(|p| {
            println!("cargo:rerun-if-changed={}", p.display());
            read_doc(p, &mut scenarios)
        })
        .collect();

    // Exercises: TOML front matter + Markdown, checked and written by build/exercises.rs.
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    exercises::generate(&content.join("exercises"), &out_dir.join("exercises.rs"));
    // The chapter as static HTML for index.html (build/prerender.rs).
    prerender::write(&chapter, &beyond, &scenarios, &out_dir);

    let mut out = String::new();
    writeln!(out, "/// The chapter text (content/chapter.md).").unwrap();
    writeln!(out, "pub static CHAPTER: Doc = {};", doc_rs(&chapter)).unwrap();
    writeln!(
        out,
        "/// The sections after the chapter (content/beyond/*.md, in file-name order)."
    )
    .unwrap();
    write!(out, "pub static BEYOND: &[Doc] = &[").unwrap();
    for d in &beyond {
        write!(out, "{},", doc_rs(d)).unwrap();
    }
    writeln!(out, "];").unwrap();
    writeln!(
        out,
        "/// Every runnable sample's scenario, read from its Python code."
    )
    .unwrap();
    write!(out, "pub static SCENARIOS: &[Scenario] = &[").unwrap();
    for s in &scenarios {
        write!(
            out,
            "Scenario {{ id: {:?}, session: {}, username: {:?}, password: {:?}, path: {:?}, responses: &[{}] }},",
            s.id,
            s.session,
            s.username,
            s.password,
            s.path,
            s.responses.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>().join(",")
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
    let out_path = PathBuf::from(env::var("OUT_DIR").unwrap()).join("content.rs");
    fs::write(out_path, out).unwrap();
}

/// The `*.md` files of `dir` in file-name order, drafts (`_name.md`) and a README left out; none
/// when the folder does not exist.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            !name.starts_with('_') && !name.eq_ignore_ascii_case("README.md")
        })
        .collect();
    files.sort();
    files
}

fn doc_rs(d: &Doc) -> String {
    let mut s = format!(
        "Doc {{ slug: {:?}, title: {:?}, front_matter: &[",
        d.slug, d.title
    );
    for (k, v) in &d.front {
        write!(s, "({k:?}, {v:?}),").unwrap();
    }
    s.push_str("], blocks: &[");
    for b in &d.blocks {
        match b {
            Block::Html(h) => write!(s, "Block::Html({h:?}),").unwrap(),
            Block::Code {
                lang,
                code,
                run,
                statements,
            } => {
                write!(s, "Block::Code(CodeBlock {{ lang: {lang:?}, code: {code:?}, run: {run:?}, statements: &[").unwrap();
                for st in statements {
                    write!(
                        s,
                        "Statement {{ expr: {:?}, expected: {:?} }},",
                        st.expr, st.expected
                    )
                    .unwrap();
                }
                s.push_str("] }),");
            }
        }
    }
    s.push_str("] }");
    s
}

fn read_doc(path: &Path, scenarios: &mut Vec<Scenario>) -> Doc {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let slug = path.file_stem().unwrap().to_string_lossy().to_string();
    let (front, body) = split_front_matter(&text);

    let mut blocks = Vec::new();
    let mut pending: Vec<Event> = Vec::new();
    let mut title = String::new();
    let mut in_title = false;
    let mut code: Option<(String, Option<String>, String)> = None;

    let flush = |pending: &mut Vec<Event>, blocks: &mut Vec<Block>| {
        if !pending.is_empty() {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, pending.drain(..));
            blocks.push(Block::Html(html));
        }
    };

    for ev in Parser::new_ext(body, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::CodeBlock(kind)) => {
                flush(&mut pending, &mut blocks);
                let info = match &kind {
                    CodeBlockKind::Fenced(i) => i.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let mut words = info.split_whitespace();
                let lang = words.next().unwrap_or("text").to_string();
                let run = words
                    .filter_map(|w| w.strip_prefix("run="))
                    .map(str::to_string)
                    .next();
                code = Some((lang, run, String::new()));
            }
            Event::Text(t) if code.is_some() => code.as_mut().unwrap().2.push_str(&t),
            Event::End(TagEnd::CodeBlock) => {
                let (lang, run, text) = code.take().unwrap();
                let statements = if lang == "pycon" {
                    pycon_statements(&text)
                } else {
                    Vec::new()
                };
                if lang == "python" {
                    if let Some(id) = &run {
                        scenarios.push(parse_scenario(id, &text, path));
                    }
                }
                blocks.push(Block::Code {
                    lang,
                    code: text.trim_end().to_string(),
                    run,
                    statements,
                });
            }
            Event::Start(Tag::Heading { .. }) if title.is_empty() => {
                in_title = true;
                pending.push(ev);
            }
            Event::End(TagEnd::Heading(_)) if in_title => {
                in_title = false;
                pending.push(ev);
            }
            Event::Text(ref t) | Event::Code(ref t) if in_title => {
                title.push_str(t);
                pending.push(ev);
            }
            other => pending.push(other),
        }
    }
    flush(&mut pending, &mut blocks);

    // A runnable python block shows what the pycon blocks of the same run print.
    let mut by_run: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for b in &blocks {
        if let Block::Code {
            lang,
            run: Some(id),
            statements,
            ..
        } = b
        {
            if lang == "pycon" {
                let entry = match by_run.iter_mut().find(|(k, _)| k == id) {
                    Some(e) => e,
                    None => {
                        by_run.push((id.clone(), Vec::new()));
                        by_run.last_mut().unwrap()
                    }
                };
                entry.1.extend(
                    statements
                        .iter()
                        .map(|s| (s.expr.clone(), s.expected.clone())),
                );
            }
        }
    }
    for b in &mut blocks {
        if let Block::Code {
            lang,
            run: Some(id),
            statements,
            ..
        } = b
        {
            if lang == "python" {
                if let Some((_, sts)) = by_run.iter().find(|(k, _)| k == id) {
                    *statements = sts
                        .iter()
                        .map(|(e, x)| Statement {
                            expr: e.clone(),
                            expected: x.clone(),
                        })
                        .collect();
                }
            }
        }
    }
    for b in &blocks {
        if let Block::Code {
            lang,
            run: Some(id),
            ..
        } = b
        {
            if lang == "pycon" && !scenarios.iter().any(|s| &s.id == id) {
                println!("cargo:warning={}: pycon block run={id} has no python block with the same run id before it", path.display());
            }
        }
    }
    Doc {
        slug,
        title,
        front,
        blocks,
    }
}

/// `+++` fenced `key: value` lines at the top of a file (used by exercises).
fn split_front_matter(text: &str) -> (Vec<(String, String)>, &str) {
    let Some(rest) = text.strip_prefix("+++\n") else {
        return (Vec::new(), text);
    };
    let Some(end) = rest.find("\n+++") else {
        return (Vec::new(), text);
    };
    let front = rest[..end]
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let after = &rest[end + 4..];
    (front, after.strip_prefix('\n').unwrap_or(after))
}

/// `>>> expr` lines, each followed by the output the text shows for it.
fn pycon_statements(text: &str) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    for line in text.lines() {
        if let Some(expr) = line.strip_prefix(">>> ") {
            out.push(Statement {
                expr: expr.trim().to_string(),
                expected: String::new(),
            });
        } else if let Some(cont) = line.strip_prefix("... ") {
            if let Some(last) = out.last_mut() {
                last.expr.push('\n');
                last.expr.push_str(cont);
            }
        } else if let Some(last) = out.last_mut() {
            if !last.expected.is_empty() {
                last.expected.push('\n');
            }
            last.expected.push_str(line);
        }
    }
    for s in &mut out {
        s.expected = s.expected.trim_end().to_string();
    }
    out
}

/// Reads what a small `requests` sample does: session or not, credentials, URL path, and the
/// names the responses are bound to. It understands the shapes the course uses; anything else
/// is a build warning, and the sample still renders.
fn parse_scenario(id: &str, code: &str, path: &Path) -> Scenario {
    let strings = string_assignments(code);
    let lookup = |tok: &str| -> Option<String> {
        let tok = tok.trim();
        unquote(tok).or_else(|| {
            strings
                .iter()
                .find(|(k, _)| k == tok)
                .map(|(_, v)| v.clone())
        })
    };
    let session = code.contains("Session()");
    let mut username = String::from("cobra");
    let mut password = String::from("hiss");
    if let Some(i) = code.find("auth") {
        let after = &code[i..];
        if let (Some(open), Some(close)) = (after.find('('), after.find(')')) {
            if open < close {
                let inner = &after[open + 1..close];
                if let Some((u, p)) = inner.split_once(',') {
                    match (lookup(u), lookup(p)) {
                        (Some(u), Some(p)) => {
                            username = u;
                            password = p;
                        }
                        _ => println!(
                            "cargo:warning={}: run={id}: could not read the credentials",
                            path.display()
                        ),
                    }
                }
            }
        }
    }
    let mut responses = Vec::new();
    let mut url_path = String::from("/greeting");
    for line in code.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((lhs, rhs)) = line.split_once('=') else {
            continue;
        };
        let lhs = lhs.trim();
        let rhs = rhs.trim();
        if is_ident(lhs) && (rhs.contains(".get(") || rhs.starts_with("get(")) {
            responses.push(lhs.to_string());
            let arg = rhs.split_once(".get(").map(|(_, a)| a).unwrap_or(rhs);
            let arg = arg.split([',', ')']).next().unwrap_or("");
            if let Some(url) = lookup(arg) {
                url_path = url_path_of(&url);
            }
        }
    }
    if responses.is_empty() {
        println!(
            "cargo:warning={}: run={id}: no `name = ....get(url)` line found",
            path.display()
        );
    }
    Scenario {
        id: id.to_string(),
        session,
        username,
        password,
        path: url_path,
        responses,
    }
}

fn string_assignments(code: &str) -> Vec<(String, String)> {
    code.lines()
        .filter_map(|l| l.split_once('='))
        .filter_map(|(k, v)| {
            let k = k.trim();
            let v = v.split('#').next()?.trim();
            (is_ident(k)).then(|| unquote(v).map(|v| (k.to_string(), v)))?
        })
        .collect()
}

fn unquote(s: &str) -> Option<String> {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return Some(s[1..s.len() - 1].to_string());
        }
    }
    None
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn url_path_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    match rest.find('/') {
        Some(i) if url.contains("://") => rest[i..].to_string(),
        _ if url.starts_with('/') => url.to_string(),
        _ => "/".to_string(),
    }
}
