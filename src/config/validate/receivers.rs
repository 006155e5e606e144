//! Receivers: unique names, and each integration's own checks (which live with the integration, in
//! `notify`).

use std::collections::HashSet;

use super::Checker;
use crate::config::model::{GlobalConfig, Receiver};

impl Checker<'_> {
    pub(super) fn receiver(&mut self, path: &str, mut receiver: Receiver, global: &GlobalConfig) -> Receiver {
        if receiver.name.is_empty() {
            self.error(format!("{path}.name"), "missing name in receiver");
        }
        let name = receiver.name.clone();
        for (i, integration) in receiver.integrations_mut() {
            let path = format!("{path}.{}_configs[{i}]", integration.kind());
            integration.check(self, &path, &name, global);
        }
        receiver
    }

    pub(super) fn unique_receiver_names(&mut self, receivers: &[Receiver]) {
        let mut seen = HashSet::new();
        for (i, receiver) in receivers.iter().enumerate() {
            if !receiver.name.is_empty() && !seen.insert(receiver.name.as_str()) {
                self.error(
                    format!("receivers[{i}].name"),
                    format!("notification config name {:?} is not unique", receiver.name),
                );
            }
        }
    }
}
