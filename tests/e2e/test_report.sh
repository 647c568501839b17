# test_report.sh — `labelaudit report` and the database through the real
# binary: usage errors; databases that are newer, not SQLite, empty; a tabular
# run (hostile class names, noisy labels, feature values on the cards) and an
# image run (thumbnails) made by cv + audit --db; hostile names escaped in the
# HTML and byte-exact in SQLite; decisions that survive a re-audit; the output
# directory replaced only when complete and only when it is a report.
. tests/e2e/lib.sh

py() { python3 - "$@"; }
# setup steps (cv) run without valgrind even under `make valgrind`: the report
# and the database writes are what is tested here
prep() { _v=${LA_VALGRIND:-0}; LA_VALGRIND=0; la "$@"; LA_VALGRIND=$_v; }
have_py=0; command -v python3 >/dev/null 2>&1 && python3 -c 'import sqlite3' 2>/dev/null && have_py=1

la report --help;                     expect_rc 0 "report --help exits 0"; expect_out 'usage: labelaudit report' "report --help prints usage"
la report --out "$TMP/r";             expect_rc 2 "report without --db refused"
la report --db "$TMP/x.db";           expect_rc 2 "report without --out refused"
la report --db "$TMP/x.db" --out "$TMP/r" --per-page 0;  expect_rc 2 "--per-page 0 refused"
la report --db "$TMP/x.db" --out "$TMP/r" --run abc;     expect_rc 2 "--run abc refused"
la report --db "$TMP/x.db" --out "$TMP/r" --bogus;       expect_rc 2 "unknown option refused"

# --- databases that cannot be reported ---------------------------------------
la report --db "$TMP/empty.db" --out "$TMP/r"
expect_rc 2 "empty database: exit 2"; expect_err 'no runs' "empty database: says there are no runs"
check "empty database: no report written" test ! -e "$TMP/r"
printf 'id,label\n1,a\n' >"$TMP/notdb.db"
la report --db "$TMP/notdb.db" --out "$TMP/r"
expect_rc 2 "a CSV as database: exit 2"; expect_err 'notdb.db: not a labelaudit database' "a CSV as database: named"
if [ $have_py = 1 ]; then
    py "$TMP/future.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("create table t(x)"); c.execute("pragma user_version = 999"); c.commit()
EOF
    la report --db "$TMP/future.db" --out "$TMP/r"
    expect_rc 2 "newer database refused: exit 2"
    expect_err 'schema version 999 is newer' "newer database: clear message"
    v=$(py "$TMP/future.db" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("pragma user_version").fetchone()[0])
EOF
)
    check "newer database left untouched" test "$v" = 999
fi

# --- a tabular run with hostile names and noisy labels -----------------------
TAB="$DATA/bad/escaping_labels.csv"
DB="$TMP/tab.db"
if [ $have_py = 1 ]; then
    # every 10th row gets the next class: the audit flags most of them
    py "$TAB" "$TMP/noisy.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
names = sorted({r['label'] for r in rows})
with open(sys.argv[2], 'w', newline='') as f:
    w = csv.writer(f); w.writerow(['id', 'label'])
    for i, r in enumerate(rows):
        lab = r['label']
        if i % 10 == 3: lab = names[(names.index(lab) + 1) % len(names)]
        w.writerow([r['id'], lab])
EOF
    LABELS="--labels $TMP/noisy.csv"
else
    LABELS=""
