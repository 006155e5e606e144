-- Herald's durable state. Timestamps are microseconds since the Unix epoch; label sets are JSON objects;
-- 64-bit ids (fingerprints, group ids) are stored as signed integers.

CREATE TABLE alerts (
    fingerprint   INTEGER PRIMARY KEY,
    labels        TEXT    NOT NULL,
    annotations   TEXT    NOT NULL,
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    generator_url TEXT    NOT NULL,
    timeout       INTEGER NOT NULL
);

CREATE TABLE groups (
    id            INTEGER PRIMARY KEY,
    group_key     TEXT    NOT NULL,
    labels        TEXT    NOT NULL,
    receiver      TEXT    NOT NULL,
    next_flush_at INTEGER NOT NULL,
    has_flushed   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE nflog (
    group_key   TEXT    NOT NULL,
    receiver    TEXT    NOT NULL,
    integration TEXT    NOT NULL,
    idx         INTEGER NOT NULL,
    firing      TEXT    NOT NULL,
    resolved    TEXT    NOT NULL,
    sent_at     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (group_key, receiver, integration, idx)
);
