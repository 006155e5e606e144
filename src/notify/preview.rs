//! What each integration of a receiver would send for a notification, rendered but not sent: for checking
//! templates before an incident does.

use serde::Serialize;
use serde_json::Value;

use super::IntegrationSpec;
use super::data::NotificationData;
use super::integration::{Notification, Request};
use crate::config::REDACTED;
use crate::template::{TemplateData, Templates};

/// One integration's rendering.
#[derive(Debug, Serialize)]
pub(crate) struct IntegrationPreview {
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
pub(crate) struct RequestPreview {
    /// HTTP method.
    pub method: String,
    /// Where it goes (`<secret>` for Slack webhook URLs, which are credentials).
    pub url: String,
    /// The JSON body.
    pub body: Value,
}

/// Renders every integration for `data`: the requests it would send, secrets redacted.
pub(crate) fn preview(
    integrations: &[IntegrationSpec],
    templates: &Templates,
    data: &NotificationData,
    group_key: &str,
) -> Vec<IntegrationPreview> {
    let template_data = TemplateData::new(data);
    let notification = Notification { data, template_data: Some(&template_data), templates, group_key };
    integrations
        .iter()
        .map(|spec| {
            let rendered = match spec.integration.mail(&notification) {
                // An e-mail shows as the session it would be: server, envelope and the message.
                Some(mail) => mail.map(|mail| {
                    vec![RequestPreview {
                        method: "SMTP".to_string(),
                        url: format!("smtp://{}:{}", mail.host, mail.port),
                        body: serde_json::json!({
                            "from": mail.from,
                            "to": mail.to,
                            "message": String::from_utf8_lossy(&mail.message),
                        }),
                    }]
                }),
                None => spec
                    .integration
                    .requests(&notification)
                    .map(|requests| requests.into_iter().map(redacted).collect()),
            };
            let (requests, error) = match rendered {
                Ok(requests) => (requests, None),
                Err(err) => (Vec::new(), Some(err.message)),
            };
            IntegrationPreview { integration: spec.kind, index: spec.index, requests, error }
        })
        .collect()
}

/// A request as a preview shows it: credentials in the URL or the body replaced by `<secret>`.
fn redacted(request: Request) -> RequestPreview {
    let url = if request.secret_url { REDACTED.to_string() } else { request.url };
    let mut body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut body {
        for name in request.secret_fields {
            // Show that a key rendered, not what it is.
            if let Some(value) = fields.get_mut(*name).filter(|v| v.as_str().is_some_and(|s| !s.is_empty())) {
                *value = Value::String(REDACTED.to_string());
            }
        }
    }
    RequestPreview { method: request.method.to_string(), url, body }
}
