//! `herald config get|put|versions|diff|rollback`: a running Herald's config over its API.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use reqwest::Method;

use super::remote::{Remote, RemoteArgs, run_remote};

#[derive(Subcommand, Debug)]
pub(super) enum ConfigCommand {
    /// Print the live config (secrets as <secret>); its ETag goes to stderr.
    Get,
    /// Apply a config file (a <secret> left where `get` showed one keeps the live secret).
    Put {
        /// The file to apply (`-` for standard input).
        file: PathBuf,
        /// Refuse unless the live config still has this ETag (from `get`).
        #[arg(long = "if-match", value_name = "ETAG")]
        if_match: Option<String>,
        /// Who (default: $USER).
        #[arg(long)]
        author: Option<String>,
        /// Why.
        #[arg(short = 'c', long, default_value = "")]
        comment: String,
        /// Only check it: its problems, and the active alerts that would move.
        #[arg(long)]
        dry_run: bool,
    },
    /// List the stored versions, newest first.
    Versions,
    /// Show what changed between two versions (default: the live one and the one before).
    Diff {
        /// The older version.
        from: Option<u64>,
        /// The newer version.
        to: Option<u64>,
    },
    /// Apply a stored version again.
    Rollback {
        /// Its number (from `versions`).
        version: u64,
        /// Who (default: $USER).
        #[arg(long)]
        author: Option<String>,
        /// Why.
        #[arg(short = 'c', long, default_value = "")]
        comment: String,
    },
}

/// Runs a `config` command against a running Herald.
pub(super) fn run(remote: &RemoteArgs, command: ConfigCommand) -> ExitCode {
    run_remote(async move {
        let remote = Remote::new(remote)?;
        let user = || std::env::var("USER").unwrap_or_else(|_| "cli".to_string());
        match command {
            ConfigCommand::Get => {
                let answer = remote.send(remote.request(Method::GET, "/api/herald/config")).await?;
                if let Some(etag) = answer.headers.get("etag").and_then(|v| v.to_str().ok()) {
                    eprintln!("ETag: {etag}");
                }
                print!("{}", answer.text);
                Ok(())
            }
            ConfigCommand::Put { file, if_match, author, comment, dry_run } => {
                let text = if file.as_os_str() == "-" {
                    std::io::read_to_string(std::io::stdin()).map_err(|err| format!("reading standard input: {err}"))?
                } else {
                    std::fs::read_to_string(&file).map_err(|err| format!("reading {}: {err}", file.display()))?
                };
                if dry_run {
                    return dry_run_report(&remote, text).await;
                }
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("author", &author.unwrap_or_else(user))
                    .append_pair("comment", &comment)
                    .finish();
                let mut request = remote.request(Method::PUT, &format!("/api/herald/config?{query}")).body(text);
                if let Some(tag) = if_match {
                    request = request.header("if-match", tag);
                }
                let applied = remote.json(request).await?;
                print_applied(&applied);
                Ok(())
            }
            ConfigCommand::Versions => {
                let versions = remote.json(remote.request(Method::GET, "/api/herald/config/versions")).await?;
                println!("{:<8} {:<25} {:<10} {:<16} COMMENT", "VERSION", "APPLIED", "SOURCE", "AUTHOR");
                for version in versions.as_array().into_iter().flatten() {
                    let live = if version["live"] == true { " (live)" } else { "" };
                    println!(
                        "{:<8} {:<25} {:<10} {:<16} {}{live}",
                        version["number"],
                        version["at"].as_str().unwrap_or_default(),
                        version["source"].as_str().unwrap_or_default(),
                        version["author"].as_str().unwrap_or_default(),
                        version["comment"].as_str().unwrap_or_default()
                    );
                }
                Ok(())
            }
            ConfigCommand::Diff { from, to } => {
                let mut query = Vec::new();
                if let Some(from) = from {
                    query.push(format!("from={from}"));
                }
                if let Some(to) = to {
                    query.push(format!("to={to}"));
                }
                let path = format!("/api/herald/config/diff?{}", query.join("&"));
                print!("{}", remote.send(remote.request(Method::GET, &path)).await?.text);
                Ok(())
            }
            ConfigCommand::Rollback { version, author, comment } => {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("author", &author.unwrap_or_else(user))
                    .append_pair("comment", &comment)
                    .finish();
                let path = format!("/api/herald/config/versions/{version}/rollback?{query}");
                let applied = remote.json(remote.request(Method::POST, &path)).await?;
                print_applied(&applied);
                Ok(())
            }
        }
    })
}

fn print_applied(applied: &serde_json::Value) {
    let version = &applied["version"];
    println!(
        "Applied: version {} ({}), ETag \"{}\"",
        version["number"],
        version["source"].as_str().unwrap_or_default(),
        version["hash"].as_str().unwrap_or_default()
    );
    for warning in applied["warnings"].as_array().into_iter().flatten() {
        println!(
            "warning: {}: {}",
            warning["path"].as_str().unwrap_or_default(),
            warning["message"].as_str().unwrap_or_default()
        );
    }
}

async fn dry_run_report(remote: &Remote, text: String) -> Result<(), String> {
    let answer = remote.json(remote.request(Method::POST, "/api/herald/config/check").body(text)).await?;
    for problem in answer["problems"].as_array().into_iter().flatten() {
        let line = problem["line"].as_u64().map(|line| format!("line {line}: ")).unwrap_or_default();
        println!(
            "error: {line}{}: {}",
            problem["path"].as_str().unwrap_or_default(),
            problem["message"].as_str().unwrap_or_default()
        );
    }
    for warning in answer["warnings"].as_array().into_iter().flatten() {
        println!(
            "warning: {}: {}",
            warning["path"].as_str().unwrap_or_default(),
            warning["message"].as_str().unwrap_or_default()
        );
    }
    let changes = answer["changes"].as_array().cloned().unwrap_or_default();
    println!("{} active alert(s) would change receivers or groups", changes.len());
    for change in &changes {
        let receivers = |side: &str| {
            let names: Vec<&str> =
                change[side].as_array().into_iter().flatten().filter_map(|d| d["receiver"].as_str()).collect();
            names.join(",")
        };
        println!(
            " - {} {}: {} -> {}",
            change["fingerprint"].as_str().unwrap_or_default(),
            change["labels"],
            receivers("before"),
            receivers("after")
        );
    }
    if answer["valid"] == true { Ok(()) } else { Err("the config has errors".to_string()) }
}
