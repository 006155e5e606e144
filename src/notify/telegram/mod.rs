//! Telegram bots: `sendMessage` with Alertmanager 0.25's body (every value a string, keys sorted), the
//! message rendered as `html/template` renders it in the default HTML parse mode.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{Error, ErrorKind, Result};
use super::http::read_secret_file;
use super::integration::{Integration, Notification, Request, TemplatedFields, basics};
use super::payload::{encode, truncate};
use crate::config::Secret;
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;

const DEFAULT_MESSAGE: &str = r#"{{ template "telegram.default.message" . }}"#;

/// The Bot API unless `api_url` or `global.telegram_api_url` says otherwise.
pub(crate) const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// Telegram's longest message, in characters.
const MAX_MESSAGE_CHARS: usize = 4096;

const PARSE_MODES: [&str; 4] = ["", "Markdown", "MarkdownV2", "HTML"];

/// `telegram_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct TelegramConfig {
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
    /// Bot API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// The bot's token (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<Secret>,
    /// File holding the bot's token (read at each send; Alertmanager 0.26).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_token_file: Option<String>,
    /// The chat to post to (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<i64>,
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Send silently.
    #[serde(default, deserialize_with = "crate::config::model::yaml11::bool")]
    pub disable_notifications: bool,
    /// `HTML` (the default), `Markdown`, `MarkdownV2`, or empty for plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<String>,
}

impl Integration for TelegramConfig {
    basics!("telegram", send_resolved: true);

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        let token = self.bot_token.as_ref().is_some_and(|token| !token.is_empty());
        match (token, &mut self.bot_token_file) {
            (true, Some(_)) => checker
                .error(format!("{path}.bot_token"), "at most one of bot_token & bot_token_file must be configured"),
            (false, None) => checker.error(format!("{path}.bot_token"), "missing bot_token on telegram_config"),
            (false, Some(file)) => *file = checker.existing_file(&format!("{path}.bot_token_file"), file),
            (true, None) => {}
        }
        if self.chat_id.unwrap_or(0) == 0 {
            checker.error(format!("{path}.chat_id"), "missing chat_id on telegram_config");
        }
        let mode = self.parse_mode.get_or_insert_with(|| "HTML".to_string());
        if !PARSE_MODES.contains(&mode.as_str()) {
            checker.error(
                format!("{path}.parse_mode"),
                "unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string",
            );
        }
        checker.api_url(
            &format!("{path}.api_url"),
            &mut self.api_url,
            global.telegram_api_url.as_ref(),
            DEFAULT_API_URL,
        );
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
        let token = match (&self.bot_token, &self.bot_token_file) {
            (Some(token), _) if !token.is_empty() => token.expose().to_string(),
            (_, Some(file)) => read_secret_file(file)?,
            _ => return Err(Error::config("missing bot_token on telegram_config")),
        };
        let mode = self.parse_mode.as_deref().unwrap_or("HTML");
        let source = self.message.as_deref().unwrap_or(DEFAULT_MESSAGE);
        let text = if mode == "HTML" { notification.render_html(source)? } else { notification.render(source)? };
        let mut body: BTreeMap<&str, String> = BTreeMap::new();
        body.insert("chat_id", self.chat_id.unwrap_or_default().to_string());
        if self.disable_notifications {
            body.insert("disable_notification", "true".into());
        }
        body.insert("disable_web_page_preview", "true".into());
        if !mode.is_empty() {
            body.insert("parse_mode", mode.into());
        }
        body.insert("text", truncate(&text, MAX_MESSAGE_CHARS));
        // Plain concatenation, as Alertmanager builds it (a trailing `/` in api_url stays).
        let url = format!("{}/bot{token}/sendMessage", self.api_url.as_deref().unwrap_or(DEFAULT_API_URL));
        Ok(vec![Request { secret_url: true, check_answer: Some(check_answer), ..Request::post(url, encode(&body)?) }])
    }
}

/// The Bot API answers `{"ok":false,"error_code":…,"description":…}` when it refuses a message.
fn check_answer(status: u16, answer: &str) -> Result<()> {
    if !answer.contains("\"ok\":false") {
        return Ok(());
    }
    let parsed: serde_json::Value = serde_json::from_str(answer).unwrap_or_default();
    let code = parsed["error_code"].as_u64().and_then(|code| u16::try_from(code).ok()).unwrap_or(status);
    let description = parsed["description"].as_str().unwrap_or("the Bot API refused the message");
    let kind = match code {
        429 => ErrorKind::RateLimited { status: code },
        500.. => ErrorKind::ServerError { status: code },
        _ => ErrorKind::ClientError { status: code },
    };
    let mut err = Error::new(kind, format!("telegram: {description} ({code})"));
    err.retry_after = parsed["parameters"]["retry_after"].as_u64().map(std::time::Duration::from_secs);
    Err(err)
}
