//! `opsgenie_configs` entries as written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::config::model::HttpConfig;

/// `opsgenie_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpsgenieConfig {
    /// Notify (close the alert) when alerts resolve (default true).
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_resolved: Option<bool>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
    /// API key (may be a template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
    /// File holding the API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_file: Option<String>,
    /// API base URL (the EU endpoint, a proxy, a test server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// Alert message (truncated to 130 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Alert description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Alert source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Extra details (templated values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<BTreeMap<String, String>>,
    /// Affected entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Who is notified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responders: Option<Vec<OpsgenieResponder>>,
    /// Comma-separated actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<String>,
    /// Comma-separated tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
    /// Note added to the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Priority, `P1`..`P5` (may be a template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Also update message and description of an existing alert.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::bool")]
    pub update_alerts: bool,
}

/// An Opsgenie responder: one of `id`, `name` or `username`, and a type.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpsgenieResponder {
    /// Responder id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Responder name (may be a template).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// User name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// `team`, `teams`, `user`, `escalation` or `schedule` (may be a template).
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
}
