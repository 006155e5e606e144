//! Outbound HTTP: one shared client (plus one per distinct TLS/proxy/redirect setting), authentication
//! from `http_config`, pacing per endpoint, and the one helper every integration sends through, which
//! classifies each answer into an [`ErrorKind`].

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};

use super::error::{Error, ErrorKind, Result};
use super::integration::Request;
use crate::config::Secret;
use crate::config::model::{HttpConfig, TlsConfig};

/// Longest a single attempt may take.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an error response body is kept for the log.
const MAX_LOGGED_BODY_BYTES: usize = 512;

/// The longest `Retry-After` honoured: a larger (or absurd) value holds the endpoint this long.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// `User-Agent` of every request.
pub(crate) const USER_AGENT: &str = concat!("Herald/", env!("CARGO_PKG_VERSION"));

/// Clients by transport settings, and the pacing of rate-limited endpoints.
pub(crate) struct HttpClients {
    default: reqwest::Client,
    custom: Mutex<HashMap<String, reqwest::Client>>,
    /// Per endpoint, the earliest moment the next request may start.
    next_slot: Mutex<HashMap<String, tokio::time::Instant>>,
    /// Requests in flight at once, bounded so that a burst of notifications cannot use up file descriptors.
    in_flight: tokio::sync::Semaphore,
    /// Access tokens fetched for requests that need one (WeChat), by the URL that gave them, with when.
    tokens: Mutex<HashMap<String, (String, tokio::time::Instant)>>,
}

/// How long a fetched access token is used (WeChat's last two hours; Alertmanager keeps them as long).
const TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// What a request's URL holds where its access token goes.
pub(crate) const TOKEN_PLACEHOLDER: &str = "{access_token}";

/// A place in an endpoint's pacing, given back if its send is dropped before its time comes.
struct Slot<'a> {
    clients: &'a HttpClients,
    endpoint: &'a str,
    start: tokio::time::Instant,
    spacing: Duration,
    used: bool,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if self.used || self.spacing.is_zero() {
            return;
        }
        let mut slots = self.clients.next_slot.lock().expect("pacing lock is never poisoned");
        if let Some(next) = slots.get_mut(self.endpoint)
            && *next == self.start + self.spacing
        {
            *next = self.start;
        }
    }
}

/// Most outbound requests in flight at once, over every receiver.
const MAX_REQUESTS_IN_FLIGHT: usize = 512;

/// Most requests that may wait for one paced endpoint (Slack's one a second): beyond, a notification fails
/// at once as rate limited (and is tried again at its group's next tick) instead of queueing for ever.
const MAX_PACED_WAITING: u32 = 60;

impl HttpClients {
    /// Builds the shared default client.
    pub(crate) fn new() -> std::result::Result<Self, reqwest::Error> {
        install_tls_provider();
        Ok(HttpClients {
            default: builder(None)?.build()?,
            custom: Mutex::new(HashMap::new()),
            next_slot: Mutex::new(HashMap::new()),
            in_flight: tokio::sync::Semaphore::new(MAX_REQUESTS_IN_FLIGHT),
            tokens: Mutex::new(HashMap::new()),
        })
    }

    /// The access token `url` gives (`{"access_token": …}`), fetched once per [`TOKEN_LIFETIME`].
    async fn token(&self, client: &reqwest::Client, url: &str, refused: &str) -> Result<String> {
        let cached = self.tokens.lock().expect("token lock is never poisoned").get(url).cloned();
        if let Some((token, at)) = cached
            && at.elapsed() < TOKEN_LIFETIME
        {
            return Ok(token);
        }
        let response = classify(client.get(url).send().await, None).await?;
        let answer: serde_json::Value = response.json().await.map_err(|err| {
            Error::new(ErrorKind::ServerError { status: 200 }, format!("reading the access token: {err}"))
        })?;
        let token = answer["access_token"].as_str().unwrap_or_default().to_string();
        if token.is_empty() {
            let detail = answer["errmsg"].as_str().unwrap_or_default();
            return Err(Error::config(format!("{refused}: {detail}")));
        }
        self.tokens
            .lock()
            .expect("token lock is never poisoned")
            .insert(url.to_string(), (token.clone(), tokio::time::Instant::now()));
        Ok(token)
    }

    /// Forgets the token `url` gave, so that the next request fetches a new one.
    fn forget_token(&self, url: &str) {
        self.tokens.lock().expect("token lock is never poisoned").remove(url);
    }

