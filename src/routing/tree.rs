//! Builds the resolved route tree from the checked config and walks it the way Alertmanager does.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::config::Route;
use crate::labels::{LabelSet, Matchers};

/// Root defaults when the file leaves them out.
const DEFAULT_GROUP_WAIT: Duration = Duration::from_secs(30);
const DEFAULT_GROUP_INTERVAL: Duration = Duration::from_secs(5 * 60);
const DEFAULT_REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 3600);

/// Index of a route in its tree; stable for a given config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteId(pub usize);

/// A route with every inherited option resolved.
#[derive(Clone, Debug)]
pub struct RouteNode {
    /// This node's id (its index in depth-first order; the root is 0).
    pub id: RouteId,
    /// The parent, `None` for the root.
    pub parent: Option<RouteId>,
    /// Children in file order.
    pub children: Vec<RouteId>,
    /// This node's own matchers (from `match`, `match_re` and `matchers`, ANDed and sorted).
    pub matchers: Matchers,
    /// Alertmanager's route key: the matchers of every node from the root, joined by `/`.
    pub key: String,
    /// The receiver, own or inherited.
    pub receiver: String,
    /// Label names to group by (ignored when `group_by_all`).
    pub group_by: BTreeSet<String>,
    /// Group by every label (`group_by: ['...']`).
    pub group_by_all: bool,
    /// Wait before a new group's first notification.
    pub group_wait: Duration,
    /// Wait between notifications about a changed group.
    pub group_interval: Duration,
    /// Wait before re-sending an unchanged group.
    pub repeat_interval: Duration,
    /// Whether matching goes on to later siblings after this route matched.
    pub continue_matching: bool,
    /// Time intervals that mute this route (its own, never inherited).
    pub mute_time_intervals: Vec<String>,
    /// Time intervals outside of which this route is muted (its own, never inherited).
    pub active_time_intervals: Vec<String>,
}

impl RouteNode {
    /// The labels of `labels` that this route groups by.
    pub fn group_labels(&self, labels: &LabelSet) -> LabelSet {
        if self.group_by_all {
            return labels.clone();
        }
        labels
            .iter()
            .filter(|(name, _)| self.group_by.contains(*name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }
}

/// The whole tree, flattened in depth-first order.
#[derive(Clone, Debug)]
pub struct RouteTree {
    nodes: Vec<RouteNode>,
}

impl RouteTree {
    /// Resolves inheritance from the root of a checked config.
    pub fn new(root: &Route) -> Self {
        let mut tree = RouteTree { nodes: Vec::new() };
        let defaults = RouteNode {
            id: RouteId(0),
            parent: None,
            children: Vec::new(),
            matchers: Matchers::default(),
            key: String::new(),
            receiver: String::new(),
            group_by: BTreeSet::new(),
            group_by_all: false,
            group_wait: DEFAULT_GROUP_WAIT,
            group_interval: DEFAULT_GROUP_INTERVAL,
            repeat_interval: DEFAULT_REPEAT_INTERVAL,
            continue_matching: false,
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
        };
        tree.add(root, &defaults, None);
        tree
    }

    fn add(&mut self, route: &Route, parent: &RouteNode, parent_id: Option<RouteId>) -> RouteId {
        let id = RouteId(self.nodes.len());
        let key = match parent_id {
            Some(_) => format!("{}/{}", parent.key, route.matchers),
            None => route.matchers.to_string(),
        };
        let (group_by, group_by_all) = if !route.group_by.is_empty() {
            (route.group_by.iter().cloned().collect(), false)
        } else {
            (parent.group_by.clone(), parent.group_by_all || route.group_by_all)
        };
        let node = RouteNode {
            id,
            parent: parent_id,
            children: Vec::new(),
            matchers: route.matchers.clone(),
            key,
            receiver: route.receiver.clone().unwrap_or_else(|| parent.receiver.clone()),
            group_by,
            group_by_all,
            group_wait: route.group_wait.unwrap_or(parent.group_wait),
            group_interval: route.group_interval.unwrap_or(parent.group_interval),
            repeat_interval: route.repeat_interval.unwrap_or(parent.repeat_interval),
            continue_matching: route.continue_matching,
            mute_time_intervals: route.mute_time_intervals.clone(),
            active_time_intervals: route.active_time_intervals.clone(),
        };
        self.nodes.push(node.clone());
        for child in &route.routes {
            let child_id = self.add(child, &node, Some(id));
            self.nodes[id.0].children.push(child_id);
        }
        id
    }

    /// The root route.
    pub fn root(&self) -> &RouteNode {
        &self.nodes[0]
    }

    /// A route by id.
    ///
    /// Panics if the id does not come from this tree.
    pub fn node(&self, id: RouteId) -> &RouteNode {
        &self.nodes[id.0]
    }

    /// Every route, root first, in depth-first file order.
    pub fn nodes(&self) -> &[RouteNode] {
        &self.nodes
    }

    /// The routes an alert with these labels ends at, in match order (the same receiver may appear twice).
    /// The root always matches, so the result is never empty.
    pub fn matching_routes(&self, labels: &LabelSet) -> Vec<RouteId> {
        let mut matched = Vec::new();
        self.collect_matches(RouteId(0), labels, &mut matched, &mut |_| {});
        matched
    }

    /// Walks the tree as [`RouteTree::matching_routes`] does, calling `visit` for every node that
    /// matched and contributed a result (the nodes `amtool config routes test --tree` prints).
    pub fn visit_matching(&self, labels: &LabelSet, visit: &mut dyn FnMut(RouteId)) -> Vec<RouteId> {
        let mut matched = Vec::new();
        self.collect_matches(RouteId(0), labels, &mut matched, visit);
        matched
    }

    fn collect_matches(
        &self,
        id: RouteId,
        labels: &LabelSet,
        matched: &mut Vec<RouteId>,
        visit: &mut dyn FnMut(RouteId),
    ) -> bool {
        let node = &self.nodes[id.0];
        if !node.matchers.matches(labels) {
            return false;
        }
        visit(id);
        let before = matched.len();
        for child in &node.children {
            let child_matched = self.collect_matches(*child, labels, matched, visit);
            if child_matched && !self.nodes[child.0].continue_matching {
                break;
            }
        }
        if matched.len() == before {
            matched.push(id);
        }
        true
    }
}
