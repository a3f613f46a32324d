-- Version 2: identity keys are canonical instants, UTC integer milliseconds
-- (`*_ms`), never the text a box sent: `2026-11-28T01:00:00+00:00` and
-- `2026-11-28T09:00:00+08:00` are one key. The text stays, as sent, for
-- display. Rows stored under version 1 are repaired here:
-- - every `*_ms` comes from the `*_unix` seconds the hub computed from the
--   text when it stored the row (`round(unix * 1000)`, exact for them);
-- - events stored twice under two offsets are merged: the newest revision
--   (latest received, then highest id) stays, and a false-alarm mark on any
--   of them is kept;
-- - clips stored twice are merged the same way, a kept teaching case first;
--   a dropped duplicate's files go to `clip_file_gone` for retention to
--   delete, unless a remaining clip uses the same path;
-- - clips join events on (box, window, rule, start_ms), so they link.

-- Minutes: keyed by minute_ms.
CREATE TABLE minute_v2 (
    box          TEXT NOT NULL,
    window       TEXT NOT NULL,
    minute       TEXT NOT NULL,
    minute_ms    INTEGER NOT NULL,   -- UTC milliseconds: the key
    minute_unix  REAL NOT NULL,      -- minute_ms / 1000, for range queries
    observed_s   REAL NOT NULL,
    in_service_s REAL NOT NULL,
    staffed_s    REAL NOT NULL,
    compliant_s  REAL NOT NULL,
    unknown_s    REAL NOT NULL,
    rules_json   TEXT NOT NULL,
    received_unix REAL NOT NULL,
    PRIMARY KEY (box, window, minute_ms)
);
INSERT INTO minute_v2 (box, window, minute, minute_ms, minute_unix, observed_s, in_service_s, staffed_s, compliant_s, unknown_s, rules_json,
                       received_unix)
SELECT box, window, minute, CAST(ROUND(minute_unix * 1000.0) AS INTEGER), ROUND(minute_unix * 1000.0) / 1000.0, observed_s, in_service_s,
       staffed_s, compliant_s, unknown_s, rules_json, received_unix
FROM minute WHERE true
ON CONFLICT (box, window, minute_ms) DO NOTHING;
DROP TABLE minute;
ALTER TABLE minute_v2 RENAME TO minute;
CREATE INDEX minute_time ON minute (minute_unix);

-- Events: keyed by start_ms; duplicates merged.
ALTER TABLE event ADD COLUMN start_ms INTEGER;
UPDATE event SET start_ms = CAST(ROUND(start_unix * 1000.0) AS INTEGER);
CREATE INDEX event_key_v1 ON event (box, window, rule, start_ms);
CREATE TABLE event_v2 (
    id          INTEGER PRIMARY KEY,
    box         TEXT NOT NULL,
    window      TEXT NOT NULL,
    rule        TEXT NOT NULL,
    start       TEXT NOT NULL,      -- as the box sent it
    start_ms    INTEGER NOT NULL,   -- UTC milliseconds: the key
    start_unix  REAL NOT NULL,
    end         TEXT NOT NULL,
    end_ms      INTEGER NOT NULL,
    end_unix    REAL NOT NULL,
    duration_s  REAL NOT NULL,
    confidence  REAL NOT NULL,
    closed_by   TEXT NOT NULL,
    values_json TEXT NOT NULL,
    received_unix REAL NOT NULL,
    false_alarm_by   TEXT,
    false_alarm_unix REAL,
    UNIQUE (box, window, rule, start_ms)
);
INSERT INTO event_v2 (id, box, window, rule, start, start_ms, start_unix, end, end_ms, end_unix, duration_s, confidence, closed_by, values_json,
                      received_unix, false_alarm_by, false_alarm_unix)
SELECT e.id, e.box, e.window, e.rule, e.start, e.start_ms, e.start_ms / 1000.0, e.end, CAST(ROUND(e.end_unix * 1000.0) AS INTEGER),
       e.end_unix, e.duration_s, e.confidence, e.closed_by, e.values_json, e.received_unix,
       COALESCE(e.false_alarm_by, (SELECT d.false_alarm_by FROM event d WHERE d.box = e.box AND d.window = e.window AND d.rule = e.rule
                                   AND d.start_ms = e.start_ms AND d.false_alarm_by IS NOT NULL ORDER BY d.false_alarm_unix DESC LIMIT 1)),
       COALESCE(e.false_alarm_unix, (SELECT MAX(d.false_alarm_unix) FROM event d WHERE d.box = e.box AND d.window = e.window AND d.rule = e.rule
                                     AND d.start_ms = e.start_ms AND d.false_alarm_by IS NOT NULL))
