//! Microsoft Teams incoming webhooks: Alertmanager's MessageCard (0.26, with 0.27's `summary`), coloured by
//! the group's status.

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::http::secret_or_file;
use super::integration::{Integration, Notification, Request, TemplatedFields, basics};
use super::payload::encode;
use crate::config::Secret;
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;

const DEFAULT_TITLE: &str = r#"{{ template "msteams.default.title" . }}"#;
const DEFAULT_SUMMARY: &str = r#"{{ template "msteams.default.summary" . }}"#;
const DEFAULT_TEXT: &str = r#"{{ template "msteams.default.text" . }}"#;

/// `msteams_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct MsteamsConfig {
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
    /// The channel's incoming-webhook URL (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<Secret>,
    /// File holding the webhook URL (read at each send).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url_file: Option<String>,
    /// Card title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Card summary (what a notification shows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Card text, in markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Serialize)]
struct Card {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    summary: String,
    text: String,
    #[serde(rename = "themeColor")]
    theme_color: &'static str,
}

impl Integration for MsteamsConfig {
    basics!("msteams", send_resolved: true);

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        match (&self.webhook_url, &mut self.webhook_url_file) {
            (Some(_), Some(_)) => checker.error(
                format!("{path}.webhook_url"),
                "at most one of webhook_url & webhook_url_file must be configured",
            ),
            (Some(url), None) => checker.secret_url(&format!("{path}.webhook_url"), url),
            (None, Some(file)) => *file = checker.existing_file(&format!("{path}.webhook_url_file"), file),
            (None, None) => checker
                .error(format!("{path}.webhook_url"), "one of webhook_url or webhook_url_file must be configured"),
        }
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add_all([("title", &self.title), ("summary", &self.summary), ("text", &self.text)]);
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        vec![DEFAULT_TITLE, DEFAULT_SUMMARY, DEFAULT_TEXT]
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let url = secret_or_file(&self.webhook_url, &self.webhook_url_file)?
            .ok_or_else(|| Error::config("no msteams webhook URL provided"))?;
        let card = Card {
            context: "http://schema.org/extensions",
            kind: "MessageCard",
            title: notification.field(&self.title, DEFAULT_TITLE)?,
            summary: notification.field(&self.summary, DEFAULT_SUMMARY)?,
            text: notification.field(&self.text, DEFAULT_TEXT)?,
            theme_color: if notification.data.status == "resolved" { "2DC72D" } else { "8C1A1A" },
        };
        Ok(vec![Request { secret_url: true, ..Request::post(url, encode(&card)?) }])
    }
}
