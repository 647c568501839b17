# test_rebalance.sh — issue 19 through the binary, on a synthetic 95:5 table
# (5 gaussian features, the rare class shifted): the prior correction is
# recorded and --raw-probs keeps the raw probabilities; logit-adjusted,
# --oversample-ratio and --decouple run in cv; --rebalance auto records what
# it compared and chose per fold (cv) and once (retrain); the operating point
# of `metrics --precision-at-least` is written with --threshold-out and used
# by `retrain --threshold`, where it meets its budget on held-out data; bad
# combinations and bad threshold files exit 2 naming the reason; --stop-on
# balanced is recorded, moves the early stop, and comes with --rebalance auto.
. tests/e2e/lib.sh

gen() {   # gen SEED N FILE
    python3 - "$1" "$2" "$3" <<'PY'
import random, sys
seed, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
r = random.Random(seed)
with open(path, 'w') as f:
    f.write('id,f1,f2,f3,f4,f5,label\n')
    for i in range(n):
        rare = r.random() < 0.05
        m = 2.5 if rare else 0.0
        f.write('r%05d,%s,%s\n' % (i, ','.join('%.5f' % (m + r.gauss(0, 1)) for _ in range(5)),
                                   'rare' if rare else 'common'))
PY
}
gen 1 2000 "$TMP/train.csv"
gen 2 3000 "$TMP/test.csv"
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# plain: no prior correction key (runs without rebalancing are unchanged)
la cv --data "$TMP/train.csv" --out "$TMP/plain/p.npy" --threads 2 --quiet
expect_rc 0 "plain cv runs"
check "plain cv records no prior correction" sh -c "! grep -q prior_correction '$TMP/plain/metrics.json'"

la cv --data "$TMP/train.csv" --out "$TMP/la/p.npy" --loss logit-adjusted --tau 1 --threads 2 --quiet
expect_rc 0 "cv --loss logit-adjusted runs"
check "logit-adjusted: prior correction applied, tau recorded" test "$(jq_ "$TMP/la/metrics.json" "d['prior_correction'], d['tau'], d['loss']")" = "applied 1.0 logit-adjusted"
la cv --data "$TMP/train.csv" --out "$TMP/laraw/p.npy" --loss logit-adjusted --raw-probs --threads 2 --quiet
check "--raw-probs recorded" test "$(jq_ "$TMP/laraw/metrics.json" "d['prior_correction']")" = raw
check "--raw-probs changes the probabilities" sh -c "! cmp -s '$TMP/la/p.npy' '$TMP/laraw/p.npy'"

la cv --data "$TMP/train.csv" --out "$TMP/os/p.npy" --oversample-ratio 0.3 --threads 2 --quiet
expect_rc 0 "cv --oversample-ratio 0.3 (SMOTE) runs"
check "oversample ratio recorded" test "$(jq_ "$TMP/os/metrics.json" "d['oversample_ratio'], d['prior_correction']")" = "0.3 applied"
la cv --data "$TMP/train.csv" --out "$TMP/dec/p.npy" --model mlp --hidden 16 --epochs 5 --decouple --threads 2 --quiet
expect_rc 0 "cv --decouple --model mlp runs"
check "cv --decouple: variant recorded" test "$(jq_ "$TMP/dec/metrics.json" "d['variant'], d['decouple']")" = "decouple True"

