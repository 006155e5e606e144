//! Delivering notifications: the data they are made from, one module per integration, retries, and the
//! per-flush pipeline that consults the notification log.

pub(crate) mod data;
mod deliver;
pub(crate) mod discord;
pub(crate) mod email;
mod forward;
pub(crate) mod history;
pub(crate) mod error;
pub(crate) mod http;
mod integration;
pub(crate) mod msteams;
pub(crate) mod opsgenie;
pub(crate) mod pagerduty;
pub(crate) mod payload;
pub(crate) mod pushover;
pub(crate) mod preview;
pub(crate) mod retry;
pub(crate) mod slack;
pub(crate) mod sns;
pub(crate) mod telegram;
pub(crate) mod victorops;
pub(crate) mod webex;
pub(crate) mod webhook;
pub(crate) mod wechat;

pub(crate) use deliver::{FlushJob, FlushOutcome, IntegrationJob, deliver, due, newest_trace};
pub(crate) use error::Error;
pub(crate) use forward::{AckForward, forward_ack};
pub(crate) use http::HttpClients;
pub(crate) use integration::Integration;

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::model::Receiver;

/// One integration of a receiver, ready to deliver.
#[derive(Debug, Clone)]
pub(crate) struct IntegrationSpec {
    /// `webhook`, `slack`, `pagerduty` or `opsgenie`.
    pub kind: &'static str,
    /// Position within the receiver's list of that kind.
    pub index: usize,
    /// Its checked config, which builds the requests.
    pub integration: Arc<dyn Integration>,
    /// Whether resolved alerts are sent (defaults per kind, as in Alertmanager).
    pub send_resolved: bool,
}

/// Every receiver's integrations, built once per config.
#[derive(Debug, Clone, Default)]
pub(crate) struct Integrations {
    by_receiver: HashMap<String, Vec<IntegrationSpec>>,
}

impl Integrations {
    /// Builds the integrations of every receiver.
    pub(crate) fn new(receivers: &[Receiver]) -> Self {
        Integrations { by_receiver: receivers.iter().map(|r| (r.name.clone(), of_receiver(r))).collect() }
    }

    /// A receiver's integrations (none for an unknown receiver).
    pub(crate) fn of(&self, receiver: &str) -> &[IntegrationSpec] {
        self.by_receiver.get(receiver).map_or(&[], Vec::as_slice)
    }
}

fn of_receiver(receiver: &Receiver) -> Vec<IntegrationSpec> {
    receiver
        .clone()
        .into_integrations()
        .into_iter()
        .map(|(index, integration)| IntegrationSpec {
            kind: integration.kind(),
            index,
            send_resolved: integration.send_resolved(),
            integration,
        })
        .collect()
}
