//! Time intervals (`time_intervals` in the config): parsing and checking the ranges, with Alertmanager's
//! error messages.

use std::ops::RangeInclusive;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use regex::Regex;

use crate::config::model::{TimeIntervalSpec, TimeRangeSpec};

const WEEKDAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

static TIME_OF_DAY_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)").expect("constant regex is valid"));

/// One checked interval. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimeInterval {
    /// Minutes after midnight, start inclusive, end exclusive.
    pub times: Vec<(u32, u32)>,
    /// Weekdays, 0 = Sunday.
    pub weekdays: Vec<RangeInclusive<u32>>,
    /// Days of the month; negative days count back from the month's last day (-1).
    pub days_of_month: Vec<RangeInclusive<i32>>,
    /// Months, 1 = January.
    pub months: Vec<RangeInclusive<u32>>,
    /// Years.
    pub years: Vec<RangeInclusive<i64>>,
    /// Time zone the fields are read in.
    pub location: Tz,
}

impl TimeInterval {
    /// Whether `time` falls in this interval, read in its time zone, as Alertmanager decides it.
    pub(crate) fn contains(&self, time: DateTime<Utc>) -> bool {
        let local = time.with_timezone(&self.location);
        let minute = local.hour() * 60 + local.minute();
        if !self.times.is_empty() && !self.times.iter().any(|(start, end)| minute >= *start && minute < *end) {
            return false;
        }
        if !self.days_of_month.is_empty() {
            let days = days_in_month(local.year(), local.month()) as i32;
            let day = local.day() as i32;
            let within = self.days_of_month.iter().any(|range| {
                let resolve = |d: i32| if d < 0 { days + d + 1 } else { d };
                let (begin, end) = (resolve(*range.start()), resolve(*range.end()));
                // A range starting after this month's last day does not apply; otherwise clamp to the month.
                begin <= days && day >= begin.clamp(-days, days) && day <= end.clamp(-days, days)
            });
            if !within {
                return false;
            }
        }
        if !self.months.is_empty() && !self.months.iter().any(|range| range.contains(&local.month())) {
            return false;
        }
        let weekday = local.weekday().num_days_from_sunday();
        if !self.weekdays.is_empty() && !self.weekdays.iter().any(|range| range.contains(&weekday)) {
            return false;
        }
        if !self.years.is_empty() && !self.years.iter().any(|range| range.contains(&i64::from(local.year()))) {
            return false;
        }
        true
    }
}

/// Whether any of a named interval's entries contains `time`.
pub(crate) fn any_contains(intervals: &[TimeInterval], time: DateTime<Utc>) -> bool {
    intervals.iter().any(|interval| interval.contains(time))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    chrono::NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|first| first.pred_opt())
        .map_or(31, |last| last.day())
}

/// Checks one interval as written; the error is the first thing wrong, in Alertmanager's words.
pub(crate) fn parse(spec: &TimeIntervalSpec) -> Result<TimeInterval, String> {
    let each = |list: &Option<Vec<String>>| list.iter().flatten().cloned().collect::<Vec<_>>();
    Ok(TimeInterval {
        times: spec.times.iter().flatten().map(parse_time_range).collect::<Result<_, _>>()?,
        weekdays: each(&spec.weekdays).iter().map(|s| parse_weekdays(s)).collect::<Result<_, _>>()?,
        days_of_month: each(&spec.days_of_month).iter().map(|s| parse_days_of_month(s)).collect::<Result<_, _>>()?,
        months: each(&spec.months).iter().map(|s| parse_months(s)).collect::<Result<_, _>>()?,
        years: each(&spec.years).iter().map(|s| parse_years(s)).collect::<Result<_, _>>()?,
        location: match &spec.location {
            Some(name) => parse_location(name)?,
            None => Tz::UTC,
        },
    })
}

fn parse_time_range(range: &TimeRangeSpec) -> Result<(u32, u32), String> {
    if range.start_time.is_empty() || range.end_time.is_empty() {
        return Err("both start and end times must be provided".into());
    }
    let start = parse_time_of_day(&range.start_time)?;
    let end = parse_time_of_day(&range.end_time)?;
    if start >= end {
        return Err("start time cannot be equal or greater than end time".into());
    }
    Ok((start, end))
}

