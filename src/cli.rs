//! The `herald` command line: serving with Alertmanager's flags (with or without `serve`), and `check-config`
//! and `routes show|test`, shaped after amtool, and `groups list|ack|unack` against a running Herald.

mod config_cmd;
mod groups;
mod notifications;
mod remote;

use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, Loaded};
use crate::labels::{LabelSet, MatchType, parse_matcher};
use crate::routing::{RouteTree, render_matching_tree, render_tree};
use crate::telemetry::{LogFormat, LogLevel};

/// The config file shipped with Herald, used when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/alertmanager.yml";

#[derive(Parser, Debug)]
#[command(
    name = "herald",
    version,
    about = "Alert routing engine, compatible with Prometheus Alertmanager",
    long_about = "Alert routing engine, compatible with Prometheus Alertmanager.\n\nWithout a command, `herald` serves, \
                  taking Alertmanager's flags (`--config.file`, `--storage.path`, `--web.listen-address`, ...).",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate config files, like `amtool check-config`: a summary of each, its warnings, and a non-zero
    /// exit status if any file has an error.
    CheckConfig {
        /// Treat warnings (e.g. a Slack receiver with no URL) as errors.
        #[arg(long)]
        strict: bool,
        /// Files to validate.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show the route tree or test which receivers a label set goes to.
    Routes {
        #[command(subcommand)]
        command: RoutesCommand,
    },
    /// List, acknowledge and unacknowledge the groups of a running Herald.
    Groups {
        #[command(flatten)]
        remote: remote::RemoteArgs,
        #[command(subcommand)]
        command: groups::GroupsCommand,
    },
    /// Read, change, compare and roll back the config of a running Herald.
    Config {
        #[command(flatten)]
        remote: remote::RemoteArgs,
        #[command(subcommand)]
        command: config_cmd::ConfigCommand,
    },
    /// Show the notification history of a running Herald: every attempt, its outcome and why.
    Notifications {
        #[command(flatten)]
        remote: remote::RemoteArgs,
        #[command(flatten)]
        filters: notifications::NotificationsArgs,
    },
    /// Run the HTTP service (the same as `herald` without a command).
    Serve(Box<ServeArgs>),
}

#[derive(Subcommand, Debug)]
enum RoutesCommand {
    /// Print the route tree, one route a line, with matchers and receiver.
    Show {
        /// Config file to read.
        #[arg(long = "config.file", visible_alias = "config", default_value = DEFAULT_CONFIG_PATH)]
        config: PathBuf,
    },
    /// Print the receivers a label set is routed to, comma-separated, as `amtool config routes test` does.
    Test {
        /// Config file to read.
        #[arg(long = "config.file", visible_alias = "config", default_value = DEFAULT_CONFIG_PATH)]
        config: PathBuf,
        /// Also print the routes walked to reach the matches.
        #[arg(long)]
        tree: bool,
        /// Expected receivers (`a,b`); exit with status 1 when the result differs.
        #[arg(long = "verify.receivers", value_name = "RECEIVERS")]
        verify_receivers: Option<String>,
        /// `simple` (the receivers, as amtool prints them) or `json` (every matching route with its path,
        /// group key, timers, escalation and time intervals: the answer of `POST /api/herald/routes/test`).
        #[arg(short = 'o', long, default_value = "simple", value_parser = ["simple", "json"])]
        output: String,
        /// Labels as `name=value` (quotes and escapes as in matchers).
        labels: Vec<String>,
    },
}

