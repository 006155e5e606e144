//! Herald started in-process (`herald::app::run`) on the test's own Tokio runtime, so that a test with paused
//! time drives every timer of it with `tokio::time::advance`: timings are exact and nothing waits in real
//! time. Restarts, crashes, signals and the external clients keep using the real process (`Herald`).

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::helpers::{client, within};

/// How long (in real time) Herald may take to start or stop.
const REAL_TIMEOUT: Duration = Duration::from_secs(20);

/// A Herald running in this test's runtime on a loopback port.
pub struct App {
    /// `127.0.0.1:PORT`.
    pub address: String,
    stop: Option<oneshot::Sender<()>>,
    served: Option<JoinHandle<anyhow::Result<()>>>,
    hold: Option<std::sync::mpsc::Sender<()>>,
    started: (chrono::DateTime<chrono::Utc>, tokio::time::Instant),
    config_path: std::path::PathBuf,
    _folder: Arc<tempfile::TempDir>,
}

impl App {
    /// Writes `config` to a temporary folder and starts Herald on it with a fresh database.
    ///
    /// While the app runs, a blocking task is kept running, which stops a paused clock from advancing by
    /// itself (Tokio would otherwise jump to the next timer whenever the runtime waits, for instance on
    /// the store's thread): time moves only when the test calls [`App::advance`].
    pub async fn start(config: &str) -> App {
        let folder = Arc::new(tempfile::tempdir().expect("temp dir"));
        let config_path = folder.path().join("config.yml");
        std::fs::write(&config_path, config).expect("config written");
        let (hold, held) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = held.recv();
        });
        let args = herald::cli::ServeArgs::parse_from([
            format!("--config.file={}", config_path.display()),
            format!("--storage.path={}", folder.path().join("data").display()),
            "--web.external-url=http://herald.test:9093".to_string(),
        ])
        .expect("valid flags");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let address = listener.local_addr().expect("bound").to_string();
        let started = (chrono::Utc::now(), tokio::time::Instant::now());
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(herald::app::run(args, listener, async move {
            let _ = stopped.await;
        }));
        let app = App {
            address,
            stop: Some(stop),
            served: Some(served),
            hold: Some(hold),
            started,
            config_path,
            _folder: folder,
        };
        let ready = within(REAL_TIMEOUT, async {
            while client().get(app.url("/-/ready")).send().await.is_err() {
                tokio::task::yield_now().await;
            }
        });
        assert!(ready.await.is_some(), "herald did not start in-process");
        app
    }

    /// Now by Herald's clock, which moves with the test's (within the milliseconds Herald took to read
    /// the system clock at start, and never ahead of it): for timestamps in posted alerts.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let (wall, instant) = self.started;
        wall + chrono::Duration::from_std(instant.elapsed()).expect("a test's elapsed time fits")
    }

    /// Replaces the config file (for a reload).
    pub fn write_config(&self, config: &str) {
        std::fs::write(&self.config_path, config).expect("config written");
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// POSTs alerts, asserts a 200, and lets Herald's tasks take them in before the test moves time.
    pub async fn post_alerts(&self, alerts: Value) {
        let response = client().post(self.url("/api/v2/alerts")).json(&alerts).send().await.expect("request sent");
        let status = response.status().as_u16();
        assert_eq!(status, StatusCode::OK.as_u16(), "{}", response.text().await.unwrap_or_default());
        settle().await;
    }

    /// POSTs a JSON body; returns the status and the body.
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, String) {
        let response = client().post(self.url(path)).json(body).send().await.expect("request sent");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body read"))
    }

    /// DELETEs; returns the status.
    pub async fn delete(&self, path: &str) -> u16 {
        client().delete(self.url(path)).send().await.expect("request sent").status().as_u16()
    }

    /// GETs a JSON document.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = client().get(self.url(path)).send().await.expect("request sent");
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.expect("JSON body")
    }

    /// Moves the paused clock forward and lets what came due run.
    pub async fn advance(&self, by: Duration) {
        tokio::time::advance(by).await;
        settle().await;
    }

    /// Moves the paused clock to `until` in steps of at most `step`, letting what came due run after each:
    /// for scenarios where the moments Herald acts at are not known in advance (each lands within a step).
    pub async fn advance_to(&self, until: tokio::time::Instant, step: Duration) {
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            tokio::time::advance(left.min(step)).await;
            settle_briefly().await;
        }
    }

    /// Stops Herald as SIGTERM would, and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            let result = within(REAL_TIMEOUT, served).await.expect("herald stops");
            result.expect("the server task ends").expect("herald ends cleanly");
        }
        self.hold.take();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Releases the blocking task that holds the paused clock.
        self.hold.take();
    }
}

/// A lighter [`settle`], for the many steps of [`App::advance_to`].
async fn settle_briefly() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let _ = tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(2))).await;
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

/// Lets every task that is ready run (this runtime has one thread), then gives work on other threads (the
/// store's) and on loopback sockets a moment of real time to come back, and lets the tasks it woke run.
pub async fn settle() {
    for _ in 0..3 {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        let _ = tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(5))).await;
    }
}
