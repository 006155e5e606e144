//! Herald: an alert routing engine that speaks Alertmanager's config format, command line and API.
//!
//! The modules, in the order a reader follows an alert:
//! - [`cli`]: the command line: serving with Alertmanager's flags, `check-config`, `routes show|test`;
//! - [`app`]: wiring: load the config and the stored state, start the tasks and the HTTP server, stop in order;
//! - `config`: the Alertmanager-format YAML file, parsed and checked (every problem with its path and line);
//! - `runtime`: what one loaded config yields: route tree, integrations, compiled templates, time intervals;
//! - `api`: HTTP: Alertmanager's `/api/v2` endpoints, the `/-/` endpoints and Herald's own;
//! - `alert`: the alert model, parsing and checking posted alerts, the in-memory index;
//! - `engine`: ingest, silence changes and reloads, each committed before it is published;
//! - `store`: durable state: the `Store` trait, SQLite on its writer thread, Postgres on sqlx, group commit;
//! - `cluster`: several replicas on one Postgres database: the change feed they follow, group leases;
//! - `routing`: the route tree that decides which routes (and receivers) an alert goes to;
//! - `dispatch`: aggregation groups and their timers (group_wait, group_interval, repeat_interval);
//! - `inhibit`: inhibition rules and the alerts that inhibit;
//! - `silence`: silences, Alertmanager's rules for changing them;
//! - `timeinterval`: time intervals that mute routes;
//! - `nflog`: the notification log, which decides whether a flush notifies;
//! - `notify`: one module per integration, the HTTP they share, retries, delivery and previews;
//! - `template`: Go templates translated to Handlebars, their functions and data;
//! - `labels`: label sets, matchers and fingerprints, used by everything above;
//! - `clock`: Herald's time, on Tokio's clock so that tests can pause it;
//! - [`telemetry`]: log output;
//! - `fuzz`: entry points for the fuzz targets (the `fuzzing` feature only).

// In the order of the map above (rustfmt.toml keeps it: reorder_modules = false).
pub mod cli;
pub mod app;
mod config;
mod runtime;
mod api;
mod alert;
mod engine;
mod store;
mod cluster;
mod routing;
mod dispatch;
mod inhibit;
mod silence;
mod timeinterval;
mod nflog;
mod notify;
mod template;
mod labels;
mod clock;
pub mod telemetry;
#[cfg(feature = "fuzzing")]
pub mod fuzz;

pub use api::{MAX_BODY_BYTES, ROUTES};
pub use dispatch::GroupId;
pub use labels::{LabelSet, fingerprint};
