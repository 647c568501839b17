# test_metrics.sh — `labelaudit metrics` on a hand-computed toy (a class never
# predicted, ties in scores) and on real out-of-fold probabilities for digits
# (figures cross-checked with scikit-learn 1.2.1), the threshold sweep with its
# CSV/SVG outputs, and bad input.
. tests/e2e/lib.sh
FIX=tests/data/check

xml_ok() {
    if command -v xmllint >/dev/null 2>&1; then xmllint --noout "$1"
    else python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1"; fi
}
# jq-free JSON assertions: jget FILE EXPR prints a Python expression over d
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
near() { python3 -c 'import sys; a,b,t=map(float,sys.argv[1:4]); sys.exit(0 if abs(a-b)<=t else 1)' "$1" "$2" "${3:-1e-9}"; }

# The toy of tests/unit/test_metrics.c: 6 rows, classes cat dog eel; eel is
# never predicted; dog's scores tie at 0.4 three times.
cat > "$TMP/y.csv" <<'EOF'
id,label
r0,cat
r1,cat
r2,dog
r3,dog
r4,eel
r5,eel
EOF
cat > "$TMP/p.csv" <<'EOF'
cat,dog,eel
0.6,0.3,0.1
0.4,0.4,0.2
0.3,0.6,0.1
0.5,0.4,0.1
0.2,0.5,0.3
0.3,0.4,0.3
EOF

la metrics --help;        expect_rc 0 "metrics --help exits 0"; expect_out 'usage: labelaudit metrics' "metrics --help prints usage"
la metrics --labels "$TMP/y.csv"; expect_rc 2 "--pred-probs is required"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --min-recall 0.5
expect_rc 2 "a constraint needs --positive"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --positive dog --min-recall 0.5 --min-precision 0.5
expect_rc 2 "two constraints refused"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --positive wolf --out "$TMP/never"
expect_rc 2 "unknown positive class refused"; expect_err "wolf" "names the unknown class"
check "a refused run writes nothing" test ! -e "$TMP/never"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --format yaml
expect_rc 2 "unknown --format refused"

la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv"
expect_rc 0 "toy: exit 0"
expect_out '^cat +2 +0\.6667 +1\.0000 +0\.8000 +0\.8333' "toy: cat row (P 2/3, R 1, F1 .8, AP 5/6)"
expect_out '^dog +2 +0\.3333 +0\.5000 +0\.4000 +0\.7000' "toy: dog row, AP 0.7 with tied scores grouped"
expect_out '^eel +2 +0\.0000 +0\.0000 +0\.0000 +1\.0000 +\(never predicted' "toy: never-predicted class has precision 0, said so"
expect_out 'balanced accuracy 0\.5000 +macro F1 0\.4000 +accuracy 0\.5000 +log loss 0\.8770' "toy: summary line, accuracy never alone"
expect_out '^eel +0 +2 +0$' "toy: confusion matrix row"

la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --format json --quiet
expect_rc 0 "toy json: exit 0"
cp "$OUT" "$TMP/toy.json"
check "toy json: exact top-level keys" test "$(jget "$TMP/toy.json" 'sorted(d)')" = "['accuracy', 'balanced_accuracy', 'confusion_matrix', 'folds', 'log_loss', 'macro_f1', 'per_class']"
check "toy json: per_class keys" test "$(jget "$TMP/toy.json" 'sorted(d["per_class"][2])')" = "['class', 'f1', 'pr_auc', 'precision', 'recall', 'support']"
check "toy json: eel precision is 0, not NaN" test "$(jget "$TMP/toy.json" 'd["per_class"][2]["precision"]')" = "0.0"
check "toy json: log loss" near "$(jget "$TMP/toy.json" 'd["log_loss"]')" 0.8770297199886938 1e-9
check "toy json: confusion" test "$(jget "$TMP/toy.json" 'd["confusion_matrix"]')" = "[[2, 0, 0], [1, 1, 0], [0, 2, 0]]"

