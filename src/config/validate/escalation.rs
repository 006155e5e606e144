//! A route's escalation policy: levels with a duration and a known receiver, each later than the one before.

use std::collections::HashSet;
use std::sync::Arc;

use super::Checker;
use crate::config::model::EscalationConfig;
use crate::config::{EscalationLevel, EscalationPolicy};

impl Checker<'_> {
    pub(super) fn escalation(
        &mut self,
        route_path: &str,
        written: &EscalationConfig,
        receivers: &HashSet<&str>,
    ) -> Arc<EscalationPolicy> {
        let path = format!("{route_path}.escalation");
        let mut levels: Vec<EscalationLevel> = Vec::new();
        for (i, level) in written.levels.iter().enumerate() {
            let path = if written.list_form { format!("{path}[{i}]") } else { format!("{path}.levels[{i}]") };
            let after = match level.after.as_deref() {
                None | Some("") => {
                    self.error(format!("{path}.after"), "missing after in escalation level");
                    None
                }
                Some(text) => self.duration(&format!("{path}.after"), Some(text)),
            };
            if after.is_some_and(|after| after.is_zero()) {
                self.error(format!("{path}.after"), "after in escalation level cannot be zero");
            }
            let receiver = level.receiver.clone().unwrap_or_default();
            if receiver.is_empty() {
                self.error(format!("{path}.receiver"), "missing receiver in escalation level");
            } else if !receivers.contains(receiver.as_str()) {
                self.error(format!("{path}.receiver"), format!("undefined receiver {receiver:?} used in escalation"));
            }
            let Some(after) = after else { continue };
            if let Some(previous) = levels.last()
                && previous.after >= after
            {
                self.error(
                    format!("{path}.after"),
                    format!(
                        "escalation levels out of order: {} is not later than the level before it ({})",
                        crate::config::PromDuration(after),
                        crate::config::PromDuration(previous.after)
                    ),
                );
            }
            levels.push(EscalationLevel { after, receiver });
        }
        let repeat = written.repeat.unwrap_or(0);
        if repeat > 0 && written.levels.is_empty() {
            self.error(format!("{path}.repeat"), "repeat needs at least one escalation level");
        }
        let ack_timeout = self.duration(&format!("{path}.ack_timeout"), written.ack_timeout.as_deref());
        if ack_timeout.is_some_and(|timeout| timeout.is_zero()) {
            self.error(format!("{path}.ack_timeout"), "ack_timeout cannot be zero");
        }
        Arc::new(EscalationPolicy { levels, repeat, ack_timeout })
    }
}
