#!/bin/sh
# test_audit_mean.sh — `audit --pred-probs A --pred-probs B`: the audit of the
# element-wise mean of several probability files (two models, two detection
# rounds), without a numpy line. Checked through the binary against numpy's
# (A + B) / 2 and (A + B + C) / 3 audited as one file: every output file is
# identical. Files in another class order (a pandas CSV with named columns
# permuted) or row order (ids shuffled) average by name and id; mismatched
# files are refused with the file named, exit 2, and nothing written. The mean
# is written to OUT/pred_probs_mean.npy and is the run's probability file
# (summary.json, --db, report). Fixture: the digits golden case (K = 10).
. "$(dirname "$0")/lib.sh"
need_python numpy pandas
CASE="$GOLDEN/digits_logreg_k10_n1797"
"$PY" - "$CASE" "$TMP" <<'PYEOF'
import os, sys
import numpy as np, pandas as pd
case, out = sys.argv[1], sys.argv[2]
a = np.load(case + "/pred_probs.npy")
n, k = a.shape
rng = np.random.default_rng(5)
def other(scale):
    z = np.log(np.clip(a, 1e-12, 1)) + rng.normal(scale=scale, size=a.shape)
    p = np.exp(z - z.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)
b, c = other(1.0), other(2.0)
names = ["digit_%d" % j for j in range(k)]
for d, p in (("a", a), ("b", b), ("c", c)):
    os.makedirs(out + "/" + d)
    np.save(out + "/%s/p.npy" % d, p)
    open(out + "/%s/classes.txt" % d, "w").write("".join(x + "\n" for x in names))
os.makedirs(out + "/m2"); os.makedirs(out + "/m3")
np.save(out + "/m2/p.npy", (a + b) / 2)
np.save(out + "/m3/p.npy", np.mean(np.stack([a, b, c]), axis=0))
for d in ("m2", "m3"):
    open(out + "/%s/classes.txt" % d, "w").write("".join(x + "\n" for x in names))
