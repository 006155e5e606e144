//! Shared harness: run the built `herald` binary (once, or as a server on a loopback port), a local webhook
//! sink that records what it receives and when, and small HTTP helpers.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::Value;

/// How long a server may take to start.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether an external program a test drives (amtool, prometheus, promtool) is installed. When it is not,
/// the test is skipped with a line on stderr saying so, unless `HERALD_REQUIRE_TOOLS=1` (set by `.ci/run`)
/// makes the absence a failure, so CI never skips silently.
pub fn tool_available(program: &str, package: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    if found {
        return true;
    }
    report_missing(program, package);
    false
}

/// Says that a test is skipped for want of `program` (from Debian's `package`), or fails it when
/// `HERALD_REQUIRE_TOOLS=1`.
pub fn report_missing(program: &str, package: &str) {
    let required = std::env::var("HERALD_REQUIRE_TOOLS").is_ok_and(|value| value == "1");
    assert!(!required, "{program} is required (HERALD_REQUIRE_TOOLS=1) but not installed: apt-get install {package}");
    // Written to the stream itself, not through eprintln!, which the test harness captures for passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {} needs {program}, which is not installed (apt-get install {package})",
        std::thread::current().name().unwrap_or("a test")
    );
}

/// Runs `herald` with `args` from the repository root and waits for it.
pub fn herald(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("the herald binary runs")
}

/// Stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A `herald serve` process on a loopback port, with its config and data in a temporary folder.
pub struct Herald {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// The config file.
    pub config: PathBuf,
    logs: Arc<Mutex<Vec<String>>>,
    folder: Arc<tempfile::TempDir>,
}

impl Herald {
    /// Writes `config` to a new temporary folder and starts Herald on it.
    pub fn start(config: &str) -> Herald {
        Herald::start_with(config, &[], &[])
    }

    /// Like [`Herald::start`], with more command-line arguments and environment variables.
    pub fn start_with(config: &str, args: &[&str], env: &[(&str, &str)]) -> Herald {
        let folder = Arc::new(tempfile::tempdir().expect("temp dir"));
        std::fs::write(folder.path().join("config.yml"), config).expect("config written");
        Herald::launch(folder, args, env)
    }

    /// Starts Herald on the config and data of an existing folder (to restart).
    pub fn start_in(folder: Arc<tempfile::TempDir>) -> Herald {
        Herald::launch(folder, &[], &[])
    }

    /// Like [`Herald::start_in`], with more command-line arguments.
    pub fn start_in_with(folder: Arc<tempfile::TempDir>, args: &[&str]) -> Herald {
        Herald::launch(folder, args, &[])
    }

    /// Starts `herald` with Alertmanager's flags (no subcommand), as an existing deployment runs it.
    fn launch(folder: Arc<tempfile::TempDir>, args: &[&str], env: &[(&str, &str)]) -> Herald {
        let config = folder.path().join("config.yml");
        let data_dir = folder.path().join("data");
        let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
        command.arg(format!("--config.file={}", config.display())).arg("--web.listen-address=127.0.0.1:0");
        if !args.iter().any(|arg| arg.starts_with("--storage.path")) {
            command.arg(format!("--storage.path={}", data_dir.display()));
        }
        command.args(args).env("HERALD_LOG", "info,herald=debug").stderr(Stdio::piped());
        if !args.iter().any(|arg| arg.starts_with("--web.external-url")) {
            command.arg("--web.external-url=http://herald.test:9093");
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("herald starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Herald is listening.") {
                    // logfmt (`address=127.0.0.1:1234 `) or JSON (`"address":"127.0.0.1:1234"`).
                    let address = line
                        .split("address=")
                        .nth(1)
                        .and_then(|rest| rest.split_whitespace().next())
                        .or_else(|| line.split("\"address\":\"").nth(1).and_then(|rest| rest.split('"').next()));
                    let _ = tx.send(address.unwrap_or_default().to_string());
                }
                sink.lock().expect("log lock").push(line);
            }
        });
        let address = match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(address) => address,
            Err(_) => panic!("herald did not start:\n{}", logs.lock().expect("log lock").join("\n")),
        };
        Herald { child, address, config, logs, folder }
    }

    /// The folder holding config and data, to restart on it.
    pub fn folder(&self) -> Arc<tempfile::TempDir> {
        Arc::clone(&self.folder)
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// What Herald logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().expect("log lock").join("\n")
    }

    /// Waits until the log contains `needle`, at most `timeout`; returns the log.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        while !self.logs().contains(needle) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.logs()
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a signal by name (`TERM`, `HUP`).
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        Command::new("kill").args([&format!("-{name}"), pid.as_str()]).status().expect("kill runs");
    }

    /// Asks Herald to stop (SIGTERM) and waits for it.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        self.child.wait().expect("herald exits")
    }

    /// POSTs a JSON body to the API.
    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, String) {
        let response = client().post(self.url(path)).json(body).send().await.expect("request sent");
        let status = StatusCode::from_u16(response.status().as_u16()).expect("valid status");
        (status, response.text().await.expect("body read"))
    }

    /// POSTs alerts and asserts a 200.
    pub async fn post_alerts(&self, alerts: Value) {
        let (status, body) = self.post_json("/api/v2/alerts", &alerts).await;
        assert_eq!(status, StatusCode::OK, "{body}\n{}", self.logs());
    }

    /// GETs a JSON document.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = client().get(self.url(path)).send().await.expect("request sent");
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.expect("JSON body")
    }
}

