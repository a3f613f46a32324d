-- Version 5: rows that left the outbox without reaching the hub. The hub
-- refused them for good (400/422: a minute dated ahead of its clock, say),
-- or the queued row could not be read. The row itself stays in its table;
-- this records what was not sent and why, so the box can show supervisors
-- a count and the hub can show it on its health page. Numbers and text only.
CREATE TABLE unsent (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT    NOT NULL,
    ref       INTEGER,            -- minute.rowid, event.id or clip.id (NULL when unreadable)
    window    TEXT,
    reason    TEXT    NOT NULL,   -- at most 300 characters
    at_unix   REAL    NOT NULL
);
