//! Config loading end to end: every validation error, with its path and line, and the shipped config.

use std::path::Path;

use super::*;

fn load(yaml: &str) -> Result<Loaded, ConfigError> {
    parse_str(yaml, Path::new("/nonexistent"))
}

/// The problems of an invalid config, as `(path, line, message)`.
fn problems(yaml: &str) -> Vec<(String, Option<usize>, String)> {
    match load(yaml) {
        Ok(_) => panic!("config should be rejected:\n{yaml}"),
        Err(err) => err.problems.into_iter().map(|p| (p.path, p.line, p.message)).collect(),
    }
}

/// Asserts that the config has exactly one problem, at `path`, whose message contains `message`.
fn assert_rejected(yaml: &str, path: &str, message: &str) {
    let found = problems(yaml);
    assert_eq!(found.len(), 1, "expected one problem, got {found:?}\n{yaml}");
    let (got_path, _, got_message) = &found[0];
    assert_eq!(got_path, path, "{found:?}");
    assert!(got_message.contains(message), "expected {message:?} in {got_message:?}");
}

const RECEIVERS: &str = "receivers:\n- name: default\n- name: other\n";

fn with_route(route: &str) -> String {
    format!("route:\n  receiver: default\n{route}{RECEIVERS}")
}

#[test]
fn the_shipped_config_loads_with_warnings_for_its_traps() {
    let loaded = load(include_str!("../../config/alertmanager.yml")).expect("the shipped config loads");
    let warned: Vec<_> = loaded.warnings.iter().map(|w| (w.path.as_str(), w.line)).collect();
    assert_eq!(
        warned,
        vec![
            ("receivers[0].slack_configs[0].api_url", Some(49)),
            ("receivers[1].slack_configs[0].api_url", Some(55)),
            ("receivers[1].pagerduty_configs[0].service_key", Some(58)),
            ("receivers[2].pagerduty_configs[0].service_key", Some(63)),
            ("receivers[2].opsgenie_configs[0].api_key", Some(65)),
            ("receivers[2].opsgenie_configs[0].responders[0].name", Some(67)),
            ("receivers[3].slack_configs[0].api_url", Some(72)),
            ("receivers[4].slack_configs[0].api_url", Some(76)),
        ]
    );
    let slack: Vec<&Problem> = loaded.warnings.iter().filter(|w| w.path.ends_with("api_url")).collect();
    for (warning, receiver) in slack.iter().zip(["default", "critical", "warnings", "info"]) {
        assert!(warning.message.contains(&format!("receiver {receiver:?}")), "{warning}");
    }
    assert!(
        loaded.warnings[2]
            .message
            .starts_with("reads .GroupLabels.pagerduty_key, but no route to receiver \"critical\"")
    );
    assert_eq!(loaded.config.receivers.len(), 5);
    assert_eq!(loaded.config.resolve_timeout, Duration::from_secs(300));
}

#[test]
fn grouping_by_the_label_a_template_reads_silences_the_warning() {
    let yaml = "route:\n  receiver: pd\n  group_by: [alertname, key]\nreceivers:\n- name: pd\n  pagerduty_configs:\n  - routing_key: '{{ .GroupLabels.key }}'\n";
    assert!(load(yaml).expect("loads").warnings.is_empty());
    let everything = yaml.replace("[alertname, key]", "['...']");
    assert!(load(&everything).expect("loads").warnings.is_empty());
}

#[test]
fn a_global_slack_url_silences_the_warning() {
    let yaml = "global:\n  slack_api_url: https://hooks.example/x\nroute:\n  receiver: s\nreceivers:\n- name: s\n  slack_configs:\n  - channel: '#a'\n";
    let loaded = load(yaml).expect("loads");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let slack = &loaded.config.receivers[0].slack_configs[0];
    assert_eq!(slack.api_url.as_ref().map(Secret::expose), Some("https://hooks.example/x"));
}

#[test]
fn empty_and_routeless_files_are_rejected() {
    assert_eq!(problems("  \n"), vec![(String::new(), None, "no route provided in config".into())]);
    assert_rejected(RECEIVERS, "route", "no routes provided");
}

