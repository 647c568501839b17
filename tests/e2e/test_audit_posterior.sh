#!/bin/sh
# test_audit_posterior.sh — `audit --filter-by noise_posterior` through the
# binary: it flags as many examples as the low_* filters (the confident
# joint's off-diagonal count), those whose given label is least probable
# under Bayes' rule with the estimated noise matrix,
#     P(true = i | x, given = i) = p_i NM[i][i] / SUM_j p_j NM[i][j],
# checked against numpy from the run's own noise_matrix.csv; the same flags
# for .npy and pandas CSV probabilities and at any thread count; refused
# where the low_* filters are; and, on the shared digits file with 30%
# asymmetric noise and the mlp's out-of-fold probabilities, it finds the
# flips better than low_normalized_margin and the default filter.
. "$(dirname "$0")/lib.sh"
need_python numpy pandas
CASE="$GOLDEN/digits_logreg_k10_n1797"
L="$CASE/labels.npy"; P="$CASE/pred_probs.npy"

la audit --help
expect_out "noise_posterior" "audit --help lists noise_posterior"
la audit --labels "$L" --pred-probs "$P" --filter-by noise_posterior --out "$TMP/a" --threads 1
expect_rc 0 "audit --filter-by noise_posterior runs"
expect_err "filter noise_posterior" "the summary names the filter"
check "summary.json method noise_posterior" "$PY" -c '
import json, sys; s = json.load(open(sys.argv[1])); sys.exit(s["method"] != "noise_posterior")' "$TMP/a/summary.json"

# the definition, from the run's own noise matrix (rows given, columns true)
posterior_ok() {   # OUT_DIR: flagged = the m lowest posteriors (ties: lower index first)
    "$PY" - "$L" "$P" "$1" <<'PYEOF'
import csv, sys
import numpy as np
y = np.load(sys.argv[1]); p = np.load(sys.argv[2]); out = sys.argv[3]
rows = list(csv.reader(open(out + "/noise_matrix.csv")))
k = p.shape[1]   # a row label column only when the classes have names
nm = np.array([[float(v) for v in r[-k:]] for r in rows[1:]])
num = p * nm[y, :]
q = num[np.arange(len(y)), y] / num.sum(1)
m = int(open(out + "/num_label_issues_off_diagonal.txt").read())
want = set(np.argsort(q, kind="stable")[:m].tolist())
issues = list(csv.DictReader(open(out + "/label_issues.csv")))
got = {int(r["index"]) for r in issues}
# the suggestion of a flagged row: the most probable true class but the given one
alt = np.where(np.arange(k)[None, :] == y[:, None], -1.0, num).argmax(1)
sugg_ok = all(int(r["suggested_label"]) == alt[int(r["index"])] for r in issues)
sys.exit(not (got == want and len(got) == m and m > 0 and sugg_ok))
PYEOF
}
check "flags = the off-diagonal count of lowest posteriors, suggestions = the posterior's best other class (numpy)" \
    posterior_ok "$TMP/a"

la audit --labels "$L" --pred-probs "$P" --filter-by noise_posterior --out "$TMP/b" --threads 4 --quiet
check "--threads 4: the same label_issues.csv" cmp "$TMP/a/label_issues.csv" "$TMP/b/label_issues.csv"
# a pandas CSV of the same probabilities (float64 round trip)
"$PY" -c '
import numpy as np, pandas as pd, sys
p = np.load(sys.argv[1]); y = np.load(sys.argv[2])
pd.DataFrame(p, columns=["c%d" % j for j in range(p.shape[1])]).to_csv(sys.argv[3], index=False, float_format="%.17g")
pd.DataFrame({"label": ["c%d" % v for v in y]}).to_csv(sys.argv[4], index=False)' "$P" "$L" "$TMP/p.csv" "$TMP/y.csv"
la audit --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --filter-by noise_posterior --out "$TMP/c" --quiet
expect_rc 0 "pandas CSV probabilities and named labels"
check "pandas CSV: the same flagged indices" sh -c "cut -d, -f2 '$TMP/a/label_issues.csv' | sort > '$TMP/ia' &&
    cut -d, -f2 '$TMP/c/label_issues.csv' | sort > '$TMP/ic' && cmp '$TMP/ia' '$TMP/ic'"

la audit --labels "$L" --pred-probs "$P" --filter-by noise_posterior --frac-noise 0.5 --out "$TMP/fn" --quiet
expect_rc 0 "--frac-noise with noise_posterior runs"
expect_err "warning: --frac-noise applies to prune_by_noise_rate, prune_by_class and both only; noise_posterior ignores it" \
    "... and says the fraction is ignored (as cleanlab warns)"
check "... with the same flags" cmp "$TMP/a/label_issues.csv" "$TMP/fn/label_issues.csv"
la audit --labels "$L" --pred-probs "$P" --filter-by noise_posterior --num-to-remove-per-class 1,1,1,1,1,1,1,1,1,1 \
    --out "$TMP/nr" --quiet
