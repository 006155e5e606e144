//! `slack_configs` entries as written.

use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::config::model::HttpConfig;

/// `slack_configs` entry. Unset text fields fall back to Herald's default templates.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlackConfig {
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
pub(crate) struct SlackField {
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
pub(crate) struct SlackAction {
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
pub(crate) struct SlackConfirmation {
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
