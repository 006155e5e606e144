//! Aggregation groups and their timers: alerts are routed into groups, and each group is flushed to its
//! receiver after `group_wait`, then every `group_interval`, exactly on Alertmanager's schedule.

mod core;
mod escalation;
mod group;
mod runner;

pub(crate) use core::{AckError, EscalationStep, FlushRequest, GroupSnapshot, split_by_state};
pub(crate) use escalation::GroupState;
pub use group::GroupId;
pub(crate) use group::{GroupTimer, compare_label_sets, group_key, sort_alerts};
pub(crate) use runner::{AckChange, Dispatcher, DispatcherSetup, GroupView};
