//! Wiring of the service: load the config and the stored state, start the store writer, the dispatcher and
//! the HTTP server, and shut them down in order on SIGTERM/SIGINT.

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::alert::IngestLimits;
use crate::alert::{AlertIndex, REPLICA_TAGS};
use crate::api::{ApiTokens, AppState, Limits, router_at, serve};
use crate::cli::ServeArgs;
use crate::clock::Clock;
use crate::cluster::{Cluster, ClusterSettings, LEASE_MARGIN, MIN_LEASE, Ownership, SHARDS};
use crate::dispatch::{Dispatcher, DispatcherSetup};
use crate::engine::{Engine, EngineParts};
use crate::inhibit::Inhibitor;
use crate::notify::HttpClients;
use crate::runtime::Runtime;
use crate::silence::Silences;
use crate::store::{Persister, PostgresStore, SqliteStore, Store, WriteBatch};
use crate::telemetry;
use crate::telemetry::metrics::METRICS;

/// Runs the service on a new Tokio runtime until SIGTERM or SIGINT; returns the exit status.
pub fn serve_blocking(args: ServeArgs) -> ExitCode {
    if let Err(err) = telemetry::init(args.log_level, args.log_format) {
        eprintln!("herald: error: {err}");
        return ExitCode::FAILURE;
    }
    if args.cluster.any_given() {
        tracing::warn!(
            "The --cluster.* flags are accepted for compatibility and ignored: Herald does not gossip. \
             Herald replicas are meant to share one database instead."
        );
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("herald: error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async {
        let listener = TcpListener::bind(&args.listen).await.with_context(|| format!("binding {}", args.listen))?;
        run(args, listener, async {
            shutdown_signal().await;
            // A second signal means: now. What is on disk is consistent; the rest is retried after a restart.
            tokio::spawn(async {
                shutdown_signal().await;
                eprintln!("herald: a second signal: exiting at once");
                std::process::exit(1);
            });
        })
        .await
    });
    drop(runtime);
    telemetry::otlp::shutdown();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Fatal start-up errors are for the person at the terminal: print them whole, not as a log field.
            eprintln!("herald: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Starts everything on `listener` and serves until `shutdown` completes, then stops in order. Runs on the
/// caller's Tokio runtime, so tests can start Herald in-process (and with paused time).
pub async fn run(
    args: ServeArgs,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let clock = Clock::start();
    let tokens = ApiTokens::load(
        args.api_token_file.as_deref(),
        args.read_token_file.as_deref(),
        args.team_tokens_file.as_deref(),
        args.api_token_for_alerts,
    )
    .map_err(|err| anyhow::anyhow!("API token: {err}"))?;
    let runtime = Runtime::load(&args.config)
        .map_err(|err| anyhow::anyhow!("{err}"))
        .with_context(|| format!("loading config from {}", args.config.display()))?;
    for warning in &runtime.warnings {
        tracing::warn!(config = %args.config.display(), "{warning}");
    }
    let runtime = Arc::new(runtime);
    METRICS.config_loaded(&runtime.hash, clock.now().timestamp_millis() as f64 / 1000.0);

    let address = listener.local_addr()?;
    let external_url = args.external_url.clone().unwrap_or_else(|| default_external_url(address.port()));
    let backend = Backend::open(&args, address.port()).await?;
    let store = backend.store();
    let snapshot = store.load().await.context("reading the stored state")?;
    tracing::info!(
        alerts = snapshot.alerts.len(),
        groups = snapshot.groups.len(),
        notifications = snapshot.nflog.len(),
        silences = snapshot.silences.len(),
        quarantined = snapshot.quarantined,
        "Stored state loaded."
    );
    METRICS.quarantined_rows.set(i64::try_from(snapshot.quarantined).unwrap_or(i64::MAX));
    let feed_position = snapshot.feed_position;
    let (alerts, stale) = AlertIndex::with_alerts(snapshot.alerts, snapshot.last_alert_version);
    let cluster = match &backend {
        Backend::Sqlite(_) => None,
        Backend::Postgres(postgres) => {
            alerts.set_replica(postgres.start());
            let settings = ClusterSettings {
                name: postgres.identity().to_string(),
                address: external_url.clone(),
                lease_duration: args.lease_duration,
                heartbeat_interval: args.heartbeat_interval,
            };
            Some(Arc::new(Cluster::new(settings, postgres.clone(), clock.now())))
        }
    };
    let ownership = cluster.as_ref().map_or_else(|| Arc::new(Ownership::everything()), |c| Arc::clone(c.ownership()));
    METRICS.cluster_enabled.set(i64::from(cluster.is_some()));
    if cluster.is_none() {
        METRICS.leases_held.set(SHARDS as i64);
        METRICS.replica_peers.set(1);
    }
    let alerts = Arc::new(alerts);
    let (committed_tx, committed_rx) = mpsc::unbounded_channel();
    let (persister, persister_task) = Persister::spawn(store, committed_tx.clone());
    // The dispatcher would have deleted these rows had it seen the newer versions first.
    persister.submit(WriteBatch { deleted_alerts: stale, ..WriteBatch::default() });

    let silences = Arc::new(Silences::with(snapshot.silences));
    let inhibitor = Arc::new(Inhibitor::default());
    inhibitor.reset(&runtime.config.inhibit_rules, &alerts.all());

    let requested = shutdown;
    let shutdown = CancellationToken::new();
    let setup = DispatcherSetup {
        inhibitor: Arc::clone(&inhibitor),
        silences: Arc::clone(&silences),
        runtime: Arc::clone(&runtime),
        alerts: alerts.all(),
        groups: snapshot.groups.into_iter().map(|g| (g.id, g.timer)).collect(),
        nflog: snapshot.nflog,
        persister: persister.clone(),
        clients: Arc::new(HttpClients::new().context("building the HTTP client")?),
        external_url: external_url.clone(),
        clock: clock.clone(),
        retention: args.data_retention,
        ownership,
        record_history: !args.history_retention.is_zero(),
    };
    let (dispatcher, dispatcher_task) = Dispatcher::spawn(setup, committed_rx, shutdown.child_token());
    let engine = Arc::new(Engine::new(EngineParts {
        alerts,
        persister,
        dispatcher,
        runtime,
        config_path: args.config.clone(),
        external_url,
        inhibitor,
        silences,
        clock,
        config_versions: snapshot.config_versions,
        committed: committed_tx,
        cluster: cluster.clone(),
    }));
    if let Err(err) = engine.record_loaded_config().await {
        tracing::warn!(error = %err, "The config loaded at start-up could not be recorded as a version.");
    }

    let mut background = vec![
        tokio::spawn(reload_on_sighup(Arc::clone(&engine))),
        tokio::spawn(collect_garbage(
            Arc::clone(&engine),
            args.alerts_gc_interval,
            args.data_retention,
            args.history_retention,
        )),
    ];
    if let Some(cluster) = &cluster {
        background.extend(cluster.start(Arc::clone(&engine), feed_position));
        tracing::info!(replica = %cluster.name(), "Sharing state with the other replicas on Postgres.");
    }
    let prefix = args.route_prefix();
    tracing::info!(%address, route_prefix = %prefix, config = %args.config.display(), storage = %backend.describe(&args), "Herald is listening.");
    if telemetry::otlp::enabled() {
        tracing::info!("Traces are exported over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT is set).");
    }
    let limits = Limits {
        body_bytes: args.max_request_bytes,
        ingest: IngestLimits {
            max_alerts: args.max_alerts_per_request,
            max_labels: args.max_labels,
            max_name_bytes: args.max_name_bytes,
            max_value_bytes: args.max_value_bytes,
        },
    };
    let app = router_at(
        &prefix,
        AppState {
            engine: Arc::clone(&engine),
            limits,
            tokens,
            data_dir: args.data_dir.clone(),
            profiling: args.enable_pprof,
        },
    );
    let stop = shutdown.clone();
    tokio::spawn(async move {
        requested.await;
        stop.cancel();
    });
    serve(listener, app, shutdown.clone()).await;

    // In order: no more requests (done), the dispatcher finishes in-flight deliveries and writes its state,
    // then the writer drains its queue and the database is closed.
    shutdown.cancel();
    for task in background {
        task.abort();
    }
    if let Err(err) = dispatcher_task.await {
        tracing::error!(error = %err, "The dispatcher ended abnormally.");
    }
    drop(engine);
    if let Err(err) = persister_task.await {
        tracing::error!(error = %err, "The store writer ended abnormally.");
    }
    if let Some(cluster) = cluster {
        cluster.leave().await;
    }
    backend.close().await;
    tracing::info!("Herald stopped.");
    Ok(())
}

/// Where the state is kept.
enum Backend {
    /// The embedded default.
    Sqlite(SqliteStore),
    /// Shared by several replicas.
    Postgres(PostgresStore),
}

impl Backend {
    async fn open(args: &ServeArgs, port: u16) -> anyhow::Result<Backend> {
        let Some(url) = &args.storage_url else {
            let store = SqliteStore::open(&args.data_dir)
                .await
                .with_context(|| format!("opening the database in {}", args.data_dir.display()))?;
            return Ok(Backend::Sqlite(store));
        };
        if args.lease_duration < MIN_LEASE {
            anyhow::bail!(
                "--replica.lease-duration must be at least {} s: a replica stops counting on its lease {} s before it \
                 runs out",
                MIN_LEASE.as_secs(),
                LEASE_MARGIN.as_secs()
            );
        }
        if args.heartbeat_interval.is_zero() || args.heartbeat_interval * 3 > args.lease_duration {
            anyhow::bail!(
                "--replica.heartbeat-interval must be above zero and at most a third of --replica.lease-duration, \
                 so that a lease is renewed twice before it runs out"
            );
        }
        let name = args.replica_name.clone().unwrap_or_else(|| format!("{}:{port}", hostname()));
        if name.is_empty() || name.contains('#') {
            anyhow::bail!("--replica.name must not be empty nor contain '#' (got {name:?})");
        }
        // The URL is not in the message: it may hold a password.
        let store = PostgresStore::open(url, &name, REPLICA_TAGS)
            .await
            .context("connecting to the Postgres database of --storage.url")?;
        Ok(Backend::Postgres(store))
    }

    fn store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(store) => Arc::new(store.clone()),
            Backend::Postgres(store) => Arc::new(store.clone()),
        }
    }

    fn describe(&self, args: &ServeArgs) -> String {
        match self {
            Backend::Sqlite(_) => format!("sqlite:{}", args.data_dir.display()),
            Backend::Postgres(store) => format!("postgres (replica {})", store.identity()),
        }
    }

    async fn close(&self) {
        match self {
            Backend::Sqlite(store) => store.close().await,
            Backend::Postgres(store) => store.close().await,
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn default_external_url(port: u16) -> String {
    format!("http://{}:{port}", hostname())
}

async fn reload_on_sighup(engine: Arc<Engine>) {
    #[cfg(unix)]
    {
        let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            tracing::warn!("Cannot listen for SIGHUP; use POST /-/reload.");
            return;
        };
        while hangup.recv().await.is_some() {
            if let Err(err) = engine.reload().await {
                tracing::error!(error = %err, "Reload failed; the running configuration stays in force.");
            }
        }
    }
    #[cfg(not(unix))]
    drop(engine);
}

async fn collect_garbage(
    engine: Arc<Engine>,
    every: std::time::Duration,
    retention: std::time::Duration,
    history_retention: std::time::Duration,
) {
    let mut ticks = tokio::time::interval(every.max(std::time::Duration::from_secs(1)));
    ticks.reset();
    loop {
        ticks.tick().await;
        // Only the in-memory index: the stored rows are deleted by the dispatcher once a resolved alert has
        // been notified and has left its last group, so that a restart neither loses nor repeats a resolve.
        engine.collect_garbage(engine.now(), retention, history_retention);
        let interned = crate::labels::prune_interned();
        tracing::debug!(strings = interned, "Pruned label strings no alert uses any more.");
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "Cannot listen for SIGTERM.");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("Shutting down.");
}
