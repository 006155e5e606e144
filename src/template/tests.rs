//! Rendering Alertmanager-style template strings; the expected texts are what Go's text/template prints.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::*;
use crate::alert::Alert;
use crate::labels::LabelSet;
use crate::notify::data::NotificationData;

fn labels(pairs: &[(&str, &str)]) -> LabelSet {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("valid")
}

/// Two firing alerts and one resolved, grouped by alertname.
fn data() -> TemplateData {
    let alert = |instance: &str, ends: i64, description: &str| {
        Arc::new(Alert::new(
            labels(&[("alertname", "DiskFull"), ("instance", instance), ("severity", "critical"), ("team", "db")]),
            labels(&[("description", description), ("summary", "Disk is full")]),
            at(0),
            at(ends),
            at(0),
        ))
    };
    let alerts = vec![alert("a", 3600, "a is full"), alert("b", 3600, "b is full"), alert("c", 10, "c was full")];
    let data =
        NotificationData::new("team.db", &labels(&[("alertname", "DiskFull")]), &alerts, "http://herald:9093", at(60));
    TemplateData::new(&data)
}

fn render(source: &str) -> String {
    Templates::new().render_go_string(source, &data()).unwrap_or_else(|err| panic!("{source}: {err}"))
}

#[test]
fn fields_of_the_data_render() {
    assert_eq!(render("Alert: {{ .GroupLabels.alertname }}"), "Alert: DiskFull");
    assert_eq!(render("{{ .CommonAnnotations.summary }}"), "Disk is full");
    assert_eq!(render("{{ .Receiver }} {{ .Status }} {{ .ExternalURL }}"), "team\\.db firing http://herald:9093");
    assert_eq!(render("[{{ .CommonLabels.missing }}]"), "[]");
}

#[test]
fn range_over_alerts_and_their_fields() {
    assert_eq!(
        render("{{ range .Alerts }}{{ .Annotations.description }};{{ end }}"),
        "a is full;b is full;c was full;"
    );
    assert_eq!(render("{{ range .Alerts.Firing }}{{ .Labels.instance }}{{ end }}"), "ab");
    assert_eq!(render("{{ range .Alerts.Resolved }}{{ .Labels.instance }} {{ .Status }}{{ end }}"), "c resolved");
    assert_eq!(render("{{ range $i, $a := .Alerts }}{{ $i }}={{ $a.Labels.instance }} {{ end }}"), "0=a 1=b 2=c ");
    assert_eq!(render("{{ range .Alerts }}{{ $.GroupLabels.alertname }}{{ end }}"), "DiskFullDiskFullDiskFull");
}

