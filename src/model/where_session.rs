//! Where the session lives, as the cookie panel says it: in the cookie (cookie mode) or in the
//! server's store under the cookie's id (server mode), with the store's entry a report carried.

use flask_cookie::format_age;
use greeting_core::{SessionMode, StoreEntry};

/// The panel's headline for a mode.
pub fn headline(mode: SessionMode) -> &'static str {
    match mode {
        SessionMode::Cookie => {
            "The session lives in the cookie: its payload is the whole session, and the server keeps nothing."
        }
        SessionMode::Server => {
            "The session lives in the server's store: the cookie holds only an opaque id, with nothing in it to decode."
        }
    }
}

/// A report's store entry as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView {
    /// Which exchange, and the entry's key.
    pub title: String,
    /// The session the entry holds, as JSON text.
    pub value: Option<String>,
    /// How long it lives on, or that log out deleted it.
    pub note: Option<String>,
}

/// What a report's store entry says, for exchange `n`.
pub fn entry_view(n: usize, entry: &StoreEntry) -> EntryView {
    let key = match &entry.key {
        Some(key) => format!("key {key}"),
        None => "key hidden (another client's exchange: the id is as good as its cookie)".into(),
    };
    EntryView {
        title: format!("After exchange #{n}, the store's entry: {key}"),
        value: entry.value.clone(),
        note: match (&entry.value, entry.ttl_secs) {
            (None, _) => Some("No entry any more: log out deleted it.".into()),
            (Some(_), Some(ttl)) => Some(format!(
                "It lives on for {} unless saved again.",
                format_age(ttl)
            )),
            (Some(_), None) => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_as_its_key_session_and_lifetime_or_as_deleted() {
        let entry = StoreEntry {
            key: Some("session:abc".into()),
            value: Some(r#"{"_permanent":true,"username":"cobra","visit":2}"#.into()),
            ttl_secs: Some(31 * 86_400),
        };
        assert_eq!(
            entry_view(4, &entry),
            EntryView {
                title: "After exchange #4, the store's entry: key session:abc".into(),
                value: Some(r#"{"_permanent":true,"username":"cobra","visit":2}"#.into()),
                note: Some("It lives on for 31 days unless saved again.".into()),
            }
        );
        let deleted = StoreEntry {
            value: None,
            ttl_secs: None,
            key: None,
        };
        let view = entry_view(5, &deleted);
        assert!(view.title.contains("key hidden"));
        assert_eq!(view.value, None);
        assert_eq!(
            view.note.as_deref(),
            Some("No entry any more: log out deleted it.")
        );
        assert!(headline(SessionMode::Server).contains("opaque id"));
    }
}