    /// Holds back requests to an endpoint that answered with `Retry-After`, also those of later flushes:
    /// newer content that supersedes a retrying send still waits as long as the endpoint asked.
    pub(crate) fn hold(&self, endpoint: &str, wait: Duration) {
        let until = tokio::time::Instant::now() + wait.min(MAX_RETRY_AFTER);
        let mut slots = self.next_slot.lock().expect("pacing lock is never poisoned");
        let slot = slots.entry(endpoint.to_string()).or_insert(until);
        *slot = (*slot).max(until);
    }

    /// Waits for this endpoint's next slot, so that requests to it start at least `spacing` apart (Slack
    /// allows about one message per second per webhook) and not before a `Retry-After` it gave has passed.
    /// Slots are handed out in call order; when [`MAX_PACED_WAITING`] requests already wait, the request is
    /// refused as rate limited.
    pub(crate) async fn pace(&self, endpoint: &str, spacing: Duration) -> Result<()> {
        let start = {
            let mut slots = self.next_slot.lock().expect("pacing lock is never poisoned");
            let now = tokio::time::Instant::now();
            let start = slots.get(endpoint).copied().filter(|slot| *slot > now).unwrap_or(now);
            if !spacing.is_zero() && start.saturating_duration_since(now) > spacing * MAX_PACED_WAITING {
                return Err(Error::new(
                    ErrorKind::RateLimited { status: 429 },
                    format!("{MAX_PACED_WAITING} requests already wait for this endpoint (one every {spacing:?})"),
                ));
            }
            slots.insert(endpoint.to_string(), start + spacing);
            start
        };
        // A send dropped while it waits (superseded, shut down) gives its slot back if it is still the last.
        let mut slot = Slot { clients: self, endpoint, start, spacing, used: false };
        tokio::time::sleep_until(start).await;
        slot.used = true;
        Ok(())
    }

    /// The client for an integration's `http_config` (transport settings only; auth is per request).
    pub(crate) fn client_for(&self, config: Option<&HttpConfig>) -> Result<reqwest::Client> {
        let Some(config) = config.filter(|c| needs_own_client(c)) else {
            return Ok(self.default.clone());
        };
        let key = format!(
            "{:?}|{:?}|{:?}|{:?}",
            config.tls_config, config.proxy_url, config.follow_redirects, config.enable_http2
        );
        let mut custom = self.custom.lock().expect("client cache lock is never poisoned");
        if let Some(client) = custom.get(&key) {
            return Ok(client.clone());
        }
        let client = builder(Some(config))
            .and_then(reqwest::ClientBuilder::build)
            .map_err(|err| Error::config(format!("http_config: {err}")))?;
        custom.insert(key, client.clone());
        Ok(client)
    }
}

/// Makes ring rustls' process-wide crypto provider (reqwest is built without one, to avoid aws-lc's C build).
/// Installing twice is harmless: the first provider stays.
pub(crate) fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn needs_own_client(config: &HttpConfig) -> bool {
    config.tls_config.is_some()
        || config.proxy_url.is_some()
        || config.follow_redirects == Some(false)
        || config.enable_http2 == Some(false)
}

fn builder(config: Option<&HttpConfig>) -> std::result::Result<reqwest::ClientBuilder, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(ATTEMPT_TIMEOUT)
        .no_proxy();
    let Some(config) = config else { return Ok(builder) };
    if config.follow_redirects == Some(false) {
        builder = builder.redirect(reqwest::redirect::Policy::none());
    }
    if config.enable_http2 == Some(false) {
        builder = builder.http1_only();
    }
    if let Some(proxy) = &config.proxy_url {
        builder = builder.proxy(reqwest::Proxy::all(proxy)?);
    }
    if let Some(tls) = &config.tls_config {
        builder = tls_settings(builder, tls)?;
    }
    Ok(builder)
}

