//! The `herald` command line: `check-config`, `routes show|test` (both shaped after amtool) and `serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, Loaded};
use crate::labels::{LabelSet, MatchType, parse_matcher};
use crate::routing::{RouteTree, render_matching_tree, render_tree};

/// The config file shipped with Herald, used when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/alertmanager.yml";

#[derive(Parser, Debug)]
#[command(name = "herald", version, about = "Alert routing engine, compatible with Prometheus Alertmanager")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Run the HTTP service.
    Serve(ServeArgs),
}

#[derive(Subcommand, Debug)]
enum RoutesCommand {
    /// Print the route tree, one route a line, with matchers and receiver.
    Show {
        /// Config file to read.
        #[arg(long, default_value = DEFAULT_CONFIG_PATH)]
        config: PathBuf,
    },
    /// Print the receivers a label set is routed to, comma-separated, as `amtool config routes test` does.
    Test {
        /// Config file to read.
        #[arg(long, default_value = DEFAULT_CONFIG_PATH)]
        config: PathBuf,
        /// Also print the routes walked to reach the matches.
        #[arg(long)]
        tree: bool,
        /// Expected receivers (`a,b`); exit with status 1 when the result differs.
        #[arg(long = "verify.receivers", value_name = "RECEIVERS")]
        verify_receivers: Option<String>,
        /// Labels as `name=value` (quotes and escapes as in matchers).
        labels: Vec<String>,
    },
}

/// Options of `herald serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Config file to read (reloaded on SIGHUP and `POST /-/reload`).
    #[arg(long, default_value = DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9093")]
    pub listen: SocketAddr,
    /// Folder for Herald's state (the SQLite database).
    #[arg(long, default_value = "./data")]
    pub data_dir: PathBuf,
    /// URL under which Herald is reached, used in notifications (default: http://<hostname>:<port>).
    #[arg(long)]
    pub external_url: Option<String>,
    /// How often resolved alerts are removed from the store.
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub alerts_gc_interval: std::time::Duration,
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    config::PromDuration::parse(text).map(|d| d.0).map_err(|err| err.to_string())
}

/// Runs the command line and returns the process exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CheckConfig { strict, files } => check_config(&files, strict),
        Command::Routes { command: RoutesCommand::Show { config } } => routes_show(&config),
        Command::Routes { command: RoutesCommand::Test { config, tree, verify_receivers, labels } } => {
            routes_test(&config, tree, verify_receivers.as_deref(), &labels)
        }
        Command::Serve(args) => crate::app::serve_blocking(args),
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
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
