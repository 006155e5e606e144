//! PagerDuty's events as Alertmanager builds them, for both API versions, and where each goes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::PagerdutyConfig;
use crate::notify::error::{Error, Result};
use crate::notify::http::secret_or_file;
use crate::notify::integration::{AckNotice, Notification};
use crate::notify::payload::{hash_key, to_go_json, truncate};

/// The default Events API v2 endpoint (`global.pagerduty_url`).
pub(crate) const V2_DEFAULT_URL: &str = "https://events.pagerduty.com/v2/enqueue";
/// PagerDuty's limit on summaries and descriptions, in characters.
const MAX_SUMMARY_CHARS: usize = 1024;
/// PagerDuty's limit on a whole event, in bytes.
const MAX_EVENT_BYTES: usize = 512_000;

const DEFAULT_DESCRIPTION: &str = r#"{{ template "pagerduty.default.description" .}}"#;
const DEFAULT_CLIENT: &str = r#"{{ template "pagerduty.default.client" . }}"#;
const DEFAULT_CLIENT_URL: &str = r#"{{ template "pagerduty.default.clientURL" . }}"#;
const DEFAULT_DETAILS: [(&str, &str); 4] = [
    ("firing", r#"{{ template "pagerduty.default.instances" .Alerts.Firing }}"#),
    ("resolved", r#"{{ template "pagerduty.default.instances" .Alerts.Resolved }}"#),
    ("num_firing", "{{ .Alerts.Firing | len }}"),
    ("num_resolved", "{{ .Alerts.Resolved | len }}"),
];

/// Defaults of unset fields, compiled with the config's templates.
pub(super) fn default_templates() -> impl Iterator<Item = &'static str> {
    [DEFAULT_DESCRIPTION, DEFAULT_CLIENT, DEFAULT_CLIENT_URL].into_iter().chain(DEFAULT_DETAILS.iter().map(|(_, t)| *t))
}

/// The event, field for field (and in the order) Alertmanager sends it, for both API versions.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct PagerdutyMessage {
    /// v2 key.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub routing_key: String,
    /// v1 key.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service_key: String,
    /// v2 dedup key.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dedup_key: String,
    /// v1 dedup key.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub incident_key: String,
    /// v1 `trigger` or `resolve`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub event_type: String,
    /// v1 description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// v2 `trigger` or `resolve` (empty, but present, in v1).
    pub event_action: String,
    /// v2 payload (`null` in v1).
    pub payload: Option<PagerdutyPayload>,
    /// Client name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client: String,
    /// Client link.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_url: String,
    /// v1 details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<BTreeMap<String, String>>,
    /// v2 images.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// v2 links.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// The v2 payload.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct PagerdutyPayload {
    /// Summary (at most 1024 characters).
    pub summary: String,
    /// Affected system.
    pub source: String,
    /// `critical`, `error`, `warning` or `info`.
    pub severity: String,
    /// Class.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub class: String,
    /// Component.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub component: String,
    /// Group.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Details.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_details: BTreeMap<String, String>,
}

/// An image.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct Image {
    /// Source.
    pub src: String,
    /// Alternative text.
    pub alt: String,
    /// Link.
    pub href: String,
}

/// A link.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct Link {
    /// Target.
    pub href: String,
    /// Text.
    pub text: String,
}

/// Builds the event for a notification.
pub(super) fn render(config: &PagerdutyConfig, notification: &Notification<'_>) -> Result<PagerdutyMessage> {
    let tmpl = |source: &str| notification.render(source);
    let field = |value: &Option<String>, default: &str| notification.field(value, default);
    let resolve = notification.data.status == "resolved";
    let event = if resolve { "resolve" } else { "trigger" };
    let mut details = BTreeMap::new();
    for (key, source) in config.details.iter().flatten() {
        details.insert(key.clone(), tmpl(source)?);
    }
    for (key, source) in DEFAULT_DETAILS {
        if !details.contains_key(key) && !config.details.as_ref().is_some_and(|d| d.contains_key(key)) {
            details.insert(key.to_string(), tmpl(source)?);
        }
    }
    let client = field(&config.client, DEFAULT_CLIENT)?;
    let client_url = field(&config.client_url, DEFAULT_CLIENT_URL)?;
    let description = truncate(&field(&config.description, DEFAULT_DESCRIPTION)?, MAX_SUMMARY_CHARS);
    let dedup = hash_key(notification.group_key);

    if let Some(service_key) = v1_key(config)? {
        let service_key = tmpl(&service_key)?;
        if service_key.is_empty() {
            return Err(Error::config("service key cannot be empty (its template rendered nothing)"));
        }
        let (client, client_url) = if resolve { (String::new(), String::new()) } else { (client, client_url) };
        return Ok(PagerdutyMessage {
            routing_key: String::new(),
            service_key,
            dedup_key: String::new(),
            incident_key: dedup,
            event_type: event.to_string(),
            description,
            event_action: String::new(),
            payload: None,
            client,
            client_url,
            details: Some(details),
            images: Vec::new(),
            links: Vec::new(),
        });
    }
    let routing_key = tmpl(&v2_key(config)?)?;
    if routing_key.is_empty() {
        return Err(Error::config("routing key cannot be empty (its template rendered nothing)"));
    }
    let mut images = Vec::new();
    for image in config.images.iter().flatten() {
        let image = Image { src: tmpl(&image.src)?, alt: tmpl(&image.alt)?, href: tmpl(&image.href)? };
        if !image.src.is_empty() {
            images.push(image);
        }
    }
    let mut links = Vec::new();
    for link in config.links.iter().flatten() {
        let link = Link { href: tmpl(&link.href)?, text: tmpl(&link.text)? };
        if !link.href.is_empty() {
            links.push(link);
        }
    }
    let payload = PagerdutyPayload {
        summary: description,
        // An empty source takes the client, as in Alertmanager.
        source: match config.source.as_deref().filter(|s| !s.is_empty()) {
            Some(source) => tmpl(source)?,
            None => client.clone(),
        },
        severity: field(&config.severity, "error")?,
        class: field(&config.class, "")?,
        component: field(&config.component, "")?,
        group: field(&config.group, "")?,
        custom_details: details,
    };
    Ok(PagerdutyMessage {
        routing_key,
        service_key: String::new(),
        dedup_key: dedup,
        incident_key: String::new(),
        event_type: String::new(),
        description: String::new(),
        event_action: event.to_string(),
        payload: Some(payload),
        client,
        client_url,
        details: None,
        images,
        links,
    })
}