# --rebalance auto: compared and chosen, per fold
la cv --data "$TMP/train.csv" --out "$TMP/auto/p.npy" --rebalance auto --threads 2 --quiet
expect_rc 0 "cv --rebalance auto runs"
A="$TMP/auto/metrics.json"
check "auto: mode and the default metric (recall-guarded at 0.5) recorded" test "$(jq_ "$A" "d['rebalance']['mode'], d['rebalance']['select_by'], d['rebalance']['precision']")" = "auto recall-guarded 0.5"
check "auto: the default records the PR-AUC guard" test "$(jq_ "$A" "sum(1 for f in d['folds'] if len(f['rebalance']['pr_auc_gain']) == 10)")" = 5
check "auto: logreg compares six strategies" test "$(jq_ "$A" "' '.join(d['rebalance']['compared'])")" = "plain balanced weighted focal logit-adjusted oversample-ratio"
check "auto: every fold records its choice and six scores and five blends" test "$(jq_ "$A" "sum(1 for f in d['folds'] if f['rebalance']['chosen'] in f['rebalance']['scores'] and len(f['rebalance']['scores']) == 11 and 'blend:balanced' in f['rebalance']['gain_over_plain'])")" = 5
check "auto: the chosen counts add up to the folds" test "$(jq_ "$A" "sum(d['rebalance']['chosen'].values())")" = 5
check "auto: three inner repeats by default" test "$(jq_ "$A" "d['rebalance']['repeats']")" = 3
la cv --data "$TMP/train.csv" --out "$TMP/auto1/p.npy" --rebalance auto --rebalance-repeats 1 --threads 2 --quiet
check "auto --rebalance-repeats 1 recorded" test "$(jq_ "$TMP/auto1/metrics.json" "d['rebalance']['repeats']")" = 1
la cv --data "$TMP/train.csv" --out "$TMP/auto3/p.npy" --rebalance auto --threads 2 --quiet
check "auto: same seed, same bytes" cmp -s "$TMP/auto/p.npy" "$TMP/auto3/p.npy"
# "without saying so": folds whose choice scores below plain's inner score are
# listed in metrics.json and named on stderr, and no other fold is
BELOW=$(jq_ "$A" "' '.join(str(i) for i, f in enumerate(d['folds']) if f['rebalance']['chosen'] != 'plain' and not f['rebalance']['scores'][f['rebalance']['chosen']] >= f['rebalance']['scores']['plain'])")
check "auto: below_plain_folds lists exactly the folds below plain" test "$(jq_ "$A" "' '.join(str(i) for i in d['rebalance'].get('below_plain_folds', []))")" = "$BELOW"
check "auto: per-fold below_plain agrees" test "$(jq_ "$A" "' '.join(str(i) for i, f in enumerate(d['folds']) if f['rebalance'].get('below_plain'))")" = "$BELOW"
if [ -n "$BELOW" ]; then expect_err "below plain's inner recall-guarded on fold\\(s\\) $BELOW " "auto: stderr names the folds below plain"
else check "auto: no below-plain note when no fold is below" sh -c "! grep -q 'below plain' '$ERR'"; fi
la cv --data "$TMP/train.csv" --out "$TMP/auto2/p.npy" --rebalance auto --select-by recall-at-precision:0.8 --threads 2 --quiet
check "auto --select-by recall-at-precision:P recorded" test "$(jq_ "$TMP/auto2/metrics.json" "d['rebalance']['select_by'], d['rebalance']['precision']")" = "recall-at-precision 0.8"
# the gain is the pooled inner scores' difference (not a mean of per-fold gains)
check "auto: gain_over_plain = pooled score - plain's" test "$(jq_ "$A" "sum(1 for f in d['folds'] if all(abs(g - (f['rebalance']['scores'][s] - f['rebalance']['scores']['plain'])) < 1e-12 for s, g in f['rebalance']['gain_over_plain'].items()))")" = 5
# recall-guarded: R@P among the candidates whose PR-AUC gain is >= -its error
la cv --data "$TMP/train.csv" --out "$TMP/autog/p.npy" --rebalance auto --select-by recall-guarded:0.6 --threads 2 --quiet
expect_rc 0 "cv --select-by recall-guarded runs"
G="$TMP/autog/metrics.json"
check "auto recall-guarded: metric and precision recorded" test "$(jq_ "$G" "d['rebalance']['select_by'], d['rebalance']['precision']")" = "recall-guarded 0.6"
check "auto recall-guarded: every fold records the PR-AUC guard of 10 candidates" test "$(jq_ "$G" "sum(1 for f in d['folds'] if len(f['rebalance']['pr_auc_gain']) == 10 and len(f['rebalance']['pr_auc_gain_se']) == 10)")" = 5
check "auto recall-guarded: no chosen candidate loses PR-AUC beyond its error" test "$(jq_ "$G" "sum(1 for f in d['folds'] if f['rebalance']['chosen'] == 'plain' or f['rebalance']['pr_auc_gain'][f['rebalance']['chosen']] >= -f['rebalance']['pr_auc_gain_se'][f['rebalance']['chosen']])")" = 5
la cv --data "$TMP/train.csv" --out "$TMP/autop/p.npy" --rebalance auto --select-by pr-auc --threads 2 --quiet
expect_rc 0 "cv --select-by pr-auc (no longer the default) runs"
check "auto --select-by pr-auc recorded, without a precision" test "$(jq_ "$TMP/autop/metrics.json" "d['rebalance']['select_by'], 'precision' in d['rebalance']")" = "pr-auc False"
check "auto pr-auc: no guard recorded" test "$(jq_ "$TMP/autop/metrics.json" "sum(1 for f in d['folds'] if 'pr_auc_gain' in f['rebalance'])")" = 0
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --rebalance auto --select-by recall-guarded:2; expect_rc 2 "--select-by recall-guarded:2 exits 2"

