# test_serve_reviews_browser.sh — two reviewers in headless Chromium review the
# same examples of a real audit (noisy digits) with serve --reviews-per-item 2
# (tests/browser/serve_reviews_browser.mjs: Bob sees nothing of Ada's answers
# before giving his own); then consensus --db turns their answers into
# consensus labels and clean --consensus lands them in the cleaned dataset.
. tests/e2e/lib.sh
. tests/browser/serve_lib.sh

if ! command -v node >/dev/null 2>&1 || [ ! -x /usr/bin/chromium ] || \
   [ ! -f tests/browser/node_modules/playwright-core/package.json ]; then
    fail "browser test prerequisites" "needs node, /usr/bin/chromium and playwright-core: run 'make test-deps'"
    exit 0
fi

DIG="$DATA/tabular/digits.csv"
awk -F, 'NR==1{print "id,label";next}{print $1","$3}' "$DATA/noise/digits_asym10_seed1.csv" > "$TMP/noisy.csv"
DB="$TMP/r.db"
la cv --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/cv/pp.npy" --audit "$TMP/audit" --db "$DB" --quiet
expect_rc 0 "setup: cv + audit + db on noisy digits"
reviewers_file "$TMP/reviewers" Ada Bob
check "server starts with 2 reviews per item" serve_start "$DB" --reviewers "$TMP/reviewers" --reviews-per-item 2

HOME="$TMP" timeout 120 node tests/browser/serve_reviews_browser.mjs "$URL" "$(token_of Ada)" "$(token_of Bob)" \
    "${LA_SERVE_SCREENSHOT:-}" > "$TMP/browser.out" 2>&1
rc=$?
grep -E '^(PASS|FAIL) ' "$TMP/browser.out"
[ $rc = 0 ] && pass "browser script finished" || fail "browser script finished" "exit $rc: $(grep -v '^PASS' "$TMP/browser.out" | head -5)"
serve_stop
[ "$SERVE_RC" = 0 ] && pass "server stops cleanly" || fail "server stops cleanly" "exit $SERVE_RC"

q() { sqlite3 "$DB" "$1"; }
[ "$(q "SELECT count(*) FROM reviews WHERE status IN ('keep','relabel')")" = 6 ] && pass "db: 6 answers kept (3 each)" || fail "db: 6 answers" "$(q 'SELECT * FROM reviews')"
[ "$(q "SELECT count(*) FROM queue WHERE status <> 'pending'")" = 0 ] && pass "db: the queue rows are untouched" || fail "db: queue untouched" "changed"
[ "$(q "SELECT count(DISTINCT reviewer) FROM decision_log WHERE source = 'serve'")" = 2 ] && pass "db: both reviewers in the decision log" || fail "db: log" "$(q 'SELECT reviewer, count(*) FROM decision_log GROUP BY 1')"

la consensus --db "$DB" --out "$TMP/cons"
expect_rc 0 "consensus --db over the browser answers"
[ "$(($(wc -l < "$TMP/cons/label_quality.csv") - 1))" = 3 ] && pass "consensus: the 3 reviewed examples" || fail "consensus rows" "$(cat "$TMP/cons/label_quality.csv")"
la clean --consensus "$TMP/cons" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/clean"
expect_rc 0 "clean --consensus exits 0"
# each reviewed example's label in clean's output is the consensus label
awk 'NR==FNR{name[NR-1]=$0; next} FNR>1{split($0,f,","); print f[1]","name[f[2]]}' "$TMP/cons/classes.txt" "$TMP/cons/label_quality.csv" | sort > "$TMP/cons.csv"
python3 - "$TMP/cons.csv" "$TMP/clean" "$TMP/noisy.csv" <<'PY' > "$TMP/landed.txt" 2>&1
import csv, glob, sys
cons = dict(csv.reader(open(sys.argv[1])))
given = {r["id"]: r["label"] for r in csv.DictReader(open(sys.argv[3]))}
out = [f for f in glob.glob(sys.argv[2] + "/*.csv") if not f.endswith("changes.csv")][0]
rows = list(csv.DictReader(open(out)))
col = "label" if "label" in rows[0] else list(rows[0])[-1]
idc = "id" if "id" in rows[0] else list(rows[0])[0]
lab = {r[idc]: r[col] for r in rows}
chg = {r["id"]: r["new_label"] for r in csv.DictReader(open(sys.argv[2] + "/changes.csv"))}
ok = all(lab[i] == cons[i] for i in cons) and set(chg) == {i for i in cons if cons[i] != given[i]}
print(("landed %d of %d, %d relabelled" % (sum(lab[i] == cons[i] for i in cons), len(cons), len(chg))) if ok else "differ %r %r" % (cons, {i: lab.get(i) for i in cons}))
PY
grep -q '^landed 3 of 3' "$TMP/landed.txt" && pass "clean's output carries the consensus labels ($(cat "$TMP/landed.txt"))" || fail "consensus lands in clean" "$(cat "$TMP/landed.txt")"
