//! Wiring of the HTTP service: load the config, serve, shut down on SIGTERM/SIGINT.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::config::{self, Config};

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    /// The checked config in force.
    pub config: Arc<Config>,
}

/// Runs `herald serve` on a new Tokio runtime; returns the exit status.
pub fn serve_blocking(args: ServeArgs) -> ExitCode {
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!(error = %err, "Cannot start the async runtime.");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Fatal start-up errors are for the person at the terminal: print them whole, not as a log field.
            eprintln!("herald: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal();
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}

/// Loads the config, binds the listener and serves until SIGTERM or SIGINT.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let loaded = config::load_file(&args.config)
        .map_err(|err| anyhow::anyhow!("{err}"))
        .with_context(|| format!("loading config from {}", args.config.display()))?;
    for warning in &loaded.warnings {
        tracing::warn!(config = %args.config.display(), "{warning}");
    }
    let state = AppState { config: Arc::new(loaded.config) };
    let listener = TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, config = %args.config.display(), "Herald is listening.");
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown_signal()).await.context("serving HTTP")?;
    tracing::info!("Herald stopped.");
    Ok(())
}

/// All HTTP routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/-/healthy", get(|| async { "OK" }).head(|| async {}))
        .route("/-/ready", get(|| async { "OK" }).head(|| async {}))
        .with_state(state)
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
