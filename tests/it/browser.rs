//! The web UI in a real browser: Debian's Chromium, headless, driven through chromedriver's WebDriver API
//! against a live Herald with alerts. Each test keeps screenshots of the pages it saw in
//! `target/ui-screenshots/`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Herald, client, repo_root, tool_available};

/// A chromedriver process and one browser session.
struct Browser {
    driver: Child,
    base: String,
    session: String,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; `None` when they are not installed.
    async fn start() -> Option<Browser> {
        if !tool_available("chromedriver", "chromium-driver") || !tool_available("chromium", "chromium") {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"]},
        }}});
        let mut session = None;
        for _ in 0..100 {
            if let Ok(response) = client().post(format!("{base}/session")).json(&capabilities).send().await {
                let body: Value = response.json().await.unwrap_or_default();
                session = body["value"]["sessionId"].as_str().map(str::to_string);
                assert!(session.is_some(), "chromedriver refused the session: {body}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(Browser { driver, base, session: session.expect("chromedriver answered") })
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = client().request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request.send().await.expect("chromedriver answers").json().await.expect("JSON");
        response["value"].clone()
    }

    async fn open(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    /// Runs `script` in the page (with `arguments`), returning its value.
    async fn run(&self, script: &str, arguments: Value) -> Value {
        self.command(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": arguments}))).await
    }

    /// Waits until `script` returns something truthy (at most 10 s); returns it.
    async fn wait_for(&self, script: &str, what: &str) -> Value {
        for _ in 0..200 {
            let value = self.run(script, json!([])).await;
            if !value.is_null() && value != json!(false) && value != json!("") {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("waited 10 s for {what}");
    }

    /// Keeps a screenshot of the page as `target/ui-screenshots/{name}.png`.
    async fn screenshot(&self, name: &str) {
        use base64::Engine;
        let png = self.command(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap_or_default()).expect("base64");
        let folder = repo_root().join("target/ui-screenshots");
        std::fs::create_dir_all(&folder).expect("folder");
        std::fs::write(folder.join(format!("{name}.png")), bytes).expect("written");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver close Chromium; killing chromedriver alone left Chromium running
        // after the tests (dozens of them, skewing benchmarks run afterwards).
        end_session(&self.base, &self.session);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE /session/{id}` over a plain socket (drop cannot await), waiting for the answer: chromedriver
/// answers once Chromium is gone.
fn end_session(base: &str, session: &str) {
    use std::io::{Read, Write};
    let Some(address) = base.strip_prefix("http://") else { return };
    let Ok(mut stream) = std::net::TcpStream::connect(address) else { return };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
}

const CONFIG: &str = "route:\n  receiver: team.db\n  group_by: [alertname]\n  group_wait: 1h\n  routes:\n  - matchers: [severity=page]\n    receiver: pager\nreceivers:\n- name: team.db\n- name: pager\n";

async fn seeded() -> Herald {
    let herald = Herald::start(CONFIG);
    herald
        .post_alerts(json!([
            {"labels": {"alertname": "DiskFull", "instance": "db-1", "severity": "page"}, "annotations": {"summary": "Disk is full"}},
            {"labels": {"alertname": "DiskFull", "instance": "db-2", "severity": "warning"}},
            {"labels": {"alertname": "HighLatency", "instance": "api-1", "severity": "warning"}},
        ]))
        .await;
    herald
}

#[tokio::test]
async fn every_page_loads_and_alerts_filter() {
    let Some(browser) = Browser::start().await else { return };
    let herald = seeded().await;
    for (page, heading) in [
        ("alerts", "Alerts"),
        ("groups", "Groups"),
        ("silences", "Silences"),
        ("routes", "Routes"),
        ("history", "Notification history"),
        ("config", "Config versions"),
        ("status", "Status"),
    ] {
        browser.open(&herald.url(&format!("/#/{page}"))).await;
        let found = browser
            .wait_for(&format!("const h = document.querySelector('main h1'); return h && h.textContent === '{heading}' && h.textContent"), page)
            .await;
        assert_eq!(found, heading);
        // Every control has a name a screen reader can say.
        let unnamed = browser
            .run(
                "return [...document.querySelectorAll('main input, main button, main select, header button')].filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim()).map(e => e.outerHTML)",
                json!([]),
            )
            .await;
        assert_eq!(unnamed, json!([]), "{page}: controls without a name");
        browser.screenshot(page).await;
    }
    browser.open(&herald.url("/#/alerts")).await;
    browser.wait_for("return document.querySelectorAll('main .card').length === 3", "three alerts").await;
    // Filtering as amtool filters: type matchers, and the list follows.
    browser
        .run(
            "const input = document.querySelector('main input[type=search]'); input.value = arguments[0]; input.dispatchEvent(new Event('change'));",
            json!(["alertname=\"DiskFull\", severity=~\"pa.*\""]),
        )
        .await;
    let shown = browser
        .wait_for(
            "const cards = document.querySelectorAll('main .card'); return cards.length === 1 && cards[0].textContent",
            "one alert",
        )
        .await;
    assert!(shown.as_str().unwrap_or_default().contains("instance=\"db-1\""), "{shown}");
    browser.screenshot("alerts-filtered").await;
    // The routing tester: labels in, the matching routes out.
    browser.open(&herald.url("/#/routes")).await;
    browser.wait_for("return document.querySelector('main .tree li')", "the route tree").await;
    browser
        .run(
            "const input = document.querySelector('main input[type=search]'); input.value = arguments[0]; document.querySelector('main .toolbar button').click();",
            json!(["alertname=\"Disk\", severity=\"page\""]),
        )
        .await;
    let routed = browser
        .wait_for(
            "const li = document.querySelector('main [aria-live] li'); return li && li.textContent",
            "the tester's answer",
        )
        .await;
    assert_eq!(routed, "route.routes[0]: pager");
}

#[tokio::test]
async fn a_notifications_link_opens_its_page_and_a_silence_is_created_and_expired() {
    let Some(browser) = Browser::start().await else { return };
    let herald = seeded().await;
    // The link Herald's default templates put in notifications: `…/#/alerts?receiver=…`.
    browser.open(&herald.url("/#/alerts?receiver=pager")).await;
    let shown = browser
        .wait_for(
            "const cards = document.querySelectorAll('main .card'); return cards.length === 1 && cards[0].textContent",
            "the pager's alert",
        )
        .await;
    assert!(shown.as_str().unwrap_or_default().contains("db-1"), "{shown}");
    // Silence it from the alert: the editor opens with its labels.
    browser.run("document.querySelector('main .card a').click()", json!([])).await;
    let matchers = browser
        .wait_for("const m = document.getElementById('matchers'); return m && m.value", "the silence editor")
        .await;
    assert!(matchers.as_str().unwrap_or_default().contains("instance=\"db-1\""), "{matchers}");
    browser
        .run(
            "document.getElementById('author').value = 'oncall'; document.getElementById('comment').value = 'disk replaced'; document.querySelector('main form button[type=submit]').click();",
            json!([]),
        )
        .await;
    browser
        .wait_for(
            "return location.hash === '#/silences' && document.querySelectorAll('main tbody tr').length === 1",
            "the silence listed",
        )
        .await;
    browser.screenshot("silences").await;
    let silences = herald.get_json("/api/v2/silences").await;
    assert_eq!(silences[0]["createdBy"], "oncall");
    assert_eq!(silences[0]["status"]["state"], "active");
    browser.run("document.querySelector('main tbody button').click()", json!([])).await;
    browser
        .wait_for(
            "const s = document.querySelector('main tbody tr td span'); return s && s.textContent === 'expired'",
            "expired",
        )
        .await;
    let silences = herald.get_json("/api/v2/silences").await;
    assert_eq!(silences[0]["status"]["state"], "expired");
}

#[tokio::test]
async fn a_group_is_acknowledged_from_the_groups_page() {
    let Some(browser) = Browser::start().await else { return };
    let herald = seeded().await;
    browser.open(&herald.url("/#/groups")).await;
    browser.wait_for("return document.querySelectorAll('main .card button').length >= 1", "groups").await;
    browser.run("document.querySelector('main .card button').click()", json!([])).await;
    browser
        .wait_for("return [...document.querySelectorAll('main .card')].some(c => c.textContent.includes('acknowledged by web UI'))", "the acknowledgement")
        .await;
    browser.screenshot("groups").await;
    let groups = herald.get_json("/api/herald/groups").await;
    let acked = groups["groups"]
        .as_array()
        .map_or(0, |groups| groups.iter().filter(|g| !g["acknowledgement"].is_null()).count());
    assert_eq!(acked, 1, "{groups}");
}

#[tokio::test]
async fn with_api_tokens_the_page_asks_for_one_and_reads_and_writes_through_it() {
    let Some(browser) = Browser::start().await else { return };
    let herald = Herald::start_with(CONFIG, &[], &[("HERALD_API_TOKEN", "wr1te"), ("HERALD_READ_TOKEN", "r3ad")]);
    herald.post_alerts(json!([{"labels": {"alertname": "Guarded"}}])).await;
    browser.open(&herald.url("/#/silences")).await;
    browser.wait_for("return document.getElementById('token-dialog').open", "the token prompt").await;
    browser.screenshot("token").await;
    browser
        .run("document.getElementById('token').value = 'wr1te'; document.querySelector('#token-form button[value=ok]').click();", json!([]))
        .await;
    browser
        .wait_for(
            "const h = document.querySelector('main h1'); return h && h.textContent === 'Silences'",
            "the silences page",
        )
        .await;
    // A write goes through the token too: a silence edited from the list.
    let created = client()
        .post(herald.url("/api/v2/silences"))
        .bearer_auth("wr1te")
        .json(&json!({"matchers": [{"name": "alertname", "value": "Guarded", "isRegex": false}], "startsAt": chrono::Utc::now().to_rfc3339(), "endsAt": (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339(), "createdBy": "api", "comment": "first"}))
        .send()
        .await
        .expect("created");
    assert_eq!(created.status().as_u16(), 200);
    // The same address again would not load the page again: go by another page.
    browser.open(&herald.url("/#/status")).await;
    browser.open(&herald.url("/#/silences")).await;
    browser.wait_for("return document.querySelector('main tbody a')", "the edit link").await;
    browser.run("document.querySelector('main tbody a').click()", json!([])).await;
    browser
        .wait_for("const c = document.getElementById('comment'); return c && c.value === 'first'", "the editor, filled")
        .await;
    browser
        .run("document.getElementById('comment').value = 'second'; document.querySelector('main form button[type=submit]').click();", json!([]))
        .await;
    browser.wait_for("return location.hash === '#/silences'", "back on the list").await;
    let silences: Value = client()
        .get(herald.url("/api/v2/silences"))
        .bearer_auth("r3ad")
        .send()
        .await
        .expect("listed")
        .json()
        .await
        .expect("JSON");
    let active: Vec<&Value> =
        silences.as_array().expect("a list").iter().filter(|s| s["status"]["state"] == "active").collect();
    assert_eq!(active.len(), 1, "{silences}");
    assert_eq!(active[0]["comment"], "second");
}

#[tokio::test]
async fn on_a_phone_nothing_is_wider_than_the_screen_in_either_theme() {
    let Some(browser) = Browser::start().await else { return };
    let herald = seeded().await;
    browser.command(reqwest::Method::POST, "/window/rect", Some(json!({"width": 390, "height": 844}))).await;
    for page in ["alerts", "groups", "silences", "routes", "config", "status"] {
        browser.open(&herald.url(&format!("/#/{page}"))).await;
        browser.wait_for("const h = document.querySelector('main h1'); return h && h.textContent", page).await;
        let overflow = browser
            .run("return document.documentElement.scrollWidth - document.documentElement.clientWidth", json!([]))
            .await;
        assert!(overflow.as_i64().unwrap_or(1) <= 0, "{page} is {overflow} px wider than a phone's screen");
    }
    browser.open(&herald.url("/#/alerts")).await;
    browser.wait_for("return document.querySelectorAll('main .card').length === 3", "the alerts").await;
    browser.screenshot("phone-alerts").await;
    // The theme button switches light and dark, and the choice is kept.
    let before = browser.run("return getComputedStyle(document.body).backgroundColor", json!([])).await;
    browser.run("document.getElementById('theme').click()", json!([])).await;
    let after = browser.run("return getComputedStyle(document.body).backgroundColor", json!([])).await;
    assert_ne!(before, after, "the background changes with the theme");
    browser.screenshot("phone-alerts-other-theme").await;
    let kept = browser.run("return localStorage.getItem('herald.theme')", json!([])).await;
    assert!(kept == json!("dark") || kept == json!("light"), "{kept}");
}

/// The WCAG contrast of the main text, muted text, links and alert states against the background, in the
/// page's current theme: the lowest ratio and what has it.
const CONTRAST: &str = r#"
const parse = (c) => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
const lum = (rgb) => { const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const background = parse(getComputedStyle(document.body).backgroundColor);
let worst = [99, ""];
for (const selector of ["main h1", "main .muted", "nav a", "main .state-active", "main .label"]) {
  for (const node of document.querySelectorAll(selector)) {
    const own = getComputedStyle(node).backgroundColor;
    const behind = own.startsWith("rgba(0, 0, 0, 0)") ? background : parse(own);
    const r = ratio(parse(getComputedStyle(node).color), behind);
    if (r < worst[0]) worst = [r, selector];
  }
}
return worst;
"#;

#[tokio::test]
async fn text_is_readable_in_both_themes_and_typing_and_enter_create_a_silence() {
    let Some(browser) = Browser::start().await else { return };
    let herald = seeded().await;
    browser.open(&herald.url("/#/alerts")).await;
    browser.wait_for("return document.querySelectorAll('main .card').length === 3", "the alerts").await;
    for theme in ["light", "dark"] {
        browser.run("document.documentElement.dataset.theme = arguments[0]", json!([theme])).await;
        let worst = browser.run(CONTRAST, json!([])).await;
        let ratio = worst[0].as_f64().unwrap_or_default();
        assert!(!worst[1].as_str().unwrap_or_default().is_empty(), "{theme}: nothing was measured");
        assert!(ratio >= 4.5, "{theme}: {} has a contrast of {ratio:.2}, under WCAG AA's 4.5", worst[1]);
    }
    // A silence made by typing: focus starts on the matchers; typing in the fields and Enter submit.
    browser.open(&herald.url("/#/silences/new?filter=alertname%3D%22DiskFull%22")).await;
    let focused = browser.wait_for("return document.activeElement && document.activeElement.id", "the focus").await;
    assert_eq!(focused, "matchers", "the editor starts in its first field");
    let active = |script: &str| format!("const e = document.activeElement; {script}");
    for (field, text) in [("author", "oncall"), ("comment", "typed")] {
        browser.run(&format!("document.getElementById('{field}').focus()"), json!([])).await;
        let element = browser.run(&active("return e"), json!([])).await;
        let id = element
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("an element")
            .to_string();
        browser.command(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({"text": text}))).await;
    }
    let comment = browser.run("return document.getElementById('comment')", json!([])).await;
    let id =
        comment.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).expect("an element").to_string();
    browser.command(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({"text": "\u{E007}"}))).await;
    browser.wait_for("return location.hash === '#/silences'", "the list after Enter").await;
    let silences = herald.get_json("/api/v2/silences").await;
    assert_eq!((silences[0]["createdBy"].as_str(), silences[0]["comment"].as_str()), (Some("oncall"), Some("typed")));
}

#[tokio::test]
async fn refusals_and_an_unreachable_herald_are_shown_not_swallowed() {
    let Some(browser) = Browser::start().await else { return };
    let herald = seeded().await;
    // A matcher the page lets through but Herald refuses (an empty value matches nothing): the answer shows.
    browser.open(&herald.url("/#/silences/new?filter=alertname%3D%22%22")).await;
    browser.wait_for("return document.getElementById('matchers')", "the editor").await;
    browser
        .run("document.getElementById('author').value = 'x'; document.getElementById('comment').value = 'y'; document.querySelector('main form button[type=submit]').click();", json!([]))
        .await;
    let shown = browser
        .wait_for(
            "const p = document.getElementById('matchers-check'); return p.className === 'error' && p.textContent",
            "the refusal",
        )
        .await;
    assert!(shown.as_str().unwrap_or_default().starts_with("400"), "{shown}");
    // Herald gone while the page is open: moving to another page says so instead of staying empty.
    browser.open(&herald.url("/#/alerts")).await;
    browser.wait_for("return document.querySelectorAll('main .card').length === 3", "the alerts").await;
    herald.kill();
    browser.run("location.hash = '#/status'", json!([])).await;
    let error = browser
        .wait_for("const p = document.querySelector('main [role=alert]'); return p && p.textContent", "the error")
        .await;
    assert!(!error.as_str().unwrap_or_default().is_empty());
}
