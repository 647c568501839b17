# test_check.sh — `labelaudit check`, the CI gate: limits and baselines on
# summary files and database runs, every output format (JUnit validated as
# XML), bad inputs (exit 2), and real audits of digits with clean, 10% and 30%
# symmetric label noise (../shared/data/noise) judged against each other.
. tests/e2e/lib.sh
FIX=tests/data/check
BASE=$FIX/summary_base.json
WORSE=$FIX/summary_worse.json

# A well-formedness check for XML: xmllint (libxml2-utils), else python3.
xml_ok() {
    if command -v xmllint >/dev/null 2>&1; then xmllint --noout "$1"
    else python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1"; fi
}

la check --help;                         expect_rc 0 "check --help exits 0"; expect_out 'usage: labelaudit check' "check --help prints usage"
la check;                                expect_rc 2 "check without input is a usage error"
la check --summary $BASE --db x.db;      expect_rc 2 "--summary and --db together are refused"
la check --summary $BASE --run 3;        expect_rc 2 "--run without --db is refused"
la check --summary $BASE --format xml;   expect_rc 2 "unknown --format refused"
la check --summary $BASE --max-error-rate 1.5; expect_rc 2 "--max-error-rate outside [0,1] refused"
la check --summary $BASE --bogus;        expect_rc 2 "unknown option refused"

# --- summary files: limits ---------------------------------------------------
la check --summary $BASE;                expect_rc 0 "no limits, no baseline: exit 0"; expect_out 'no limits given' "says nothing was judged"
la check --summary $BASE --max-increase 0.05
expect_rc 2 "--max-increase without a baseline: exit 2 (cannot judge, must not pass)"
expect_err 'needs a baseline' "says why: --max-increase needs a baseline"
[ ! -s "$OUT" ] && pass "no PASS verdict printed without a baseline" || fail "no verdict without a baseline" "$(head -2 "$OUT")"
la check --summary $BASE --max-increase 0.05 --max-error-rate 0.5 --format github
expect_rc 2 "--max-increase without a baseline in github format: exit 2"
la check --summary $BASE --max-error-rate 0.2 --min-health 0.8
expect_rc 0 "within absolute limits: exit 0"
la check --summary $BASE --max-error-rate 0.05
expect_rc 1 "max-error-rate exceeded: exit 1"
expect_out 'FAIL max-error-rate: .*0\.1000 .*exceeds the limit 0\.0500 by 0\.0500' "names the limit and by how much"
la check --summary $BASE --min-health 0.9
expect_rc 1 "min-health not met: exit 1"; expect_out 'FAIL min-health: .*below the minimum 0\.9000 by 0\.0200' "min-health shortfall stated"
la check --summary $WORSE --max-class-error-rate 0.2
expect_rc 1 "max-class-error-rate exceeded: exit 1"
expect_out 'FAIL max-class-error-rate\[e<l&"x\]' "names the failing class"
expect_out 'ok   max-class-error-rate\[dog\]' "a class exactly at the limit passes"

