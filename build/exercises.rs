//! The build-time half of the course exercises (a module of `build.rs`).
//!
//! Reads `content/exercises/*.md`: a TOML front matter between `+++` lines, then the task in
//! Markdown, then an optional `## Explanation` section shown once the exercise is solved. It
//! checks every file (the check must be one of the fixed set below, with parameters of the right
//! type; ids unique) and writes `$OUT_DIR/exercises.rs`, included by `src/model/exercises.rs`:
//! the page carries neither a TOML nor a Markdown parser. A mistake in a file stops the build
//! with a message naming the file and what is wrong. See content/README.md for the format.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use pulldown_cmark::{html, Options, Parser};
use toml::{Table, Value};

/// One exercise file, checked.
struct Exercise {
    id: String,
    file: String,
    title: String,
    order: i64,
    /// Rust source of the `Check` value.
    check: String,
    hints: Vec<String>,
    task_html: String,
    explanation_html: String,
}

/// The checks the page knows (name, parameters with their defaults), for error messages.
const CHECKS: &[(&str, &str)] = &[
    ("visit-reached", "visit = 3"),
    ("always-first-visit", "count = 3"),
    ("unauthorized-then-ok", ""),
    ("restart-after-reset", "from_visit = 2"),
    ("user-switch", "optional: to = \"nagini\""),
    ("tampered-restart", ""),
    ("forged-visit", "visit = 100"),
    ("parallel-lost", "count = 5"),
    (
        "other-client",
        "user_agent = \"python-requests\", min_visit = 1",
    ),
    ("python-visits", "count = 5, session = true"),
    ("path-hides-cookie", ""),
    ("replayed-after-logout", ""),
];

/// Reads every exercise in `dir` and writes `out` (Rust source).
pub fn generate(dir: &Path, out: &Path) {
    let paths = super::markdown_files(dir);
    let mut exercises = Vec::new();
    let mut errors = Vec::new();
    for p in &paths {
        println!("cargo:rerun-if-changed={}", p.display());
        let text = match fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("{}: cannot read it: {e}", p.display()));
                continue;
            }
        };
        let file = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        match parse(&file, &text) {
            Ok(x) => exercises.push(x),
            Err(e) => errors.push(format!("content/exercises/{file}: {e}")),
        }
    }
    for (i, a) in exercises.iter().enumerate() {
        if let Some(b) = exercises[..i].iter().find(|b| b.id == a.id) {
            errors.push(format!(
                "content/exercises/{} and {}: both have id = {:?}; ids must differ",
                b.file, a.file, a.id
            ));
        }
    }
    if !errors.is_empty() {
        panic!(
            "\n\nThe course exercises have mistakes:\n  {}\n",
            errors.join("\n  ")
        );
    }
    exercises.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.file.cmp(&b.file)));

    let mut s = String::from(
        "/// content/exercises/*.md, in `order`.\npub static EXERCISES: &[Exercise] = &[\n",
    );
    for x in &exercises {
        writeln!(
            s,
            "    Exercise {{ id: {:?}, file: {:?}, title: {:?}, order: {}, check: {}, hints: &[{}], task_html: {:?}, explanation_html: {:?} }},",
            x.id,
            x.file,
            x.title,
            x.order,
            x.check,
            x.hints.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", "),
            x.task_html,
            x.explanation_html,
        )
        .unwrap();
    }
    s.push_str("];\n");
    fs::write(out, s).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}