# bad combinations
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --decouple; expect_rc 2 "--decouple without the mlp exits 2"
expect_err 'decouple refits the output layer of a network' "says why"
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --oversample-ratio 0; expect_rc 2 "--oversample-ratio 0 exits 2"
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --oversample-ratio 1.5; expect_rc 2 "--oversample-ratio above 1 exits 2"
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --sampler oversample --oversample-ratio 0.2; expect_rc 2 "--sampler with --oversample-ratio exits 2"
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --rebalance auto --loss focal; expect_rc 2 "--rebalance auto with a --loss exits 2"
expect_err 'chooses the loss' "says auto chooses the loss"
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --rebalance auto --rebalance-repeats 0; expect_rc 2 "--rebalance-repeats 0 exits 2"
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --rebalance always; expect_rc 2 "--rebalance always exits 2"
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --rebalance auto --select-by f1; expect_rc 2 "--select-by f1 exits 2"
expect_err 'recall-at-precision' "lists the metrics"
la cv --data "$TMP/train.csv" --out "$TMP/x/p.npy" --loss logit-adjusted --tau -1; expect_rc 2 "negative --tau exits 2"

# the operating point: chosen on out-of-fold probabilities, used on held-out data
la metrics --labels "$TMP/plain/labels.npy" --pred-probs "$TMP/plain/p.npy" --precision-at-least 0.8 --threshold-out "$TMP/thr.json"
expect_rc 0 "metrics --precision-at-least 0.8 --threshold-out"
expect_out "positive class 'rare'" "the rare class is the positive one by default"
expect_out "confusion matrix at this threshold" "prints the confusion matrix at the operating point"
check "threshold file names the class index and the constraint" test "$(jq_ "$TMP/thr.json" "d['class_index'], d['constraint'], d['value']")" = "1 min_precision 0.8"
# the class names of the training set: relabel the file's class 1 -> rare
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d['class']='rare'; json.dump(d, open(sys.argv[1],'w'))" "$TMP/thr.json"
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/rt" --threshold "$TMP/thr.json" --quiet
expect_rc 0 "retrain --threshold FILE"
check "retrain records the threshold" test "$(jq_ "$TMP/rt/metrics.json" "d['threshold']['class']")" = rare
check "the operating point meets its budget on held-out data (precision >= 0.8)" \
    test "$(jq_ "$TMP/rt/metrics.json" "int([p for p in d['per_class'] if p['class']=='rare'][0]['precision'] >= 0.8)")" = 1
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/rt0" --quiet
check "the threshold changes the test predictions (recall differs from the argmax's)" \
    test "$(jq_ "$TMP/rt/metrics.json" "[p for p in d['per_class'] if p['class']=='rare'][0]['recall']")" != \
         "$(jq_ "$TMP/rt0/metrics.json" "[p for p in d['per_class'] if p['class']=='rare'][0]['recall']")"
