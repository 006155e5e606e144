//! Team-owned sub-trees: a route marked `team: NAME` and everything below it, which that team may read and
//! replace over the API without touching the rest. The route's matchers stay as they are (they decide which
//! alerts reach the team); everything else in the sub-tree is the team's.

use serde_yaml_ng::Value;

/// The keys that decide which alerts reach a route.
const MATCHER_KEYS: [&str; 3] = ["match", "match_re", "matchers"];

/// Why a team's sub-tree was not replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TeamError {
    /// No route is marked with that team.
    #[error("no route belongs to team {0:?}")]
    Unknown(String),
    /// The new sub-tree is not acceptable as it is.
    #[error("{0}")]
    Refused(String),
}

/// Every team with the path of its route, in file order.
pub(crate) fn teams(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if let Some(route) = parse(text).as_ref().and_then(|root| root.get("route")) {
        walk(route, "route", &mut |path, route| {
            if let Some(team) = route.get("team").and_then(Value::as_str) {
                found.push((team.to_string(), path.to_string()));
            }
        });
    }
    found
}

/// The route `team` owns in `text`, as YAML, with its path.
pub(crate) fn team_route(text: &str, team: &str) -> Result<(String, String), TeamError> {
    let root = parse(text).ok_or_else(|| TeamError::Unknown(team.to_string()))?;
    let (path, route) = find(&root, team).ok_or_else(|| TeamError::Unknown(team.to_string()))?;
    let yaml = serde_yaml_ng::to_string(&route).map_err(|err| TeamError::Refused(err.to_string()))?;
    Ok((path, yaml))
}

/// `text` with `team`'s route replaced by `new_route` (YAML of one route, `team` added if left out). Refused
/// when it names another team or changes the route's matchers.
pub(crate) fn splice(text: &str, team: &str, new_route: &str) -> Result<String, TeamError> {
    let mut root = parse(text).ok_or_else(|| TeamError::Unknown(team.to_string()))?;
    let (path, old) = find(&root, team).ok_or_else(|| TeamError::Unknown(team.to_string()))?;
    let mut new: Value = serde_yaml_ng::from_str(new_route)
        .map_err(|err| TeamError::Refused(format!("the sub-tree is not YAML: {err}")))?;
    let Value::Mapping(map) = &mut new else {
        return Err(TeamError::Refused("the sub-tree must be one route (a mapping)".to_string()));
    };
    match map.get("team").map(|value| value.as_str()) {
        None => {
            map.insert(Value::from("team"), Value::from(team));
        }
        Some(Some(named)) if named == team => {}
        Some(_) => return Err(TeamError::Refused(format!("{path}.team must stay {team:?}"))),
    }
    for key in MATCHER_KEYS {
        if map.get(key) != old.get(key) {
            return Err(TeamError::Refused(format!(
                "{path}.{key}: a team cannot change the matchers of its own route (they decide which alerts reach it)"
            )));
        }
    }
    let slot = find_mut(&mut root, team).ok_or_else(|| TeamError::Unknown(team.to_string()))?;
    *slot = new;
    serde_yaml_ng::to_string(&root).map_err(|err| TeamError::Refused(err.to_string()))
}

fn parse(text: &str) -> Option<Value> {
    serde_yaml_ng::from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).ok()
}

fn walk(route: &Value, path: &str, visit: &mut dyn FnMut(&str, &Value)) {
    visit(path, route);
    for (i, child) in route.get("routes").and_then(Value::as_sequence).into_iter().flatten().enumerate() {
        walk(child, &format!("{path}.routes[{i}]"), visit);
    }
}

fn find(root: &Value, team: &str) -> Option<(String, Value)> {
    let mut found = None;
    walk(root.get("route")?, "route", &mut |path, route| {
        if found.is_none() && route.get("team").and_then(Value::as_str) == Some(team) {
            found = Some((path.to_string(), route.clone()));
        }
    });
    found
}

fn find_mut<'a>(root: &'a mut Value, team: &str) -> Option<&'a mut Value> {
    fn search<'a>(route: &'a mut Value, team: &str) -> Option<&'a mut Value> {
        if route.get("team").and_then(Value::as_str) == Some(team) {
            return Some(route);
        }
        let children = route.as_mapping_mut()?.get_mut("routes")?.as_sequence_mut()?;
        children.iter_mut().find_map(|child| search(child, team))
    }
    search(root.as_mapping_mut()?.get_mut("route")?, team)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "route:\n  receiver: default\n  routes:\n  - matchers: [team=payments]\n    team: payments\n    receiver: pay\n  - matchers: [team=search]\n    team: search\n    receiver: search\nreceivers: [{name: default}, {name: pay}, {name: search}, {name: pay-night}]\n";

    #[test]
    fn a_team_reads_and_replaces_its_own_route_only() {
        assert_eq!(
            teams(TEXT),
            vec![("payments".into(), "route.routes[0]".into()), ("search".into(), "route.routes[1]".into())]
        );
        let (path, yaml) = team_route(TEXT, "payments").expect("found");
        assert_eq!(
            (path.as_str(), yaml.as_str()),
            ("route.routes[0]", "matchers:\n- team=payments\nteam: payments\nreceiver: pay\n")
        );
        let new = "matchers: [team=payments]\nreceiver: pay\nroutes:\n- matchers: [severity=critical]\n  receiver: pay-night\n";
        let spliced = splice(TEXT, "payments", new).expect("spliced");
        assert_eq!(team_route(&spliced, "search").expect("untouched").1, team_route(TEXT, "search").expect("found").1);
        assert!(team_route(&spliced, "payments").expect("found").1.contains("receiver: pay-night"));
    }

    #[test]
    fn matchers_and_the_team_name_stay() {
        let err = splice(TEXT, "payments", "matchers: [team=~.*]\nreceiver: pay\n").expect_err("refused");
        assert!(err.to_string().starts_with("route.routes[0].matchers: a team cannot change the matchers"), "{err}");
        let err = splice(TEXT, "payments", "matchers: [team=payments]\nteam: search\n").expect_err("refused");
        assert_eq!(err.to_string(), "route.routes[0].team must stay \"payments\"");
        assert_eq!(splice(TEXT, "nobody", "receiver: x\n"), Err(TeamError::Unknown("nobody".into())));
        assert!(matches!(splice(TEXT, "payments", "- a\n"), Err(TeamError::Refused(_))));
    }
}
