-- 007_pairs.sql — reviewers' answers on a duplicate / leak PAIR (serve's
-- pair view): this example X (a training row) and its partner Y (the
-- partner of X's most severe pair issue, queue_issues; a training row, or a
-- test row for a leak). choice, read on the pair (X, Y):
--   drop      = drop X, keep Y;
--   keep      = keep X, drop Y (a leak: Y is dropped from the test split);
--   keep_both = not duplicates: clean --drop-issues drops neither for it.
-- Append-only: every answer and every undo is a new row; the current answer
-- of a pair is its latest row, and none when that row is an undo (undone =
-- 1). So the history stays and undo needs no UPDATE.
-- IF NOT EXISTS throughout: applying it twice is harmless.

CREATE TABLE IF NOT EXISTS pair_decisions (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row           INTEGER NOT NULL,      -- X, a training row of the run
    partner       INTEGER NOT NULL,      -- Y
    partner_split TEXT    NOT NULL CHECK (partner_split IN ('train','test')),
    choice        TEXT    NOT NULL CHECK (choice IN ('drop','keep','keep_both')),
    reviewer      TEXT    NOT NULL,
    decided_at    TEXT    NOT NULL,
    undone        INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
                                         -- 1: this row withdraws the pair's answer
    FOREIGN KEY (run_id, row) REFERENCES examples(run_id, row) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS pair_decisions_by_pair ON pair_decisions(run_id, row, partner, partner_split, id);
