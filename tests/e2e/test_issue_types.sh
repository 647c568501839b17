#!/bin/sh
# test_issue_types.sh — the dataset checks downstream of audit (issue 16, item
# 4) through the real binary: findings recorded with --db beside the label
# audit (schema 005: example_issues, issue_examples, queue_issues), one queue
# row per example whatever its types, leaks stored with their test partner;
# clean --drop-issues dropping exactly the planted rows (duplicate groups keep
# their lowest row, conflicts dropped whole, leaked test ids listed), reviewer
# decisions winning, the output loading again; the report's page per type
# with pairs side by side; check's rate gates from a --db run; bad input.
# Planted data: gen_checks_data.py on Fashion-MNIST (tests/data/idx) and the
# shared Glass table with two planted copies.
. "$(dirname "$0")/lib.sh"
D="$(dirname "$0")"
P="$TMP/planted"
python3 "$D/gen_checks_data.py" "$P" "$D/../data/idx/fm200-images-idx3-ubyte.gz" "$D/../data/idx/fm200-labels-idx1-ubyte.gz"
TR="$P/train-images-idx3-ubyte"; TRL="$P/train-labels-idx1-ubyte"; TE="$P/test-images-idx3-ubyte"
DB="$TMP/a.db"
q() { sqlite3 "$DB" "$1"; }
# probabilities: 0.91 on the given label, rows 0-4 confidently another class
echo "p0,p1,p2,p3,p4,p5,p6,p7,p8,p9" >"$TMP/probs.csv"
od -An -tu1 -j8 -v "$TRL" | tr -s ' ' '\n' | grep . | awk '{ y = $1; if (NR <= 5) y = (y + 1) % 10;
    s = ""; for (c = 0; c < 10; c++) s = s (c ? "," : "") (c == y ? 0.91 : 0.01); print s }' >>"$TMP/probs.csv"

# ---- recording ------------------------------------------------------------------
la audit --data "$TR" --idx-labels "$TRL" --pred-probs "$TMP/probs.csv" --test "$TE" --out "$TMP/o1" --db "$DB" --threads 2
expect_rc 0 "audit with the dataset checks and --db"
expect_err "recorded run 1 in .* with 49 dataset issues" "the run is recorded with its 49 findings"
check "issues.csv rows (label ones aside) = example_issues rows" \
    test "$(tail -n +2 "$TMP/o1/issues.csv" | grep -vc ',label,')" = "$(q 'SELECT count(*) FROM example_issues')"
check "label conflict 5 <-> 151 stored" test "$(q "SELECT group_concat(row || '>' || partner, ' ') FROM example_issues WHERE issue = 'label_conflict'")" = "5>151 151>5"
check "exact duplicate 3 <-> 150 stored" test "$(q "SELECT count(*) FROM example_issues WHERE issue = 'exact_duplicate' AND ((row = 3 AND partner = 150) OR (row = 150 AND partner = 3))")" = 2
check "leaks stored at the training row with the test row as partner" \
    test "$(q "SELECT group_concat(row || '>' || partner || ':' || partner_split, ' ') FROM example_issues WHERE issue = 'leakage'")" = "30>50:test 31>51:test"
check "the leaked test examples are stored for the report (id, pixels)" \
    test "$(q "SELECT group_concat(row || ':' || dataset_id || ':' || length(pixels), ' ') FROM issue_examples WHERE split = 'test' ORDER BY row")" = "50:50:784 51:51:784"
check "the test split is recorded" test "$(q 'SELECT path, n FROM run_test_split')" = "$TE|52"
check "one queue row per example" test "$(q 'SELECT count(*) FROM (SELECT row FROM queue GROUP BY run_id, row HAVING count(*) > 1)')" = 0
check "row 3: a label issue and a duplicate, one queue item listing both kinds" \
    test "$(q 'SELECT count(*), max(label_flagged), max(issues), max(partner) FROM queue_issues WHERE row = 3')" = "1|1|exact_duplicate near_duplicate image_near_duplicate|150"
check "row 150: queued for its issues alone" test "$(q 'SELECT label_flagged, partner FROM queue_issues WHERE row = 150')" = "0|3"
check "leakage alone queues no training row (train 30)" test "$(q 'SELECT count(*) FROM queue WHERE row = 30')" = 0
check "summary.json in the run carries the checks" sh -c "sqlite3 '$DB' 'SELECT summary_json FROM runs' | grep -q dataset_checks"

