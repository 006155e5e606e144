//! `global`: defaults shared by every receiver, as written.

use serde::{Deserialize, Serialize};

use super::http::HttpConfig;
use crate::config::secret::Secret;

/// The `global` block. Keys for integrations Herald does not deliver (SMTP, WeChat, VictorOps, Telegram,
/// Webex) are accepted so that existing files load; receivers that use those integrations are rejected.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct GlobalConfig {
    /// How long an alert without `endsAt` stays firing after its last update (default 5m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve_timeout: Option<String>,
    /// HTTP client settings for integrations that have none of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
    /// SMTP sender address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_from: Option<String>,
    /// SMTP HELO host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_hello: Option<String>,
    /// SMTP server `host:port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_smarthost: Option<String>,
    /// SMTP user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_auth_username: Option<String>,
    /// SMTP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_auth_password: Option<Secret>,
    /// File holding the SMTP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_auth_password_file: Option<String>,
    /// SMTP CRAM-MD5 secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_auth_secret: Option<Secret>,
    /// SMTP PLAIN identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_auth_identity: Option<String>,
    /// Require STARTTLS.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub smtp_require_tls: Option<bool>,
    /// Slack incoming-webhook URL for Slack configs without their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_api_url: Option<Secret>,
    /// File holding the Slack webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_api_url_file: Option<String>,
    /// PagerDuty Events API v2 URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagerduty_url: Option<String>,
    /// Opsgenie API base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opsgenie_api_url: Option<String>,
    /// Opsgenie API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opsgenie_api_key: Option<Secret>,
    /// File holding the Opsgenie API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opsgenie_api_key_file: Option<String>,
    /// WeChat API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat_api_url: Option<String>,
    /// WeChat API secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat_api_secret: Option<Secret>,
    /// WeChat corporation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat_api_corp_id: Option<String>,
    /// VictorOps API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victorops_api_url: Option<String>,
    /// VictorOps API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victorops_api_key: Option<Secret>,
    /// File holding the VictorOps API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victorops_api_key_file: Option<String>,
    /// Telegram API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram_api_url: Option<String>,
    /// Webex API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webex_api_url: Option<String>,
}