la metrics --labels "$TMP/plain/labels.npy" --pred-probs "$TMP/plain/p.npy" --recall-at-least 0.9 --format json
expect_rc 0 "metrics --recall-at-least 0.9"
expect_out '"min_recall"' "records the recall constraint"
la metrics --labels "$TMP/plain/labels.npy" --pred-probs "$TMP/plain/p.npy" --threshold-out "$TMP/t2.json"
expect_rc 2 "--threshold-out without an operating point exits 2"
printf 'label\n0\n1\n0\n' > "$TMP/l3.csv"; printf '0,1\n0.1,0.9\n0.8,0.2\n0.3,0.7\n' > "$TMP/p3.csv"
la metrics --labels "$TMP/l3.csv" --pred-probs "$TMP/p3.csv" --precision-at-least 0.8 --threshold-out "$TMP/t3.json"
expect_rc 2 "--threshold-out when no threshold meets the budget exits 2"
check "and writes nothing" test ! -e "$TMP/t3.json"
echo '{"class": "rare"}' > "$TMP/bad.json"
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/rtb" --threshold "$TMP/bad.json"
expect_rc 2 "a threshold file without a threshold exits 2"
expect_err 'bad.json.*threshold' "names the file and the missing threshold"
echo '{"class": "other", "threshold": 0.5}' > "$TMP/bad2.json"
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/rtb" --threshold "$TMP/bad2.json"
expect_rc 2 "a threshold file of an unknown class exits 2"
expect_err "class 'other' is not a class of the training set" "names the class"
echo 'not json' > "$TMP/bad3.json"
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/rtb" --threshold "$TMP/bad3.json"
expect_rc 2 "a threshold file that is not JSON exits 2"
expect_err 'bad3.json:1' "names the file and line"

# retrain --rebalance auto: one comparison on the whole training set
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/rta" --rebalance auto --quiet
expect_rc 0 "retrain --rebalance auto"
check "retrain records the choice and the scores" test "$(jq_ "$TMP/rta/metrics.json" "int(d['rebalance']['chosen'] in d['rebalance']['scores'])")" = 1
RB=$(jq_ "$TMP/rta/metrics.json" "int(bool(d['rebalance'].get('below_plain')))")
check "retrain: below_plain recorded iff the choice scores below plain" test "$RB" = "$(jq_ "$TMP/rta/metrics.json" "int(d['rebalance']['chosen'] != 'plain' and not d['rebalance']['scores'][d['rebalance']['chosen']] >= d['rebalance']['scores']['plain'])")"
check "retrain: the stderr note iff recorded" test "$(grep -c 'below plain' "$ERR")" = "$RB"

# --stop-on balanced (mlp, cnn): early stopping on the class-balanced
# validation loss, recorded; --rebalance auto implies it unless --stop-on says
# otherwise; runs that keep the default record nothing
MLP="--model mlp --hidden 16 --epochs 40 --threads 2 --quiet"
# shellcheck disable=SC2086
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/sa" $MLP
check "mlp: the default rule records no stop_on" test "$(jq_ "$TMP/sa/metrics.json" "d.get('stop_on')")" = None
# shellcheck disable=SC2086
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/sb" $MLP --stop-on balanced
expect_rc 0 "retrain --stop-on balanced"
check "--stop-on balanced recorded" test "$(jq_ "$TMP/sb/metrics.json" "d['stop_on']")" = balanced
check "--stop-on balanced keeps another epoch than accuracy" test \
    "$(jq_ "$TMP/sa/metrics.json" "d['curves']['best_epoch']")" != "$(jq_ "$TMP/sb/metrics.json" "d['curves']['best_epoch']")"
V0=$(jq_ "$TMP/sa/metrics.json" "d['curves']['val_loss'][0]")
check "the curve's validation loss is the balanced one (the rare class weighs half: higher)" test \
    "$(jq_ "$TMP/sb/metrics.json" "int(d['curves']['val_loss'][0] > 2 * $V0)")" = 1
# shellcheck disable=SC2086
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/sc" $MLP --rebalance auto --rebalance-repeats 1
check "--rebalance auto stops on the balanced loss" test "$(jq_ "$TMP/sc/metrics.json" "d['stop_on']")" = balanced
# shellcheck disable=SC2086
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/sd" $MLP --stop-on accuracy --rebalance auto --rebalance-repeats 1
check "--stop-on accuracy before --rebalance auto is kept" test "$(jq_ "$TMP/sd/metrics.json" "d.get('stop_on')")" = None
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --out "$TMP/se" --stop-on balanced --quiet
check "logreg (no early stopping) records no stop_on" test "$(jq_ "$TMP/se/metrics.json" "d.get('stop_on')")" = None
la cv --data "$TMP/train.csv" --out "$TMP/sf/p.npy" --model mlp --stop-on rare --quiet
expect_rc 2 "--stop-on rare exits 2"
expect_err "is not accuracy, loss or balanced" "names the choices"