/// The `acknowledge` event for the incident `event` (a rendered trigger) opened: v2 `{routing_key,
/// dedup_key, event_action}`, v1 `{service_key, incident_key, event_type, description}`.
pub(super) fn acknowledge_event(event: &PagerdutyMessage, ack: &AckNotice<'_>) -> Result<Vec<u8>> {
    let body = if event.service_key.is_empty() {
        serde_json::json!({
            "routing_key": event.routing_key,
            "dedup_key": event.dedup_key,
            "event_action": "acknowledge",
        })
    } else {
        let mut description = format!("Acknowledged in Herald by {}", ack.by);
        if !ack.comment.is_empty() {
            description.push_str(": ");
            description.push_str(ack.comment);
        }
        serde_json::json!({
            "service_key": event.service_key,
            "incident_key": event.incident_key,
            "event_type": "acknowledge",
            "description": truncate(&description, MAX_SUMMARY_CHARS),
        })
    };
    to_go_json(&body).map_err(|err| Error::config(format!("encoding the payload: {err}")))
}

/// The v1 key (inline or from its file), if this config uses Events API v1 (as in Alertmanager, a
/// `service_key` wins over a `routing_key`).
fn v1_key(config: &PagerdutyConfig) -> Result<Option<String>> {
    secret_or_file(&config.service_key, &config.service_key_file)
}

fn v2_key(config: &PagerdutyConfig) -> Result<String> {
    secret_or_file(&config.routing_key, &config.routing_key_file)?
        .ok_or_else(|| Error::config("no routing_key or service_key is configured"))
}

/// Encodes the event; one over PagerDuty's size limit loses its details, as Alertmanager does it.
pub(super) fn encode(message: &mut PagerdutyMessage) -> Result<Vec<u8>> {
    let encode = |message: &PagerdutyMessage| {
        to_go_json(message).map_err(|err| Error::config(format!("encoding the payload: {err}")))
    };
    let body = encode(message)?;
    if body.len() <= MAX_EVENT_BYTES {
        return Ok(body);
    }
    let notice = BTreeMap::from([(
        "error".to_string(),
        "Custom details have been removed because the original event exceeds the maximum size of 512kB".to_string(),
    )]);
    tracing::warn!(bytes = body.len(), limit = MAX_EVENT_BYTES, "PagerDuty event too large; details removed.");
    match &mut message.payload {
        Some(payload) => payload.custom_details = notice,
        None => message.details = Some(notice),
    }
    encode(message)
}

/// Where an event goes. v2: `url`. v1: PagerDuty's v1 endpoint on the host of a PagerDuty v2 URL (the
/// default, or a regional one), or `url` itself when it points elsewhere (a proxy, a test server).
pub(super) fn endpoint(config: &PagerdutyConfig, v1: bool) -> String {
    let url = config.url.clone().unwrap_or_else(|| V2_DEFAULT_URL.to_string());
    if !v1 {
        return url;
    }
    match url.strip_suffix("/v2/enqueue") {
        Some(host) => format!("{host}/generic/2010-04-15/create_event.json"),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PagerDuty's fixed Events API v1 endpoint.
    const V1_URL: &str = "https://events.pagerduty.com/generic/2010-04-15/create_event.json";

    #[test]
    fn v1_events_go_to_the_v1_endpoint_of_a_pagerduty_host_or_to_a_custom_url() {
        let with = |url: &str| PagerdutyConfig { url: Some(url.to_string()), ..PagerdutyConfig::default() };
        assert_eq!(endpoint(&with(V2_DEFAULT_URL), true), V1_URL);
        assert_eq!(
            endpoint(&with("https://events.eu.pagerduty.com/v2/enqueue"), true),
            "https://events.eu.pagerduty.com/generic/2010-04-15/create_event.json"
        );
        assert_eq!(endpoint(&with("http://proxy/pd"), true), "http://proxy/pd");
        assert_eq!(endpoint(&with("http://proxy/pd"), false), "http://proxy/pd");
    }
}
