#!/bin/sh
# test_audit.sh — `labelaudit audit` end to end: usage errors, bad inputs
# (NaN, out-of-range probabilities, ragged rows, labels out of range, length
# mismatch, unsupported .npy) refused with file and line and exit 2 and no
# output written; thread-count invariance; class names and ids; summary.json
# keys; --summary, --format json, --data and --db wiring.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; export TMPDIR; fi
. "$(dirname "$0")/lib.sh"
EX=tests/data/audit
G="$GOLDEN/noisegen_k10_n20000"

la audit --help
expect_rc 0 "audit --help exits 0"
expect_out "--filter-by" "audit --help lists the flags"
la audit --pred-probs $EX/pred_probs.csv --out "$TMP/x"
expect_rc 2 "missing --labels"
la audit --labels $EX/labels.csv --pred-probs $EX/pred_probs.csv --out "$TMP/x" --bogus
expect_rc 2 "unknown option"
la audit --labels $EX/labels.csv --pred-probs $EX/pred_probs.csv --out "$TMP/x" --filter-by nope
expect_rc 2 "unknown filter"
expect_err "nope" "unknown filter named"
la audit --labels $EX/labels.csv --pred-probs $EX/pred_probs.csv --out "$TMP/x" --frac-noise 1.5
expect_rc 2 "frac-noise out of range"
la audit --labels $EX/labels.csv --pred-probs $EX/pred_probs.csv --out "$TMP/x" --filter-by confident_learning --num-to-remove-per-class 1,1,1
expect_rc 2 "num_to_remove_per_class refused with confident_learning"
la audit --labels $EX/labels.csv --pred-probs $EX/pred_probs.csv --out "$TMP/x" --num-to-remove-per-class 1,1
expect_rc 2 "num_to_remove_per_class needs K counts"
check "refused runs write nothing" test ! -e "$TMP/x/is_label_issue.csv"

# the worked example of the README: names from the header, ids from the labels
la audit --labels $EX/labels.csv --pred-probs $EX/pred_probs.csv --out "$TMP/ex" --threads 1
expect_rc 0 "example audit"
expect_err "flagged for review: +2 examples" "terminal summary: flagged count"
expect_err "estimated label errors: +2 " "terminal summary: estimated errors"
check "label_issues.csv names and ids" grep -qx "1,3,img-004,cat,dog,0.10000000000000001" "$TMP/ex/label_issues.csv"
check "label_issues.csv second row" grep -qx "2,7,img-008,dog,fox,0.10000000000000001" "$TMP/ex/label_issues.csv"
for key in labelaudit_version '"n"' '"k"' classes counts num_flagged num_label_issues error_rate error_rate_ci \
           class_error_rate class_error_rate_ci health_score confidence bootstrap method rank_by options \
           labels_path pred_probs_path dataset; do
    check "summary.json has $key" grep -q "$key" "$TMP/ex/summary.json"
done
check "same result from the .npy inputs" sh -c "'$LA_BIN' audit --labels $EX/labels.npy --pred-probs $EX/pred_probs.npy --out '$TMP/exn' --quiet && cmp '$TMP/ex/is_label_issue.csv' '$TMP/exn/is_label_issue.csv' && cmp '$TMP/ex/ranked.csv' '$TMP/exn/ranked.csv'"
la audit --labels $EX/labels.csv --pred-probs $EX/pred_probs.csv --out "$TMP/ex2" --format json --summary "$TMP/s.json" --quiet
expect_rc 0 "--format json"
expect_out '"health_score"' "--format json prints the summary"
expect_file "$TMP/s.json" "--summary FILE written"
check "--summary equals summary.json" cmp "$TMP/s.json" "$TMP/ex2/summary.json"
printf 'cat\ndog\nfox\n' >"$TMP/classes.txt"
tail -n +2 $EX/pred_probs.csv | sed '1i p0,p1,p2' >"$TMP/pp.csv"
la audit --labels $EX/labels.csv --pred-probs "$TMP/pp.csv" --classes "$TMP/classes.txt" --out "$TMP/ex3" --quiet
expect_rc 0 "--classes maps label names"
check "--classes gives the same mask" cmp "$TMP/ex/is_label_issue.csv" "$TMP/ex3/is_label_issue.csv"

