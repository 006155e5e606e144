-- Herald's state in Postgres, shared by every replica. Timestamps are microseconds since the Unix epoch;
-- 64-bit ids (fingerprints, group ids, alert versions) are stored as signed integers. Each row's `data` is
-- the same JSON document the change feed carries, so that a replica reads a row and a change alike.

CREATE TABLE alert_versions (
    version     BIGINT PRIMARY KEY,
    fingerprint BIGINT NOT NULL,
    data        TEXT   NOT NULL
);
CREATE INDEX alert_versions_fingerprint ON alert_versions (fingerprint);

CREATE TABLE groups (
    id   BIGINT PRIMARY KEY,
    data TEXT   NOT NULL
);

CREATE TABLE nflog (
    key  TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE silences (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE config_versions (
    number BIGINT PRIMARY KEY,
    data   TEXT   NOT NULL
);

CREATE TABLE notification_history (
    id             BIGSERIAL PRIMARY KEY,
    at             BIGINT  NOT NULL,
    receiver       TEXT    NOT NULL,
    integration    TEXT    NOT NULL,
    idx            BIGINT  NOT NULL,
    group_key      TEXT    NOT NULL,
    group_id       TEXT    NOT NULL,
    fingerprints   TEXT    NOT NULL,
    attempt        BIGINT  NOT NULL,
    outcome        TEXT    NOT NULL,
    reason         TEXT,
    status         INTEGER,
    latency_ms     BIGINT  NOT NULL,
    error          TEXT,
    level          BIGINT,
    correlation_id TEXT
);
CREATE INDEX notification_history_at ON notification_history (at);
CREATE INDEX notification_history_receiver ON notification_history (receiver, id);
CREATE INDEX notification_history_group ON notification_history (group_id, id);

-- The change feed: every committed batch, in commit order (writers take one advisory lock, so `seq` grows in
-- the order transactions commit), for the other replicas to apply. `replica` is the writer's identity
-- (name#start). Pruned after an hour; `feed_state` remembers how far, so that a replica further behind
-- knows it missed changes.
CREATE TABLE changes (
    seq     BIGSERIAL   PRIMARY KEY,
    replica TEXT        NOT NULL,
    at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    body    TEXT        NOT NULL
);

CREATE TABLE feed_state (
    id             INTEGER PRIMARY KEY,
    pruned_through BIGINT  NOT NULL
);
INSERT INTO feed_state (id, pruned_through) VALUES (1, 0);

-- Replicas, one row per process start (`id` is name#start): each writes its heartbeat; the live ones share
-- the shards.
CREATE TABLE replicas (
    id           TEXT        PRIMARY KEY,
    name         TEXT        NOT NULL,
    start        BIGINT      NOT NULL,
    address      TEXT        NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);

-- Group ownership: a group belongs to shard (id mod 64); the replica holding a shard's unexpired lease
-- notifies its groups.
CREATE TABLE leases (
    shard      INTEGER     PRIMARY KEY,
    owner      TEXT,
    expires_at TIMESTAMPTZ NOT NULL DEFAULT 'epoch'
);
INSERT INTO leases (shard) SELECT generate_series(0, 63);

-- Each process start takes a number, which makes the alert versions it hands out its own.
CREATE SEQUENCE replica_starts;

CREATE TABLE store_probe (
    id         INTEGER PRIMARY KEY,
    written_at BIGINT  NOT NULL
);
