//! Dates for the `Date`, `Last-Modified` and `If-Modified-Since` fields: the
//! IMF-fixdate format of RFC 9110 §5.6.7, from and to seconds since the Unix epoch.
//!
//! ```text
//! IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT
//!             ; e.g. Sun, 06 Nov 1994 08:49:37 GMT
//! ```
//!
//! The crate has no wall clock: the driver hands one in as a [`WallClock`].

use tundra_core::Instant;

const DAY_NAMES: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A mapping from the stack's virtual clock to wall-clock time: at `at`, the time was
/// `unix_secs` seconds after 1970-01-01T00:00:00Z. The driver reads the system clock
/// once and passes this in; without it no `Date` field is sent (RFC 9110 §6.6.1: an
/// origin server without a clock MUST NOT send one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallClock {
    /// The virtual instant of the reading.
    pub at: Instant,
    /// Seconds since the Unix epoch at that instant.
    pub unix_secs: u64,
}

impl WallClock {
    /// Seconds since the Unix epoch at `now`.
    pub fn unix_secs_at(&self, now: Instant) -> u64 {
        self.unix_secs.saturating_add((now - self.at).secs())
    }
}

/// Days since 1970-01-01 to a civil (year, month 1..=12, day 1..=31) date
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a civil date (Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats `unix_secs` as an IMF-fixdate (RFC 9110 §5.6.7).
pub fn format_imf_fixdate(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let secs = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAY_NAMES[(days % 7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses an IMF-fixdate into seconds since the Unix epoch. The obsolete RFC 850 and
/// asctime formats (RFC 9110 §5.6.7) are not accepted: `None`, and a conditional
/// request that uses them is simply evaluated as unconditional.
pub fn parse_imf_fixdate(s: &[u8]) -> Option<u64> {
    // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 bytes.
    if s.len() != 29 || &s[3..5] != b", " || &s[25..] != b" GMT" {
        return None;
    }
    let num = |r: core::ops::Range<usize>| -> Option<u32> {
        let digits = s.get(r)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0, |acc, &b| acc * 10 + u32::from(b - b'0')),
        )
    };
    let day = num(5..7)?;
    let month = MONTHS.iter().position(|m| m.as_bytes() == &s[8..11])? as u32 + 1;
    let year = num(12..16)?;
    let (hh, mm, ss) = (num(17..19)?, num(20..22)?, num(23..25)?);
    if s[7] != b' ' || s[11] != b' ' || s[16] != b' ' || s[19] != b':' || s[22] != b':' {
        return None;
    }
    if !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 || year < 1970 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    Some(days as u64 * 86_400 + u64::from(hh * 3600 + mm * 60 + ss))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9110_section_5_6_7_example() {
        assert_eq!(
            format_imf_fixdate(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            parse_imf_fixdate(b"Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
    }

    #[test]
    fn epoch_and_leap_day_round_trip() {
        assert_eq!(format_imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            format_imf_fixdate(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        for t in [0, 951_782_400, 1_700_000_000, 4_102_444_800] {
            assert_eq!(parse_imf_fixdate(format_imf_fixdate(t).as_bytes()), Some(t));
        }
    }

    #[test]
    fn obsolete_and_garbage_dates_are_not_parsed() {
        assert_eq!(parse_imf_fixdate(b"Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_imf_fixdate(b"Sun Nov  6 08:49:37 1994"), None);
        assert_eq!(parse_imf_fixdate(b"Sun, 06 Nov 1994 08:49:37 UTC"), None);
        assert_eq!(parse_imf_fixdate(b"Sun, 0x Nov 1994 08:49:37 GMT"), None);
    }

    #[test]
    fn wall_clock_follows_the_virtual_clock() {
        let clock = WallClock {
            at: Instant::from_secs(10),
            unix_secs: 1000,
        };
        assert_eq!(clock.unix_secs_at(Instant::from_millis(12_500)), 1002);
    }
}
