//! The Alertmanager-format config file: read it, check all of it, and hand the rest of Herald a checked
//! [`Config`]. Problems are collected (not stopped at the first) and each names its field path and line.

mod display;
mod edit;
pub(crate) mod duration;
mod group_labels;
mod load;
mod locate;
pub(crate) mod model;
mod problem;
pub(crate) mod secret;
mod teams;
mod templated;
#[cfg(test)]
mod tests;
pub(crate) mod validate;
mod version;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use display::extensions;
pub(crate) use duration::PromDuration;
pub(crate) use edit::{api_yaml_of, diff, restore_secrets};
pub(crate) use load::{load_file, parse_str};
pub(crate) use problem::{ConfigError, Problem};
pub(crate) use secret::{REDACTED, Secret};
pub(crate) use teams::{TeamError, splice as splice_team, team_route, teams};
pub(crate) use templated::templated_fields;
pub(crate) use version::{ConfigVersion, hash_text};

use crate::labels::Matchers;

/// A config that passed every check. Receivers have their global defaults applied; `*_file` secrets are read
/// when used, so that rotating a file needs no reload.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// `global`, with Alertmanager's defaults filled in.
    pub global: model::GlobalConfig,
    /// `global.resolve_timeout`: how long an alert without `endsAt` stays firing after its last update.
    pub resolve_timeout: Duration,
    /// The root of the route tree.
    pub route: Route,
    /// Inhibition rules with parsed matchers.
    pub inhibit_rules: Vec<InhibitRule>,
    /// Receivers in file order.
    pub receivers: Vec<model::Receiver>,
    /// Time intervals by name (from `time_intervals` and `mute_time_intervals`).
    pub time_intervals: BTreeMap<String, Vec<model::TimeIntervalSpec>>,
    /// Template globs, made absolute against the config file's folder.
    pub templates: Vec<PathBuf>,
    /// The template files those globs matched, read and checked at load.
    pub template_files: Vec<TemplateFile>,
    /// The file as read (before defaults), for re-serialising.
    pub file: model::ConfigFile,
}

/// A template file named by `templates:`.
#[derive(Debug, Clone)]
pub(crate) struct TemplateFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its text (Go template syntax, with `define` blocks).
    pub source: String,
}

/// Non-fatal findings that come with a loaded config.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    /// The checked config.
    pub config: Config,
    /// Things that load but will not work as written (e.g. a Slack receiver without a URL).
    pub warnings: Vec<Problem>,
}

/// A checked route: matchers parsed, group_by split into names and `...`. Unset options are `None` and
/// are inherited when the route tree is built.
#[derive(Debug, Clone, Default)]
pub(crate) struct Route {
    /// Own receiver, if set.
    pub receiver: Option<String>,
    /// Own group_by label names (empty when not set or `...`).
    pub group_by: Vec<String>,
    /// Whether this route sets `group_by: ['...']`.
    pub group_by_all: bool,
    /// Own group_wait.
    pub group_wait: Option<Duration>,
    /// Own group_interval.
    pub group_interval: Option<Duration>,
    /// Own repeat_interval.
    pub repeat_interval: Option<Duration>,
    /// `match`, `match_re` and `matchers` together, sorted.
    pub matchers: Matchers,
    /// `continue`.
    pub continue_matching: bool,
    /// Own mute_time_intervals.
    pub mute_time_intervals: Vec<String>,
    /// Own active_time_intervals.
    pub active_time_intervals: Vec<String>,
    /// Own escalation policy (Herald's extension); `None` inherits the parent's, an empty one switches it off.
    pub escalation: Option<Arc<EscalationPolicy>>,
    /// Children in file order.
    pub routes: Vec<Route>,
}

/// A checked escalation policy: levels in the order they fire, each later than the one before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EscalationPolicy {
    /// The levels; empty when the policy only sets `ack_timeout`, or switches escalation off.
    pub levels: Vec<EscalationLevel>,
    /// How many more rounds follow the first once its last level fired.
    pub repeat: u32,
    /// How long an acknowledgement holds before the climb starts again.
    pub ack_timeout: Option<Duration>,
}

/// One level of an escalation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EscalationLevel {
    /// How long after the climb starts (the group began firing, or its acknowledgement ended) it fires.
    pub after: Duration,
    /// Who it notifies.
    pub receiver: String,
}

impl EscalationPolicy {
    /// Whether it does anything at all.
    pub(crate) fn is_off(&self) -> bool {
        self.levels.is_empty() && self.ack_timeout.is_none()
    }
}

/// A checked inhibition rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct InhibitRule {
    /// What an inhibiting alert must match.
    pub source: Matchers,
    /// What an inhibited alert must match.
    pub target: Matchers,
    /// Labels whose values must be equal on both.
    pub equal: Vec<String>,
}
