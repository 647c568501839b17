-- 004_verdict.sql — what a reviewer found, beside what they did: a decision
-- may carry a verdict, 'error' (a genuine label error), 'ambiguous' (an
-- ambiguous or multi-object example) or 'false_alarm' (the audit was wrong).
-- The reviewed proportions are the audit's precision as people judged it
-- (decisions --summary, the report, check --min-reviewed-precision).
-- Decisions made before this migration have no verdict (NULL); the columns
-- are added in place, so existing databases keep every row.
ALTER TABLE queue ADD COLUMN verdict TEXT
    CHECK (verdict IS NULL OR verdict IN ('error','ambiguous','false_alarm'));
-- decision_log stays append-only: the verdict of each entry and, for undo,
-- the queue row's verdict before it.
ALTER TABLE decision_log ADD COLUMN verdict TEXT;
ALTER TABLE decision_log ADD COLUMN prev_verdict TEXT;

-- queue_view as in 001, with the verdict last.
DROP VIEW IF EXISTS queue_view;
CREATE VIEW queue_view AS
SELECT q.id AS queue_id, q.run_id, q.row, q.dataset_id, e.given, e.suggested,
       e.quality, e.rank, e.image_path, e.features, q.status, q.new_label,
       q.reviewer, q.decided_at, q.note, q.version, q.carried_from,
       CASE WHEN q.carried_from IS NOT NULL AND
                 ((q.status = 'relabel' AND q.new_label IS NOT e.suggested)
                  OR q.status = 'keep')
            THEN 1 ELSE 0 END AS disagrees,
       q.verdict
FROM queue q JOIN examples e ON e.run_id = q.run_id AND e.row = q.row;
