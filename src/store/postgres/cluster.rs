//! The SQL that lets replicas work together: the change feed they follow, the heartbeats that tell who is
//! alive, and the leases that say which replica notifies which shard of the groups.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgListener;

use super::{CHANGES_CHANNEL, PostgresStore, db};
use crate::store::alert_row::from_micros;
use crate::store::rows::Change;
use crate::store::{Result, WriteBatch};

/// Most changes read in one go.
const FEED_PAGE: i64 = 500;

/// A replica as the others see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Peer {
    /// Its identity (`name#start`).
    pub id: String,
    /// Its name (`--replica.name`, else host and port).
    pub name: String,
    /// Its external URL.
    pub address: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat.
    pub heartbeat_at: DateTime<Utc>,
}

/// Changes of the other replicas read from the feed.
pub(crate) struct FeedPage {
    /// Where the feed now stands for this replica.
    pub position: i64,
    /// The other replicas' batches, in commit order.
    pub batches: Vec<WriteBatch>,
    /// Whether more changes wait after this page.
    pub more: bool,
    /// Changes this replica had not read were pruned: it missed them, and must reload the stored state.
    pub missed: bool,
}

/// Wakes the feed reader when another replica commits.
pub(crate) struct ChangeListener {
    listener: PgListener,
}

impl ChangeListener {
    /// Waits until a change is announced or `timeout` passes (the reader polls then anyway: a notification
    /// lost with a connection costs at most that much delay). An error means the connection is gone.
    pub(crate) async fn wait(&mut self, timeout: Duration) -> Result<()> {
        match tokio::time::timeout(timeout, self.listener.recv()).await {
            Ok(Ok(_)) | Err(_) => Ok(()),
            Ok(Err(err)) => Err(db(err)),
        }
    }
}

impl PostgresStore {
    /// A number no other start of any replica got, whose remainder by `tags` no replica seen in the last
    /// hour has: it makes the alert versions this process hands out its own.
    pub(super) async fn start_number(&self, tags: u64) -> Result<u64> {
        let rows = sqlx::query("SELECT start FROM replicas WHERE heartbeat_at > now() - interval '1 hour'")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let taken: Vec<u64> = rows
            .iter()
            .map(|row| row.try_get::<i64, _>(0).map(|start| start as u64 % tags))
            .collect::<Result<_, _>>()
            .map_err(db)?;
        for _ in 0..=taken.len() {
            let row = sqlx::query("SELECT nextval('replica_starts')").fetch_one(&self.pool).await.map_err(db)?;
            let start = row.try_get::<i64, _>(0).map_err(db)? as u64;
            if !taken.contains(&(start % tags)) {
                return Ok(start);
            }
        }
        Err(crate::store::Error::Database("no free replica number: too many replicas started in the last hour".into()))
    }

