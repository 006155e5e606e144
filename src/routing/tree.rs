//! Builds the resolved route tree from the checked config and walks it the way Alertmanager does.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{EscalationPolicy, Route};
use crate::labels::{LabelSet, Matchers, SharedStr};

/// Root defaults when the file leaves them out.
const DEFAULT_GROUP_WAIT: Duration = Duration::from_secs(30);
const DEFAULT_GROUP_INTERVAL: Duration = Duration::from_secs(5 * 60);
const DEFAULT_REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 3600);

/// Index of a route in its tree; stable for a given config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RouteId(pub usize);

/// A route with every inherited option resolved.
#[derive(Clone, Debug)]
pub(crate) struct RouteNode {
    /// This node's id (its index in depth-first order; the root is 0).
    pub id: RouteId,
    /// Where it is in the file: `route`, `route.routes[0]`, `route.routes[0].routes[2]`.
    pub path: String,
    /// Children in file order.
    pub children: Vec<RouteId>,
    /// This node's own matchers (from `match`, `match_re` and `matchers`, ANDed and sorted).
    pub matchers: Matchers,
    /// Alertmanager's route key: the matchers of every node from the root, joined by `/`. Siblings with the
    /// same matchers share it; see [`RouteNode::ident`].
    pub key: String,
    /// A unique, stable name for the route: its key, with `#n` added for the n-th later route with the same
    /// key. Aggregation groups are identified by it, so that they survive a reload that keeps the route.
    pub ident: String,
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
    /// The escalation policy in force (own or inherited; `None` when there is none or it is switched off).
    pub escalation: Option<Arc<EscalationPolicy>>,
}

impl RouteNode {
    /// The labels of `labels` that this route groups by.
    pub(crate) fn group_labels(&self, labels: &LabelSet) -> LabelSet {
        if self.group_by_all {
            return labels.clone();
        }
        self.group_pairs(labels).map(|(name, value)| (name.clone(), value.clone())).collect()
    }

    /// The pairs of [`RouteNode::group_labels`], in name order, borrowed from `labels`.
    pub(crate) fn group_pairs<'a>(
        &'a self,
        labels: &'a LabelSet,
    ) -> impl Iterator<Item = (&'a SharedStr, &'a SharedStr)> + 'a {
        labels.iter().filter(|(name, _)| self.group_by_all || self.group_by.contains(name.as_str()))
    }
}

/// The whole tree, flattened in depth-first order.
#[derive(Clone, Debug)]
pub(crate) struct RouteTree {
    nodes: Vec<RouteNode>,
}

impl RouteTree {
    /// Resolves inheritance from the root of a checked config.
    pub(crate) fn new(root: &Route) -> Self {
        let mut tree = RouteTree { nodes: Vec::new() };
        let defaults = RouteNode {
            id: RouteId(0),
            path: String::new(),
            children: Vec::new(),
            matchers: Matchers::default(),
            key: String::new(),
            ident: String::new(),
            receiver: String::new(),
            group_by: BTreeSet::new(),
            group_by_all: false,
            group_wait: DEFAULT_GROUP_WAIT,
            group_interval: DEFAULT_GROUP_INTERVAL,
            repeat_interval: DEFAULT_REPEAT_INTERVAL,
            continue_matching: false,
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
            escalation: None,
        };
        tree.add(root, &defaults, None, "route".to_string());
        tree
    }

    fn add(&mut self, route: &Route, parent: &RouteNode, parent_id: Option<RouteId>, path: String) -> RouteId {
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
        let twins = self.nodes.iter().filter(|node| node.key == key).count();
        let ident = if twins == 0 { key.clone() } else { format!("{key}#{twins}") };
        let node = RouteNode {
            id,
            path,
            children: Vec::new(),
            matchers: route.matchers.clone(),
            key,
            ident,
            receiver: route.receiver.clone().unwrap_or_else(|| parent.receiver.clone()),
            group_by,
            group_by_all,
            group_wait: route.group_wait.unwrap_or(parent.group_wait),
            group_interval: route.group_interval.unwrap_or(parent.group_interval),
            repeat_interval: route.repeat_interval.unwrap_or(parent.repeat_interval),
            continue_matching: route.continue_matching,
            mute_time_intervals: route.mute_time_intervals.clone(),
            active_time_intervals: route.active_time_intervals.clone(),
            escalation: match &route.escalation {
                Some(own) if own.is_off() => None,
                Some(own) => Some(Arc::clone(own)),
                None => parent.escalation.clone(),
            },
        };
        self.nodes.push(node.clone());
        for (i, child) in route.routes.iter().enumerate() {
            let child_id = self.add(child, &node, Some(id), format!("{}.routes[{i}]", node.path));
            self.nodes[id.0].children.push(child_id);
        }
        id
    }