expect_rc 2 "--num-to-remove-per-class is refused with noise_posterior"

# refused where the low_* filters are: a single given class
"$PY" -c '
import numpy as np, sys
np.save(sys.argv[1], np.zeros(1797, dtype=np.int64))' "$TMP/zeros.npy"
la audit --labels "$TMP/zeros.npy" --pred-probs "$P" --filter-by noise_posterior --out "$TMP/z" --quiet
expect_rc 2 "a single given class is refused"
expect_err "at least 2 classes" "says why"
check "nothing written for the refused run" test ! -e "$TMP/z/label_issues.csv"

# detection on real noise: shared digits, 30% asymmetric, mlp out-of-fold
NZ="$DATA/noise/digits_asym30_seed1.csv"
awk -F, 'NR==1{print "id,label";next}{print $1","$3}' "$NZ" > "$TMP/noisy.csv"
la cv --data "$DATA/tabular/digits.csv" --labels "$TMP/noisy.csv" --model mlp --seed 0 --threads 2 --quiet \
    --out "$TMP/cv/p.npy"
expect_rc 0 "cv mlp on the noisy digits"
for f in prune_by_noise_rate low_normalized_margin noise_posterior; do
    la audit --data "$DATA/tabular/digits.csv" --labels "$TMP/noisy.csv" --pred-probs "$TMP/cv/p.npy" \
        --filter-by "$f" --out "$TMP/d_$f" --quiet --db "$TMP/d_$f.db"
    expect_rc 0 "audit the noisy digits with $f"
done
f1() {   # OUT_DIR: F1 of its flags against the flipped ids, x 1000
    awk -F, 'FNR==1{next} NR==FNR{if ($2 != $3) flip[$1]=1; nf += ($2 != $3); next}
        {fl++; if ($3 in flip) tp++} END{p = tp/fl; r = tp/nf; printf "%d\n", 2000*p*r/(p+r)}' "$NZ" "$1/label_issues.csv"
}
fp=$(f1 "$TMP/d_noise_posterior"); fm=$(f1 "$TMP/d_low_normalized_margin"); fd=$(f1 "$TMP/d_prune_by_noise_rate")
echo "  flip F1 x 1000: noise_posterior $fp, low_normalized_margin $fm, prune_by_noise_rate $fd"
check "noise_posterior finds the flips better than low_normalized_margin ($fp > $fm)" test "$fp" -gt "$fm"
check "... and than the default prune_by_noise_rate ($fp > $fd)" test "$fp" -gt "$fd"
# its suggestions: the posterior's best other class, against the model's argmax on the same flags
SR=$("$PY" - "$NZ" "$TMP/cv/p.npy" "$TMP/d_noise_posterior/label_issues.csv" "$TMP/d_noise_posterior/classes.txt" <<'PYEOF'
import csv, sys
import numpy as np
truth = {r[0]: r[1] for r in list(csv.reader(open(sys.argv[1])))[1:]}
p = np.load(sys.argv[2]); names = open(sys.argv[4]).read().split()
issues = list(csv.DictReader(open(sys.argv[3])))
post = sum(truth[r["id"]] == r["suggested_label"] for r in issues)
model = sum(truth[r["id"]] == names[int(p[int(r["index"])].argmax())] for r in issues)
print(post, model)
PYEOF
)
echo "  flagged rows whose suggestion is the true class: noise_posterior ${SR% *}, the model's argmax ${SR#* }"
check "noise_posterior's suggestions are right at least as often as the model's argmax (${SR% *} >= ${SR#* })" \
    test "${SR% *}" -ge "${SR#* }"
check "the same count as low_normalized_margin" sh -c "[ \$(wc -l < '$TMP/d_noise_posterior/label_issues.csv') = \
    \$(wc -l < '$TMP/d_low_normalized_margin/label_issues.csv') ]"
# the review queue and clean take its flags like any other filter's
la clean --db "$TMP/d_noise_posterior.db" --data "$DATA/tabular/digits.csv" --labels "$TMP/noisy.csv" \
    --auto drop --out "$TMP/clean" --quiet
expect_rc 0 "clean --auto drop on a noise_posterior run"
nflag=$(($(wc -l < "$TMP/d_noise_posterior/label_issues.csv") - 1))
check "clean kept the 1797 - $nflag unflagged rows" sh -c "[ \$(( \$(wc -l < '$TMP/clean/digits.csv') - 1 )) = $((1797 - nflag)) ]"
check "no flagged id is left in the cleaned table" sh -c "awk -F, 'FNR==1{next} NR==FNR{f[\$3]=1; next} (\$1 in f){bad=1} END{exit bad}' \
    '$TMP/d_noise_posterior/label_issues.csv' '$TMP/clean/digits.csv'"
