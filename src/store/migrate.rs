//! SQLite's schema migrations: the SQL files in `migrations/sqlite/`, applied in order, each once, each in
//! its own transaction, and recorded with a checksum so that an edited migration is noticed instead of
//! skipped. (Postgres has its own folder, `migrations/postgres/`, which sqlx runs.)

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha384};

use super::{Error, Result};

/// One migration: its version (the file name's numeric prefix), description and SQL.
pub(super) struct Migration {
    /// Applied in increasing order.
    pub version: i64,
    /// What it does (from the file name).
    pub description: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// Every migration, oldest first.
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 20261125000000,
        description: "initial",
        sql: include_str!("../../migrations/sqlite/20261125000000_initial.sql"),
    },
    Migration {
        version: 20261126000000,
        description: "silences",
        sql: include_str!("../../migrations/sqlite/20261126000000_silences.sql"),
    },
    Migration {
        version: 20261127000000,
        description: "alert versions",
        sql: include_str!("../../migrations/sqlite/20261127000000_alert_versions.sql"),
    },
    Migration {
        version: 20261130000000,
        description: "probe and quarantine",
        sql: include_str!("../../migrations/sqlite/20261130000000_probe_and_quarantine.sql"),
    },
    Migration {
        version: 20261201000000,
        description: "group state",
        sql: include_str!("../../migrations/sqlite/20261201000000_group_state.sql"),
    },
    Migration {
        version: 20261202000000,
        description: "config versions",
        sql: include_str!("../../migrations/sqlite/20261202000000_config_versions.sql"),
    },
    Migration {
        version: 20261203000000,
        description: "notification history",
        sql: include_str!("../../migrations/sqlite/20261203000000_notification_history.sql"),
    },
    Migration {
        version: 20261204000000,
        description: "history outcome indexes",
        sql: include_str!("../../migrations/sqlite/20261204000000_history_outcome_indexes.sql"),
    },
];

/// The bookkeeping table. Its name and shape are those of the migration tool Herald used before, so that a
/// data directory written by an earlier release carries on where it stopped.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// Applies the migrations in `migrations` that `conn` has not seen yet.
pub(super) fn run(conn: &mut Connection, migrations: &[Migration]) -> Result<()> {
    conn.execute_batch(CREATE_TABLE).map_err(failed("creating the migrations table"))?;
    for migration in migrations {
        let checksum = Sha384::digest(migration.sql.as_bytes()).to_vec();
        let applied: Option<(Vec<u8>, bool)> = conn
            .query_row(
                "SELECT checksum, success FROM _sqlx_migrations WHERE version = ?1",
                [migration.version],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(failed("reading the migrations table"))?;
        match applied {
            Some((stored, true)) if stored == checksum => continue,
            Some((_, true)) => {
                return Err(Error::Database(format!(
                    "migration {} ({}) was applied from different SQL than this release ships",
                    migration.version, migration.description
                )));
            }
            Some((_, false)) => {
                return Err(Error::Database(format!(
                    "migration {} ({}) is recorded as failed; restore the data directory from a backup",
                    migration.version, migration.description
                )));
            }
            None => {}
        }
        let started = std::time::Instant::now();
        let tx = conn.transaction().map_err(failed("starting a migration"))?;
        tx.execute_batch(migration.sql).map_err(|err| {
            Error::Database(format!("migration {} ({}): {err}", migration.version, migration.description))
        })?;
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (?1, ?2, TRUE, ?3, ?4)",
            params![
                migration.version,
                migration.description,
                checksum,
                i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX)
            ],
        )
        .map_err(failed("recording a migration"))?;
        tx.commit().map_err(failed("committing a migration"))?;
        tracing::info!(version = migration.version, description = migration.description, "Migration applied.");
    }
    Ok(())
}

fn failed(what: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |err| Error::Database(format!("{what}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_an_edited_one_is_refused() {
        let mut conn = Connection::open_in_memory().expect("opens");
        run(&mut conn, MIGRATIONS).expect("applies");
        run(&mut conn, MIGRATIONS).expect("a second run has nothing to do");
        let count: i64 = conn.query_row("SELECT count(*) FROM _sqlx_migrations", [], |row| row.get(0)).expect("counts");
        assert_eq!(count, MIGRATIONS.len() as i64);
        let edited = [Migration { version: MIGRATIONS[0].version, description: "initial", sql: "SELECT 1;" }];
        let err = run(&mut conn, &edited).expect_err("refused");
        assert!(err.to_string().contains("different SQL"), "{err}");
    }

    #[test]
    fn the_list_names_every_file_in_the_migrations_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("readable")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS.iter().map(|m| format!("{}_", m.version)).collect();
        assert_eq!(files.len(), listed.len(), "{files:?}");
        for (file, prefix) in files.iter().zip(&listed) {
            assert!(file.starts_with(prefix), "{file} is not listed in order");
        }
    }
}
