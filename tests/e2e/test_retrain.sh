# test_retrain.sh — `labelaudit retrain` on a real train/test split of digits
# (tests/data/retrain, every 4th row held out): every loss and sampler of cv,
# co-teaching and decoupling train and score well on the test set; the
# outputs (metrics.json with curves, probabilities, labels, classes) are
# consistent and readable by `metrics`; --db attaches kind 'retrain' to the
# audit run; mismatched test sets and bad option combinations exit 2.
. tests/e2e/lib.sh

TR=tests/data/retrain/digits_train.csv
TE=tests/data/retrain/digits_test.csv
acc() { sed -n 's/^  "accuracy": \([0-9.]*\),*$/\1/p' "$1/metrics.json"; }
good() { awk -v a="$1" -v m="$2" 'BEGIN {exit !(a + 0 >= m)}'; }

la retrain --help; expect_rc 0 "retrain --help exits 0"; expect_out '--coteach' "help lists --coteach"
expect_out '--loss ce\|weighted\|balanced\|focal' "help lists the cv losses"
la retrain --data "$TR" --out "$TMP/x"; expect_rc 2 "retrain without --test is a usage error"
la retrain --data "$TR" --test "$TE" --out "$TMP/x" --coteach; expect_rc 2 "--coteach without an mlp exits 2"
la retrain --data "$TR" --test "$TE" --out "$TMP/x" --model mlp --coteach --decouple; expect_rc 2 "--coteach with --decouple exits 2"
la retrain --data "$TR" --test "$TE" --out "$TMP/x" --model mlp --coteach --forget-rate 1.5; expect_rc 2 "bad --forget-rate exits 2"
expect_err 'forget-rate' "names --forget-rate"
la retrain --data "$TR" --test "$TE" --out "$TMP/x" --coteach; expect_err '--coteach trains an mlp' "says --coteach needs the mlp (the message cv gives too)"
la retrain --data "$TR" --test "$TE" --out "$TMP/x" --model mlp --coteach --sampler oversample; expect_rc 2 "--coteach with a sampler exits 2"
awk -F, 'NR==1 {print "id,weight"; next} {print $1",1"}' "$TR" > "$TMP/w.csv"
la retrain --data "$TR" --weights "$TMP/w.csv" --test "$TE" --out "$TMP/x" --model mlp --coteach
expect_rc 2 "--coteach with --weights exits 2 (co-teaching would ignore them)"
la retrain --data "$TR" --test "$TE" --out "$TMP/x" --model mlp --decouple --coteach --forget-epochs -1; expect_rc 2 "bad --forget-epochs exits 2"

# every rebalancing option of cv, logreg
for opt in "" "--loss weighted" "--loss balanced" "--loss focal --gamma 2" "--loss gce" "--loss sce" \
           "--sampler oversample" "--sampler undersample" "--loss focal --sampler oversample"; do
    name=$(echo "logreg $opt" | tr -s ' -' '_')
    la retrain --data "$TR" --test "$TE" --out "$TMP/$name" $opt --threads 1 --quiet
    expect_rc 0 "retrain $opt exits 0"
    a=$(acc "$TMP/$name")
    good "$a" 0.93 && pass "retrain logreg $opt: test accuracy $a >= 0.93" || fail "retrain logreg $opt accuracy" "$a"
done

# mlp, co-teaching, decoupling, with curves
for opt in "" "--coteach --forget-rate 0.2 --forget-epochs 5" "--decouple" "--decouple --sampler undersample" \
           "--sampler oversample --loss focal"; do
    name=$(echo "mlp $opt" | tr -s ' -' '_')
    la retrain --data "$TR" --test "$TE" --out "$TMP/$name" --model mlp --hidden 64 --epochs 15 --lr 0.005 $opt --threads 1 --quiet
    expect_rc 0 "retrain mlp $opt exits 0"
    a=$(acc "$TMP/$name")
    good "$a" 0.9 && pass "retrain mlp $opt: test accuracy $a >= 0.9" || fail "retrain mlp $opt accuracy" "$a"
    grep -q '"heldout_accuracy": \[' "$TMP/$name/metrics.json" && pass "mlp $opt: held-out curve in metrics.json" || fail "mlp $opt: held-out curve" "missing"
