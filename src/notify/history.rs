//! The notification history: one record per attempt to deliver a notification, with its outcome and why,
//! kept by the store for `--history.retention` and queried through the API (Alertmanager #172).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::Error;

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// It was taken: the notification is delivered.
    Delivered,
    /// It failed and another attempt followed.
    Retrying,
    /// It failed and was the last: the notification was not delivered.
    Failed,
}

impl Outcome {
    /// Its name in the store and the API.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Retrying => "retrying",
            Outcome::Failed => "failed",
        }
    }

    /// The outcome named `text`.
    pub(crate) fn parse(text: &str) -> Option<Outcome> {
        match text {
            "delivered" => Some(Outcome::Delivered),
            "retrying" => Some(Outcome::Retrying),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }
}

/// One attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attempt {
    /// Its number in the store, from 1 (0 until stored).
    pub id: u64,
    /// When it started.
    pub at: DateTime<Utc>,
    /// The receiver.
    pub receiver: String,
    /// The integration (`webhook`, `slack`, ...).
    pub integration: String,
    /// Its position among the receiver's integrations of that kind.
    pub index: usize,
    /// Alertmanager's group key.
    pub group_key: String,
    /// Herald's group id (16 hex digits).
    pub group_id: String,
    /// The alerts notified.
    pub fingerprints: Vec<String>,
    /// Its number within the notification, from 1.
    pub attempt: u32,
    /// What became of it.
    pub outcome: Outcome,
    /// Why it failed: `rate_limited`, `client_error`, `server_error`, `timeout`, `connection`, `bad_config`.
    pub reason: Option<&'static str>,
    /// The HTTP status answered, when there was one.
    pub status: Option<u16>,
    /// How long it took, in milliseconds.
    pub latency_ms: u64,
    /// The error, when it failed.
    pub error: Option<String>,
    /// The escalation level it notified, if it was one.
    pub level: Option<usize>,
    /// The correlation ids of the requests that brought its alerts (`, `-separated, newest first).
    pub correlation_id: Option<String>,
}

impl Attempt {
    /// Sets the failure fields from `err`.
    pub(crate) fn failed(&mut self, err: &Error) {
        self.outcome = Outcome::Retrying;
        self.reason = Some(err.kind.as_str());
        self.status = err.kind.status();
        self.error = Some(err.message.clone());
    }
}

/// Which attempts to list.
#[derive(Debug, Clone, Default)]
pub(crate) struct HistoryQuery {
    /// Only this receiver's.
    pub receiver: Option<String>,
    /// Only this group's (its id, or its group key).
    pub group: Option<String>,
    /// Only attempts with this outcome.
    pub outcome: Option<Outcome>,
    /// Only attempts at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only attempts older than this id (the cursor of the previous page).
    pub before: Option<u64>,
    /// At most this many.
    pub limit: usize,
}
