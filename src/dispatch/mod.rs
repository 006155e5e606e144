//! Aggregation groups and their timers: alerts are routed into groups, and each group is flushed to its
//! receiver after `group_wait`, then every `group_interval`, exactly on Alertmanager's schedule.

mod core;
mod group;

pub use core::{DispatchCore, FlushRequest, GroupChanges, GroupSnapshot, split_by_state};
pub use group::{Group, GroupId, GroupTimer, group_key, sort_alerts};
