//! The chapter (and the sections after it) as static HTML for the served `index.html` (issue 16: a learner reads while the
//! wasm downloads). Same markup and classes as `src/components/chapter.rs` draws, from the same
//! blocks, so the app takes it over without a jump; the "Run in playground" buttons are
//! disabled until it does. `cargo xtask post-build` (a Trunk hook) puts it into the page.
//!
//! Written to `$OUT_DIR/chapter.html` and copied to `<target dir>/prerender/chapter.html`, the
//! place the hook reads it from (the hook does not know the wasm build's `OUT_DIR`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{fs, io};

use pulldown_cmark::Event;

use super::{Block, Doc, Scenario};

/// Where the hook finds the fragment, relative to Cargo's target directory.
const STABLE_PATH: &str = "prerender/chapter.html";

/// The chapter's blocks, then each section after it (content/beyond/) in a
/// `<section class="beyond">`, as `Chapter` draws them.
pub fn write(doc: &Doc, beyond: &[Doc], scenarios: &[Scenario], out_dir: &Path) {
    let mut html = blocks_html(&doc.blocks, scenarios);
    for d in beyond {
        write!(
            html,
            "<section class=\"beyond\" data-beyond=\"{}\">{}</section>",
            escaped(&d.slug),
            blocks_html(&d.blocks, scenarios)
        )
        .unwrap();
    }
    let own = out_dir.join("chapter.html");
    fs::write(&own, &html).unwrap_or_else(|e| panic!("writing {}: {e}", own.display()));
    match target_dir(out_dir) {
        Some(target) => {
            let stable = target.join(STABLE_PATH);
            if let Err(e) = replace_file(&stable, &html) {
                println!(
                    "cargo:warning=writing the prerendered chapter to {}: {e}",
                    stable.display()
                );
            }
        }
        None => println!(
            "cargo:warning=no Cargo target directory above {}: the prerendered chapter is only in OUT_DIR",
            out_dir.display()
        ),
    }
}

/// A document's blocks as `Chapter` (src/components/chapter.rs and python.rs) renders them
/// before any run, with every button disabled and the editors read-only until the app starts.
fn blocks_html(blocks: &[Block], scenarios: &[Scenario]) -> String {
    const PENDING: &str = "disabled title=\"The playground is still loading\"";
    let mut html = String::new();
    for b in blocks {
        match b {
            Block::Html(h) => write!(html, "<div class=\"prose\">{h}</div>").unwrap(),
            Block::Code {
                lang,
                code,
                run,
                statements,
            } => {
                html.push_str("<div class=\"code-block\">");
                if lang == "python" {
                    write!(
                        html,
                        "<textarea class=\"code lang-python py-editor\" data-testid=\"python-editor\" aria-label=\"The sample's Python code\" spellcheck=\"false\" autocomplete=\"off\" rows=\"{}\" readonly>{}</textarea>\
                         <div class=\"run-bar py-bar\"><button type=\"button\" class=\"run\" data-testid=\"run-python\" {PENDING}>▶ Run Python</button><span class=\"muted small\" data-testid=\"python-status\" role=\"status\"></span></div>",
                        code.lines().count().max(3) + 1,
                        escaped(code)
                    )
                    .unwrap();
                } else {
                    write!(
                        html,
                        "<pre class=\"code lang-{lang}\" tabindex=\"0\"><code>{}</code></pre>",
                        escaped(code)
                    )
                    .unwrap();
                }
                if lang == "pycon" && !statements.is_empty() {
                    write!(
                        html,
                        "<div class=\"run-bar py-bar\"><button type=\"button\" class=\"run\" data-testid=\"run-python-console\" {PENDING}>▶ Run these lines in Python</button><span class=\"muted small\" data-testid=\"python-status\" role=\"status\"></span></div>"
                    )
                    .unwrap();
                }
                let runnable = run
                    .as_ref()
                    .and_then(|id| scenarios.iter().find(|s| &s.id == id))
                    .filter(|_| !statements.is_empty());
                if let Some(s) = runnable {
                    let n = responses_for(s, statements);
                    write!(
                        html,
                        "<div class=\"run-bar\"><button type=\"button\" class=\"run\" data-testid=\"run-in-playground\" {PENDING}>▶ Run in playground</button><span class=\"muted small\" data-testid=\"run-what\">{} request{} as {}, {} </span></div>",
                        n,
                        if n == 1 { "" } else { "s" },
                        escaped(&s.username),
                        if s.session { "in a fresh session" } else { "without a session" },
                    )
                    .unwrap();
                }
                html.push_str("</div>");
            }
        }
    }
    html
}

/// How many of the scenario's requests a block's statements need: up to the last response they
/// name (`Scenario::responses_for` in src/content.rs).
fn responses_for(s: &Scenario, statements: &[super::Statement]) -> usize {
    let named = |name: &str| {
        statements.iter().any(|st| {
            st.expr
                .trim_start_matches("print(")
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('.'))
        })
    };
    match s.responses.iter().rposition(|r| named(r)) {
        Some(last) => last + 1,
        None => s.responses.len(),
    }
}

/// Text escaped for HTML by pulldown-cmark's own writer.
fn escaped(text: &str) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, std::iter::once(Event::Text(text.into())));
    out
}

/// Cargo's target directory: the outermost ancestor of `OUT_DIR` holding a `CACHEDIR.TAG` (Cargo
/// writes one there and one in each `<target>/<triple>/`).
fn target_dir(out_dir: &Path) -> Option<PathBuf> {
    out_dir
        .ancestors()
        .filter(|d| d.join("CACHEDIR.TAG").is_file())
        .last()
        .map(Path::to_path_buf)
}

/// Written beside and renamed over, so a concurrent build never reads half a file.
fn replace_file(path: &Path, text: &str) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".chapter.{}.tmp", std::process::id()));
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path)
}
