//! VictorOps (Splunk On-Call) REST endpoint: Alertmanager 0.25's alert, one incident per group (its entity id
//! is the group key's hash), recovered when the group resolves.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::http::secret_or_file;
use super::integration::{Integration, Notification, Request, TemplatedFields, basics};
use super::payload::{encode, hash_key, truncate};
use crate::config::Secret;
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;

const DEFAULT_STATE_MESSAGE: &str = r#"{{ template "victorops.default.state_message" . }}"#;
const DEFAULT_ENTITY_DISPLAY_NAME: &str = r#"{{ template "victorops.default.entity_display_name" . }}"#;
const DEFAULT_MONITORING_TOOL: &str = r#"{{ template "victorops.default.monitoring_tool" . }}"#;

/// The REST endpoint unless `api_url` or `global.victorops_api_url` says otherwise.
pub(crate) const DEFAULT_API_URL: &str = "https://alert.victorops.com/integrations/generic/20131114/alert/";

/// The longest state message VictorOps takes, in characters.
const MAX_STATE_MESSAGE_CHARS: usize = 20480;

/// The body keys Alertmanager sets itself, which custom fields may not use.
const RESERVED: [&str; 7] = [
    "routing_key",
    "message_type",
    "state_message",
    "entity_display_name",
    "monitoring_tool",
    "entity_id",
    "entity_state",
];

/// `victorops_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct VictoropsConfig {
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
    /// The REST integration's API key (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
    /// File holding the API key (read at each send, trimmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_file: Option<String>,
    /// REST endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// Routing key (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key: Option<String>,
    /// `CRITICAL` (the default), `WARNING` or `INFO` while firing; always `RECOVERY` once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// Long description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_message: Option<String>,
    /// Summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_display_name: Option<String>,
    /// The sender's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring_tool: Option<String>,
    /// More body fields (values templated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<BTreeMap<String, String>>,
}

impl Integration for VictoropsConfig {
    basics!("victorops", send_resolved: true);

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        if self.routing_key.as_deref().is_none_or(str::is_empty) {
            checker.error(format!("{path}.routing_key"), "missing Routing key in VictorOps config");
        }
        crate::config::validate::clear_empty_secret(&mut self.api_key);
        match (&self.api_key, &mut self.api_key_file) {
            (Some(_), Some(_)) => {
                checker.error(format!("{path}.api_key"), "at most one of api_key & api_key_file must be configured")
            }
            (None, Some(file)) => *file = checker.existing_file(&format!("{path}.api_key_file"), file),
            (Some(_), None) => {}
            (None, None) => {
                self.api_key = global.victorops_api_key.clone();
                self.api_key_file = global.victorops_api_key_file.clone();
                if self.api_key.is_none() && self.api_key_file.is_none() {
                    checker.error(format!("{path}.api_key"), "no global VictorOps API Key set");
                }
            }
        }
        if let Some(field) =
            RESERVED.iter().find(|name| self.custom_fields.as_ref().is_some_and(|f| f.contains_key(**name)))
        {
            checker.error(
                format!("{path}.custom_fields.{field}"),
                format!(
                    "victorOps config contains custom field {field} which cannot be used as it conflicts with the fixed/static fields"
                ),
            );
        }
        checker.api_url(
            &format!("{path}.api_url"),
            &mut self.api_url,
            global.victorops_api_url.as_ref(),
            DEFAULT_API_URL,
        );
        if let Some(url) = &mut self.api_url
            && !url.ends_with('/')
        {
            url.push('/');
        }
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add_all([
            ("routing_key", &self.routing_key),
            ("message_type", &self.message_type),
            ("state_message", &self.state_message),
            ("entity_display_name", &self.entity_display_name),
            ("monitoring_tool", &self.monitoring_tool),
        ]);
        for (name, value) in self.custom_fields.iter().flatten() {
            fields.add(format!("custom_fields.{name}"), Some(value));
        }
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        vec![DEFAULT_STATE_MESSAGE, DEFAULT_ENTITY_DISPLAY_NAME, DEFAULT_MONITORING_TOOL]
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let key = secret_or_file(&self.api_key, &self.api_key_file)?
            .ok_or_else(|| Error::config("no VictorOps API key is configured"))?;
        let routing_key = notification.render(self.routing_key.as_deref().unwrap_or_default())?;
        let mut url = url::Url::parse(self.api_url.as_deref().unwrap_or(DEFAULT_API_URL))
            .map_err(|err| Error::config(format!("api_url: {err}")))?;
        // The key and routing key extend the path (escaped as Go escapes a path); a query stays.
        let path = format!("{}{key}/{routing_key}", url.path());
        url.set_path(&path);
        let resolved = notification.data.status == "resolved";
        let message_type = match notification.render(self.message_type.as_deref().unwrap_or("CRITICAL"))? {
            _ if resolved => "RECOVERY".to_string(),
            kind if ["INFO", "WARNING", "CRITICAL"].contains(&kind.as_str()) => kind,
            _ => "CRITICAL".to_string(),
        };
        let mut body: BTreeMap<String, String> = BTreeMap::new();
        body.insert("message_type".into(), message_type);
        body.insert("entity_id".into(), hash_key(notification.group_key));
        body.insert(
            "entity_display_name".into(),
            notification.field(&self.entity_display_name, DEFAULT_ENTITY_DISPLAY_NAME)?,
        );
        let state_message = notification.field(&self.state_message, DEFAULT_STATE_MESSAGE)?;
        body.insert("state_message".into(), truncate(&state_message, MAX_STATE_MESSAGE_CHARS));
        body.insert("monitoring_tool".into(), notification.field(&self.monitoring_tool, DEFAULT_MONITORING_TOOL)?);
        for (name, value) in self.custom_fields.iter().flatten() {
            body.insert(name.clone(), notification.render(value)?);
        }
        Ok(vec![Request { secret_url: true, ..Request::post(url.to_string(), encode(&body)?) }])
    }
}