/// Options of the service: Alertmanager's flags under their own names (Herald's earlier names are aliases),
/// each also read from a `HERALD_*` environment variable.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Config file to read (reloaded on SIGHUP and `POST /-/reload`).
    #[arg(value_name = "FILE", long = "config.file", visible_alias = "config", env = "HERALD_CONFIG_FILE", default_value = DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
    /// Folder for Herald's state (the SQLite database `herald.db`).
    #[arg(
        value_name = "DIR",
        long = "storage.path",
        visible_alias = "data-dir",
        env = "HERALD_STORAGE_PATH",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// Postgres database shared by several replicas (`postgres://user:password@host:5432/herald`); without
    /// it, the state is in SQLite under --storage.path. Never logged (it may hold a password).
    #[arg(value_name = "URL", long = "storage.url", env = "HERALD_STORAGE_URL", value_parser = parse_storage_url, hide_env_values = true)]
    pub storage_url: Option<String>,
    /// This replica's name among the others on the same database (default: <hostname>:<port>); each
    /// replica needs its own.
    #[arg(value_name = "NAME", long = "replica.name", env = "HERALD_REPLICA_NAME")]
    pub replica_name: Option<String>,
    /// How long a replica's lease on its groups lasts without renewal: the groups of a replica that stops
    /// are notified by another within about this plus one heartbeat.
    #[arg(value_name = "DURATION", long = "replica.lease-duration", env = "HERALD_REPLICA_LEASE_DURATION", default_value = "10s", value_parser = parse_duration)]
    pub lease_duration: Duration,
    /// How often each replica renews its leases and counts the live replicas (at most a third of the lease
    /// duration).
    #[arg(value_name = "DURATION", long = "replica.heartbeat-interval", env = "HERALD_REPLICA_HEARTBEAT_INTERVAL", default_value = "2s", value_parser = parse_duration)]
    pub heartbeat_interval: Duration,
    /// Address to listen on: `host:port`, or `:port` for every interface (as in Alertmanager).
    #[arg(
        value_name = "ADDRESS", long = "web.listen-address",
        visible_alias = "listen",
        env = "HERALD_WEB_LISTEN_ADDRESS",
        default_value = "127.0.0.1:9093",
        value_parser = parse_listen_address
    )]
    pub listen: String,
    /// URL under which Herald is reached, used in notifications (default: http://<hostname>:<port>). Its
    /// path is the default route prefix.
    #[arg(value_name = "URL", long = "web.external-url", visible_alias = "external-url", env = "HERALD_WEB_EXTERNAL_URL", value_parser = parse_external_url)]
    pub external_url: Option<String>,
    /// Prefix of every HTTP path (default: the path of --web.external-url, else `/`).
    #[arg(value_name = "PREFIX", long = "web.route-prefix", env = "HERALD_WEB_ROUTE_PREFIX")]
    pub route_prefix: Option<String>,
    /// How often resolved alerts are removed from memory.
    #[arg(
        value_name = "DURATION", long = "alerts.gc-interval",
        visible_alias = "alerts-gc-interval",
        env = "HERALD_ALERTS_GC_INTERVAL",
        default_value = "30m",
        value_parser = parse_duration
    )]
    pub alerts_gc_interval: Duration,
    /// Largest request body accepted, in bytes (413 beyond).
    #[arg(long = "web.max-request-bytes", value_name = "BYTES", env = "HERALD_WEB_MAX_REQUEST_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_request_bytes: usize,
    /// Most alerts in one POST (400 beyond; Prometheus sends at most 64).
    #[arg(
        long = "alerts.max-per-request",
        value_name = "N",
        env = "HERALD_ALERTS_MAX_PER_REQUEST",
        default_value_t = 10_000
    )]
    pub max_alerts_per_request: usize,
    /// Most labels, and most annotations, on one alert (beyond, the alert is refused with a reason).
    #[arg(long = "alerts.max-labels", value_name = "N", env = "HERALD_ALERTS_MAX_LABELS", default_value_t = 256)]
    pub max_labels: usize,
    /// Longest label or annotation name, in bytes.
    #[arg(
        long = "alerts.max-name-bytes",
        value_name = "BYTES",
        env = "HERALD_ALERTS_MAX_NAME_BYTES",
        default_value_t = 1024
    )]
    pub max_name_bytes: usize,
    /// Longest label or annotation value, in bytes.
    #[arg(long = "alerts.max-value-bytes", value_name = "BYTES", env = "HERALD_ALERTS_MAX_VALUE_BYTES", default_value_t = 64 * 1024)]
    pub max_value_bytes: usize,
    /// How long expired silences are kept, and how long a resolved alert that cannot be notified (its
    /// receiver keeps failing) stays in its group.
    #[arg(value_name = "DURATION", long = "data.retention", env = "HERALD_DATA_RETENTION", default_value = "120h", value_parser = parse_duration)]
    pub data_retention: Duration,
    /// How long the notification history keeps each attempt (removed at each `--alerts.gc-interval`); `0s`
    /// records no history at all.
    #[arg(value_name = "DURATION", long = "history.retention", env = "HERALD_HISTORY_RETENTION", default_value = "7d", value_parser = parse_duration)]
    pub history_retention: Duration,
    /// File holding the API token every write needs (`Authorization: Bearer <token>`): silences,
    /// acknowledgements, config changes, reloads (the token itself may be given in `HERALD_API_TOKEN`).
    #[arg(long = "web.api-token-file", value_name = "FILE", env = "HERALD_API_TOKEN_FILE")]
    pub api_token_file: Option<PathBuf>,
    /// File holding a read-only token: with it, every read needs this token or the API token (the token
    /// itself may be given in `HERALD_READ_TOKEN`).
    #[arg(long = "web.read-token-file", value_name = "FILE", env = "HERALD_READ_TOKEN_FILE")]
    pub read_token_file: Option<PathBuf>,
    /// File mapping team names to tokens (YAML, `payments: <token>`): a team's token reads and replaces the
    /// sub-tree it owns (`/api/herald/config/teams/{team}`) and nothing else.
    #[arg(long = "web.team-tokens-file", value_name = "FILE", env = "HERALD_TEAM_TOKENS_FILE")]
    pub team_tokens_file: Option<PathBuf>,
    /// Also require the API token on `POST /api/v2/alerts` (Prometheus then needs `authorization` in its
    /// alertmanager config).
    #[arg(long = "web.api-token-for-alerts", env = "HERALD_API_TOKEN_FOR_ALERTS")]
    pub api_token_for_alerts: bool,
    /// Serve CPU profiles at `/debug/pprof/profile?seconds=N` (Go's pprof format, as Alertmanager serves
    /// them; needs the API token when tokens are configured).
    #[arg(long = "web.enable-pprof", env = "HERALD_WEB_ENABLE_PPROF")]
    pub enable_pprof: bool,
    /// Lowest level logged (`HERALD_LOG`, a full tracing filter, overrides it).
    #[arg(long = "log.level", env = "HERALD_LOG_LEVEL", value_enum, default_value = "info")]
    pub log_level: LogLevel,
    /// How log lines are written.
    #[arg(long = "log.format", env = "HERALD_LOG_FORMAT", value_enum, default_value = "logfmt")]
    pub log_format: LogFormat,
    /// Alertmanager's gossip flags, accepted and ignored.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Alertmanager's gossip flags, accepted so that an existing command line starts Herald unchanged; Herald's
