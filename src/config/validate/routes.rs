//! The route tree, time intervals and inhibition rules: matchers parsed, receivers and intervals resolved.

use std::collections::{BTreeMap, HashSet};

use super::Checker;
use crate::config::model::{self, ConfigFile, RouteConfig};
use crate::config::{InhibitRule, Route};
use crate::labels::{self, MatchType, Matcher, Matchers};
use crate::timeinterval;

impl Checker<'_> {
    pub(super) fn time_intervals(&mut self, file: &ConfigFile) -> BTreeMap<String, Vec<model::TimeIntervalSpec>> {
        let mut by_name = BTreeMap::new();
        for (list, label, intervals) in [
            ("mute_time_intervals", "mute time interval", &file.mute_time_intervals),
            ("time_intervals", "time interval", &file.time_intervals),
        ] {
            for (i, named) in intervals.iter().enumerate() {
                let path = format!("{list}[{i}]");
                if named.name.is_empty() {
                    self.error(format!("{path}.name"), format!("missing name in {label}"));
                    continue;
                }
                if by_name.contains_key(&named.name) {
                    self.error(format!("{path}.name"), format!("{label} {:?} is not unique", named.name));
                    continue;
                }
                for (j, spec) in named.time_intervals.iter().enumerate() {
                    if let Err(message) = timeinterval::parse(spec) {
                        self.error(format!("{path}.time_intervals[{j}]"), message);
                    }
                }
                by_name.insert(named.name.clone(), named.time_intervals.clone());
            }
        }
        by_name
    }

    pub(super) fn root_route(
        &mut self,
        root: &RouteConfig,
        receivers: &HashSet<&str>,
        time_intervals: &BTreeMap<String, Vec<model::TimeIntervalSpec>>,
    ) -> Route {
        if root.receiver.as_deref().unwrap_or_default().is_empty() {
            self.error("route.receiver", "root route must specify a default receiver");
        }
        let has = |list: &Option<Vec<String>>| list.as_ref().is_some_and(|l| !l.is_empty());
        let has_map = |map: &Option<BTreeMap<String, String>>| map.as_ref().is_some_and(|m| !m.is_empty());
        if has_map(&root.match_eq) || has_map(&root.match_re) || has(&root.matchers) {
            self.error("route", "root route must not have any matchers");
        }
        if has(&root.mute_time_intervals) {
            self.error("route.mute_time_intervals", "root route must not have any mute time intervals");
        }
        if has(&root.active_time_intervals) {
            self.error("route.active_time_intervals", "root route must not have any active time intervals");
        }
        if root.continue_matching {
            self.error("route.continue", "cannot have continue in root route");
        }
        if root.team.is_some() {
            self.error("route.team", "the root route belongs to everyone: give teams the routes below it");
        }
        self.teams(root, "route", None, &mut BTreeMap::new());
        self.route("route", root, receivers, time_intervals)
    }

    /// Team names: well-formed, each owning one sub-tree, none inside another team's.
    fn teams(&mut self, route: &RouteConfig, path: &str, owner: Option<&str>, seen: &mut BTreeMap<String, String>) {
        let mut owner = owner.map(str::to_string);
        if let Some(team) = &route.team {
            let well_formed =
                !team.is_empty() && team.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !well_formed {
                self.error(
                    format!("{path}.team"),
                    format!("team name {team:?} must be letters, digits, '-', '_' or '.'"),
                );
            } else if let Some(outer) = &owner {
                self.error(format!("{path}.team"), format!("team {team:?} is inside the sub-tree of team {outer:?}"));
            } else if let Some(first) = seen.get(team) {
                self.error(format!("{path}.team"), format!("team {team:?} already owns {first}"));
            } else {
                seen.insert(team.clone(), path.to_string());
            }
            owner.get_or_insert_with(|| team.clone());
        }
        for (i, child) in route.routes.iter().flatten().enumerate() {
            self.teams(child, &format!("{path}.routes[{i}]"), owner.as_deref(), seen);
        }
    }

    fn route(
        &mut self,
        path: &str,
        route: &RouteConfig,
        receivers: &HashSet<&str>,
        time_intervals: &BTreeMap<String, Vec<model::TimeIntervalSpec>>,
    ) -> Route {
        let mut matchers = Vec::new();
        for (name, value) in route.match_eq.iter().flatten() {
            let path = format!("{path}.match.{name}");
            if !labels::is_valid_label_name(name) {
                self.error(path, format!("invalid label name {name:?}"));
                continue;
            }
            matchers.push(Matcher::new(MatchType::Equal, name, value).expect("equality matchers always build"));
        }
        for (name, pattern) in route.match_re.iter().flatten() {
            let path = format!("{path}.match_re.{name}");
            if !labels::is_valid_label_name(name) {
                self.error(path, format!("invalid label name {name:?}"));
                continue;
            }
            // Alertmanager keeps the anchored form as the matcher value; it shows in route and group keys.
            match Matcher::new(MatchType::Regex, name, format!("^(?:{pattern})$")) {
                Ok(matcher) => matchers.push(matcher),
                Err(err) => self.error(path, err.to_string()),
            }
        }
        for (i, text) in route.matchers.iter().flatten().enumerate() {
            match labels::parse_matchers(text) {
                Ok(parsed) => matchers.extend(parsed),
                Err(err) => self.error(format!("{path}.matchers[{i}]"), err.to_string()),
            }
        }

        let (group_by, group_by_all) = self.group_by(path, route.group_by.as_deref().unwrap_or_default());
        let group_wait = self.duration(&format!("{path}.group_wait"), route.group_wait.as_deref());
        let group_interval = self.duration(&format!("{path}.group_interval"), route.group_interval.as_deref());
        let repeat_interval = self.duration(&format!("{path}.repeat_interval"), route.repeat_interval.as_deref());
        for (key, value) in [("group_interval", group_interval), ("repeat_interval", repeat_interval)] {
            if value.is_some_and(|d| d.is_zero()) {
                self.error(format!("{path}.{key}"), format!("{key} cannot be zero"));
            }
        }
        if let Some(receiver) = route.receiver.as_deref().filter(|r| !r.is_empty())
            && !receivers.contains(receiver)
        {
            self.error(format!("{path}.receiver"), format!("undefined receiver {receiver:?} used in route"));
        }
        for (key, names) in [
            ("active_time_intervals", &route.active_time_intervals),
            ("mute_time_intervals", &route.mute_time_intervals),
        ] {
            for (i, name) in names.iter().flatten().enumerate() {
                if !time_intervals.contains_key(name) {
                    self.error(format!("{path}.{key}[{i}]"), format!("undefined time interval {name:?} used in route"));
                }
            }
        }

        let escalation = route.escalation.as_ref().map(|policy| self.escalation(path, policy, receivers));
        let routes = route
            .routes
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, child)| self.route(&format!("{path}.routes[{i}]"), child, receivers, time_intervals))
            .collect();
        Route {
            receiver: route.receiver.clone().filter(|r| !r.is_empty()),
            group_by,
            group_by_all,
            group_wait,
            group_interval,
            repeat_interval,
            matchers: Matchers::new(matchers),
            continue_matching: route.continue_matching,
            mute_time_intervals: route.mute_time_intervals.clone().unwrap_or_default(),
            active_time_intervals: route.active_time_intervals.clone().unwrap_or_default(),
            escalation,
            routes,
        }
    }

    fn group_by(&mut self, path: &str, names: &[String]) -> (Vec<String>, bool) {
        let mut labels = Vec::new();
        let mut all = false;
        for (i, name) in names.iter().enumerate() {
            if name == "..." {
                all = true;
                continue;
            }
            if !labels::is_valid_label_name(name) {
                self.error(format!("{path}.group_by[{i}]"), format!("invalid label name {name:?} in group_by list"));
            } else if labels.contains(name) {
                self.error(format!("{path}.group_by[{i}]"), format!("duplicated label {name:?} in group_by"));
            } else {
                labels.push(name.clone());
            }
        }
        if all && !labels.is_empty() {
            self.error(
                format!("{path}.group_by"),
                "cannot have wildcard group_by (`...`) and other other labels at the same time",
            );
        }
        (labels, all)
    }

    pub(super) fn inhibit_rule(&mut self, path: &str, rule: &model::InhibitRule) -> InhibitRule {
        let source = self.side(path, "source", &rule.source_match, &rule.source_match_re, &rule.source_matchers);
        let target = self.side(path, "target", &rule.target_match, &rule.target_match_re, &rule.target_matchers);
        let mut equal = Vec::new();
        for (i, name) in rule.equal.iter().flatten().enumerate() {
            if labels::is_valid_label_name(name) {
                equal.push(name.clone());
            } else {
                self.error(format!("{path}.equal[{i}]"), format!("{name:?} is not a valid label name"));
            }
        }
        InhibitRule { source, target, equal }
    }

    fn side(
        &mut self,
        path: &str,
        side: &str,
        exact: &Option<BTreeMap<String, String>>,
        regex: &Option<BTreeMap<String, String>>,
        strings: &Option<Vec<String>>,
    ) -> Matchers {
        let mut matchers = Vec::new();
        for (name, value) in exact.iter().flatten() {
            if labels::is_valid_label_name(name) {
                matchers.push(Matcher::new(MatchType::Equal, name, value).expect("equality matchers always build"));
            } else {
                self.error(format!("{path}.{side}_match.{name}"), format!("invalid label name {name:?}"));
            }
        }
        for (name, pattern) in regex.iter().flatten() {
            let path = format!("{path}.{side}_match_re.{name}");
            if !labels::is_valid_label_name(name) {
                self.error(path, format!("invalid label name {name:?}"));
                continue;
            }
            match Matcher::new(MatchType::Regex, name, format!("^(?:{pattern})$")) {
                Ok(matcher) => matchers.push(matcher),
                Err(err) => self.error(path, err.to_string()),
            }
        }
        for (i, text) in strings.iter().flatten().enumerate() {
            match labels::parse_matchers(text) {
                Ok(parsed) => matchers.extend(parsed),
                Err(err) => self.error(format!("{path}.{side}_matchers[{i}]"), err.to_string()),
            }
        }
        Matchers::new(matchers)
    }
}
