//! The web UI is served by the binary at the route prefix: its page and files without a token (they hold
//! no data), with a policy that allows nothing from elsewhere.

use crate::helpers::{Herald, client_builder};

const CONFIG: &str = "route:\n  receiver: x\nreceivers:\n- name: x\n";

async fn get(herald: &Herald, path: &str) -> reqwest::Response {
    let client = client_builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    client.get(herald.url(path)).send().await.expect("answers")
}

#[tokio::test]
async fn the_page_and_its_files_are_served_without_a_token() {
    let herald = Herald::start_with(CONFIG, &[], &[("HERALD_API_TOKEN", "t0k3n"), ("HERALD_READ_TOKEN", "r3ad")]);
    let page = get(&herald, "/").await;
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = page.headers()["content-security-policy"].to_str().expect("ASCII").to_string();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    let html = page.text().await.expect("body");
    assert!(html.contains(r#"<script src="ui/app.js"></script>"#) && html.contains(r#"href="ui/app.css""#), "{html}");
    let script = get(&herald, "/ui/app.js").await;
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(script.text().await.expect("body").contains("#/alerts"));
    assert_eq!(get(&herald, "/ui/app.css").await.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(get(&herald, "/api/v2/alerts").await.status().as_u16(), 401, "the data still needs the token");
}

#[tokio::test]
async fn under_a_route_prefix_the_page_is_at_the_prefix_with_a_slash() {
    let herald = Herald::start_with(CONFIG, &["--web.route-prefix=/herald"], &[]);
    let root = get(&herald, "/").await;
    assert_eq!((root.status().as_u16(), root.headers()["location"].to_str().ok()), (302, Some("/herald")));
    let bare = get(&herald, "/herald").await;
    assert_eq!((bare.status().as_u16(), bare.headers()["location"].to_str().ok()), (301, Some("/herald/")));
    assert_eq!(get(&herald, "/herald/").await.status().as_u16(), 200);
    assert_eq!(get(&herald, "/herald/ui/app.js").await.status().as_u16(), 200);
}

#[tokio::test]
async fn the_route_tree_shows_what_each_route_holds_now() {
    let config = "route:\n  receiver: default\n  group_by: [alertname]\n  group_wait: 1h\n  routes:\n  - matchers: [team=db]\n    receiver: db\n    continue: true\n  - matchers: [severity=page]\n    receiver: pager\n    repeat_interval: 5m\nreceivers:\n- name: default\n- name: db\n- name: pager\n";
    let herald = Herald::start(config);
    herald
        .post_alerts(serde_json::json!([
            {"labels": {"alertname": "A", "team": "db", "severity": "page"}},
            {"labels": {"alertname": "B", "team": "db"}},
            {"labels": {"alertname": "C"}},
        ]))
        .await;
    let body = herald.get_json("/api/herald/routes").await;
    let routes = body["routes"].as_array().expect("routes");
    let summary: Vec<(String, u64, String, u64)> = routes
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap_or_default().to_string(),
                r["depth"].as_u64().unwrap_or_default(),
                r["receiver"].as_str().unwrap_or_default().to_string(),
                r["activeAlerts"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("route".to_string(), 0, "default".to_string(), 3),
            ("route.routes[0]".to_string(), 1, "db".to_string(), 2),
            ("route.routes[1]".to_string(), 1, "pager".to_string(), 1),
        ]
    );
    assert_eq!(routes[1]["matchers"], serde_json::json!(["team=\"db\""]));
    assert_eq!((routes[1]["continue"].as_bool(), routes[2]["repeatInterval"].as_str()), (Some(true), Some("5m")));
    assert_eq!(routes[2]["groupBy"], serde_json::json!(["alertname"]), "inherited");
    let held: Vec<&str> = routes[1]["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["labels"]["alertname"].as_str())
        .collect();
    assert_eq!(held.len(), 2);
    assert!(held.contains(&"A") && held.contains(&"B"), "{held:?}");
}
