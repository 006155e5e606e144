//! Entry points for the fuzz targets in `fuzz/` (built with the `fuzzing` feature only): each feeds
//! arbitrary input to one parser and checks what must hold whatever the input. None may panic.

use std::path::Path;
use std::time::Duration;

/// Matchers as routes, silences and amtool write them: parse, and a parsed matcher prints back to text
/// that parses to the same matcher.
pub fn matchers(text: &str) {
    if let Ok(parsed) = crate::labels::parse_matchers(text) {
        for matcher in parsed {
            let printed = matcher.to_string();
            let again = crate::labels::parse_matcher(&printed)
                .unwrap_or_else(|err| panic!("{matcher:?} printed as {printed:?}, which does not parse: {err}"));
            assert_eq!(again.to_string(), printed, "{text:?}");
        }
    }
}

/// A config file: load and check it (errors are fine; panics are not).
pub fn config(text: &str) {
    let _ = crate::config::parse_str(text, Path::new("/nonexistent"));
}

/// A template in Go syntax: parse it, and render what parses against empty data.
pub fn template(source: &str) {
    let templates = crate::template::Templates::new();
    let _ = templates.render_go_string(source, &crate::template::TemplateData::empty());
}

/// A `POST /api/v2/alerts` body.
pub fn alerts(body: &[u8]) {
    let limits = crate::alert::IngestLimits::default();
    let _ = crate::alert::accept(body, chrono::Utc::now(), Duration::from_secs(300), &limits);
}
