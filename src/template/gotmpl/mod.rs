//! Go's `text/template`, evaluated directly: the language Alertmanager's config strings and template files
//! are written in, with Alertmanager's data types and functions, rendering what Alertmanager renders.

mod exec;
mod funcs;
mod html;
mod lex;
mod parse;
mod printf;
mod time;
mod value;

#[cfg(test)]
mod conformance;

use std::sync::Arc;

pub(crate) use exec::{Library, Limits, execute, html_text};
pub(crate) use parse::{Node, Parsed};
pub(crate) use time::GoTime;
pub(crate) use value::Value;

use crate::notify::data::NotificationData;
use value::{AlertView, DataView};

/// Parses Go template source (a config string or a template file).
pub(crate) fn parse(source: &str) -> Result<Parsed, String> {
    parse::parse(source, &funcs::is_function)
}

/// What a notification's templates see: `.` (Alertmanager's `template.Data`) and the time of the
/// notification (for `since`).
#[derive(Debug, Clone)]
pub(crate) struct TemplateData {
    /// The data.
    pub dot: Value,
    /// When the notification is made.
    pub now: GoTime,
}

impl TemplateData {
    /// The template data of a notification.
    pub(crate) fn new(data: &NotificationData) -> TemplateData {
        let kv = |labels: &crate::labels::LabelSet| Value::kv(labels.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        let alerts = data
            .alerts
            .iter()
            .map(|alert| {
                Arc::new(AlertView {
                    status: Arc::from(alert.status),
                    labels: kv(&alert.labels),
                    annotations: kv(&alert.annotations),
                    starts_at: GoTime::utc(Some(alert.starts_at)),
                    ends_at: GoTime::utc(alert.ends_at),
                    generator_url: Arc::from(alert.generator_url.as_str()),
                    fingerprint: Arc::from(alert.fingerprint.as_str()),
                })
            })
            .collect();
        let escalation = match &data.escalation {
            None => Value::Nil,
            Some(step) => Value::Map(Arc::new(
                [
                    ("Level", Value::Int(step.level as i64)),
                    ("Levels", Value::Int(step.levels as i64)),
                    ("Round", Value::Int(i64::from(step.round))),
                    ("Since", Value::time(Some(step.since))),
                    ("After", Value::str(&crate::config::PromDuration(step.after).to_string())),
                    ("RouteReceiver", Value::str(&step.route_receiver)),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            )),
        };
        let dot = Value::Data(Arc::new(DataView {
            receiver: Arc::from(data.receiver.as_str()),
            status: Arc::from(data.status),
            alerts: Value::Alerts(Arc::new(alerts), true),
            group_labels: kv(&data.group_labels),
            common_labels: kv(&data.common_labels),
            common_annotations: kv(&data.common_annotations),
            external_url: Arc::from(data.external_url.as_str()),
            escalation,
        }));
        TemplateData { dot, now: GoTime::utc(Some(data.now)) }
    }

    /// Data with nothing in it (tests, fuzzing).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn empty() -> TemplateData {
        TemplateData { dot: Value::Nil, now: GoTime::utc(None) }
    }
}