/// Applies `tls_config` as Go's TLS client does: a `ca` replaces the system roots, a client certificate is
/// presented when both `cert` and `key` are set, and versions are bounded. TLS 1.0 and 1.1 are not spoken
/// (rustls), and `server_name` cannot be overridden; validation warns about both.
fn tls_settings(
    mut builder: reqwest::ClientBuilder,
    tls: &TlsConfig,
) -> std::result::Result<reqwest::ClientBuilder, reqwest::Error> {
    if tls.insecure_skip_verify == Some(true) {
        builder = builder.danger_accept_invalid_certs(true);
    }
    if let Some(pem) = pem_of(tls.ca.as_deref(), tls.ca_file.as_deref()) {
        builder = builder.tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem)?);
    }
    let cert = pem_of(tls.cert.as_deref(), tls.cert_file.as_deref());
    let key = pem_of(tls.key.as_ref().map(|key| key.expose()), tls.key_file.as_deref());
    if let (Some(mut identity), Some(key)) = (cert, key) {
        identity.push(b'\n');
        identity.extend_from_slice(&key);
        builder = builder.identity(reqwest::Identity::from_pem(&identity)?);
    }
    if let Some(version) = tls.min_version.as_deref().and_then(tls_version) {
        builder = builder.min_tls_version(version);
    }
    if let Some(version) = tls.max_version.as_deref().and_then(tls_version) {
        builder = builder.max_tls_version(version);
    }
    Ok(builder)
}

/// A PEM given inline or in a file (read at each client build, so a renewed certificate is picked up by
/// the next reload); an unreadable file was reported by validation and counts as unset here.
fn pem_of(inline: Option<&str>, file: Option<&str>) -> Option<Vec<u8>> {
    match (inline, file) {
        (Some(pem), _) => Some(pem.as_bytes().to_vec()),
        (None, Some(file)) => std::fs::read(file).ok(),
        (None, None) => None,
    }
}

/// The versions rustls speaks; TLS 1.0 and 1.1 are below its floor, so they bound nothing.
fn tls_version(name: &str) -> Option<reqwest::tls::Version> {
    match name {
        "TLS12" => Some(reqwest::tls::Version::TLS_1_2),
        "TLS13" => Some(reqwest::tls::Version::TLS_1_3),
        _ => None,
    }
}

/// Adds the credentials of `http_config` to a request; `*_file` credentials are read now, so that rotating
/// the file needs no reload.
pub(crate) fn authorize(request: RequestBuilder, config: Option<&HttpConfig>) -> Result<RequestBuilder> {
    let Some(config) = config else { return Ok(request) };
    if config.oauth2.is_some() {
        return Err(Error::config("http_config.oauth2 is not supported by Herald yet"));
    }
    if let Some(basic) = &config.basic_auth {
        let password = secret_or_file(&basic.password, &basic.password_file)?;
        return Ok(request.basic_auth(&basic.username, password));
    }
    let (kind, credentials) = match (&config.authorization, &config.bearer_token, &config.bearer_token_file) {
        (Some(auth), _, _) => {
            let Some(credentials) = secret_or_file(&auth.credentials, &auth.credentials_file)? else {
                return Ok(request);
            };
            (auth.kind.clone().unwrap_or_else(|| "Bearer".to_string()), credentials)
        }
        (None, Some(token), _) => ("Bearer".to_string(), token.expose().to_string()),
        (None, None, Some(file)) => ("Bearer".to_string(), read_secret_file(file)?),
        (None, None, None) => return Ok(request),
    };
    Ok(request.header(reqwest::header::AUTHORIZATION, format!("{kind} {credentials}")))
}

/// A secret given inline or as a file (the inline value wins, as in Alertmanager); `None` when neither is
/// set. The file is read at each call, so that rotating it needs no reload.
pub(crate) fn secret_or_file(inline: &Option<Secret>, file: &Option<String>) -> Result<Option<String>> {
    match (inline, file) {
        (Some(value), _) => Ok(Some(value.expose().to_string())),
        (None, Some(file)) => read_secret_file(file).map(Some),
        (None, None) => Ok(None),
    }
}

/// Reads a secret from a file, trimmed; the error names the file, never its content.
pub(crate) fn read_secret_file(path: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .map(|text| text.trim().to_string())
        .map_err(|err| Error::config(format!("cannot read {path}: {err}")))
}

