//! Config errors and warnings: each names the field path and, where known, the line.

use std::fmt;

/// One thing wrong with (or worth knowing about) a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Where in the document, as a path like `route.routes[2].receiver` (empty for the whole file).
    pub path: String,
    /// The 1-based line of that path, when known.
    pub line: Option<usize>,
    /// What is wrong, in Alertmanager's words where it has them.
    pub message: String,
}

impl Problem {
    /// A problem at `path`, with the line still to be looked up.
    pub(crate) fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { path: path.into(), line: None, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.path.is_empty()) {
            (Some(line), false) => write!(f, "line {line}: {}: {}", self.path, self.message),
            (Some(line), true) => write!(f, "line {line}: {}", self.message),
            (None, false) => write!(f, "{}: {}", self.path, self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

/// Why a config could not be loaded: every problem found, in document order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) struct ConfigError {
    /// The problems, never empty.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}