#[test]
fn unknown_fields_are_rejected_with_path_and_line() {
    let found = problems(&with_route("  recever: x\n"));
    assert_eq!(found.len(), 1);
    let (path, line, message) = &found[0];
    assert_eq!((path.as_str(), *line), ("route", Some(3)));
    assert!(message.starts_with("unknown field `recever`"), "{message}");
    let nested = problems(
        "route:\n  receiver: default\nreceivers:\n- name: default\n  webhook_configs:\n  - url: http://a\n    sendresolved: true\n",
    );
    assert_eq!(nested[0].0, "receivers[0].webhook_configs[0]");
    assert_eq!(nested[0].1, Some(7));
}

#[test]
fn a_bad_resolve_timeout_is_reported_at_its_line() {
    let found = problems(&format!("global:\n  smtp_hello: x\n  resolve_timeout: 5 minutes\n{}", with_route("")));
    assert_eq!(
        found,
        vec![("global.resolve_timeout".into(), Some(3), "not a valid duration string: \"5 minutes\"".into())]
    );
}

#[test]
fn root_route_rules() {
    assert_rejected(
        &format!("route:\n  group_by: [a]\n{RECEIVERS}"),
        "route.receiver",
        "root route must specify a default receiver",
    );
    assert_rejected(&with_route("  match: {a: b}\n"), "route", "root route must not have any matchers");
    assert_rejected(&with_route("  matchers: [a=b]\n"), "route", "root route must not have any matchers");
    assert_rejected(&with_route("  continue: true\n"), "route.continue", "cannot have continue in root route");
    let intervals = "time_intervals:\n- name: night\n  time_intervals: [{weekdays: [sunday]}]\n";
    assert_rejected(
        &format!("{}{intervals}", with_route("  mute_time_intervals: [night]\n")),
        "route.mute_time_intervals",
        "root route must not have any mute time intervals",
    );
    assert_rejected(
        &format!("{}{intervals}", with_route("  active_time_intervals: [night]\n")),
        "route.active_time_intervals",
        "root route must not have any active time intervals",
    );
}

#[test]
fn undefined_and_duplicate_receivers() {
    let yaml = with_route("  routes:\n  - receiver: pager\n");
    let found = problems(&yaml);
    assert_eq!(
        found,
        vec![("route.routes[0].receiver".into(), Some(4), "undefined receiver \"pager\" used in route".into())]
    );
    assert_rejected(
        "route:\n  receiver: a\nreceivers:\n- name: a\n- name: a\n",
        "receivers[1].name",
        "notification config name \"a\" is not unique",
    );
    assert_rejected(
        "route:\n  receiver: a\nreceivers:\n- name: a\n- webhook_configs: []\n",
        "receivers[1].name",
        "missing name in receiver",
    );
}

#[test]
fn matcher_errors_name_the_matcher() {
    assert_rejected(
        &with_route("  routes:\n  - matchers: ['a=~(']\n"),
        "route.routes[0].matchers[0]",
        "invalid regular expression",
    );
    assert_rejected(
        &with_route("  routes:\n  - matchers: [foo]\n"),
        "route.routes[0].matchers[0]",
        "bad matcher format: foo",
    );
    assert_rejected(
        &with_route("  routes:\n  - matchers: ['a=\"x\"y\"']\n"),
        "route.routes[0].matchers[0]",
        "matcher value contains unescaped double quote",
    );
    assert_rejected(
        &with_route("  routes:\n  - match_re: {a: '['}\n"),
        "route.routes[0].match_re.a",
        "invalid regular expression",
    );
    assert_rejected(
        &with_route("  routes:\n  - match: {team-name: x}\n"),
        "route.routes[0].match.team-name",
        "invalid label name \"team-name\"",
    );
    assert_rejected(
        &with_route("  routes:\n  - match_re: {0a: x}\n"),
        "route.routes[0].match_re.0a",
        "invalid label name \"0a\"",
    );
}

#[test]
fn group_by_rules() {
    assert_rejected(
        &with_route("  group_by: [alertname, '...']\n"),
        "route.group_by",
        "cannot have wildcard group_by (`...`) and other other labels at the same time",
    );
    assert_rejected(
        &with_route("  group_by: [alert-name]\n"),
        "route.group_by[0]",
        "invalid label name \"alert-name\" in group_by list",
    );
    assert_rejected(&with_route("  group_by: [a, b, a]\n"), "route.group_by[2]", "duplicated label \"a\" in group_by");
}

