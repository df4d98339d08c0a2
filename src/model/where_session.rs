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

/// What a report's store entry says, for exchange `n`.
pub fn entry_lines(n: usize, entry: &StoreEntry) -> Vec<String> {
    let key = match &entry.key {
        Some(key) => format!("key {key}"),
        None => "key hidden (another client's exchange: the id is as good as its cookie)".into(),
    };
    let mut lines = vec![format!("After exchange #{n}, the store's entry: {key}")];
    match &entry.value {
        Some(value) => {
            lines.push(value.clone());
            if let Some(ttl) = entry.ttl_secs {
                lines.push(format!(
                    "It lives on for {} unless saved again.",
                    format_age(ttl)
                ));
            }
        }
        None => lines.push("No entry any more: log out deleted it.".into()),
    }
    lines
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
            entry_lines(4, &entry),
            [
                "After exchange #4, the store's entry: key session:abc",
                r#"{"_permanent":true,"username":"cobra","visit":2}"#,
                "It lives on for 31 days unless saved again.",
            ]
        );
        let deleted = StoreEntry {
            value: None,
            ttl_secs: None,
            key: None,
        };
        let lines = entry_lines(5, &deleted);
        assert!(lines[0].contains("key hidden"));
        assert_eq!(lines[1], "No entry any more: log out deleted it.");
        assert!(headline(SessionMode::Server).contains("opaque id"));
    }
}