/// replicas share a database instead, so they are ignored with a warning.
#[derive(Args, Debug, Clone, Default)]
pub struct ClusterArgs {
    #[arg(long = "cluster.listen-address", hide = true)]
    listen_address: Option<String>,
    #[arg(long = "cluster.advertise-address", hide = true)]
    advertise_address: Option<String>,
    #[arg(long = "cluster.peer", hide = true)]
    peer: Vec<String>,
    #[arg(long = "cluster.peer-timeout", hide = true)]
    peer_timeout: Option<String>,
    #[arg(long = "cluster.gossip-interval", hide = true)]
    gossip_interval: Option<String>,
    #[arg(long = "cluster.pushpull-interval", hide = true)]
    pushpull_interval: Option<String>,
    #[arg(long = "cluster.tcp-timeout", hide = true)]
    tcp_timeout: Option<String>,
    #[arg(long = "cluster.probe-timeout", hide = true)]
    probe_timeout: Option<String>,
    #[arg(long = "cluster.probe-interval", hide = true)]
    probe_interval: Option<String>,
    #[arg(long = "cluster.settle-timeout", hide = true)]
    settle_timeout: Option<String>,
    #[arg(long = "cluster.reconnect-interval", hide = true)]
    reconnect_interval: Option<String>,
    #[arg(long = "cluster.reconnect-timeout", hide = true)]
    reconnect_timeout: Option<String>,
    #[arg(long = "cluster.label", hide = true)]
    label: Option<String>,
    #[arg(long = "cluster.tls-config", hide = true)]
    tls_config: Option<String>,
    #[arg(long = "cluster.allow-insecure-public-advertise-address-discovery", hide = true)]
    allow_insecure_public_advertise_address_discovery: bool,
}

impl ClusterArgs {
    /// Whether any gossip setting was given (an empty `--cluster.listen-address`, Alertmanager's way to turn
    /// gossip off, does not count).
    pub fn any_given(&self) -> bool {
        let given = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.is_empty());
        given(&self.listen_address)
            || given(&self.advertise_address)
            || !self.peer.is_empty()
            || [
                &self.peer_timeout,
                &self.gossip_interval,
                &self.pushpull_interval,
                &self.tcp_timeout,
                &self.probe_timeout,
                &self.probe_interval,
                &self.settle_timeout,
                &self.reconnect_interval,
                &self.reconnect_timeout,
                &self.label,
                &self.tls_config,
            ]
            .into_iter()
            .any(given)
            || self.allow_insecure_public_advertise_address_discovery
    }
}