impl Drop for Herald {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client builder, for tests that need other settings than [`client`]'s.
pub fn client_builder() -> reqwest::ClientBuilder {
    // reqwest is built without a TLS crypto provider of its own; Herald uses ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A shared HTTP client for tests.
pub fn client() -> reqwest::Client {
    client_builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("client builds")
}

/// One request the sink received.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived, on Tokio's clock (the test's paused clock where time is paused).
    pub at: tokio::time::Instant,
    /// Request method.
    pub method: String,
    /// Request path and query.
    pub path: String,
    /// Request headers.
    pub headers: HeaderMap,
    /// Parsed JSON body (`null` if it was not JSON).
    pub body: Value,
    /// The body as sent.
    pub raw: String,
}

/// What the sink answers: a status and an optional `Retry-After`, per request in order; then 200.
pub type Script = Arc<Mutex<Vec<(u16, Option<u64>)>>>;

#[derive(Clone)]
struct SinkState {
    received: Arc<Mutex<Vec<Received>>>,
    count: Arc<tokio::sync::watch::Sender<usize>>,
    script: Script,
    delays: Arc<Mutex<Vec<u64>>>,
    answer: Arc<Mutex<String>>,
    answers: Arc<Mutex<std::collections::VecDeque<String>>>,
}

/// A webhook receiver on a loopback port that records every request.
pub struct Sink {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    count: tokio::sync::watch::Receiver<usize>,
    /// Responses to give, in order, before answering 200.
    pub script: Script,
    /// How long to hold each response, in milliseconds, in order; then no delay.
    pub delays: Arc<Mutex<Vec<u64>>>,
    answer: Arc<Mutex<String>>,
    state: SinkState,
}

impl Sink {
    /// Starts the sink on the current Tokio runtime.
    pub async fn start() -> Sink {
        let (count, count_rx) = tokio::sync::watch::channel(0);
        let state = SinkState {
            received: Arc::default(),
            count: Arc::new(count),
            script: Arc::default(),
            delays: Arc::default(),
            answer: Arc::default(),
            answers: Arc::default(),
        };
        let app = axum::Router::new().fallback(record).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("sink binds");
        let kept = state.clone();
        let address: SocketAddr = listener.local_addr().expect("bound");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("sink serves") });
        Sink {
            url: format!("http://{address}"),
            received: state.received,
            count: count_rx,
            script: state.script,
            delays: state.delays,
            answer: state.answer,
            state: kept,
        }
    }

    /// The sink's request handler, to serve it elsewhere too (behind a TLS proxy).
    pub fn router(&self) -> axum::Router {
        axum::Router::new().fallback(record).with_state(self.state.clone())
    }

    /// Answers every request with this JSON body from now on (empty by default).
    pub fn answer_with(&self, body: &str) {
        *self.answer.lock().expect("answer lock") = body.to_string();
    }

    /// Answers the next requests with these bodies, in order, before the one of [`Sink::answer_with`].
    pub fn answer_in_turn(&self, bodies: &[&str]) {
        self.state.answers.lock().expect("answers lock").extend(bodies.iter().map(|b| b.to_string()));
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("sink lock").clone()
    }

    /// Waits until at least `count` requests arrived, at most `timeout` of real time (also where the test's
    /// clock is paused); returns all received.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let mut arrivals = self.count.clone();
        within(timeout, arrivals.wait_for(|arrived| *arrived >= count)).await;
        self.received()
    }
}

