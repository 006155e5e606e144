//! The receivers added after the first four, each against a local mock of its service: Herald, given the
//! config Alertmanager 0.25 was given (`tests/fixtures/integrations/*.yml`), makes the requests Alertmanager
//! made (`*_am025.json`, recorded by `record.py`) for the same alerts, firing then resolved — method, path,
//! content type and body byte for byte.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Herald, Received, Sink, repo_file};

const WAIT: Duration = Duration::from_secs(15);

/// A fixture file as JSON.
fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(repo_file(&format!("tests/fixtures/integrations/{name}"))).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// Runs Herald on the config Alertmanager ran with, posts the alerts Alertmanager got, resolves them all,
/// and returns the requests the mock service received: `first` for the firing notification, `total` in all.
async fn requests_for(config: &str, sink: &Sink, first: usize, total: usize) -> (Vec<Received>, Herald) {
    let text = std::fs::read_to_string(repo_file(&format!("tests/fixtures/integrations/{config}"))).expect("config");
    requests_with(&text.replace("SINK", &sink.url), sink, first, total).await
}

/// Like [`requests_for`], with the config given whole.
async fn requests_with(config: &str, sink: &Sink, first: usize, total: usize) -> (Vec<Received>, Herald) {
    let herald = Herald::start(config);
    let alerts = fixture("../templates/alerts.json");
    herald.post_alerts(alerts.clone()).await;
    let received = sink.wait_for(first, WAIT).await;
    assert_eq!(received.len(), first, "the firing notification: {}", herald.logs());
    herald.post_alerts(resolved(&alerts)).await;
    let received = sink.wait_for(total, WAIT).await;
    assert_eq!(received.len(), total, "the resolved notification: {}", herald.logs());
    (received, herald)
}

/// The alerts again, each ended a second ago unless it has an end already (as `record.py` resolves them).
fn resolved(alerts: &Value) -> Value {
    let a_second_ago = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    let ended = alerts.as_array().expect("a list").iter().map(|alert| {
        let mut alert = alert.clone();
        alert.as_object_mut().expect("an object").entry("endsAt").or_insert(Value::String(a_second_ago.clone()));
        alert
    });
    Value::Array(ended.collect())
}

/// Compares each request with Alertmanager's: method, path and query, content type, and the body.
fn assert_like_alertmanager(received: &[Received], recorded: &Value) {
    let recorded = recorded.as_array().expect("a list");
    assert_eq!(received.len(), recorded.len());
    for (i, (ours, theirs)) in received.iter().zip(recorded).enumerate() {
        assert_eq!(ours.method, theirs["method"].as_str().unwrap_or_default(), "request {i}: method");
        assert_eq!(ours.path, theirs["path"].as_str().unwrap_or_default(), "request {i}: path and query");
        let content_type = ours.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(content_type, theirs["headers"]["content-type"].as_str().unwrap_or_default(), "request {i}");
        assert_eq!(ours.raw, theirs["body"].as_str().unwrap_or_default(), "request {i}: body");
    }
}

#[tokio::test]
async fn discord_posts_alertmanagers_embed() {
    let sink = Sink::start().await;
    let (received, _herald) = requests_for("discord.yml", &sink, 1, 2).await;
    assert_like_alertmanager(&received, &fixture("discord_am025.json"));
}

#[tokio::test]
async fn telegram_sends_alertmanagers_message() {
    let sink = Sink::start().await;
    let (received, _herald) = requests_for("telegram.yml", &sink, 1, 2).await;
    assert_like_alertmanager(&received, &fixture("telegram_am025.json"));
}

#[tokio::test]
async fn webex_posts_alertmanagers_markdown_with_the_bots_token() {
    let sink = Sink::start().await;
    let (received, _herald) = requests_for("webex.yml", &sink, 1, 2).await;
    assert_like_alertmanager(&received, &fixture("webex_am025.json"));
    for request in &received {
        assert_eq!(request.headers["authorization"], "Bearer webex-bot-token");
    }
}

