//! Team-owned sub-trees: a team reads, replaces and rolls back its own route with its own token, cannot touch
//! another team's or the rest of the config, and a bad sub-tree is refused without stopping anyone alerting.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Herald, Sink, client};

fn config(sink: &Sink) -> String {
    let hook = |name: &str| format!("- name: {name}\n  webhook_configs:\n  - url: {}/{name}\n", sink.url);
    format!(
        "route:\n  receiver: default\n  group_by: [alertname]\n  group_wait: 100ms\n  group_interval: 1s\n  routes:\n  - matchers: [team=payments]\n    team: payments\n    receiver: pay\n  - matchers: [team=search]\n    team: search\n    receiver: search\nreceivers:\n{}{}{}{}",
        hook("default"),
        hook("pay"),
        hook("pay-night"),
        hook("search")
    )
}

async fn call(request: reqwest::RequestBuilder, token: &str) -> (u16, String) {
    let response = request.bearer_auth(token).send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn a_team_replaces_and_rolls_back_its_own_sub_tree_and_nothing_else() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let teams_file = dir.path().join("teams.yml");
    std::fs::write(&teams_file, "payments: pay-token\nsearch: search-token\n").expect("written");
    let flag = format!("--web.team-tokens-file={}", teams_file.display());
    let herald = Herald::start_with(&config(&sink), &[&flag], &[("HERALD_API_TOKEN", "admin-token")]);
    let url = |path: &str| herald.url(path);

    let (status, body) = call(client().get(url("/api/herald/config/teams")), "admin-token").await;
    let teams: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(status, 200);
    assert_eq!(teams[0]["team"], "payments");
    assert_eq!(teams[0]["path"], "route.routes[0]");
    assert_eq!(teams[1]["path"], "route.routes[1]");

    let (status, yaml) = call(client().get(url("/api/herald/config/teams/payments")), "pay-token").await;
    assert_eq!((status, yaml.as_str()), (200, "matchers:\n- team=payments\nteam: payments\nreceiver: pay\n"));
    let night =
        "matchers:\n- team=payments\nreceiver: pay\nroutes:\n- matchers: [severity=critical]\n  receiver: pay-night\n";
    assert_eq!(call(client().put(url("/api/herald/config/teams/payments")).body(night), "search-token").await.0, 401);
    assert_eq!(
        call(client().put(url("/api/herald/config/teams/search")).body("receiver: pay\n"), "pay-token").await.0,
        401
    );
    assert_eq!(call(client().get(url("/api/herald/config")), "pay-token").await.0, 200, "reads stay open");
    assert_eq!(call(client().put(url("/api/herald/config")).body(config(&sink)), "pay-token").await.0, 401);

    let (status, body) =
        call(client().put(url("/api/herald/config/teams/payments?author=pat")).body(night), "pay-token").await;
    assert_eq!(status, 200, "{body}");
    let applied: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(applied["version"]["source"], "team:payments");
    assert_eq!(applied["version"]["number"], 2);

    let greedy = "matchers:\n- team=~.+\nreceiver: pay\n";
    let (status, body) = call(client().put(url("/api/herald/config/teams/payments")).body(greedy), "pay-token").await;
    assert_eq!(status, 400);
    assert!(body.contains("\"code\":\"bad_team_route\"") && body.contains("cannot change the matchers"), "{body}");
    let broken = "matchers:\n- team=payments\nreceiver: nobody\n";
    let (status, body) = call(client().put(url("/api/herald/config/teams/payments")).body(broken), "pay-token").await;
    assert_eq!(status, 400);
    let refused: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(refused["problems"][0]["path"], "route.routes[0].receiver", "{body}");

    // Both teams still alert, with payments' new sub-tree.
    let alerts = json!([
        {"labels": {"alertname": "Slow", "team": "search"}},
        {"labels": {"alertname": "Down", "team": "payments", "severity": "critical"}},
    ]);
    let (status, _) = call(client().post(url("/api/v2/alerts")).json(&alerts), "admin-token").await;
    assert_eq!(status, 200);
    let sent = sink.wait_for(2, Duration::from_secs(10)).await;
    let mut paths: Vec<String> = sent.iter().map(|r| r.path.clone()).collect();
    paths.sort();
    assert_eq!(paths, vec!["/pay-night", "/search"]);

    let path = "/api/herald/config/teams/payments/versions/1/rollback";
    let (status, body) = call(client().post(url(path)), "pay-token").await;
    assert_eq!(status, 200, "{body}");
    let (_, yaml) = call(client().get(url("/api/herald/config/teams/payments")), "pay-token").await;
    assert_eq!(yaml, "matchers:\n- team=payments\nteam: payments\nreceiver: pay\n");
    let (_, search) = call(client().get(url("/api/herald/config/teams/search")), "search-token").await;
    assert_eq!(search, "matchers:\n- team=search\nteam: search\nreceiver: search\n", "untouched throughout");
    assert_eq!(call(client().get(url("/api/herald/config/teams/nobody")), "admin-token").await.0, 404);
}
