-- Version 3: whether each box's own store takes its rows, from its
-- heartbeat (`store`): the last report as JSON, and whether a
-- `box_store_failing` alert is open for it.
ALTER TABLE box ADD COLUMN store_json TEXT;
ALTER TABLE box ADD COLUMN store_failing INTEGER NOT NULL DEFAULT 0;
-- Whether an alert has been handed to the MQTT publisher (`[mqtt]`), apart
-- from its delivery by webhook.
ALTER TABLE alert ADD COLUMN published INTEGER NOT NULL DEFAULT 0;
