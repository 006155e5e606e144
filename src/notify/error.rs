//! Why a delivery attempt failed, as a kind that retry decisions (and the notification history) read, and a
//! message for people.

use std::fmt;
use std::time::Duration;

/// What kind of failure an attempt met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// The request or its answer took too long.
    Timeout,
    /// No answer: connection refused or reset, DNS, TLS handshake.
    Connection,
    /// The other side asked to slow down (429, and the status some APIs use instead, such as PagerDuty v1's
    /// 403).
    RateLimited {
        /// The HTTP status.
        status: u16,
    },
    /// The other side refused the request (4xx, or a redirect that was not to be followed).
    ClientError {
        /// The HTTP status.
        status: u16,
    },
    /// The other side failed (5xx).
    ServerError {
        /// The HTTP status.
        status: u16,
    },
    /// The request could not be made from the config: a template that fails, a key that renders empty, a
    /// missing URL, an unreadable `*_file`, a header that cannot be sent.
    BadConfig,
}

impl ErrorKind {
    /// Whether trying again may succeed: timeouts, connection failures, rate limits and server errors.
    pub(crate) fn retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Timeout | ErrorKind::Connection | ErrorKind::RateLimited { .. } | ErrorKind::ServerError { .. }
        )
    }

    /// The HTTP status the failure came with, if it came from an answer.
    pub(crate) fn status(self) -> Option<u16> {
        match self {
            ErrorKind::RateLimited { status }
            | ErrorKind::ClientError { status }
            | ErrorKind::ServerError { status } => Some(status),
            _ => None,
        }
    }

    /// A stable name for logs and counters (`rate_limited`, `client_error`, ...).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::RateLimited { .. } => "rate_limited",
            ErrorKind::ClientError { .. } => "client_error",
            ErrorKind::ServerError { .. } => "server_error",
            ErrorKind::BadConfig => "bad_config",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Error {
    /// What kind of failure it was.
    pub kind: ErrorKind,
    /// What happened (no secrets: URLs are reduced to their host).
    pub message: String,
    /// How long the other side asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl Error {
    /// A failure of the given kind.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), retry_after: None }
    }

    /// A request the config cannot make (see [`ErrorKind::BadConfig`]).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::BadConfig, message)
    }

    /// Whether trying again may succeed.
    pub(crate) fn retryable(&self) -> bool {
        self.kind.retryable()
    }
}

/// Result alias for deliveries.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