# ---- the terminal review shows each example's types and its pair partner ---------------
cp "$DB" "$TMP/rv.db"
printf 'k\nk\nk\nk\nk\nk\nk\nq\n' >"$TMP/rv.in"
la review --db "$TMP/rv.db" --reviewer ada --quiet <"$TMP/rv.in"
expect_rc 0 "review of a run with dataset issues (scripted)"
expect_out "^issues: +exact_duplicate \\(score 0\\.0000\\), near_duplicate" "review lists row 3's issue types with scores"
expect_out "^partner: +training row 150, id 150, label 1$" "review shows row 3's duplicate partner with its id and label"
expect_out "^partner: +training row 151, id 151, label 2$" "review shows row 5's conflicting copy (label 2 against 1)"
expect_out "^issues: +outlier \\(score" "an outlier-only example shows its type and no partner"
check "examples without dataset issues show no issues line (row 0)" \
    sh -c "awk '/row 0, rank/ { f = 1; next } /^saved/ { f = 0 } f && /^issues:/ { bad = 1 } END { exit bad }' '$OUT'"

# pair answers in the terminal: 2 on row 3 (keep it, drop its copy 150), 3 on row 5 (keep both:
# the conflict 5 / 151 is not a duplicate), a bad key; then clean honours them
cp "$DB" "$TMP/rp.db"
printf 'k\nk\nk\n2\nk\nk\n3\n9\nk\nq\n' >"$TMP/rp.in"
la review --db "$TMP/rp.db" --reviewer ada --quiet <"$TMP/rp.in"
expect_rc 0 "review with pair answers (scripted 2 and 3)"
expect_out "^saved pair: keep with training row 150 \\(this one kept, the partner dropped" "key 2 saves keep on row 3's pair"
expect_out "^saved pair: keep_both with training row 151 " "key 3 saves keep_both on row 5's pair"
expect_out "unknown command '9'" "an unknown key is refused and the example stays"
check "the two pair answers are stored (schema 007)" \
    test "$(sqlite3 "$TMP/rp.db" "SELECT group_concat(row || '>' || partner || ':' || choice || ':' || reviewer, ' ') FROM pair_decisions")" = "3>150:keep:ada 5>151:keep_both:ada"
la clean --db "$TMP/rp.db" --data "$TR" --idx-labels "$TRL" --out "$TMP/cp" --drop-issues exact_duplicate,label_conflict
expect_rc 0 "clean --drop-issues after the terminal's pair answers"
check "150 dropped by the pair answer (why pair:keep), 5 and 151 kept (keep both)" \
    sh -c "grep -q '^150,.*,dropped,pair:keep$' '$TMP/cp/changes.csv' && ! grep -Eq '^(5|151),.*,dropped' '$TMP/cp/changes.csv'"

# ---- check gates on the recorded rates ---------------------------------------------
la check --db "$DB" --max-leak-rate 0.01
expect_rc 1 "check --db --max-leak-rate 0.01 fails (2 of 52 test examples leaked)"
expect_out "FAIL max-leak-rate.*0.0385" "the leak rate read from the run"
la check --db "$DB" --max-leak-rate 0.05 --max-duplicate-rate 0.05
expect_rc 0 "check --db within both rate limits"

