//! The chapter as static HTML for the served `index.html` (issue 16: a learner reads while the
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

pub fn write(doc: &Doc, scenarios: &[Scenario], out_dir: &Path) {
    let html = chapter_html(doc, scenarios);
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

/// The chapter's blocks as `Chapter` renders them before any run.
fn chapter_html(doc: &Doc, scenarios: &[Scenario]) -> String {
    let mut html = String::new();
    for b in &doc.blocks {
        match b {
            Block::Html(h) => write!(html, "<div class=\"prose\">{h}</div>").unwrap(),
            Block::Code {
                lang,
                code,
                run,
                statements,
            } => {
                write!(
                    html,
                    "<div class=\"code-block\"><pre class=\"code lang-{lang}\" tabindex=\"0\"><code>{}</code></pre>",
                    escaped(code)
                )
                .unwrap();
                let runnable = run
                    .as_ref()
                    .and_then(|id| scenarios.iter().find(|s| &s.id == id))
                    .filter(|_| !statements.is_empty());
                if let Some(s) = runnable {
                    let n = s.responses.len();
                    write!(
                        html,
                        "<div class=\"run-bar\"><button type=\"button\" class=\"run\" data-testid=\"run-in-playground\" disabled title=\"The playground is still loading\">▶ Run in playground</button><span class=\"muted small\">{} request{} as {}, {} </span></div>",
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
