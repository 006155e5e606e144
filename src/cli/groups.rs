//! `herald groups list|ack|unack`: a running Herald's aggregation groups and their acknowledgements, over
//! its API, the way `amtool silence query|add|expire` handle silences.

use std::process::ExitCode;

use clap::Subcommand;
use reqwest::Method;
use serde_json::Value;

use super::remote::{Remote, RemoteArgs, run_remote};

#[derive(Subcommand, Debug)]
pub(super) enum GroupsCommand {
    /// List the groups with their receiver, alerts, acknowledgement and escalation.
    List {
        /// Only the groups of this receiver (a regular expression, as amtool's).
        #[arg(long)]
        receiver: Option<String>,
        /// `simple` (a table) or `json` (the API's answer, every page).
        #[arg(short = 'o', long, default_value = "simple", value_parser = ["simple", "json"])]
        output: String,
    },
    /// Acknowledge a group: no repeats and no escalation until a new alert joins it or it ends.
    Ack {
        /// The group's id (from `herald groups list`).
        id: String,
        /// Who acknowledges (default: $USER).
        #[arg(long)]
        by: Option<String>,
        /// What you are doing about it.
        #[arg(short = 'c', long, default_value = "")]
        comment: String,
        /// How long the acknowledgement lasts (`30m`, `2h`); without it, until the group changes or resolves.
        #[arg(short = 'd', long)]
        duration: Option<String>,
    },
    /// Withdraw a group's acknowledgement: escalation starts over.
    Unack {
        /// The group's id.
        id: String,
    },
}

/// Runs a `groups` command against a running Herald.
pub(super) fn run(remote: &RemoteArgs, command: GroupsCommand) -> ExitCode {
    run_remote(async move {
        let remote = Remote::new(remote)?;
        match command {
            GroupsCommand::List { receiver, output } => list(&remote, receiver.as_deref(), &output).await,
            GroupsCommand::Ack { id, by, comment, duration } => {
                let by = by.or_else(|| std::env::var("USER").ok()).unwrap_or_default();
                let mut body = serde_json::json!({"by": by, "comment": comment});
                if let Some(duration) = duration {
                    body["duration"] = Value::from(duration);
                }
                let path = format!("/api/herald/groups/{id}/ack");
                let group = remote.json(remote.request(Method::POST, &path).json(&body)).await?;
                let until = group["acknowledgement"]["expiresAt"].as_str().map(|at| format!(" until {at}"));
                println!("Acknowledged group {id} as {by}{}", until.unwrap_or_default());
                Ok(())
            }
            GroupsCommand::Unack { id } => {
                remote.send(remote.request(Method::DELETE, &format!("/api/herald/groups/{id}/ack"))).await?;
                println!("Withdrew the acknowledgement of group {id}");
                Ok(())
            }
        }
    })
}

async fn list(remote: &Remote, receiver: Option<&str>, output: &str) -> Result<(), String> {
    let mut groups = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1000".to_string())];
        if let Some(receiver) = receiver {
            query.push(("receiver", receiver.to_string()));
        }
        if let Some(cursor) = &after {
            query.push(("after", cursor.clone()));
        }
        let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&query).finish();
        let page = remote.json(remote.request(Method::GET, &format!("/api/herald/groups?{query}"))).await?;
        groups.extend(page["groups"].as_array().cloned().unwrap_or_default());
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    if output == "json" {
        println!("{}", Value::Array(groups));
        return Ok(());
    }
    print!("{}", table(&groups));
    Ok(())
}

/// The groups as a table: id, receiver, labels, alert count, acknowledgement, escalation.
fn table(groups: &[Value]) -> String {
    let mut rows = vec![["ID", "Receiver", "Labels", "Alerts", "Acknowledged", "Escalation"].map(str::to_string)];
    for group in groups {
        let labels = group["labels"]
            .as_object()
            .map(|labels| {
                let pairs: Vec<String> = labels
                    .iter()
                    .map(|(name, value)| format!("{name}={}", value.as_str().unwrap_or_default()))
                    .collect();
                pairs.join(" ")
            })
            .unwrap_or_default();
        let ack = &group["acknowledgement"];
        let acked = match ack["by"].as_str() {
            Some(by) => {
                let comment = ack["comment"].as_str().filter(|c| !c.is_empty());
                format!("{by}{}", comment.map(|c| format!(": {c}")).unwrap_or_default())
            }
            None => "-".to_string(),
        };
        let escalation = &group["escalation"];
        let level = escalation["level"].as_u64().unwrap_or(0);
        let mut climb = if level > 0 {
            format!("level {level} ({})", escalation["levelReceiver"].as_str().unwrap_or_default())
        } else {
            String::new()
        };
        if let Some(next) = escalation["next"].as_object() {
            if !climb.is_empty() {
                climb.push_str(", ");
            }
            climb.push_str(&format!(
                "next {} ({}) at {}",
                next.get("level").and_then(Value::as_u64).unwrap_or(0),
                next.get("receiver").and_then(Value::as_str).unwrap_or_default(),
                next.get("at").and_then(Value::as_str).unwrap_or_default()
            ));
        }
        if climb.is_empty() {
            climb.push('-');
        }
        rows.push([
            group["id"].as_str().unwrap_or_default().to_string(),
            group["receiver"].as_str().unwrap_or_default().to_string(),
            labels,
            group["alerts"].as_array().map_or(0, Vec::len).to_string(),
            acked,
            climb,
        ]);
    }
    super::remote::columns(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_ack_and_escalation() {
        let groups = vec![
            serde_json::json!({"id": "00000000000000aa", "receiver": "critical", "labels": {"alertname": "Down"},
                "alerts": [{}, {}], "acknowledgement": {"by": "alice", "comment": "on it"}, "escalation": {"level": 1,
                "levelReceiver": "escalation", "next": null}}),
            serde_json::json!({"id": "00000000000000bb", "receiver": "default", "labels": {}, "alerts": [{}],
                "acknowledgement": null, "escalation": {"level": 0, "next": {"level": 1, "receiver": "boss",
                "at": "2026-11-30T10:00:00.000Z"}}}),
        ];
        assert_eq!(
            table(&groups),
            "ID                Receiver  Labels          Alerts  Acknowledged  Escalation\n\
             00000000000000aa  critical  alertname=Down  2       alice: on it  level 1 (escalation)\n\
             00000000000000bb  default                   1       -             next 1 (boss) at 2026-11-30T10:00:00.000Z\n"
        );
    }
}
