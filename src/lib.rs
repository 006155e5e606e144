//! Herald: an alert routing engine that speaks Alertmanager's config format and API.
//!
//! The modules follow the path of an alert:
//! - [`config`]: the Alertmanager-format YAML file, parsed and checked into a [`config::Config`];
//! - [`labels`]: label sets, matchers and fingerprints, shared by everything below;
//! - [`routing`]: the route tree, which decides the routes (and receivers) of each alert;
//! - [`timeinterval`]: time intervals used to mute routes;
//! - [`cli`]: the `herald` command line (check-config, routes, serve);
//! - [`app`]: wiring of the HTTP service.

pub mod alert;
pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dispatch;
pub mod engine;
pub mod inhibit;
pub mod labels;
pub mod nflog;
pub mod notify;
pub mod routing;
pub mod runtime;
pub mod silence;
pub mod store;
pub mod telemetry;
pub mod template;
pub mod timeinterval;
