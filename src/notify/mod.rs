//! Delivering notifications: the data they are made from, one module per integration, retries, and the
//! per-flush pipeline that consults the notification log.

pub mod data;
mod deliver;
pub mod error;
pub mod http;
mod integration;
pub mod opsgenie;
pub mod pagerduty;
pub mod payload;
pub mod preview;
pub mod retry;
pub mod slack;
pub mod webhook;

pub use deliver::{FlushJob, FlushOutcome, IntegrationJob, deliver};
pub use error::{Error, ErrorKind};
pub use http::HttpClients;
pub use integration::{Integration, Notification, Request, TemplatedFields};

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::model::Receiver;

/// One integration of a receiver, ready to deliver.
#[derive(Debug, Clone)]
pub struct IntegrationSpec {
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
