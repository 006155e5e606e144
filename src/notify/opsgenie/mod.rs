//! Opsgenie: create an alert (and with `update_alerts`, update its message and description) while the group
//! fires, close it by alias when everything resolved. The alias is the SHA-256 of the group key.

mod config;
mod message;

pub(crate) use config::OpsgenieConfig;

use super::error::Result;
use super::integration::{AckNotice, Integration, Notification, Request, TemplatedFields};
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::{Checker, clear_empty, clear_empty_secret};

/// The responder types Opsgenie knows (`teams` is Alertmanager's comma-separated list of teams).
const RESPONDER_TYPES: [&str; 5] = ["team", "teams", "user", "escalation", "schedule"];

impl Integration for OpsgenieConfig {
    fn kind(&self) -> &'static str {
        "opsgenie"
    }

    fn send_resolved(&self) -> bool {
        self.send_resolved.unwrap_or(true)
    }

    fn http_config(&self) -> Option<&HttpConfig> {
        self.http_config.as_ref()
    }

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        clear_empty_secret(&mut self.api_key);
        clear_empty(&mut self.api_key_file);
        if self.api_key.is_some() && self.api_key_file.is_some() {
            checker.error(format!("{path}.api_key"), "at most one of api_key & api_key_file must be configured");
        }
        if self.api_key.is_none() && self.api_key_file.is_none() {
            self.api_key = global.opsgenie_api_key.clone();
            self.api_key_file = global.opsgenie_api_key_file.clone();
            if self.api_key.is_none() && self.api_key_file.is_none() {
                checker.error(format!("{path}.api_key"), "no global OpsGenie API Key set either inline or in a file");
            }
        }
        if let Some(file) = &mut self.api_key_file {
            *file = checker.existing_file(&format!("{path}.api_key_file"), file);
        }
        match &self.api_url {
            Some(url) => checker.url(&format!("{path}.api_url"), url),
            None => self.api_url = global.opsgenie_api_url.clone(),
        }
        if let Some(url) = &mut self.api_url
            && !url.ends_with('/')
        {
            url.push('/');
        }
        for (j, responder) in self.responders.iter().flatten().enumerate() {
            let path = format!("{path}.responders[{j}]");
            if responder.id.is_empty() && responder.name.is_empty() && responder.username.is_empty() {
                checker.error(path.clone(), "responder has to have at least one of id, username or name specified");
            }
            if !responder.kind.contains("{{") && !RESPONDER_TYPES.contains(&responder.kind.to_lowercase().as_str()) {
                checker.error(
                    format!("{path}.type"),
                    format!(
                        "responder type {:?} does not match valid options ^(team|teams|user|escalation|schedule)$",
                        responder.kind
                    ),
                );
            }
        }
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add("api_key", self.api_key.as_ref().map(|s| s.expose()));
        fields.add_all([
            ("message", &self.message),
            ("description", &self.description),
            ("source", &self.source),
            ("entity", &self.entity),
            ("actions", &self.actions),
            ("tags", &self.tags),
            ("note", &self.note),
            ("priority", &self.priority),
        ]);
        for (key, value) in self.details.iter().flatten() {
            fields.add(format!("details.{key}"), Some(value));
        }
        for (j, responder) in self.responders.iter().flatten().enumerate() {
            for (name, value) in [
                ("id", &responder.id),
                ("name", &responder.name),
                ("username", &responder.username),
                ("type", &responder.kind),
            ] {
                fields.add(format!("responders[{j}].{name}"), Some(value));
            }
        }
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        message::DEFAULT_TEMPLATES.to_vec()
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        message::requests(self, notification)
    }

    fn acknowledgement(&self, notification: &Notification<'_>, ack: &AckNotice<'_>) -> Option<Result<Vec<Request>>> {
        Some(message::acknowledgement(self, notification, ack))
    }
}
