//! Pushover: Alertmanager 0.25's message, its parameters in the query string of a `POST` with an empty
//! body, emergency priority while firing (repeated every `retry` until acknowledged or `expire`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::http::read_secret_file;
use super::integration::{Integration, Notification, Request, TemplatedFields, basics};
use super::payload::{query_escape, truncate};
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;
use crate::config::{PromDuration, Secret};

const DEFAULT_TITLE: &str = r#"{{ template "pushover.default.title" . }}"#;
const DEFAULT_MESSAGE: &str = r#"{{ template "pushover.default.message" . }}"#;
const DEFAULT_URL: &str = r#"{{ template "pushover.default.url" . }}"#;
const DEFAULT_PRIORITY: &str = r#"{{ if eq .Status "firing" }}2{{ else }}0{{ end }}"#;

/// Pushover's messages API (not configurable, as in Alertmanager).
const API_URL: &str = "https://api.pushover.net/1/messages.json";

/// Pushover's limits, in characters.
const MAX_TITLE_CHARS: usize = 250;
const MAX_MESSAGE_CHARS: usize = 1024;
const MAX_URL_CHARS: usize = 512;

const DEFAULT_RETRY: Duration = Duration::from_secs(60);
const DEFAULT_EXPIRE: Duration = Duration::from_secs(60 * 60);

/// `pushover_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushoverConfig {
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
    /// The recipient's user key (templated; a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_key: Option<Secret>,
    /// File holding the user key (Alertmanager 0.26).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_key_file: Option<String>,
    /// The application's token (templated; a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    /// File holding the token (Alertmanager 0.26).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Supplementary URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Title of the supplementary URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_title: Option<String>,
    /// Device to send to (Alertmanager 0.26).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Notification sound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    /// Priority (templated); default 2 (emergency) while firing, 0 once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// How often an emergency notification repeats until acknowledged (default 1m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<String>,
    /// How long it repeats (default 1h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire: Option<String>,
    /// How long the message lives on the device (0: for ever; later Alertmanager versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    /// Render the message as HTML (values escaped as `html/template` escapes them).
    #[serde(default, deserialize_with = "crate::config::model::yaml11::bool")]
    pub html: bool,
}

impl Integration for PushoverConfig {
    basics!("pushover", send_resolved: true);

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        for (name, secret, file, missing) in [
            ("user_key", &self.user_key, &mut self.user_key_file, "missing user key in Pushover config"),
            ("token", &self.token, &mut self.token_file, "missing token in Pushover config"),
        ] {
            let inline = secret.as_ref().is_some_and(|secret| !secret.is_empty());
            match (inline, file) {
                (true, Some(_)) => checker
                    .error(format!("{path}.{name}"), format!("at most one of {name} & {name}_file must be configured")),
                (false, None) => checker.error(format!("{path}.{name}"), missing),
                (false, Some(file)) => *file = checker.existing_file(&format!("{path}.{name}_file"), file),
                (true, None) => {}
            }
        }
        for (name, value) in [("retry", &self.retry), ("expire", &self.expire), ("ttl", &self.ttl)] {
            if let Some(text) = value
                && let Err(err) = PromDuration::parse(text)
            {
                checker.error(format!("{path}.{name}"), err.to_string());
            }
        }
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add("user_key", self.user_key.as_ref().map(Secret::expose));
        fields.add("token", self.token.as_ref().map(Secret::expose));
        fields.add_all([
            ("title", &self.title),
            ("message", &self.message),
            ("url", &self.url),
            ("url_title", &self.url_title),
            ("device", &self.device),
            ("sound", &self.sound),
            ("priority", &self.priority),
        ]);
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        vec![DEFAULT_TITLE, DEFAULT_MESSAGE, DEFAULT_URL, DEFAULT_PRIORITY]
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let secret = |inline: &Option<Secret>, file: &Option<String>, name: &str| -> Result<String> {
            match (inline, file) {
                (Some(value), _) if !value.is_empty() => notification.render(value.expose()),
                (_, Some(file)) => read_secret_file(file),
                _ => Err(Error::config(format!("missing {name} in Pushover config"))),
            }
        };
        let seconds = |value: &Option<String>, default: Duration| {
            let duration = value.as_deref().and_then(|text| PromDuration::parse(text).ok()).map_or(default, |d| d.0);
            duration.as_secs().to_string()
        };
        let mut params: Vec<(&str, String)> = vec![
            ("token", secret(&self.token, &self.token_file, "token")?),
            ("user", secret(&self.user_key, &self.user_key_file, "user key")?),
            ("title", truncate(&notification.field(&self.title, DEFAULT_TITLE)?, MAX_TITLE_CHARS)),
        ];
        let source = self.message.as_deref().unwrap_or(DEFAULT_MESSAGE);
        let message = if self.html {
            params.push(("html", "1".into()));
            notification.render_html(source)?
        } else {
            notification.render(source)?
        };
        // Cut first, then trimmed, as Alertmanager does.
        let message = truncate(&message, MAX_MESSAGE_CHARS);
        let message = message.trim();
        params.push(("message", if message.is_empty() { "(no details)".into() } else { message.to_string() }));
        params.push(("url", truncate(&notification.field(&self.url, DEFAULT_URL)?, MAX_URL_CHARS)));
        params.push(("url_title", notification.render(self.url_title.as_deref().unwrap_or_default())?));
        if let Some(device) = self.device.as_deref().filter(|d| !d.is_empty()) {
            params.push(("device", notification.render(device)?));
        }
        params.push(("priority", notification.field(&self.priority, DEFAULT_PRIORITY)?));
        params.push(("retry", seconds(&self.retry, DEFAULT_RETRY)));
        params.push(("expire", seconds(&self.expire, DEFAULT_EXPIRE)));
        let ttl = seconds(&self.ttl, Duration::ZERO);
        if ttl != "0" {
            params.push(("ttl", ttl));
        }
        params.push(("sound", notification.render(self.sound.as_deref().unwrap_or_default())?));
        params.sort();
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", query_escape(v))).collect();
        let url = format!("{API_URL}?{}", query.join("&"));
        let headers = vec![(reqwest::header::CONTENT_TYPE, "text/plain".to_string())];
        Ok(vec![Request { headers, secret_url: true, ..Request::post(url, Vec::new()) }])
    }
}