# --- baselines: a real rise fails, no change passes ------------------------------
la check --summary $WORSE --baseline $BASE
expect_rc 1 "rise over the baseline: exit 1 (default --max-increase 0)"
expect_out 'change  : \+0\.0600 \[\+0\.0344, \+0\.0850\]' "shows the change with its interval"
expect_out 'baseline: .*summary_base\.json' "names the baseline"
expect_out 'rose most in: dog \+0\.1000' "names the classes that rose"
la check --summary $WORSE --baseline $BASE --max-increase 0.1
expect_rc 0 "rise within --max-increase: exit 0"
la check --summary $BASE --baseline $BASE
expect_rc 0 "same as baseline: exit 0"
la check --summary $BASE --baseline $WORSE
expect_rc 0 "improvement over baseline: exit 0"
la check --summary $WORSE --baseline $BASE --max-increase 0.05
expect_rc 1 "rise above --max-increase with an interval above 0: exit 1"
la check --summary $FIX/summary_noisy.json --baseline $BASE
expect_rc 0 "a rise within the noise of a small sample: exit 0"
expect_out 'includes no rise' "explains a rise that is noise"
la check --summary $BASE --baseline $FIX/summary_other_classes.json
expect_rc 2 "mismatched class lists: exit 2"
expect_err "only in current \(1\): 'dog'; only in baseline \(1\): 'wolf'" "the differences are listed"
sed 's/prune_by_noise_rate/both/' $BASE > "$TMP/other_method.json"
la check --summary "$TMP/other_method.json" --baseline $BASE
expect_rc 0 "different --filter-by: still judged"; expect_err 'may not be comparable' "different --filter-by: warned"
la check --summary $TMP/missing.json
expect_rc 2 "missing summary: exit 2"; expect_err 'missing\.json' "names the missing file"
printf '{"n": 3, "k": 2, "classes": ["a", "b"], "error_rate": 0.1}' > "$TMP/partial.json"
la check --summary "$TMP/partial.json"
expect_rc 2 "summary without health_score: exit 2"; expect_err "health_score" "names the missing key"
printf '{"n": 3,' > "$TMP/trunc.json"
la check --summary "$TMP/trunc.json"
expect_rc 2 "truncated summary: exit 2"
la check --summary $BASE --baseline 7
expect_rc 2 "--baseline RUN without --db: exit 2"

# --- output formats ---------------------------------------------------------
la check --summary $WORSE --baseline $BASE --max-class-error-rate 0.2 --max-error-rate 0.5 --min-health 0.5 --format junit
expect_rc 1 "junit: exit 1 on failure"
cp "$OUT" "$TMP/junit.xml"
check "junit output is well-formed XML" xml_ok "$TMP/junit.xml"
expect_out '<testcase classname="labelaudit.check.max-class-error-rate" name="max-class-error-rate\[e&lt;l&amp;&quot;x\]"' "junit: one testcase per class, escaped"
expect_out 'tests="6" failures="2"' "junit: counts cases and failures"
expect_err 'FAIL max-increase' "junit: failures also on stderr for the CI log"
la check --summary $WORSE --baseline $BASE --format junit --out "$TMP/out/j.xml"
expect_rc 2 "--out into a missing directory: exit 2"
la check --summary $WORSE --baseline $BASE --format junit --out "$TMP/j.xml" --quiet
expect_rc 1 "junit --out: exit 1"; check "junit --out file is well-formed" xml_ok "$TMP/j.xml"
la check --summary $WORSE --baseline $BASE --format github --max-class-error-rate 0.2
expect_rc 1 "github: exit 1"
expect_out '^::error file=tests/data/check/summary_worse\.json,title=labelaudit check%3A max-increase::error rate 0\.1600' "github: ::error on the summary file with escaped title"
expect_out '95%25 interval' "github: % escaped as %25"
expect_out '^::error file=[^,]*,title=labelaudit check%3A max-class-error-rate\[e<l&"x\]::' "github: one error per failing class"
n_fail=$(grep -c '^::error file=' "$OUT"); n_err=$(grep -c 'FAIL' "$ERR")
[ "$n_fail" -ge 2 ] && [ "$n_err" = 0 ] && pass "github: each failure printed once (::error on stdout, no FAIL echo on stderr)" \
  || fail "github: each failure once" "stdout $n_fail ::error, stderr $n_err FAIL lines"
la check --summary $BASE --format github --max-error-rate 0.5
expect_rc 0 "github pass: exit 0"; expect_out '^::notice title=labelaudit check passed::' "github: notice when passing"
la check --summary $WORSE --baseline $BASE --format json --quiet
expect_rc 1 "json: exit 1"
check "json output parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="fail" and d["checks"][0]["name"]=="max-increase" and abs(d["change"]["estimate"]-0.06)<1e-9' "$OUT"