#[test]
fn durations_must_be_prometheus_durations_and_intervals_non_zero() {
    for (field, value, message) in [
        ("group_wait", "1.5m", "not a valid duration string: \"1.5m\""),
        ("group_interval", "-10s", "not a valid duration string: \"-10s\""),
        ("repeat_interval", "30m1h", "not a valid duration string: \"30m1h\""),
        ("group_wait", "''", "empty duration string"),
    ] {
        let found = problems(&with_route(&format!("  {field}: {value}\n")));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0.as_str(), found[0].1), (format!("route.{field}").as_str(), Some(3)));
        assert!(found[0].2.contains(message), "{found:?}");
    }
    assert_rejected(&with_route("  group_interval: 0s\n"), "route.group_interval", "group_interval cannot be zero");
    assert_rejected(
        &with_route("  routes:\n  - repeat_interval: 0\n"),
        "route.routes[0].repeat_interval",
        "repeat_interval cannot be zero",
    );
    let loaded = load(&with_route("  group_wait: 0\n")).expect("a zero group_wait is allowed");
    assert_eq!(loaded.config.route.group_wait, Some(Duration::ZERO));
}

#[test]
fn time_interval_rules() {
    let base = with_route("  routes:\n  - receiver: other\n    mute_time_intervals: [night]\n");
    assert_rejected(&base, "route.routes[0].mute_time_intervals[0]", "undefined time interval \"night\" used in route");
    let defined = format!(
        "{base}time_intervals:\n- name: night\n  time_intervals:\n  - times: [{{start_time: '22:00', end_time: '06:00'}}]\n"
    );
    assert_rejected(
        &defined,
        "time_intervals[0].time_intervals[0]",
        "start time cannot be equal or greater than end time",
    );
    let dup = format!(
        "{base}mute_time_intervals:\n- name: night\n  time_intervals: []\ntime_intervals:\n- name: night\n  time_intervals: []\n"
    );
    assert_rejected(&dup, "time_intervals[0].name", "time interval \"night\" is not unique");
    let unnamed = format!("{}time_intervals:\n- time_intervals: []\n", with_route(""));
    assert_rejected(&unnamed, "time_intervals[0].name", "missing name in time interval");
    let zone = format!("{base}time_intervals:\n- name: night\n  time_intervals:\n  - location: Moon/Base\n");
    assert_rejected(&zone, "time_intervals[0].time_intervals[0]", "unknown time zone Moon/Base");
}

#[test]
fn inhibit_rule_rules() {
    let rule = |body: &str| format!("{}inhibit_rules:\n- {body}\n", with_route(""));
    assert_rejected(
        &rule("source_matchers: ['a=~(']"),
        "inhibit_rules[0].source_matchers[0]",
        "invalid regular expression",
    );
    assert_rejected(
        &rule("target_match: {bad-name: x}"),
        "inhibit_rules[0].target_match.bad-name",
        "invalid label name",
    );
    assert_rejected(
        &rule("equal: [alert-name]"),
        "inhibit_rules[0].equal[0]",
        "\"alert-name\" is not a valid label name",
    );
    let loaded = load(&rule(
        "source_match: {severity: critical}\n  target_matchers: ['severity=~\"warning|info\"']\n  equal: [alertname]",
    ))
    .expect("a valid rule loads");
    let checked = &loaded.config.inhibit_rules[0];
    assert_eq!(checked.source.to_string(), "{severity=\"critical\"}");
    assert_eq!(checked.target.to_string(), "{severity=~\"warning|info\"}");
    assert_eq!(checked.equal, vec!["alertname".to_string()]);
}

fn with_receiver(receiver: &str) -> String {
    format!("route:\n  receiver: r\nreceivers:\n- name: r\n{receiver}")
}

#[test]
fn webhook_rules() {
    assert_rejected(
        &with_receiver("  webhook_configs:\n  - send_resolved: true\n"),
        "receivers[0].webhook_configs[0].url",
        "missing URL in webhook config",
    );
    assert_rejected(
        &with_receiver("  webhook_configs:\n  - url: ftp://x/y\n"),
        "receivers[0].webhook_configs[0].url",
        "unsupported scheme \"ftp\" for URL",
    );
    assert_rejected(
        &with_receiver("  webhook_configs:\n  - url: 'not a url'\n"),
        "receivers[0].webhook_configs[0].url",
        "invalid URL",
    );
}

