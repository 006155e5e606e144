//! Discord webhooks: Alertmanager 0.25's message, one embed for the whole group, coloured by its status.

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::integration::{Integration, Notification, Request, TemplatedFields, basics};
use super::payload::encode;
use crate::config::Secret;
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;

const DEFAULT_TITLE: &str = r#"{{ template "discord.default.title" . }}"#;
const DEFAULT_MESSAGE: &str = r#"{{ template "discord.default.message" . }}"#;

/// The embed colours Alertmanager uses: red while firing, green once resolved.
const FIRING_COLOR: u32 = 0x992D22;
const RESOLVED_COLOR: u32 = 0x2ECC71;

/// `discord_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiscordConfig {
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
    /// The channel's webhook URL (a secret: it carries the webhook's token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<Secret>,
    /// Embed title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Embed description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The body Discord's execute-webhook endpoint takes, fields in Alertmanager's order.
#[derive(Serialize)]
struct Message<'a> {
    content: &'a str,
    embeds: [Embed; 1],
}

#[derive(Serialize)]
struct Embed {
    title: String,
    description: String,
    color: u32,
}

impl Integration for DiscordConfig {
    basics!("discord", send_resolved: true);

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        match &self.webhook_url {
            Some(url) if !url.is_empty() => checker.secret_url(&format!("{path}.webhook_url"), url),
            _ => checker.error(format!("{path}.webhook_url"), "no discord webhook URL provided"),
        }
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add_all([("title", &self.title), ("message", &self.message)]);
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        vec![DEFAULT_TITLE, DEFAULT_MESSAGE]
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let url = self.webhook_url.as_ref().ok_or_else(|| Error::config("no discord webhook URL provided"))?;
        let embed = Embed {
            title: notification.field(&self.title, DEFAULT_TITLE)?,
            description: notification.field(&self.message, DEFAULT_MESSAGE)?,
            color: if notification.data.status == "resolved" { RESOLVED_COLOR } else { FIRING_COLOR },
        };
        let body = encode(&Message { content: "", embeds: [embed] })?;
        Ok(vec![Request { secret_url: true, ..Request::post(url.expose(), body) }])
    }
}
