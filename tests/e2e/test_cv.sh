# test_cv.sh — `labelaudit cv` end to end on real data: accuracy that makes
# sense for logreg, mlp and knn, every output file, stratified folds.csv,
# reproducibility, a class with fewer examples than folds, --labels and
# --weights matched by id, images with oversampling, --audit, --coteach (each
# fold a co-taught mlp pair) against 30% asymmetric noise, and bad input.
. tests/e2e/lib.sh
T="$DATA/tabular"
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# .npy without numpy: NPY = "import ..." defines load(path) -> (shape, list)
NPY='
import ast, struct, sys
def load(path):
    b = open(path, "rb").read()
    assert b[:6] == b"\x93NUMPY"
    hl = struct.unpack("<H", b[8:10])[0] if b[6] == 1 else struct.unpack("<I", b[8:12])[0]
    off = 10 if b[6] == 1 else 12
    h = ast.literal_eval(b[off:off + hl].decode())
    code = {"<f8": "d", "<i8": "q", "<f4": "f"}[h["descr"]]
    n = 1
    for s in h["shape"]: n *= s
    return h["descr"], h["shape"], list(struct.unpack("<%d%s" % (n, code), b[off + hl:off + hl + n * struct.calcsize(code)]))
'
ge() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }

la cv --help
expect_rc 0 "cv --help"
expect_out "--folds" "help lists --folds"
expect_out "--sampler" "help lists the shared training options"
expect_out "--label-col" "help lists the loader options"
expect_out "--coteach" "help lists --coteach"
expect_out "--forget-rate" "help lists --forget-rate"

# iris, logreg: outputs beside --out
la cv --data "$T/iris.csv" --out "$TMP/iris/pred_probs.npy" --seed 1   # (no --quiet: the table is checked below)
expect_rc 0 "cv iris logreg"
expect_file "$TMP/iris/pred_probs.npy" "pred_probs.npy written"
expect_file "$TMP/iris/labels.npy" "labels.npy written"
expect_file "$TMP/iris/folds.csv" "folds.csv written"
expect_file "$TMP/iris/metrics.json" "metrics.json written"
expect_out "^all +accuracy 0\.9" "iris logreg accuracy >= 0.9"
check "metrics.json keys" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
for k in ["accuracy","balanced_accuracy","log_loss","macro_f1","per_class","confusion_matrix","folds"]: assert k in d, k
assert len(d["folds"]) == 5 and len(d["per_class"]) == 3
assert set(d["per_class"][0]) >= {"class","support","precision","recall","f1","pr_auc"}
assert d["per_class"][0]["class"] == "setosa"' "$TMP/iris/metrics.json"
check "pred_probs is 150 x 3 float64 summing to 1" python3 -c "$NPY"'
dt, sh, p = load(sys.argv[1]); ldt, lsh, l = load(sys.argv[2])
assert dt == "<f8" and sh == (150, 3) and min(p) > 0
assert max(abs(sum(p[3*i:3*i+3]) - 1) for i in range(150)) < 1e-9
assert ldt == "<i8" and lsh == (150,) and [l.count(c) for c in range(3)] == [50, 50, 50]' "$TMP/iris/pred_probs.npy" "$TMP/iris/labels.npy"
check "folds.csv stratified: 10 of each class per fold" python3 -c '
import csv,sys,collections
rows=list(csv.DictReader(open(sys.argv[1]))); assert len(rows)==150 and rows[0]["id"]=="iris-0000"
c=collections.Counter((r["id"] < "iris-0050" and "a" or r["id"] < "iris-0100" and "b" or "c", r["fold"]) for r in rows)
assert set(c.values())=={10}, c' "$TMP/iris/folds.csv"

# reproducible: same seed and threads, same bytes; a thread count of 1 works too
la cv --data "$T/iris.csv" --out "$TMP/iris2/pred_probs.npy" --seed 1 --quiet
check "same seed, same probabilities" cmp "$TMP/iris/pred_probs.npy" "$TMP/iris2/pred_probs.npy"
check "same seed, same folds" cmp "$TMP/iris/folds.csv" "$TMP/iris2/folds.csv"

