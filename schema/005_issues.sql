-- 005_issues.sql — the dataset checks' findings (checks/, `audit --issues`)
-- recorded with the audit run, so that the report, clean and the review
-- queue know each example's issue types and partners without the raw inputs.
-- One row per line of issues.csv (label issues excepted: those are the
-- examples table's own). `row` is always a TRAINING row; a leak is stored at
-- the training example a test example copies, with the test example as its
-- partner (partner_split 'test'), because the examples table holds training
-- rows only. An example flagged for several types stays ONE queue row (the
-- queue's UNIQUE (run_id, row)); queue_issues lists its types beside it.
-- IF NOT EXISTS throughout: a database whose user_version was set back (the
-- migration tests do) migrates again without tripping over these tables.

CREATE TABLE IF NOT EXISTS example_issues (
    run_id        INTEGER NOT NULL,
    rank          INTEGER NOT NULL,      -- 1-based, issues.csv's severity order
    row           INTEGER NOT NULL,      -- training row
    issue         TEXT    NOT NULL,      -- label_conflict | exact_duplicate | leakage |
                                         -- near_duplicate | image_near_duplicate |
                                         -- outlier | dark | bright | ... (issues.csv)
    score         REAL    NOT NULL,      -- in [0, 1], lower = more severe
    partner       INTEGER,               -- the pair's other row, or NULL
    partner_split TEXT CHECK (partner_split IS NULL OR partner_split IN ('train','test')),
    PRIMARY KEY (run_id, rank),
    FOREIGN KEY (run_id, row) REFERENCES examples(run_id, row) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS example_issues_by_row ON example_issues(run_id, row);
CREATE INDEX IF NOT EXISTS example_issues_by_issue ON example_issues(run_id, issue, rank);

-- What the report shows of an example an issue names: every training row
-- in example_issues and every partner, test rows included (split 'test',
-- with the test set's ids and image paths). pixels: image_h x image_w x
-- channels bytes of datasets without image files (as example_pixels);
-- features: a JSON array [[name, value], ...] of a table's first columns.
CREATE TABLE IF NOT EXISTS issue_examples (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    split      TEXT    NOT NULL CHECK (split IN ('train','test')),
    row        INTEGER NOT NULL,
    dataset_id TEXT    NOT NULL,
    label      TEXT,                     -- class name as given, or NULL
    image_path TEXT,
    image_w    INTEGER NOT NULL DEFAULT 0,
    image_h    INTEGER NOT NULL DEFAULT 0,
    channels   INTEGER NOT NULL DEFAULT 0,
    pixels     BLOB,
    features   TEXT,
    PRIMARY KEY (run_id, split, row)
);

-- The run's test split, when leakage ran: its path and size.
CREATE TABLE IF NOT EXISTS run_test_split (
    run_id  INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    path    TEXT    NOT NULL,
    n       INTEGER NOT NULL
);

-- Each queue row with its dataset-check types (space-separated, severity
-- order), the partner of its most severe pair issue, and whether the label
-- audit flagged it too (rank NOT NULL).
DROP VIEW IF EXISTS queue_issues;
CREATE VIEW queue_issues AS
SELECT q.id AS queue_id, q.run_id, q.row,
       (SELECT group_concat(issue, ' ') FROM
          (SELECT issue FROM example_issues i WHERE i.run_id = q.run_id AND i.row = q.row ORDER BY rank)) AS issues,
       (SELECT partner FROM example_issues i WHERE i.run_id = q.run_id AND i.row = q.row
          AND partner IS NOT NULL ORDER BY rank LIMIT 1) AS partner,
       (SELECT partner_split FROM example_issues i WHERE i.run_id = q.run_id AND i.row = q.row
          AND partner IS NOT NULL ORDER BY rank LIMIT 1) AS partner_split,
       e.rank IS NOT NULL AS label_flagged
FROM queue q JOIN examples e ON e.run_id = q.run_id AND e.row = q.row;