# ---- clean --drop-issues -----------------------------------------------------------------
dropped() { awk -F, 'NR > 1 && $3 == "dropped" { print $1 }' "$1/changes.csv" | sort -n | tr '\n' ' '; }
la clean --db "$DB" --data "$TR" --idx-labels "$TRL" --out "$TMP/c1" --drop-issues exact_duplicate,label_conflict,image_near_duplicate,leakage
expect_rc 0 "clean --drop-issues exact_duplicate,label_conflict,image_near_duplicate,leakage"
check "exactly the planted copies and the conflict dropped" test "$(dropped "$TMP/c1")" = "5 150 151 152 153 154 155 156 157 158 "
check "why issue:TYPE" sh -c "grep -q '^151,2,dropped,issue:label_conflict$' '$TMP/c1/changes.csv' && grep -q '^152,.*,dropped,issue:image_near_duplicate$' '$TMP/c1/changes.csv'"
check "leaked_test.csv lists exactly the planted leaks" test "$(tail -n +2 "$TMP/c1/leaked_test.csv" | cut -d, -f1-4 | tr '\n' ' ')" = "50,50,30,30 51,51,31,31 "
expect_out "dataset issues: 10 examples dropped; 2 leaked test examples" "summary counts issue drops and leaks"
la inspect "$TMP/c1/train-images-idx3-ubyte" --format json
check "the cleaned set loads (inspect): 151 examples" sh -c "grep -q '\"n\": 151' '$OUT'"
la cv --data "$TMP/c1/train-images-idx3-ubyte" --model knn --folds 2 --out "$TMP/c1-pp.npy" --quiet
expect_rc 0 "the cleaned set trains (cv --model knn)"
la clean --db "$DB" --data "$TR" --idx-labels "$TRL" --out "$TMP/c2" --drop-issues near_duplicate --format json
check "near_duplicate groups keep their lowest row" test "$(dropped "$TMP/c2")" = "150 151 156 157 160 "
expect_out '"issue_dropped": 5' "json summary: issue_dropped"
check "no leaked_test.csv without leakage" test ! -e "$TMP/c2/leaked_test.csv"
la clean --db "$DB" --data "$TR" --idx-labels "$TRL" --out "$TMP/c3" --auto drop
check "--auto drop alone drops the 5 label issues only (rows the checks queued are not label issues)" test "$(dropped "$TMP/c3")" = "0 1 2 3 4 "

# reviewer decisions win: 3 dropped by a reviewer (150 then keeps the group), 151 kept
printf 'id,decision,new_label,reviewer,note\n3,drop,,ann,\n151,keep,,ann,\n' >"$TMP/dec.csv"
la decisions --db "$DB" --import "$TMP/dec.csv"
expect_rc 0 "reviewer decisions imported on queue rows of issues"
la clean --db "$DB" --data "$TR" --idx-labels "$TRL" --out "$TMP/c4" --drop-issues exact_duplicate,label_conflict
check "reviewer decisions win over automatic drops" test "$(dropped "$TMP/c4")" = "3 5 "
check "3 by the reviewer, 5 by the conflict rule" sh -c "grep -q '^3,.*,dropped,reviewer:ann$' '$TMP/c4/changes.csv' && grep -q '^5,.*,dropped,issue:label_conflict$' '$TMP/c4/changes.csv'"

# a second run of the same data: decisions on rows only the checks queued carry over
la audit --data "$TR" --idx-labels "$TRL" --pred-probs "$TMP/probs.csv" --test "$TE" --out "$TMP/o2" --db "$DB" --quiet
check "run 2: the decision on 151 (queued for its issues) carried over" \
    test "$(q "SELECT status, carried_from IS NOT NULL FROM queue WHERE run_id = 2 AND row = 151")" = "keep|1"
check "run 2: the carried decisions are logged once each" \
    test "$(q "SELECT count(*) FROM decision_log WHERE run_id = 2 AND source = 'carry'")" = 2

# ---- the report ---------------------------------------------------------------------
la report --db "$DB" --run 1 --out "$TMP/rep"
expect_rc 0 "report of a run with findings"
for t in label_conflict exact_duplicate leakage near_duplicate image_near_duplicate outlier dark; do
    expect_file "$TMP/rep/issue-$t.html" "page for $t"
done
check "summary links the pages with counts" grep -q 'href="issue-leakage.html">leakage <b>2</b>' "$TMP/rep/index.html"
check "leak page: training and test example side by side" sh -c \
    "grep -o 'issue-train-30.png.*issue-test-50.png' '$TMP/rep/issue-leakage.html' | grep -q ."
