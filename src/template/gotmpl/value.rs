//! The values a Go template works on, typed as Alertmanager's template data is (`template.Data`,
//! `template.Alert`, `template.KV`, `template.Pairs`, `time.Time`, ...), so that fields, methods, printing
//! and truth behave as they do in Alertmanager.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::time::GoTime;

/// A value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// No value at all (Go's invalid `reflect.Value`): printed `<no value>`.
    Missing,
    /// A nil interface: printed `<nil>`.
    Nil,
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i64),
    /// `float64`
    Float(f64),
    /// `string`
    Str(Arc<str>),
    /// `html/template.HTML` (what `safeHtml` returns): a string printed as it is.
    Html(Arc<str>),
    /// `time.Time`
    Time(GoTime),
    /// `time.Duration`, in nanoseconds.
    Duration(i64),
    /// `[]string`
    Strings(Arc<Vec<String>>),
    /// `[]interface{}`
    List(Arc<Vec<Value>>),
    /// `template.KV` (labels, annotations): a map of strings with methods.
    Kv(Arc<BTreeMap<String, String>>),
    /// `template.Pairs`
    Pairs(Arc<Vec<(String, String)>>),
    /// `template.Pair`
    Pair(Arc<(String, String)>),
    /// `template.Alerts` (with `Firing` and `Resolved`) when `true`, else `[]template.Alert`.
    Alerts(Arc<Vec<Arc<AlertView>>>, bool),
    /// `template.Alert`
    Alert(Arc<AlertView>),
    /// `template.Data`
    Data(Arc<DataView>),
    /// `map[string]interface{}` (Herald's `.Escalation`, `toJson` input).
    Map(Arc<BTreeMap<String, Value>>),
}

/// `template.Alert`.
#[derive(Debug, Clone)]
pub(crate) struct AlertView {
    /// `firing` or `resolved`.
    pub status: Arc<str>,
    /// Labels.
    pub labels: Value,
    /// Annotations.
    pub annotations: Value,
    /// Start.
    pub starts_at: GoTime,
    /// End (Go's zero time while firing).
    pub ends_at: GoTime,
    /// Link to the source.
    pub generator_url: Arc<str>,
    /// Fingerprint.
    pub fingerprint: Arc<str>,
}

/// `template.Data`, with Herald's `Escalation` on an escalation level's notification.
#[derive(Debug, Clone)]
pub(crate) struct DataView {
    /// `.Receiver`
    pub receiver: Arc<str>,
    /// `.Status`
    pub status: Arc<str>,
    /// `.Alerts`
    pub alerts: Value,
    /// `.GroupLabels`
    pub group_labels: Value,
    /// `.CommonLabels`
    pub common_labels: Value,
    /// `.CommonAnnotations`
    pub common_annotations: Value,
    /// `.ExternalURL`
    pub external_url: Arc<str>,
    /// `.Escalation` (Herald's), `Nil` when not escalating.
    pub escalation: Value,
}

impl Value {
    /// A string.
    pub(crate) fn str(text: &str) -> Value {
        Value::Str(Arc::from(text))
    }

