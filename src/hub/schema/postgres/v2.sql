-- Version 2: quarter-hour roll-ups of the minute rows (see ../sqlite/v5.sql).
CREATE TABLE minute_quarter (
    box          TEXT NOT NULL,
    window_id    TEXT NOT NULL,
    quarter_ms   BIGINT NOT NULL,
    quarter_unix DOUBLE PRECISION NOT NULL,
    minutes      BIGINT NOT NULL,
    observed_s   DOUBLE PRECISION NOT NULL,
    in_service_s DOUBLE PRECISION NOT NULL,
    staffed_s    DOUBLE PRECISION NOT NULL,
    compliant_s  DOUBLE PRECISION NOT NULL,
    unknown_s    DOUBLE PRECISION NOT NULL,
    rules_json   TEXT NOT NULL,
    PRIMARY KEY (box, window_id, quarter_ms)
);
CREATE INDEX minute_quarter_time ON minute_quarter (quarter_unix);