#[test]
fn slack_rules() {
    let slack = |body: &str| with_receiver(&format!("  slack_configs:\n  - api_url: https://hooks.example/x\n{body}"));
    assert_rejected(
        &slack("    api_url_file: /x\n"),
        "receivers[0].slack_configs[0].api_url",
        "at most one of api_url & api_url_file must be configured",
    );
    assert_rejected(
        &slack("    fields: [{value: v}]\n"),
        "receivers[0].slack_configs[0].fields[0].title",
        "missing title in Slack field configuration",
    );
    assert_rejected(
        &slack("    fields: [{title: t}]\n"),
        "receivers[0].slack_configs[0].fields[0].value",
        "missing value in Slack field configuration",
    );
    assert_rejected(
        &slack("    actions: [{text: t, url: 'http://x'}]\n"),
        "receivers[0].slack_configs[0].actions[0].type",
        "missing type in Slack action configuration",
    );
    assert_rejected(
        &slack("    actions: [{type: button, url: 'http://x'}]\n"),
        "receivers[0].slack_configs[0].actions[0].text",
        "missing text in Slack action configuration",
    );
    assert_rejected(
        &slack("    actions: [{type: button, text: t}]\n"),
        "receivers[0].slack_configs[0].actions[0]",
        "missing name or url in Slack action configuration",
    );
    assert_rejected(
        &slack("    actions: [{type: button, text: t, name: n, confirm: {title: x}}]\n"),
        "receivers[0].slack_configs[0].actions[0].confirm.text",
        "missing text in Slack confirmation configuration",
    );
    let global = format!("global:\n  slack_api_url: https://a/b\n  slack_api_url_file: /f\n{}", with_receiver(""));
    assert_rejected(
        &global,
        "global.slack_api_url",
        "at most one of slack_api_url & slack_api_url_file must be configured",
    );
}

#[test]
fn pagerduty_rules() {
    let pd = |body: &str| with_receiver(&format!("  pagerduty_configs:\n  - {body}\n"));
    assert_rejected(
        &pd("description: x"),
        "receivers[0].pagerduty_configs[0]",
        "missing service or routing key in PagerDuty config",
    );
    assert_rejected(
        &pd("routing_key: a\n    routing_key_file: /b"),
        "receivers[0].pagerduty_configs[0].routing_key",
        "at most one of routing_key & routing_key_file must be configured",
    );
    assert_rejected(
        &pd("service_key: a\n    service_key_file: /b"),
        "receivers[0].pagerduty_configs[0].service_key",
        "at most one of service_key & service_key_file must be configured",
    );
    assert_rejected(
        &pd("routing_key: a\n    url: 'mailto:x'"),
        "receivers[0].pagerduty_configs[0].url",
        "unsupported scheme \"mailto\" for URL",
    );
    let loaded = load(&pd("routing_key: '{{ .GroupLabels.key }}'")).expect("a templated key loads");
    let config = &loaded.config.receivers[0].pagerduty_configs[0];
    assert_eq!(config.url.as_deref(), Some("https://events.pagerduty.com/v2/enqueue"));
}

#[test]
fn opsgenie_rules() {
    let og = |body: &str| with_receiver(&format!("  opsgenie_configs:\n  - {body}\n"));
    assert_rejected(
        &og("message: x"),
        "receivers[0].opsgenie_configs[0].api_key",
        "no global OpsGenie API Key set either inline or in a file",
    );
    assert_rejected(
        &og("api_key: a\n    api_key_file: /b"),
        "receivers[0].opsgenie_configs[0].api_key",
        "at most one of api_key & api_key_file must be configured",
    );
    assert_rejected(
        &og("api_key: a\n    responders: [{type: team}]"),
        "receivers[0].opsgenie_configs[0].responders[0]",
        "at least one of id, username or name",
    );
    assert_rejected(
        &og("api_key: a\n    responders: [{name: x, type: squad}]"),
        "receivers[0].opsgenie_configs[0].responders[0].type",
        "does not match valid options",
    );
    let loaded = load(&og("api_key: k\n    api_url: https://api.eu.opsgenie.com\n    responders: [{name: x, type: Team}, {name: y, type: '{{ .GroupLabels.kind }}'}]"))
        .expect("valid opsgenie config");
    let config = &loaded.config.receivers[0].opsgenie_configs[0];
    assert_eq!(config.api_url.as_deref(), Some("https://api.eu.opsgenie.com/"), "a trailing slash is added");
    let global = format!("global:\n  opsgenie_api_key: k\n{}", og("message: x"));
    let loaded = load(&global).expect("the global key is inherited");
    let config = &loaded.config.receivers[0].opsgenie_configs[0];
    assert_eq!(config.api_key.as_ref().map(Secret::expose), Some("k"));
    assert_eq!(config.api_url.as_deref(), Some("https://api.opsgenie.com/"));
}