# sweep on dog: thresholds .6 .5 .4 .3 -> precision 1 .5 .4 1/3, recall .5 .5 1 1
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --positive dog --min-precision 0.4 --out "$TMP/toy"
expect_rc 0 "toy sweep: exit 0"
expect_out 'operating point: threshold 0\.4 ' "toy sweep: highest recall with precision >= 0.4 is threshold 0.4"
expect_out 'true other +1 +3' "toy sweep: confusion at threshold (tn 1, fp 3)"
expect_file "$TMP/toy/pr_curve.csv" "toy sweep: pr_curve.csv"
check "toy sweep: 4 thresholds + header" test "$(wc -l < "$TMP/toy/pr_curve.csv")" -eq 5
check "toy sweep: CSV header" test "$(head -1 "$TMP/toy/pr_curve.csv")" = "threshold,precision,recall,f1,false_alarm_rate"
check "toy sweep: SVG well-formed" xml_ok "$TMP/toy/pr_curve.svg"
check "toy sweep: operating point in metrics.json" test "$(jget "$TMP/toy/metrics.json" 'd["operating_point"]["point"]["confusion_matrix"]')" = "[[1, 3], [0, 2]]"
check "toy sweep: no temp files left" test -z "$(ls "$TMP/toy" | grep tmp)"

# nothing meets the constraint: exit 0, a clear note, JSON null
printf 'label\n0\n1\n0\n' > "$TMP/y2.csv"
printf 'p0,p1\n0.1,0.9\n0.2,0.8\n0.9,0.1\n' > "$TMP/p2.csv"
la metrics --labels "$TMP/y2.csv" --pred-probs "$TMP/p2.csv" --positive 1 --min-precision 0.6 --out "$TMP/none"
expect_rc 0 "no threshold meets: still exit 0"
expect_out 'no threshold meets the constraint' "no threshold meets: said plainly"
check "no threshold meets: JSON null" test "$(jget "$TMP/none/metrics.json" 'd["operating_point"]["point"]')" = "None"

# --folds: per-fold metrics from a folds.csv (fold 0 = rows 0, 2, 4: accuracy 2/3)
printf 'id,fold\nr0,0\nr1,1\nr2,0\nr3,1\nr4,0\nr5,1\n' > "$TMP/folds.csv"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --folds "$TMP/folds.csv" --format json --quiet
expect_rc 0 "folds: exit 0"
cp "$OUT" "$TMP/folds.json"
check "folds: two fold objects" test "$(jget "$TMP/folds.json" 'len(d["folds"])')" = 2
check "folds: fold 0 accuracy 2/3" near "$(jget "$TMP/folds.json" 'd["folds"][0]["accuracy"]')" 0.6666666666666666 1e-9
check "folds: fold objects carry the same keys" test "$(jget "$TMP/folds.json" 'sorted(d["folds"][1])')" = "['accuracy', 'balanced_accuracy', 'confusion_matrix', 'fold', 'log_loss', 'macro_f1', 'per_class']"
printf 'id,fold\nr0,0\nr1,1\nr2,0\n' > "$TMP/folds_short.csv"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --folds "$TMP/folds_short.csv"
expect_rc 2 "folds: wrong row count: exit 2"; expect_err '3 fold rows but 6 labels' "folds: row count explained"
printf 'id,fold\nr0,0\nr1,1\nrX,0\nr3,1\nr4,0\nr5,1\n' > "$TMP/folds_id.csv"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --folds "$TMP/folds_id.csv"
expect_rc 2 "folds: id mismatch: exit 2"; expect_err "row 3: id 'rX'" "folds: names the mismatched id"
printf 'id,fold\nr0,0\nr1,x\nr2,0\nr3,1\nr4,0\nr5,1\n' > "$TMP/folds_bad.csv"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --folds "$TMP/folds_bad.csv"
expect_rc 2 "folds: non-number: exit 2"; expect_err 'folds_bad\.csv:3' "folds: names file and line"
printf 'fold\n0\n2\n0\n2\n0\n2\n' > "$TMP/folds_gap.csv"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/p.csv" --folds "$TMP/folds_gap.csv"
expect_rc 2 "folds: an empty fold: exit 2"; expect_err 'fold 1 has no examples' "folds: empty fold named"

# real out-of-fold probabilities for digits (trained on 30% noisy labels) vs true labels;
# expected figures from scikit-learn 1.2.1 on the same files
NOISE="$DATA/noise"
awk -F, 'NR==1{print "id,label"; next}{print $1","$2}' "$NOISE/digits_sym30_seed1.csv" > "$TMP/true.csv"
la metrics --labels "$TMP/true.csv" --pred-probs $FIX/digits_sym30_probs.npy --classes $FIX/classes.txt \
    --positive eight --min-precision 0.95 --out "$TMP/digits" --format json --quiet
