-- 003_report.sql — what a reviewer needs on a report card, stored when the
-- run is recorded (the report never reopens pred_probs): the probability of
-- the given label and the three most probable classes of each flagged
-- example, and the typical examples of each class (the most confident
-- correctly-labelled ones) that the cards show for comparison. A run without
-- these rows (recorded by an older labelaudit, or with probabilities above
-- the digest's size cap) shows its cards without bars.

-- One row per flagged example: p(given) and the top 3 classes, most probable
-- first (c2/c3 NULL when the run has fewer classes).
CREATE TABLE example_probs (
    run_id  INTEGER NOT NULL,
    row     INTEGER NOT NULL,
    p_given REAL    NOT NULL,
    c1 INTEGER NOT NULL, p1 REAL NOT NULL,
    c2 INTEGER,          p2 REAL,
    c3 INTEGER,          p3 REAL,
    PRIMARY KEY (run_id, row),
    FOREIGN KEY (run_id, row) REFERENCES examples(run_id, row) ON DELETE CASCADE
);

-- Up to 3 typical examples per class: given label = the class = the model's
-- most probable class, not flagged, highest p(class) first (slot 0..2).
-- Image datasets without files store their pixels in example_pixels.
CREATE TABLE class_typical (
    run_id      INTEGER NOT NULL,
    class_index INTEGER NOT NULL,
    slot        INTEGER NOT NULL,
    row         INTEGER NOT NULL,
    prob        REAL    NOT NULL,
    PRIMARY KEY (run_id, class_index, slot),
    FOREIGN KEY (run_id, row) REFERENCES examples(run_id, row) ON DELETE CASCADE
);