# --- database runs ------------------------------------------------------------
: > "$TMP/empty.db"
la check --db "$TMP/empty.db"
expect_rc 2 "database without runs: exit 2"; expect_err 'no audit runs' "says there are no runs"
la check --db "$TMP/nope.db"
expect_rc 2 "missing database: exit 2"
# two runs of one dataset and one of another, inserted as `audit --db` records them
python3 - "$TMP/empty.db" "$BASE" "$WORSE" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
base, worse = open(sys.argv[2]).read(), open(sys.argv[3]).read()
def run(ds, s, t, err):
    db.execute("INSERT INTO runs (created_at, version, kind, dataset_path, dataset_hash, n, k,"
               " method, rank_by, options_json, error_rate, health, num_flagged, summary_json)"
               " VALUES (?, '0.1.0', 'audit', ?, 'h', 1000, 3, 'prune_by_noise_rate',"
               " 'self_confidence', '{}', ?, 0.88, 120, ?)", (t, ds, err, s))
run("data.csv", base, "2026-01-01T00:00:00.000Z", 0.10)
run("other.csv", worse, "2026-01-02T00:00:00.000Z", 0.16)
run("data.csv", worse, "2026-01-03T00:00:00.000Z", 0.16)
db.commit()
EOF
la check --db "$TMP/empty.db"
expect_rc 1 "db: latest run vs previous run of the same dataset: exit 1"
expect_out 'current : run 3 \(data\.csv' "db: judges the latest run"
expect_out 'baseline: run 1 \(data\.csv' "db: baseline is the previous run on the same dataset, not run 2"
la check --db "$TMP/empty.db" --run 1
expect_rc 0 "db: first run has no baseline: exit 0"; expect_out 'baseline: none' "db: says there is no baseline"
la check --db "$TMP/empty.db" --run 3 --baseline 2
expect_rc 0 "db: --baseline RUN compares with that run"
la check --db "$TMP/empty.db" --run 3 --baseline $BASE
expect_rc 1 "db: --baseline FILE works with --db"
python3 -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute("UPDATE runs SET kind = ? WHERE id = 2", ("retrain",)); db.commit()' "$TMP/empty.db"
la check --db "$TMP/empty.db" --run 2
expect_rc 2 "db: a retrain run is not judged: exit 2"; expect_err 'run 2 is a retrain run' "db: says why"
la check --db "$TMP/empty.db" --run 9
expect_rc 2 "db: missing run: exit 2"; expect_err 'no run 9' "db: names the missing run"

# --- real audits: digits with true labels vs 10% and 30% symmetric noise ---------
NOISE="$DATA/noise"
if ! "$LA_BIN" audit --help >/dev/null 2>&1; then
    fail "real-data check tests" "the audit command does not run"
    exit 0
fi
awk -F, 'NR==1{print "id,label"; next}{print $1","$2}' "$NOISE/digits_sym10_seed1.csv" > "$TMP/true.csv"
awk -F, 'NR==1{print "id,label"; next}{print $1","$3}' "$NOISE/digits_sym10_seed1.csv" > "$TMP/sym10.csv"
awk -F, 'NR==1{print "id,label"; next}{print $1","$3}' "$NOISE/digits_sym30_seed1.csv" > "$TMP/sym30.csv"
for v in true sym10 sym30; do
    la audit --labels "$TMP/$v.csv" --pred-probs $FIX/digits_${v}_probs.npy --classes $FIX/classes.txt \
        --out "$TMP/audit_$v" --summary "$TMP/s_$v.json" --db "$TMP/real.db" --quiet
    expect_rc 0 "audit of digits ($v labels) with --summary"
    expect_file "$TMP/s_$v.json" "summary.json written ($v)"