/// Sends the requests of one notification, in order, through the shared clients: the client for
/// `http_config`, its credentials, the pacing of each URL, and the classification of each answer. The first
/// failure ends the notification.
pub(crate) async fn send(
    clients: &HttpClients,
    http_config: Option<&HttpConfig>,
    requests: Vec<Request>,
) -> Result<u16> {
    let client = clients.client_for(http_config)?;
    let mut last_status = 0;
    for request in requests {
        let Request {
            method, mut url, headers, body, spacing, rate_limit_status, context, check_answer, token, ..
        } = request;
        if let Some(token) = &token {
            let value = clients.token(&client, &token.url, &token.refused).await?;
            let escaped: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            url = url.replace(TOKEN_PLACEHOLDER, &escaped);
        }
        let mut builder = client.request(method, &url);
        if !headers.iter().any(|(name, _)| name == CONTENT_TYPE) {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let builder = authorize(builder.body(body), http_config)?;
        clients.pace(&url, spacing).await?;
        let result = {
            // Closed only if the clients are dropped, which ends this send anyway.
            let _permit = clients.in_flight.acquire().await.map_err(|_| Error::config("shutting down"))?;
            classify(builder.send().await, rate_limit_status).await
        };
        let result = match (result, check_answer) {
            (Ok(response), Some(check)) => {
                let status = response.status().as_u16();
                let answer = body_excerpt(response).await;
                check(status, &answer).map(|()| status)
            }
            (Ok(response), None) => Ok(response.status().as_u16()),
            (Err(err), _) => Err(err),
        };
        let err = match result {
            Ok(status) => {
                last_status = status;
                continue;
            }
            Err(err) => err,
        };
        if let Some(token) = &token {
            // The service may have dropped the token (WeChat's 42001): the next attempt fetches a new one.
            clients.forget_token(&token.url);
        }
        {
            if let Some(wait) = err.retry_after {
                // Later requests to this endpoint wait too, also those of other flushes.
                clients.hold(&url, wait);
            }
            return Err(match context {
                Some(context) => Error { message: format!("{context}: {}", err.message), ..err },
                None => err,
            });
        }
    }
    Ok(last_status)
}

/// What became of one HTTP attempt. `rate_limit_status` is a status the API uses like 429.
pub(crate) async fn classify(
    result: std::result::Result<reqwest::Response, reqwest::Error>,
    rate_limit_status: Option<u16>,
) -> Result<reqwest::Response> {
    let response = match result {
        Ok(response) => response,
        Err(err) => {
            // Without the URL: it may carry a secret (Slack webhook URLs do).
            let err = err.without_url();
            let kind = if err.is_timeout() {
                ErrorKind::Timeout
            } else if err.is_builder() {
                ErrorKind::BadConfig
            } else {
                ErrorKind::Connection
            };
            let what = match kind {
                ErrorKind::Timeout => "timed out",
                ErrorKind::BadConfig => "cannot be made",
                _ => "failed",
            };
            return Err(Error::new(kind, format!("request {what}: {err}")));
        }
    };
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    let excerpt = body_excerpt(response).await;
    let code = status.as_u16();
    let kind = if status == StatusCode::TOO_MANY_REQUESTS || rate_limit_status == Some(code) {
        ErrorKind::RateLimited { status: code }
    } else if status.is_server_error() {
        ErrorKind::ServerError { status: code }
    } else {
        ErrorKind::ClientError { status: code }
    };
    Err(Error { kind, message: format!("unexpected status {status}: {}", excerpt.trim()), retry_after })
}

/// The start of an error answer's body, for the log; the rest is not read.
async fn body_excerpt(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < MAX_LOGGED_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(MAX_LOGGED_BODY_BYTES);
    String::from_utf8_lossy(&body).into_owned()
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok().map(|wait| wait.min(MAX_RETRY_AFTER))
}

/// A random number for jitter, from the standard library's per-process random keys.
pub(crate) fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_endpoint_are_spaced_and_others_are_not_held_up() {
        let clients = HttpClients::new().expect("client builds");
        let start = tokio::time::Instant::now();
        let spacing = Duration::from_secs(1);
        clients.pace("a", spacing).await.expect("paced");
        clients.pace("b", spacing).await.expect("paced");
        assert_eq!(start.elapsed(), Duration::ZERO);
        clients.pace("a", spacing).await.expect("paced");
        clients.pace("a", spacing).await.expect("paced");
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        clients.hold("b", Duration::from_secs(5));
        clients.pace("b", Duration::ZERO).await.expect("paced");
        assert_eq!(start.elapsed(), Duration::from_secs(2 + 5), "a Retry-After holds later requests");
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_endpoint_refuses_requests_beyond_its_backlog() {
        let clients = HttpClients::new().expect("client builds");
        let spacing = Duration::from_secs(1);
        let mut waiting = Vec::new();
        for _ in 0..=MAX_PACED_WAITING {
            let mut paced = Box::pin(clients.pace("slack", spacing));
            // Polled once: the slot is taken, the wait begins.
            assert!(futures_util::FutureExt::now_or_never(&mut paced).is_none() || waiting.is_empty());
            waiting.push(paced);
        }
        let refused = clients.pace("slack", spacing).await.expect_err("the backlog is full");
        assert_eq!(refused.kind, ErrorKind::RateLimited { status: 429 });
        assert!(clients.pace("other", spacing).await.is_ok(), "other endpoints are not held up");
        drop(waiting.pop());
        let mut again = Box::pin(clients.pace("slack", spacing));
        let polled = futures_util::FutureExt::now_or_never(&mut again);
        assert!(polled.is_none(), "a dropped waiter gave its slot back: this one waits, it is not refused");
        drop((again, waiting));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822().replace("+0000", "GMT");
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).expect("ascii"));
        let wait = retry_after(&headers).expect("a date parses");
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30), "{wait:?}");
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("10000000000000000000"));
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER), "absurd values are capped, not overflowed");
    }
}

