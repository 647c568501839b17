#!/bin/sh
# test_checks.sh — the dataset checks through the real binary on Fashion-MNIST
# images with planted problems (gen_checks_data.py: exact and conflicting
# duplicates, shifted / brightened / re-encoded copies, dark, bright, blurry
# and flat images, a test split with an exact and a shifted copy of training
# images, PNG files that are byte copies or re-encodings, an odd aspect ratio,
# an RGB file among gray ones); the checks beside a label audit; the options;
# bad inputs (NaN, N and D mismatches, k too large) exiting 2 with file and row.
. "$(dirname "$0")/lib.sh"
D="$(dirname "$0")"
IDX="$D/../data/idx"
P="$TMP/planted"
python3 "$D/gen_checks_data.py" "$P" "$IDX/fm200-images-idx3-ubyte.gz" "$IDX/fm200-labels-idx1-ubyte.gz"
check "planted data generated" test -s "$P/train-images-idx3-ubyte"
TR="$P/train-images-idx3-ubyte"; TRL="$P/train-labels-idx1-ubyte"; TE="$P/test-images-idx3-ubyte"
row() { grep -q "^$2$" "$1"; }               # file has exactly this line
has() { grep -Eq "$2" "$1"; }                # file has a line matching the regex

# ---- images, every check, a test split --------------------------------------
O="$TMP/img"
la audit --data "$TR" --idx-labels "$TRL" --test "$TE" --out "$O" --threads 2
expect_rc 0 "audit --data IDX --test IDX (no --pred-probs: dataset checks alone)"
for f in near_duplicate.csv near_duplicate_sets.csv outlier.csv exact_duplicate.csv image_issues.csv \
         image_near_duplicate.csv leakage.csv issues.csv summary.json; do expect_file "$O/$f" "wrote $f"; done
check "no label-audit files without --pred-probs" test ! -e "$O/ranked.csv"
expect_err "dataset checks on 161 examples" "summary printed"
check "exact duplicate 3 = 150" has "$O/issues.csv" "^3,3,exact_duplicate,0,150$"
check "label conflict 5 / 151" row "$O/issues.csv" "151,151,label_conflict,0,5"
check "exact_duplicate.csv groups 5 and 151 as a conflict" has "$O/exact_duplicate.csv" "^[0-9]+,features,151,151,[0-9]+,1,2$"
for pair in "10,10,152,152,1,-1,0" "11,11,153,153,1,0,-1"; do
    check "shifted copy found: $pair" row "$O/image_near_duplicate.csv" "$pair"
done
for pair in 12,12,154 13,13,155 14,14,156 20,20,157 21,21,158; do
    check "brightness/contrast/noise copy found: $pair" has "$O/image_near_duplicate.csv" "^$pair,"
done
check "cleanlab's pixel near_duplicate misses the shifted copy 152" has "$O/near_duplicate.csv" "^152,152,0,"
check "no natural image pair flagged among the 150 originals" \
    sh -c "! awk -F, 'NR > 1 && \$1 < 150 && \$3 < 150' '$O/image_near_duplicate.csv' | grep -q ."
check "dark 157" has "$O/issues.csv" "^157,157,dark,"
check "bright 158" has "$O/issues.csv" "^158,158,bright,"
check "blurry 159" has "$O/issues.csv" "^159,159,blurry,"
check "flat 160 low information" has "$O/issues.csv" "^160,160,low_information,0,$"
check "dark image not called blurry" sh -c "! grep -q '^157,157,blurry' '$O/issues.csv'"
check "original images: no defects" sh -c "! awk -F, 'NR > 1 && \$1 < 150 && \$NF != \"\"' '$O/image_issues.csv' | grep -q ."
check "leak: test 50 is train 30 (exact)" row "$O/leakage.csv" "50,50,30,30,exact,0,0"
check "leak: test 51 is train 31 shifted (image)" has "$O/leakage.csv" "^51,51,31,31,image,"
check "leakage.csv: only the two planted leaks" test "$(wc -l <"$O/leakage.csv")" -eq 3
check "issues.csv header" row "$O/issues.csv" "index,id,issue,score,partner"
check "issues.csv sorted by score" sh -c "tail -n +2 '$O/issues.csv' | cut -d, -f4 | sort -gc"
check "summary: counts" has "$O/summary.json" '"leakage": 2'
check "summary: duplicate and leak rates" sh -c "grep -q '\"leak_rate\"' '$O/summary.json' && grep -q '\"duplicate_rate\"' '$O/summary.json'"
# same files on one thread
la audit --data "$TR" --idx-labels "$TRL" --test "$TE" --out "$O-1" --threads 1 --quiet
for f in issues.csv near_duplicate.csv image_near_duplicate.csv leakage.csv image_issues.csv; do
    check "one thread: same $f" cmp -s "$O/$f" "$O-1/$f"