#[tokio::test]
async fn msteams_posts_alertmanagers_message_card() {
    let sink = Sink::start().await;
    let (received, _herald) = requests_for("msteams.yml", &sink, 1, 2).await;
    // Alertmanager 0.25 (the one Debian ships) has no Teams integration: the expected card is built from
    // 0.26's source and 0.27's `summary` (see tests/fixtures/README.md).
    let list = |alerts: &[(&str, &str, &str)]| -> String {
        let mut out = String::new();
        for (instance, severity, annotations) in alerts {
            out += &format!(
                "\nLabels:\n  - alertname = DiskFull\n  - env = prod\n  - instance = {instance}\n  - job = node\n  - severity = {severity}\n\nAnnotations:\n{annotations}\nSource: http://prometheus:9090/graph?g0.expr=disk\n"
            );
        }
        out + "\n"
    };
    let one = (
        "db-1:9100",
        "critical",
        "  - description = db-1 disk / is 95% full\n  - runbook_url = https://runbooks.example/disk\n  - summary = Disk is full\n",
    );
    let two = ("db-2:9100", "warning", "  - description = db-2 disk / is 85% full\n  - summary = Disk is full\n");
    let three = ("db-3:9100", "critical", "  - description = db-3 recovered\n  - summary = Disk is full\n");
    let firing_text =
        format!("\n\n# Alerts Firing:\n{}\n\n\n# Alerts Resolved:\n{}\n\n", list(&[one, two]), list(&[three]));
    let resolved_text = format!("\n\n\n# Alerts Resolved:\n{}\n\n", list(&[one, two, three]));
    for (request, title, text, color) in [
        (&received[0], "[FIRING:2] DiskFull (prod node)", firing_text, "8C1A1A"),
        (&received[1], "[RESOLVED] DiskFull (prod node)", resolved_text, "2DC72D"),
    ] {
        assert_eq!(request.path, "/webhookb2/abc");
        let expected = serde_json::json!({
            "@context": "http://schema.org/extensions", "type": "MessageCard", "title": title,
            "summary": title, "text": text, "themeColor": color,
        });
        assert_eq!(request.body, expected);
        let keys: Vec<&str> = ["@context", "type", "title", "summary", "text", "themeColor"].to_vec();
        let positions: Vec<usize> =
            keys.iter().map(|key| request.raw.find(&format!("\"{key}\"")).unwrap_or(usize::MAX)).collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "fields in Alertmanager's order: {}", request.raw);
        assert!(request.raw.ends_with("}\n"));
    }
}

#[tokio::test]
async fn victorops_posts_alertmanagers_incident_and_recovers_it() {
    let sink = Sink::start().await;
    let (received, _herald) = requests_for("victorops.yml", &sink, 1, 2).await;
    assert_like_alertmanager(&received, &fixture("victorops_am025.json"));
}

