//! Dates and ages as text, without `std::time` or chrono, so that it works on wasm32 too.
//! The caller always passes the time in, as Unix seconds.

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `"2021-11-18 17:53:33 UTC"` for Unix seconds.
pub fn format_utc(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64; // u64::MAX / 86400 fits in i64
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A human age, in at most two units: `"0 s"`, `"45 s"`, `"5 min 3 s"`, `"2 h 5 min"`,
/// `"1 day"`, `"3 days 2 h"`, `"31 days"`.
pub fn format_age(secs: u64) -> String {
    let (days, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let (big, small) = if days > 0 {
        let unit = if days == 1 { "day" } else { "days" };
        (format!("{days} {unit}"), (h > 0).then(|| format!("{h} h")))
    } else if h > 0 {
        (format!("{h} h"), (m > 0).then(|| format!("{m} min")))
    } else if m > 0 {
        (format!("{m} min"), (s > 0).then(|| format!("{s} s")))
    } else {
        return format!("{s} s");
    };
    match small {
        Some(small) => format!("{big} {small}"),
        None => big,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(1_637_258_013), "2021-11-18 17:53:33 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(4_107_542_399), "2100-02-28 23:59:59 UTC");
        assert_eq!(format_utc(4_107_542_400), "2100-03-01 00:00:00 UTC");
        assert_eq!(format_utc(253_402_300_799), "9999-12-31 23:59:59 UTC");
        assert_eq!(format_utc(u32::MAX as u64), "2106-02-07 06:28:15 UTC");
        // Absurd but no panic.
        assert!(format_utc(u64::MAX).ends_with(" UTC"));
    }

    #[test]
    fn civil_matches_a_day_by_day_walk() {
        let (mut y, mut m, mut d) = (1970i64, 1u32, 1u32);
        for days in 0..(400 * 366) {
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            d += 1;
            if d > len[(m - 1) as usize] {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn ages() {
        assert_eq!(format_age(0), "0 s");
        assert_eq!(format_age(45), "45 s");
        assert_eq!(format_age(60), "1 min");
        assert_eq!(format_age(303), "5 min 3 s");
        assert_eq!(format_age(3600), "1 h");
        assert_eq!(format_age(2 * 3600 + 5 * 60 + 9), "2 h 5 min");
        assert_eq!(format_age(86_400), "1 day");
        assert_eq!(format_age(3 * 86_400 + 2 * 3600 + 59), "3 days 2 h");
        assert_eq!(format_age(crate::DEFAULT_MAX_AGE_SECS), "31 days");
        assert!(format_age(u64::MAX).contains("days"));
    }
}
