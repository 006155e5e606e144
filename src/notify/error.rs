//! Why a delivery attempt failed, and whether trying again makes sense.

use std::time::Duration;

/// A failed attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What happened (no secrets: URLs are reduced to their host).
    pub message: String,
    /// Network errors, timeouts, 429 and 5xx are retryable; other failures are not.
    pub retryable: bool,
    /// How long the other side asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl Error {
    /// A failure that retrying will not fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Error { message: message.into(), retryable: false, retry_after: None }
    }

    /// A failure that may go away.
    pub fn transient(message: impl Into<String>) -> Self {
        Error { message: message.into(), retryable: true, retry_after: None }
    }
}

/// Result alias for deliveries.
pub type Result<T, E = Error> = std::result::Result<T, E>;
