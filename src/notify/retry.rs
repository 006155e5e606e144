//! Retrying one delivery: exponential backoff with jitter (Alertmanager's defaults: 500 ms, ×1.5, at most
//! 60 s), never sooner than `Retry-After` asks, and never past the flush's deadline.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::{Error, Result};
use super::http::random_u64;

const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The growing wait between attempts.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: INITIAL_BACKOFF }
    }
}

impl Backoff {
    /// The next wait: the current interval ±50 %, then the interval grows by half.
    pub(crate) fn next_wait(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next.mul_f64(1.5)).min(MAX_BACKOFF);
        let jitter = (random_u64() % 1000) as f64 / 1000.0; // [0, 1)
        base.mul_f64(0.5 + jitter)
    }
}

/// Runs `attempt` until it succeeds, fails permanently, the next try would start after `deadline`, or
/// `superseded` is cancelled (newer content is waiting). An attempt under way is never cut short; only the
/// wait before the next one is. `on_failure` sees each failed attempt (for logs and counters).
pub(crate) async fn retry<F, Fut>(
    deadline: Instant,
    superseded: &CancellationToken,
    mut attempt: F,
    mut on_failure: impl FnMut(u32, &Error),
) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut backoff = Backoff::default();
    let mut number = 0;
    loop {
        number += 1;
        let err = match attempt().await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        on_failure(number, &err);
        if !err.retryable() {
            return Err(err);
        }
        let wait = backoff.next_wait().max(err.retry_after.unwrap_or_default());
        if Instant::now().checked_add(wait).is_none_or(|next| next > deadline) {
            return Err(Error { message: format!("gave up after {number} attempt(s): {}", err.message), ..err });
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = superseded.cancelled() => {
                return Err(Error { message: format!("superseded by newer content after {number} attempt(s): {}", err.message), ..err });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::notify::error::ErrorKind;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let mut backoff = Backoff::default();
        let first = backoff.next_wait();
        assert!(first >= Duration::from_millis(250) && first < Duration::from_millis(750), "{first:?}");
        for _ in 0..30 {
            backoff.next_wait();
        }
        assert!(backoff.next_wait() < MAX_BACKOFF.mul_f64(1.5));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_failures_until_success() {
        let calls = AtomicU32::new(0);
        let deadline = Instant::now() + Duration::from_secs(60);
        let result = retry(
            deadline,
            &CancellationToken::new(),
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(Error::new(ErrorKind::ServerError { status: 503 }, "503"))
                } else {
                    Ok(())
                }
            },
            |_, _| {},
        )
        .await;
        assert_eq!(result, Ok(()));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_failure_is_not_retried() {
        let calls = AtomicU32::new(0);
        let result = retry(
            Instant::now() + Duration::from_secs(60),
            &CancellationToken::new(),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(Error::new(ErrorKind::ClientError { status: 400 }, "400 bad request"))
            },
            |_, _| {},
        )
        .await;
        assert!(!result.expect_err("fails").retryable());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_and_the_deadline_ends_retries() {
        let start = Instant::now();
        let calls = AtomicU32::new(0);
        let result = retry(
            start + Duration::from_secs(10),
            &CancellationToken::new(),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(Error {
                    retry_after: Some(Duration::from_secs(4)),
                    ..Error::new(ErrorKind::RateLimited { status: 429 }, "429")
                })
            },
            |_, _| {},
        )
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 3, "at 0 s, 4 s and 8 s; the next would pass the deadline");
        assert!(result.expect_err("gives up").message.starts_with("gave up after 3 attempt(s)"));
        assert!(start.elapsed() >= Duration::from_secs(8));
    }

    #[tokio::test(start_paused = true)]
    async fn newer_content_ends_the_wait_between_attempts() {
        let superseded = CancellationToken::new();
        let calls = AtomicU32::new(0);
        let cancel = superseded.clone();
        let result = retry(
            Instant::now() + Duration::from_secs(600),
            &superseded,
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                cancel.cancel();
                Err::<(), _>(Error::new(ErrorKind::ServerError { status: 503 }, "503"))
            },
            |_, _| {},
        )
        .await;
        assert!(result.expect_err("superseded").message.starts_with("superseded by newer content"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
