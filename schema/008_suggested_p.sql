-- 008_suggested_p.sql — the probability of each example's suggested class
-- (the argmax of its predicted probabilities), recorded by audit --db, so
-- that clean can relabel only where the model is sure of the new class
-- (`clean --auto drop --relabel-above P`). NULL in runs recorded before it.
ALTER TABLE examples ADD COLUMN suggested_p REAL;
-- queue_view as in 004, with suggested_p last.
DROP VIEW IF EXISTS queue_view;
CREATE VIEW queue_view AS
SELECT q.id AS queue_id, q.run_id, q.row, q.dataset_id, e.given, e.suggested,
       e.quality, e.rank, e.image_path, e.features, q.status, q.new_label,
       q.reviewer, q.decided_at, q.note, q.version, q.carried_from,
       CASE WHEN q.carried_from IS NOT NULL AND
                 ((q.status = 'relabel' AND q.new_label IS NOT e.suggested)
                  OR q.status = 'keep')
            THEN 1 ELSE 0 END AS disagrees,
       q.verdict, e.suggested_p
FROM queue q JOIN examples e ON e.run_id = q.run_id AND e.row = q.row;