    /// A `template.KV`.
    pub(crate) fn kv<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
        Value::Kv(Arc::new(pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()))
    }

    /// A `time.Time` in UTC.
    pub(crate) fn time(time: Option<DateTime<Utc>>) -> Value {
        Value::Time(GoTime::utc(time))
    }

    /// Go's type name, for `%T` and error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Missing | Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Html(_) => "template.HTML",
            Value::Time(_) => "time.Time",
            Value::Duration(_) => "time.Duration",
            Value::Strings(_) => "[]string",
            Value::List(_) => "[]interface {}",
            Value::Kv(_) => "template.KV",
            Value::Pairs(_) => "template.Pairs",
            Value::Pair(_) => "template.Pair",
            Value::Alerts(_, true) => "template.Alerts",
            Value::Alerts(_, false) => "[]template.Alert",
            Value::Alert(_) => "template.Alert",
            Value::Data(_) => "*template.Data",
            Value::Map(_) => "map[string]interface {}",
        }
    }

    /// Go's truth: false, 0, "", nil and empty collections are false; structs are true.
    pub(crate) fn truth(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(value) => *value,
            Value::Int(value) | Value::Duration(value) => *value != 0,
            Value::Float(value) => *value != 0.0,
            Value::Str(text) | Value::Html(text) => !text.is_empty(),
            Value::Strings(list) => !list.is_empty(),
            Value::List(list) => !list.is_empty(),
            Value::Kv(map) => !map.is_empty(),
            Value::Pairs(list) => !list.is_empty(),
            Value::Alerts(list, _) => !list.is_empty(),
            Value::Map(map) => !map.is_empty(),
            Value::Time(_) | Value::Pair(_) | Value::Alert(_) | Value::Data(_) => true,
        }
    }

    /// The string inside a `string` or `template.HTML`.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(text) | Value::Html(text) => Some(text),
            _ => None,
        }
    }

    /// The elements of a slice, for `range`, `index`, `len` and `join`.
    pub(crate) fn elements(&self) -> Option<Vec<Value>> {
        Some(match self {
            Value::Strings(list) => list.iter().map(|text| Value::str(text)).collect(),
            Value::List(list) => list.as_ref().clone(),
            Value::Pairs(list) => list.iter().map(|pair| Value::Pair(Arc::new(pair.clone()))).collect(),
            Value::Alerts(list, _) => list.iter().map(|alert| Value::Alert(Arc::clone(alert))).collect(),
            _ => return None,
        })
    }

    /// The entries of a map, by key order, for `range`.
    pub(crate) fn entries(&self) -> Option<Vec<(Value, Value)>> {
        Some(match self {
            Value::Kv(map) => map.iter().map(|(k, v)| (Value::str(k), Value::str(v))).collect(),
            Value::Map(map) => map.iter().map(|(k, v)| (Value::str(k), v.clone())).collect(),
            _ => return None,
        })
    }

    /// The value as Go's `encoding/json` writes it (`toJson`): the data under its JSON names, times in
    /// RFC 3339.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::{Map, Value as Json, json};
        let time = |time: &GoTime| Json::String(time.format("2006-01-02T15:04:05.999999999Z07:00"));
        match self {
            Value::Missing | Value::Nil => Json::Null,
            Value::Bool(value) => json!(value),
            Value::Int(value) | Value::Duration(value) => json!(value),
            Value::Float(value) => json!(value),
            Value::Str(text) | Value::Html(text) => json!(text.as_ref()),
            Value::Time(t) => time(t),
            Value::Strings(list) => json!(list.as_ref()),
            Value::List(list) => Json::Array(list.iter().map(Value::to_json).collect()),
            Value::Kv(map) => json!(map.as_ref()),
            Value::Map(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<Map<_, _>>()),
            Value::Pairs(list) => Json::Array(list.iter().map(|(k, v)| json!({"Name": k, "Value": v})).collect()),
            Value::Pair(pair) => json!({"Name": pair.0, "Value": pair.1}),
            Value::Alerts(list, _) => {
                Json::Array(list.iter().map(|alert| Value::Alert(Arc::clone(alert)).to_json()).collect())
            }
            Value::Alert(alert) => json!({
                "status": alert.status.as_ref(),
                "labels": alert.labels.to_json(),
                "annotations": alert.annotations.to_json(),
                "startsAt": time(&alert.starts_at),
                "endsAt": time(&alert.ends_at),
                "generatorURL": alert.generator_url.as_ref(),
                "fingerprint": alert.fingerprint.as_ref(),
            }),
            Value::Data(data) => json!({
                "receiver": data.receiver.as_ref(),
                "status": data.status.as_ref(),
                "alerts": data.alerts.to_json(),
                "groupLabels": data.group_labels.to_json(),
                "commonLabels": data.common_labels.to_json(),
                "commonAnnotations": data.common_annotations.to_json(),
                "externalURL": data.external_url.as_ref(),
            }),
        }
    }

    /// The value in the shape Herald's Handlebars templates read (`template_data`): Go's field names, times
    /// as Go prints them.
    pub(crate) fn to_handlebars_json(&self) -> serde_json::Value {
        use serde_json::{Value as Json, json};
        match self {
            Value::Time(time) => Json::String(time.to_string()),
            Value::Alerts(list, _) => {
                Json::Array(list.iter().map(|alert| Value::Alert(Arc::clone(alert)).to_handlebars_json()).collect())
            }
            Value::Alert(alert) => json!({
                "Status": alert.status.as_ref(),
                "Labels": alert.labels.to_json(),
                "Annotations": alert.annotations.to_json(),
                "StartsAt": alert.starts_at.to_string(),
                "EndsAt": alert.ends_at.to_string(),
                "GeneratorURL": alert.generator_url.as_ref(),
                "Fingerprint": alert.fingerprint.as_ref(),
            }),
            Value::Data(data) => {
                let mut value = json!({
                    "Receiver": data.receiver.as_ref(),
                    "Status": data.status.as_ref(),
                    "Alerts": data.alerts.to_handlebars_json(),
                    "GroupLabels": data.group_labels.to_json(),
                    "CommonLabels": data.common_labels.to_json(),
                    "CommonAnnotations": data.common_annotations.to_json(),
                    "ExternalURL": data.external_url.as_ref(),
                });
                if let (Value::Map(_), Some(object)) = (&data.escalation, value.as_object_mut()) {
                    object.insert("Escalation".into(), data.escalation.to_handlebars_json());
                }
                value
            }
            Value::Map(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), v.to_handlebars_json())).collect()),
            Value::List(list) => Json::Array(list.iter().map(Value::to_handlebars_json).collect()),
            other => other.to_json(),
        }
    }

    /// Reads back what [`Value::to_handlebars_json`] wrote, typed again (data, alerts, labels, times), for a
    /// Go template called from one of Herald's Handlebars templates.
    pub(crate) fn from_handlebars_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as Json;
        let text = |json: &Json, key: &str| -> Arc<str> {
            Arc::from(json.get(key).and_then(Json::as_str).unwrap_or_default())
        };
        let kv = |json: Option<&Json>| match json {
            Some(Json::Object(map)) => Value::Kv(Arc::new(
                map.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect(),
            )),
            _ => Value::Kv(Arc::default()),
        };
        let is_alert = |json: &Json| json.get("Labels").is_some() && json.get("StartsAt").is_some();
        let alert = |json: &Json| {
            Arc::new(AlertView {
                status: text(json, "Status"),
                labels: kv(json.get("Labels")),
                annotations: kv(json.get("Annotations")),
                starts_at: GoTime::parse_go_string(json.get("StartsAt").and_then(Json::as_str).unwrap_or_default()),
                ends_at: GoTime::parse_go_string(json.get("EndsAt").and_then(Json::as_str).unwrap_or_default()),
                generator_url: text(json, "GeneratorURL"),
                fingerprint: text(json, "Fingerprint"),
            })
        };
        match json {
            Json::Null => Value::Nil,
            Json::Bool(value) => Value::Bool(*value),
            Json::Number(number) => {
                number.as_i64().map_or_else(|| Value::Float(number.as_f64().unwrap_or(0.0)), Value::Int)
            }
            Json::String(text) => Value::str(text),
            Json::Array(items) if !items.is_empty() && items.iter().all(is_alert) => {
                Value::Alerts(Arc::new(items.iter().map(alert).collect()), false)
            }
            Json::Array(items) => Value::List(Arc::new(items.iter().map(Value::from_handlebars_json).collect())),
            object if object.get("Receiver").is_some() && object.get("Alerts").is_some() => {
                let alerts = object
                    .get("Alerts")
                    .and_then(Json::as_array)
                    .map(|items| items.iter().map(alert).collect())
                    .unwrap_or_default();
                Value::Data(Arc::new(DataView {
                    receiver: text(object, "Receiver"),
                    status: text(object, "Status"),
                    alerts: Value::Alerts(Arc::new(alerts), true),
                    group_labels: kv(object.get("GroupLabels")),
                    common_labels: kv(object.get("CommonLabels")),
                    common_annotations: kv(object.get("CommonAnnotations")),
                    external_url: text(object, "ExternalURL"),
                    escalation: object.get("Escalation").map_or(Value::Nil, Value::from_handlebars_json),
                }))
            }
            object if is_alert(object) => Value::Alert(alert(object)),
            Json::Object(map) if map.values().all(Json::is_string) => kv(Some(json)),
            Json::Object(map) => {
                Value::Map(Arc::new(map.iter().map(|(k, v)| (k.clone(), Value::from_handlebars_json(v))).collect()))
            }
        }
    }

    /// Go's `fmt` `%v` of the value (`%+v` with `plus`).
    pub(crate) fn print(&self, out: &mut String, plus: bool) {
        self.print_at(out, plus, 0);
    }

    /// The value as `fmt.Sprint` writes it.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        self.print(&mut out, false);
        out
    }

    fn print_at(&self, out: &mut String, plus: bool, depth: usize) {
        match self {
            Value::Missing => out.push_str(if depth == 0 { "<no value>" } else { "<nil>" }),
            Value::Nil => out.push_str("<nil>"),
            Value::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            Value::Int(value) => {
                let _ = write!(out, "{value}");
            }
            Value::Float(value) => out.push_str(&super::printf::format_float_g(*value, None, false)),
            Value::Str(text) | Value::Html(text) => out.push_str(text),
            Value::Time(time) => out.push_str(&time.to_string()),
            Value::Duration(nanos) => out.push_str(&super::time::duration_string(*nanos)),
            Value::Strings(list) => {
                out.push('[');
                for (i, text) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(text);
                }
                out.push(']');
            }
            Value::List(list) => {
                out.push('[');
                for (i, value) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    value.print_at(out, plus, depth + 1);
                }
                out.push(']');
            }
            Value::Kv(map) => {
                out.push_str("map[");
                for (i, (key, value)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(key);
                    out.push(':');
                    out.push_str(value);
                }
                out.push(']');
            }
            Value::Map(map) => {
                out.push_str("map[");
                for (i, (key, value)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(key);
                    out.push(':');
                    value.print_at(out, plus, depth + 1);
                }
                out.push(']');
            }
            Value::Pairs(list) => {
                out.push('[');
                for (i, pair) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    print_pair(out, pair, plus);
                }
                out.push(']');
            }
            Value::Pair(pair) => print_pair(out, pair, plus),
            Value::Alerts(list, _) => {
                out.push('[');
                for (i, alert) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    print_alert(out, alert, plus, depth + 1);
                }
                out.push(']');
            }
            Value::Alert(alert) => print_alert(out, alert, plus, depth),
            Value::Data(data) => {
                out.push('{');
                let fields: [(&str, Value); 7] = [
                    ("Receiver", Value::Str(Arc::clone(&data.receiver))),
                    ("Status", Value::Str(Arc::clone(&data.status))),
                    ("Alerts", data.alerts.clone()),
                    ("GroupLabels", data.group_labels.clone()),
                    ("CommonLabels", data.common_labels.clone()),
                    ("CommonAnnotations", data.common_annotations.clone()),
                    ("ExternalURL", Value::Str(Arc::clone(&data.external_url))),
                ];
                print_fields(out, &fields, plus, depth);
                out.push('}');
            }
        }
    }
}

fn print_pair(out: &mut String, pair: &(String, String), plus: bool) {
    let _ = if plus {
        write!(out, "{{Name:{} Value:{}}}", pair.0, pair.1)
    } else {
        write!(out, "{{{} {}}}", pair.0, pair.1)
    };
}

fn print_alert(out: &mut String, alert: &AlertView, plus: bool, depth: usize) {
    out.push('{');
    let fields: [(&str, Value); 7] = [
        ("Status", Value::Str(Arc::clone(&alert.status))),
        ("Labels", alert.labels.clone()),
        ("Annotations", alert.annotations.clone()),
        ("StartsAt", Value::Time(alert.starts_at.clone())),
        ("EndsAt", Value::Time(alert.ends_at.clone())),
        ("GeneratorURL", Value::Str(Arc::clone(&alert.generator_url))),
        ("Fingerprint", Value::Str(Arc::clone(&alert.fingerprint))),
    ];
    print_fields(out, &fields, plus, depth);
    out.push('}');
}

fn print_fields(out: &mut String, fields: &[(&str, Value)], plus: bool, depth: usize) {
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if plus {
            out.push_str(name);
            out.push(':');
        }
        value.print_at(out, plus, depth + 1);
    }
}