y = np.load(case + "/labels.npy")
ids = ["img%04d" % i for i in range(n)]
pd.DataFrame({"id": ids, "label": [names[v] for v in y]}).to_csv(out + "/labels.csv", index=False)
# A as a CSV in order; B with its columns in reverse class order and its rows shuffled
pd.DataFrame(a, columns=names).assign(id=ids).to_csv(out + "/a.csv", index=False)
perm = rng.permutation(n)
pd.DataFrame(b[perm][:, ::-1], columns=names[::-1]).assign(id=[ids[i] for i in perm]).to_csv(out + "/b_shuffled.csv", index=False)
# refusals: another k, other rows, other classes
np.save(out + "/k9.npy", a[:, :9] / a[:, :9].sum(1, keepdims=True))
np.save(out + "/short.npy", a[:-1])
np.save(out + "/b_npy_unnamed.npy", b)   # no classes.txt beside it
# values that are not probabilities but would average into [0, 1] with A
bad = a.copy(); bad[5, 2] = 1.5
np.save(out + "/over.npy", bad)
bad = a.copy(); bad[7, 0] = np.nan
np.save(out + "/nan.npy", bad)
os.makedirs(out + "/other")
np.save(out + "/other/p.npy", b)
open(out + "/other/classes.txt", "w").write("".join(("x%d" % j) + "\n" for j in range(k)))
PYEOF
L="$CASE/labels.npy"
same_set() {   # same_set DIR1 DIR2: every output file of DIR2 equal in DIR1 (summary.json without its paths)
    for f in "$2"/*; do
        b=$(basename "$f")
        [ "$b" = pred_probs_mean.npy ] && continue
        if [ "$b" = summary.json ]; then
            "$PY" - "$1/$b" "$f" <<'PY' || return 1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for d in (a, b):
    for key in ("pred_probs_path", "pred_probs_mean_of", "labels_path"): d.pop(key, None)
    d["options"].pop("classes", None)
sys.exit(a != b)
PY
        else
            cmp -s "$1/$b" "$f" || return 1
        fi
    done
}
same_mean() { "$PY" -c "import numpy as n, sys; a = n.load(sys.argv[1]); b = n.load(sys.argv[2]); sys.exit(not (a.dtype == n.float64 and n.array_equal(a, b)))" "$1" "$2"; }

for F in prune_by_noise_rate low_normalized_margin; do
    la audit --labels "$L" --pred-probs "$TMP/m2/p.npy" --out "$TMP/ref2_$F" --filter-by $F --scores --quiet
    expect_rc 0 "numpy's (A + B) / 2 audited ($F)"
    la audit --labels "$L" --pred-probs "$TMP/a/p.npy" --pred-probs "$TMP/b/p.npy" --out "$TMP/mean2_$F" --filter-by $F --scores --quiet
    expect_rc 0 "--pred-probs A --pred-probs B ($F)"
    check "the mean of two audits like numpy's mean file, every output ($F)" same_set "$TMP/mean2_$F" "$TMP/ref2_$F"
done
check "pred_probs_mean.npy is numpy's (A + B) / 2, float64, bit for bit" same_mean "$TMP/mean2_prune_by_noise_rate/pred_probs_mean.npy" "$TMP/m2/p.npy"
check "classes.txt of the mean: the files' class names" cmp -s "$TMP/mean2_prune_by_noise_rate/classes.txt" "$TMP/a/classes.txt"
S="$TMP/mean2_prune_by_noise_rate/summary.json"
check "summary.json: the run's probabilities are the mean file, and of which files" "$PY" -c "
import json, sys; d = json.load(open(sys.argv[1]))
sys.exit(not (d['pred_probs_path'].endswith('mean2_prune_by_noise_rate/pred_probs_mean.npy') and len(d['pred_probs_mean_of']) == 2 and d['pred_probs_mean_of'][1].endswith('b/p.npy')))" "$S"

la audit --labels "$L" --pred-probs "$TMP/m3/p.npy" --out "$TMP/ref3" --quiet
la audit --labels "$L" --pred-probs "$TMP/a/p.npy" --pred-probs "$TMP/b/p.npy" --pred-probs "$TMP/c/p.npy" --out "$TMP/mean3" --quiet
expect_rc 0 "three --pred-probs"
check "the mean of three audits like numpy's np.mean of the stack" same_set "$TMP/mean3" "$TMP/ref3"
check "and its mean file is numpy's" same_mean "$TMP/mean3/pred_probs_mean.npy" "$TMP/m3/p.npy"

# pandas CSVs: B's columns in reverse class order, its rows shuffled; ids matched to labels.csv
la audit --labels "$TMP/labels.csv" --pred-probs "$TMP/a.csv" --pred-probs "$TMP/b_shuffled.csv" --out "$TMP/csv2" --quiet
expect_rc 0 "a CSV and a shuffled, column-permuted pandas CSV"
la audit --labels "$TMP/labels.csv" --pred-probs "$TMP/m2/p.npy" --out "$TMP/ref2csv" --quiet
check "averaged by class name and id: the same audit as numpy's mean" same_set "$TMP/csv2" "$TMP/ref2csv"
check "and the same mean" same_mean "$TMP/csv2/pred_probs_mean.npy" "$TMP/m2/p.npy"

# --db: the mean file is the recorded probability file; report reads it
la audit --labels "$L" --pred-probs "$TMP/a/p.npy" --pred-probs "$TMP/b/p.npy" --out "$TMP/db_run" --db "$TMP/la.db" --quiet
expect_rc 0 "averaged audit with --db"
check "the database records OUT/pred_probs_mean.npy as the run's probabilities" \
    test "$(sqlite3 "$TMP/la.db" 'select pred_probs_path from runs order by id desc limit 1')" = "$TMP/db_run/pred_probs_mean.npy"
la report --db "$TMP/la.db" --out "$TMP/rep" --quiet
expect_rc 0 "report of the averaged run"

# a later single-file run into the same OUT removes the stale mean; auditing the mean itself keeps it
la audit --labels "$L" --pred-probs "$TMP/db_run/pred_probs_mean.npy" --out "$TMP/db_run" --quiet
expect_rc 0 "re-audit of the mean file into its own directory"
check "the mean it read is kept" test -s "$TMP/db_run/pred_probs_mean.npy"
la audit --labels "$L" --pred-probs "$TMP/a/p.npy" --out "$TMP/mean3" --quiet
expect_rc 0 "one --pred-probs into a directory holding a mean"
check "the earlier run's mean is removed (OUT holds this run's files)" test ! -e "$TMP/mean3/pred_probs_mean.npy"

# a classes.txt beside the first file that belongs to other probabilities:
# not used, and said once (not once per reading)
mkdir -p "$TMP/w2"; cp "$TMP/a/p.npy" "$TMP/w2/p.npy"; printf 'x\ny\n' > "$TMP/w2/classes.txt"
la audit --labels "$L" --pred-probs "$TMP/w2/p.npy" --pred-probs "$TMP/m2/p.npy" --out "$TMP/w2o" --classes "$TMP/a/classes.txt" --quiet
expect_rc 0 "a wrong classes.txt beside the first file, --classes given"
la audit --labels "$L" --pred-probs "$TMP/w2/p.npy" --pred-probs "$TMP/b_npy_unnamed.npy" --out "$TMP/w2o"
expect_rc 0 "a wrong classes.txt beside the first file, no --classes"
check "its warning is printed once" test "$(grep -c 'w2/classes.txt lists 2 classes' "$ERR")" = 1

# refusals: exit 2, the file named, nothing written
refused() {   # refused NAME REGEX ARGS...
    name=$1 re=$2; shift 2
    rm -rf "$TMP/bad"
    la audit --labels "$L" --pred-probs "$TMP/a/p.npy" "$@" --out "$TMP/bad"
    expect_rc 2 "$name: exit 2"
    expect_err "$re" "$name: the message"
    check "$name: nothing written" test ! -e "$TMP/bad"
}
refused "another number of classes" "k9\\.npy.*9 columns, but .*a/p\\.npy has 10" --pred-probs "$TMP/k9.npy"
refused "fewer rows" "short\\.npy.*1796 rows, but .*a/p\\.npy has 1797" --pred-probs "$TMP/short.npy"
refused "other class names" "other/p\\.npy.*no column for class 'digit_0'" --pred-probs "$TMP/other/p.npy"
refused "ids in one file only" "b_shuffled\\.csv.*has an id column, but .*a/p\\.npy has none" --pred-probs "$TMP/b_shuffled.csv"
refused "a value above 1 (the mean would hide it)" "over\\.npy.*row 5, column 2: probability 1\\.5 is outside \\[0, 1\\]" --pred-probs "$TMP/over.npy"
refused "a NaN" "nan\\.npy.*row 7, column 0: probability nan is not finite" --pred-probs "$TMP/nan.npy"
refused "shards" "shards cannot be averaged" --pred-probs "$TMP/b/p.npy,$TMP/c/p.npy"
refused "a missing file" "nope\\.npy" --pred-probs "$TMP/nope.npy"
la audit --labels "$L" --pred-probs "$TMP/a/p.npy" --pred-probs "$TMP/b/p.npy" --multi-label --out "$TMP/bad"
expect_rc 2 "--multi-label with two --pred-probs: exit 2"
expect_err "--multi-label takes one --pred-probs" "--multi-label with two: the message"
la audit --help
expect_out "Given several times: their mean" "--help says --pred-probs may be given several times"