done

# ---- --issues picks checks --------------------------------------------------
la audit --data "$TR" --idx-labels "$TRL" --issues exact_duplicate --out "$TMP/ex" --quiet
expect_rc 0 "--issues exact_duplicate"
check "only exact_duplicate.csv and issues.csv" test -e "$TMP/ex/exact_duplicate.csv" -a ! -e "$TMP/ex/outlier.csv" -a ! -e "$TMP/ex/image_issues.csv"
check "issues.csv: exact duplicates and conflicts only" sh -c "! tail -n +2 '$TMP/ex/issues.csv' | cut -d, -f3 | grep -vq 'exact_duplicate\|label_conflict'"
la audit --data "$TR" --idx-labels "$TRL" --issues leakage --out "$TMP/x"
expect_rc 2 "--issues leakage without --test refused"
expect_err "leakage.*needs --test" "says --test is needed"
la audit --data "$TR" --idx-labels "$TRL" --issues dupes --out "$TMP/x"
expect_rc 2 "--issues with an unknown name"
expect_err "unknown check 'dupes'" "names the unknown check"
la audit --data "$TR" --idx-labels "$TRL" --metric manhattan --out "$TMP/x"
expect_rc 2 "--metric manhattan refused"

# ---- PNG files: byte copies, re-encodings, size and channels ------------------
la audit --data "$P/png/manifest.csv" --image-size 28x28 --out "$TMP/png" --quiet
expect_rc 0 "audit --data manifest of PNGs"
check "dup.png: byte-identical file of 0.png" has "$TMP/png/exact_duplicate.csv" "^[0-9]+,file,8,dup,"
check "recode.png: same pixels, not the same file" sh -c "grep -q '^[0-9]*,features,9,recode' '$TMP/png/exact_duplicate.csv' && ! grep -q ',file,9,recode' '$TMP/png/exact_duplicate.csv'"
check "wide.png: odd aspect ratio" has "$TMP/png/issues.csv" "^10,wide,odd_aspect_ratio,"
check "rgb.png: unexpected channel count" row "$TMP/png/issues.csv" "11,rgb,channels,0,"
check "image_issues.csv has native sizes" has "$TMP/png/image_issues.csv" "^10,wide,56,20,1,"

# ---- beside a label audit ---------------------------------------------------------
# probabilities: 0.9 on the given label, except rows 0-4 confidently another class
awk 'BEGIN { print "p0,p1,p2,p3,p4,p5,p6,p7,p8,p9" }' >"$TMP/probs.csv"
la inspect --data "$TR" --idx-labels "$TRL" --format json
od -An -tu1 -j8 -v "$TRL" | tr -s ' ' '\n' | grep . | awk '{ y = $1; if (NR <= 5) y = (y + 1) % 10;
    s = ""; for (c = 0; c < 10; c++) s = s (c ? "," : "") (c == y ? 0.91 : 0.01); print s }' >>"$TMP/probs.csv"
la audit --data "$TR" --idx-labels "$TRL" --pred-probs "$TMP/probs.csv" --out "$TMP/lab0" --quiet
expect_rc 0 "label audit alone"
check "label audit alone: no dataset-check files" test ! -e "$TMP/lab0/issues.csv" -a ! -e "$TMP/lab0/near_duplicate.csv"
check "label audit alone: no dataset_checks in summary.json" sh -c "! grep -q dataset_checks '$TMP/lab0/summary.json'"
la audit --data "$TR" --idx-labels "$TRL" --pred-probs "$TMP/probs.csv" --issues all --out "$TMP/lab1" --quiet
expect_rc 0 "label audit with --issues all"
for f in ranked.csv label_issues.csv thresholds.csv joint.csv; do
    check "label files unchanged by the dataset checks: $f" cmp -s "$TMP/lab0/$f" "$TMP/lab1/$f"
