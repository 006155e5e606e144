//! Delivering notifications: the data they are made from, one module per integration, retries, and the
//! per-flush pipeline that consults the notification log.

pub mod data;
mod deliver;
pub mod error;
pub mod http;
pub mod json;
pub mod opsgenie;
pub mod pagerduty;
pub mod preview;
pub mod retry;
pub mod slack;
pub mod webhook;

pub use deliver::{FlushJob, FlushOutcome, IntegrationJob, deliver};
pub use error::Error;
pub use http::HttpClients;

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::model::{OpsgenieConfig, PagerdutyConfig, Receiver, SlackConfig, WebhookConfig};

/// How one integration delivers.
#[derive(Debug, Clone)]
pub enum Integration {
    /// A generic webhook.
    Webhook(Arc<WebhookConfig>),
    /// A Slack incoming webhook.
    Slack(Arc<SlackConfig>),
    /// PagerDuty Events API v1 or v2.
    Pagerduty(Arc<PagerdutyConfig>),
    /// Opsgenie's alert API.
    Opsgenie(Arc<OpsgenieConfig>),
}

/// One integration of a receiver.
#[derive(Debug, Clone)]
pub struct IntegrationSpec {
    /// `webhook`, `slack`, `pagerduty` or `opsgenie`.
    pub kind: &'static str,
    /// Position within the receiver's list of that kind.
    pub index: usize,
    /// How to deliver.
    pub integration: Integration,
    /// Whether resolved alerts are sent (defaults per kind, as in Alertmanager).
    pub send_resolved: bool,
}

/// Every receiver's integrations, built once per config.
#[derive(Debug, Clone, Default)]
pub struct Integrations {
    by_receiver: HashMap<String, Vec<IntegrationSpec>>,
}

impl Integrations {
    /// Builds the integrations of every receiver.
    pub fn new(receivers: &[Receiver]) -> Self {
        Integrations { by_receiver: receivers.iter().map(|r| (r.name.clone(), of_receiver(r))).collect() }
    }

    /// A receiver's integrations (none for an unknown receiver).
    pub fn of(&self, receiver: &str) -> &[IntegrationSpec] {
        self.by_receiver.get(receiver).map_or(&[], Vec::as_slice)
    }
}

fn of_receiver(receiver: &Receiver) -> Vec<IntegrationSpec> {
    let spec = |kind, index, integration, send_resolved| IntegrationSpec { kind, index, integration, send_resolved };
    let mut all = Vec::new();
    for (i, config) in receiver.webhook_configs.iter().enumerate() {
        let send_resolved = config.send_resolved.unwrap_or(true);
        all.push(spec("webhook", i, Integration::Webhook(Arc::new(config.clone())), send_resolved));
    }
    for (i, config) in receiver.slack_configs.iter().enumerate() {
        all.push(spec("slack", i, Integration::Slack(Arc::new(config.clone())), config.send_resolved.unwrap_or(false)));
    }
    for (i, config) in receiver.pagerduty_configs.iter().enumerate() {
        let send_resolved = config.send_resolved.unwrap_or(true);
        all.push(spec("pagerduty", i, Integration::Pagerduty(Arc::new(config.clone())), send_resolved));
    }
    for (i, config) in receiver.opsgenie_configs.iter().enumerate() {
        all.push(spec(
            "opsgenie",
            i,
            Integration::Opsgenie(Arc::new(config.clone())),
            config.send_resolved.unwrap_or(true),
        ));
    }
    all
}
