-- Version 4: the hub may also run on PostgreSQL (`[store] url`), and several
-- hub processes may share one store.
-- - Names PostgreSQL reserves are renamed, so every query is the same on
--   both: the `window` columns become `window_id`, the `user` table
--   `account`, and the audit log's `user` column `actor`.
-- - `lease`: which hub process runs the schedule (reports, alerts,
--   retention); it holds the lease while it renews it.
-- - `report_claim`: a report being sent, claimed before it goes out, so a
--   report is never sent twice, even by two processes.
ALTER TABLE camera RENAME COLUMN window TO window_id;
ALTER TABLE camera_day RENAME COLUMN window TO window_id;
ALTER TABLE minute RENAME COLUMN window TO window_id;
ALTER TABLE event RENAME COLUMN window TO window_id;
ALTER TABLE clip RENAME COLUMN window TO window_id;
ALTER TABLE refused_clip RENAME COLUMN window TO window_id;
ALTER TABLE alert RENAME COLUMN window TO window_id;
ALTER TABLE user RENAME TO account;
ALTER TABLE audit_log RENAME COLUMN user TO actor;

CREATE TABLE lease (
    name         TEXT PRIMARY KEY,   -- 'schedule'
    holder       TEXT NOT NULL,      -- the hub process: host, pid and a random part
    expires_unix REAL NOT NULL
);

CREATE TABLE report_claim (
    day          TEXT NOT NULL,
    channel      TEXT NOT NULL,
    holder       TEXT NOT NULL,
    claimed_unix REAL NOT NULL,
    PRIMARY KEY (day, channel)
);

-- Wrong passwords, so that every hub process sharing the store counts them
-- (per address and per account, as the sign-in limits say).
CREATE TABLE signin_failure (
    id      INTEGER PRIMARY KEY,
    key     TEXT NOT NULL,   -- 'addr:<ip>' or 'user:<name>'
    ts_unix REAL NOT NULL
);
CREATE INDEX signin_failure_key ON signin_failure (key, ts_unix);