done
L0=$(wc -l <"$TMP/lab0/summary.json")
head -n $((L0 - 2)) "$TMP/lab0/summary.json" >"$TMP/s0"; head -n $((L0 - 2)) "$TMP/lab1/summary.json" >"$TMP/s1"
check "summary.json: the label audit's lines unchanged" cmp -s "$TMP/s0" "$TMP/s1"
check "summary.json: dataset_checks added, the rest equal" python3 -c 'import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2])); d = b.pop("dataset_checks")
assert a == b and d["counts"]["label_conflict"] == 2 and d["counts"]["label"] > 0' "$TMP/lab0/summary.json" "$TMP/lab1/summary.json"
check "issues.csv has label rows" has "$TMP/lab1/issues.csv" ",label,"
check "issues.csv has the planted conflict too" row "$TMP/lab1/issues.csv" "151,151,label_conflict,0,5"

# ---- embeddings (.npy) and bad inputs ----------------------------------------
python3 "$D/mk_npy.py" "$TMP/f.npy" 40 8
python3 "$D/mk_npy.py" "$TMP/f9.npy" 20 9
python3 "$D/mk_npy.py" "$TMP/nan.npy" 40 8 nan 17 3
python3 "$D/mk_npy.py" "$TMP/f12.npy" 12 8
la audit --features "$TMP/f.npy" --out "$TMP/emb" --quiet
expect_rc 0 "audit --features FILE.npy alone"
expect_file "$TMP/emb/near_duplicate.csv" "embedding: near_duplicate.csv"
la audit --features "$TMP/nan.npy" --out "$TMP/x"
expect_rc 2 "features with NaN: exit 2"
expect_err "nan.npy.*row 17.*column 3: NaN" "names the file, row and column"
la audit --features "$TMP/f12.npy" --data "$TR" --idx-labels "$TRL" --out "$TMP/x"
expect_rc 2 "N mismatch between features and dataset: exit 2"
expect_err "f12.npy.*12 feature rows for 161 examples" "names the file and both counts"
printf 'label\n1\n2\n' >"$TMP/y3.csv"
la audit --features "$TMP/f.npy" --labels "$TMP/y3.csv" --out "$TMP/x"
expect_rc 2 "N mismatch between features and labels: exit 2"
expect_err "y3.csv.*2 labels for the 40 feature rows" "names the label file"
la audit --features "$TMP/f.npy" --test-features "$TMP/f9.npy" --out "$TMP/x"
expect_rc 2 "D mismatch between train and test: exit 2"
expect_err "f9.npy.*row 0.*9 feature columns.*8" "names the test file, row and both widths"
la audit --features "$TMP/f12.npy" --k 12 --out "$TMP/x"
expect_rc 2 "k >= N refused"
expect_err "k = 12 nearest neighbours needs more than 12 examples" "says why"
la audit --features "$TMP/f.npy" --test-features "$TMP/f12.npy" --out "$TMP/lk" --quiet
expect_rc 0 "leakage on embeddings"
check "embedding leakage: the 12 test rows are the first 12 training rows" test "$(grep -c ',exact,0,0$' "$TMP/lk/leakage.csv")" -eq 12

# ---- check gates on the leak and duplicate rates ------------------------------
la audit --data "$TR" --idx-labels "$TRL" --pred-probs "$TMP/probs.csv" --test "$TE" --out "$TMP/lab2" --quiet
expect_rc 0 "label audit with --test"
S2="$TMP/lab2/summary.json"
check "summary: leak_rate 2/52" grep -q '"leak_rate": 0.038461538461538464' "$S2"
la check --summary "$S2" --max-leak-rate 0.05 --max-duplicate-rate 0.03
expect_rc 0 "check: leak 0.038 <= 0.05, duplicates 0.025 <= 0.03 pass"
la check --summary "$S2" --max-leak-rate 0.01
expect_rc 1 "check --max-leak-rate 0.01 fails"
expect_out "FAIL.*max-leak-rate.*0.0385 exceeds the limit 0.0100" "says the leak rate and the limit"
la check --summary "$S2" --max-duplicate-rate 0.01 --format junit
expect_rc 1 "check --max-duplicate-rate 0.01 fails (junit)"
expect_out 'testcase classname="labelaudit.check.max-duplicate-rate" name="max-duplicate-rate"' "junit names the case"
la check --summary "$TMP/lab0/summary.json" --max-leak-rate 0.05
expect_rc 2 "check --max-leak-rate on a summary without dataset checks"
expect_err "no dataset_checks.leak_rate" "says what is missing"
