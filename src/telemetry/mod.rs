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
        // Written straight into the layer's line buffer: one event (a notification sent) is formatted without
        // a string of its own per field.
        let metadata = event.metadata();
        let (level, color) = match *metadata.level() {
            tracing::Level::ERROR => ("error", "31"),
            tracing::Level::WARN => ("warn", "33"),
            tracing::Level::INFO => ("info", "2"),
            tracing::Level::DEBUG => ("debug", "2"),
            tracing::Level::TRACE => ("trace", "2"),
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        write!(writer, "ts={} level=", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"))?;
        if self.color {
            write!(writer, "\x1b[{color}m{level}\x1b[0m")?;
        } else {
            writer.write_str(level)?;
        }
        writer.write_str(" target=")?;
        writer.write_str(metadata.target())?;
        if let Some(message) = &fields.message {
            writer.write_str(" msg=")?;
            writer.write_str(message)?;
        }
        writer.write_str(&fields.rest)?;
        writer.write_char('\n')
    }
}

/// An event's fields as logfmt: the message (already a logfmt value) apart, the others ` name=value` each.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    rest: String,
    /// Where a value that is not a string is formatted first (reused from field to field).
    scratch: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let _ = write!(scratch, "{value:?}");
        self.record(field, &scratch);
        self.scratch = scratch;
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let mut message = String::with_capacity(value.len() + 2);
            push_value(&mut message, value);
            self.message = Some(message);
            return;
        }
        self.rest.push(' ');
        self.rest.push_str(field.name());
        self.rest.push('=');
        push_value(&mut self.rest, value);
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

    /// Collects what the fmt layer writes.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_event_is_one_logfmt_line_with_its_fields_in_order() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(Logfmt { color: false })
            .fmt_fields(NoSpanFields)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("flush", group = "g");
            let _entered = span.enter();
            tracing::info!(receiver = "team-a", alerts = 3, note = "two words", "Notification sent.");
        });
        let text = String::from_utf8(captured.0.lock().expect("not poisoned").clone()).expect("UTF-8");
        let (ts, rest) = text.split_once(' ').expect("fields after the time");
        assert!(ts.starts_with("ts=") && ts.len() == 27 && ts.ends_with('Z'), "{ts}");
        assert_eq!(
            rest,
            "level=info target=herald::telemetry::tests msg=\"Notification sent.\" receiver=team-a alerts=3 note=\"two words\"\n"
        );
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
