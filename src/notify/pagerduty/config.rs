//! `pagerduty_configs` entries as written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::config::model::HttpConfig;

/// `pagerduty_configs` entry: `service_key` selects Events API v1, `routing_key` v2.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PagerdutyConfig {
    /// Notify when alerts resolve (default true).
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_resolved: Option<bool>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
    /// Events API v1 integration key (may be a template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_key: Option<Secret>,
    /// File holding the v1 key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_key_file: Option<String>,
    /// Events API v2 routing key (may be a template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key: Option<Secret>,
    /// File holding the v2 key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key_file: Option<String>,
    /// Events API endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Client name shown in PagerDuty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Client link shown in PagerDuty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_url: Option<String>,
    /// Incident summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Extra details (templated values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<BTreeMap<String, String>>,
    /// Images attached to the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<PagerdutyImage>>,
    /// Links attached to the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<PagerdutyLink>>,
    /// Affected system (defaults to `client`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Event severity (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Event class (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Affected component (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Logical group (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// An image on a PagerDuty event.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PagerdutyImage {
    /// Image source.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub src: String,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alt: String,
    /// Link of the image.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub href: String,
}

/// A link on a PagerDuty event.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PagerdutyLink {
    /// Target.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub href: String,
    /// Link text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}
