//! Inhibition rules: a firing alert that matches a rule's source side mutes the alerts that match its target
//! side and agree on every `equal` label, as Alertmanager applies them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::alert::Alert;
use crate::config::InhibitRule;
use crate::labels::{Fingerprint, LabelSet};

struct Rule {
    rule: InhibitRule,
    /// Every alert seen that matches the source side (latest version), resolved ones until collected.
    sources: HashMap<Fingerprint, Arc<Alert>>,
}

/// The rules in force and their source caches. Shared by the dispatcher (to filter flushes) and the API
/// (to show `inhibitedBy`).
#[derive(Default)]
pub(crate) struct Inhibitor {
    rules: RwLock<Vec<Rule>>,
}

impl Inhibitor {
    /// Sets the rules (at start-up and on reload) and fills their caches from `alerts`.
    pub(crate) fn reset<'a>(&self, rules: &[InhibitRule], alerts: impl IntoIterator<Item = &'a Arc<Alert>>) {
        let mut fresh: Vec<Rule> =
            rules.iter().map(|rule| Rule { rule: rule.clone(), sources: HashMap::new() }).collect();
        for alert in alerts {
            observe_into(&mut fresh, alert);
        }
        *self.rules.write().expect("inhibitor lock is never poisoned") = fresh;
    }

    /// Takes note of a new version of an alert.
    pub(crate) fn observe(&self, alert: &Arc<Alert>) {
        observe_into(&mut self.rules.write().expect("inhibitor lock is never poisoned"), alert);
    }

    /// The fingerprint of an alert inhibiting one with these labels at `now`, if any.
    pub(crate) fn inhibited_by(&self, labels: &LabelSet, now: DateTime<Utc>) -> Option<Fingerprint> {
        let rules = self.rules.read().expect("inhibitor lock is never poisoned");
        for Rule { rule, sources } in rules.iter() {
            if !rule.target.matches(labels) {
                continue;
            }
            // Only for targets: most alerts match no rule, and listings ask for every alert.
            let own = crate::labels::fingerprint(labels);
            // An alert matching both sides must not be inhibited by another that does too (nor by itself).
            let two_sided = rule.source.matches(labels);
            let source = sources.values().find(|source| {
                !source.resolved_at(now)
                    && source.fingerprint != own
                    && rule.equal.iter().all(|name| source.labels.get(name) == labels.get(name))
                    && !(two_sided && rule.target.matches(&source.labels))
            });
            if let Some(source) = source {
                return Some(source.fingerprint);
            }
        }
        None
    }

    /// Whether any alert can inhibit at `now` (a source of a rule still firing): when none can, no alert is
    /// inhibited, and a count of suppressed alerts need not ask for each.
    pub(crate) fn any_source(&self, now: DateTime<Utc>) -> bool {
        let rules = self.rules.read().expect("inhibitor lock is never poisoned");
        rules.iter().any(|rule| rule.sources.values().any(|source| !source.resolved_at(now)))
    }

    /// Forgets resolved source alerts.
    pub(crate) fn collect_resolved(&self, now: DateTime<Utc>) {
        for rule in self.rules.write().expect("inhibitor lock is never poisoned").iter_mut() {
            rule.sources.retain(|_, alert| !alert.resolved_at(now));
        }
    }
}

fn observe_into(rules: &mut [Rule], alert: &Arc<Alert>) {
    for Rule { rule, sources } in rules.iter_mut() {
        if rule.source.matches(&alert.labels) {
            let newer = sources.get(&alert.fingerprint).is_none_or(|known| known.updated_at <= alert.updated_at);
            if newer {
                sources.insert(alert.fingerprint, Arc::clone(alert));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn rules(yaml: &str) -> Vec<InhibitRule> {
        let full = format!("route: {{receiver: r}}\nreceivers: [{{name: r}}]\ninhibit_rules:\n{yaml}");
        crate::config::parse_str(&full, Path::new(".")).expect("valid").config.inhibit_rules
    }

    fn alert(pairs: &[(&str, &str)], ends_in: i64) -> Arc<Alert> {
        let now = Utc::now();
        let labels: LabelSet = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Arc::new(Alert::new(labels, LabelSet::new(), now, now + chrono::Duration::seconds(ends_in), now))
    }

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const CRITICAL_MUTES_WARNING: &str =
        "- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [cluster]\n";

    #[test]
    fn a_firing_source_inhibits_targets_that_agree_on_equal_labels() {
        let inhibitor = Inhibitor::default();
        let source = alert(&[("alertname", "Down"), ("severity", "critical"), ("cluster", "a")], 3600);
        inhibitor.reset(&rules(CRITICAL_MUTES_WARNING), [&source]);
        let now = Utc::now();
        let target = labels(&[("alertname", "Slow"), ("severity", "warning"), ("cluster", "a")]);
        assert_eq!(inhibitor.inhibited_by(&target, now), Some(source.fingerprint));
        let other_cluster = labels(&[("alertname", "Slow"), ("severity", "warning"), ("cluster", "b")]);
        assert_eq!(inhibitor.inhibited_by(&other_cluster, now), None);
        assert_eq!(inhibitor.inhibited_by(&labels(&[("severity", "info"), ("cluster", "a")]), now), None);
    }

    #[test]
    fn a_missing_equal_label_on_both_sides_counts_as_equal() {
        let inhibitor = Inhibitor::default();
        inhibitor.reset(&rules(CRITICAL_MUTES_WARNING), [&alert(&[("severity", "critical")], 3600)]);
        assert!(inhibitor.inhibited_by(&labels(&[("severity", "warning")]), Utc::now()).is_some());
    }

    #[test]
    fn a_resolved_source_inhibits_nothing() {
        let inhibitor = Inhibitor::default();
        inhibitor.reset(&rules(CRITICAL_MUTES_WARNING), [&alert(&[("severity", "critical")], -1)]);
        assert!(inhibitor.inhibited_by(&labels(&[("severity", "warning")]), Utc::now()).is_none());
    }

    #[test]
    fn alerts_matching_both_sides_do_not_inhibit_each_other_or_themselves() {
        let yaml = "- source_matchers: [alertname=Node]\n  target_matchers: [alertname=Node]\n";
        let inhibitor = Inhibitor::default();
        let a = alert(&[("alertname", "Node"), ("i", "1")], 3600);
        let b = alert(&[("alertname", "Node"), ("i", "2")], 3600);
        inhibitor.reset(&rules(yaml), [&a, &b]);
        assert!(inhibitor.inhibited_by(&a.labels, Utc::now()).is_none());
    }

    #[test]
    fn new_sources_are_observed() {
        let inhibitor = Inhibitor::default();
        inhibitor.reset(&rules(CRITICAL_MUTES_WARNING), []);
        let target = labels(&[("severity", "warning")]);
        assert!(inhibitor.inhibited_by(&target, Utc::now()).is_none());
        inhibitor.observe(&alert(&[("severity", "critical")], 3600));
        assert!(inhibitor.inhibited_by(&target, Utc::now()).is_some());
    }
}