# digits: mlp and knn, json summary
la cv --data "$T/digits.csv" --out "$TMP/dm/p.npy" --model mlp --hidden 64 --epochs 20 --seed 2 --format json --quiet
expect_rc 0 "cv digits mlp"
check "digits mlp accuracy >= 0.93" ge "$(jget "$TMP/dm/metrics.json" 'd["accuracy"]')" 0.93
check "json summary on stdout" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["model"]=="mlp" and "curve" in d["folds"][0]' "$OUT"
la cv --data "$T/digits.csv" --out "$TMP/dk/p.npy" --model knn --k 10 --metric euclidean --quiet
expect_rc 0 "cv digits knn"
check "digits knn accuracy >= 0.93" ge "$(jget "$TMP/dk/metrics.json" 'd["accuracy"]')" 0.93
la cv --data "$T/digits.csv" --out "$TMP/dl/p.npy" --loss focal --gamma 2 --sampler oversample --threads 1 --quiet
expect_rc 0 "cv digits logreg focal oversample, 1 thread"
check "digits logreg accuracy >= 0.9" ge "$(jget "$TMP/dl/metrics.json" 'd["accuracy"]')" 0.9

# a class smaller than the number of folds: Glass tableware has 9 rows
la cv --data "$T/Glass.csv" --out "$TMP/glass/p.npy" --folds 10
expect_rc 0 "Glass with 10 folds runs"
expect_err "class 'tableware' has 9 examples, fewer than 10 folds" "small class warned about"
check "Glass probabilities cover every row" python3 -c "$NPY"'
dt, sh, p = load(sys.argv[1]); assert sh == (214, 6) and min(p) > 0' "$TMP/glass/p.npy"
la cv --data "$T/iris.csv" --out "$TMP/x/p.npy" --folds 151
expect_rc 2 "more folds than rows is a usage error"
expect_err "150 examples cannot be split into 151 folds" "says why"

# --labels by id (noisy digits labels) and --weights by id
python3 - "$DATA/noise/digits_asym10_seed1.csv" "$TMP/noisy.csv" "$TMP/w.csv" <<'PY'
import csv,sys
rows=list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2],"w") as f:
    f.write("id,label\n")
    for r in reversed(rows): f.write("%s,%s\n" % (r["id"], r["noisy_label"]))
with open(sys.argv[3],"w") as f:
    f.write("id,weight\n")
    for i,r in enumerate(rows): f.write("%s,%s\n" % (r["id"], "0.5" if i % 2 else "1"))
PY
la cv --data "$T/digits.csv" --labels "$TMP/noisy.csv" --weights "$TMP/w.csv" --out "$TMP/dn/p.npy" --quiet
expect_rc 0 "cv with --labels and --weights by id"
check "labels.npy holds the replacement labels" python3 -c "$NPY"'
import csv
names=sorted(set(r["noisy_label"] for r in csv.DictReader(open(sys.argv[2]))))
want=[names.index(r["noisy_label"]) for r in csv.DictReader(open(sys.argv[2]))]
assert load(sys.argv[1])[2] == want' "$TMP/dn/labels.npy" "$DATA/noise/digits_asym10_seed1.csv"
head -100 "$TMP/noisy.csv" > "$TMP/short.csv"
la cv --data "$T/digits.csv" --labels "$TMP/short.csv" --out "$TMP/bad/p.npy"
expect_rc 2 "labels file with too few rows"
expect_err "short.csv" "error names the labels file"
check "nothing written on error" test ! -e "$TMP/bad/p.npy"

# weights from a column of the table (the column is not a feature)
printf 'id,a,b,w,label\nr0,1,2,1,x\nr1,2,1,0.5,y\nr2,1,1,2,x\nr3,3,2,1,y\nr4,0,1,1,x\nr5,2,3,1,y\n' > "$TMP/wc.csv"
la cv --data "$TMP/wc.csv" --weight-col w --folds 2 --out "$TMP/wc/p.npy" --quiet
expect_rc 0 "cv --weight-col"
la cv --data "$TMP/wc.csv" --weight-col zz --folds 2 --out "$TMP/wc/p.npy"
expect_rc 2 "cv --weight-col with an unknown column"
expect_err "column 'zz'" "names the missing column"

