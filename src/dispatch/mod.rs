//! Aggregation groups and their timers: alerts are routed into groups, and each group is flushed to its
//! receiver after `group_wait`, then every `group_interval`, exactly on Alertmanager's schedule.

mod core;
mod group;
mod runner;

pub(crate) use core::{FlushRequest, GroupSnapshot, split_by_state};
pub use group::GroupId;
pub(crate) use group::{GroupTimer, compare_label_sets, group_key, sort_alerts};
pub(crate) use runner::{Dispatcher, DispatcherSetup, GroupView};
