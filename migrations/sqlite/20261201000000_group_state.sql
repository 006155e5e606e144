-- A group's escalation and acknowledgement state (JSON), NULL for the groups that have none.
ALTER TABLE groups ADD COLUMN state TEXT;
