//! The wall clock, read in one place. Domain rules take `now` as a parameter;
//! core reads it here so tests can see where time enters.

use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, the unit of every `*_at` column.
pub type Millis = i64;

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> Millis {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Converts stored milliseconds to a date-time (UTC).
pub fn to_datetime(ms: Millis) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Formats stored milliseconds for people in China Standard Time (UTC+8),
/// as `2026-11-28 21:05`.
pub fn format_cst(ms: Millis) -> String {
    let t = to_datetime(ms).to_offset(time::macros::offset!(+8));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The date of `ms` in China Standard Time.
pub fn date_cst(ms: Millis) -> time::Date {
    to_datetime(ms).to_offset(time::macros::offset!(+8)).date()
}

/// Today in China Standard Time.
pub fn today_cst() -> time::Date {
    date_cst(now_ms())
}

/// Midnight China Standard Time of a `YYYY-MM-DD` date, in milliseconds.
pub fn parse_cst_date(s: &str) -> Option<Millis> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    let at = date.midnight().assume_offset(time::macros::offset!(+8));
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_midnight_in_china() {
        // 2027-01-01T00:00+08:00 = 2026-12-31T16:00Z
        assert_eq!(parse_cst_date("2027-01-01"), Some(1_798_732_800_000));
        assert_eq!(parse_cst_date("2027-02-30"), None);
        assert_eq!(parse_cst_date("tomorrow"), None);
    }

    #[test]
    fn cst_formatting_adds_eight_hours() {
        // 2026-11-28T13:05:00Z
        assert_eq!(format_cst(1_795_871_100_000), "2026-11-28 21:05");
    }
}