# results do not depend on the thread count
la audit --labels "$G/labels.npy" --pred-probs "$G/pred_probs.npy" --out "$TMP/t1" --threads 1 --quiet --scores
la audit --labels "$G/labels.npy" --pred-probs "$G/pred_probs.npy" --out "$TMP/t3" --threads 3 --quiet --scores
for f in is_label_issue.csv ranked.csv confident_joint.csv thresholds.csv label_issues.csv summary.json \
         label_quality_confidence_weighted_entropy.csv; do
    check "threads 1 vs 3: $f identical" cmp "$TMP/t1/$f" "$TMP/t3/$f"
done

# bad inputs: exit 2, file and line, nothing written
mk() { printf "$2" >"$TMP/$1"; }
mk lab.csv 'label\n0\n1\n2\n'
mk nan.csv 'p0,p1,p2\n0.5,0.5,0\n0.2,nan,0.8\n0.1,0.1,0.8\n'
la audit --labels "$TMP/lab.csv" --pred-probs "$TMP/nan.csv" --out "$TMP/bad1"
expect_rc 2 "NaN probability refused"
expect_err "nan.csv:3" "NaN: file and line"
check "NaN: nothing written" test ! -e "$TMP/bad1/thresholds.csv"
mk neg.csv 'p0,p1,p2\n0.5,0.5,0\n1.5,-0.5,0\n0.1,0.1,0.8\n'
la audit --labels "$TMP/lab.csv" --pred-probs "$TMP/neg.csv" --out "$TMP/bad2"
expect_rc 2 "out-of-range probability refused"
expect_err "neg.csv:3" "out of range: file and line"
mk rag.csv 'p0,p1,p2\n0.5,0.5,0\n0.5,0.5\n0.1,0.1,0.8\n'
la audit --labels "$TMP/lab.csv" --pred-probs "$TMP/rag.csv" --out "$TMP/bad3"
expect_rc 2 "ragged row refused"
expect_err "rag.csv:3" "ragged row: file and line"
mk ok.csv 'p0,p1,p2\n0.5,0.5,0\n0.2,0.7,0.1\n0.1,0.1,0.8\n'
mk lab5.csv 'label\n0\n5\n2\n'
la audit --labels "$TMP/lab5.csv" --pred-probs "$TMP/ok.csv" --out "$TMP/bad4"
expect_rc 2 "label out of range refused"
expect_err "lab5.csv:3" "label out of range: file and line"
mk labneg.csv 'label\n0\n-1\n2\n'
la audit --labels "$TMP/labneg.csv" --pred-probs "$TMP/ok.csv" --out "$TMP/bad5"
expect_rc 2 "negative label refused"
mk lab2.csv 'label\n0\n1\n'
la audit --labels "$TMP/lab2.csv" --pred-probs "$TMP/ok.csv" --out "$TMP/bad6"
expect_rc 2 "length mismatch refused"
expect_err "same length" "length mismatch explained"
# .npy labels (read straight into int32): the same refusals, naming the file
# npy_i8 FILE V...: a 1-D little-endian int64 .npy of small values (-1..255)
npy_i8() {
    f=$1; shift
    hdr="{'descr': '<i8', 'fortran_order': False, 'shape': ($#,), }"
    { printf '\223NUMPY\001\000\166\000%s' "$hdr"; printf '%*s\n' $((117 - ${#hdr})) ''
      for v in "$@"; do
          if [ "$v" -lt 0 ]; then printf '\377\377\377\377\377\377\377\377'
          else printf "\\$(printf %03o "$v")\000\000\000\000\000\000\000"; fi
      done; } >"$TMP/$f"
}
npy_i8 lab.npy 0 1 2
la audit --labels "$TMP/lab.npy" --pred-probs "$TMP/ok.csv" --out "$TMP/npyok" --quiet
expect_rc 0 "hand-made .npy labels accepted"
npy_i8 lab5.npy 0 5 2
la audit --labels "$TMP/lab5.npy" --pred-probs "$TMP/ok.csv" --out "$TMP/bad4n"
expect_rc 2 ".npy label out of range refused"
expect_err "lab5.npy: label 5 \(example 1\) is out of range" ".npy label out of range: file, example and reason"
npy_i8 labneg.npy 0 -1 2
la audit --labels "$TMP/labneg.npy" --pred-probs "$TMP/ok.csv" --out "$TMP/bad5n"
expect_rc 2 ".npy negative label refused"
expect_err "labneg.npy: label -1 at index 1 is negative" ".npy negative label: file, index and reason"
npy_i8 lab2.npy 0 1
la audit --labels "$TMP/lab2.npy" --pred-probs "$TMP/ok.csv" --out "$TMP/bad6n"
expect_rc 2 ".npy length mismatch refused"
expect_err "lab2.npy: 2 labels but .*ok.csv has 3 rows" ".npy length mismatch explained"
la audit --labels "$EX/pred_probs.npy" --pred-probs "$EX/pred_probs.npy" --out "$TMP/bad7n"
expect_rc 2 "float .npy as labels refused"
expect_err "pred_probs.npy: expected an integer array, found floats" "float .npy labels: reason"
check ".npy refusals wrote nothing" sh -c "! ls '$TMP'/bad4n '$TMP'/bad5n '$TMP'/bad6n '$TMP'/bad7n 2>/dev/null | grep -q csv"
mk lab1.csv 'label\n1\n1\n1\n'
la audit --labels "$TMP/lab1.csv" --pred-probs "$TMP/ok.csv" --out "$TMP/bad7"
expect_rc 2 "single non-zero class refused"
mk lab0.csv 'label\n0\n0\n0\n'
la audit --labels "$TMP/lab0.csv" --pred-probs "$TMP/ok.csv" --out "$TMP/zero"
expect_rc 0 "all-zero labels accepted (reference carve-out)"
expect_err "not written" "all-zero labels: warning"
check "all-zero labels: no num_label_issues file" test ! -e "$TMP/zero/num_label_issues_off_diagonal.txt"
expect_file "$TMP/zero/is_label_issue.csv" "all-zero labels: mask written"
la audit --labels "$TMP/lab0.csv" --pred-probs "$TMP/ok.csv" --out "$TMP/zero2" --filter-by low_self_confidence
expect_rc 2 "all-zero labels: low_self_confidence refused"
printf '\223NUMPY\001\000v\000{'"'"'descr'"'"': '"'"'<f8'"'"', '"'"'fortran_order'"'"': True, '"'"'shape'"'"': (3, 3), }' >"$TMP/fo.npy"
la audit --labels "$TMP/lab.csv" --pred-probs "$TMP/fo.npy" --out "$TMP/bad8"
expect_rc 2 "unsupported .npy refused"
la audit --labels "$TMP/lab.csv" --pred-probs "$TMP/missing.npy" --out "$TMP/bad9"
expect_rc 2 "missing file refused"
la audit --labels "$DATA/bad/ragged_row.csv" --pred-probs "$TMP/ok.csv" --out "$TMP/bad10"
expect_rc 2 "broken labels file refused"

# --data (ids and names from the dataset) and --db
D="$DATA/tabular/digits.csv"
P=tests/data/check/digits_true_probs.npy
if [ -f "$D" ] && [ -f "$P" ]; then
    la audit --data "$D" --pred-probs "$P" --out "$TMP/dg" --db "$TMP/la.db" --quiet
    expect_rc 0 "--data and --db"
    expect_file "$TMP/la.db" "--db creates the database"
    check "--data: class names in label_issues.csv" sh -c "sed -n 2p '$TMP/dg/label_issues.csv' | grep -Eq ',(zero|one|two|three|four|five|six|seven|eight|nine),(zero|one|two|three|four|five|six|seven|eight|nine),'"
    check "--data: dataset recorded in summary" grep -q '"dataset": ".*digits.csv"' "$TMP/dg/summary.json"
fi

# a class that is never given still yields a summary that `check` accepts
E="$GOLDEN/edge_mixed_k5_n54"
la audit --labels "$E/labels.npy" --pred-probs "$E/pred_probs.npy" --out "$TMP/em" --summary "$TMP/em.json" --quiet
expect_rc 0 "audit with an empty class"
la check --summary "$TMP/em.json" --max-error-rate 0.99
expect_rc 0 "check reads a summary with an empty class"
