//! The data templates see, shaped like Alertmanager's template data so that `.GroupLabels.x`,
//! `.Alerts.Firing` and friends mean the same thing.

use chrono::{DateTime, Timelike, Utc};
use serde_json::{Value, json};

use crate::notify::data::NotificationData;

/// Alertmanager's template data as JSON.
pub(crate) fn template_data(data: &NotificationData) -> Value {
    let alerts: Vec<Value> = data
        .alerts
        .iter()
        .map(|alert| {
            json!({
                "Status": alert.status,
                "Labels": alert.labels,
                "Annotations": alert.annotations,
                "StartsAt": go_time_string(Some(alert.starts_at)),
                "EndsAt": go_time_string(alert.ends_at),
                "GeneratorURL": alert.generator_url,
                "Fingerprint": alert.fingerprint,
            })
        })
        .collect();
    let mut value = json!({
        "Receiver": data.receiver,
        "Status": data.status,
        "Alerts": alerts,
        "GroupLabels": data.group_labels,
        "CommonLabels": data.common_labels,
        "CommonAnnotations": data.common_annotations,
        "ExternalURL": data.external_url,
    });
    // Herald's addition, present only on an escalation level's notification (`{{ if .Escalation }}`).
    if let (Some(step), Some(object)) = (&data.escalation, value.as_object_mut()) {
        object.insert(
            "Escalation".to_string(),
            json!({
                "Level": step.level,
                "Levels": step.levels,
                "Round": step.round,
                "Since": go_time_string(Some(step.since)),
                "After": crate::config::PromDuration(step.after).to_string(),
                "RouteReceiver": step.route_receiver,
            }),
        );
    }
    value
}

/// Go's `time.Time.String()` for a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`; `None` is the zero
/// time.
pub(crate) fn go_time_string(time: Option<DateTime<Utc>>) -> String {
    let Some(time) = time else { return "0001-01-01 00:00:00 +0000 UTC".to_string() };
    let base = time.format("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = time.nanosecond() % 1_000_000_000;
    let fraction = if nanos == 0 { String::new() } else { format!(".{}", format!("{nanos:09}").trim_end_matches('0')) };
    format!("{base}{fraction} +0000 UTC")
}