    /// Listens for announced changes.
    pub(crate) async fn listen(&self) -> Result<ChangeListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.map_err(db)?;
        listener.listen(CHANGES_CHANNEL).await.map_err(db)?;
        Ok(ChangeListener { listener })
    }

    /// The changes committed after `position`, this replica's own skipped. A change that cannot be decoded
    /// is logged and skipped: one bad row must not stop a replica from following the others.
    pub(crate) async fn changes_after(&self, position: i64) -> Result<FeedPage> {
        let pruned: i64 = sqlx::query("SELECT pruned_through FROM feed_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .and_then(|row| row.try_get(0))
            .map_err(db)?;
        if position < pruned {
            return Ok(FeedPage { position, batches: Vec::new(), more: false, missed: true });
        }
        let rows = sqlx::query("SELECT seq, replica, body FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(position)
            .bind(FEED_PAGE)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let mut page = FeedPage { position, batches: Vec::new(), more: rows.len() as i64 == FEED_PAGE, missed: false };
        for row in rows {
            let seq: i64 = row.try_get(0).map_err(db)?;
            page.position = seq;
            let replica: &str = row.try_get(1).map_err(db)?;
            if replica == self.replica {
                continue;
            }
            match Change::decode(row.try_get(2).map_err(db)?) {
                Ok(batch) => page.batches.push(batch),
                Err(err) => {
                    tracing::error!(seq, replica, error = %err, "A change from another replica cannot be read and is skipped.")
                }
            }
        }
        Ok(page)
    }

    /// Forgets changes older than `keep` (every replica has long applied them), remembering how far, and
    /// replicas not seen for as long.
    pub(crate) async fn prune_changes(&self, keep: Duration) -> Result<u64> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let gone = sqlx::query("DELETE FROM changes WHERE at < now() - make_interval(secs => $1) RETURNING seq")
            .bind(keep.as_secs_f64())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        let through = gone.iter().filter_map(|row| row.try_get::<i64, _>(0).ok()).max();
        if let Some(through) = through {
            sqlx::query("UPDATE feed_state SET pruned_through = GREATEST(pruned_through, $1) WHERE id = 1")
                .bind(through)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        sqlx::query("DELETE FROM replicas WHERE heartbeat_at < now() - make_interval(secs => $1)")
            .bind(keep.as_secs_f64())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(gone.len() as u64)
    }

    /// Records this replica's heartbeat and returns the replicas alive within `ttl`, this one included, by
    /// name.
    pub(crate) async fn heartbeat(&self, address: &str, started_at: DateTime<Utc>, ttl: Duration) -> Result<Vec<Peer>> {
        sqlx::query(
            "INSERT INTO replicas (id, name, start, address, started_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, to_timestamp($5::double precision / 1e6), now()) \
             ON CONFLICT (id) DO UPDATE SET address = excluded.address, heartbeat_at = excluded.heartbeat_at",
        )
        .bind(&self.replica)
        .bind(&self.name)
        .bind(self.start as i64)
        .bind(address)
        .bind(started_at.timestamp_micros() as f64)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        let rows = sqlx::query(
            "SELECT id, name, address, (extract(epoch FROM started_at) * 1e6)::bigint, \
             (extract(epoch FROM heartbeat_at) * 1e6)::bigint FROM replicas \
             WHERE heartbeat_at > now() - make_interval(secs => $1) ORDER BY name, id",
        )
        .bind(ttl.as_secs_f64())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|row| {
                Ok(Peer {
                    id: row.try_get(0).map_err(db)?,
                    name: row.try_get(1).map_err(db)?,
                    address: row.try_get(2).map_err(db)?,
                    started_at: from_micros(row.try_get(3).map_err(db)?),
                    heartbeat_at: from_micros(row.try_get(4).map_err(db)?),
                })
            })
            .collect()
    }

    /// Renews this replica's leases for `ttl`, gives back those beyond `share` and takes free or expired
    /// ones up to it, in one transaction. Returns the shards held now.
    pub(crate) async fn balance_leases(&self, ttl: Duration, share: usize) -> Result<Vec<u32>> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let renewed = sqlx::query(
            "UPDATE leases SET expires_at = now() + make_interval(secs => $2) WHERE owner = $1 RETURNING shard",
        )
        .bind(&self.replica)
        .bind(ttl.as_secs_f64())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let mut held: Vec<u32> = renewed
            .iter()
            .map(|row| row.try_get::<i32, _>(0).map(|s| s as u32))
            .collect::<Result<_, _>>()
            .map_err(db)?;
        held.sort_unstable();
        if held.len() > share {
            let extra: Vec<i32> = held.split_off(share).into_iter().map(|shard| shard as i32).collect();
            sqlx::query("UPDATE leases SET owner = NULL, expires_at = 'epoch' WHERE owner = $1 AND shard = ANY($2)")
                .bind(&self.replica)
                .bind(extra)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        } else if held.len() < share {
            let taken = sqlx::query(
                "UPDATE leases SET owner = $1, expires_at = now() + make_interval(secs => $2) WHERE shard IN \
                 (SELECT shard FROM leases WHERE owner IS NULL OR expires_at < now() ORDER BY shard LIMIT $3 \
                 FOR UPDATE SKIP LOCKED) RETURNING shard",
            )
            .bind(&self.replica)
            .bind(ttl.as_secs_f64())
            .bind((share - held.len()) as i64)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
            for row in taken {
                held.push(row.try_get::<i32, _>(0).map_err(db)? as u32);
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(held)
    }

    /// Gives back every lease and leaves the replicas (a clean shutdown: the others take over at once).
    pub(crate) async fn leave(&self) -> Result<()> {
        sqlx::query("UPDATE leases SET owner = NULL, expires_at = 'epoch' WHERE owner = $1")
            .bind(&self.replica)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM replicas WHERE name = $1")
            .bind(&self.replica)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}
