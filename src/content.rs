//! The course text, rendered from `content/*.md` at build time by `build.rs`.
//!
//! The wasm carries no Markdown parser: `build.rs` turns each Markdown file into a list of
//! [`Block`]s (HTML produced by pulldown-cmark, plus structured code blocks) and writes them as
//! Rust statics, included here. Editing `content/` re-runs the build script, so `trunk serve`
//! rebuilds the page on a text edit.

/// One Markdown document: the chapter ([`CHAPTER`]) or a section after it ([`BEYOND`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Doc {
    /// File name without extension (`chapter`, `01-where-the-session-lives`, ...).
    pub slug: &'static str,
    /// Text of the first heading.
    pub title: &'static str,
    /// Leading `key: value` lines between `+++` fences, if the file has them (exercises).
    pub front_matter: &'static [(&'static str, &'static str)],
    pub blocks: &'static [Block],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// HTML rendered at build time from the project's own Markdown (trusted content).
    Html(&'static str),
    Code(CodeBlock),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeBlock {
    /// Language from the fence (`python`, `pycon`, `text`, ...).
    pub lang: &'static str,
    /// The code exactly as written.
    pub code: &'static str,
    /// `run=ID` on the fence: the scenario a "Run in playground" button performs.
    pub run: Option<&'static str>,
    /// For `pycon` blocks: each `>>>` statement and the output the chapter printed for it.
    /// For a runnable `python` block: the statements of every `pycon` block with the same
    /// `run=` id (what running the code lets you print).
    pub statements: &'static [Statement],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    /// The expression after `>>> ` (`r1.json()`, `print(r2.headers)`).
    pub expr: &'static str,
    /// What the chapter shows it printing.
    pub expected: &'static str,
}

/// What a runnable code sample does, as read from its Python source at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    pub id: &'static str,
    /// `requests.Session()` (keep cookies) rather than plain `requests.get`.
    pub session: bool,
    pub username: &'static str,
    pub password: &'static str,
    /// Path of the URL the code requests (`/greeting`).
    pub path: &'static str,
    /// The variable names the responses are bound to, in request order (`r1`, `r2`, `r3`).
    pub responses: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/content.rs"));

impl Scenario {
    /// The requests a sample needs to show its statements: up to the last response any of them
    /// names (`r2.headers` needs `r1` and `r2`), all of them when none names one.
    pub fn responses_for(&self, statements: &[Statement]) -> &'static [&'static str] {
        let named = |name: &str| {
            statements.iter().any(|s| {
                let e = s.expr.trim_start_matches("print(");
                e.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
        };
        match self.responses.iter().rposition(|r| named(r)) {
            Some(last) => &self.responses[..=last],
            None => self.responses,
        }
    }
}

/// The scenario a `run=` id names.
pub fn scenario(id: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapter_has_a_runnable_session_sample() {
        assert!(!CHAPTER.title.is_empty());
        let runnable: Vec<&CodeBlock> = CHAPTER
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Code(c) if c.run.is_some() => Some(c),
                _ => None,
            })
            .collect();
        assert!(runnable.len() >= 2, "the chapter's samples are runnable");
        let python = runnable
            .iter()
            .find(|c| c.lang == "python")
            .expect("python sample");
        assert!(python
            .statements
            .iter()
            .any(|s| s.expected.contains("visit #3")));
    }

    #[test]
    fn scenario_is_read_from_the_python_code() {
        let s = scenario("chapter-session").expect("scenario");
        assert!(s.session);
        assert_eq!((s.username, s.password), ("cobra", "hiss"));
        assert_eq!(s.path, "/greeting");
        assert_eq!(s.responses, &["r1", "r2", "r3"]);
    }

    #[test]
    fn each_sample_runs_the_requests_it_shows() {
        let s = scenario("chapter-session").expect("scenario");
        let needed: Vec<usize> = CHAPTER
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Code(c) if c.run.is_some() => Some(s.responses_for(c.statements).len()),
                _ => None,
            })
            .collect();
        // The python block and r1..r3.json() need three; r1.headers one; r2's headers two.
        assert_eq!(needed, [3, 3, 1, 2, 2]);
    }

    #[test]
    fn pycon_statements_pair_expression_and_output() {
        let all: Vec<&Statement> = CHAPTER
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Code(c) if c.lang == "pycon" => Some(c.statements.iter()),
                _ => None,
            })
            .flatten()
            .collect();
        let first = all
            .iter()
            .find(|s| s.expr == "r1.json()")
            .expect("r1.json()");
        assert_eq!(first.expected, "{'message': 'Welcome, cobra!'}");
        assert!(all.iter().any(
            |s| s.expr == "r2.request.headers" && s.expected.contains("Basic Y29icmE6aGlzcw==")
        ));
    }

    #[test]
    fn the_sections_after_the_chapter_come_in_file_name_order() {
        let slugs: Vec<&str> = BEYOND.iter().map(|d| d.slug).collect();
        let mut sorted = slugs.clone();
        sorted.sort_unstable();
        assert_eq!(slugs, sorted);
        let titles: Vec<&str> = BEYOND.iter().map(|d| d.title).collect();
        for wanted in [
            "Where the session lives",
            "Logging out, and a replayed cookie",
        ] {
            assert!(titles.contains(&wanted), "{wanted} in {titles:?}");
        }
        // The chapter's own text is untouched: it still ends on the REST question.
        let Some(Block::Html(last)) = CHAPTER.blocks.last() else {
            panic!("the chapter ends on prose");
        };
        assert!(last.contains("Is this still REST?"), "{last}");
    }

    #[test]
    fn html_blocks_have_no_code_fences_left() {
        for b in CHAPTER
            .blocks
            .iter()
            .chain(BEYOND.iter().flat_map(|d| d.blocks))
        {
            if let Block::Html(h) = b {
                assert!(!h.contains("```"));
            }
        }
    }
}
