//! `herald notifications`: a running Herald's notification history, newest first.

use std::process::ExitCode;

use clap::Args;
use reqwest::Method;
use serde_json::Value;

use super::remote::{Remote, RemoteArgs, run_remote};

/// Filters of `herald notifications`.
#[derive(Args, Debug)]
pub(super) struct NotificationsArgs {
    /// Only this receiver's.
    #[arg(long)]
    receiver: Option<String>,
    /// Only this group's (its id or group key).
    #[arg(long)]
    group: Option<String>,
    /// Only `delivered`, `retrying` or `failed` attempts.
    #[arg(long)]
    status: Option<String>,
    /// Only since this time (RFC 3339) or this long ago (`1h`).
    #[arg(long)]
    since: Option<String>,
    /// At most this many (newest first).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// `simple` (a table) or `json`.
    #[arg(short = 'o', long, default_value = "simple", value_parser = ["simple", "json"])]
    output: String,
}

/// Runs `herald notifications` against a running Herald.
pub(super) fn run(remote: &RemoteArgs, args: NotificationsArgs) -> ExitCode {
    run_remote(async move {
        let remote = Remote::new(remote)?;
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in
            [("receiver", &args.receiver), ("group", &args.group), ("status", &args.status), ("since", &args.since)]
        {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
        query.append_pair("limit", &args.limit.min(1000).to_string());
        let path = format!("/api/herald/notifications?{}", query.finish());
        let page = remote.json(remote.request(Method::GET, &path)).await?;
        let attempts = page["notifications"].as_array().cloned().unwrap_or_default();
        if args.output == "json" {
            println!("{}", Value::Array(attempts));
        } else {
            print!("{}", table(&attempts));
        }
        Ok(())
    })
}

fn table(attempts: &[Value]) -> String {
    let mut rows = vec![
        ["AT", "RECEIVER", "INTEGRATION", "GROUP", "ATTEMPT", "OUTCOME", "STATUS", "LATENCY", "ERROR"]
            .map(str::to_string),
    ];
    for attempt in attempts {
        let text = |key: &str| attempt[key].as_str().unwrap_or_default().to_string();
        let outcome = match attempt["reason"].as_str() {
            Some(reason) => format!("{} ({reason})", text("outcome")),
            None => text("outcome"),
        };
        rows.push([
            text("at"),
            text("receiver"),
            format!("{}[{}]", text("integration"), attempt["index"]),
            text("groupId"),
            attempt["attempt"].to_string(),
            outcome,
            attempt["status"].as_u64().map(|s| s.to_string()).unwrap_or_else(|| "-".to_string()),
            format!("{} ms", attempt["latencyMs"]),
            text("error"),
        ]);
    }
    super::remote::columns(&rows)
}