done
la check --summary "$TMP/s_sym10.json" --baseline "$TMP/s_sym10.json"
expect_rc 0 "real: sym10 vs itself: exit 0"
la check --summary "$TMP/s_true.json" --baseline "$TMP/s_sym10.json"
expect_rc 0 "real: clean labels vs sym10 baseline: exit 0"
la check --summary "$TMP/s_sym30.json" --baseline "$TMP/s_sym10.json"
expect_rc 1 "real: sym30 vs sym10 baseline: exit 1"
expect_out 'FAIL max-increase: .*a real rise' "real: the rise is named as real"
la check --summary "$TMP/s_sym10.json" --baseline "$TMP/s_true.json" --max-increase 0.02
expect_rc 1 "real: sym10 vs clean baseline (10% noise added): exit 1"
la check --summary "$TMP/s_sym30.json" --max-error-rate 0.2
expect_rc 1 "real: sym30 over --max-error-rate 0.2: exit 1"
la check --summary "$TMP/s_sym10.json" --max-error-rate 0.2
expect_rc 0 "real: sym10 within --max-error-rate 0.2: exit 0"
la check --summary "$TMP/s_sym30.json" --baseline "$TMP/s_sym10.json" --format junit --out "$TMP/real.xml" --quiet --max-class-error-rate 0.25
expect_rc 1 "real: junit exit 1"
check "real: junit well-formed" xml_ok "$TMP/real.xml"
# the database path: runs recorded in order true, sym10, sym30 on different label files,
# so the latest run has no same-dataset predecessor unless the dataset path matches
la check --db "$TMP/real.db" --baseline 2
expect_rc 1 "real db: sym30 run vs sym10 run: exit 1"
# the CI flow: the same labels file, re-annotated, audited into one database;
# the default baseline is the previous run on that file
cp "$TMP/sym10.csv" "$TMP/labels.csv"
la audit --labels "$TMP/labels.csv" --pred-probs $FIX/digits_sym10_probs.npy --classes $FIX/classes.txt --out "$TMP/ci1" --db "$TMP/ci.db" --quiet
la check --db "$TMP/ci.db"
expect_rc 0 "ci db: first run, no baseline yet: exit 0"
cp "$TMP/sym30.csv" "$TMP/labels.csv"
la audit --labels "$TMP/labels.csv" --pred-probs $FIX/digits_sym30_probs.npy --classes $FIX/classes.txt --out "$TMP/ci2" --db "$TMP/ci.db" --quiet
la check --db "$TMP/ci.db" --format github
expect_rc 1 "ci db: noisier re-annotation vs the previous run: exit 1"
expect_out '^::error title=labelaudit check%3A max-increase::' "ci db: github error names the limit"
cp "$TMP/true.csv" "$TMP/labels.csv"
la audit --labels "$TMP/labels.csv" --pred-probs $FIX/digits_true_probs.npy --classes $FIX/classes.txt --out "$TMP/ci3" --db "$TMP/ci.db" --quiet
la check --db "$TMP/ci.db"
expect_rc 0 "ci db: cleaner re-annotation: exit 0"
# --- --min-reviewed-precision: the audit's precision as reviewers judged it --------
# reviewers judge the 40 worst-ranked examples of the sym10 run: a genuine error when the
# noisy label differs from the true one, else a false alarm (decisions --import)
la audit --labels "$TMP/sym10.csv" --pred-probs $FIX/digits_sym10_probs.npy --classes $FIX/classes.txt --out "$TMP/rv_a" --db "$TMP/rv.db" --quiet
la check --db "$TMP/rv.db" --min-reviewed-precision 0.5
expect_rc 2 "min-reviewed-precision without verdicts: exit 2"
expect_err 'needs at least 20 reviewed examples with a verdict, and there are 0' "says how many verdicts it needs and has"
[ ! -s "$OUT" ] && pass "no verdict printed without enough reviews" || fail "no verdict without reviews" "$(head -2 "$OUT")"
la check --summary "$TMP/s_sym10.json" --min-reviewed-precision 0.5
expect_rc 2 "min-reviewed-precision on a summary file: exit 2"; expect_err 'give --db instead of --summary' "says verdicts need --db"
la check --db "$TMP/rv.db" --min-reviewed-precision 1.5; expect_rc 2 "--min-reviewed-precision outside [0,1] refused"
la check --db "$TMP/rv.db" --min-reviewed-precision 0.5 --min-reviewed 0; expect_rc 2 "--min-reviewed 0 refused"
sqlite3 "$TMP/rv.db" "SELECT dataset_id FROM queue_view WHERE run_id = (SELECT max(id) FROM runs) ORDER BY rank LIMIT 40" > "$TMP/rv_ids"
awk -F, 'NR==FNR { if (FNR > 1) { t[$1] = $2; n[$1] = $3 } next }
         FNR == 1 { print "id,decision,new_label,reviewer,note,verdict" }
         { v = (t[$1] != n[$1]) ? "error" : "false_alarm"; d = (v == "error") ? "relabel" : "keep";
           print $1 "," d "," (d == "relabel" ? t[$1] : "") ",ci,," v }' "$NOISE/digits_sym10_seed1.csv" "$TMP/rv_ids" > "$TMP/rv.csv"
