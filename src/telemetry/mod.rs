//! Log output: Alertmanager's `--log.level` and `--log.format` (`logfmt`, its default, or `json`), with
//! `HERALD_LOG` as a full `tracing` filter for finer control.

pub(crate) mod metrics;
pub(crate) mod otlp;
pub(crate) mod profile;

use std::fmt::{self, Write as _};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, Registry, layer::SubscriberExt as _};

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `ts=… level=info msg="…" key=value`, as Alertmanager writes by default.
    Logfmt,
    /// One JSON object a line.
    Json,
}

/// The lowest level logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevel {
    /// Everything, including each notification attempt.
    Debug,
    /// Start, stop, reloads, notifications sent.
    Info,
    /// Problems Herald works around.
    Warn,
    /// Failures only.
    Error,
}

impl LogLevel {
    fn directive(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// Installs the process-wide subscriber writing to stderr, and the OTLP trace exporter when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` asks for one. `HERALD_LOG`, when set, replaces the level with a full filter
/// (`info,herald::notify=debug`). A second call does nothing. An error names the exporter setting that is wrong.
pub fn init(level: LogLevel, format: LogFormat) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level.directive()));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let log: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Logfmt => Box::new(
            fmt.event_format(Logfmt { color: std::io::stderr().is_terminal() })
                .fmt_fields(NoSpanFields)
                .with_filter(filter),
        ),
        LogFormat::Json => Box::new(fmt.json().flatten_event(true).with_filter(filter)),
    };
    let otlp = otlp::layer()?;
    SPANS.store(otlp.is_some() || format == LogFormat::Json, Ordering::Relaxed);
    let _ = tracing_subscriber::registry().with(log).with(otlp).try_init();
    Ok(())
}

/// Whether anything reads spans: the OTLP exporter, or JSON log lines (which carry their spans' fields).
/// Logfmt lines do not, so with logfmt and no exporter the request, flush and notification spans are not
/// made at all (they were a tenth of a notification's CPU). True until [`init`] says otherwise.
static SPANS: AtomicBool = AtomicBool::new(true);

/// Whether to make spans (see [`SPANS`]); call sites make `Span::none()` otherwise.
pub(crate) fn spans_wanted() -> bool {
    SPANS.load(Ordering::Relaxed)
}

/// Logfmt lines carry the event's own fields only, so span fields are never formatted: the fmt layer would
/// otherwise format every span's fields into a string when the span is made (two spans a notification).
struct NoSpanFields;

impl<'writer> FormatFields<'writer> for NoSpanFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(&self, _: Writer<'writer>, _: R) -> fmt::Result {
        Ok(())
    }
}

/// Writes events as logfmt: `ts`, `level`, `target`, `msg`, then the event's fields in order.
struct Logfmt {
    color: bool,
}

impl<S, N> FormatEvent<S, N> for Logfmt
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let metadata = event.metadata();
        let level = metadata.level().as_str().to_ascii_lowercase();
        let ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
        let mut line = format!("ts={ts} level=");
        if self.color {
            let code = match *metadata.level() {
                tracing::Level::ERROR => "31",
                tracing::Level::WARN => "33",
                _ => "2",
            };
            let _ = write!(line, "\x1b[{code}m{level}\x1b[0m");
        } else {
            line.push_str(&level);
        }
        line.push_str(" target=");
        line.push_str(metadata.target());
        let mut fields = Fields { line, message: None, rest: String::new() };
        event.record(&mut fields);
        let Fields { mut line, message, rest } = fields;
        if let Some(message) = message {
            line.push_str(" msg=");
            push_value(&mut line, &message);
        }
        line.push_str(&rest);
        writeln!(writer, "{line}")
    }
}

struct Fields {
    line: String,
    message: Option<String>,
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = Some(value);
            return;
        }
        self.rest.push(' ');
        self.rest.push_str(field.name());
        self.rest.push('=');
        push_value(&mut self.rest, &value);
    }
}

/// A logfmt value: bare when it can be, else quoted with `"` and `\` escaped and control characters written
/// as escapes, so that one event is always one line.
fn push_value(out: &mut String, value: &str) {
    let bare =
        !value.is_empty() && value.chars().all(|c| c > ' ' && c != '"' && c != '=' && c != '\\' && c != '\u{7f}');
    if bare {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> String {
        let mut out = String::new();
        push_value(&mut out, text);
        out
    }

    #[test]
    fn logfmt_values_are_quoted_only_when_needed_and_stay_on_one_line() {
        assert_eq!(value("127.0.0.1:9093"), "127.0.0.1:9093");
        assert_eq!(value("Herald is listening."), "\"Herald is listening.\"");
        assert_eq!(value(""), "\"\"");
        assert_eq!(value("a=b"), "\"a=b\"");
        assert_eq!(value("say \"hi\"\nbye\\"), "\"say \\\"hi\\\"\\nbye\\\\\"");
    }
}
