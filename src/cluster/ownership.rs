//! Which groups this replica notifies: those of the shards whose lease it holds, each until the lease may
//! have expired. A single Herald owns every group.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::dispatch::GroupId;

/// How many shards the groups are spread over (a group's shard is its id modulo this).
pub(crate) const SHARDS: usize = 64;

/// The shards this replica may notify, and until when. Read by the dispatcher at each flush, written by the
/// lease keeper.
pub(crate) struct Ownership {
    /// A single Herald: every group, always.
    everything: bool,
    base: Instant,
    /// Per shard, until when (milliseconds after `base`) this replica holds it; 0 when it does not.
    until: [AtomicU64; SHARDS],
}

impl Ownership {
    /// Every group, always (no replicas).
    pub(crate) fn everything() -> Self {
        Ownership { everything: true, base: Instant::now(), until: std::array::from_fn(|_| AtomicU64::new(0)) }
    }

    /// No group until leases are granted.
    pub(crate) fn leased() -> Self {
        Ownership { everything: false, ..Ownership::everything() }
    }

    /// The shard of a group.
    pub(crate) fn shard(id: GroupId) -> usize {
        (id.0 % SHARDS as u64) as usize
    }

    /// Whether this replica notifies group `id` now.
    pub(crate) fn owns(&self, id: GroupId) -> bool {
        self.everything || self.millis(Instant::now()) < self.until[Self::shard(id)].load(Ordering::Acquire)
    }

    /// Holds exactly `shards` until `until`; every other shard is let go at once.
    pub(crate) fn hold(&self, shards: &[u32], until: Instant) {
        let until = self.millis(until);
        for (shard, slot) in self.until.iter().enumerate() {
            let held = shards.iter().any(|s| *s as usize == shard);
            slot.store(if held { until } else { 0 }, Ordering::Release);
        }
    }

    /// The shards held now, in order.
    pub(crate) fn shards(&self) -> Vec<u32> {
        let now = self.millis(Instant::now());
        (0..SHARDS as u32).filter(|shard| now < self.until[*shard as usize].load(Ordering::Acquire)).collect()
    }

    /// Lets go of every shard but `kept`, whose leases stay as they are.
    pub(crate) fn keep_only(&self, kept: &[u32]) {
        for (shard, slot) in self.until.iter().enumerate() {
            if !kept.iter().any(|s| *s as usize == shard) {
                slot.store(0, Ordering::Release);
            }
        }
    }

    /// Lets every shard go (the leases could not be renewed).
    pub(crate) fn release_all(&self) {
        self.hold(&[], self.base);
    }

    /// How many shards this replica holds now.
    pub(crate) fn held(&self) -> usize {
        if self.everything {
            return SHARDS;
        }
        let now = self.millis(Instant::now());
        self.until.iter().filter(|slot| now < slot.load(Ordering::Acquire)).count()
    }

    fn millis(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_millis()).unwrap_or(u64::MAX)
    }
}

/// How long before its lease expires in the database a replica stops counting on it: the margin covers the
/// time the renewal took to reach the database and a slow clock.
pub(crate) const LEASE_MARGIN: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_owns_the_groups_of_the_shards_it_holds_until_their_leases_end() {
        let ownership = Ownership::leased();
        let (a, b) = (GroupId(64 * 7 + 3), GroupId(64 * 9 + 5));
        assert!(!ownership.owns(a) && !ownership.owns(b), "nothing before a lease");
        ownership.hold(&[3], Instant::now() + Duration::from_secs(60));
        assert!(ownership.owns(a) && !ownership.owns(b));
        assert_eq!(ownership.held(), 1);
        ownership.hold(&[3, 5], Instant::now());
        assert!(!ownership.owns(a) && !ownership.owns(b), "a lease that has run out is not held");
        ownership.hold(&[5, 9], Instant::now() + Duration::from_secs(60));
        assert_eq!(ownership.shards(), [5, 9]);
        ownership.keep_only(&[9]);
        assert_eq!(ownership.shards(), [9], "the other lease is let go, this one kept");
        ownership.release_all();
        assert_eq!(ownership.held(), 0);
        assert!(Ownership::everything().owns(a) && Ownership::everything().held() == SHARDS);
    }
}
