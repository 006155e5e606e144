//! `time_intervals` / `mute_time_intervals` as written. Ranges stay strings here; `crate::timeinterval`
//! parses and checks them.

use serde::{Deserialize, Serialize};

/// A named list of intervals; the name is what routes refer to.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NamedTimeInterval {
    /// The name routes use.
    #[serde(default)]
    pub name: String,
    /// The intervals; the name covers a moment when any of them does.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list")]
    pub time_intervals: Vec<TimeIntervalSpec>,
}

/// One interval: every field given must hold at once; a field left out holds always.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeIntervalSpec {
    /// Times of day, `HH:MM` to `HH:MM` (end exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<Vec<TimeRangeSpec>>,
    /// Weekday names or ranges (`monday:friday`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekdays: Option<Vec<String>>,
    /// Days of the month or ranges; negative days count from the month's end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_of_month: Option<Vec<String>>,
    /// Month names or numbers, or ranges of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<Vec<String>>,
    /// Years or ranges of years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<Vec<String>>,
    /// IANA time zone the other fields are read in (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A time-of-day range.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeRangeSpec {
    /// Start, `HH:MM`, inclusive.
    pub start_time: String,
    /// End, `HH:MM`, exclusive; `24:00` is allowed.
    pub end_time: String,
}
