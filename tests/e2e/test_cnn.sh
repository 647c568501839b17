# test_cnn.sh — `cv --model cnn`, `retrain --model cnn` and ensembles end to
# end: IDX (fm200) and a manifest of PNGs (digits-png, 8x8), .npy rows with
# --image-shape, the same probabilities at 1 and 2 threads, --augment and
# the sampler, learning curves in metrics.json, ensemble:logreg+mlp+cnn with
# and without --ensemble-weights, decoupled rebalancing of a rare digit
# (--decouple, in cv, retrain and auto's candidates), and bad input (exit 2,
# with the reason).
. tests/e2e/lib.sh
FM=tests/data/idx/fm200-images-idx3-ubyte.gz
DIG="$DATA/digits-png/manifest.csv"
ge() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
SMALL="--cnn-filters 8,16 --cnn-dense 32 --epochs 6 --batch-size 32"

la cv --help
expect_out "cnn" "cv help lists the cnn"
expect_out "--image-shape" "cv help lists --image-shape"
expect_out "ensemble:" "cv help lists ensembles"

# IDX, 200 Fashion-MNIST images: 2 threads and 1 thread give the same bytes
la cv --data "$FM" --out "$TMP/c2/p.npy" --model cnn $SMALL --threads 2 --seed 3 --quiet
expect_rc 0 "cv --model cnn on IDX"
expect_file "$TMP/c2/p.npy" "cnn probabilities written"
check "metrics.json names the cnn, with learning curves" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert d["model"] == "cnn" and d["accuracy"] > 0.5, (d["model"], d["accuracy"])
assert all("curve" in f and len(f["curve"]["val_accuracy"]) >= 1 for f in d["folds"])' "$TMP/c2/metrics.json"
la cv --data "$FM" --out "$TMP/c1/p.npy" --model cnn $SMALL --threads 1 --seed 3 --quiet
expect_rc 0 "cv --model cnn, 1 thread"
check "same seed: the same probabilities at 1 and 2 threads" cmp "$TMP/c1/p.npy" "$TMP/c2/p.npy"
la cv --data "$FM" --out "$TMP/c3/p.npy" --model cnn $SMALL --threads 2 --seed 4 --quiet
check "another seed: other probabilities" sh -c "! cmp -s '$TMP/c1/p.npy' '$TMP/c3/p.npy'"

# augmentation (shifts, flips) and oversampling run
la cv --data "$FM" --out "$TMP/ca/p.npy" --model cnn $SMALL --augment --flip --sampler oversample --loss gce --quiet
expect_rc 0 "cnn with --augment --flip --sampler oversample --loss gce"

# a manifest of 8x8 PNGs (1797 digits): a cnn learns them
la cv --data "$DIG" --out "$TMP/dg/p.npy" --model cnn --cnn-filters 16,32 --epochs 15 --threads 2 --quiet
expect_rc 0 "cv --model cnn on a PNG manifest"
acc=$(jget "$TMP/dg/metrics.json" 'd["accuracy"]')
check "cnn digits accuracy $acc >= 0.93" ge "$acc" 0.93

# .npy rows with --image-shape (the 200 images as float32 rows)
python3 - "$FM" "$TMP/fm.npy" "$TMP/fm_y.npy" <<'EOF'
import gzip, struct, sys
b = gzip.open(sys.argv[1]).read()
n = struct.unpack(">I", b[4:8])[0]
lab = gzip.open(sys.argv[1].replace("images-idx3", "labels-idx1")).read()[8:]
def npy(path, descr, shape, payload):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    h += " " * (63 - (10 + len(h)) % 64) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + payload)
npy(sys.argv[2], "<f4", "(%d, 784)" % n, struct.pack("<%df" % (n * 784), *[v / 255 for v in b[16:16 + n * 784]]))
npy(sys.argv[3], "<i8", "(%d,)" % n, struct.pack("<%dq" % n, *lab[:n]))
EOF
la cv --data "$TMP/fm.npy" --npy-labels "$TMP/fm_y.npy" --image-shape 28x28x1 --out "$TMP/cn/p.npy" --model cnn $SMALL --threads 2 --seed 3 --quiet
expect_rc 0 "cv --model cnn on .npy rows with --image-shape"
la cv --data "$TMP/fm.npy" --npy-labels "$TMP/fm_y.npy" --out "$TMP/cn2/p.npy" --model cnn --quiet
expect_rc 2 ".npy without --image-shape: exit 2"
expect_err "image-shape" "the error asks for --image-shape"
la cv --data "$TMP/fm.npy" --npy-labels "$TMP/fm_y.npy" --image-shape 20x20x1 --out "$TMP/cn3/p.npy" --model cnn --quiet
expect_rc 2 "a wrong --image-shape: exit 2"
expect_err "400 values but rows have 784 features" "the error names both sizes"
la cv --data "$TMP/fm.npy" --npy-labels "$TMP/fm_y.npy" --image-shape 28x28 --out "$TMP/cn4/p.npy" --model cnn --quiet
expect_rc 2 "--image-shape without C: exit 2"
expect_err "HxWxC" "the error shows the form"

# retrain: fm200 on itself as the test set
la retrain --data "$FM" --test "$FM" --out "$TMP/rt" --model cnn $SMALL --quiet
expect_rc 0 "retrain --model cnn"
expect_file "$TMP/rt/test_pred_probs.npy" "retrain cnn test probabilities written"
check "retrain cnn fits its training set" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); assert d["accuracy"] > 0.6, d["accuracy"]' "$TMP/rt/metrics.json"

