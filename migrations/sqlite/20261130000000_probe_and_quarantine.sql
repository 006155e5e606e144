-- store_probe: one row rewritten to learn whether the database takes writes again after a failure.
CREATE TABLE store_probe (
    id         INTEGER PRIMARY KEY,
    written_at INTEGER NOT NULL
);

-- quarantine: rows that could not be read back at start-up, moved aside with the reason, so that one bad row
-- never stops Herald from starting and nothing is destroyed.
CREATE TABLE quarantine (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    source_table   TEXT    NOT NULL,
    row_key        TEXT    NOT NULL,
    row_data       TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    quarantined_at INTEGER NOT NULL
);
