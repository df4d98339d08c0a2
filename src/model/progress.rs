//! The learner's progress through the exercises, as kept in the browser's localStorage under
//! [`STORAGE_KEY`], in a versioned schema.
//!
//! - Version 2 (current): `{"version":2,"exercises":{"ID":{"solved_at_ms":N|null,"hints_shown":N}}}`.
//! - Version 1 (the first schema): `{"version":1,"solved":["ID", ...]}`; migrated on load.
//!
//! Loading never fails: a corrupt entry is replaced by empty progress (and the page says so), and
//! an entry written by a *newer* page is used read-only, never overwritten. The browser glue
//! also copes with storage being blocked (then nothing is saved).

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

/// The localStorage key.
pub const STORAGE_KEY: &str = "sessions-playground.progress";
/// The schema this page writes.
pub const SCHEMA_VERSION: u64 = 2;

/// One exercise as stored: both fields may be missing, unknown ones are ignored, and a field of
/// the wrong type makes the entry unreadable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseProgress {
    /// When it was solved (Unix ms), `None` while unsolved.
    #[serde(default)]
    pub solved_at_ms: Option<u64>,
    /// How many hints the learner has revealed.
    #[serde(default)]
    pub hints_shown: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub exercises: BTreeMap<String, ExerciseProgress>,
}

/// The stored form, schema 2: `{"version": 2, "exercises": {"<id>": {"solved_at_ms": 1700000000000,
/// "hints_shown": 1}}}`.
#[derive(Serialize)]
struct V2Out<'a> {
    version: u64,
    exercises: &'a BTreeMap<String, ExerciseProgress>,
}

/// The one field every schema has.
#[derive(Deserialize)]
struct Versioned {
    version: u64,
}

/// Schema 1: `{"version": 1, "solved": ["<id>", ...]}`.
#[derive(Deserialize)]
struct V1 {
    solved: Vec<String>,
}

/// Schema 2, read.
#[derive(Deserialize)]
struct V2 {
    exercises: BTreeMap<String, ExerciseProgress>,
}

/// A newer schema: its exercises read entry by entry, an entry this page cannot read skipped.
#[derive(Deserialize)]
struct Newer {
    #[serde(default)]
    exercises: BTreeMap<String, MaybeProgress>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MaybeProgress {
    Readable(ExerciseProgress),
    Unreadable(IgnoredAny),
}

/// How the stored progress was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// Nothing stored yet.
    Empty,
    /// The current schema.
    Current,
    /// An older schema, converted (saved in the current one at the next change).
    Migrated { from: u64 },
    /// Unreadable: replaced by empty progress.
    Reset { reason: String },
    /// Written by a newer page: read what can be read, never written over.
    Newer { version: u64 },
}

impl Loaded {
    /// Whether the page may write its progress back.
    pub fn writable(&self) -> bool {
        !matches!(self, Loaded::Newer { .. })
    }

    /// A sentence for the learner, when there is something to say.
    pub fn notice(&self) -> Option<String> {
        match self {
            Loaded::Empty | Loaded::Current => None,
            Loaded::Migrated { from } => Some(format!("Progress saved by an older version of this page (schema {from}) was carried over.")),
            Loaded::Reset { reason } => Some(format!("The saved progress could not be read ({reason}), so it starts afresh.")),
            Loaded::Newer { version } => Some(format!(
                "The saved progress comes from a newer version of this page (schema {version}); this page shows it but will not save over it."
            )),
        }
    }
}

impl Progress {
    pub fn get(&self, id: &str) -> ExerciseProgress {
        self.exercises.get(id).cloned().unwrap_or_default()
    }

    pub fn is_solved(&self, id: &str) -> bool {
        self.exercises
            .get(id)
            .is_some_and(|p| p.solved_at_ms.is_some())
    }

    pub fn solved_count(&self, ids: &[&str]) -> usize {
        ids.iter().filter(|id| self.is_solved(id)).count()
    }

    /// Marks an exercise solved (keeps the first time). Returns whether that changed anything.
    pub fn solve(&mut self, id: &str, at_ms: u64) -> bool {
        let p = self.exercises.entry(id.to_string()).or_default();
        if p.solved_at_ms.is_some() {
            return false;
        }
        p.solved_at_ms = Some(at_ms);
        true
    }

    /// Reveals one more hint, up to `available`. Returns the number now shown.
    pub fn reveal_hint(&mut self, id: &str, available: usize) -> u32 {
        let p = self.exercises.entry(id.to_string()).or_default();
        p.hints_shown = (p.hints_shown + 1).min(available as u32);
        p.hints_shown
    }

    /// The stored form (current schema).
    pub fn to_json(&self) -> String {
        let v = V2Out {
            version: SCHEMA_VERSION,
            exercises: &self.exercises,
        };
        serde_json::to_string(&v).unwrap_or_default()
    }

