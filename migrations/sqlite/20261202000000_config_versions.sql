-- Every config applied (from the file at start-up or on reload, through the API, or by a rollback), in order.
CREATE TABLE config_versions (
    number     INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL,
    author     TEXT    NOT NULL,
    comment    TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    text       TEXT    NOT NULL
);