fn parse(file: &str, text: &str) -> Result<Exercise, String> {
    let text = text.replace("\r\n", "\n");
    let rest = text
        .strip_prefix("+++\n")
        .ok_or("must start with a `+++` line (the TOML front matter)")?;
    let end = rest
        .find("\n+++")
        .ok_or("the front matter has no closing `+++` line")?;
    let front: Table = rest[..end]
        .parse()
        .map_err(|e: toml::de::Error| format!("front matter: {}", e.to_string().trim()))?;
    let body = rest[end + 4..].trim_start_matches(['\n', '+']);

    let known = ["id", "title", "order", "check", "hints"];
    if let Some(k) = front.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!(
            "unknown front matter key `{k}` (known: {})",
            known.join(", ")
        ));
    }
    let id = match front.get("id") {
        Some(Value::String(s)) if is_id(s) => s.clone(),
        Some(Value::String(s)) => {
            return Err(format!(
                "id = {s:?}: use lowercase letters, digits and dashes"
            ))
        }
        Some(_) => return Err("id must be a string".into()),
        None => {
            return Err(
                "no `id` (a short name such as \"three-visits\"; progress is saved under it)"
                    .into(),
            )
        }
    };
    let title = match front.get("title") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return Err("no `title` (a string)".into()),
    };
    let order = match front.get("order") {
        Some(Value::Integer(n)) => *n,
        None => 0,
        Some(_) => return Err("order must be a whole number".into()),
    };
    let check = check_rs(
        front
            .get("check")
            .ok_or_else(|| format!("no `check`; one of: {}", check_list()))?,
    )?;
    let hints = match front.get("hints") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|h| match h {
                Value::String(s) => Ok(inline_html(s)),
                _ => Err("hints must be a list of strings".to_string()),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("hints must be a list of strings".into()),
    };
    let (task, explanation) = split_explanation(body);
    if task.trim().is_empty() {
        return Err("the task (the Markdown after the front matter) is empty".into());
    }
    Ok(Exercise {
        id,
        file: file.to_string(),
        title,
        order,
        check,
        hints,
        task_html: block_html(task),
        explanation_html: explanation.map(block_html).unwrap_or_default(),
    })
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check_list() -> String {
    CHECKS
        .iter()
        .map(|(k, p)| {
            if p.is_empty() {
                k.to_string()
            } else {
                format!("{k} ({p})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `check = "name"` or `check = { kind = "name", param = value, ... }` -> Rust source.
fn check_rs(v: &Value) -> Result<String, String> {
    let empty = Table::new();
    let (kind, params) = match v {
        Value::String(s) => (s.as_str(), &empty),
        Value::Table(t) => match t.get("kind") {
            Some(Value::String(s)) => (s.as_str(), t),
            _ => return Err("check needs kind = \"...\"".into()),
        },
        _ => return Err("check must be a name or a table { kind = \"...\", ... }".into()),
    };
    let allowed: &[&str] = match kind {
        "visit-reached" | "forged-visit" => &["visit"],
        "always-first-visit" | "parallel-lost" => &["count"],
        "restart-after-reset" => &["from_visit"],
        "user-switch" => &["to"],
        "other-client" => &["user_agent", "min_visit"],
        "python-visits" => &["count", "session"],
        "unauthorized-then-ok"
        | "tampered-restart"
        | "path-hides-cookie"
        | "replayed-after-logout" => &[],
        other => {
            return Err(format!(
                "unknown check {other:?}; the checks are: {}",
                check_list()
            ))
        }
    };
    if let Some(k) = params
        .keys()
        .find(|k| k.as_str() != "kind" && !allowed.contains(&k.as_str()))
    {
        return Err(format!(
            "check {kind:?} has no parameter `{k}`{}",
            if allowed.is_empty() {
                String::from(" (it takes none)")
            } else {
                format!(" (it takes {})", allowed.join(", "))
            }
        ));
    }
    let int = |name: &str, default: i64, min: i64| -> Result<i64, String> {
        match params.get(name) {
            None => Ok(default),
            Some(Value::Integer(n)) if *n >= min && *n <= 1_000_000 => Ok(*n),
            Some(_) => Err(format!(
                "check {kind:?}: {name} must be a whole number from {min} to 1000000"
            )),
        }
    };
    let string = |name: &str| -> Result<Option<String>, String> {
        match params.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("check {kind:?}: {name} must be a string")),
        }
    };
    Ok(match kind {
        "visit-reached" => format!("Check::VisitReached {{ visit: {} }}", int("visit", 3, 1)?),
        "always-first-visit" => format!(
            "Check::AlwaysFirstVisit {{ count: {} }}",
            int("count", 3, 1)?
        ),
        "unauthorized-then-ok" => "Check::UnauthorizedThenOk".into(),
        "restart-after-reset" => format!(
            "Check::RestartAfterReset {{ from_visit: {} }}",
            int("from_visit", 2, 2)?
        ),
        "user-switch" => format!("Check::UserSwitch {{ to: {:?} }}", string("to")?),
        "tampered-restart" => "Check::TamperedRestart".into(),
        "path-hides-cookie" => "Check::PathHidesCookie".into(),
        "replayed-after-logout" => "Check::ReplayedAfterLogout".into(),
        "forged-visit" => format!("Check::ForgedVisit {{ visit: {} }}", int("visit", 100, 2)?),
        "parallel-lost" => format!("Check::ParallelLost {{ count: {} }}", int("count", 5, 2)?),
        "other-client" => format!(
            "Check::OtherClient {{ user_agent: {:?}, min_visit: {} }}",
            string("user_agent")?.unwrap_or_else(|| "python-requests".into()),
            int("min_visit", 1, 1)?
        ),
        "python-visits" => format!(
            "Check::PythonVisits {{ count: {}, session: {} }}",
            int("count", 5, 1)?,
            match params.get("session") {
                None => true,
                Some(Value::Boolean(b)) => *b,
                Some(_) => return Err(format!("check {kind:?}: session must be true or false")),
            }
        ),
        _ => unreachable!(),
    })
}

/// Splits the body at a `## Explanation` heading (outside code fences).
fn split_explanation(body: &str) -> (&str, Option<&str>) {
    let mut offset = 0;
    let mut fence: Option<&str> = None;
    for line in body.split_inclusive('\n') {
        let t = line.trim();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
        } else if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
        } else if t
            .strip_prefix("## ")
            .is_some_and(|h| h.trim().eq_ignore_ascii_case("explanation"))
        {
            return (&body[..offset], Some(&body[offset + line.len()..]));
        }
        offset += line.len();
    }
    (body, None)
}

fn block_html(md: &str) -> String {
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, Options::ENABLE_TABLES));
    // A code block may scroll sideways on a phone: keyboard users must be able to reach it.
    out.replace("<pre>", "<pre tabindex=\"0\">")
}

/// One line of Markdown as inline HTML (no surrounding `<p>`).
fn inline_html(md: &str) -> String {
    let h = block_html(md);
    let t = h.trim();
    match t.strip_prefix("<p>").and_then(|x| x.strip_suffix("</p>")) {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => t.to_string(),
    }
}
