# test_conventions.sh — the command-line conventions the README states, through
# the binary: results on stdout, progress and information on stderr, --quiet
# silences all but errors (a --format json document asked for is still
# printed); terminal tables align UTF-8 class names by display width.
. tests/e2e/lib.sh
T="$DATA/tabular/Glass.csv"

# ---- --quiet: nothing on stdout or stderr, JSON still when asked for --------------
la cv --data "$T" --model logreg --folds 3 --seed 1 --threads 2 --out "$TMP/pp.npy" --quiet
expect_rc 0 "cv --quiet exits 0"
[ ! -s "$OUT" ] && [ ! -s "$ERR" ] && pass "cv --quiet: nothing on stdout or stderr" || fail "cv --quiet silent" "$(head -c 200 "$OUT")"
la cv --data "$T" --model logreg --folds 3 --seed 1 --threads 2 --out "$TMP/pp.npy"
expect_out '^all +accuracy' "cv without --quiet: the table on stdout"
la cv --data "$T" --model logreg --folds 3 --seed 1 --threads 2 --out "$TMP/pp.npy" --quiet --format json
check "cv --quiet --format json: the document on stdout" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT"
la retrain --data "$T" --test "$T" --model logreg --seed 1 --threads 2 --out "$TMP/rt" --quiet
expect_rc 0 "retrain --quiet exits 0"
[ ! -s "$OUT" ] && [ ! -s "$ERR" ] && pass "retrain --quiet: nothing on stdout or stderr" || fail "retrain --quiet silent" "$(head -c 200 "$OUT")"
la metrics --labels "$TMP/rt/test_labels.npy" --pred-probs "$TMP/rt/test_pred_probs.npy" --quiet
expect_rc 0 "metrics --quiet exits 0"
[ ! -s "$OUT" ] && [ ! -s "$ERR" ] && pass "metrics --quiet: nothing on stdout or stderr" || fail "metrics --quiet silent" "$(head -c 200 "$OUT")"
la metrics --labels "$TMP/rt/test_labels.npy" --pred-probs "$TMP/rt/test_pred_probs.npy"
expect_out '^class +support' "metrics without --quiet: the table on stdout"

# ---- UTF-8 class names line up in terminal tables ----------------------------------
printf 'x,label\n1,caf\303\251\n2,\346\227\245\346\234\254\n3,\346\227\245\346\234\254\n4,cat\n5,na\303\257ve-long\n6,e\314\201t\303\251\n' > "$TMP/u.csv"
la inspect "$TMP/u.csv"
expect_rc 0 "inspect a dataset with UTF-8 class names"
check "inspect: class counts start in one display column" python3 - "$OUT" <<'PY'
import sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
i = next(k for k, l in enumerate(lines) if l.startswith("classes"))
rows = [l for l in lines[i + 1:i + 6]]
ends = {width(l) for l in rows}
sys.exit(0 if len(ends) == 1 else 1)
PY