# images: a manifest, mlp with oversampling and flips
la cv --data "$DATA/fashion-mnist-png/manifest.csv" --out "$TMP/fm/p.npy" --model mlp --hidden 64 --epochs 4 --sampler oversample --flip --quiet
expect_rc 0 "cv fashion-mnist-png mlp oversample"
check "fashion-mnist-png accuracy >= 0.7" ge "$(jget "$TMP/fm/metrics.json" 'd["accuracy"]')" 0.7

# --audit runs the audit on the result
la cv --data "$T/iris.csv" --out "$TMP/ia/p.npy" --audit "$TMP/ia/audit" --db "$TMP/ia/la.db" --quiet
expect_rc 0 "cv --audit --db"
check "audit wrote its directory" test -d "$TMP/ia/audit"
check "database written" test -s "$TMP/ia/la.db"

# the audit's options apply to cv --audit: the same files as `audit` run with
# them on what cv wrote (the summary differs only by the labels' path)
la cv --data "$T/digits.csv" --out "$TMP/ib/p.npy" --audit "$TMP/ib/audit" --filter-by low_normalized_margin \
    --rank-by normalized_margin --frac-noise 0.5 --scores --quiet
expect_rc 0 "cv --audit with audit options"
la audit --data "$T/digits.csv" --pred-probs "$TMP/ib/p.npy" --out "$TMP/ib/ref" --filter-by low_normalized_margin \
    --rank-by normalized_margin --frac-noise 0.5 --scores --quiet
if diff -r -q -x summary.json "$TMP/ib/audit" "$TMP/ib/ref" >/dev/null &&
   grep -q '"filter_by": "low_normalized_margin"' "$TMP/ib/audit/summary.json" &&
   [ -s "$TMP/ib/audit/label_quality_normalized_margin.csv" ]; then
    pass "cv --audit --filter-by/--rank-by/--frac-noise/--scores = audit with them"
else
    fail "cv --audit --filter-by/--rank-by/--frac-noise/--scores = audit with them" "$(diff -r -q "$TMP/ib/audit" "$TMP/ib/ref" | head -n 3)"
fi
la cv --data "$T/iris.csv" --out "$TMP/ib/q.npy" --filter-by both --quiet
expect_rc 2 "an audit option without --audit: usage error"
expect_err "apply to --audit DIR" "  ... naming --audit"
la cv --data "$T/iris.csv" --out "$TMP/ib/q.npy" --audit "$TMP/ib/q" --num-to-remove-per-class 1,2 --quiet
expect_rc 2 "cv --audit --num-to-remove-per-class with the wrong K"
expect_err "needs K = 3 counts, found 2" "  ... naming K"

