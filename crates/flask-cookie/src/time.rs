//! Dates and ages as text, without std::time or chrono (works on wasm32).

/// `"2021-11-18 17:53:33 UTC"` for Unix seconds (civil-from-days arithmetic).
pub fn format_utc(unix_secs: u64) -> String {
    let _ = unix_secs;
    todo!()
}

/// A human age: `"0 s"`, `"45 s"`, `"5 min 3 s"`, `"2 h 5 min"`, `"3 days 2 h"`, `"31 days"`.
pub fn format_age(secs: u64) -> String {
    let _ = secs;
    todo!()
}
