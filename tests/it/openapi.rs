//! `openapi.yaml` documents exactly the routes Herald serves, and each documented route answers.

use std::collections::BTreeSet;

use serde_yaml_ng::Value;

use crate::helpers::{Herald, client, repo_file};

fn documented() -> BTreeSet<(String, String)> {
    let doc: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(repo_file("openapi.yaml")).expect("openapi.yaml"))
            .expect("valid YAML");
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for method in ["get", "post", "delete", "put", "head"] {
            if item.get(method).is_some() {
                routes.insert((method.to_uppercase(), path.as_str().expect("path").to_string()));
            }
        }
    }
    routes
}

#[test]
fn the_document_lists_every_served_route() {
    let served: BTreeSet<(String, String)> = herald::ROUTES
        .iter()
        .filter(|(method, _)| *method != "HEAD")
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(documented(), served);
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let herald = Herald::start("route: {receiver: r}\nreceivers: [{name: r}]\n");
    for (method, path) in documented() {
        let url =
            herald.url(&path.replace("{silenceID}", "8f6c2b1e-0000-4000-8000-000000000000").replace("{name}", "r"));
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = client()
            .request(method.clone(), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("answers");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        assert!(status != 405 && !body.contains("was not found"), "{method} {path}: {status} {body}");
    }
}