fi
prep cv --data "$TAB" $LABELS --out "$TMP/tab/probs.npy" --audit "$TMP/tab/audit" --db "$DB" --quiet --threads 2
expect_rc 0 "cv + audit --db on the hostile tabular data"
la report --db "$DB" --out "$TMP/tab report" --per-page 4
expect_rc 0 "report of the tabular run"
expect_out "report: .*tab report/index.html" "report prints where it is"
expect_file "$TMP/tab report/index.html" "tabular: index.html written"
expect_file "$TMP/tab report/issues-1.html" "tabular: first contact sheet written"
check "tabular: no temporary directory left" sh -c "! ls -d '$TMP/tab report'.tmp.* 2>/dev/null"
all=$(cat "$TMP/tab report"/*.html)
if printf '%s' "$all" | grep -q '<script'; then fail "tabular: no unescaped <script>" "found <script in the HTML"
else pass "tabular: no unescaped <script> in any page"; fi
if printf '%s' "$all" | grep -q "Robert')"; then fail "tabular: quotes escaped" "raw Robert') in the HTML"
else pass "tabular: quotes escaped in every page"; fi
check "tabular: hostile name shown escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$TMP/tab report/index.html"
check "tabular: quoted name escaped" grep -q 'Bob&#39;s &quot;best&quot;, boot' "$TMP/tab report/index.html"
check "tabular: class bar chart" grep -q 'class="chart"' "$TMP/tab report/index.html"
check "tabular: noise matrix heatmap" grep -q 'Noise matrix' "$TMP/tab report/index.html"
check "tabular: precision-recall from cv metrics" grep -q 'precision and recall per class' "$TMP/tab report/index.html"
check "tabular: precision-recall curves drawn" grep -q '<polyline' "$TMP/tab report/index.html"
check "tabular: sheets link back to the summary" grep -q 'href="index.html"' "$TMP/tab report/issues-1.html"
if [ $have_py = 1 ]; then
    check "tabular: cards show feature values" grep -q 'class="feat"' "$TMP/tab report/issues-1.html"
    cards=$(cat "$TMP/tab report"/issues-*.html | grep -o '<figure class="card' | wc -l)
    flagged=$(py "$DB" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select num_flagged from runs order by id desc").fetchone()[0])
EOF
)
    check "tabular: one card per flagged example ($cards)" test "$cards" -eq "$flagged" -a "$cards" -gt 0
    per=$(grep -o '<figure class="card' "$TMP/tab report/issues-1.html" | wc -l)
    check "tabular: --per-page 4 holds 4 cards" test "$per" -eq 4
    names=$(py "$DB" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
got = [r[0] for r in c.execute("select name from run_classes where run_id = 1 order by class_index")]
want = sorted(["<script>alert(1)</script>", "Bob's \"best\", boot", "Robert'); DROP TABLE labels;--"])
tables = {r[0] for r in c.execute("select name from sqlite_master where type = 'table'")}
print("ok" if sorted(got) == want and {"runs", "queue", "examples", "decision_log"} <= tables else got)
EOF
)
    check "tabular: hostile names byte-exact in SQLite, no table dropped" test "$names" = ok
fi

# --- decisions survive a re-audit --------------------------------------------
if [ $have_py = 1 ]; then
    py "$DB" "$TMP/decisions.csv" <<'EOF'
import csv, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("select q.dataset_id, e.suggested from queue q join examples e on e.run_id = q.run_id"
                 " and e.row = q.row where q.run_id = 1 order by e.rank limit 3").fetchall()
names = {i: n for i, n in c.execute("select class_index, name from run_classes where run_id = 1")}
with open(sys.argv[2], 'w', newline='') as f:
    w = csv.writer(f); w.writerow(['id', 'decision', 'new_label', 'reviewer', 'note'])
    w.writerow([rows[0][0], 'relabel', names[rows[0][1]], 'ann', 'clearly <b>wrong</b>'])
    w.writerow([rows[1][0], 'keep', '', 'ann', ''])
    w.writerow([rows[2][0], 'drop', '', 'bob', ''])
EOF
    la decisions --db "$DB" --import "$TMP/decisions.csv" --quiet
    expect_rc 0 "three decisions imported"
    la audit --labels "$TMP/tab/labels.npy" --pred-probs "$TMP/tab/probs.npy" --data "$TAB" \
        --out "$TMP/tab/audit2" --db "$DB" --quiet
    expect_rc 0 "re-audit appends run 2"
    carried=$(py "$DB" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
q = lambda s: c.execute(s).fetchone()[0]
print(q("select count(*) from queue where run_id = 2 and carried_from is not null and status <> 'pending'"),
      q("select count(*) from queue where run_id = 1 and status <> 'pending'"),
      q("select count(*) from decision_log where source = 'carry'"),
      q("select count(*) from queue_view where run_id = 2 and disagrees = 1 and status = 'keep'"))
EOF
)
    check "re-audit: 3 decisions carried, run 1 kept, 3 carry log entries, keep flagged as disagreeing ($carried)" \
        test "$carried" = "3 3 3 1"
    la report --db "$DB" --out "$TMP/tab report"
    expect_rc 0 "report of run 2 replaces the earlier report"
    check "run 2 report shows carried decisions" grep -q 'carried over' "$TMP/tab report/issues-1.html"
    check "run 2 report shows disagreement" grep -q 'earlier decision disagrees' "$TMP/tab report/issues-1.html"
    check "reviewer note escaped" grep -q 'clearly &lt;b&gt;wrong&lt;/b&gt;' "$TMP/tab report/issues-1.html"
    la report --db "$DB" --run 1 --out "$TMP/run1"
    expect_rc 0 "--run 1 reports the first run"
    check "--run 1: header names run 1" grep -q 'run 1 &#183;' "$TMP/run1/index.html"
fi
la report --db "$DB" --run 99 --out "$TMP/r99"
expect_rc 2 "--run 99: no such run, exit 2"; expect_err 'no run 99' "--run 99: says so"
check "--run 99: nothing written" test ! -e "$TMP/r99"

# --- the output directory ----------------------------------------------------
mkdir -p "$TMP/precious"; echo keep >"$TMP/precious/notes.txt"
la report --db "$DB" --out "$TMP/precious"
expect_rc 2 "a directory that is not a report is not replaced"
check "  ... and its files are untouched" test -s "$TMP/precious/notes.txt"
la report --db "$DB" --out "$TMP/precious/notes.txt"
expect_rc 2 "a file in the way: exit 2"

# --- an image run: thumbnails ------------------------------------------------
IDB="$TMP/img.db"
prep cv --data "$DATA/bad/manifest_escaping_labels.csv" --out "$TMP/img/probs.npy" --audit "$TMP/img/audit" \
    --db "$IDB" --quiet --threads 2
expect_rc 0 "cv + audit --db on the hostile image manifest"
la report --db "$IDB" --out "$TMP/img report" --quiet
expect_rc 0 "report of the image run"
check "--quiet prints nothing" test ! -s "$OUT"
n_img=$(grep -o '<img src="assets/thumbs/[0-9]*.png" width="112" height="112" alt="' "$TMP/img report/issues-1.html" | wc -l)
n_card=$(grep -o '<figure class="card' "$TMP/img report/issues-1.html" | wc -l)
n_png=$(ls "$TMP/img report/assets/thumbs" | wc -l)
check "image: every card has a 112x112 thumbnail with alt text ($n_img of $n_card cards, $n_png files with the typical examples')" \
    test "$n_img" -gt 0 -a "$n_img" -eq "$n_card" -a "$n_png" -ge "$n_img"
if grep -q '<script' "$TMP/img report"/*.html; then fail "image: no unescaped <script>" "found"
else pass "image: no unescaped <script>"; fi
check "image: the summary has no network references" sh -c "! grep -Eq '(src|href)=\"(https?:)?//' '$TMP/img report/index.html'"