impl ServeArgs {
    /// Parses the service's flags from `args` (without the program name) as the command line does, for
    /// starting Herald in-process with [`crate::app::run`].
    pub fn parse_from<I, T>(args: I) -> Result<ServeArgs, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let args = std::iter::once(std::ffi::OsString::from("herald")).chain(args.into_iter().map(Into::into));
        Only::try_parse_from(args).map(|only| only.serve)
    }

    /// The route prefix in force: `--web.route-prefix`, else the external URL's path, as `/a/b` (or `/`).
    pub fn route_prefix(&self) -> String {
        let prefix = match (&self.route_prefix, &self.external_url) {
            (Some(prefix), _) => prefix.clone(),
            (None, Some(url)) => url::Url::parse(url).map(|u| u.path().to_string()).unwrap_or_default(),
            (None, None) => String::new(),
        };
        format!("/{}", prefix.trim_matches('/'))
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    config::PromDuration::parse(text).map(|d| d.0).map_err(|err| err.to_string())
}

/// `:9093` (Go's every-interface form) becomes `0.0.0.0:9093`; anything else must be `host:port`.
fn parse_listen_address(text: &str) -> Result<String, String> {
    let address = if text.starts_with(':') { format!("0.0.0.0{text}") } else { text.to_string() };
    match address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(address),
        _ => Err(format!("{text:?} is not host:port or :port")),
    }
}

/// An absolute http(s) URL, without a trailing slash on its path (as Alertmanager normalises it).
fn parse_storage_url(text: &str) -> Result<String, String> {
    // The URL may hold a password: errors name the scheme, never the text.
    let url = url::Url::parse(text).map_err(|err| format!("the storage URL is not a URL: {err}"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!(
            "the storage URL must be postgres:// or postgresql://, not {}:// (SQLite is the default: use --storage.path)",
            url.scheme()
        ));
    }
    Ok(text.to_string())
}

fn parse_external_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|err| format!("{text:?}: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{text:?}: the external URL must be http:// or https:// with a host"));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// Runs the command line and returns the process exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => crate::app::serve_blocking(cli.serve),
        Some(Command::CheckConfig { strict, files }) => check_config(&files, strict),
        Some(Command::Routes { command: RoutesCommand::Show { config } }) => routes_show(&config),
        Some(Command::Routes { command: RoutesCommand::Test { config, tree, verify_receivers, labels, output } }) => {
            if output == "json" {
                return routes_test_json(&config, &labels);
            }
            routes_test(&config, tree, verify_receivers.as_deref(), &labels)
        }
        Some(Command::Groups { remote, command }) => groups::run(&remote, command),
        Some(Command::Config { remote, command }) => config_cmd::run(&remote, command),
        Some(Command::Notifications { remote, filters }) => notifications::run(&remote, filters),
        Some(Command::Serve(args)) => crate::app::serve_blocking(*args),
    }
}

pub(crate) fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("herald: error: {message}");
    ExitCode::FAILURE
}

fn check_config(files: &[PathBuf], strict: bool) -> ExitCode {
    let mut failed = 0;
    for file in files {
        let (report, ok) = check_one(file, strict);
        print!("{report}");
        failed += usize::from(!ok);
    }
    if failed > 0 {
        return fail(format!("failed to validate {failed} file(s)"));
    }
    ExitCode::SUCCESS
}

/// The report for one file, in amtool's layout, and whether the file passed.
fn check_one(file: &std::path::Path, strict: bool) -> (String, bool) {
    let mut out = format!("Checking '{}'", file.display());
    let ok = match config::load_file(file) {
        Err(err) => {
            match err.problems.as_slice() {
                [only] => out.push_str(&format!("  FAILED: {only}\n")),
                many => {
                    out.push_str(&format!("  FAILED: {} problems\n", many.len()));
                    for problem in many {
                        out.push_str(&format!(" - {problem}\n"));
                    }
                }
            }
            false
        }
        Ok(Loaded { config, warnings }) => {
            let ok = !strict || warnings.is_empty();
            if ok {
                out.push_str("  SUCCESS\n");
            } else {
                out.push_str(&format!("  FAILED: {} warning(s), which --strict makes errors\n", warnings.len()));
            }
            out.push_str("Found:\n - global config\n - route\n");
            out.push_str(&format!(" - {} inhibit rules\n", config.inhibit_rules.len()));
            out.push_str(&format!(" - {} receivers\n", config.receivers.len()));
            out.push_str(&format!(" - {} templates\n", config.templates.len()));
            if !config.templates.is_empty() {
                // As amtool: the template files parsed (they were checked with the config).
                out.push_str("  SUCCESS\n");
            }
            if !warnings.is_empty() {
                out.push_str("Warnings:\n");
                for warning in &warnings {
                    out.push_str(&format!(" - {warning}\n"));
                }
            }
            let extensions = config::extensions(&config.file);
            if extensions.is_empty() {
                out.push_str("Herald extensions: none (Alertmanager and amtool load this file as it is)\n");
            } else {
                out.push_str("Herald extensions (Alertmanager and amtool refuse these keys):\n");
                for path in &extensions {
                    out.push_str(&format!(" - {path}\n"));
                }
            }
            ok
        }
    };
    out.push('\n');
    (out, ok)
}

