-- 002_digest.sql — what the report needs from the raw inputs, stored when the
-- run is recorded, so that `report` reads only the database and image files:
-- per-class precision-recall points (from the out-of-fold probabilities), the
-- thumbnail pixels of flagged examples of image datasets without files (IDX,
-- .npy pixels). Per-example feature summaries of tabular runs go into the
-- existing examples.features column. A run without a run_digest row was
-- recorded by an older labelaudit: the report then shows what it can.

CREATE TABLE run_digest (
    run_id    INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    pr_points INTEGER NOT NULL,          -- 1: run_pr_points holds every class's curve
    image_w   INTEGER NOT NULL,          -- pixel rows of example_pixels: width,
    image_h   INTEGER NOT NULL,          -- height and channels (1 gray, 3 RGB);
    channels  INTEGER NOT NULL,          -- 0 when the run stored no pixels
    note      TEXT                       -- why feature values or thumbnails are
                                         -- missing (shown on the report), or NULL
);

-- Precision-recall curve of each class (one-vs-rest on the out-of-fold
-- probabilities, labels as given), at most 240 points evenly spaced along the
-- threshold sweep, the last one kept.
CREATE TABLE run_pr_points (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    class_index INTEGER NOT NULL,
    point       INTEGER NOT NULL,        -- 0-based, in sweep order
    recall      REAL    NOT NULL,
    precision   REAL    NOT NULL,
    PRIMARY KEY (run_id, class_index, point)
);

-- Thumbnail source of a flagged example without an image file: image_h x
-- image_w x channels bytes (row-major, channels interleaved), byte = round(255 v)
-- of the loader's [0, 1] pixel values.
CREATE TABLE example_pixels (
    run_id INTEGER NOT NULL,
    row    INTEGER NOT NULL,
    pixels BLOB    NOT NULL,
    PRIMARY KEY (run_id, row),
    FOREIGN KEY (run_id, row) REFERENCES examples(run_id, row) ON DELETE CASCADE
);
