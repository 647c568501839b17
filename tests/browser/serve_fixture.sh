#!/bin/sh
# serve_fixture.sh DB MANIFEST — builds a small review database for the serve,
# review and decisions tests without running an audit: the schema files in
# order (user_version = their count, as db_open expects), one run over the
# manifest's images with its class names as given (hostile ones included),
# every example flagged and queued (pending), deterministic suggested labels
# and scores. Needs the sqlite3 command-line shell (Debian package sqlite3).
set -eu
db=$1
manifest=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
root=$(cd "$(dirname "$manifest")" && pwd)
mpath="$root/$(basename "$manifest")"
rm -f "$db" "$db-wal" "$db-shm"
n=$(ls "$here"/schema/*.sql | wc -l)
q() { printf "%s" "$1" | sed "s/'/''/g"; }
{ echo "BEGIN;"; cat "$here"/schema/*.sql; echo "COMMIT;"; cat <<SQL
PRAGMA user_version = $n;
.mode csv
.import --csv '$(q "$mpath")' m
BEGIN;
CREATE TEMP TABLE cls AS
  SELECT label AS name, row_number() OVER (ORDER BY label) - 1 AS idx FROM (SELECT DISTINCT label FROM m);
CREATE TEMP TABLE ex AS
  SELECT row_number() OVER (ORDER BY m.id) - 1 AS row, m.id AS id, m.path AS path, cls.idx AS given
  FROM m JOIN cls ON cls.name = m.label;
INSERT INTO runs (id, created_at, version, kind, dataset_path, dataset_hash, n, k, method, rank_by,
                  options_json, error_rate, health, num_flagged, summary_json)
  SELECT 1, '2026-01-01T00:00:00Z', '0.1.0', 'audit', '$(q "$mpath")', 'fixture',
         (SELECT count(*) FROM ex), (SELECT count(*) FROM cls), 'prune_by_noise_rate',
         'self_confidence', '{}', 0.1, 0.9, (SELECT count(*) FROM ex), '{}';
INSERT INTO run_classes (run_id, class_index, name, given_count, num_issues, error_rate, quality)
  SELECT 1, idx, name, (SELECT count(*) FROM ex WHERE given = idx), (SELECT count(*) FROM ex WHERE given = idx), 0.1, 0.9
  FROM cls;
INSERT INTO examples (run_id, row, dataset_id, given, suggested, quality, is_issue, rank, image_path)
  SELECT 1, row, id, given, CASE WHEN row % 3 = 0 THEN given ELSE (given + 1) % (SELECT count(*) FROM cls) END,
         ((row * 37) % 100) / 100.0, 1, NULL, '$(q "$root")/' || path FROM ex;
UPDATE examples SET rank = (SELECT count(*) FROM examples e2 WHERE e2.run_id = 1 AND
  (e2.quality < examples.quality OR (e2.quality = examples.quality AND e2.row <= examples.row)));
INSERT INTO queue (run_id, row, dataset_id) SELECT 1, row, dataset_id FROM examples ORDER BY rank;
DROP TABLE m;
COMMIT;
SQL
} | sqlite3 "$db"
