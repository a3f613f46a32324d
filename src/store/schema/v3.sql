-- Version 3: the outbox. A row here means "the hub has not confirmed this
-- yet". It points at a minute, event or clip row; the data itself is read
-- when the batch is sent, so a minute rewritten while waiting goes out in its
-- final form. `revision` grows on every rewrite: a confirmation removes the
-- row only if it confirms the revision that was sent.
-- Media never goes in here: a clip row points at files on disk.
CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL CHECK (kind IN ('minute', 'event', 'clip')),
    ref           INTEGER NOT NULL,  -- minute.rowid, event.id or clip.id
    window        TEXT    NOT NULL,
    revision      INTEGER NOT NULL DEFAULT 1,
    enqueued_unix REAL    NOT NULL,
    bytes         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, ref)
);
CREATE INDEX outbox_kind_seq ON outbox (kind, seq);