#[test]
fn http_config_rules() {
    let http =
        |body: &str| with_receiver(&format!("  webhook_configs:\n  - url: http://a\n    http_config:\n      {body}\n"));
    let at = "receivers[0].webhook_configs[0].http_config";
    assert_rejected(
        &http("bearer_token: a\n      bearer_token_file: /b"),
        at,
        "at most one of bearer_token & bearer_token_file must be configured",
    );
    assert_rejected(
        &http("bearer_token: a\n      basic_auth: {username: u}"),
        at,
        "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
    );
    assert_rejected(
        &http("basic_auth: {username: u, password: p, password_file: /f}"),
        &format!("{at}.basic_auth"),
        "at most one of basic_auth password & password_file",
    );
    assert_rejected(
        &http("authorization: {type: basic, credentials: x}"),
        &format!("{at}.authorization.type"),
        "use \"basic_auth\" instead",
    );
    assert_rejected(
        &http("authorization: {credentials: x}\n      bearer_token: y"),
        &format!("{at}.authorization"),
        "authorization is not compatible with bearer_token",
    );
    assert_rejected(
        &http("authorization: {credentials: x}\n      basic_auth: {username: u}"),
        &format!("{at}.authorization"),
        "at most one of basic_auth, oauth2 & authorization must be configured",
    );
    assert_rejected(
        &http("oauth2: {client_secret: s, token_url: 'http://t'}"),
        &format!("{at}.oauth2.client_id"),
        "oauth2 client_id must be configured",
    );
    assert_rejected(
        &http("oauth2: {client_id: c, token_url: 'http://t'}"),
        &format!("{at}.oauth2"),
        "either oauth2 client_secret or client_secret_file must be configured",
    );
    assert_rejected(
        &http("oauth2: {client_id: c, client_secret: s}"),
        &format!("{at}.oauth2.token_url"),
        "oauth2 token_url must be configured",
    );
    assert_rejected(
        &http("tls_config: {min_version: TLS9}"),
        &format!("{at}.tls_config.min_version"),
        "unknown TLS version: TLS9",
    );
}

#[test]
fn http_settings_herald_cannot_honour_yet_are_warnings() {
    let yaml = with_receiver(
        "  webhook_configs:\n  - url: http://a\n    http_config:\n      oauth2: {client_id: c, client_secret: s, token_url: 'http://t'}\n      tls_config: {server_name: x, max_version: TLS11}\n",
    );
    let loaded = load(&yaml).expect("loads");
    let paths: Vec<&str> = loaded.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "receivers[0].webhook_configs[0].http_config.oauth2",
            "receivers[0].webhook_configs[0].http_config.tls_config.server_name",
            "receivers[0].webhook_configs[0].http_config.tls_config.max_version",
        ]
    );
}

#[test]
fn client_certificates_come_in_pairs() {
    let http = |tls: &str| {
        with_receiver(&format!("  webhook_configs:\n  - url: http://a\n    http_config:\n      tls_config: {tls}\n"))
    };
    let at = "receivers[0].webhook_configs[0].http_config.tls_config";
    assert_rejected(&http("{cert_file: /c}"), &format!("{at}.cert"), "client certificate specified without client key");
    assert_rejected(&http("{key: k}"), &format!("{at}.key"), "client key specified without client certificate");
    assert_rejected(
        &http("{ca: x, ca_file: /x, cert: c, key: k}"),
        &format!("{at}.ca"),
        "at most one of ca and ca_file",
    );
    assert!(load(&http("{cert: c, key: k}")).expect("a pair loads").warnings.is_empty());
}

#[test]
fn an_integration_without_http_config_inherits_the_global_one_whole() {
    let yaml = format!(
        "global:\n  http_config:\n    basic_auth: {{username: u, password: p}}\n{}",
        with_receiver(
            "  webhook_configs:\n  - url: http://a\n  - url: http://b\n    http_config: {follow_redirects: false}\n"
        )
    );
    let loaded = load(&yaml).expect("loads");
    let hooks = &loaded.config.receivers[0].webhook_configs;
    let inherited = hooks[0].http_config.as_ref().expect("inherited");
    assert_eq!(inherited.basic_auth.as_ref().map(|b| b.username.as_str()), Some("u"));
    let own = hooks[1].http_config.as_ref().expect("own");
    assert!(own.basic_auth.is_none(), "not merged with the global one");
    assert_eq!((own.follow_redirects, own.enable_http2), (Some(false), Some(true)));
}

