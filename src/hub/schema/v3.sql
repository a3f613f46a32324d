-- Version 3: whether each box's own store takes its rows, from its
-- heartbeat (`store`): the last report as JSON, and whether a
-- `box_store_failing` alert is open for it.
ALTER TABLE box ADD COLUMN store_json TEXT;
ALTER TABLE box ADD COLUMN store_failing INTEGER NOT NULL DEFAULT 0;
