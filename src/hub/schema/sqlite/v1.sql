-- Liyi hub, schema version 1. Numbers and redacted clips' paths; no pixels
-- in here. Every box row is keyed by the box, so resent rows are stored once.
CREATE TABLE box (
    id             TEXT PRIMARY KEY,
    hall           TEXT NOT NULL,
    token_sha256   TEXT NOT NULL UNIQUE,   -- the token itself is never stored
    created_unix   REAL NOT NULL,
    last_seen_unix REAL,
    boot_unix      REAL,
    version        TEXT,
    outbox_json    TEXT,
    silent         INTEGER NOT NULL DEFAULT 0   -- an offline alert is open
);

CREATE TABLE camera (
    box            TEXT NOT NULL REFERENCES box (id) ON DELETE CASCADE,
    window         TEXT NOT NULL,
    name           TEXT NOT NULL,
    source_up      INTEGER NOT NULL,
    last_seen_unix REAL NOT NULL,
    boot_unix      REAL NOT NULL,
    frames_stale   INTEGER NOT NULL,
    down_since_unix REAL,
    alerted        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (box, window)
);

-- Per camera and local day, from heartbeats: time offline and frames dropped.
CREATE TABLE camera_day (
    box        TEXT NOT NULL,
    window     TEXT NOT NULL,
    day        TEXT NOT NULL,   -- YYYY-MM-DD, hub timezone
    offline_s  REAL NOT NULL DEFAULT 0,
    dropped    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (box, window, day)
);

CREATE TABLE minute (
    box          TEXT NOT NULL,
    window       TEXT NOT NULL,
    minute       TEXT NOT NULL,
    minute_unix  REAL NOT NULL,
    observed_s   REAL NOT NULL,
    in_service_s REAL NOT NULL,
    staffed_s    REAL NOT NULL,
    compliant_s  REAL NOT NULL,
    unknown_s    REAL NOT NULL,
    rules_json   TEXT NOT NULL,
    received_unix REAL NOT NULL,
    PRIMARY KEY (box, window, minute_unix)
);
CREATE INDEX minute_time ON minute (minute_unix);

CREATE TABLE event (
    id          INTEGER PRIMARY KEY,
    box         TEXT NOT NULL,
    window      TEXT NOT NULL,
    rule        TEXT NOT NULL,
    start       TEXT NOT NULL,
    start_unix  REAL NOT NULL,
    end         TEXT NOT NULL,
    end_unix    REAL NOT NULL,
    duration_s  REAL NOT NULL,
    confidence  REAL NOT NULL,
    closed_by   TEXT NOT NULL,
    values_json TEXT NOT NULL,
    received_unix REAL NOT NULL,
    false_alarm_by   TEXT,       -- who marked it a false alarm
    false_alarm_unix REAL,
    UNIQUE (box, window, rule, start)
);
CREATE INDEX event_time ON event (start_unix);

CREATE TABLE clip (
    id            INTEGER PRIMARY KEY,
    box           TEXT NOT NULL,
    window        TEXT NOT NULL,
    rule          TEXT NOT NULL,
    event_start   TEXT NOT NULL,
    event_start_unix REAL NOT NULL,
    trigger_ts    TEXT NOT NULL,
    received_unix REAL NOT NULL,
    video         TEXT NOT NULL,   -- relative to the hub's clips folder
    thumbnail     TEXT NOT NULL,
    sidecar_json  TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'kept', 'discarded', 'expired')),
    notes         TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '',
    reviewed_by   TEXT,
    UNIQUE (box, window, rule, event_start)
);
CREATE INDEX clip_time ON clip (event_start_unix);

-- Uploads refused by the face check: what and why, never the pixels.
CREATE TABLE refused_clip (
    id          INTEGER PRIMARY KEY,
    ts_unix     REAL NOT NULL,
    box         TEXT NOT NULL,
    window      TEXT NOT NULL,
    rule        TEXT NOT NULL,
    event_start TEXT NOT NULL,
    reason      TEXT NOT NULL
);

CREATE TABLE user (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('supervisor', 'trainer', 'admin')),
    hall          TEXT,            -- NULL: every hall
    password_hash TEXT NOT NULL,   -- argon2id PHC string
    created_unix  REAL NOT NULL
);

CREATE TABLE session (
    token_sha256 TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    expires_unix REAL NOT NULL
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    ts_unix REAL NOT NULL,
    user    TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE alert (
    id        INTEGER PRIMARY KEY,
    ts_unix   REAL NOT NULL,
    kind      TEXT NOT NULL,   -- box_offline, box_back, camera_down, camera_back
    box       TEXT NOT NULL,
    window    TEXT,
    delivered INTEGER NOT NULL DEFAULT 0
);

-- Daily summaries delivered, per channel, so each goes out once.
CREATE TABLE report_sent (
    day       TEXT NOT NULL,
    channel   TEXT NOT NULL,
    sent_unix REAL NOT NULL,
    PRIMARY KEY (day, channel)
);
