//! Herald's metrics, served at `/metrics` in the Prometheus text format: Alertmanager's names and labels (so
//! its mixin's alerts and dashboards work) and Herald's own (`herald_*`). Events are counted in one
//! process-wide registry (per batch on the ingest path); state (alerts, silences, groups, the store) is
//! measured when scraped.

use std::sync::LazyLock;

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// Alertmanager's notification latency buckets, in seconds.
const NOTIFICATION_BUCKETS: [f64; 5] = [1.0, 5.0, 10.0, 15.0, 20.0];
/// Alertmanager's HTTP request duration buckets, in seconds.
const HTTP_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 20.0, 60.0];
/// Store commit buckets, in seconds (a commit is usually a few milliseconds).
const COMMIT_BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// Every metric Herald counts as things happen.
pub(crate) struct Metrics {
    registry: Registry,
    /// `alertmanager_alerts_received_total{status, version}`.
    pub alerts_received: IntCounterVec,
    /// `alertmanager_alerts_invalid_total{version}`.
    pub alerts_invalid: IntCounterVec,
    /// `alertmanager_notifications_total{integration}`: notifications attempted (each with its retries).
    pub notifications: IntCounterVec,
    /// `alertmanager_notifications_failed_total{integration, reason}`: notifications that finally failed.
    pub notifications_failed: IntCounterVec,
    /// `herald_notifications_delivered_total{integration}`: notifications that finally succeeded.
    pub notifications_delivered: IntCounterVec,
    /// `alertmanager_notification_requests_total{integration}`: every attempt.
    pub notification_requests: IntCounterVec,
    /// `alertmanager_notification_requests_failed_total{integration}`: every failed attempt.
    pub notification_requests_failed: IntCounterVec,
    /// `alertmanager_notification_latency_seconds{integration}`: each attempt's duration.
    pub notification_latency: HistogramVec,
    /// `alertmanager_http_request_duration_seconds{handler, method}`.
    pub http_duration: HistogramVec,
    /// `alertmanager_config_hash`.
    pub config_hash: Gauge,
    /// `alertmanager_config_last_reload_successful`.
    pub config_reload_successful: IntGauge,
    /// `alertmanager_config_last_reload_success_timestamp_seconds`.
    pub config_reload_timestamp: Gauge,
    /// `herald_store_commit_duration_seconds`.
    pub store_commit: Histogram,
    /// `herald_escalation_levels_total{receiver}`.
    pub escalation_levels: IntCounterVec,
    /// `herald_acknowledgements_total{action}` (`ack`, `unack`).
    pub acknowledgements: IntCounterVec,
    /// `herald_store_quarantined_rows`: rows set aside at start-up because they could not be read.
    pub quarantined_rows: IntGauge,
    /// `alertmanager_cluster_enabled`: 1 with replicas on Postgres, 0 for a single Herald.
    pub cluster_enabled: IntGauge,
    /// `herald_replica_leases_held`: shards of the groups this replica notifies (64 for a single Herald).
    pub leases_held: IntGauge,
    /// `herald_replica_peers`: replicas alive, this one included.
    pub replica_peers: IntGauge,
    /// `herald_replica_changes_applied_total`: changes of other replicas applied here.
    pub changes_applied: IntCounterVec,
    alerts: IntGaugeVec,
    silences: IntGaugeVec,
    groups: IntGauge,
    store_queue: IntGauge,
    store_size: IntGauge,
}