check "thumbnails of the pair written" sh -c "test -s '$TMP/rep/assets/thumbs/issue-train-30.png' && test -s '$TMP/rep/assets/thumbs/issue-test-50.png'"
check "conflict page: one pair (5, 151), shown once" test "$(grep -o 'class="panel pair"' "$TMP/rep/issue-label_conflict.html" | wc -l)" = 1
check "conflict page: both labels shown" sh -c "grep -q 'row 5 &#183; label <b>1</b>' '$TMP/rep/issue-label_conflict.html' && grep -q 'row 151 &#183; label <b>2</b>' '$TMP/rep/issue-label_conflict.html'"
check "the report reads only the database (inputs moved away)" sh -c "mv '$P' '$P.gone' && '$LA_BIN' report --db '$DB' --run 1 --out '$TMP/rep2' >/dev/null 2>&1 && test -s '$TMP/rep2/assets/thumbs/issue-test-51.png'; rc=\$?; mv '$P.gone' '$P'; exit \$rc"

# ---- a table: Glass with a conflicting copy and a plain copy planted -------------------------
G="$TMP/glass.csv"
cp "$DATA/tabular/Glass.csv" "$G"
sed -n 7p "$DATA/tabular/Glass.csv" | sed 's/^Glass-0005,/planted-conflict,/; s/,[a-z_]*$/,headlamps/' >>"$G"
sed -n 12p "$DATA/tabular/Glass.csv" | sed 's/^Glass-0010,/planted-copy,/' >>"$G"
la cv --data "$G" --out "$TMP/g.npy" --quiet
GDB="$TMP/g.db"
la audit --data "$G" --pred-probs "$TMP/g.npy" --issues label,exact_duplicate --out "$TMP/go" --db "$GDB" --quiet
expect_rc 0 "table: audit --issues label,exact_duplicate --db"
check "table: feature rows stored for the report" sh -c "sqlite3 '$GDB' \"SELECT features FROM issue_examples WHERE dataset_id = 'planted-conflict'\" | grep -q '\"RI\"'"
la clean --db "$GDB" --data "$G" --out "$TMP/gc" --drop-issues exact_duplicate,label_conflict
expect_rc 0 "table: clean --drop-issues"
check "table: the conflict pair, the copy and the natural duplicate 39 dropped" \
    test "$(awk -F, 'NR > 1 && $3 == "dropped" { print $1 }' "$TMP/gc/changes.csv" | sort | tr '\n' ' ')" = "Glass-0005 Glass-0039 planted-conflict planted-copy "
check "table: the cleaned CSV keeps the rest byte for byte" test "$(wc -l <"$TMP/gc/glass.csv")" = 213
la inspect "$TMP/gc/glass.csv"
expect_rc 0 "table: the cleaned CSV loads"
la report --db "$GDB" --out "$TMP/grep"
check "table: pair page shows feature rows" grep -q '<table class="feat"><tr><th>RI</th>' "$TMP/grep/issue-label_conflict.html"

# ---- bad input exits 2 ---------------------------------------------------------------------
la clean --db "$DB" --data "$TR" --idx-labels "$TRL" --out "$TMP/b1" --drop-issues near_dupe
expect_rc 2 "--drop-issues: unknown type exits 2"; expect_err "unknown type 'near_dupe'" "names the word"
la clean --consensus "$TMP" --data "$TR" --idx-labels "$TRL" --out "$TMP/b2" --drop-issues outlier
expect_rc 2 "--drop-issues without --db exits 2"
LDB="$TMP/label-only.db"
la audit --data "$TR" --idx-labels "$TRL" --pred-probs "$TMP/probs.csv" --out "$TMP/lo" --db "$LDB" --quiet
la clean --db "$LDB" --data "$TR" --idx-labels "$TRL" --out "$TMP/b3" --drop-issues outlier
expect_rc 2 "--drop-issues on a run without findings exits 2"; expect_err "has no dataset-check findings" "says why"
la clean --db "$GDB" --data "$G" --out "$TMP/b4" --drop-issues leakage
expect_rc 2 "--drop-issues leakage on a run without a test split exits 2"; expect_err "had no test split" "says why"
check "no output directory left by refused cleans" sh -c "test ! -e '$TMP/b1' -a ! -e '$TMP/b3' -a ! -e '$TMP/b4'"
la audit --data "$TR" --idx-labels "$TRL" --issues near_duplicate,outlier --out "$TMP/b5" --db "$TMP/b5.db"
expect_rc 2 "checks-only audit with --db is refused (exit 2)"; expect_err "dataset checks alone are not recorded" "says why"
check "refused before any work: no database, no outputs" sh -c "test ! -e '$TMP/b5.db' -a ! -e '$TMP/b5'"
