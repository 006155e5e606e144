//! The config file as written: serde structs that mirror Alertmanager's YAML, key for key. Unknown keys are
//! errors, as in Alertmanager. Nothing here is validated beyond types; `validate` does the rest.

mod escalation;
mod global;
mod http;
mod receiver;
mod route;
mod time_interval;
pub(crate) mod yaml11;

use serde::{Deserialize, Serialize};

pub(crate) use escalation::EscalationConfig;
pub(crate) use global::GlobalConfig;
pub(crate) use http::{HttpConfig, TlsConfig};
pub(crate) use receiver::Receiver;
pub(crate) use route::{InhibitRule, RouteConfig};
pub(crate) use time_interval::{NamedTimeInterval, TimeIntervalSpec, TimeRangeSpec};

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    /// Defaults shared by all receivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global: Option<GlobalConfig>,
    /// The root of the route tree.
    #[serde(default)]
    pub route: Option<RouteConfig>,
    /// Rules that mute alerts while others fire.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list", skip_serializing_if = "Vec::is_empty")]
    pub inhibit_rules: Vec<InhibitRule>,
    /// Where notifications go.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list")]
    pub receivers: Vec<Receiver>,
    /// Globs of template files.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list", skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<String>,
    /// Named time intervals (deprecated name, same namespace as `time_intervals`).
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list", skip_serializing_if = "Vec::is_empty")]
    pub mute_time_intervals: Vec<NamedTimeInterval>,
    /// Named time intervals.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list", skip_serializing_if = "Vec::is_empty")]
    pub time_intervals: Vec<NamedTimeInterval>,
}
