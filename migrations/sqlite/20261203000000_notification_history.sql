-- Every attempt to deliver a notification, newest last, kept for --history.retention.
CREATE TABLE notification_history (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    receiver       TEXT    NOT NULL,
    integration    TEXT    NOT NULL,
    idx            INTEGER NOT NULL,
    group_key      TEXT    NOT NULL,
    group_id       TEXT    NOT NULL,
    fingerprints   TEXT    NOT NULL,
    attempt        INTEGER NOT NULL,
    outcome        TEXT    NOT NULL,
    reason         TEXT,
    status         INTEGER,
    latency_ms     INTEGER NOT NULL,
    error          TEXT,
    level          INTEGER,
    correlation_id TEXT
);
CREATE INDEX notification_history_at ON notification_history (at);
CREATE INDEX notification_history_receiver ON notification_history (receiver, id);
CREATE INDEX notification_history_group ON notification_history (group_id, id);