#[test]
fn every_problem_is_reported_in_document_order() {
    let yaml = "route:\n  receiver: nope\n  group_by: [a-b]\n  routes:\n  - matchers: [bad]\nreceivers:\n- name: x\n- name: x\n";
    let lines: Vec<_> = problems(yaml).into_iter().map(|(_, line, _)| line).collect();
    assert_eq!(lines, vec![Some(2), Some(3), Some(5), Some(8)]);
}

#[test]
fn relative_paths_are_taken_from_the_config_folder() {
    let loaded =
        parse_str(&format!("templates: ['tmpl/*.tmpl']\n{}", with_route("")), Path::new("/etc/herald")).expect("loads");
    assert_eq!(loaded.config.templates, vec![std::path::PathBuf::from("/etc/herald/tmpl/*.tmpl")]);
    let missing = with_receiver("  slack_configs:\n  - api_url_file: secrets/slack\n");
    let loaded = parse_str(&missing, Path::new("/etc/herald")).expect("a missing file is only a warning");
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].message.contains("/etc/herald/secrets/slack does not exist"), "{:?}", loaded.warnings);
}

#[test]
fn secrets_are_redacted_when_the_config_is_printed() {
    let yaml = format!(
        "global:\n  slack_api_url: https://hooks.example/T/B/secret-token\n  opsgenie_api_key: og-key\n{}",
        with_receiver("  pagerduty_configs:\n  - routing_key: pd-key\n")
    );
    let loaded = load(&yaml).expect("loads");
    let debug = format!("{:?}", loaded.config);
    let serialized = serde_yaml_ng::to_string(&loaded.config.file).expect("serializes");
    for text in [&debug, &serialized] {
        for secret in ["secret-token", "og-key", "pd-key"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
        assert!(text.contains("<secret>"));
    }
}

#[test]
fn yaml_anchors_and_merge_keys_work_as_in_alertmanager() {
    let yaml = "route:\n  receiver: a\n  routes:\n  - &base\n    receiver: a\n    group_wait: 10s\n  - <<: *base\n    matchers: [x=1]\nreceivers: [{name: a}]\n";
    let loaded = load(yaml).expect("merge keys are applied");
    let merged = &loaded.config.route.routes[1];
    assert_eq!(merged.group_wait, Some(Duration::from_secs(10)));
    assert_eq!(merged.matchers.to_string(), "{x=\"1\"}");
}

#[test]
fn yaml_1_1_forms_load_as_in_alertmanager() {
    let yaml = "\u{feff}route:\n  receiver: a\n  routes:\n  - {receiver: a, continue: yes, match: {x: ~}}\n  - receiver: a\ninhibit_rules: ~\ntemplates: ~\nreceivers:\n- name: a\n  webhook_configs:\n  - {url: 'http://h', send_resolved: no}\n  email_configs: []\n";
    let loaded = load(yaml).expect("loads");
    let first = &loaded.config.route.routes[0];
    assert!(first.continue_matching);
    assert_eq!(first.matchers.to_string(), "{x=\"\"}");
    assert_eq!(loaded.config.receivers[0].webhook_configs[0].send_resolved, Some(false));
    assert!(loaded.config.inhibit_rules.is_empty());
    let found = problems(&with_route("  routes:\n  - match_re: {a: ~}\n"));
    assert!(found[0].2.contains("invalid regexp value for \"a\""), "{found:?}");
}

#[test]
fn empty_keys_count_as_missing() {
    let pd = with_receiver("  pagerduty_configs:\n  - routing_key: ''\n");
    assert_rejected(&pd, "receivers[0].pagerduty_configs[0]", "missing service or routing key in PagerDuty config");
    let og = with_receiver("  opsgenie_configs:\n  - api_key: ''\n");
    assert_rejected(&og, "receivers[0].opsgenie_configs[0].api_key", "no global OpsGenie API Key set");
    let both = with_receiver(
        "  webhook_configs:\n  - url: http://a\n    http_config: {bearer_token: '', bearer_token_file: /t}\n",
    );
    assert!(load(&both).is_ok(), "an empty token next to a token file is not a conflict");
}

#[test]
fn an_smtp_smarthost_needs_a_port() {
    let yaml = format!("global:\n  smtp_smarthost: mail.example\n{}", with_route(""));
    assert_rejected(&yaml, "global.smtp_smarthost", "address mail.example: missing port in address");
    assert!(load(&format!("global:\n  smtp_smarthost: mail.example:25\n{}", with_route(""))).is_ok());
}

#[test]
fn a_slack_confirmation_needs_text_even_on_a_link_button() {
    let yaml = with_receiver(
        "  slack_configs:\n  - api_url: https://h/x\n    actions: [{type: button, text: t, url: 'http://x', confirm: {title: x}}]\n",
    );
    assert_rejected(
        &yaml,
        "receivers[0].slack_configs[0].actions[0].confirm.text",
        "missing text in Slack confirmation",
    );
}

#[test]
fn duplicate_keys_are_refused_and_later_documents_ignored() {
    let found = problems(&with_route("  routes:\n  - receiver: other\n    match: {a: x, a: y}\n"));
    assert_eq!(found, vec![("route.routes[0].match".into(), Some(5), "key \"a\" already set in map".into())]);
    let two_documents = format!("{}---\nfoo: bar\n", with_route(""));
    assert!(load(&two_documents).is_ok(), "only the first document is read");
}

#[test]
fn urls_go_would_refuse_are_refused() {
    for url in ["http:x", "http:///x", "' http://x'", "'http://x '"] {
        let yaml = with_receiver(&format!("  webhook_configs:\n  - url: {url}\n"));
        let found = problems(&yaml);
        assert_eq!(found[0].0, "receivers[0].webhook_configs[0].url", "{url}");
    }
}

#[test]
fn null_matcher_strings_are_ignored() {
    let loaded = load(&with_route("  routes:\n  - receiver: other\n    matchers: [~]\n")).expect("loads");
    assert!(loaded.config.route.routes[0].matchers.is_empty());
}

#[test]
fn templates_that_herald_cannot_render_are_load_errors_naming_the_field() {
    let yaml = with_receiver(
        "  slack_configs:\n  - api_url: https://h/x\n    title: '{{ .GroupLabels.alertname '\n    text: '{{ humanizeBytes .X }}'\n",
    );
    let found = problems(&yaml);
    let paths: Vec<&str> = found.iter().map(|(path, _, _)| path.as_str()).collect();
    assert_eq!(paths, vec!["receivers[0].slack_configs[0].title", "receivers[0].slack_configs[0].text"]);
    assert!(found[0].2.starts_with("template: "), "{found:?}");
    let seed = load(include_str!("../../config/alertmanager.yml")).expect("the example config's templates compile");
    assert_eq!(seed.config.template_files.len(), 0);
}

#[test]
fn template_files_are_read_and_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("good.tmpl"), "{{ define \"mine\" }}ok{{ end }}").expect("written");
    let yaml = format!("templates: ['*.tmpl']\n{}", with_route(""));
    let loaded = parse_str(&yaml, dir.path()).expect("loads");
    assert_eq!(loaded.config.template_files.len(), 1);
    std::fs::write(dir.path().join("bad.tmpl"), "{{ define \"broken\" }}{{ .X ").expect("written");
    let err = parse_str(&yaml, dir.path()).expect_err("a broken file is refused");
    assert_eq!(err.problems[0].path, "templates[0]");
    assert!(err.problems[0].message.contains("bad.tmpl"), "{err}");
}