fn parse_time_of_day(text: &str) -> Result<u32, String> {
    if !TIME_OF_DAY_RE.is_match(text) {
        return Err(format!("couldn't parse timestamp {text}, invalid format"));
    }
    let (hours, minutes) = text.split_once(':').ok_or_else(|| format!("invalid timestamp format: {text}"))?;
    let number = |part: &str| part.parse::<u32>().map_err(|err| err.to_string());
    Ok(number(hours)? * 60 + number(minutes)?)
}

/// Splits `a` or `a:b` (lower-cased) into its ends.
fn split_range(text: &str) -> Result<(String, String), String> {
    let lower = text.to_lowercase();
    let parts: Vec<&str> = lower.split(':').collect();
    match parts.as_slice() {
        [single] => Ok((single.to_string(), single.to_string())),
        [start, end] => Ok((start.to_string(), end.to_string())),
        _ => Err(format!("couldn't parse range {lower}, invalid format")),
    }
}

fn parse_int<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse::<T>().map_err(|_| format!("strconv.Atoi: parsing {text:?}: invalid syntax"))
}

fn parse_weekdays(text: &str) -> Result<RangeInclusive<u32>, String> {
    let (start, end) = split_range(text)?;
    let day = |name: &str| {
        WEEKDAYS
            .iter()
            .position(|d| *d == name)
            .map(|i| i as u32)
            .ok_or_else(|| format!("{name} is not a valid weekday"))
    };
    let (start, end) = (day(&start)?, day(&end)?);
    if start > end {
        return Err("start day cannot be before end day".into());
    }
    Ok(start..=end)
}

fn parse_days_of_month(text: &str) -> Result<RangeInclusive<i32>, String> {
    let (start, end) = split_range(text)?;
    let (start, end): (i32, i32) = (parse_int(&start)?, parse_int(&end)?);
    for day in [start, end] {
        if day == 0 || !(-31..=31).contains(&day) {
            return Err(format!("{day} is not a valid day of the month: out of range"));
        }
    }
    if start < 0 && end > 0 {
        return Err("end day must be negative if start day is negative".into());
    }
    // Alertmanager can only compare mixed ends for a month of known length; it assumes 28 days.
    let on_short_month = |day: i32| if day < 0 { 28 + day } else { day };
    if on_short_month(start) > on_short_month(end) {
        return Err(format!("end day {end} is always before start day {start}"));
    }
    Ok(start..=end)
}

fn parse_months(text: &str) -> Result<RangeInclusive<u32>, String> {
    let (start, end) = split_range(text)?;
    let month = |name: &str| match MONTHS.iter().position(|m| *m == name) {
        Some(i) => Ok(i as u32 + 1),
        None => name.parse::<u32>().map_err(|_| format!("{name} is not a valid month")),
    };
    let (first, last) = (month(&start)?, month(&end)?);
    if first > last {
        return Err(format!("end month {end} is before start month {start}"));
    }
    Ok(first..=last)
}

fn parse_years(text: &str) -> Result<RangeInclusive<i64>, String> {
    let (start, end) = split_range(text)?;
    let (start, end): (i64, i64) = (parse_int(&start)?, parse_int(&end)?);
    if start > end {
        return Err(format!("end year {end} is before start year {start}"));
    }
    Ok(start..=end)
}

