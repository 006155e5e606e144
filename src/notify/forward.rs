//! Passing an acknowledgement on to the services a group was sent to: PagerDuty acknowledges the group's
//! incident, Opsgenie its alert (and withdraws that when the acknowledgement is withdrawn in Herald).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::data::NotificationData;
use super::http::{self, HttpClients};
use super::integration::{AckNotice, Integration, Notification};
use super::retry;
use crate::template::Templates;

/// How long an acknowledgement keeps being retried: a service down for longer than this keeps its incident
/// open, and its next notification or the resolve settles it.
const FORWARD_DEADLINE: Duration = Duration::from_secs(60);

/// One integration to tell about an acknowledgement change.
#[derive(Debug, Clone)]
pub(crate) struct AckForward {
    /// The integration the group was notified through.
    pub integration: Arc<dyn Integration>,
    /// The group's data as its notifications render it (its keys may be templates).
    pub data: NotificationData,
    /// Alertmanager's group key (the incident's dedup key is its hash).
    pub group_key: String,
    /// The config's templates.
    pub templates: Arc<Templates>,
    /// Acknowledged, or withdrawn.
    pub acknowledged: bool,
    /// Who.
    pub by: String,
    /// Their comment.
    pub comment: String,
}

/// Sends the change, with retries; the outcome is logged.
pub(crate) async fn forward_ack(job: AckForward, clients: Arc<HttpClients>) {
    let template_data = crate::template::TemplateData::new(&job.data);
    let notification = Notification {
        data: &job.data,
        template_data: Some(&template_data),
        templates: &job.templates,
        group_key: &job.group_key,
    };
    let ack = AckNotice { acknowledged: job.acknowledged, by: &job.by, comment: &job.comment };
    let integration = job.integration.kind();
    let receiver = job.data.receiver.as_str();
    let attempt = || async {
        match job.integration.acknowledgement(&notification, &ack) {
            None => Ok(()),
            Some(requests) => http::send(&clients, job.integration.http_config(), requests?).await.map(|_| ()),
        }
    };
    let log_failure = |number: u32, err: &super::Error| {
        tracing::warn!(receiver, integration, attempt = number, kind = %err.kind, error = %err, "Passing on an acknowledgement failed.");
    };
    let deadline = Instant::now() + FORWARD_DEADLINE;
    match retry::retry(deadline, &CancellationToken::new(), attempt, log_failure).await {
        Ok(()) => {
            tracing::info!(receiver, integration, group = %job.group_key, acknowledged = job.acknowledged, "Acknowledgement passed on.")
        }
        Err(err) => {
            tracing::error!(receiver, integration, group = %job.group_key, kind = %err.kind, error = %err, "Acknowledgement not passed on.")
        }
    }
}