#[test]
fn escalation_policies_are_checked_with_path_and_line() {
    let route = |escalation: &str| {
        format!("route:\n  receiver: default\n  routes:\n  - matchers: [a=b]\n    escalation:\n{escalation}{RECEIVERS}")
    };
    let found = problems(&route(
        "    - after: 15m\n      receiver: nobody\n    - after: 10m\n      receiver: other\n    - receiver: other\n",
    ));
    assert_eq!(
        found,
        vec![
            (
                "route.routes[0].escalation[0].receiver".to_string(),
                Some(7),
                "undefined receiver \"nobody\" used in escalation".to_string()
            ),
            (
                "route.routes[0].escalation[1].after".to_string(),
                Some(8),
                "escalation levels out of order: 10m is not later than the level before it (15m)".to_string()
            ),
            (
                "route.routes[0].escalation[2].after".to_string(),
                Some(10),
                "missing after in escalation level".to_string()
            ),
        ]
    );
    assert_rejected(
        &route("      levels: [{after: 0s, receiver: other}]\n"),
        "route.routes[0].escalation.levels[0].after",
        "cannot be zero",
    );
    assert_rejected(
        &route("      levels: [{after: 1m, receiver: other, typo: 1}]\n"),
        "route.routes[0].escalation.levels[0]",
        "unknown field `typo`",
    );
    assert_rejected(&route("      repeat: 2\n"), "route.routes[0].escalation.repeat", "needs at least one");
    assert_rejected(&route("      ack_timeout: soon\n"), "route.routes[0].escalation.ack_timeout", "soon");
    assert_rejected(&route("      after: 1m\n"), "route.routes[0].escalation", "unknown field `after`");
    assert_rejected(
        &route("      levels: [{after: 1m}]\n"),
        "route.routes[0].escalation.levels[0].receiver",
        "missing",
    );
}

