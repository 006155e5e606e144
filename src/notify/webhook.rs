//! Generic webhooks: Alertmanager's webhook payload (version 4), POSTed as JSON.

use serde::Serialize;

use super::data::{AlertData, NotificationData};
use super::error::{Error, Result};
use std::time::Duration;

use super::http::{HttpClients, authorize, send_paced};
use crate::alert::format_go_time;
use crate::config::model::WebhookConfig;
use crate::labels::LabelSet;

/// The JSON body, field for field (and in the order) Alertmanager sends.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload<'a> {
    /// Receiver name (regex-escaped).
    pub receiver: &'a str,
    /// `firing` or `resolved`.
    pub status: &'a str,
    /// The alerts, at most `max_alerts`.
    pub alerts: Vec<WebhookAlert<'a>>,
    /// Group labels.
    pub group_labels: &'a LabelSet,
    /// Labels common to all alerts.
    pub common_labels: &'a LabelSet,
    /// Annotations common to all alerts.
    pub common_annotations: &'a LabelSet,
    /// Herald's external URL.
    #[serde(rename = "externalURL")]
    pub external_url: &'a str,
    /// Payload version, always `"4"`.
    pub version: &'a str,
    /// Alertmanager's group key.
    pub group_key: &'a str,
    /// How many alerts `max_alerts` left out.
    pub truncated_alerts: usize,
}

/// One alert in the payload.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAlert<'a> {
    /// `firing` or `resolved`.
    pub status: &'a str,
    /// Labels.
    pub labels: &'a LabelSet,
    /// Annotations.
    pub annotations: &'a LabelSet,
    /// RFC 3339 with nanoseconds.
    pub starts_at: String,
    /// Go's zero time while firing.
    pub ends_at: String,
    /// Link to the source.
    #[serde(rename = "generatorURL")]
    pub generator_url: &'a str,
    /// 16 hex digits.
    pub fingerprint: &'a str,
}

impl<'a> WebhookPayload<'a> {
    /// The payload for `data`, keeping the first `max_alerts` alerts (0 = all).
    pub fn new(data: &'a NotificationData, group_key: &'a str, max_alerts: u64) -> Self {
        let limit = if max_alerts == 0 { usize::MAX } else { usize::try_from(max_alerts).unwrap_or(usize::MAX) };
        let kept = data.alerts.len().min(limit);
        WebhookPayload {
            receiver: &data.receiver,
            status: data.status,
            alerts: data.alerts[..kept].iter().map(webhook_alert).collect(),
            group_labels: &data.group_labels,
            common_labels: &data.common_labels,
            common_annotations: &data.common_annotations,
            external_url: &data.external_url,
            version: "4",
            group_key,
            truncated_alerts: data.alerts.len() - kept,
        }
    }
}

fn webhook_alert(alert: &AlertData) -> WebhookAlert<'_> {
    WebhookAlert {
        status: alert.status,
        labels: &alert.labels,
        annotations: &alert.annotations,
        starts_at: format_go_time(Some(alert.starts_at)),
        ends_at: format_go_time(alert.ends_at),
        generator_url: &alert.generator_url,
        fingerprint: &alert.fingerprint,
    }
}

/// POSTs one notification to the webhook.
pub async fn send(
    clients: &HttpClients,
    config: &WebhookConfig,
    data: &NotificationData,
    group_key: &str,
) -> Result<()> {
    let url = config.url.as_deref().ok_or_else(|| Error::permanent("webhook has no url"))?;
    let body = super::json::to_go_json(&WebhookPayload::new(data, group_key, config.max_alerts))
        .map_err(|err| Error::permanent(format!("encoding the payload: {err}")))?;
    let client = clients.client_for(config.http_config.as_ref())?;
    let request = client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
    let request = authorize(request, config.http_config.as_ref())?;
    send_paced(clients, url, Duration::ZERO, request).await.map(drop)
}
