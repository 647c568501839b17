#!/bin/sh
# test_roundtrip.sh — the loop's outputs load with default options (issue 14):
# cv -> audit --db -> clean --auto drop -> retrain on exactly what clean wrote
# -> metrics, for every input format (CSV table, .npy features, manifest,
# image folder, IDX), each later command given only the file the previous
# one wrote (clean and retrain reuse the loader options the run recorded).
# On the shared noise files (digits with 30% asymmetric noise) the retrain on
# the cleaned set must not be worse on the held-out true labels than the
# retrain on the noisy set. Files are written as pandas/numpy write them.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
NOISE="$DATA/noise/digits_asym30_seed1.csv"
IDX="$(dirname "$0")/../data/idx"
NTRAIN=1300

# ---- inputs: digits with noisy training labels, true test labels ----------
mkdir -p "$TMP/dg"
cp -r "$DATA/digits-png/images" "$TMP/dg/images"
$PY - "$DATA" "$NOISE" "$TMP" "$NTRAIN" <<'EOF'
import os, sys
import numpy as np, pandas as pd
data, noise, tmp, ntrain = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
df = pd.read_csv(f"{data}/tabular/digits.csv")
nz = pd.read_csv(noise)
assert (nz["id"] == df["id"]).all()
noisy = df.copy()
noisy["label"] = nz["noisy_label"].values
noisy.iloc[:ntrain].to_csv(f"{tmp}/train.csv", index=False)
df.iloc[ntrain:].to_csv(f"{tmp}/test.csv", index=False)
feats = [c for c in df.columns if c not in ("id", "label")]
os.makedirs(f"{tmp}/np", exist_ok=True)
np.save(f"{tmp}/np/train.npy", noisy[feats].values[:ntrain].astype(np.float32))
np.save(f"{tmp}/np/test.npy", df[feats].values[ntrain:].astype(np.float32))
noisy[["id", "label"]].iloc[:ntrain].to_csv(f"{tmp}/np/train_labels.csv", index=False)
df[["id", "label"]].iloc[ntrain:].to_csv(f"{tmp}/np/test_labels.csv", index=False)
m = pd.read_csv(f"{data}/digits-png/manifest.csv")
assert (m["id"] == df["id"]).all()
mn = m.copy()
mn["label"] = nz["noisy_label"].values
mn.iloc[:ntrain].to_csv(f"{tmp}/dg/train_manifest.csv", index=False)
m.iloc[ntrain:].to_csv(f"{tmp}/dg/test_manifest.csv", index=False)
# an image folder of the noisy training set: root/<noisy label>/<file>
for _, r in mn.iloc[:ntrain].iterrows():
    d = f"{tmp}/fold/{r['label']}"
    os.makedirs(d, exist_ok=True)
    os.link(f"{tmp}/dg/{r['path']}", f"{d}/{os.path.basename(r['path'])}")
EOF
$PY - "$IDX/fm200-labels-idx1-ubyte.gz" "$TMP/fm_noisy.csv" <<'EOF'
import gzip, sys
import numpy as np, pandas as pd
y = np.frombuffer(gzip.open(sys.argv[1], "rb").read()[8:], np.uint8).astype(np.int64)
rng = np.random.default_rng(3)
flip = rng.choice(len(y), size=len(y) // 5, replace=False)
y[flip] = (y[flip] + 1 + rng.integers(0, 9, size=len(flip))) % 10
pd.Series(y, name="label").to_csv(sys.argv[2], index=False)
EOF
check "inputs written with pandas/numpy" test -s "$TMP/train.csv" -a -s "$TMP/np/train.npy" -a -s "$TMP/fm_noisy.csv"

acc() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["accuracy"])' "$1"; }