async fn record(
    State(state): State<SinkState>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let raw = String::from_utf8_lossy(&body).into_owned();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let at = tokio::time::Instant::now();
    let path = uri.path_and_query().map_or_else(|| uri.path().to_string(), ToString::to_string);
    let method = method.to_string();
    let arrived = {
        let mut received = state.received.lock().expect("sink lock");
        received.push(Received { at, method, path, headers, body, raw });
        received.len()
    };
    state.count.send_replace(arrived);
    let next = {
        let mut script = state.script.lock().expect("script lock");
        if script.is_empty() { None } else { Some(script.remove(0)) }
    };
    let delay = {
        let mut delays = state.delays.lock().expect("delay lock");
        if delays.is_empty() { 0 } else { delays.remove(0) }
    };
    tokio::time::sleep(Duration::from_millis(delay)).await;
    let mut response_headers = HeaderMap::new();
    let (status, retry_after) = next.unwrap_or((200, None));
    if let Some(seconds) = retry_after {
        response_headers.insert("retry-after", seconds.to_string().parse().expect("digits"));
    }
    let next_answer = state.answers.lock().expect("answers lock").pop_front();
    let answer = next_answer.unwrap_or_else(|| state.answer.lock().expect("answer lock").clone());
    if !answer.is_empty() {
        response_headers.insert("content-type", "application/json".parse().expect("ascii"));
    }
    (StatusCode::from_u16(status).expect("valid status"), response_headers, answer)
}

/// Awaits `future` for at most `limit` of real time: a test whose clock is paused cannot bound a wait with
/// Tokio's timers, which only move when the test moves them.
pub async fn within<F: std::future::Future>(limit: Duration, future: F) -> Option<F::Output> {
    let (expired, expiry) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        let _ = expired.send(());
    });
    tokio::select! {
        output = future => Some(output),
        _ = expiry => None,
    }
}

/// Seconds between two instants, for timing assertions.
pub fn secs(from: tokio::time::Instant, to: tokio::time::Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64()
}

/// Asserts that `actual` is within `tolerance` seconds of `expected`.
pub fn assert_near(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!((actual - expected).abs() <= tolerance, "{what}: {actual:.3}s, expected {expected:.3}s ± {tolerance}s");
}

/// A config routing everything to the webhook `{sink}/hook`, grouped by `alertname`, with `timers` (route
/// keys, indented two spaces).
pub fn config(sink: &Sink, timers: &str) -> String {
    format!(
        "route:\n  receiver: hook\n  group_by: [alertname]\n{timers}receivers:\n- name: hook\n  webhook_configs:\n  - url: {}/hook\n",
        sink.url
    )
}

/// Short timers for [`config`].
pub const FAST: &str = "  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 1h\n";

/// A firing alert with a summary.
pub fn alert(name: &str, instance: &str) -> Value {
    serde_json::json!({"labels": {"alertname": name, "instance": instance}, "annotations": {"summary": format!("{name} on {instance}")}})
}

/// The alert names of a webhook payload, in payload order, with their statuses.
pub fn alert_names(body: &Value) -> Vec<(String, String)> {
    body["alerts"]
        .as_array()
        .map(|alerts| {
            alerts
                .iter()
                .map(|a| {
                    let labels = a["labels"].as_object().expect("labels object");
                    let name = labels
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(",");
                    (name, a["status"].as_str().unwrap_or_default().to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Path of a file in the repository.
pub fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The same alert, resolved a second ago after an hour of firing (as Prometheus posts a resolve).
pub fn resolved_a_second_ago(mut alert: Value) -> Value {
    let now = chrono::Utc::now();
    alert["startsAt"] = serde_json::json!((now - chrono::Duration::hours(1)).to_rfc3339());
    alert["endsAt"] = serde_json::json!((now - chrono::Duration::seconds(1)).to_rfc3339());
    alert
}
