//! Talking to a running Herald from the command line: its URL, the token it may need, and its answers.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde_json::Value;

/// Where the running Herald is, for the commands that talk to it.
pub(super) const DEFAULT_URL: &str = "http://127.0.0.1:9093";

/// How long the CLI waits for an answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How to reach a running Herald.
#[derive(Args, Debug, Clone)]
pub(super) struct RemoteArgs {
    /// The running Herald's URL.
    #[arg(long = "herald.url", visible_alias = "alertmanager.url", env = "HERALD_URL", default_value = DEFAULT_URL, global = true)]
    url: String,
    /// File holding the API token, if Herald requires one (the token itself may be in `HERALD_TOKEN`).
    #[arg(long = "herald.token-file", value_name = "FILE", env = "HERALD_TOKEN_FILE", global = true)]
    token_file: Option<PathBuf>,
}

/// A connection to a running Herald.
pub(super) struct Remote {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// An answer: status and body.
pub(super) struct Answer {
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body as text.
    pub text: String,
}

impl Remote {
    /// Builds the client (a runtime must be running).
    pub(super) fn new(args: &RemoteArgs) -> Result<Remote, String> {
        // https:// URLs need rustls' crypto provider, as Herald's own clients do.
        crate::notify::http::install_tls_provider();
        let token = match &args.token_file {
            Some(file) => Some(
                std::fs::read_to_string(file)
                    .map_err(|err| format!("reading {}: {err}", file.display()))?
                    .trim()
                    .to_string(),
            ),
            None => std::env::var("HERALD_TOKEN").ok().map(|token| token.trim().to_string()),
        };
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|err| format!("building the HTTP client: {err}"))?;
        Ok(Remote { client, base: args.url.trim_end_matches('/').to_string(), token })
    }

    /// A request to `path` (with its query) on the running Herald.
    pub(super) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends a request; a non-2xx answer is an error carrying the API's detail.
    pub(super) async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, String> {
        let response = request.send().await.map_err(|err| format!("cannot reach Herald at {}: {err}", self.base))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(Answer { headers, text });
        }
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let detail = body["detail"].as_str().or(body["message"].as_str()).or(body.as_str()).unwrap_or("no detail");
        let mut message = format!("{detail} (HTTP {})", status.as_u16());
        for problem in body["problems"].as_array().into_iter().flatten() {
            let line = problem["line"].as_u64().map(|line| format!("line {line}: ")).unwrap_or_default();
            message.push_str(&format!(
                "\n - {line}{}: {}",
                problem["path"].as_str().unwrap_or_default(),
                problem["message"].as_str().unwrap_or_default()
            ));
        }
        Err(message)
    }

    /// Sends a request and reads its JSON answer.
    pub(super) async fn json(&self, request: reqwest::RequestBuilder) -> Result<Value, String> {
        let answer = self.send(request).await?;
        serde_json::from_str(&answer.text).map_err(|err| format!("reading Herald's answer: {err}"))
    }
}

/// Rows as left-aligned columns two spaces apart, each line without trailing spaces.
pub(super) fn columns<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> =
        (0..N).map(|column| rows.iter().map(|row| row[column].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Runs `work` on a small runtime and turns its outcome into an exit status.
pub(super) fn run_remote<F>(work: F) -> std::process::ExitCode
where
    F: std::future::Future<Output = Result<(), String>>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => return super::fail(format!("starting: {err}")),
    };
    match runtime.block_on(work) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => super::fail(message),
    }
}
