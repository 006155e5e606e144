//! Slack incoming webhooks: Alertmanager's message (one attachment), at most one a second per webhook.

mod config;
mod message;

use std::time::Duration;

pub(crate) use config::SlackConfig;

use super::error::{Error, Result};
use super::http::read_secret_file;
use super::integration::{Integration, Notification, Request, TemplatedFields};
use super::payload::encode;
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;

/// Slack accepts about one message per second per incoming webhook.
const MESSAGE_SPACING: Duration = Duration::from_secs(1);

impl Integration for SlackConfig {
    fn kind(&self) -> &'static str {
        "slack"
    }

    fn send_resolved(&self) -> bool {
        self.send_resolved.unwrap_or(false)
    }

    fn http_config(&self) -> Option<&HttpConfig> {
        self.http_config.as_ref()
    }

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        match (&self.api_url, &self.api_url_file) {
            (Some(_), Some(_)) => {
                checker.error(format!("{path}.api_url"), "at most one of api_url & api_url_file must be configured")
            }
            (Some(url), None) => checker.secret_url(&format!("{path}.api_url"), url),
            (None, Some(_)) => {}
            (None, None) => {
                self.api_url = global.slack_api_url.clone();
                self.api_url_file = global.slack_api_url_file.clone();
            }
        }
        if let Some(file) = &mut self.api_url_file {
            *file = checker.existing_file(&format!("{path}.api_url_file"), file);
        }
        if self.api_url.is_none() && self.api_url_file.is_none() {
            checker.warn(
                format!("{path}.api_url"),
                format!(
                    "receiver {receiver:?}: no Slack API URL set inline, in a file or in global.slack_api_url; \
                     its Slack notifications will fail"
                ),
            );
        }
        for (j, field) in self.fields.iter().flatten().enumerate() {
            let path = format!("{path}.fields[{j}]");
            if field.title.is_empty() {
                checker.error(format!("{path}.title"), "missing title in Slack field configuration");
            }
            if field.value.is_empty() {
                checker.error(format!("{path}.value"), "missing value in Slack field configuration");
            }
        }
        for (j, action) in self.actions.iter_mut().flatten().enumerate() {
            let path = format!("{path}.actions[{j}]");
            if action.kind.is_empty() {
                checker.error(format!("{path}.type"), "missing type in Slack action configuration");
            }
            if action.text.is_empty() {
                checker.error(format!("{path}.text"), "missing text in Slack action configuration");
            }
            if action.confirm.as_ref().is_some_and(|c| c.text.is_empty()) {
                checker.error(format!("{path}.confirm.text"), "missing text in Slack confirmation configuration");
            }
            if !action.url.is_empty() {
                action.name.clear();
                action.value.clear();
                action.confirm = None;
            } else if action.name.is_empty() {
                checker.error(path.clone(), "missing name or url in Slack action configuration");
            }
        }
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add_all([
            ("channel", &self.channel),
            ("username", &self.username),
            ("color", &self.color),
            ("title", &self.title),
            ("title_link", &self.title_link),
            ("pretext", &self.pretext),
            ("text", &self.text),
            ("footer", &self.footer),
            ("fallback", &self.fallback),
            ("callback_id", &self.callback_id),
            ("icon_emoji", &self.icon_emoji),
            ("icon_url", &self.icon_url),
            ("image_url", &self.image_url),
            ("thumb_url", &self.thumb_url),
        ]);
        for (j, field) in self.fields.iter().flatten().enumerate() {
            fields.add(format!("fields[{j}].title"), Some(&field.title));
            fields.add(format!("fields[{j}].value"), Some(&field.value));
        }
        for (j, action) in self.actions.iter().flatten().enumerate() {
            for (name, value) in [
                ("type", &action.kind),
                ("text", &action.text),
                ("url", &action.url),
                ("style", &action.style),
                ("name", &action.name),
                ("value", &action.value),
            ] {
                fields.add(format!("actions[{j}].{name}"), Some(value));
            }
            if let Some(confirm) = &action.confirm {
                for (name, value) in [
                    ("text", &confirm.text),
                    ("title", &confirm.title),
                    ("ok_text", &confirm.ok_text),
                    ("dismiss_text", &confirm.dismiss_text),
                ] {
                    fields.add(format!("actions[{j}].confirm.{name}"), Some(value));
                }
            }
        }
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        message::DEFAULT_TEMPLATES.to_vec()
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let url = match (&self.api_url, &self.api_url_file) {
            (Some(url), _) if !url.is_empty() => url.expose().to_string(),
            (_, Some(file)) => read_secret_file(file)?,
            _ => {
                return Err(Error::config(
                    "no Slack API URL is configured (api_url, api_url_file or global.slack_api_url)",
                ));
            }
        };
        let message = message::render(self, notification)?;
        let context = format!("channel {:?}", message.channel);
        Ok(vec![Request {
            spacing: MESSAGE_SPACING,
            context: Some(context),
            secret_url: true,
            ..Request::post(url, encode(&message)?)
        }])
    }
}
