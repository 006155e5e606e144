//! The requests Alertmanager makes to Opsgenie's alert API for a notification, with their bodies.

use std::collections::BTreeMap;

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde::Serialize;

use super::config::OpsgenieConfig;
use crate::notify::error::{Error, Result};
use crate::notify::http::read_secret_file;
use crate::notify::integration::{AckNotice, Notification, Request};
use crate::notify::payload::{encode, hash_key, truncate};

/// Opsgenie's limit on the alert message, in characters.
const MAX_MESSAGE_CHARS: usize = 130;
/// Opsgenie's limit on the description, in characters (Alertmanager does not cut it; Opsgenie refuses longer).
const MAX_DESCRIPTION_CHARS: usize = 15_000;
/// Opsgenie keeps at most 20 tags of at most 50 characters.
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 50;

const DEFAULT_MESSAGE: &str = r#"{{ template "opsgenie.default.message" . }}"#;
const DEFAULT_DESCRIPTION: &str = r#"{{ template "opsgenie.default.description" . }}"#;
const DEFAULT_SOURCE: &str = r#"{{ template "opsgenie.default.source" . }}"#;

/// Defaults of unset fields, compiled with the config's templates.
pub(super) const DEFAULT_TEMPLATES: [&str; 3] = [DEFAULT_MESSAGE, DEFAULT_DESCRIPTION, DEFAULT_SOURCE];

/// The create-alert body, field for field (and in the order) Alertmanager sends it.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct CreateAlert {
    /// SHA-256 of the group key.
    pub alias: String,
    /// At most 130 characters.
    pub message: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Common labels, overlaid by the configured details.
    pub details: BTreeMap<String, String>,
    /// Source.
    pub source: String,
    /// Who is notified.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub responders: Vec<Responder>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Note.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// `P1`..`P5`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub priority: String,
    /// Entity.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub entity: String,
    /// Actions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
}

/// A rendered responder.
#[derive(Debug, Serialize, PartialEq, Clone, Default)]
pub(super) struct Responder {
    /// Id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// User name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// `team`, `user`, `escalation` or `schedule`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The requests for a notification, in order, each carrying the API key.
pub(super) fn requests(config: &OpsgenieConfig, notification: &Notification<'_>) -> Result<Vec<Request>> {
    let tmpl = |source: &str| notification.render(source);
    let field = |value: &Option<String>, default: &str| notification.field(value, default);
    let data = notification.data;
    let base = config.api_url.clone().unwrap_or_default();
    let alias = hash_key(notification.group_key);
    let mut out = Vec::new();
    if data.status == "resolved" {
        let body = encode(&serde_json::json!({"source": field(&config.source, DEFAULT_SOURCE)?}))?;
        out.push(Request::post(format!("{base}v2/alerts/{alias}/close?identifierType=alias"), body));
    } else {
        let mut details: BTreeMap<String, String> =
            data.common_labels.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        for (key, value) in config.details.iter().flatten() {
            details.insert(key.clone(), tmpl(value)?);
        }
        let mut responders = Vec::new();
        for responder in config.responders.iter().flatten() {
            let rendered = Responder {
                id: tmpl(&responder.id)?,
                name: tmpl(&responder.name)?,
                username: tmpl(&responder.username)?,
                kind: tmpl(&responder.kind)?,
            };
            if rendered == Responder::default() {
                continue;
            }
            if rendered.kind == "teams" {
                // As Alertmanager: trim the list, split on commas, drop empty names (not trimmed one by one).
                for team in split_list(&rendered.name) {
                    responders.push(Responder { name: team, kind: "team".into(), ..Responder::default() });
                }
                continue;
            }
            responders.push(rendered);
        }
        let create = CreateAlert {
            alias: alias.clone(),
            message: truncate(&field(&config.message, DEFAULT_MESSAGE)?, MAX_MESSAGE_CHARS),
            description: truncate(&field(&config.description, DEFAULT_DESCRIPTION)?, MAX_DESCRIPTION_CHARS),
            details,
            source: field(&config.source, DEFAULT_SOURCE)?,
            responders,
            tags: split_list(&field(&config.tags, "")?)
                .into_iter()
                .take(MAX_TAGS)
                .map(|tag| truncate(&tag, MAX_TAG_CHARS))
                .collect(),
            note: field(&config.note, "")?,
            priority: field(&config.priority, "")?,
            entity: field(&config.entity, "")?,
            actions: split_list(&field(&config.actions, "")?),
        };
        out.push(Request::post(format!("{base}v2/alerts"), encode(&create)?));
        if config.update_alerts {
            let message = encode(&serde_json::json!({"message": create.message}))?;
            out.push(Request::new(
                Method::PUT,
                format!("{base}v2/alerts/{alias}/message?identifierType=alias"),
                message,
            ));
            // Like Alertmanager's struct with `omitempty`: an empty description is left out.
            let description = if create.description.is_empty() {
                encode(&serde_json::json!({}))?
            } else {
                encode(&serde_json::json!({"description": create.description}))?
            };
            let url = format!("{base}v2/alerts/{alias}/description?identifierType=alias");
            out.push(Request::new(Method::PUT, url, description));
        }
    }
    authorize(config, notification, out)
}

/// The request that acknowledges the group's alert (or withdraws the acknowledgement), by alias, with who
/// and their comment as Opsgenie's `user` and `note`.
pub(super) fn acknowledgement(
    config: &OpsgenieConfig,
    notification: &Notification<'_>,
    ack: &AckNotice<'_>,
) -> Result<Vec<Request>> {
    let base = config.api_url.clone().unwrap_or_default();
    let alias = hash_key(notification.group_key);
    let action = if ack.acknowledged { "acknowledge" } else { "unacknowledge" };
    let mut body = serde_json::json!({"source": "Herald"});
    if !ack.by.is_empty() {
        body["user"] = serde_json::Value::from(ack.by);
    }
    if !ack.comment.is_empty() {
        body["note"] = serde_json::Value::from(ack.comment);
    }
    let request = Request::post(format!("{base}v2/alerts/{alias}/{action}?identifierType=alias"), encode(&body)?);
    authorize(config, notification, vec![request])
}

/// Adds the API key (rendered, or read from its file) to each request.
fn authorize(config: &OpsgenieConfig, notification: &Notification<'_>, mut out: Vec<Request>) -> Result<Vec<Request>> {
    let key = match (&config.api_key, &config.api_key_file) {
        (Some(key), _) => notification.render(key.expose())?,
        (None, Some(file)) => read_secret_file(file)?,
        (None, None) => String::new(),
    };
    if key.is_empty() {
        // Alertmanager would send `GenieKey ` and get a 422; say what is wrong instead.
        return Err(Error::config("the API key is empty (its template rendered nothing)"));
    }
    for request in &mut out {
        request.headers.push((AUTHORIZATION, format!("GenieKey {key}")));
    }
    Ok(out)
}

/// Alertmanager's `safeSplit`: trim the whole, split on commas, drop empty items.
fn split_list(text: &str) -> Vec<String> {
    text.trim().split(',').filter(|item| !item.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_like_alertmanager() {
        assert_eq!(split_list(" a,b,,c "), vec!["a", "b", "c"]);
        assert!(split_list("").is_empty());
    }
}