fn load_tree(path: &std::path::Path) -> Result<RouteTree, String> {
    let loaded = config::load_file(path).map_err(|err| format!("failed to load {}:\n{err}", path.display()))?;
    Ok(RouteTree::new(&loaded.config.route))
}

fn routes_show(config: &std::path::Path) -> ExitCode {
    match load_tree(config) {
        Ok(tree) => {
            print!("{}", render_tree(&tree));
            ExitCode::SUCCESS
        }
        Err(err) => fail(err),
    }
}

fn routes_test(config: &std::path::Path, show_tree: bool, verify: Option<&str>, args: &[String]) -> ExitCode {
    let labels = match parse_label_args(args) {
        Ok(labels) => labels,
        Err(err) => return fail(format!("Failed to parse labels: {err}")),
    };
    let tree = match load_tree(config) {
        Ok(tree) => tree,
        Err(err) => return fail(err),
    };
    if show_tree {
        print!("{}", render_matching_tree(&tree, &labels));
    }
    let receivers = tree
        .matching_routes(&labels)
        .into_iter()
        .map(|id| tree.node(id).receiver.as_str())
        .collect::<Vec<_>>()
        .join(",");
    println!("{receivers}");
    if verify.is_some_and(|expected| expected != receivers) {
        println!("WARNING: Expected receivers did not match resolved receivers.");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `herald routes test -o json`: the same answer as `POST /api/herald/routes/test`.
fn routes_test_json(config: &std::path::Path, args: &[String]) -> ExitCode {
    let labels = match parse_label_args(args) {
        Ok(labels) => labels,
        Err(err) => return fail(format!("Failed to parse labels: {err}")),
    };
    let runtime = match crate::runtime::Runtime::load(config) {
        Ok(runtime) => runtime,
        Err(err) => return fail(format!("failed to load {}:\n{err}", config.display())),
    };
    let answer = crate::routing::explain(&runtime, &labels, chrono::Utc::now());
    match serde_json::to_string_pretty(&answer) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(err) => fail(err),
    }
}

/// Parses `name=value` arguments with the matcher grammar; a later value for the same name wins.
pub fn parse_label_args(args: &[String]) -> Result<LabelSet, String> {
    let mut labels = LabelSet::new();
    for arg in args {
        let matcher = parse_matcher(arg).map_err(|err| err.to_string())?;
        if matcher.kind() != MatchType::Equal {
            return Err("labels must be specified as key=value pairs".to_string());
        }
        labels.insert(matcher.name().to_string(), matcher.value().to_string());
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_arguments_use_the_matcher_grammar() {
        let args = ["team=a", "k=\"a b\"", "empty=", " sev = critical ", "team=b"].map(String::from);
        let labels = parse_label_args(&args).expect("valid labels");
        assert_eq!(labels.get("team").map(crate::labels::SharedStr::as_str), Some("b"));
        assert_eq!(labels.get("k").map(crate::labels::SharedStr::as_str), Some("a b"));
        assert_eq!(labels.get("empty").map(crate::labels::SharedStr::as_str), Some(""));
        assert_eq!(labels.get("sev").map(crate::labels::SharedStr::as_str), Some("critical"));
    }

    #[test]
    fn label_arguments_must_be_equalities() {
        for bad in ["k!=v", "k=~v"] {
            assert_eq!(parse_label_args(&[bad.to_string()]), Err("labels must be specified as key=value pairs".into()));
        }
        assert_eq!(parse_label_args(&["k".to_string()]), Err("bad matcher format: k".into()));
    }
}
