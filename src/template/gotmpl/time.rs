//! Go's `time.Time` and `time.Duration` as templates see them: `String()`, `Format` with Go's reference
//! layouts, and the zone a time is shown in (UTC unless `tz` moved it).

use chrono::{DateTime, Datelike, FixedOffset, Offset, Timelike, Utc};

/// A time and the zone it is shown in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GoTime {
    /// The instant; Go's zero time is 0001-01-01 00:00:00 UTC.
    pub instant: DateTime<Utc>,
    /// The zone, `None` for UTC.
    pub zone: Option<chrono_tz::Tz>,
}

/// Go's zero time.
pub(crate) fn zero_time() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MIN_UTC, |time| time.and_utc())
}

impl GoTime {
    /// A UTC time; `None` is Go's zero time.
    pub(crate) fn utc(time: Option<DateTime<Utc>>) -> GoTime {
        GoTime { instant: time.unwrap_or_else(zero_time), zone: None }
    }

    /// Reads `Time.String()` output back (`2006-01-02 15:04:05.999999999 +0000 UTC`); anything else is the
    /// zero time.
    pub(crate) fn parse_go_string(text: &str) -> GoTime {
        let utc = text.strip_suffix(" +0000 UTC").unwrap_or(text);
        let parsed = chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M:%S%.f").ok().map(|time| time.and_utc());
        GoTime::utc(parsed)
    }

    /// Whether this is Go's zero time.
    pub(crate) fn is_zero(&self) -> bool {
        self.instant == zero_time()
    }

    /// The wall clock in the time's zone, with the zone's offset and abbreviation.
    fn local(&self) -> (DateTime<FixedOffset>, String) {
        match self.zone {
            None => (self.instant.fixed_offset(), "UTC".to_string()),
            Some(zone) => {
                let local = self.instant.with_timezone(&zone);
                let offset = local.offset().fix();
                let name = chrono_tz::OffsetName::abbreviation(local.offset())
                    .map(str::to_string)
                    .unwrap_or_else(|| numeric_zone(offset.local_minus_utc()));
                (local.with_timezone(&offset), name)
            }
        }
    }

    /// Formats with a Go layout (`2006-01-02 15:04:05`, `Mon Jan _2`, `.000`, `-07:00`, `MST`, ...).
    pub(crate) fn format(&self, layout: &str) -> String {
        let (time, zone_name) = self.local();
        let offset = time.offset().local_minus_utc();
        let mut out = String::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let Some((token, length)) = next_token(rest) else {
                let c = rest.chars().next().unwrap_or_default();
                out.push(c);
                rest = &rest[c.len_utf8()..];
                continue;
            };
            rest = &rest[length..];
            let hour12 = match time.hour() % 12 {
                0 => 12,
                hour => hour,
            };
            match token {
                Token::Year4 => out.push_str(&format!("{:04}", time.year())),
                Token::Year2 => out.push_str(&format!("{:02}", time.year().rem_euclid(100))),
                Token::MonthName => out.push_str(MONTHS[time.month0() as usize]),
                Token::MonthShort => out.push_str(&MONTHS[time.month0() as usize][..3]),
                Token::Month2 => out.push_str(&format!("{:02}", time.month())),
                Token::Month => out.push_str(&time.month().to_string()),
                Token::DayName => out.push_str(DAYS[time.weekday().num_days_from_sunday() as usize]),
                Token::DayShort => out.push_str(&DAYS[time.weekday().num_days_from_sunday() as usize][..3]),
                Token::Day2 => out.push_str(&format!("{:02}", time.day())),
                Token::DaySpace => out.push_str(&format!("{:>2}", time.day())),
                Token::Day => out.push_str(&time.day().to_string()),
                Token::YearDay3 => out.push_str(&format!("{:03}", time.ordinal())),
                Token::YearDaySpace => out.push_str(&format!("{:>3}", time.ordinal())),
                Token::Hour24 => out.push_str(&format!("{:02}", time.hour())),
                Token::Hour12_2 => out.push_str(&format!("{hour12:02}")),
                Token::Hour12 => out.push_str(&hour12.to_string()),
                Token::Minute2 => out.push_str(&format!("{:02}", time.minute())),
                Token::Minute => out.push_str(&time.minute().to_string()),
                Token::Second2 => out.push_str(&format!("{:02}", time.second())),
                Token::Second => out.push_str(&time.second().to_string()),
                Token::PmUpper => out.push_str(if time.hour() >= 12 { "PM" } else { "AM" }),
                Token::PmLower => out.push_str(if time.hour() >= 12 { "pm" } else { "am" }),
                Token::ZoneName => out.push_str(&zone_name),
                Token::Offset { z, colon, seconds, hours_only } => {
                    if z && offset == 0 {
                        out.push('Z');
                    } else {
                        let sign = if offset < 0 { '-' } else { '+' };
                        let abs = offset.unsigned_abs();
                        out.push(sign);
                        out.push_str(&format!("{:02}", abs / 3600));
                        if !hours_only {
                            if colon {
                                out.push(':');
                            }
                            out.push_str(&format!("{:02}", abs / 60 % 60));
                            if seconds {
                                if colon {
                                    out.push(':');
                                }
                                out.push_str(&format!("{:02}", abs % 60));
                            }
                        }
                    }
                }
                Token::Fraction { separator, digits, trim } => {
                    let nanos = format!("{:09}", time.nanosecond() % 1_000_000_000);
                    let mut fraction = nanos[..digits].to_string();
                    if trim {
                        fraction = fraction.trim_end_matches('0').to_string();
                        if fraction.is_empty() {
                            continue;
                        }
                    }
                    out.push(separator);
                    out.push_str(&fraction);
                }
            }
        }
        out
    }
}