#[test]
fn escalation_is_inherited_switched_off_and_left_out_of_the_status_yaml() {
    let yaml = format!(
        "route:\n  receiver: default\n  escalation: {{levels: [{{after: 10m, receiver: other}}], repeat: 1, ack_timeout: 30m}}\n  routes:\n  - matchers: [a=b]\n    routes:\n    - matchers: [c=d]\n      escalation: []\n{RECEIVERS}"
    );
    let loaded = load(&yaml).expect("loads");
    let tree = crate::routing::RouteTree::new(&loaded.config.route);
    let policies: Vec<Option<&EscalationPolicy>> = tree.nodes().iter().map(|n| n.escalation.as_deref()).collect();
    let expected = EscalationPolicy {
        levels: vec![EscalationLevel { after: Duration::from_secs(600), receiver: "other".to_string() }],
        repeat: 1,
        ack_timeout: Some(Duration::from_secs(1800)),
    };
    assert_eq!(policies, vec![Some(&expected), Some(&expected), None], "inherited, then switched off");
    assert_eq!(extensions(&loaded.config.file), vec!["route.escalation", "route.routes[0].routes[0].escalation"]);
    let shown = loaded.config.to_display_yaml();
    assert!(!shown.contains("escalation:"), "{shown}");
    assert!(extensions(&load(&shown).expect("loads").config.file).is_empty());
}

#[test]
fn integrations_name_what_they_miss() {
    for (entry, path, message) in [
        ("discord_configs:\n  - title: x\n", "discord_configs[0].webhook_url", "no discord webhook URL provided"),
        (
            "discord_configs:\n  - webhook_url: ftp://h/x\n",
            "discord_configs[0].webhook_url",
            "unsupported scheme \"ftp\" for URL",
        ),
        (
            "telegram_configs:\n  - chat_id: 1\n",
            "telegram_configs[0].bot_token",
            "missing bot_token on telegram_config",
        ),
        ("telegram_configs:\n  - bot_token: t\n", "telegram_configs[0].chat_id", "missing chat_id on telegram_config"),
        (
            "telegram_configs:\n  - bot_token: t\n    chat_id: 1\n    parse_mode: markdown\n",
            "telegram_configs[0].parse_mode",
            "unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string",
        ),
        (
            "webex_configs:\n  - http_config: {authorization: {credentials: t}}\n",
            "webex_configs[0].room_id",
            "missing room_id on webex_config",
        ),
        (
            "webex_configs:\n  - room_id: r\n",
            "webex_configs[0].http_config.authorization",
            "missing webex_configs.http_config.authorization",
        ),
        (
            "msteams_configs:\n  - title: x\n",
            "msteams_configs[0].webhook_url",
            "one of webhook_url or webhook_url_file must be configured",
        ),
    ] {
        let found = problems(&with_receiver(&format!("  {entry}")));
        assert!(
            found.iter().any(|(p, _, m)| p == &format!("receivers[0].{path}") && m.contains(message)),
            "{entry}: {found:?}"
        );
    }
    let loaded = load(&with_receiver("  webex_configs:\n  - room_id: r\n    http_config: {bearer_token: t}\n"))
        .expect("a bearer token alone authorises Webex, as in Alertmanager");
    let webex = &loaded.config.receivers[0].webex_configs[0];
    assert_eq!(webex.api_url.as_deref(), Some("https://webexapis.com/v1/messages"));
    let telegram = load(&with_receiver("  telegram_configs:\n  - bot_token: t\n    chat_id: -5\n")).expect("loads");
    let telegram = &telegram.config.receivers[0].telegram_configs[0];
    assert_eq!(
        (telegram.api_url.as_deref(), telegram.parse_mode.as_deref()),
        (Some("https://api.telegram.org"), Some("HTML"))
    );
}