#[tokio::test]
async fn wechat_fetches_a_token_once_and_sends_alertmanagers_message() {
    let sink = Sink::start().await;
    // The mock answers every request as WeChat answers both: a token, and errcode 0.
    sink.answer_with(r#"{"errcode":0,"errmsg":"ok","access_token":"wechat-token","expires_in":7200}"#);
    let (received, _herald) = requests_for("wechat.yml", &sink, 2, 3).await;
    assert_like_alertmanager(&received, &fixture("wechat_am025.json"));
}

#[tokio::test]
async fn sns_publishes_alertmanagers_message_signed_with_sigv4() {
    let sink = Sink::start().await;
    sink.answer_with(r#"<PublishResponse><PublishResult><MessageId>1</MessageId></PublishResult></PublishResponse>"#);
    let (received, _herald) = requests_for("sns.yml", &sink, 1, 2).await;
    assert_like_alertmanager(&received, &fixture("sns_am025.json"));
    for request in &received {
        let authorization = request.headers["authorization"].to_str().expect("ASCII");
        let date = request.headers["x-amz-date"].to_str().expect("ASCII");
        let expected = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{}/us-east-1/sns/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date, Signature=",
            &date[..8]
        );
        assert!(authorization.starts_with(&expected), "{authorization}");
        assert_eq!(authorization.len(), expected.len() + 64, "a SHA-256 signature: {authorization}");
    }
}

#[tokio::test]
async fn pushover_sends_alertmanagers_query_through_a_proxy() {
    let sink = Sink::start().await;
    sink.answer_with(r#"{"status":1,"request":"abc"}"#);
    let Some(proxy) = crate::tls_proxy::TlsProxy::start(&sink, "api.pushover.net").await else {
        return;
    };
    let config = format!(
        "route:\n  receiver: team.db\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 4h\nreceivers:\n- name: team.db\n  pushover_configs:\n  - user_key: uQiRzpo4DXghDmr9QzzfQu27cmVRsG\n    token: azGDORePK8gMaC0QOYAMyEEuzJnyUi\n    send_resolved: true\n    http_config:\n      proxy_url: {}\n      tls_config:\n        ca_file: {}\n",
        proxy.url,
        proxy.ca_file.display()
    );
    let (received, _herald) = requests_with(&config, &sink, 1, 2).await;
    assert_like_alertmanager(&received, &fixture("pushover_am025.json"));
    assert_eq!(received[0].headers["host"], "api.pushover.net");
}

#[test]
fn a_config_with_every_receiver_and_field_loads_in_herald_and_alertmanager() {
    let file = repo_file("tests/fixtures/integrations/every_field.yml");
    let file = file.to_str().expect("UTF-8 path");
    let checked = crate::helpers::herald(&["check-config", file]);
    assert!(checked.status.success(), "{}", crate::helpers::stderr(&checked));
    if crate::helpers::tool_available("amtool", "prometheus-alertmanager") {
        let amtool = std::process::Command::new("amtool").args(["check-config", file]).output().expect("amtool runs");
        assert!(amtool.status.success(), "{}", String::from_utf8_lossy(&amtool.stdout));
    }
}

/// A message's header lines (up to the blank line), its boundary, and its parts (content type, body).
fn mail_parts(data: &str) -> (Vec<String>, String, Vec<(String, String)>) {
    let (head, body) = data.split_once("\r\n\r\n").expect("headers end");
    let headers: Vec<String> = head.split("\r\n").map(str::to_string).collect();
    let boundary = headers
        .iter()
        .find_map(|h| h.strip_prefix("Content-Type: multipart/alternative;  boundary="))
        .expect("a boundary")
        .to_string();
    let mut parts = Vec::new();
    for part in body.split(&format!("--{boundary}")).filter(|p| p.starts_with("\r\n") && !p.starts_with("--")) {
        let (part_head, part_body) = part.trim_start_matches("\r\n").split_once("\r\n\r\n").expect("part headers");
        let content_type = part_head.lines().find_map(|l| l.strip_prefix("Content-Type: ")).unwrap_or_default();
        parts.push((content_type.to_string(), part_body.trim_end_matches("\r\n").to_string()));
    }
    (headers, boundary, parts)
}

#[tokio::test]
async fn email_sends_alertmanagers_envelope_headers_and_text() {
    let server = crate::smtp_server::SmtpServer::start(&["8BITMIME", "SMTPUTF8"]).await;
    let text = std::fs::read_to_string(repo_file("tests/fixtures/integrations/email.yml")).expect("config");
    let herald = Herald::start(&text.replace("SMTP_SINK", &server.address));
    let alerts = fixture("../templates/alerts.json");
    herald.post_alerts(alerts.clone()).await;
    let first = server.wait_for(1, WAIT).await;
    assert_eq!(first.len(), 1, "{}", herald.logs());
    herald.post_alerts(resolved(&alerts)).await;
    let sessions = server.wait_for(2, WAIT).await;
    assert_eq!(sessions.len(), 2, "{}", herald.logs());
    let recorded = fixture("email_am025.json");
    for (ours, theirs) in sessions.iter().zip(recorded.as_array().expect("a list")) {
        let expected: Vec<&str> =
            theirs["commands"].as_array().expect("commands").iter().filter_map(Value::as_str).collect();
        assert_eq!(ours.commands, expected, "the SMTP dialogue");
        let their_data = theirs["data"].as_str().expect("data").replace("\r\n", "\n").replace('\n', "\r\n");
        let (our_headers, _, our_parts) = mail_parts(ours.data.as_deref().expect("a message"));
        let (their_headers, _, their_parts) = mail_parts(&their_data);
        let comparable = |headers: &[String]| {
            let mut kept: Vec<String> = headers
                .iter()
                .filter(|h| {
                    !h.starts_with("Message-Id: ") && !h.starts_with("Date: ") && !h.starts_with("Content-Type: ")
                })
                .cloned()
                .collect();
            kept.sort();
            kept
        };
        assert_eq!(comparable(&our_headers), comparable(&their_headers), "headers (in any order, as Alertmanager's)");
        let message_id = our_headers.iter().find_map(|h| h.strip_prefix("Message-Id: <")).expect("a Message-Id");
        assert!(message_id.ends_with('>') && message_id.contains('@'), "{message_id}");
        assert!(our_headers.iter().any(|h| h.starts_with("Date: ") && h.ends_with(" +0000")), "{our_headers:?}");
        assert_eq!(our_parts.len(), 2);
        assert_eq!(our_parts[0], their_parts[0], "the text part, quoted-printable, byte for byte");
        assert_eq!(our_parts[1].0, "text/html; charset=UTF-8");
        assert_eq!(
            normalized_html(&decode_quoted_printable(&our_parts[1].1)),
            normalized_html(&decode_quoted_printable(&their_parts[1].1)),
            "the HTML part, after whitespace normalisation"
        );
    }
}

/// Quoted-printable decoded: soft breaks joined, `=XX` turned back into bytes.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(byte) = joined.get(i + 1..i + 3).and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Markup with every run of whitespace made one space, and none left between two tags.
fn normalized_html(html: &str) -> String {
    let collapsed = html.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.replace("> <", "><").trim().to_string()
}

#[tokio::test]
async fn email_authenticates_with_the_first_mechanism_the_server_offers_that_the_credentials_allow() {
    use base64::Engine;
    use hmac::Mac;
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    for (offered, credentials, expected) in [
        (
            "AUTH LOGIN PLAIN CRAM-MD5",
            "auth_username: user\n    auth_password: pass",
            vec!["AUTH LOGIN".to_string(), b64("user"), b64("pass")],
        ),
        (
            "AUTH CRAM-MD5 PLAIN LOGIN",
            "auth_username: user\n    auth_password: pass",
            vec![format!("AUTH PLAIN {}", b64("\0user\0pass"))],
        ),
        (
            "AUTH CRAM-MD5 PLAIN LOGIN",
            "auth_username: user\n    auth_password: pass\n    auth_identity: admin",
            vec![format!("AUTH PLAIN {}", b64("admin\0user\0pass"))],
        ),
        ("AUTH CRAM-MD5 PLAIN LOGIN", "auth_username: user\n    auth_secret: s3cret", {
            let mut mac = <hmac::Hmac<md5::Md5> as Mac>::new_from_slice(b"s3cret").expect("key");
            mac.update(b"<12345.9876@recorder>");
            let digest: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
            vec!["AUTH CRAM-MD5".to_string(), b64(&format!("user {digest}"))]
        }),
    ] {
        let server = crate::smtp_server::SmtpServer::start(&[offered]).await;
        let config = format!(
            "route:\n  receiver: mail\n  group_wait: 0s\nreceivers:\n- name: mail\n  email_configs:\n  - to: a@example.com\n    from: am@example.com\n    smarthost: {}\n    require_tls: false\n    {credentials}\n",
            server.address
        );
        let herald = Herald::start(&config);
        herald.post_alerts(serde_json::json!([{"labels": {"alertname": "Auth"}}])).await;
        let sessions = server.wait_for(1, WAIT).await;
        assert_eq!(sessions.len(), 1, "{}", herald.logs());
        let auth: Vec<String> = sessions[0]
            .commands
            .iter()
            .skip_while(|c| !c.starts_with("AUTH"))
            .take_while(|c| !c.starts_with("MAIL"))
            .cloned()
            .collect();
        assert_eq!(auth, expected, "{offered} with {credentials}");
        assert!(sessions[0].data.is_some(), "the message went out after the AUTH");
    }
}

#[tokio::test]
async fn email_goes_over_starttls_or_implicit_tls_with_the_configured_ca() {
    let Some((config, ca_file, _folder)) = crate::tls_proxy::server_config("127.0.0.1") else {
        return;
    };
    let config = std::sync::Arc::new(config);
    for (tls, setting) in [
        (crate::smtp_server::Tls::Starttls(std::sync::Arc::clone(&config)), "require_tls: true"),
        (
            crate::smtp_server::Tls::Implicit(std::sync::Arc::clone(&config)),
            "require_tls: false\n    force_implicit_tls: true",
        ),
    ] {
        let server = crate::smtp_server::SmtpServer::start_with(&["AUTH PLAIN LOGIN", "8BITMIME"], tls).await;
        let yaml = format!(
            "route:\n  receiver: mail\n  group_wait: 0s\nreceivers:\n- name: mail\n  email_configs:\n  - to: a@example.com\n    from: am@example.com\n    smarthost: {}\n    {setting}\n    tls_config: {{ca_file: {}}}\n    auth_username: user\n    auth_password: pass\n",
            server.address,
            ca_file.display()
        );
        let herald = Herald::start(&yaml);
        herald.post_alerts(serde_json::json!([{"labels": {"alertname": "Tls"}}])).await;
        let sessions = server.wait_for(1, WAIT).await;
        assert_eq!(sessions.len(), 1, "{setting}: {}", herald.logs());
        let commands = &sessions[0].commands;
        if setting.starts_with("require_tls: true") {
            assert_eq!(commands[..2], ["EHLO localhost".to_string(), "STARTTLS".to_string()], "{commands:?}");
        } else {
            assert!(!commands.contains(&"STARTTLS".to_string()), "{commands:?}");
        }
        assert!(
            commands.iter().any(|c| c.starts_with("AUTH PLAIN ")),
            "{setting}: authenticated over TLS: {commands:?}"
        );
        assert!(
            sessions[0].data.as_deref().is_some_and(|d| d.contains("Subject: [FIRING:1]  (Tls)")),
            "{setting}: {:?} {}",
            sessions[0],
            herald.logs()
        );
    }
}

#[tokio::test]
async fn wechat_fetches_a_new_token_when_the_old_one_expired() {
    let sink = Sink::start().await;
    sink.answer_in_turn(&[
        r#"{"errcode":0,"access_token":"first-token"}"#,
        r#"{"errcode":42001,"errmsg":"access_token expired"}"#,
        r#"{"errcode":0,"access_token":"second-token"}"#,
    ]);
    sink.answer_with(r#"{"errcode":0,"errmsg":"ok"}"#);
    let config = std::fs::read_to_string(repo_file("tests/fixtures/integrations/wechat.yml")).expect("config");
    let herald = Herald::start(&config.replace("SINK", &sink.url));
    herald.post_alerts(serde_json::json!([{"labels": {"alertname": "Token"}}])).await;
    let received = sink.wait_for(4, WAIT).await;
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/cgi-bin/gettoken?corpid=corp123&corpsecret=wechat-secret",
            "/cgi-bin/message/send?access_token=first-token",
            "/cgi-bin/gettoken?corpid=corp123&corpsecret=wechat-secret",
            "/cgi-bin/message/send?access_token=second-token",
        ],
        "{}",
        herald.logs()
    );
}