fn parse_location(name: &str) -> Result<Tz, String> {
    match name {
        "" | "UTC" => Ok(Tz::UTC),
        "Local" => {
            Err("location \"Local\" depends on the host; name an IANA time zone such as \"Europe/Berlin\"".into())
        }
        _ => name.parse::<Tz>().map_err(|_| format!("unknown time zone {name}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> TimeIntervalSpec {
        serde_yaml_ng::from_str(yaml).expect("valid spec yaml")
    }

    #[test]
    fn a_full_interval_parses() {
        let interval = parse(&spec(
            "times: [{start_time: '09:00', end_time: '24:00'}]\nweekdays: ['Monday:Friday', saturday]\n\
             days_of_month: ['1:5', '-3:-1']\nmonths: ['january:march', '12']\nyears: ['2024:2030']\nlocation: Europe/Berlin\n",
        ))
        .expect("valid interval");
        assert_eq!(interval.times, vec![(540, 1440)]);
        assert_eq!(interval.weekdays, vec![1..=5, 6..=6]);
        assert_eq!(interval.days_of_month, vec![1..=5, -3..=-1]);
        assert_eq!(interval.months, vec![1..=3, 12..=12]);
        assert_eq!(interval.years, vec![2024..=2030]);
        assert_eq!(interval.location, chrono_tz::Europe::Berlin);
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("valid time").with_timezone(&Utc)
    }

    #[test]
    fn business_hours_in_a_time_zone() {
        let interval = parse(&spec(
            "times: [{start_time: '09:00', end_time: '17:00'}]\nweekdays: ['monday:friday']\nlocation: Europe/Berlin\n",
        ))
        .expect("valid");
        // 2026-11-25 is a Wednesday; Berlin is UTC+1 in November.
        assert!(interval.contains(utc("2026-11-25T08:00:00Z")), "09:00 in Berlin");
        assert!(!interval.contains(utc("2026-11-25T07:59:59Z")), "08:59 in Berlin");
        assert!(!interval.contains(utc("2026-11-25T16:00:00Z")), "17:00 is the exclusive end");
        assert!(!interval.contains(utc("2026-11-28T10:00:00Z")), "Saturday");
        // The weekday is Berlin's: Friday 23:30 UTC is Saturday 00:30 in Berlin.
        let evenings = parse(&spec("weekdays: [saturday]\nlocation: Europe/Berlin\n")).expect("valid");
        assert!(evenings.contains(utc("2026-11-27T23:30:00Z")));
    }

    #[test]
    fn daylight_saving_changes_follow_the_wall_clock() {
        let morning = parse(&spec("times: [{start_time: '09:00', end_time: '10:00'}]\nlocation: America/New_York\n"))
            .expect("valid");
        // New York is UTC-4 before 2026-11-01 and UTC-5 after.
        assert!(morning.contains(utc("2026-10-30T13:30:00Z")));
        assert!(!morning.contains(utc("2026-11-02T13:30:00Z")), "08:30 after the change");
        assert!(morning.contains(utc("2026-11-02T14:30:00Z")));
    }

    #[test]
    fn negative_days_count_from_the_end_of_each_month() {
        let last_days = parse(&spec("days_of_month: ['-3:-1']\n")).expect("valid");
        assert!(last_days.contains(utc("2026-02-26T12:00:00Z")), "Feb has 28 days: 26..28");
        assert!(!last_days.contains(utc("2026-02-25T12:00:00Z")));
        assert!(last_days.contains(utc("2024-02-29T12:00:00Z")), "leap year: 27..29");
        assert!(!last_days.contains(utc("2024-02-26T12:00:00Z")));
        assert!(last_days.contains(utc("2026-12-31T23:59:00Z")));
        let thirty_first = parse(&spec("days_of_month: ['31']\n")).expect("valid");
        assert!(!thirty_first.contains(utc("2026-04-30T12:00:00Z")), "April has no 31st");
        let mixed = parse(&spec("days_of_month: ['25:-1']\nmonths: ['february']\nyears: ['2026']\n")).expect("valid");
        assert!(mixed.contains(utc("2026-02-28T00:00:00Z")) && !mixed.contains(utc("2027-02-28T00:00:00Z")));
    }

    #[test]
    fn bad_ranges_give_alertmanagers_messages() {
        let cases = [
            (
                "times: [{start_time: '10:00', end_time: '09:00'}]",
                "start time cannot be equal or greater than end time",
            ),
            ("times: [{start_time: '9:00', end_time: '10:00'}]", "couldn't parse timestamp 9:00, invalid format"),
            ("times: [{start_time: '', end_time: '10:00'}]", "both start and end times must be provided"),
            ("weekdays: [funday]", "funday is not a valid weekday"),
            ("weekdays: ['friday:monday']", "start day cannot be before end day"),
            ("days_of_month: ['0']", "0 is not a valid day of the month: out of range"),
            ("days_of_month: ['-1:5']", "end day must be negative if start day is negative"),
            ("days_of_month: ['10:5']", "end day 5 is always before start day 10"),
            ("days_of_month: ['1:2:3']", "couldn't parse range 1:2:3, invalid format"),
            ("months: [smarch]", "smarch is not a valid month"),
            ("months: ['march:january']", "end month january is before start month march"),
            ("years: ['2030:2020']", "end year 2020 is before start year 2030"),
            ("location: Mars/Olympus", "unknown time zone Mars/Olympus"),
        ];
        for (yaml, expected) in cases {
            assert_eq!(parse(&spec(yaml)).expect_err(yaml), expected, "{yaml}");
        }
    }
}