done
M="$TMP/mlp_"
grep -q '"early_stopping_epoch": [0-9]' "$M/metrics.json" && pass "mlp: early-stopping epoch recorded" || fail "mlp: early-stopping epoch recorded" "$(grep early "$M/metrics.json")"
grep -q '"variant": "coteach"' "$TMP/mlp_coteach_forget_rate_0.2_forget_epochs_5/metrics.json" && pass "variant coteach recorded" || fail "variant coteach recorded" "missing"
grep -q '"early_stopping_epoch": null' "$TMP/mlp_coteach_forget_rate_0.2_forget_epochs_5/metrics.json" && pass "co-teaching has no early stopping" || fail "co-teaching has no early stopping" "missing"

# outputs agree with `metrics`, schema keys of cv's metrics.json
L="$TMP/logreg_"
for f in metrics.json test_pred_probs.npy test_labels.npy classes.txt; do expect_file "$L/$f" "retrain writes $f"; done
for k in accuracy balanced_accuracy macro_f1 log_loss per_class confusion_matrix curves n_train n_test; do
    grep -q "\"$k\"" "$L/metrics.json" && pass "metrics.json has $k" || fail "metrics.json has $k" "missing"
done
la metrics --labels "$L/test_labels.npy" --pred-probs "$L/test_pred_probs.npy" --classes "$L/classes.txt" --format json
expect_rc 0 "metrics reads retrain's outputs"
m=$(sed -n 's/^  "accuracy": \([0-9.]*\),*$/\1/p' "$OUT")
[ "$m" = "$(acc "$L")" ] && pass "metrics recomputes the same accuracy ($m)" || fail "metrics recomputes the same accuracy" "$m vs $(acc "$L")"
[ "$(wc -l < "$L/classes.txt")" = 10 ] && pass "classes.txt lists 10 classes" || fail "classes.txt" "$(wc -l < "$L/classes.txt")"

# the test set must match the training set's features and classes
cut -d, -f1-64,66 "$TE" > "$TMP/fewer.csv"
la retrain --data "$TR" --test "$TMP/fewer.csv" --out "$TMP/bad"
expect_rc 2 "test set with fewer features exits 2"; expect_err 'features' "feature mismatch explained"
sed '1s/pixel_0_1/pixel_zz/' "$TE" > "$TMP/renamed.csv"
la retrain --data "$TR" --test "$TMP/renamed.csv" --out "$TMP/bad"
expect_rc 2 "test set with another column exits 2"; expect_err 'pixel_zz' "mismatching column named"
sed '2s/,[a-z]*$/,eleven/' "$TE" > "$TMP/newclass.csv"
la retrain --data "$TR" --test "$TMP/newclass.csv" --out "$TMP/bad"
expect_rc 2 "test set with an unknown class exits 2"; expect_err "eleven" "unknown class named"
[ -e "$TMP/bad" ] && fail "nothing written on refusal" "exists" || pass "nothing written on refusal"
la retrain --data "$TR" --test "$TMP/missing.csv" --out "$TMP/bad"; expect_rc 2 "missing test set exits 2"

# --db: kind 'retrain' attached to the latest audit run
la cv --data "$TR" --out "$TMP/cv/pp.npy" --audit "$TMP/audit" --db "$TMP/a.db" --quiet
expect_rc 0 "setup: audit run in a database"
la retrain --data "$TR" --test "$TE" --out "$TMP/rdb" --db "$TMP/a.db"
expect_rc 0 "retrain --db exits 0"; expect_out 'recorded in' "recording reported"
[ "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM run_metrics WHERE kind = 'retrain' AND run_id = 1")" = 1 ] \
    && pass "run_metrics has the retrain row" || fail "run_metrics has the retrain row" "$(sqlite3 "$TMP/a.db" 'SELECT kind, run_id FROM run_metrics')"
la retrain --data "$TR" --test "$TE" --out "$TMP/rdb" --db "$TMP/a.db" --run 7 --quiet
expect_rc 2 "retrain --run of a missing run exits 2"
la retrain --data "$TR" --test "$TE" --out "$TMP/rdb" --run 1; expect_rc 2 "--run without --db exits 2"

# the HTML report shows the final model and its learning curves
la retrain --data "$TR" --test "$TE" --out "$TMP/rmlp" --db "$TMP/a.db" --model mlp --hidden 32 --epochs 8 --lr 0.005 --quiet
la report --db "$TMP/a.db" --out "$TMP/report" --quiet
expect_rc 0 "report with retrain metrics exits 0"
grep -q 'id="retrain"' "$TMP/report/index.html" && pass "report has the final-model panel" || fail "report has the final-model panel" "missing"
grep -q 'held-out (test) accuracy' "$TMP/report/index.html" && pass "report plots the held-out curve" || fail "report plots the held-out curve" "missing"