impl std::fmt::Display for GoTime {
    /// Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format("2006-01-02 15:04:05.999999999 -0700 MST"))
    }
}

/// Go's name for a zone without an abbreviation: `+03`, `-0930`.
fn numeric_zone(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    if abs.is_multiple_of(3600) {
        format!("{sign}{:02}", abs / 3600)
    } else {
        format!("{sign}{:02}{:02}", abs / 3600, abs / 60 % 60)
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// A piece of a Go layout.
#[derive(Debug, Clone, Copy)]
enum Token {
    Year4,
    Year2,
    MonthName,
    MonthShort,
    Month2,
    Month,
    DayName,
    DayShort,
    Day2,
    DaySpace,
    Day,
    YearDay3,
    YearDaySpace,
    Hour24,
    Hour12_2,
    Hour12,
    Minute2,
    Minute,
    Second2,
    Second,
    PmUpper,
    PmLower,
    ZoneName,
    Offset { z: bool, colon: bool, seconds: bool, hours_only: bool },
    Fraction { separator: char, digits: usize, trim: bool },
}

/// The layout token at the start of `layout`, and its length, as Go's `nextStdChunk` reads it.
fn next_token(layout: &str) -> Option<(Token, usize)> {
    let starts = |prefix: &str| layout.starts_with(prefix);
    let offset = |z, colon, seconds, hours_only| Token::Offset { z, colon, seconds, hours_only };
    // Longest first where one token begins another.
    let table: [(&str, Token); 33] = [
        ("January", Token::MonthName),
        ("Jan", Token::MonthShort),
        ("Monday", Token::DayName),
        ("Mon", Token::DayShort),
        ("MST", Token::ZoneName),
        ("2006", Token::Year4),
        ("002", Token::YearDay3),
        ("01", Token::Month2),
        ("02", Token::Day2),
        ("03", Token::Hour12_2),
        ("04", Token::Minute2),
        ("05", Token::Second2),
        ("06", Token::Year2),
        ("__2", Token::YearDaySpace),
        ("_2", Token::DaySpace),
        ("15", Token::Hour24),
        ("1", Token::Month),
        ("2", Token::Day),
        ("3", Token::Hour12),
        ("4", Token::Minute),
        ("5", Token::Second),
        ("PM", Token::PmUpper),
        ("pm", Token::PmLower),
        ("Z070000", offset(true, false, true, false)),
        ("Z07:00:00", offset(true, true, true, false)),
        ("Z0700", offset(true, false, false, false)),
        ("Z07:00", offset(true, true, false, false)),
        ("Z07", offset(true, false, false, true)),
        ("-070000", offset(false, false, true, false)),
        ("-07:00:00", offset(false, true, true, false)),
        ("-0700", offset(false, false, false, false)),
        ("-07:00", offset(false, true, false, false)),
        ("-07", offset(false, false, false, true)),
    ];
    for (text, token) in table {
        if starts(text) {
            // `Jan` and `Mon` followed by a lower-case letter are text (`Janet`), as in Go.
            if (text == "Jan" || text == "Mon") && layout[3..].starts_with(|c: char| c.is_ascii_lowercase()) {
                return None;
            }
            return Some((token, text.len()));
        }
    }
    // `.000`, `,000` (fixed) and `.999`, `,999` (trimmed) fractions, only when not followed by a digit.
    let mut chars = layout.chars();
    let separator = chars.next()?;
    if separator == '.' || separator == ',' {
        let digit = chars.next()?;
        if digit == '0' || digit == '9' {
            let digits = 1 + layout[2..].chars().take_while(|&c| c == digit).count();
            let next = layout[1 + digits..].chars().next();
            if !next.is_some_and(|c| c.is_ascii_digit()) {
                return Some((Token::Fraction { separator, digits: digits.min(9), trim: digit == '9' }, 1 + digits));
            }
        }
    }
    None
}

/// Go's `Duration.String()`: `1h2m3.5s`, `450ms`, `0s`.
pub(crate) fn duration_string(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let negative = nanos < 0;
    let abs = nanos.unsigned_abs();
    let sign = if negative { "-" } else { "" };
    if abs < 1_000_000_000 {
        let (unit, scale) = if abs < 1_000 {
            ("ns", 1)
        } else if abs < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", fraction(abs, scale));
    }
    let hours = abs / 3_600_000_000_000;
    let minutes = abs / 60_000_000_000 % 60;
    let seconds = fraction(abs % 60_000_000_000, 1_000_000_000);
    let mut out = sign.to_string();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&format!("{seconds}s"));
    out
}

/// `value / scale` with the remainder as decimals, trailing zeros dropped.
fn fraction(value: u64, scale: u64) -> String {
    let whole = value / scale;
    let rest = value % scale;
    if rest == 0 {
        return whole.to_string();
    }
    let width = scale.ilog10() as usize;
    let decimals = format!("{rest:0width$}");
    format!("{whole}.{}", decimals.trim_end_matches('0'))
}

/// Converts a time to the zone `name` (an IANA name, `UTC` or `Local`, which Herald takes as UTC).
pub(crate) fn in_zone(time: &GoTime, name: &str) -> Result<GoTime, String> {
    if name.is_empty() || name == "UTC" || name == "Local" {
        return Ok(GoTime { instant: time.instant, zone: None });
    }
    let zone: chrono_tz::Tz = name.parse().map_err(|_| format!("unknown time zone {name}"))?;
    Ok(GoTime { instant: time.instant, zone: Some(zone) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> GoTime {
        GoTime::utc(Some(DateTime::parse_from_rfc3339(text).expect("valid").with_timezone(&Utc)))
    }

    #[test]
    fn strings_and_layouts_are_gos() {
        let t = at("2026-03-04T05:06:07.5Z");
        assert_eq!(t.to_string(), "2026-03-04 05:06:07.5 +0000 UTC");
        assert_eq!(at("2026-03-04T05:06:07Z").to_string(), "2026-03-04 05:06:07 +0000 UTC");
        assert_eq!(GoTime::utc(None).to_string(), "0001-01-01 00:00:00 +0000 UTC");
        assert!(GoTime::utc(None).is_zero());
        assert_eq!(t.format("2006-01-02T15:04:05Z07:00"), "2026-03-04T05:06:07Z");
        assert_eq!(t.format("Mon Jan _2 15:04:05 MST 2006"), "Wed Mar  4 05:06:07 UTC 2026");
        assert_eq!(t.format("Monday, January 2, 2006 3:04PM"), "Wednesday, March 4, 2026 5:06AM");
        assert_eq!(t.format("02.01.06 15:04:05.000 -0700"), "04.03.26 05:06:07.500 +0000");
        assert_eq!(t.format("15:04:05.999999999"), "05:06:07.5");
        assert_eq!(t.format("002 __2"), "063  63");
        let berlin = in_zone(&t, "Europe/Berlin").expect("zone");
        assert_eq!(berlin.format("2006-01-02 15:04:05 MST -07:00"), "2026-03-04 06:06:07 CET +01:00");
        assert!(in_zone(&t, "Mars/Olympus").is_err());
    }

    #[test]
    fn durations_print_as_go_prints_them() {
        assert_eq!(duration_string(0), "0s");
        assert_eq!(duration_string(1_500), "1.5µs");
        assert_eq!(duration_string(450_000_000), "450ms");
        assert_eq!(duration_string(90_000_000_000), "1m30s");
        assert_eq!(duration_string(3_723_500_000_000), "1h2m3.5s");
        assert_eq!(duration_string(-3_600_000_000_000), "-1h0m0s");
    }
}