FROM event e
WHERE NOT EXISTS (
    SELECT 1 FROM event n WHERE n.box = e.box AND n.window = e.window AND n.rule = e.rule AND n.start_ms = e.start_ms
      AND (n.received_unix > e.received_unix OR (n.received_unix = e.received_unix AND n.id > e.id))
);
DROP TABLE event;
ALTER TABLE event_v2 RENAME TO event;
CREATE INDEX event_time ON event (start_unix);

-- Clips: keyed and joined by event_start_ms; duplicates merged.
ALTER TABLE clip ADD COLUMN event_start_ms INTEGER;
UPDATE clip SET event_start_ms = CAST(ROUND(event_start_unix * 1000.0) AS INTEGER);
ALTER TABLE clip ADD COLUMN rank INTEGER;
UPDATE clip SET rank = CASE status WHEN 'kept' THEN 3 WHEN 'new' THEN 2 WHEN 'discarded' THEN 1 ELSE 0 END;
CREATE INDEX clip_key_v1 ON clip (box, window, rule, event_start_ms);
CREATE TABLE clip_v2 (
    id            INTEGER PRIMARY KEY,
    box           TEXT NOT NULL,
    window        TEXT NOT NULL,
    rule          TEXT NOT NULL,
    event_start   TEXT NOT NULL,      -- as the box sent it
    event_start_ms INTEGER NOT NULL,  -- UTC milliseconds: the key, and the join to event.start_ms
    event_start_unix REAL NOT NULL,
    trigger_ts    TEXT NOT NULL,
    received_unix REAL NOT NULL,
    video         TEXT NOT NULL UNIQUE,   -- relative to the hub's clips folder; one file per clip
    thumbnail     TEXT NOT NULL,
    sidecar_json  TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'kept', 'discarded', 'expired')),
    notes         TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '',
    reviewed_by   TEXT,
    UNIQUE (box, window, rule, event_start_ms)
);
CREATE TABLE clip_keep_v1 AS
SELECT k.id FROM clip k
WHERE NOT EXISTS (
    SELECT 1 FROM clip n WHERE n.box = k.box AND n.window = k.window AND n.rule = k.rule AND n.event_start_ms = k.event_start_ms
      AND (n.rank > k.rank OR (n.rank = k.rank AND n.id > k.id))
);
-- Version 1 could give two clips one path (same second, another offset or
-- sub-second): the files are shared, so of such clips one row keeps them.
INSERT INTO clip_v2 (id, box, window, rule, event_start, event_start_ms, event_start_unix, trigger_ts, received_unix, video, thumbnail,
                     sidecar_json, bytes, status, notes, tags, reviewed_by)
SELECT id, box, window, rule, event_start, event_start_ms, event_start_ms / 1000.0, trigger_ts, received_unix, video, thumbnail,
       sidecar_json, bytes, status, notes, tags, reviewed_by
FROM clip WHERE id IN (SELECT id FROM clip_keep_v1) ORDER BY rank DESC, id DESC
ON CONFLICT (video) DO NOTHING;
-- Files of the dropped rows that no remaining clip uses: for retention.
CREATE TABLE clip_file_gone (
    path TEXT PRIMARY KEY   -- relative to the hub's clips folder
);
INSERT INTO clip_file_gone (path)
SELECT f FROM (SELECT video AS f FROM clip WHERE id NOT IN (SELECT id FROM clip_v2)
               UNION SELECT thumbnail FROM clip WHERE id NOT IN (SELECT id FROM clip_v2))
WHERE f NOT IN (SELECT video FROM clip_v2) AND f NOT IN (SELECT thumbnail FROM clip_v2)
ON CONFLICT (path) DO NOTHING;
DROP TABLE clip_keep_v1;
DROP TABLE clip;
ALTER TABLE clip_v2 RENAME TO clip;
CREATE INDEX clip_time ON clip (event_start_unix);

ALTER TABLE refused_clip ADD COLUMN event_start_ms INTEGER;
UPDATE refused_clip SET event_start_ms = CAST(ROUND((julianday(event_start) - 2440587.5) * 86400000.0) AS INTEGER);
