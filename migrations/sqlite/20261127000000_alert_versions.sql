-- Alerts become append-only rows: each stored version of an alert is a new row keyed by an increasing version
-- number (so inserts land at the end of the B-tree instead of at random fingerprints), and the row of the
-- version it replaces is deleted in the same transaction. `data` is the alert as UTF-8 JSON (a blob; text in
-- the rows this migration moves over):
-- l (labels), a (annotations), s/e/u (starts, ends, updated; microseconds), g (generator URL), t (timeout 0/1).
CREATE TABLE alert_versions (
    version INTEGER PRIMARY KEY,
    data    BLOB
);

INSERT INTO alert_versions (version, data)
SELECT row_number() OVER (ORDER BY updated_at, fingerprint),
       json_object('l', json(labels), 'a', json(annotations), 's', starts_at, 'e', ends_at, 'u', updated_at,
                   'g', generator_url, 't', timeout)
FROM alerts;

DROP TABLE alerts;