# --coteach: digits with 30% asymmetric noise (../shared/data/noise); each
# fold's model is a co-taught pair, and its out-of-fold probabilities must
# point back to the true class more often than a plain mlp's
awk -F, 'NR==1{print "id,label"; next}{print $1","$3}' "$DATA/noise/digits_asym30_seed1.csv" > "$TMP/n30.csv"
CO="--data $T/digits.csv --labels $TMP/n30.csv --model mlp --hidden 64 --epochs 20 --seed 1 --quiet"
la cv $CO --coteach --forget-rate 0.3 --forget-epochs 5 --out "$TMP/co/p.npy" --audit "$TMP/co/audit" --db "$TMP/co/la.db"
expect_rc 0 "cv --coteach mlp"
for f in p.npy labels.npy folds.csv metrics.json audit/label_issues.csv; do expect_file "$TMP/co/$f" "cv --coteach wrote $f"; done
check "metrics.json records co-teaching and 5 folds of 20 epochs" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert d["variant"] == "coteach" and d["forget_rate"] == 0.3 and d["forget_epochs"] == 5, d.get("variant")
assert len(d["folds"]) == 5 and all(f["iterations"] == 20 for f in d["folds"])
assert all(len(f["curve"]["train_accuracy"]) == 20 and f["curve"]["best_epoch"] == -1 for f in d["folds"])' "$TMP/co/metrics.json"
la cv $CO --coteach --forget-rate 0.3 --forget-epochs 5 --out "$TMP/co2/p.npy"
check "cv --coteach: same seed, same probabilities" cmp "$TMP/co/p.npy" "$TMP/co2/p.npy"
la cv $CO --coteach --forget-rate 0.3 --forget-epochs 5 --seed 2 --out "$TMP/co3/p.npy"
check "cv --coteach: another seed, other probabilities" sh -c '! cmp -s "$1" "$2"' _ "$TMP/co/p.npy" "$TMP/co3/p.npy"
la cv $CO --out "$TMP/pl/p.npy"
expect_rc 0 "cv plain mlp on the same noisy labels"
check "co-teaching's out-of-fold argmax is the true class more often (by >= 0.03)" python3 -c "$NPY"'
import csv, json
def true_acc(probs, metrics):
    names = [c["class"] for c in json.load(open(metrics))["per_class"]]
    truth = [names.index(r["true_label"]) for r in csv.DictReader(open(sys.argv[1]))]
    _, (n, k), p = load(probs)
    return sum(max(range(k), key=lambda j: p[i * k + j]) == truth[i] for i in range(n)) / n
co = true_acc(sys.argv[2] + "/p.npy", sys.argv[2] + "/metrics.json")
pl = true_acc(sys.argv[3] + "/p.npy", sys.argv[3] + "/metrics.json")
assert co >= pl + 0.03, (co, pl)' "$DATA/noise/digits_asym30_seed1.csv" "$TMP/co" "$TMP/pl"
la cv --data "$T/iris.csv" --out "$TMP/u/p.npy" --coteach
expect_rc 2 "--coteach without --model mlp"
expect_err "--coteach trains an mlp: add --model mlp" "says --coteach needs the mlp"
la cv --data "$T/iris.csv" --out "$TMP/u/p.npy" --coteach --model knn
expect_rc 2 "--coteach with knn"
la cv --data "$T/iris.csv" --out "$TMP/u/p.npy" --coteach --model logreg
expect_rc 2 "--coteach with logreg"
la cv --data "$T/iris.csv" --out "$TMP/u/p.npy" --coteach --model mlp --sampler oversample
expect_rc 2 "--coteach with a sampler"
expect_err "does not take a --sampler" "says why"
la cv --data "$T/digits.csv" --labels "$TMP/noisy.csv" --weights "$TMP/w.csv" --out "$TMP/u/p.npy" --coteach --model mlp
expect_rc 2 "--coteach with --weights"
expect_err "example weights" "says why"
la cv --data "$T/iris.csv" --out "$TMP/u/p.npy" --coteach --model mlp --forget-rate 1.5
expect_rc 2 "--forget-rate out of range"
expect_err "forget-rate" "names --forget-rate"
check "no output after refused --coteach runs" test ! -e "$TMP/u/p.npy"

# bad usage
la cv --data "$T/iris.csv"
expect_rc 2 "missing --out"
la cv --data "$T/iris.csv" --out "$TMP/u/p.npy" --model forest
expect_rc 2 "unknown model"
expect_err "forest" "names the bad model"
la cv --data "$T/iris.csv" --out "$TMP/u/p.npy" --loss focal --focal-alpha 1,2
expect_rc 2 "focal alpha count must match classes"
la cv --data "$T/iris.csv" --out "$TMP/u/p.npy" --db "$TMP/u/x.db"
expect_rc 2 "--db without --audit"
la cv --data "$DATA/bad/ragged_row.csv" --out "$TMP/u/p.npy"
expect_rc 2 "ragged CSV"
expect_err "ragged_row.csv:42" "loader error names file and line"
la cv --data "$T/iris.csv" --out "$TMP/u/p.npy" --bogus
expect_rc 2 "unknown option"
