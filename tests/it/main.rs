//! Integration tests: each module drives the real `herald` binary, or Herald started in-process where a
//! paused clock makes timings exact (`in_process`, `timers`).

// A test binary has no public surface: `pub` here only shares helpers between its modules.
#![allow(unreachable_pub)]

mod amtool;
mod api_tokens;
mod api;
mod browser;
mod check_config;
mod compose;
mod config_api;
mod engine;
mod metrics;
mod escalation;
mod helpers;
mod history;
mod in_process;
mod openapi;
mod otlp;
mod opsgenie;
mod pagerduty;
mod preview;
mod receivers;
mod reliability;
mod profiling;
mod postgres;
mod prometheus;
mod replicas;
mod routing_oracle;
mod seed;
mod serve;
mod silences;
mod slack;
mod smtp_server;
mod suppression;
mod teams;
mod timelines;
mod timers;
mod ui;
mod tls_proxy;
