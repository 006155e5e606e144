//! Herald's notion of now: the wall clock read once at start, advanced by Tokio's monotonic clock. Due times
//! are wall-clock times (they are persisted, so a restart keeps them), but they are scheduled on Tokio's
//! clock, so a step of the system clock back neither delays a timer nor repeats one, and a test whose
//! runtime starts with time paused moves everything (timestamps, timers, expiries) with
//! `tokio::time::advance`. The monotonic clock stands still while the host is suspended; when the system
//! clock is found ahead, Herald's clock moves forward to it ([`Clock::catch_up`]), and what came due in the
//! meantime is due at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// How far the system clock may be ahead before Herald's clock moves forward to it.
const CATCH_UP_THRESHOLD: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

/// A wall-clock reading, the Tokio instant it was taken at, and how far Herald's clock has been moved
/// forward since. Clones share the forward moves.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    wall: DateTime<Utc>,
    instant: Instant,
    forward_nanos: Arc<AtomicI64>,
}

impl Clock {
    /// Reads the system clock now. Call it inside the Tokio runtime that will use the clock, so that a
    /// paused runtime pauses it too.
    pub(crate) fn start() -> Clock {
        Clock { wall: Utc::now(), instant: Instant::now(), forward_nanos: Arc::default() }
    }

    fn forward(&self) -> chrono::Duration {
        chrono::Duration::nanoseconds(self.forward_nanos.load(Ordering::Relaxed))
    }

    /// The current wall-clock time, as Herald counts it.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.instant.elapsed()).unwrap_or(chrono::Duration::MAX);
        self.wall.checked_add_signed(elapsed + self.forward()).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Moves Herald's clock forward to the system clock when that is ahead by more than two seconds (the
    /// host was suspended, or the system clock was set forward); returns how far it moved. A system clock
    /// behind Herald's is not followed: that would hold every timer back.
    pub(crate) fn catch_up(&self) -> Option<chrono::Duration> {
        let ahead = Utc::now() - self.now();
        if ahead <= CATCH_UP_THRESHOLD {
            return None;
        }
        let nanos = ahead.num_nanoseconds().unwrap_or(i64::MAX);
        self.forward_nanos.fetch_add(nanos, Ordering::Relaxed);
        Some(ahead)
    }

    /// The Tokio instant at which the wall-clock time `at` comes (now, for a time already past).
    pub(crate) fn instant_at(&self, at: DateTime<Utc>) -> Instant {
        match (at - self.wall - self.forward()).to_std() {
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

    #[tokio::test(start_paused = true)]
    async fn the_clock_catches_up_with_a_system_clock_ahead_of_it_but_never_goes_back() {
        // A paused clock 10 s behind the system clock: as after a suspend.
        let clock = Clock { wall: Utc::now() - chrono::Duration::seconds(10), ..Clock::start() };
        let due = clock.now() + chrono::Duration::seconds(5);
        let moved = clock.catch_up().expect("moved forward");
        assert!(moved >= chrono::Duration::seconds(9), "{moved}");
        assert!((Utc::now() - clock.now()).abs() < chrono::Duration::seconds(1));
        assert!(clock.instant_at(due) <= Instant::now(), "what came due meanwhile is due at once");
        let shared = clock.clone();
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(clock.catch_up(), None, "a system clock behind Herald's is not followed");
        assert_eq!(shared.now(), clock.now(), "clones share the move");
    }
}