# --decouple: the cnn trained on the natural distribution, then its output
# layer refitted class-balanced on the dense layer. Digits with "nine" cut to
# 15 of 1797 rows: the plain cnn finds a third of them, the decoupled one more
python3 - "$DIG" "$TMP/rare.csv" <<'EOF'
import csv, os, sys
base = os.path.dirname(os.path.abspath(sys.argv[1]))
w = csv.writer(open(sys.argv[2], "w", newline="")); w.writerow(["id", "path", "label"])
nines = 0
for r in csv.DictReader(open(sys.argv[1])):
    nines += r["label"] == "nine"
    if r["label"] != "nine" or nines <= 15: w.writerow([r["id"], os.path.join(base, r["path"]), r["label"]])
EOF
RARE="--data $TMP/rare.csv --allow-outside-root --model cnn --cnn-filters 16,32 --epochs 15 --threads 2 --quiet"
nine() { jget "$1/metrics.json" "[c['$2'] for c in d['per_class'] if c['class'] == 'nine'][0]"; }
la cv $RARE --out "$TMP/rp/p.npy"; expect_rc 0 "cv cnn, 15 nines"
la cv $RARE --out "$TMP/rd/p.npy" --decouple; expect_rc 0 "cv --model cnn --decouple"
la cv $RARE --out "$TMP/rr/p.npy" --decouple --raw-probs; expect_rc 0 "cv --model cnn --decouple --raw-probs"
check "cv cnn --decouple: variant and prior correction recorded" test "$(jget "$TMP/rd/metrics.json" "d['variant'], d['prior_correction']")" = "('decouple', 'applied')"
rp=$(nine "$TMP/rp" recall); rr=$(nine "$TMP/rr" recall); ap=$(nine "$TMP/rp" pr_auc); ad=$(nine "$TMP/rd" pr_auc)
check "decoupled head's own recall of the nines $rr > plain's $rp + 0.2" ge "$rr" "$(python3 -c "print($rp + 0.2)")"
check "decoupled cnn's PR-AUC of the nines $ad >= plain's $ap" ge "$ad" "$ap"
check "the prior correction changes the decoupled probabilities" sh -c "! cmp -s '$TMP/rd/p.npy' '$TMP/rr/p.npy'"
la retrain --data "$FM" --test "$FM" --out "$TMP/rtd" --model cnn $SMALL --decouple --sampler undersample --quiet
expect_rc 0 "retrain --model cnn --decouple --sampler undersample"
check "retrain records the decoupled variant" test "$(jget "$TMP/rtd/metrics.json" "d['variant']")" = decouple
la cv --data "$FM" --out "$TMP/ra/p.npy" --model cnn $SMALL --epochs 3 --folds 2 --rebalance auto --rebalance-folds 2 --rebalance-repeats 1 --threads 2 --quiet
expect_rc 0 "cv --model cnn --rebalance auto"
check "auto compares decouple for the cnn" test "$(jget "$TMP/ra/metrics.json" "d['rebalance']['compared'][-1]")" = decouple
la cv --data "$FM" --out "$TMP/x/p.npy" --model knn --decouple
expect_rc 2 "--decouple with knn: exit 2"
expect_err "add --model mlp or --model cnn" "the error names the models that decouple"
la retrain --data "$FM" --test "$FM" --out "$TMP/x" --model cnn --rebalance auto --decouple
expect_rc 2 "retrain --rebalance auto --decouple: exit 2"
expect_err "drop --decouple" "the error says auto chooses decoupling itself"

# ensembles
la cv --data "$FM" --out "$TMP/e/p.npy" --model ensemble:logreg+mlp+cnn $SMALL --threads 2 --quiet
expect_rc 0 "cv --model ensemble:logreg+mlp+cnn"
check "ensemble probabilities are 200 x 10 rows summing to 1" python3 -c '
import struct,sys; b=open(sys.argv[1],"rb").read(); hl=struct.unpack("<H",b[8:10])[0]
p=struct.unpack("<2000d", b[10+hl:10+hl+16000]); assert min(p) > 0
assert max(abs(sum(p[10*i:10*i+10]) - 1) for i in range(200)) < 1e-9' "$TMP/e/p.npy"
check "metrics.json names the ensemble" python3 -c '
import json,sys; assert json.load(open(sys.argv[1]))["model"] == "ensemble"' "$TMP/e/metrics.json"
la cv --data "$FM" --out "$TMP/ew/p.npy" --model ensemble:logreg+cnn --ensemble-weights $SMALL --quiet
expect_rc 0 "cv ensemble with --ensemble-weights"
la retrain --data "$FM" --test "$FM" --out "$TMP/er" --model ensemble:logreg+knn --quiet
expect_rc 0 "retrain an ensemble"
la cv --data "$FM" --out "$TMP/eb/p.npy" --model ensemble:logreg --quiet
expect_rc 2 "an ensemble of one: exit 2"
expect_err "2 to 4 members" "the error says how many members"
la cv --data "$FM" --out "$TMP/eb/p.npy" --model ensemble:logreg+svm --quiet
expect_rc 2 "an unknown member: exit 2"
expect_err "logreg, mlp, knn or cnn" "the error lists the members"
la cv --data "$DATA/tabular/iris.csv" --out "$TMP/ib/p.npy" --model cnn --quiet
expect_rc 2 "cnn on a table: exit 2"
expect_err "needs images" "the error says the cnn needs images"
la cv --data "$FM" --out "$TMP/cb/p.npy" --model cnn --cnn-filters 4,4,4,4 --quiet
expect_rc 2 "four --cnn-filters: exit 2"
la cv --data "$FM" --out "$TMP/cb/p.npy" --model cnn --stop-on area --quiet
expect_rc 2 "--stop-on area: exit 2"
expect_err "accuracy, loss or balanced" "the error names the choices"
