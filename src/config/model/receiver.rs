//! `receivers` and the four integrations Herald delivers to, as written. Keys of other integrations are
//! accepted by the parser only so that validation can name them in a clear error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::http::HttpConfig;
use crate::config::secret::Secret;

/// A named receiver with any number of integrations.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    /// Unique name that routes refer to.
    #[serde(default)]
    pub name: String,
    /// Generic webhooks.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list", skip_serializing_if = "Vec::is_empty")]
    pub webhook_configs: Vec<WebhookConfig>,
    /// Slack incoming webhooks.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list", skip_serializing_if = "Vec::is_empty")]
    pub slack_configs: Vec<SlackConfig>,
    /// PagerDuty Events API v1 or v2.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list", skip_serializing_if = "Vec::is_empty")]
    pub pagerduty_configs: Vec<PagerdutyConfig>,
    /// Opsgenie alerts API.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::list", skip_serializing_if = "Vec::is_empty")]
    pub opsgenie_configs: Vec<OpsgenieConfig>,
    /// Not delivered by Herald (rejected by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_configs: Option<serde_yaml_ng::Value>,
    /// Not delivered by Herald (rejected by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discord_configs: Option<serde_yaml_ng::Value>,
    /// Not delivered by Herald (rejected by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msteams_configs: Option<serde_yaml_ng::Value>,
    /// Not delivered by Herald (rejected by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushover_configs: Option<serde_yaml_ng::Value>,
    /// Not delivered by Herald (rejected by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_configs: Option<serde_yaml_ng::Value>,
    /// Not delivered by Herald (rejected by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram_configs: Option<serde_yaml_ng::Value>,
    /// Not delivered by Herald (rejected by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victorops_configs: Option<serde_yaml_ng::Value>,
    /// Not delivered by Herald (rejected by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webex_configs: Option<serde_yaml_ng::Value>,
    /// Not delivered by Herald (rejected by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat_configs: Option<serde_yaml_ng::Value>,
}

impl Receiver {
    /// The integration keys present on this receiver that Herald cannot deliver to.
    pub fn unsupported_integrations(&self) -> Vec<&'static str> {
        [
            ("email_configs", &self.email_configs),
            ("discord_configs", &self.discord_configs),
            ("msteams_configs", &self.msteams_configs),
            ("pushover_configs", &self.pushover_configs),
            ("sns_configs", &self.sns_configs),
            ("telegram_configs", &self.telegram_configs),
            ("victorops_configs", &self.victorops_configs),
            ("webex_configs", &self.webex_configs),
            ("wechat_configs", &self.wechat_configs),
        ]
        .into_iter()
        .filter(|(_, value)| match value {
            None | Some(serde_yaml_ng::Value::Null) => false,
            Some(serde_yaml_ng::Value::Sequence(items)) => !items.is_empty(),
            Some(_) => true,
        })
        .map(|(key, _)| key)
        .collect()
    }

    /// How many integrations (config entries) this receiver delivers to.
    pub fn integration_count(&self) -> usize {
        self.webhook_configs.len()
            + self.slack_configs.len()
            + self.pagerduty_configs.len()
            + self.opsgenie_configs.len()
    }
}

/// `webhook_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
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
    /// Where to POST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Most alerts per notification; 0 means no limit.
    #[serde(default)]
    pub max_alerts: u64,
}

/// `slack_configs` entry. Unset text fields fall back to Herald's default templates.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// Notify when alerts resolve (default false).
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_resolved: Option<bool>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
    /// Incoming-webhook URL (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Secret>,
    /// File holding the webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url_file: Option<String>,
    /// Channel or user to post to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Bot user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Attachment colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Attachment title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Link of the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_link: Option<String>,
    /// Text above the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretext: Option<String>,
    /// Attachment text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Attachment fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<SlackField>>,
    /// Default for fields without `short`.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::bool")]
    pub short_fields: bool,
    /// Attachment footer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// Plain-text summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// Callback id for interactive messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_id: Option<String>,
    /// Bot icon emoji.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_emoji: Option<String>,
    /// Bot icon URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// Attachment image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Attachment thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_url: Option<String>,
    /// Link channel and user names.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::bool")]
    pub link_names: bool,
    /// Fields rendered as markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrkdwn_in: Option<Vec<String>>,
    /// Attachment buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<SlackAction>>,
}

/// A Slack attachment field.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SlackField {
    /// Field title (required).
    #[serde(default)]
    pub title: String,
    /// Field value (required).
    #[serde(default)]
    pub value: String,
    /// Show side by side; defaults to `short_fields`.
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub short: Option<bool>,
}

/// A Slack attachment action (button).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SlackAction {
    /// Action type, e.g. `button` (required).
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Button text (required).
    #[serde(default)]
    pub text: String,
    /// Link; either this or `name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Button style.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub style: String,
    /// Action name; either this or `url`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Action value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// Confirmation dialog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<SlackConfirmation>,
}

/// A Slack confirmation dialog.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SlackConfirmation {
    /// Dialog text (required).
    #[serde(default)]
    pub text: String,
    /// Dialog title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Text of the confirm button.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ok_text: String,
    /// Text of the dismiss button.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dismiss_text: String,
}

/// `pagerduty_configs` entry: `service_key` selects Events API v1, `routing_key` v2.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PagerdutyConfig {
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
pub struct PagerdutyImage {
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
pub struct PagerdutyLink {
    /// Target.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub href: String,
    /// Link text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// `opsgenie_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OpsgenieConfig {
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
pub struct OpsgenieResponder {
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