expect_rc 0 "digits: exit 0"
M="$TMP/digits/metrics.json"
check "digits: balanced accuracy = sklearn" near "$(jget "$M" 'd["balanced_accuracy"]')" 0.8772915862118669 1e-9
check "digits: macro F1 = sklearn" near "$(jget "$M" 'd["macro_f1"]')" 0.8773932682538137 1e-9
check "digits: log loss = sklearn (eps 1e-15)" near "$(jget "$M" 'd["log_loss"]')" 0.6951281410597858 1e-9
check "digits: PR-AUC of eight = sklearn" near "$(jget "$M" 'd["per_class"][0]["pr_auc"]')" 0.8049 5e-5
check "digits: operating point precision >= 0.95" python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["operating_point"]["point"]; sys.exit(0 if p["precision"]>=0.95 else 1)' "$M"
check "digits: stdout JSON equals metrics.json" cmp -s "$OUT" "$M"
check "digits: SVG well-formed" xml_ok "$TMP/digits/pr_curve.svg"

# bad input
printf 'cat,dog,eel\n0.6,nan,0.1\n0.4,0.4,0.2\n0.3,0.6,0.1\n0.5,0.4,0.1\n0.2,0.5,0.3\n0.3,0.4,0.3\n' > "$TMP/pnan.csv"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/pnan.csv"
expect_rc 2 "NaN probability: exit 2"
head -4 "$TMP/y.csv" > "$TMP/y3.csv"
la metrics --labels "$TMP/y3.csv" --pred-probs "$TMP/p.csv"
expect_rc 2 "row count mismatch: exit 2"; expect_err '3 labels but 6 rows' "row count mismatch explained"
la metrics --labels "$TMP/y.csv" --pred-probs "$TMP/nope.npy"
expect_rc 2 "missing probabilities: exit 2"
printf 'id,label\nr0,cat\nr1,wolf\nr2,dog\nr3,dog\nr4,eel\nr5,eel\n' > "$TMP/ybad.csv"
la metrics --labels "$TMP/ybad.csv" --pred-probs "$TMP/p.csv"
expect_rc 2 "unknown class name in labels: exit 2"

# hostile class names (../shared/data/bad/escaping_labels.csv, VALID): the SVG stays well-formed
awk -F, 'NR==1{print "p0,p1,p2";next}{a=(NR%3==0)?0.6:0.2; b=(NR%3==1)?0.6:0.2; print a","b","(1-a-b)}' \
    "$DATA/bad/escaping_labels.csv" > "$TMP/esc_p.csv"
# the columns carry no names (p0..p2): the class order is given (names sorted, as cv would)
/usr/bin/python3 -c 'import csv,sys; print("\n".join(sorted({r["label"] for r in csv.DictReader(open(sys.argv[1]))})))' \
    "$DATA/bad/escaping_labels.csv" > "$TMP/esc_classes.txt"
la metrics --labels "$DATA/bad/escaping_labels.csv" --pred-probs "$TMP/esc_p.csv" --classes "$TMP/esc_classes.txt" --positive '<script>alert(1)</script>' --out "$TMP/esc"
expect_rc 0 "escaping labels: exit 0"
expect_out "^Bob's \"best\", boot " "escaping labels: names printed byte-exact"
check "escaping labels: SVG well-formed" xml_ok "$TMP/esc/pr_curve.svg"
check "escaping labels: SVG escapes the name" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$TMP/esc/pr_curve.svg"
check "escaping labels: JSON keeps the name" test "$(jget "$TMP/esc/metrics.json" 'd["per_class"][2]["class"]')" = "Robert'); DROP TABLE labels;--"
la metrics --labels "$DATA/bad/empty_label.csv" --pred-probs "$TMP/esc_p.csv"
expect_rc 2 "empty label: exit 2"; expect_err 'empty_label\.csv:101' "empty label: file and line named"
la metrics --labels "$DATA/bad/empty.csv" --pred-probs "$TMP/esc_p.csv"
expect_rc 2 "empty labels file: exit 2"; expect_err 'empty\.csv' "empty labels file named"
la metrics --labels "$DATA/bad/unterminated_quote.csv" --pred-probs "$TMP/esc_p.csv"
expect_rc 2 "unterminated quote: exit 2"; expect_err 'unterminated_quote\.csv:77' "unterminated quote: line 77 named"
