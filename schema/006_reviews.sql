-- 006_reviews.sql — several reviewers per queue row (serve / review
-- --reviews-per-item R): the queue holds one decision per row, so each
-- reviewer's own answer on a row lives here, one row per (queue row,
-- reviewer). It is the current state; the history stays in decision_log,
-- which every answer and its undo are appended to as before (so `consensus
-- --db`, which reads each reviewer's latest live log entry, sees exactly the
-- answers held here). Answers never touch the queue row itself.
-- Written with IF NOT EXISTS and no ALTER, so applying it twice is harmless.

CREATE TABLE IF NOT EXISTS reviews (
    id          INTEGER PRIMARY KEY,
    queue_id    INTEGER NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
    run_id      INTEGER NOT NULL,
    reviewer    TEXT    NOT NULL,
    status      TEXT    NOT NULL                 -- pending = answer withdrawn
                CHECK (status IN ('pending','keep','relabel','drop','skip')),
    new_label   INTEGER,                         -- class index for relabel
    verdict     TEXT CHECK (verdict IS NULL OR verdict IN ('error','ambiguous','false_alarm')),
    note        TEXT,
    decided_at  TEXT    NOT NULL,
    version     INTEGER NOT NULL,                -- bumped on every change of this answer
    UNIQUE (queue_id, reviewer)
);
CREATE INDEX IF NOT EXISTS reviews_by_run ON reviews(run_id, queue_id);

-- The decision_log entries that are such answers (and their undos): a
-- single-reviewer undo (db_undo_last) never takes one of them, and a
-- several-reviewer undo takes only them.
CREATE TABLE IF NOT EXISTS review_entries (
    log_id INTEGER PRIMARY KEY REFERENCES decision_log(id)
);
