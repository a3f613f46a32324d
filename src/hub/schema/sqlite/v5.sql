-- Version 5: quarter-hour roll-ups of the minute rows, per box and window,
-- written in the same transaction as the minutes they sum, so a day's
-- summary reads 96 rows per window instead of up to 1,440. Quarter hours,
-- not hours: every time zone's offset is a whole number of quarter hours,
-- so a quarter never straddles a local hour or midnight. The rows are
-- filled from the stored minutes when a store first opens with this
-- version (`HubDb::rebuild_quarters`).
CREATE TABLE minute_quarter (
    box          TEXT NOT NULL,
    window_id    TEXT NOT NULL,
    quarter_ms   INTEGER NOT NULL,   -- UTC milliseconds of the quarter's start: the key
    quarter_unix REAL NOT NULL,
    minutes      INTEGER NOT NULL,   -- minute rows summed
    observed_s   REAL NOT NULL,
    in_service_s REAL NOT NULL,
    staffed_s    REAL NOT NULL,
    compliant_s  REAL NOT NULL,
    unknown_s    REAL NOT NULL,
    rules_json   TEXT NOT NULL,      -- per rule: violation_s and events, summed
    PRIMARY KEY (box, window_id, quarter_ms)
);
CREATE INDEX minute_quarter_time ON minute_quarter (quarter_unix);
