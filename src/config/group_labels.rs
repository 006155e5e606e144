//! A check Alertmanager does not make: a template that reads `.GroupLabels.x` for a receiver that no route
//! groups by `x` renders empty. The example config falls into it with its PagerDuty and Opsgenie keys, so
//! every page would go out with an empty key.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use super::{Config, Problem, templated_fields};
use crate::routing::RouteTree;

static GROUP_LABEL_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\.GroupLabels\.([A-Za-z_][A-Za-z0-9_]*)").expect("constant regex is valid"));

/// Warnings for templated fields that read group labels no route to their receiver groups by.
pub(super) fn ungrouped_label_warnings(config: &Config) -> Vec<Problem> {
    let tree = RouteTree::new(&config.route);
    // Per receiver: the labels its routes group by, or None when one groups by everything.
    let mut grouped: BTreeMap<&str, Option<BTreeSet<&str>>> = BTreeMap::new();
    for node in tree.nodes() {
        let entry = grouped.entry(node.receiver.as_str()).or_insert_with(|| Some(BTreeSet::new()));
        match entry {
            Some(labels) if !node.group_by_all => labels.extend(node.group_by.iter().map(String::as_str)),
            _ => *entry = None,
        }
    }
    let mut warnings = Vec::new();
    for (path, source) in templated_fields(&config.receivers) {
        let receiver = receiver_of(config, &path);
        let Some(Some(labels)) = grouped.get(receiver) else { continue };
        let mut reported = BTreeSet::new();
        for capture in GROUP_LABEL_RE.captures_iter(source) {
            let label = &capture[1];
            if !labels.contains(label) && reported.insert(label.to_string()) {
                warnings.push(Problem::at(
                    path.clone(),
                    format!(
                        "reads .GroupLabels.{label}, but no route to receiver {receiver:?} groups by {label:?}: \
                         it renders empty (add {label:?} to group_by)"
                    ),
                ));
            }
        }
    }
    warnings
}

/// The receiver named by a field path `receivers[N]....`.
fn receiver_of<'a>(config: &'a Config, path: &str) -> &'a str {
    path.strip_prefix("receivers[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|index| index.parse::<usize>().ok())
        .and_then(|index| config.receivers.get(index))
        .map_or("", |receiver| receiver.name.as_str())
}