# loop NAME TRAIN TEST "TRAIN LOADER OPTIONS" "TEST OPTIONS" "CV LABELS OPTION"
loop() {
    fmt=$1; train=$2; test=$3; lopts=$4; topts=$5; cvlab=$6
    W="$TMP/w-$fmt"
    # shellcheck disable=SC2086
    la cv --data "$train" $lopts $cvlab --model logreg --folds 3 --seed 1 --threads 2 --out "$W/cv/pp.npy" --quiet
    expect_rc 0 "$fmt: cv"
    check "$fmt: cv wrote classes.txt beside pred_probs" test -s "$W/cv/classes.txt"
    # the audit on cv's files, nothing repeated but the dataset's own options
    if [ -n "$cvlab" ]; then
        la audit --data "$train" $lopts --labels "$W/cv/labels.npy" --pred-probs "$W/cv/pp.npy" --out "$W/audit" \
            --db "$W/db" --quiet
    else
        la audit --data "$train" $lopts --pred-probs "$W/cv/pp.npy" --out "$W/audit" --db "$W/db" --quiet
    fi
    expect_rc 0 "$fmt: audit --db on cv's output"
    check "$fmt: audit names its classes (classes.txt)" cmp -s "$W/cv/classes.txt" "$W/audit/classes.txt"
    # clean: no loader options (the run's are reused); the labels the audit used
    cl=""; [ -n "$cvlab" ] && cl="--labels ${cvlab#--labels }"
    # shellcheck disable=SC2086
    la clean --db "$W/db" --data "$train" $cl --auto drop --out "$W/clean" --format json
    expect_rc 0 "$fmt: clean --auto drop with the run's loader options"
    cleaned="$W/clean/$($PY -c 'import json,sys; print(json.load(sys.stdin)["dataset"].rsplit("/",1)[1])' < "$OUT")"
    kept=$($PY -c 'import json,sys; d=json.load(sys.stdin); print(d["examples_out"] < d["examples_in"])' < "$OUT")
    check "$fmt: clean dropped some examples" test "$kept" = True
    # the cleaned set loads with default options everywhere
    la inspect "$cleaned" --quiet
    expect_rc 0 "$fmt: inspect loads what clean wrote (default options)"
    # shellcheck disable=SC2086
    la retrain --data "$cleaned" --test "$test" $topts --model logreg --seed 1 --threads 2 --out "$W/rt" --db "$W/db" --quiet
    expect_rc 0 "$fmt: retrain on exactly what clean wrote"
    la metrics --labels "$W/rt/test_labels.npy" --pred-probs "$W/rt/test_pred_probs.npy" --out "$W/m" --quiet
    expect_rc 0 "$fmt: metrics on retrain's files"
    check "$fmt: metrics named the classes from classes.txt beside" grep -q '"class"' "$W/m/metrics.json"
    la cv --data "$cleaned" --model logreg --folds 3 --seed 1 --threads 2 --out "$W/cv2/pp.csv" --quiet
    expect_rc 0 "$fmt: cv on the cleaned set (CSV probabilities)"
    la audit --data "$cleaned" --pred-probs "$W/cv2/pp.csv" --out "$W/audit2" --quiet
    expect_rc 0 "$fmt: audit reads cv's CSV probabilities"
    if [ "$fmt" != idx ]; then
        # shellcheck disable=SC2086
        la retrain --data "$train" $lopts $cvlab --test "$test" $topts --model logreg --seed 1 --threads 2 \
            --out "$W/rt_noisy" --quiet
        expect_rc 0 "$fmt: retrain on the noisy set"
        a_clean=$(acc "$W/rt/metrics.json"); a_noisy=$(acc "$W/rt_noisy/metrics.json")
        check "$fmt: cleaned retrain ($a_clean) not worse than noisy ($a_noisy)" \
            $PY -c "import sys; sys.exit(not float('$a_clean') >= float('$a_noisy'))"
    fi
}

loop csv "$TMP/train.csv" "$TMP/test.csv" "" "" ""
loop npy "$TMP/np/train.npy" "$TMP/np/test.npy" "--npy-labels $TMP/np/train_labels.csv" \
    "--test-labels $TMP/np/test_labels.csv" ""
loop manifest "$TMP/dg/train_manifest.csv" "$TMP/dg/test_manifest.csv" "" "" ""
loop folder "$TMP/fold" "$TMP/dg/test_manifest.csv" "" "" ""
loop idx "$IDX/fm200-images-idx3-ubyte.gz" "$IDX/fm200-images-idx3-ubyte.gz" "" "" "--labels $TMP/fm_noisy.csv"

# a cleaned manifest's images are the very files (hard links), inside its directory
first=$(sed -n 2p "$TMP/w-manifest/clean/manifest.csv" | cut -d, -f2)
check "cleaned manifest: paths stay inside its directory" test "${first#images/}" != "$first"
src=$(grep "^$(sed -n 2p "$TMP/w-manifest/clean/manifest.csv" | cut -d, -f1)," "$TMP/dg/train_manifest.csv" | cut -d, -f2)
check "cleaned manifest: the same file (hard link)" test "$TMP/w-manifest/clean/$first" -ef "$TMP/dg/$src"
# the guard still refuses a manifest that leaves its directory
printf 'id,path,label\na,../dg/%s,zero\n' "$src" > "$TMP/w-manifest/evil.csv"
la inspect "$TMP/w-manifest/evil.csv"
expect_rc 2 "an untrusted manifest leaving its directory is still refused"
expect_err "evil\.csv:2.*leaves the manifest's directory" "refusal names file, line and reason"

# the run records how its data was read (--missing here): clean and retrain
# given --db read the cleaned copy the same way without being told again
M="$TMP/miss"; mkdir -p "$M"
awk -F, 'NR == 5 { $3 = "" } { print }' OFS=, "$SHARED/data/tabular/Glass.csv" > "$M/g.csv"
la cv --data "$M/g.csv" --missing mean --model logreg --seed 1 --out "$M/cv/pp.npy" --audit "$M/audit" --db "$M/db" --quiet
expect_rc 0 "missing cells: cv --missing mean --audit --db"
check "the run records missing: mean" grep -q '"missing": "mean"' "$M/audit/summary.json"
la clean --db "$M/db" --data "$M/g.csv" --auto drop --out "$M/clean"
expect_rc 0 "missing cells: clean --db"
la retrain --data "$M/clean/g.csv" --test "$M/g.csv" --model logreg --out "$M/rt0" --quiet
expect_rc 2 "missing cells: retrain without --db or --missing refuses the empty cell"
la retrain --data "$M/clean/g.csv" --test "$M/g.csv" --db "$M/db" --model logreg --out "$M/rt" --quiet
expect_rc 0 "missing cells: retrain --db reuses the run's --missing mean"