/// What each answer becomes, through the helper every integration sends with.
#[cfg(test)]
mod classification_tests {
    use axum::http::StatusCode as Status;

    use super::*;

    /// Answers `/{status}` with that status (and `Retry-After: 3` on 429).
    async fn server() -> String {
        let app = axum::Router::new().route(
            "/{status}",
            axum::routing::any(|axum::extract::Path(status): axum::extract::Path<u16>| async move {
                let status = Status::from_u16(status).unwrap_or(Status::IM_A_TEAPOT);
                let mut headers = axum::http::HeaderMap::new();
                if status == Status::TOO_MANY_REQUESTS {
                    headers.insert(RETRY_AFTER, axum::http::HeaderValue::from_static("3"));
                }
                (status, headers, "x".repeat(4096))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let address = listener.local_addr().expect("bound");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }

    async fn outcome(request: Request) -> Result<()> {
        let clients = HttpClients::new().expect("clients build");
        send(&clients, None, vec![request]).await.map(|_| ())
    }

    #[tokio::test]
    async fn answers_are_classified_into_kinds_that_decide_retries() {
        let base = server().await;
        let kind = |result: Result<()>| result.expect_err("fails").kind;
        assert_eq!(outcome(Request::post(format!("{base}/200"), Vec::new())).await, Ok(()));
        let limited = outcome(Request::post(format!("{base}/429"), Vec::new())).await.expect_err("429");
        assert_eq!(limited.kind, ErrorKind::RateLimited { status: 429 });
        assert_eq!(limited.retry_after, Some(Duration::from_secs(3)));
        assert!(limited.message.len() < 700, "only the start of the body is kept: {}", limited.message.len());
        assert_eq!(
            kind(outcome(Request::post(format!("{base}/503"), Vec::new())).await),
            ErrorKind::ServerError { status: 503 }
        );
        assert_eq!(
            kind(outcome(Request::post(format!("{base}/400"), Vec::new())).await),
            ErrorKind::ClientError { status: 400 }
        );
        assert_eq!(
            kind(outcome(Request::post(format!("{base}/403"), Vec::new())).await),
            ErrorKind::ClientError { status: 403 }
        );
        let v1 = Request { rate_limit_status: Some(403), ..Request::post(format!("{base}/403"), Vec::new()) };
        assert_eq!(kind(outcome(v1).await), ErrorKind::RateLimited { status: 403 }, "an API's own rate-limit status");

        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let refused = format!("http://{}/", closed.local_addr().expect("bound"));
        drop(closed);
        assert_eq!(kind(outcome(Request::post(refused, Vec::new())).await), ErrorKind::Connection);

        let bad_header = Request {
            headers: vec![(reqwest::header::AUTHORIZATION, "GenieKey a\nb".to_string())],
            ..Request::post(format!("{base}/200"), Vec::new())
        };
        let err = outcome(bad_header).await.expect_err("a header with a line break cannot be sent");
        assert_eq!(err.kind, ErrorKind::BadConfig);
        assert!(!err.retryable(), "retrying cannot fix a request that cannot be built");
        for (kind, retryable) in [
            (ErrorKind::Timeout, true),
            (ErrorKind::Connection, true),
            (ErrorKind::RateLimited { status: 429 }, true),
            (ErrorKind::ServerError { status: 500 }, true),
            (ErrorKind::ClientError { status: 404 }, false),
            (ErrorKind::BadConfig, false),
        ] {
            assert_eq!(kind.retryable(), retryable, "{kind}");
        }
    }
}

/// `tls_config` against a real TLS server that demands a client certificate (certificates made by the
/// `openssl` command, which Debian installs with the system).
#[cfg(test)]
mod tls_tests {
    use std::path::Path;
    use std::process::Command;
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;

    use super::*;

    fn openssl(dir: &Path, args: &[&str]) {
        let status = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
        assert!(status.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&status.stderr));
    }

    /// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files in `dir`.
    fn make_certificates(dir: &Path) {
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        openssl(
            dir,
            &[
                &["req", "-x509"],
                &ec[..],
                &["-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=test-ca"],
            ]
            .concat(),
        );
        for (name, extensions) in
            [("server", "subjectAltName=IP:127.0.0.1\n"), ("client", "extendedKeyUsage=clientAuth\n")]
        {
            std::fs::write(dir.join(format!("{name}.ext")), extensions).expect("extensions written");
            let (key, csr, pem, ext) =
                (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"), format!("{name}.ext"));
            openssl(
                dir,
                &[&["req"], &ec[..], &["-keyout", &key, "-out", &csr, "-subj", &format!("/CN={name}")]].concat(),
            );
            openssl(
                dir,
                &["x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", &pem]
                    .into_iter()
                    .chain(["-days", "1", "-extfile", &ext])
                    .collect::<Vec<_>>(),
            );
        }
    }

    /// Serves HTTPS on a loopback port, demanding a client certificate signed by the CA; answers 200 to
    /// every request.
    async fn serve(dir: &Path) -> String {
        let pem = |name: &str| std::fs::read(dir.join(name)).expect("PEM file");
        let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(&pem("server.pem"))
            .collect::<std::result::Result<_, _>>()
            .expect("server certificate");
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&pem("server.key")).expect("server key");
        let mut roots = rustls::RootCertStore::empty();
        for ca in rustls::pki_types::CertificateDer::pem_slice_iter(&pem("ca.pem")) {
            roots.add(ca.expect("CA certificate")).expect("CA added");
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots)).build().expect("verifier");
        let config = rustls::ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let address = listener.local_addr().expect("bound");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else { return };
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        format!("https://{address}/")
    }

    fn http_config(dir: &Path, with_client_cert: bool) -> HttpConfig {
        let file = |name: &str| Some(dir.join(name).display().to_string());
        let mut tls = TlsConfig { ca_file: file("ca.pem"), ..TlsConfig::default() };
        if with_client_cert {
            tls.cert_file = file("client.pem");
            tls.key_file = file("client.key");
        }
        HttpConfig { tls_config: Some(tls), ..HttpConfig::default() }
    }

    /// Whether the `openssl` command is there; see `tests/it/helpers.rs` `tool_available` for the rule.
    fn openssl_available() -> bool {
        if Command::new("openssl").arg("version").output().is_ok() {
            return true;
        }
        let required = std::env::var("HERALD_REQUIRE_TOOLS").is_ok_and(|value| value == "1");
        assert!(!required, "openssl is required (HERALD_REQUIRE_TOOLS=1) but not installed: apt-get install openssl");
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: the tls_config test needs openssl, which is not installed (apt-get install openssl)\n",
        );
        false
    }

    #[tokio::test]
    async fn a_client_certificate_from_tls_config_is_presented_and_the_ca_is_trusted() {
        if !openssl_available() {
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        make_certificates(dir.path());
        let url = serve(dir.path()).await;
        let clients = HttpClients::new().expect("clients build");

        let with_cert = clients.client_for(Some(&http_config(dir.path(), true))).expect("client builds");
        let response = with_cert.get(&url).send().await.expect("the handshake succeeds with the certificate");
        assert_eq!(response.status(), StatusCode::OK);

        let without = clients.client_for(Some(&http_config(dir.path(), false))).expect("client builds");
        assert!(without.get(&url).send().await.is_err(), "the server refuses a client without a certificate");

        let default = clients.client_for(None).expect("default client");
        assert!(default.get(&url).send().await.is_err(), "the test CA is not trusted without tls_config.ca");
    }
}
