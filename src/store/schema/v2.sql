-- Version 2: the index of flagged clips. Media never goes into SQLite: each
-- clip is three files (MP4, PNG thumbnail, JSON sidecar) under the clips
-- folder, and a row holds their paths, relative to that folder.
CREATE TABLE clip (
    id INTEGER PRIMARY KEY,
    window TEXT NOT NULL,
    rule TEXT NOT NULL,
    -- The violation this clip shows: joins event (window, rule, start) once
    -- the violation has closed.
    event_start TEXT NOT NULL,
    trigger_ts TEXT NOT NULL,
    created_unix REAL NOT NULL,
    video TEXT NOT NULL,
    thumbnail TEXT NOT NULL,
    sidecar TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    UNIQUE (window, rule, event_start)
);
CREATE INDEX clip_created ON clip (created_unix);
