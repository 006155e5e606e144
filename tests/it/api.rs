//! Alertmanager's `/api/v2` as clients see it: shapes, filters, status codes and error bodies.

use serde_json::{Value, json};

use crate::helpers::{Herald, client};

const CONFIG: &str = "
global:
  slack_api_url: https://hooks.slack.example/services/T000/B000/very-secret-token
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1h
  routes:
  - matchers: [severity=critical]
    receiver: pager
    continue: true
  - matchers: [team=db]
    receiver: db
receivers:
- name: default
- name: pager
  pagerduty_configs:
  - routing_key: pd-routing-secret
- name: db
  slack_configs:
  - channel: '#db'
";

async fn post_raw(herald: &Herald, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let response = client()
        .post(herald.url("/api/v2/alerts"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request sent");
    (response.status().as_u16(), response.text().await.expect("body"))
}

#[tokio::test]
async fn malformed_bodies_get_alertmanagers_status_codes_and_shapes() {
    let herald = Herald::start(CONFIG);
    let (status, body) = post_raw(&herald, "application/json", "[{").await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).expect("JSON error");
    assert_eq!(body["code"], 400);
    assert!(
        body["message"].as_str().expect("message").starts_with("parsing alerts body from \"\" failed, because "),
        "{body}"
    );

    let (status, body) = post_raw(&herald, "application/json", r#"[{"labels":{"a":"b"}},{"annotations":{}}]"#).await;
    assert_eq!((status, body.as_str()), (422, r#"{"code":602,"message":"1.labels in body is required"}"#));

    let (status, body) = post_raw(&herald, "application/json", r#"[{"labels":{"a":"b"},"startsAt":"noon"}]"#).await;
    assert_eq!(status, 400);
    assert!(body.contains("0.startsAt: parsing time \\\"noon\\\""), "{body}");

    let (status, body) = post_raw(&herald, "text/plain", "[]").await;
    assert_eq!(status, 415, "{body}");

    let huge = vec![b' '; herald::MAX_BODY_BYTES + 1];
    let (status, body) = post_raw(&herald, "application/json", huge).await;
    assert_eq!(status, 413);
    assert!(body.contains("request body is larger than"), "{body}");

    assert_eq!(herald.get_json("/api/v2/alerts").await, json!([]), "nothing was stored");
}

#[tokio::test]
async fn invalid_alerts_are_named_by_index_and_the_valid_ones_are_kept() {
    let herald = Herald::start(CONFIG);
    let (status, body) = herald
        .post_json(
            "/api/v2/alerts",
            &json!([
                {"labels": {"alertname": "Good"}},
                {"labels": {}},
                {"labels": {"0bad": "x"}},
                {"labels": {"alertname": "Late"}, "startsAt": "2026-01-02T00:00:00Z", "endsAt": "2026-01-01T00:00:00Z"}
            ]),
        )
        .await;
    assert_eq!(status.as_u16(), 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("a JSON string"),
        json!(
            "alerts[1]: at least one label pair required; alerts[2]: invalid label set: invalid name \"0bad\"; alerts[3]: start time must be before end time"
        )
    );
    let listed = herald.get_json("/api/v2/alerts").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["labels"], json!({"alertname": "Good"}));
}

#[tokio::test]
async fn listed_alerts_have_alertmanagers_shape_and_filters_work() {
    let herald = Herald::start(CONFIG);
    herald
        .post_alerts(json!([
            {"labels": {"alertname": "Disk", "severity": "critical", "team": "db"}, "annotations": {"summary": "full"},
             "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z", "generatorURL": "http://prom/g"},
            {"labels": {"alertname": "Cpu", "severity": "warning"}},
            {"labels": {"alertname": "Gone"}, "endsAt": "2026-01-01T00:00:00Z"}
        ]))
        .await;
    let all = herald.get_json("/api/v2/alerts").await;
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 2, "resolved alerts are not listed");
    assert!(all[0]["fingerprint"].as_str() < all[1]["fingerprint"].as_str(), "sorted by fingerprint");
    let disk = all.iter().find(|a| a["labels"]["alertname"] == "Disk").expect("Disk listed");
    assert_eq!(disk["receivers"], json!([{"name": "pager"}, {"name": "db"}]), "routing order");
    assert_eq!(disk["status"], json!({"inhibitedBy": [], "silencedBy": [], "state": "active"}));
    assert_eq!(disk["startsAt"], "2026-01-01T00:00:00.000Z");
    assert_eq!(disk["endsAt"], "2099-01-01T00:00:00.000Z");
    assert_eq!(disk["generatorURL"], "http://prom/g");
    assert_eq!(disk["annotations"], json!({"summary": "full"}));
    let cpu = all.iter().find(|a| a["labels"]["alertname"] == "Cpu").expect("Cpu listed");
    assert_eq!(cpu["receivers"], json!([{"name": "default"}]));
    assert!(cpu.get("generatorURL").is_none(), "omitted when empty");

    let names = |listed: Value| -> Vec<String> {
        listed
            .as_array()
            .expect("array")
            .iter()
            .map(|a| a["labels"]["alertname"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(names(herald.get_json("/api/v2/alerts?filter=severity%3D%22critical%22").await), vec!["Disk"]);
    assert_eq!(
        names(herald.get_json("/api/v2/alerts?filter=alertname%3D~%22C.*%22&filter=severity!%3Dcritical").await),
        vec!["Cpu"]
    );
    assert_eq!(names(herald.get_json("/api/v2/alerts?receiver=db").await), vec!["Disk"]);
    assert_eq!(names(herald.get_json("/api/v2/alerts?receiver=d").await), Vec::<String>::new(), "anchored");
    assert_eq!(names(herald.get_json("/api/v2/alerts?active=false").await), Vec::<String>::new());

    let response = client().get(herald.url("/api/v2/alerts?filter=foo")).send().await.expect("answers");
    assert_eq!(response.status(), 400);
    assert_eq!(response.text().await.expect("body"), r#""bad matcher format: foo""#);
    let response = client().get(herald.url("/api/v2/alerts?receiver=(")).send().await.expect("answers");
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn groups_list_each_group_with_its_receiver_and_alerts() {
    let herald = Herald::start(CONFIG);
    herald
        .post_alerts(json!([
            {"labels": {"alertname": "Disk", "severity": "critical", "team": "db"}},
            {"labels": {"alertname": "Cpu"}}
        ]))
        .await;
    let groups = herald.get_json("/api/v2/alerts/groups").await;
    let summary: Vec<(Value, Value, usize)> = groups
        .as_array()
        .expect("array")
        .iter()
        .map(|g| (g["labels"].clone(), g["receiver"]["name"].clone(), g["alerts"].as_array().map_or(0, Vec::len)))
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!({"alertname": "Cpu"}), json!("default"), 1),
            (json!({"alertname": "Disk"}), json!("db"), 1),
            (json!({"alertname": "Disk"}), json!("pager"), 1),
        ]
    );
    assert_eq!(groups[1]["alerts"][0]["receivers"], json!([{"name": "db"}, {"name": "pager"}]));
    let filtered = herald.get_json("/api/v2/alerts/groups?receiver=pager").await;
    assert_eq!(filtered.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn status_shows_the_config_with_secrets_redacted() {
    let herald = Herald::start(CONFIG);
    let status = herald.get_json("/api/v2/status").await;
    assert_eq!(status["cluster"]["status"], "disabled");
    assert_eq!(status["versionInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(status["uptime"].as_str().expect("uptime").ends_with('Z'));
    let original = status["config"]["original"].as_str().expect("config text");
    assert!(!original.contains("very-secret-token") && !original.contains("pd-routing-secret"), "{original}");
    assert!(original.contains("slack_api_url: <secret>") && original.contains("routing_key: <secret>"), "{original}");
    assert_eq!(
        herald.get_json("/api/v2/receivers").await,
        json!([{"name": "default"}, {"name": "pager"}, {"name": "db"}])
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_errors() {
    let herald = Herald::start(CONFIG);
    let response = client().get(herald.url("/api/v2/nope")).send().await.expect("answers");
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().await.expect("body"), r#"{"code":404,"message":"path /api/v2/nope was not found"}"#);
    let response = client().delete(herald.url("/api/v2/alerts")).send().await.expect("answers");
    assert_eq!(response.status(), 405);
    let response = client().get(herald.url("/-/reload")).send().await.expect("answers");
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn herald_pages_walk_every_alert_and_group_once_in_order() {
    let herald = Herald::start(CONFIG);
    let alerts: Vec<Value> = (0..7)
        .map(|i| json!({"labels": {"alertname": format!("Page{}", i % 3), "instance": format!("i{i}")}}))
        .collect();
    herald.post_alerts(Value::Array(alerts)).await;
    let everything = herald.get_json("/api/v2/alerts").await;

    let mut seen = Vec::new();
    let mut path = "/api/herald/alerts?limit=3".to_string();
    for _ in 0..10 {
        let page = herald.get_json(&path).await;
        let fingerprints: Vec<String> = page["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .map(|a| a["fingerprint"].as_str().expect("fp").to_string())
            .collect();
        assert!(fingerprints.len() <= 3);
        seen.extend(fingerprints);
        match page["next"].as_str() {
            Some(next) => path = format!("/api/herald/alerts?limit=3&after={next}"),
            None => break,
        }
    }
    let expected: Vec<String> = everything
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["fingerprint"].as_str().expect("fp").to_string())
        .collect();
    assert_eq!(seen, expected, "every alert once, by fingerprint, as /api/v2/alerts lists them");
    assert_eq!(seen.len(), 7);

    let filtered = herald.get_json("/api/herald/alerts?filter=alertname%3D%22Page1%22&limit=1").await;
    assert_eq!(filtered["alerts"][0]["labels"]["alertname"], "Page1");
    let second = herald
        .get_json(&format!(
            "/api/herald/alerts?filter=alertname%3D%22Page1%22&limit=1&after={}",
            filtered["next"].as_str().expect("more")
        ))
        .await;
    assert_eq!(second["alerts"][0]["labels"]["alertname"], "Page1");
    assert!(second.get("next").is_none(), "two Page1 alerts: the second page is the last");

    let first = herald.get_json("/api/herald/groups?limit=2").await;
    let groups = first["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2);
    assert!(groups[0]["id"].as_str() < groups[1]["id"].as_str(), "by id");
    assert_eq!(groups[0]["receiver"], "default");
    let rest =
        herald.get_json(&format!("/api/herald/groups?limit=2&after={}", first["next"].as_str().expect("more"))).await;
    assert_eq!(rest["groups"].as_array().expect("groups").len(), 1);
    assert!(rest.get("next").is_none());
    let all_alerts: usize = groups
        .iter()
        .chain(rest["groups"].as_array().expect("groups"))
        .map(|g| g["alerts"].as_array().expect("a").len())
        .sum();
    assert_eq!(all_alerts, 7);

    for (query, code) in [("limit=0", "bad_limit"), ("after=nothex", "bad_cursor"), ("filter=broken", "bad_query")] {
        let response = client().get(herald.url(&format!("/api/herald/alerts?{query}"))).send().await.expect("sent");
        assert_eq!(response.status().as_u16(), 400, "{query}");
        let body: Value = response.json().await.expect("JSON error");
        assert_eq!(body["code"], code, "{query}: {body}");
        assert!(body["detail"].as_str().is_some_and(|detail| !detail.is_empty()));
    }
}

#[tokio::test]
async fn a_large_body_is_parsed_off_the_async_workers_with_the_same_result() {
    let herald = Herald::start(CONFIG);
    let alerts: Vec<serde_json::Value> = (0..2000)
        .map(|i| json!({"labels": {"alertname": "Big", "i": i.to_string()}, "annotations": {"pad": "x".repeat(200)}}))
        .collect();
    let body = serde_json::to_vec(&alerts).expect("encodes");
    assert!(body.len() > 256 * 1024, "beyond the inline-parse size: {}", body.len());
    let (status, text) = post_raw(&herald, "application/json", body).await;
    assert_eq!(status, 200, "{text}");
    let listed = herald.get_json("/api/v2/alerts?filter=alertname%3DBig").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2000));
}
