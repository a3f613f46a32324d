-- Liyi edge store, schema version 1: events and per-minute metrics.
-- Numbers only: no pixels, no identities beyond the window id.
CREATE TABLE event (
    id          INTEGER PRIMARY KEY,
    window      TEXT    NOT NULL,
    rule        TEXT    NOT NULL,
    start       TEXT    NOT NULL,   -- RFC 3339 with offset
    start_unix  REAL    NOT NULL,
    end         TEXT    NOT NULL,
    duration_s  REAL    NOT NULL,
    confidence  REAL    NOT NULL,
    closed_by   TEXT    NOT NULL,
    values_json TEXT    NOT NULL,
    UNIQUE (window, rule, start)
);
CREATE INDEX event_window_start ON event (window, start_unix);

CREATE TABLE minute (
    window       TEXT NOT NULL,
    minute       TEXT NOT NULL,     -- RFC 3339 with offset, start of the minute
    minute_unix  REAL NOT NULL,
    observed_s   REAL NOT NULL,
    in_service_s REAL NOT NULL,
    staffed_s    REAL NOT NULL,
    compliant_s  REAL NOT NULL,
    unknown_s    REAL NOT NULL,
    rules_json   TEXT NOT NULL,     -- {"absent": {"violation_s": .., "events": ..}, ...}
    PRIMARY KEY (window, minute_unix)
);