la decisions --db "$TMP/rv.db" --import "$TMP/rv.csv" --quiet; expect_rc 0 "40 reviewed verdicts imported"
nerr=$(grep -c ',error$' "$TMP/rv.csv")
dump=$(sqlite3 "$TMP/rv.db" .dump | md5sum)
la check --db "$TMP/rv.db" --min-reviewed-precision 0.5 --min-reviewed 41
expect_rc 2 "40 verdicts, --min-reviewed 41: exit 2"; expect_err 'at least 41 .* there are 40' "names both counts"
la check --db "$TMP/rv.db" --min-reviewed-precision 0.5 --format json
expect_rc 0 "reviewed precision of the sym10 audit meets 0.5: exit 0"
/usr/bin/python3 - "$OUT" "$nerr" > "$TMP/py.txt" 2>&1 <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1])); x = int(sys.argv[2]); n = 40; z = 1.959963984540054
c = [c for c in d["checks"] if c["name"] == "min-reviewed-precision"]
assert len(c) == 1 and c[0]["status"] == "pass", d["checks"]
c = c[0]; p = x / n; den = 1 + z * z / n; m = (p + z * z / (2 * n)) / den
h = z / den * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
lo, hi = c["interval"]
assert abs(c["value"] - p) < 1e-9 and abs(lo - (m - h)) < 1e-6 and abs(hi - (m + h)) < 1e-6, (c, p, m - h, m + h)
print("ok")
PY
[ "$(cat "$TMP/py.txt")" = ok ] && pass "json: the case carries precision and its Wilson interval" || fail "json: min-reviewed-precision case" "$(cat "$TMP/py.txt")"
la check --db "$TMP/rv.db" --min-reviewed-precision 0.999
expect_rc 1 "reviewed precision below 0.999 with its interval: exit 1"
expect_out "FAIL min-reviewed-precision: reviewed precision .* \\($nerr of 40 reviewed examples a genuine label error, 95% Wilson interval\\) is below the minimum 0\\.9990: its upper bound by" "names precision, counts and the shortfall"
la check --db "$TMP/rv.db" --min-reviewed-precision 0.95
expect_rc 0 "point estimate below 0.95 but the interval reaches it: exit 0 (the upper bound is judged)"
expect_out '^ok   min-reviewed-precision: .*may be below \(the interval reaches the minimum 0\.9500; not a fail\)' "says it may be below, not a fail"
[ "$(sqlite3 "$TMP/rv.db" .dump | md5sum)" = "$dump" ] && pass "check leaves the database unchanged" || fail "check leaves the database unchanged" "changed"
echo "  (sym10 top 40: $nerr genuine errors)"

# mismatched classes: rename 'zero' to 'null' in the labels
sed 's/,zero$/,null/' "$TMP/sym10.csv" > "$TMP/renamed.csv"
sed 's/^zero$/null/' $FIX/classes.txt > "$TMP/renamed_classes.txt"
la audit --labels "$TMP/renamed.csv" --pred-probs $FIX/digits_sym10_probs.npy --classes "$TMP/renamed_classes.txt" --out "$TMP/audit_ren" --summary "$TMP/s_ren.json" --quiet
expect_rc 0 "audit with a renamed class"
la check --summary "$TMP/s_ren.json" --baseline "$TMP/s_sym10.json"
expect_rc 2 "real: mismatched classes: exit 2"
expect_err "only in current \(1\): 'null'; only in baseline \(1\): 'zero'" "real: differences listed"
