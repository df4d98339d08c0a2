//! Helpers the scenarios share about the page itself: the chapter's three lines, sending once and
//! reading the new timeline row, the timeline's order.

use crate::browser::{Browser, Row};
use anyhow::Result;

/// The same three lines the chapter prints.
pub const CHAPTER: [&str; 3] = [
    "Welcome, cobra!",
    "Welcome back, cobra! This is visit #2.",
    "Welcome back, cobra! This is visit #3.",
];

/// Send once from the page and wait for one more row than before; returns the new row.
pub async fn send_once(b: &Browser) -> Result<Row> {
    let before = b.rows().await?.len();
    b.click("send-once").await?;
    let rows = b
        .wait_rows("one more exchange-row with a status or an error", |rows| {
            rows.len() > before
                && newest(rows, before).is_some_and(|r| r.status.is_some() || !r.error.is_empty())
        })
        .await?;
    Ok(newest(&rows, before).cloned().unwrap_or_default())
}

/// Aim the page at "Other server" `url` and wait until it says it is aimed there.
pub async fn aim_at(b: &Browser, url: &str) -> Result<()> {
    b.fill("target-url", url).await?;
    b.click("use-custom").await?;
    b.wait_text("target-kind", "target-kind to be \"custom\"", |t| {
        t == "custom"
    })
    .await?;
    Ok(())
}

/// The newest row, whichever end of the timeline the page adds rows at.
fn newest(rows: &[Row], before: usize) -> Option<&Row> {
    if rows.len() <= before {
        return None;
    }
    if newest_first(rows) {
        rows.first()
    } else {
        rows.last()
    }
}

/// Whether the timeline lists the newest exchange first: read from the page's own numbering
/// (`#N` at the start of each row), falling back to "appends".
pub fn newest_first(rows: &[Row]) -> bool {
    let num = |r: &Row| -> Option<u32> {
        let t = r.text.trim_start();
        let t = t.strip_prefix('#').unwrap_or(t);
        t.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    match (rows.first().and_then(num), rows.last().and_then(num)) {
        (Some(a), Some(b)) => a > b,
        _ => false,
    }
}

/// Rows in chronological order (oldest first).
pub fn chronological(mut rows: Vec<Row>) -> Vec<Row> {
    if newest_first(&rows) {
        rows.reverse();
    }
    rows
}

pub fn show_rows(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "  (no exchange-row elements)".into();
    }
    rows.iter()
        .map(|r| {
            format!(
                "  status={:?} visit={:?} source={:?} message={:?} error={:?}\n",
                r.status, r.visit, r.source, r.message, r.error
            )
        })
        .collect()
}
