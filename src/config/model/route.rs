//! `route` and `inhibit_rules` as written in the file. Durations stay text until validation, so that a bad one
//! is reported with its own path and line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One node of the route tree, as written; children inherit what they leave out.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RouteConfig {
    /// Receiver for alerts that end at this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<String>,
    /// Label names to group by, or `['...']` for all labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<String>>,
    /// Deprecated exact-value matchers.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::string_map",
        rename = "match",
        skip_serializing_if = "Option::is_none"
    )]
    pub match_eq: Option<BTreeMap<String, String>>,
    /// Deprecated regex matchers.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::regex_map",
        skip_serializing_if = "Option::is_none"
    )]
    pub match_re: Option<BTreeMap<String, String>>,
    /// Matcher strings, each holding one or more matchers.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::string_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub matchers: Option<Vec<String>>,
    /// Names of time intervals during which this route's notifications are muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute_time_intervals: Option<Vec<String>>,
    /// Names of time intervals outside of which this route's notifications are muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_time_intervals: Option<Vec<String>>,
    /// Keep matching later siblings after this route matched.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::bool",
        rename = "continue",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub continue_matching: bool,
    /// Child routes, tried in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<RouteConfig>>,
    /// How long a new group waits before its first notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_wait: Option<String>,
    /// How long between notifications about a group that changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_interval: Option<String>,
    /// How long before an unchanged group is notified again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<String>,
    /// Herald's extension: who is notified when nobody acknowledges the route's groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<super::EscalationConfig>,
    /// Herald's extension: the team that owns this route and its children, and may replace them over the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

/// One inhibition rule, as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InhibitRule {
    /// Deprecated exact matchers for the source side.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::string_map",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_match: Option<BTreeMap<String, String>>,
    /// Deprecated regex matchers for the source side.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::regex_map",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_match_re: Option<BTreeMap<String, String>>,
    /// Matcher strings for the source side.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::string_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_matchers: Option<Vec<String>>,
    /// Deprecated exact matchers for the target side.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::string_map",
        skip_serializing_if = "Option::is_none"
    )]
    pub target_match: Option<BTreeMap<String, String>>,
    /// Deprecated regex matchers for the target side.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::regex_map",
        skip_serializing_if = "Option::is_none"
    )]
    pub target_match_re: Option<BTreeMap<String, String>>,
    /// Matcher strings for the target side.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::string_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub target_matchers: Option<Vec<String>>,
    /// Labels whose values source and target must share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equal: Option<Vec<String>>,
}