    /// Reads what localStorage held (`None`: nothing). Never fails.
    pub fn load(stored: Option<&str>) -> (Progress, Loaded) {
        let Some(text) = stored else {
            return (Progress::default(), Loaded::Empty);
        };
        let reset = |reason: &str| {
            (
                Progress::default(),
                Loaded::Reset {
                    reason: reason.to_string(),
                },
            )
        };
        let version = match serde_json::from_str::<Versioned>(text) {
            Ok(v) => v.version,
            Err(_) if serde_json::from_str::<IgnoredAny>(text).is_err() => {
                return reset("not JSON")
            }
            Err(_) => return reset("no schema version"),
        };
        match version {
            // Schema 1 kept the solved ids only: they migrate as solved, without a date.
            1 => match serde_json::from_str::<V1>(text) {
                Ok(v1) => {
                    let solved = ExerciseProgress {
                        solved_at_ms: Some(0),
                        hints_shown: 0,
                    };
                    let exercises = v1
                        .solved
                        .into_iter()
                        .map(|id| (id, solved.clone()))
                        .collect();
                    (Progress { exercises }, Loaded::Migrated { from: 1 })
                }
                Err(_) => reset("schema 1, but not in its shape"),
            },
            2 => match serde_json::from_str::<V2>(text) {
                Ok(v2) => (
                    Progress {
                        exercises: v2.exercises,
                    },
                    Loaded::Current,
                ),
                Err(_) => reset("schema 2, but not in its shape"),
            },
            v if v > SCHEMA_VERSION => {
                // A newer page may have added fields: read the entries this page can, skip the rest.
                let exercises = serde_json::from_str::<Newer>(text)
                    .map(|n| {
                        n.exercises
                            .into_iter()
                            .filter_map(|(id, p)| match p {
                                MaybeProgress::Readable(p) => Some((id, p)),
                                MaybeProgress::Unreadable(_) => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (Progress { exercises }, Loaded::Newer { version: v })
            }
            _ => reset("unknown schema version 0"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_stored_is_empty_progress() {
        let (p, l) = Progress::load(None);
        assert_eq!(p, Progress::default());
        assert_eq!(l, Loaded::Empty);
        assert!(l.writable() && l.notice().is_none());
    }

    #[test]
    fn round_trip_in_the_current_schema() {
        let mut p = Progress::default();
        assert!(p.solve("three-visits", 1234));
        assert!(!p.solve("three-visits", 9999), "the first time is kept");
        assert_eq!(p.reveal_hint("forge", 3), 1);
        assert_eq!(p.reveal_hint("forge", 3), 2);
        let json = p.to_json();
        assert!(json.starts_with("{\"version\":2,"), "{json}");
        let (back, l) = Progress::load(Some(&json));
        assert_eq!(l, Loaded::Current);
        assert_eq!(back, p);
        assert_eq!(back.get("three-visits").solved_at_ms, Some(1234));
        assert!(back.is_solved("three-visits") && !back.is_solved("forge"));
        assert_eq!(back.get("forge").hints_shown, 2);
        assert_eq!(back.solved_count(&["three-visits", "forge", "nope"]), 1);
    }

    #[test]
    fn hints_stop_at_the_last_one() {
        let mut p = Progress::default();
        for _ in 0..5 {
            p.reveal_hint("x", 2);
        }
        assert_eq!(p.get("x").hints_shown, 2);
    }

    #[test]
    fn schema_1_is_migrated() {
        let (p, l) = Progress::load(Some(r#"{"version":1,"solved":["three-visits","reset"]}"#));
        assert_eq!(l, Loaded::Migrated { from: 1 });
        assert!(l.writable());
        assert!(l.notice().unwrap().contains("carried over"));
        assert!(p.is_solved("three-visits") && p.is_solved("reset") && !p.is_solved("forge"));
        let (again, l2) = Progress::load(Some(&p.to_json()));
        assert_eq!((again, l2), (p, Loaded::Current));
    }

    #[test]
    fn corrupt_entries_are_reset_not_a_crash() {
        for bad in [
            "",
            "{",
            "null",
            "[1,2]",
            "\"text\"",
            r#"{"solved":["a"]}"#,
            r#"{"version":"2"}"#,
            r#"{"version":0}"#,
            r#"{"version":1,"solved":"a"}"#,
            r#"{"version":2,"exercises":[]}"#,
            r#"{"version":2,"exercises":{"a":{"hints_shown":-1}}}"#,
            r#"{"version":2,"exercises":{"a":{"hints_shown":4294967296}}}"#,
            r#"{"version":2,"exercises":{"a":{"solved_at_ms":"yesterday"}}}"#,
            r#"{"version":2,"exercises":{"a":{},"b":7}}"#,
            r#"{"version":2}"#,
            r#"{"version":1,"solved":["a",2]}"#,
            "\u{0}\u{ffff}",
        ] {
            let (p, l) = Progress::load(Some(bad));
            assert_eq!(p, Progress::default(), "{bad:?}");
            assert!(matches!(l, Loaded::Reset { .. }), "{bad:?}: {l:?}");
            assert!(l.writable());
            assert!(l.notice().unwrap().contains("starts afresh"));
        }
    }

    #[test]
    fn a_newer_schema_is_read_but_not_overwritten() {
        let stored = r#"{"version":7,"exercises":{"forge":{"solved_at_ms":5,"hints_shown":1,"stars":3},"odd":42},"theme":"x"}"#;
        let (p, l) = Progress::load(Some(stored));
        assert_eq!(l, Loaded::Newer { version: 7 });
        assert!(!l.writable());
        assert!(p.is_solved("forge"));
        assert!(!p.exercises.contains_key("odd"));
        let (_, l) = Progress::load(Some(r#"{"version":3}"#));
        assert_eq!(l, Loaded::Newer { version: 3 });
    }

    #[test]
    fn missing_fields_default() {
        let (p, l) = Progress::load(Some(r#"{"version":2,"exercises":{"a":{}}}"#));
        assert_eq!(l, Loaded::Current);
        assert_eq!(p.get("a"), ExerciseProgress::default());
        let (p, l) = Progress::load(Some(
            r#"{"version":2,"exercises":{"a":{"solved_at_ms":null,"hints_shown":2,"new":true}}}"#,
        ));
        assert_eq!(l, Loaded::Current);
        assert_eq!(p.get("a").hints_shown, 2);
        assert!(!p.is_solved("a"));
    }
}
