//! Herald's notion of now: the wall clock read once at start, advanced by Tokio's monotonic clock. Due times
//! are wall-clock times (they are persisted, so a restart keeps them), but they are scheduled on Tokio's
//! clock, so a step of the system clock neither delays nor hurries a timer, and a test whose runtime starts
//! with time paused moves everything (timestamps, timers, expiries) with `tokio::time::advance`.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// A wall-clock reading and the Tokio instant it was taken at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    wall: DateTime<Utc>,
    instant: Instant,
}

impl Clock {
    /// Reads the system clock now. Call it inside the Tokio runtime that will use the clock, so that a
    /// paused runtime pauses it too.
    pub(crate) fn start() -> Clock {
        Clock { wall: Utc::now(), instant: Instant::now() }
    }

    /// The current wall-clock time, as Herald counts it.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.instant.elapsed()).unwrap_or(chrono::Duration::MAX);
        self.wall.checked_add_signed(elapsed).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The Tokio instant at which the wall-clock time `at` comes (now, for a time already past).
    pub(crate) fn instant_at(&self, at: DateTime<Utc>) -> Instant {
        match (at - self.wall).to_std() {
            Ok(after_start) => self.instant.checked_add(after_start).unwrap_or_else(far_future),
            Err(_) => self.instant,
        }
    }
}

/// A year from now: later than any timer Herald sets, and safe to add to.
fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(365 * 24 * 3600)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_clock_moves_with_tokio_time_and_maps_due_times_to_instants() {
        let clock = Clock::start();
        let start = clock.now();
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(clock.now() - start, chrono::Duration::seconds(90), "paused time pauses Herald's clock");
        let due = start + chrono::Duration::seconds(100);
        assert_eq!(clock.instant_at(due) - Instant::now(), Duration::from_secs(10));
        assert!(clock.instant_at(start - chrono::Duration::hours(1)) <= Instant::now(), "a past time is due now");
        assert!(clock.instant_at(DateTime::<Utc>::MAX_UTC) > Instant::now());
    }
}
