//! What each integration of a receiver would send for a notification, rendered but not sent: for checking
//! templates before an incident does.

use serde::Serialize;
use serde_json::Value;

use super::data::NotificationData;
use super::webhook::WebhookPayload;
use super::{Integration, IntegrationSpec, opsgenie, pagerduty, slack};
use crate::config::REDACTED;
use crate::template::{Templates, template_data};

/// One integration's rendering.
#[derive(Debug, Serialize)]
pub struct IntegrationPreview {
    /// `webhook`, `slack`, `pagerduty` or `opsgenie`.
    pub integration: &'static str,
    /// Position within the receiver's list of that kind.
    pub index: usize,
    /// The requests it would make (none when rendering failed).
    pub requests: Vec<RequestPreview>,
    /// Why it would fail, if it would.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A request, with secrets redacted.
#[derive(Debug, Serialize)]
pub struct RequestPreview {
    /// HTTP method.
    pub method: String,
    /// Where it goes (`<secret>` for Slack webhook URLs, which are credentials).
    pub url: String,
    /// The JSON body.
    pub body: Value,
}

/// Renders every integration for `data`.
pub fn preview(
    integrations: &[IntegrationSpec],
    templates: &Templates,
    data: &NotificationData,
    group_key: &str,
) -> Vec<IntegrationPreview> {
    let template_data = template_data(data);
    integrations
        .iter()
        .map(|spec| {
            let rendered = render(&spec.integration, templates, data, &template_data, group_key);
            let (requests, error) = match rendered {
                Ok(requests) => (requests, None),
                Err(err) => (Vec::new(), Some(err.message)),
            };
            IntegrationPreview { integration: spec.kind, index: spec.index, requests, error }
        })
        .collect()
}

fn render(
    integration: &Integration,
    templates: &Templates,
    data: &NotificationData,
    template_data: &Value,
    group_key: &str,
) -> super::error::Result<Vec<RequestPreview>> {
    match integration {
        Integration::Webhook(config) => Ok(vec![RequestPreview {
            method: "POST".into(),
            url: config.url.clone().unwrap_or_default(),
            body: json(&WebhookPayload::new(data, group_key, config.max_alerts)),
        }]),
        Integration::Slack(config) => Ok(vec![RequestPreview {
            method: "POST".into(),
            url: REDACTED.into(),
            body: json(&slack::render(config, templates, template_data)?),
        }]),
        Integration::Pagerduty(config) => {
            let mut message = pagerduty::render(config, templates, data, template_data, group_key)?;
            let url = pagerduty::endpoint(config, !message.service_key.is_empty());
            // The keys are credentials: show that they rendered, not what they are.
            for key in [&mut message.routing_key, &mut message.service_key] {
                if !key.is_empty() {
                    *key = REDACTED.to_string();
                }
            }
            Ok(vec![RequestPreview { method: "POST".into(), url, body: json(&message) }])
        }
        Integration::Opsgenie(config) => {
            let (requests, _key) = opsgenie::requests(config, templates, data, template_data, group_key)?;
            Ok(requests
                .into_iter()
                .map(|request| RequestPreview {
                    method: request.method.to_string(),
                    url: request.url,
                    body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
                })
                .collect())
        }
    }
}

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