    /// The root route.
    pub(crate) fn root(&self) -> &RouteNode {
        &self.nodes[0]
    }

    /// A route by id.
    ///
    /// Panics if the id does not come from this tree.
    pub(crate) fn node(&self, id: RouteId) -> &RouteNode {
        &self.nodes[id.0]
    }

    /// Whether every alert ends at exactly one route: no route below the root has `continue`.
    pub(crate) fn routes_each_alert_once(&self) -> bool {
        self.nodes.iter().skip(1).all(|node| !node.continue_matching)
    }

    /// Every route, root first, in depth-first file order.
    pub(crate) fn nodes(&self) -> &[RouteNode] {
        &self.nodes
    }

    /// The routes an alert with these labels ends at, in match order (the same receiver may appear twice).
    /// The root always matches, so the result is never empty.
    pub(crate) fn matching_routes(&self, labels: &LabelSet) -> Vec<RouteId> {
        let mut matched = Vec::new();
        self.collect_matches(RouteId(0), labels, &mut matched, &mut |_| {});
        matched
    }

    /// Walks the tree as [`RouteTree::matching_routes`] does, calling `visit` for every node that
    /// matched and contributed a result (the nodes `amtool config routes test --tree` prints).
    pub(crate) fn visit_matching(&self, labels: &LabelSet, visit: &mut dyn FnMut(RouteId)) -> Vec<RouteId> {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn tree(yaml: &str) -> RouteTree {
        let loaded = crate::config::parse_str(yaml, Path::new(".")).unwrap_or_else(|err| panic!("{err}"));
        RouteTree::new(&loaded.config.route)
    }

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn receivers(tree: &RouteTree, pairs: &[(&str, &str)]) -> Vec<String> {
        tree.matching_routes(&labels(pairs)).into_iter().map(|id| tree.node(id).receiver.clone()).collect()
    }

    const INHERIT: &str = "
route:
  receiver: root
  group_by: [alertname]
  group_wait: 10s
  routes:
  - matchers: [team=db]
    group_interval: 1m
    routes:
    - matchers: [severity=critical]
      receiver: db-pager
      group_by: [cluster]
      repeat_interval: 30m
      mute_time_intervals: [night]
      routes:
      - matchers: [env=prod]
        group_by: ['...']
  - matchers: [team=web]
    receiver: web
    group_by: ['...']
    routes:
    - matchers: [severity=info]
      group_by: [instance]
time_intervals:
- name: night
  time_intervals: [{times: [{start_time: '00:00', end_time: '06:00'}]}]
receivers: [{name: root}, {name: db-pager}, {name: web}]
";

    #[test]
    fn the_root_gets_alertmanagers_defaults() {
        let tree = tree("route: {receiver: r}\nreceivers: [{name: r}]\n");
        let root = tree.root();
        assert_eq!(root.key, "{}");
        assert_eq!(
            (root.group_wait, root.group_interval, root.repeat_interval),
            (Duration::from_secs(30), Duration::from_secs(300), Duration::from_secs(4 * 3600))
        );
        assert!(root.group_by.is_empty() && !root.group_by_all);
    }

    #[test]
    fn children_inherit_receiver_group_by_and_timers() {
        let tree = tree(INHERIT);
        let db = tree.node(RouteId(1));
        assert_eq!(db.receiver, "root");
        assert_eq!(db.group_by, BTreeSet::from(["alertname".to_string()]));
        assert_eq!(
            (db.group_wait, db.group_interval, db.repeat_interval),
            (Duration::from_secs(10), Duration::from_secs(60), Duration::from_secs(4 * 3600))
        );
        let pager = tree.node(RouteId(2));
        assert_eq!(pager.receiver, "db-pager");
        assert_eq!(pager.group_by, BTreeSet::from(["cluster".to_string()]), "own names replace the parent's");
        assert_eq!(
            (pager.group_wait, pager.group_interval, pager.repeat_interval),
            (Duration::from_secs(10), Duration::from_secs(60), Duration::from_secs(1800))
        );
        assert_eq!(pager.key, "{}/{team=\"db\"}/{severity=\"critical\"}");
    }

    #[test]
    fn time_intervals_are_not_inherited() {
        let tree = tree(INHERIT);
        assert_eq!(tree.node(RouteId(2)).mute_time_intervals, vec!["night".to_string()]);
        let prod = tree.node(RouteId(3));
        assert_eq!(prod.receiver, "db-pager");
        assert!(prod.mute_time_intervals.is_empty());
    }

    #[test]
    fn group_by_all_is_inherited_until_a_child_names_labels() {
        let tree = tree(INHERIT);
        let prod = tree.node(RouteId(3));
        assert!(prod.group_by_all, "'...' turns grouping by all labels on");
        let alert = labels(&[("alertname", "A"), ("cluster", "c1"), ("env", "prod")]);
        assert_eq!(prod.group_labels(&alert), alert);
        let web = tree.node(RouteId(4));
        assert!(web.group_by_all);
        let info = tree.node(RouteId(5));
        assert!(!info.group_by_all, "explicit names turn it off again");
        assert_eq!(
            info.group_labels(&labels(&[("instance", "i1"), ("alertname", "A")])),
            labels(&[("instance", "i1")])
        );
    }

    #[test]
    fn group_labels_leave_out_labels_the_alert_lacks() {
        let tree = tree(INHERIT);
        assert_eq!(tree.node(RouteId(2)).group_labels(&labels(&[("alertname", "A")])), LabelSet::new());
    }

    const CONTINUE: &str = "
route:
  receiver: default
  routes:
  - matchers: [team=a]
    receiver: first
    continue: true
  - matchers: [team=a]
    receiver: second
  - matchers: [team=a]
    receiver: never
  - matchers: [team=b]
    receiver: b
    continue: true
    routes:
    - matchers: [sev=page]
      receiver: b-pager
receivers: [{name: default}, {name: first}, {name: second}, {name: never}, {name: b}, {name: b-pager}]
";

    #[test]
    fn continue_lets_later_siblings_match_and_a_match_without_it_stops() {
        let tree = tree(CONTINUE);
        assert_eq!(receivers(&tree, &[("team", "a")]), vec!["first", "second"]);
    }

    #[test]
    fn only_a_tree_without_continue_routes_each_alert_once() {
        assert!(!tree(CONTINUE).routes_each_alert_once());
        let plain = tree(
            "route:\n  receiver: a\n  routes:\n  - {matchers: [x=1], receiver: b}\nreceivers: [{name: a}, {name: b}]\n",
        );
        assert!(plain.routes_each_alert_once());
    }

    #[test]
    fn a_matching_node_without_matching_children_is_the_result() {
        let tree = tree(CONTINUE);
        assert_eq!(receivers(&tree, &[("team", "b")]), vec!["b"]);
        assert_eq!(receivers(&tree, &[("team", "b"), ("sev", "page")]), vec!["b-pager"]);
        assert_eq!(receivers(&tree, &[("team", "c")]), vec!["default"], "falls back to the root");
    }

    #[test]
    fn the_same_receiver_can_be_matched_twice_through_different_routes() {
        let tree = tree(
            "
route:
  receiver: default
  routes:
  - {matchers: [a=1], receiver: hook, continue: true}
  - {matchers: [b=1], receiver: hook}
receivers: [{name: default}, {name: hook}]
",
        );
        let routes = tree.matching_routes(&labels(&[("a", "1"), ("b", "1")]));
        assert_eq!(routes, vec![RouteId(1), RouteId(2)]);
        assert_ne!(tree.node(routes[0]).key, tree.node(routes[1]).key);
    }

    #[test]
    fn routes_with_the_same_key_get_distinct_idents() {
        let tree = tree(
            "
route:
  receiver: default
  routes:
  - {matchers: [a=1], receiver: hook, continue: true}
  - {matchers: [a=1], receiver: other}
receivers: [{name: default}, {name: hook}, {name: other}]
",
        );
        let (first, second) = (tree.node(RouteId(1)), tree.node(RouteId(2)));
        assert_eq!(first.key, second.key);
        assert_eq!((first.ident.as_str(), second.ident.as_str()), ("{}/{a=\"1\"}", "{}/{a=\"1\"}#1"));
    }
}
