-- 001_init.sql — the first labelaudit schema: audit runs, their examples,
-- the review queue and the append-only decision log.
-- Conventions: every table has an integer primary key; times are ISO-8601 UTC
-- text; JSON columns hold jansson-written text; labels are class indices into
-- the run's class list (run_classes), names are stored beside them for export.

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT    NOT NULL,            -- ISO-8601 UTC
    version         TEXT    NOT NULL,            -- labelaudit version
    kind            TEXT    NOT NULL DEFAULT 'audit', -- audit | retrain
    dataset_path    TEXT    NOT NULL,
    dataset_hash    TEXT    NOT NULL,            -- content hash of the inputs
    labels_path     TEXT,
    pred_probs_path TEXT,
    n               INTEGER NOT NULL,
    k               INTEGER NOT NULL,
    method          TEXT    NOT NULL,            -- filter_by
    rank_by         TEXT    NOT NULL,
    options_json    TEXT    NOT NULL,
    error_rate      REAL    NOT NULL,            -- estimated label-error rate
    health          REAL    NOT NULL,            -- overall label health score
    num_flagged     INTEGER NOT NULL,
    summary_json    TEXT    NOT NULL             -- the audit's summary.json
);

CREATE TABLE run_classes (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    class_index INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    given_count INTEGER NOT NULL,
    num_issues  INTEGER NOT NULL,               -- flagged with this given label
    error_rate  REAL    NOT NULL,               -- estimated noise rate
    quality     REAL    NOT NULL,               -- label quality score
    PRIMARY KEY (run_id, class_index)
);

-- K x K matrices per run: confident joint (calibrated) and noise matrix.
CREATE TABLE run_matrices (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,                   -- 'confident_joint' | 'noise_matrix'
    row     INTEGER NOT NULL,                   -- first index (given label)
    col     INTEGER NOT NULL,                   -- second index (true label)
    value   REAL    NOT NULL,
    PRIMARY KEY (run_id, name, row, col)
);

CREATE TABLE examples (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row        INTEGER NOT NULL,                -- 0-based position in the dataset
    dataset_id TEXT    NOT NULL,                -- stable example id
    given      INTEGER NOT NULL,
    suggested  INTEGER NOT NULL,                -- argmax of the predicted probabilities
    quality    REAL    NOT NULL,                -- label quality score
    is_issue   INTEGER NOT NULL,                -- 0/1
    rank       INTEGER,                         -- 1-based rank among flagged, NULL if not flagged
    image_path TEXT,
    features   TEXT,                            -- flagged tabular rows: JSON list of the most
                                                -- telling features [{"name","value","given_mean",
                                                -- "suggested_mean","z"}], else NULL
    PRIMARY KEY (run_id, row)
);
CREATE INDEX examples_by_id ON examples(run_id, dataset_id);
-- Contact sheets page through flagged examples by rank, overall and per class.
CREATE INDEX examples_by_rank ON examples(run_id, rank) WHERE rank IS NOT NULL;
CREATE INDEX examples_by_class_rank ON examples(run_id, given, rank) WHERE rank IS NOT NULL;

-- One row per flagged example of a run. A decision made in an earlier run on
-- the same dataset_id is carried into the new run's queue (carried_from).
CREATE TABLE queue (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row          INTEGER NOT NULL,
    dataset_id   TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending','keep','relabel','drop','skip')),
    new_label    INTEGER,                       -- class index for relabel
    reviewer     TEXT,
    decided_at   TEXT,
    note         TEXT,
    version      INTEGER NOT NULL DEFAULT 0,    -- bumped on every change (optimistic locking)
    carried_from INTEGER REFERENCES queue(id),  -- the earlier decision this one came from
    UNIQUE (run_id, row),
    FOREIGN KEY (run_id, row) REFERENCES examples(run_id, row)
);
CREATE INDEX queue_by_dataset_id ON queue(dataset_id);
-- carry-over and imports look ids up within one run
CREATE INDEX queue_by_run_dataset_id ON queue(run_id, dataset_id);

-- Append-only: every decision, undo and import, never updated or deleted.
CREATE TABLE decision_log (
    id         INTEGER PRIMARY KEY,
    queue_id   INTEGER NOT NULL REFERENCES queue(id),
    run_id     INTEGER NOT NULL,
    dataset_id TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    new_label  INTEGER,
    reviewer   TEXT,
    note       TEXT,
    source     TEXT    NOT NULL,                -- 'serve' | 'review' | 'import' | 'undo' | 'carry'
    at         TEXT    NOT NULL,
    version    INTEGER,                         -- queue.version after this entry
    undoes     INTEGER REFERENCES decision_log(id), -- for 'undo': the entry undone
    -- the queue row's state before this entry (what an undo restores)
    prev_status     TEXT,
    prev_new_label  INTEGER,
    prev_reviewer   TEXT,
    prev_decided_at TEXT,
    prev_note       TEXT,
    prev_carried_from INTEGER
);
CREATE INDEX decision_log_by_reviewer ON decision_log(reviewer, id);
CREATE INDEX decision_log_by_queue ON decision_log(queue_id);
CREATE INDEX decision_log_by_undoes ON decision_log(undoes) WHERE undoes IS NOT NULL;
CREATE TRIGGER decision_log_no_update BEFORE UPDATE ON decision_log
BEGIN SELECT RAISE(ABORT, 'decision_log is append-only'); END;
CREATE TRIGGER decision_log_no_delete BEFORE DELETE ON decision_log
BEGIN SELECT RAISE(ABORT, 'decision_log is append-only'); END;

-- The queue as reviewers see it: each row with its example, and `disagrees` = 1
-- when a decision carried over from an earlier run disagrees with this run
-- (relabel to a class other than the new suggestion, or keep although the new
-- run flags the example again).
CREATE VIEW queue_view AS
SELECT q.id AS queue_id, q.run_id, q.row, q.dataset_id, e.given, e.suggested,
       e.quality, e.rank, e.image_path, e.features, q.status, q.new_label,
       q.reviewer, q.decided_at, q.note, q.version, q.carried_from,
       CASE WHEN q.carried_from IS NOT NULL AND
                 ((q.status = 'relabel' AND q.new_label IS NOT e.suggested)
                  OR q.status = 'keep')
            THEN 1 ELSE 0 END AS disagrees
FROM queue q JOIN examples e ON e.run_id = q.run_id AND e.row = q.row;

-- Cross-validation / retrain metrics attached to a run (metrics.json text).
CREATE TABLE run_metrics (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,              -- 'cv' | 'retrain'
    created_at   TEXT    NOT NULL,
    metrics_json TEXT    NOT NULL
);
