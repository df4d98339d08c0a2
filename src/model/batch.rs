//! What a batch of requests sent together ("Send N at once") did to the visit count: which
//! visits their cookies carried, which they got back, and the note that says so.

use std::collections::BTreeMap;

use greeting_core::SessionIn;

use super::timeline::{Exchange, Timeline};

/// How many connections a browser opens to one host over HTTP/1.1 (Chromium, Firefox, Safari).
pub const BROWSER_CONNECTIONS_PER_HOST: usize = 6;

/// The visit the cookie of `e` carried: `Some(0)` for no cookie (or one the server refused),
/// `None` when the server did not say.
pub fn carried_visit(e: &Exchange) -> Option<u64> {
    match &e.report.as_ref()?.session_in {
        SessionIn::Continued { visit, .. } => Some(*visit),
        _ => Some(0),
    }
}

/// One batch, summed up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// Requests in the batch, and how many answered with a visit.
    pub sent: usize,
    pub answered: usize,
    /// The visit the page saw last before the batch (`None`: no session yet).
    pub before: Option<u64>,
    /// The highest visit an answer got.
    pub top: Option<u64>,
    /// Visit carried → how many requests carried it (0: no cookie).
    pub carried: BTreeMap<u64, usize>,
    pub session: bool,
}

impl BatchSummary {
    pub fn of(t: &Timeline, batch: &str, before: Option<u64>, session: bool) -> BatchSummary {
        let members: Vec<&Exchange> = t
            .entries
            .iter()
            .filter(|e| e.batch.as_deref() == Some(batch))
            .collect();
        let mut carried = BTreeMap::new();
        for v in members.iter().filter_map(|e| carried_visit(e)) {
            *carried.entry(v).or_insert(0) += 1;
        }
        BatchSummary {
            sent: members.len(),
            answered: members.iter().filter(|e| e.visit().is_some()).count(),
            // The first request to leave carried the jar's cookie: the lowest visit carried.
            before: carried.keys().next().copied().or(before),
            top: members.iter().filter_map(|e| e.visit()).max(),
            carried,
            session,
        }
    }

    /// The visits the count did not gain.
    pub fn lost(&self) -> u64 {
        let start = self.before.unwrap_or(0);
        (start + self.answered as u64).saturating_sub(self.top.unwrap_or(start))
    }

    /// The note under the buttons (`None` when nothing answered).
    pub fn note(&self) -> Option<String> {
        let top = self.top?;
        let n = self.answered;
        if !self.session {
            return Some(format!(
                "{n} requests answered, all without a cookie: each one is a first visit."
            ));
        }
        let start = self.before.unwrap_or(0);
        let lost = self.lost();
        if lost == 0 {
            return Some(format!(
                "{n} requests sent together and the count went from {start} to {top}: nothing lost this time \
                 (each one left after the answer before it came back)."
            ));
        }
        let cookies = match self.carried.len() {
            0 => String::new(),
            1 => {
                let (v, _) = self.carried.iter().next()?;
                format!(" All of them carried the same cookie ({}).", carried_text(*v))
            }
            k => format!(
                " They carried {k} different cookies ({}): a browser does not send them all at the same instant \
                 (it opens at most {BROWSER_CONNECTIONS_PER_HOST} connections to one host), so a request that left \
                 after an answer came back carried that answer's cookie.",
                self.carried
                    .iter()
                    .map(|(v, c)| format!("{} ×{c}", carried_text(*v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Some(format!(
            "{n} requests sent together and the count went from {start} to {top}, not {}: {lost} visit{} lost.\
             {cookies} Each answer counted on from the cookie its request carried; the browser kept the cookie of \
             the answer that came back last.",
            start + n as u64,
            if lost == 1 { "" } else { "s" },
        ))
    }
}

fn carried_text(visit: u64) -> String {
    if visit == 0 {
        "no cookie".into()
    } else {
        format!("visit {visit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(carried: &[(u64, usize)], top: u64, before: Option<u64>) -> BatchSummary {
        let carried: BTreeMap<u64, usize> = carried.iter().copied().collect();
        let n = carried.values().sum();
        BatchSummary {
            sent: n,
            answered: n,
            before,
            top: Some(top),
            carried,
            session: true,
        }
    }

    #[test]
    fn one_cookie_for_all() {
        let s = summary(&[(3, 5)], 4, Some(3));
        assert_eq!(s.lost(), 4);
        let note = s.note().unwrap();
        assert!(note.contains("from 3 to 4, not 8: 4 visits lost"), "{note}");
        assert!(
            note.contains("All of them carried the same cookie (visit 3)"),
            "{note}"
        );
    }

    #[test]
    fn several_cookies_are_named_with_the_connection_limit() {
        let note = summary(&[(3, 4), (4, 1)], 5, Some(3)).note().unwrap();
        assert!(note.contains("from 3 to 5, not 8: 3 visits lost"), "{note}");
        assert!(
            note.contains("2 different cookies (visit 3 ×4, visit 4 ×1)"),
            "{note}"
        );
        assert!(note.contains("at most 6 connections to one host"), "{note}");
    }

    #[test]
    fn nothing_lost_and_no_session() {
        assert!(summary(&[(1, 1), (2, 1)], 3, Some(1))
            .note()
            .unwrap()
            .contains("nothing lost"));
        let mut s = summary(&[(0, 3)], 1, None);
        s.session = false;
        assert!(s.note().unwrap().contains("without a cookie"));
        s.top = None;
        assert_eq!(s.note(), None);
    }
}
