//! Text renderings of the route tree, byte for byte as `amtool config routes` prints them.

use std::collections::HashSet;

use super::tree::{RouteId, RouteNode, RouteTree};
use crate::labels::LabelSet;

const BRANCH: &str = "├── ";
const LAST_BRANCH: &str = "└── ";
const CONTINUED: &str = "│\u{a0}\u{a0} ";
const BLANK: &str = "    ";

/// `amtool config routes show`: every route with its matchers, `continue` and receiver.
pub(crate) fn render_tree(tree: &RouteTree) -> String {
    let mut out = String::from("Routing tree:\n.\n");
    let label = |node: &RouteNode| {
        let mut text = slug(node);
        if node.continue_matching {
            text.push_str("  continue: true");
        }
        text.push_str("  receiver: ");
        text.push_str(&node.receiver);
        text
    };
    draw(tree, &[tree.root().id], "", &|_| true, &label, &mut out);
    out.push('\n');
    out
}

/// `amtool config routes test --tree`: the routes walked to reach the matches, receivers on the matches only,
/// followed by the receivers line.
pub(crate) fn render_matching_tree(tree: &RouteTree, labels: &LabelSet) -> String {
    let mut walked = HashSet::new();
    let matched: HashSet<RouteId> = tree
        .visit_matching(labels, &mut |id| {
            walked.insert(id);
        })
        .into_iter()
        .collect();
    let label = |node: &RouteNode| {
        let mut text = slug(node);
        if matched.contains(&node.id) {
            text.push_str("  receiver: ");
            text.push_str(&node.receiver);
        }
        text
    };
    let mut out = String::from("Matching routes:\n.\n");
    draw(tree, &[tree.root().id], "", &|id| walked.contains(&id), &label, &mut out);
    out.push_str("\n\n");
    out
}

/// A route's name in the tree: its matchers, or `default-route` when it has none.
fn slug(node: &RouteNode) -> String {
    if node.matchers.is_empty() { "default-route".to_string() } else { node.matchers.to_string() }
}

fn draw(
    tree: &RouteTree,
    ids: &[RouteId],
    prefix: &str,
    include: &dyn Fn(RouteId) -> bool,
    label: &dyn Fn(&RouteNode) -> String,
    out: &mut String,
) {
    let shown: Vec<RouteId> = ids.iter().copied().filter(|id| include(*id)).collect();
    for (i, id) in shown.iter().enumerate() {
        let last = i + 1 == shown.len();
        let node = tree.node(*id);
        out.push_str(prefix);
        out.push_str(if last { LAST_BRANCH } else { BRANCH });
        out.push_str(&label(node));
        out.push('\n');
        let child_prefix = format!("{prefix}{}", if last { BLANK } else { CONTINUED });
        draw(tree, &node.children, &child_prefix, include, label, out);
    }
}
