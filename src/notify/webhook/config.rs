//! `webhook_configs` entries as written.

use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::config::model::HttpConfig;

/// `webhook_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookConfig {
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
    /// Where to POST. A secret (webhook URLs often carry tokens, Alertmanager 0.26 made them secret): the API
    /// shows its scheme and host only.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::config::secret::serialize_redacted_url"
    )]
    pub url: Option<Secret>,
    /// Most alerts per notification; 0 means no limit.
    #[serde(default)]
    pub max_alerts: u64,
}