#[test]
fn conditionals() {
    assert_eq!(render(r#"{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}"#), "danger");
    assert_eq!(render(r#"{{ if .CommonLabels.nope }}x{{ else if .CommonLabels.team }}team{{ end }}"#), "team");
    assert_eq!(render(r#"{{ if and .Alerts (not .CommonLabels.nope) }}yes{{ end }}"#), "yes");
}

#[test]
fn counting_and_functions() {
    assert_eq!(render("[FIRING:{{ .Alerts.Firing | len }}]"), "[FIRING:2]");
    assert_eq!(render("{{ len .Alerts.Resolved }}"), "1");
    assert_eq!(
        render("{{ .Status | toUpper }} {{ toLower \"ABC\" }} {{ title \"disk full\" }}"),
        "FIRING abc Disk Full"
    );
    assert_eq!(render(r#"{{ reReplaceAll "(\\w+)Full" "$1 full" .GroupLabels.alertname }}"#), "Disk full");
    assert_eq!(render(r#"{{ .CommonLabels.team | safeHtml }}"#), "db");
    assert_eq!(render(r#"{{ join ", " (stringSlice "a" "b") }}"#), "a, b");
    assert_eq!(render(r#"{{ printf "%s/%d" .Status 3 }}"#), "firing/3");
}

#[test]
fn sorted_pairs_names_values_and_remove() {
    assert_eq!(
        render("{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}"),
        "alertname=DiskFull severity=critical team=db "
    );
    assert_eq!(render(r#"{{ .CommonLabels.SortedPairs.Values | join " " }}"#), "DiskFull critical db");
    assert_eq!(render(r#"{{ .CommonLabels.Names | join "," }}"#), "alertname,severity,team");
    assert_eq!(
        render(r#"{{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join " " }}{{ end }}"#),
        "critical db"
    );
}

#[test]
fn named_templates_from_files_and_whitespace_control() {
    let mut templates = Templates::new();
    let names = templates
        .add_go_file(
            r#"{{ define "my.title" }}[{{ .Status | toUpper }}] {{ .GroupLabels.alertname }}{{ end }}
{{ define "my.list" }}{{ range . }}
- {{ .Labels.instance }}
{{- end }}{{ end }}"#,
        )
        .expect("file parses");
    assert_eq!(names, vec!["my.list".to_string(), "my.title".to_string()]);
    let data = data();
    assert_eq!(
        templates.render_go_string(r#"{{ template "my.title" . }}"#, &data).expect("renders"),
        "[FIRING] DiskFull"
    );
    assert_eq!(
        templates.render_go_string(r#"{{ template "my.list" .Alerts.Firing }}"#, &data).expect("renders"),
        "\n- a\n- b"
    );
}

#[test]
fn an_unknown_template_fails_at_render_and_bad_syntax_at_compile() {
    let templates = Templates::new();
    assert!(templates.render_go_string(r#"{{ template "nope" . }}"#, &data()).is_err());
    let mut templates = Templates::new();
    assert!(templates.precompile("{{ .X ").is_err());
    assert!(templates.precompile("{{ nosuchfunc .X }}").is_err());
}

#[test]
fn the_default_subject_and_titles_read_like_alertmanagers() {
    assert_eq!(render(r#"{{ template "__subject" . }}"#), "[FIRING:2] DiskFull (critical db)");
    assert_eq!(render(r#"{{ template "slack.default.title" . }}"#), "[FIRING:2] DiskFull (critical db)");
    assert_eq!(render(r#"{{ template "slack.default.username" . }}"#), "Alertmanager");
    assert_eq!(
        render(r#"{{ template "slack.default.titlelink" . }}"#),
        "http://herald:9093/#/alerts?receiver=team%5C.db"
    );
    assert_eq!(
        render(r#"{{ template "slack.default.fallback" . }}"#),
        "[FIRING:2] DiskFull (critical db) | http://herald:9093/#/alerts?receiver=team%5C.db"
    );
    assert_eq!(render(r#"[{{ template "slack.default.text" . }}]"#), "[]");
    assert_eq!(render(r#"{{ template "pagerduty.default.client" . }}"#), "Alertmanager");
}

#[test]
fn a_subject_without_extra_common_labels_has_no_parentheses() {
    let now = at(60);
    let alert = Arc::new(Alert::new(labels(&[("alertname", "Solo")]), LabelSet::new(), at(0), at(30), at(0)));
    let data =
        TemplateData::new(&NotificationData::new("r", &labels(&[("alertname", "Solo")]), &[alert], "http://h", now));
    let subject = Templates::new().render("__subject", &data).expect("renders");
    assert_eq!(subject, "[RESOLVED] Solo ");
}

#[test]
fn the_default_alert_list_and_opsgenie_description() {
    let alert_text = |instance: &str, description: &str| {
        format!(
            "Labels:\n - alertname = DiskFull\n - instance = {instance}\n - severity = critical\n - team = db\n\
             Annotations:\n - description = {description}\n - summary = Disk is full\nSource: \n"
        )
    };
    let firing = format!("{}{}", alert_text("a", "a is full"), alert_text("b", "b is full"));
    assert_eq!(render(r#"{{ template "pagerduty.default.instances" .Alerts.Firing }}"#), firing);
    let expected =
        format!("Disk is full\nAlerts Firing:\n{firing}\nAlerts Resolved:\n{}", alert_text("c", "c was full"));
    assert_eq!(render(r#"{{ template "opsgenie.default.description" . }}"#), expected);
}

#[test]
fn go_printing_of_maps_lists_and_helper_named_fields() {
    assert_eq!(render("{{ .GroupLabels }}"), "map[alertname:DiskFull]");
    assert_eq!(render("{{ .CommonLabels.SortedPairs.Values }}"), "[DiskFull critical db]");
    assert_eq!(render("{{ range .Alerts.Firing }}{{ .Labels.instance }}{{ \"\\n\" }}{{ end }}"), "a\nb\n");
    assert_eq!(render("{{ with .CommonAnnotations }}{{ .summary }}{{ end }}"), "Disk is full");
    let map = gotmpl::Value::Map(Arc::new([("title".to_string(), gotmpl::Value::str("T"))].into_iter().collect()));
    let titled = Templates::new()
        .render_go_string("{{ .title }}", &TemplateData { dot: map, ..TemplateData::empty() })
        .expect("renders");
    assert_eq!(titled, "T", "a field named like a function is a field");
    assert_eq!(render("{{ range .Alerts }}{{ template \"__subject\" $ }}|{{ end }}").matches("[FIRING:2]").count(), 3);
}

#[test]
fn a_template_that_calls_itself_fails_instead_of_overflowing_the_stack() {
    let mut templates = Templates::new();
    templates
        .add_go_file(r#"{{ define "loop" }}x{{ template "loop" . }}{{ end }}"#)
        .expect("parses, as in Alertmanager");
    let err = templates.render_go_string(r#"{{ template "loop" . }}"#, &data()).expect_err("bounded");
    assert!(err.contains("exceeded maximum template depth (32)"), "{err}");
    // The depth is given back: the same thread renders normally afterwards.
    assert_eq!(templates.render_go_string(r#"{{ .Status }}"#, &data()), Ok("firing".to_string()));
}

#[test]
fn a_template_that_multiplies_its_output_is_cut_off() {
    let mut file = format!(r#"{{{{ define "t0" }}}}{}{{{{ end }}}}"#, "x".repeat(256 * 1024));
    for level in 1..30 {
        let below = level - 1;
        file.push_str(&format!(
            r#"{{{{ define "t{level}" }}}}{{{{ template "t{below}" . }}}}{{{{ template "t{below}" . }}}}{{{{ end }}}}"#
        ));
    }
    let mut templates = Templates::new();
    templates.add_go_file(&file).expect("parses");
    let err = templates.render_go_string(r#"{{ template "t29" . }}"#, &data()).expect_err("bounded");
    assert!(err.contains("rendered more than 1048576 bytes"), "{err}");
}

#[test]
fn an_escalation_level_shows_in_the_data_and_other_notifications_lack_it() {
    let source = "{{ if .Escalation }}Level {{ .Escalation.Level }}/{{ .Escalation.Levels }} (round {{ .Escalation.Round }}, after {{ .Escalation.After }}, firing since {{ .Escalation.Since }}, first to {{ .Escalation.RouteReceiver }}){{ else }}first page{{ end }}";
    assert_eq!(render(source), "first page");
    let alert = Arc::new(Alert::new(labels(&[("alertname", "Down")]), LabelSet::new(), at(0), at(3600), at(0)));
    let mut data = NotificationData::new("boss", &labels(&[("alertname", "Down")]), &[alert], "http://h", at(900));
    data.escalation = Some(crate::dispatch::EscalationStep {
        level: 2,
        levels: 3,
        round: 1,
        since: at(0),
        after: std::time::Duration::from_secs(900),
        route_receiver: "oncall".to_string(),
    });
    let rendered = Templates::new().render_go_string(source, &TemplateData::new(&data)).expect("renders");
    assert_eq!(rendered, "Level 2/3 (round 1, after 15m, firing since 2027-01-15 08:00:00 +0000 UTC, first to oncall)");
}

/// The data of `tests/fixtures/templates/alerts.json` as Alertmanager notified it: receiver `team.db`,
/// grouped by `alertname`, the third alert resolved.
fn corpus_data() -> TemplateData {
    let posted: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/templates/alerts.json")).expect("alerts.json");
    let now = DateTime::parse_from_rfc3339("2026-11-30T13:00:00Z").expect("valid").with_timezone(&Utc);
    let time = |value: &serde_json::Value| {
        value.as_str().map(|text| DateTime::parse_from_rfc3339(text).expect("RFC 3339").with_timezone(&Utc))
    };
    let set = |value: &serde_json::Value| -> LabelSet {
        value
            .as_object()
            .expect("a map")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    };
    let alerts: Vec<Arc<Alert>> = posted
        .as_array()
        .expect("a list")
        .iter()
        .map(|posted| {
            let starts = time(&posted["startsAt"]).expect("startsAt");
            let ends = time(&posted["endsAt"]).unwrap_or(now + chrono::Duration::minutes(5));
            let mut alert = Alert::new(set(&posted["labels"]), set(&posted["annotations"]), starts, ends, now);
            alert.generator_url = posted["generatorURL"].as_str().unwrap_or_default().into();
            Arc::new(alert)
        })
        .collect();
    let data = NotificationData::new(
        "team.db",
        &labels(&[("alertname", "DiskFull")]),
        &alerts,
        "http://herald.test:9093",
        now,
    );
    TemplateData::new(&data)
}

#[test]
fn the_corpus_renders_as_alertmanager_0_25_rendered_it() {
    let corpus: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../tests/fixtures/templates/corpus.json")).expect("corpus.json");
    assert!(corpus.len() >= 30, "at least 30 real-world templates");
    let (templates, data) = (Templates::new(), corpus_data());
    let mut failures = Vec::new();
    for case in &corpus {
        let (name, source) = (case["name"].as_str().unwrap_or_default(), case["template"].as_str().unwrap_or_default());
        let expected = case["alertmanager"].as_str().expect("recorded by record.py");
        let rendered = templates.render_go_string(source, &data);
        if rendered.as_deref() != Ok(expected) {
            failures.push(format!("{name}:\n  alertmanager: {expected:?}\n  herald:       {rendered:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), corpus.len(), failures.join("\n"));
}

#[test]
fn a_file_that_defines_a_default_replaces_it_where_the_defaults_call_it() {
    let mut templates = Templates::new();
    templates
        .add_go_file(
            r#"{{ define "__subject" }}custom {{ .CommonLabels.alertname }} {{ len .Alerts.Firing }} {{ (index .Alerts 0).StartsAt.Unix }}{{ end }}
{{ define "__text_alert_list" }}{{ range . }}<{{ .Labels.instance }} {{ .Status }}>{{ end }}{{ end }}"#,
        )
        .expect("parses");
    let data = data();
    let render = |source: &str| templates.render_go_string(source, &data).expect("renders");
    assert_eq!(render(r#"{{ template "slack.default.title" . }}"#), "custom DiskFull 2 1800000000");
    assert_eq!(render(r#"{{ template "pagerduty.default.instances" .Alerts.Firing }}"#), "<a firing><b firing>");
    assert_eq!(render(r#"{{ template "__subject" . }}"#), "custom DiskFull 2 1800000000");
}
