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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cst_formatting_adds_eight_hours() {
        // 2026-11-28T13:05:00Z
        assert_eq!(format_cst(1_795_871_100_000), "2026-11-28 21:05");
    }
}
