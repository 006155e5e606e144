//! Generic webhooks: Alertmanager's webhook payload (version 4), POSTed as JSON.

mod config;

pub(crate) use config::WebhookConfig;
use serde::Serialize;

use super::data::{AlertData, NotificationData};
use super::error::{Error, Result};
use super::integration::{Integration, Notification, Request};
use super::payload::encode;
use crate::alert::format_go_time;
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;
use crate::labels::LabelSet;

/// The JSON body, field for field (and in the order) Alertmanager sends.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebhookPayload<'a> {
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
    /// Herald's addition, only on an escalation level's notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<WebhookEscalation<'a>>,
}

/// Which escalation level a notification is, in the webhook payload.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebhookEscalation<'a> {
    /// The level, from 1.
    pub level: usize,
    /// How many levels the policy has.
    pub levels: usize,
    /// The round, from 1.
    pub round: u32,
    /// When the group began firing (RFC 3339).
    pub since: String,
    /// The level's `after`.
    pub after: String,
    /// The route's own receiver, notified first.
    pub route_receiver: &'a str,
}

/// One alert in the payload.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebhookAlert<'a> {
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
    /// The payload for `data`, cut from `total` alerts by `max_alerts`.
    pub(crate) fn new(data: &'a NotificationData, group_key: &'a str, total: usize) -> Self {
        WebhookPayload {
            receiver: &data.receiver,
            status: data.status,
            alerts: data.alerts.iter().map(webhook_alert).collect(),
            group_labels: &data.group_labels,
            common_labels: &data.common_labels,
            common_annotations: &data.common_annotations,
            external_url: &data.external_url,
            version: "4",
            group_key,
            truncated_alerts: total - data.alerts.len(),
            escalation: data.escalation.as_ref().map(|step| WebhookEscalation {
                level: step.level,
                levels: step.levels,
                round: step.round,
                since: format_go_time(Some(step.since)),
                after: crate::config::PromDuration(step.after).to_string(),
                route_receiver: &step.route_receiver,
            }),
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

impl Integration for WebhookConfig {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn send_resolved(&self) -> bool {
        self.send_resolved.unwrap_or(true)
    }

    fn http_config(&self) -> Option<&HttpConfig> {
        self.http_config.as_ref()
    }

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        match &self.url {
            None => checker.error(format!("{path}.url"), "missing URL in webhook config"),
            Some(url) => checker.secret_url(&format!("{path}.url"), url),
        }
        checker.inherit_http_config(path, &mut self.http_config, global);
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        Vec::new()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        Vec::new()
    }

    fn uses_templates(&self) -> bool {
        false
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let url = self.url.as_ref().ok_or_else(|| Error::config("webhook has no url"))?;
        // Alertmanager builds the data from the alerts it keeps: their status and common labels.
        let limit = usize::try_from(self.max_alerts).unwrap_or(usize::MAX);
        let truncated = if limit == 0 { None } else { notification.data.truncated(limit) };
        let data = truncated.as_ref().unwrap_or(notification.data);
        let payload = WebhookPayload::new(data, notification.group_key, notification.data.alerts.len());
        Ok(vec![Request { secret_url: true, ..Request::post(url.expose(), encode(&payload)?) }])
    }
}
