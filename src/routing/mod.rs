//! The route tree: inheritance of route options, and which routes (hence receivers) an alert goes to.

mod display;
mod explain;
mod tree;

pub(crate) use display::{render_matching_tree, render_tree};
pub(crate) use explain::{RouteTest, explain};
pub(crate) use tree::{RouteId, RouteTree};
