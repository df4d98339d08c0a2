//! What a batch of requests sent at once ("Send N at once") did to the visit count, in words.

/// The note after a batch: `answered` answers with a visit, `top` the highest visit among them,
/// `before` the visit the page last saw, `session` whether cookies were kept.
pub fn parallel_note(answered: usize, top: u64, before: Option<u64>, session: bool) -> String {
    if !session {
        return format!(
            "{answered} requests answered, all without a cookie: each one is a first visit."
        );
    }
    let start = before.unwrap_or(0);
    let expected = start + answered as u64;
    if top >= expected {
        format!("{answered} requests answered and the count went from {start} to {top}: nothing lost this time.")
    } else {
        format!(
            "{answered} requests were sent at once and the count went from {start} to {top}, not {expected}: {} visit(s) \
             lost. Every request that left before an answer came back carried the same old cookie, so their answers all \
             counted from the same number; the browser kept whichever cookie arrived last.",
            expected - top
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_visits_are_counted() {
        let note = parallel_note(3, 2, Some(1), true);
        assert!(
            note.contains("from 1 to 2, not 4: 2 visit(s) lost"),
            "{note}"
        );
        assert!(parallel_note(3, 4, Some(1), true).contains("nothing lost"));
        assert!(parallel_note(3, 1, None, false).contains("without a cookie"));
    }
}