/// The process-wide metrics.
pub(crate) static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// What is measured when `/metrics` is scraped.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scraped {
    /// Alerts by state: `active`, `suppressed`, `unprocessed`.
    pub alerts: [(&'static str, i64); 3],
    /// Silences by state: `active`, `pending`, `expired`.
    pub silences: [(&'static str, i64); 3],
    /// Aggregation groups.
    pub groups: i64,
    /// Writes waiting for the store.
    pub store_queue: i64,
    /// Bytes of the database and its WAL.
    pub store_size: i64,
}

impl Metrics {
    fn new() -> Metrics {
        // The definitions below are fixed and valid: registering them cannot fail.
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter definition");
            registry.register(Box::new(metric.clone())).expect("each metric registered once");
            metric
        };
        let histogram = |name: &str, help: &str, labels: &[&str], buckets: &[f64]| {
            let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
            let metric = HistogramVec::new(opts, labels).expect("a valid histogram definition");
            registry.register(Box::new(metric.clone())).expect("each metric registered once");
            metric
        };
        let gauge_vec = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid gauge definition");
            registry.register(Box::new(metric.clone())).expect("each metric registered once");
            metric
        };
        let int_gauge = |name: &str, help: &str| {
            let metric = IntGauge::new(name, help).expect("a valid gauge definition");
            registry.register(Box::new(metric.clone())).expect("each metric registered once");
            metric
        };
        let float_gauge = |name: &str, help: &str| {
            let metric = Gauge::new(name, help).expect("a valid gauge definition");
            registry.register(Box::new(metric.clone())).expect("each metric registered once");
            metric
        };
        let build = gauge_vec(
            "alertmanager_build_info",
            "A metric with a constant '1' value labeled by version, revision, branch, and goversion from which alertmanager was built.",
            &["version", "revision", "branch", "goversion"],
        );
        build.with_label_values(&[env!("CARGO_PKG_VERSION"), "", "", "herald"]).set(1);
        let cluster_enabled =
            int_gauge("alertmanager_cluster_enabled", "Indicates whether the clustering is enabled or not.");
        Metrics {
            cluster_enabled,
            alerts_received: counter(
                "alertmanager_alerts_received_total",
                "The total number of received alerts.",
                &["version", "status"],
            ),
            alerts_invalid: counter(
                "alertmanager_alerts_invalid_total",
                "The total number of received alerts that were invalid.",
                &["version"],
            ),
            notifications: counter(
                "alertmanager_notifications_total",
                "The total number of attempted notifications.",
                &["integration"],
            ),
            notifications_failed: counter(
                "alertmanager_notifications_failed_total",
                "The total number of failed notifications.",
                &["integration", "reason"],
            ),
            notifications_delivered: counter(
                "herald_notifications_delivered_total",
                "The total number of notifications delivered (after their retries).",
                &["integration"],
            ),
            notification_requests: counter(
                "alertmanager_notification_requests_total",
                "The total number of attempted notification requests.",
                &["integration"],
            ),
            notification_requests_failed: counter(
                "alertmanager_notification_requests_failed_total",
                "The total number of failed notification requests.",
                &["integration"],
            ),
            notification_latency: histogram(
                "alertmanager_notification_latency_seconds",
                "The latency of notifications in seconds.",
                &["integration"],
                &NOTIFICATION_BUCKETS,
            ),
            http_duration: histogram(
                "alertmanager_http_request_duration_seconds",
                "Histogram of latencies for HTTP requests.",
                &["handler", "method"],
                &HTTP_BUCKETS,
            ),
            config_hash: float_gauge(
                "alertmanager_config_hash",
                "Hash of the currently loaded alertmanager configuration.",
            ),
            config_reload_successful: int_gauge(
                "alertmanager_config_last_reload_successful",
                "Whether the last configuration reload attempt was successful.",
            ),
            config_reload_timestamp: float_gauge(
                "alertmanager_config_last_reload_success_timestamp_seconds",
                "Timestamp of the last successful configuration reload.",
            ),
            store_commit: histogram(
                "herald_store_commit_duration_seconds",
                "How long each store transaction took to commit.",
                &[],
                &COMMIT_BUCKETS,
            )
            .with_label_values(&[] as &[&str]),
            escalation_levels: counter(
                "herald_escalation_levels_total",
                "Escalation levels fired, by the level's receiver.",
                &["receiver"],
            ),
            acknowledgements: counter(
                "herald_acknowledgements_total",
                "Group acknowledgements given (ack) and withdrawn (unack).",
                &["action"],
            ),
            quarantined_rows: int_gauge(
                "herald_store_quarantined_rows",
                "Stored rows set aside at start-up because they could not be read.",
            ),
            leases_held: int_gauge(
                "herald_replica_leases_held",
                "Shards of the aggregation groups whose lease this replica holds (it notifies their groups).",
            ),
            replica_peers: int_gauge(
                "herald_replica_peers",
                "Replicas alive on the shared database, this one included.",
            ),
            changes_applied: counter(
                "herald_replica_changes_applied_total",
                "Batches committed by other replicas and applied to this one's state.",
                &[],
            ),
            alerts: gauge_vec("alertmanager_alerts", "How many alerts by state.", &["state"]),
            silences: gauge_vec("alertmanager_silences", "How many silences by state.", &["state"]),
            groups: int_gauge("alertmanager_dispatcher_aggregation_groups", "Number of active aggregation groups"),
            store_queue: int_gauge("herald_store_queue_depth", "Writes waiting for the store."),
            store_size: int_gauge("herald_store_size_bytes", "Size of the database and its write-ahead log."),
            registry,
        }
    }

    /// The text exposition, with `scraped` as the state gauges.
    pub(crate) fn render(&self, scraped: &Scraped) -> String {
        for (state, count) in scraped.alerts {
            self.alerts.with_label_values(&[state]).set(count);
        }
        for (state, count) in scraped.silences {
            self.silences.with_label_values(&[state]).set(count);
        }
        self.groups.set(scraped.groups);
        self.store_queue.set(scraped.store_queue);
        self.store_size.set(scraped.store_size);
        let mut out = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %err, "Encoding the metrics failed.");
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Records a config put in force (`hash` is its SHA-256, hex) at `at` (seconds since the epoch).
    pub(crate) fn config_loaded(&self, hash: &str, at: f64) {
        // As Alertmanager: the first six bytes of the hash, as a number.
        let value = u64::from_str_radix(hash.get(..12).unwrap_or("0"), 16).unwrap_or(0);
        self.config_hash.set(value as f64);
        self.config_reload_successful.set(1);
        self.config_reload_timestamp.set(at);
    }
}

/// The content type of the text exposition.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
