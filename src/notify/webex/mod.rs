//! Webex: a markdown message to a room, Alertmanager 0.25's body, authorised by `http_config.authorization`.

use serde::{Deserialize, Serialize};

use super::error::Result;
use super::integration::{Integration, Notification, Request, TemplatedFields, basics};
use super::payload::{encode, truncate_bytes};
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;

const DEFAULT_MESSAGE: &str = r#"{{ template "webex.default.message" . }}"#;

/// Where messages go unless `api_url` or `global.webex_api_url` says otherwise.
pub(crate) const DEFAULT_API_URL: &str = "https://webexapis.com/v1/messages";

/// The longest message Webex takes, in bytes.
const MAX_MESSAGE_BYTES: usize = 7439;

/// `webex_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebexConfig {
    /// Notify when alerts resolve (default true).
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_resolved: Option<bool>,
    /// HTTP client settings; must hold the bot's token in `authorization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
    /// Messages API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// The message, in markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The room to post to (required; sent as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_id: Option<String>,
}

#[derive(Serialize)]
struct Message<'a> {
    markdown: String,
    #[serde(rename = "roomId", skip_serializing_if = "str::is_empty")]
    room_id: &'a str,
}

impl Integration for WebexConfig {
    basics!("webex", send_resolved: true);

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        if self.room_id.as_deref().is_none_or(str::is_empty) {
            checker.error(format!("{path}.room_id"), "missing room_id on webex_config");
        }
        // Alertmanager gives Webex no global http_config: the bot's token has to be here.
        let http = self.http_config.take().map(|own| checker.checked_http_config(&format!("{path}.http_config"), own));
        let authorised = http.as_ref().is_some_and(|http| {
            http.authorization.is_some() || http.bearer_token.is_some() || http.bearer_token_file.is_some()
        });
        if !authorised {
            checker
                .error(format!("{path}.http_config.authorization"), "missing webex_configs.http_config.authorization");
        }
        self.http_config = http;
        checker.api_url(&format!("{path}.api_url"), &mut self.api_url, global.webex_api_url.as_ref(), DEFAULT_API_URL);
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add_all([("message", &self.message)]);
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        vec![DEFAULT_MESSAGE]
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let message = notification.field(&self.message, DEFAULT_MESSAGE)?;
        let body = Message {
            markdown: truncate_bytes(&message, MAX_MESSAGE_BYTES),
            room_id: self.room_id.as_deref().unwrap_or_default(),
        };
        Ok(vec![Request::post(self.api_url.as_deref().unwrap_or(DEFAULT_API_URL), encode(&body)?)])
    }
}
