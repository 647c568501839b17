# test_audit_multilabel.sh — `audit --multi-label` through the real binary:
# class lists in a CSV (ids kept, "[0, 2]" and names accepted), a 0/1
# indicator .npy, planted label errors found, the same flags, ranking and
# scores as labelaudit.multilabel_classification in Python (itself checked
# against cleanlab 2.9.0's tests) when Debian's python3-numpy is there, and
# bad input refused with exit 2 naming the file and line, leaving no files.
. "$(dirname "$0")/lib.sh"
D="$TMP/ml"; mkdir -p "$D"

# 200 examples, 4 classes: class c applies when an LCG draw says so; its
# probability is 0.8-0.95 when it applies, 0.02-0.17 when not. Rows 5, 17
# and 42 have one class flipped in the given labels, its probability sure of
# the truth (0.99 or 0.01): planted errors.
awk 'BEGIN {
    s = 12345; srand(1)
    print "id,labels" > "'"$D"'/labels.csv"; print "p0,p1,p2,p3" > "'"$D"'/probs.csv"
    print "id,labels" > "'"$D"'/labels_brackets.csv"
    for (i = 0; i < 200; i++) {
        list = ""; row = ""; given = ""
        for (c = 0; c < 4; c++) {
            s = (s * 1103515245 + 12345) % 2147483648; on = (s % 100) < 35
            s = (s * 1103515245 + 12345) % 2147483648; j = (s % 1000) / 1000 * 0.15
            p = on ? 0.8 + j : 0.02 + j
            g = on; if ((i == 5 && c == 1) || (i == 17 && c == 2) || (i == 42 && c == 0)) { g = 1 - on; p = on ? 0.99 : 0.01 }
            row = row (c ? "," : "") sprintf("%.6f", p)
            if (g) { list = list (list == "" ? "" : ",") c; given = given (given == "" ? "" : ", ") c }
        }
        printf "r%d,\"%s\"\n", i, list > "'"$D"'/labels.csv"
        printf "r%d,\"[%s]\"\n", i, given > "'"$D"'/labels_brackets.csv"
        print row > "'"$D"'/probs.csv"
    }
}'
printf 'cat\ndog\nbird\nfish\n' > "$D/classes.txt"

la audit --multi-label --labels "$D/labels.csv" --pred-probs "$D/probs.csv" --out "$TMP/o1"
expect_rc 0 "audit --multi-label on class lists"
expect_err "audited 200 examples, 4 classes \(multi-label\)" "prints the multi-label summary"
for f in label_issues.csv is_label_issue.csv ranked.csv label_quality.csv class_issues.csv \
         class_label_quality.csv overall_label_health_score.txt classes.txt summary.json; do
    expect_file "$TMP/o1/$f" "writes $f"
done
check "is_label_issue.csv: a header and 200 rows" test "$(wc -l < "$TMP/o1/is_label_issue.csv")" = 201
for r in 5 17 42; do
    check "planted error in row $r is flagged" test "$(sed -n "$((r + 2))p" "$TMP/o1/is_label_issue.csv")" = 1
done
check "label_issues.csv keeps the ids" grep -q '^[0-9]*,5,r5,' "$TMP/o1/label_issues.csv"
check "row 5's issue class is 1" grep -q '^[0-9]*,5,r5,"[0-9,]*","[0-9,]*","1",' "$TMP/o1/label_issues.csv"
nflag=$(grep -c '^1$' "$TMP/o1/is_label_issue.csv")
check "ranked.csv lists the $nflag flagged examples" test "$(($(wc -l < "$TMP/o1/ranked.csv") - 1))" = "$nflag"
check "summary.json says multi_label" grep -q '"multi_label": true' "$TMP/o1/summary.json"
h=$(awk -v f="$nflag" 'BEGIN { printf "%.6f", 1 - f / 200 }')
check "health = 1 - flagged / n" test "$(awk '{ printf "%.6f", $1 }' "$TMP/o1/overall_label_health_score.txt")" = "$h"

la audit --multi-label --labels "$D/labels_brackets.csv" --pred-probs "$D/probs.csv" --out "$TMP/o2" --quiet
expect_rc 0 "labels written as [0, 2]"
for f in ranked.csv label_quality.csv class_issues.csv; do
    check "[0, 2] lists give the same $f" cmp "$TMP/o1/$f" "$TMP/o2/$f"
done
sed 's/\b0\b/cat/g; s/\b1\b/dog/g; s/\b2\b/bird/g; s/\b3\b/fish/g' "$D/labels.csv" > "$D/labels_names.csv"
la audit --multi-label --labels "$D/labels_names.csv" --pred-probs "$D/probs.csv" --classes "$D/classes.txt" \
    --out "$TMP/o3" --quiet
expect_rc 0 "labels given as class names with --classes"
check "class names give the same ranked.csv" cmp "$TMP/o1/ranked.csv" "$TMP/o3/ranked.csv"
check "class_label_quality.csv names the classes" grep -q '^Class Name,Class Index' "$TMP/o3/class_label_quality.csv"

la audit --multi-label --labels "$D/labels.csv" --pred-probs "$D/probs.csv" --out "$TMP/o4" --format json
expect_rc 0 "--format json"
expect_out '"overall_multilabel_health_score"' "--format json prints the summary"

# Python: the indicator .npy and the package's functions (cleanlab's API)
PY=${LA_PYTHON:-/usr/bin/python3}
if [ -x "$PY" ] && "$PY" -c "import numpy" 2>/dev/null && [ -f "$LA_BUILD/liblabelaudit.so" ]; then
    "$PY" - "$D" <<'EOF'
import sys, numpy as np
d = sys.argv[1]
P = np.loadtxt(d + "/probs.csv", delimiter=",", skiprows=1)
rows = [l.rstrip("\n").split(",", 1)[1].strip('"') for l in open(d + "/labels.csv").readlines()[1:]]
Y = np.zeros(P.shape, np.uint8)
for i, r in enumerate(rows):
    Y[i, [int(c) for c in r.split(",")] if r else []] = 1
np.save(d + "/labels.npy", Y)
EOF
    # the package cross-check loads liblabelaudit.so into python: not an ASan build
    [ -z "${LA_SANITIZED:-}" ] && LABELAUDIT_LIB="$LA_BUILD/liblabelaudit.so" PYTHONPATH="$(pwd)/python" \
        "$PY" - "$D" "$TMP/o1" > "$TMP/py.out" 2>&1 <<'EOF'
import sys, numpy as np
import labelaudit.multilabel_classification as ml
d, o = sys.argv[1], sys.argv[2]
P = np.loadtxt(d + "/probs.csv", delimiter=",", skiprows=1)
Y = np.load(d + "/labels.npy")
labels = [list(np.flatnonzero(r)) for r in Y]
ranked = ml.filter.find_label_issues(labels, P, return_indices_ranked_by="self_confidence")
print("ranked", np.array_equal(ranked, np.loadtxt(o + "/ranked.csv", skiprows=1, dtype=int, ndmin=1)))
q = ml.rank.get_label_quality_scores(labels, P)
print("scores", np.array_equal(q, np.loadtxt(o + "/label_quality.csv", skiprows=1)))
per = ml.filter.find_multilabel_issues_per_class(labels, P)
print("per_class", np.array_equal(per.astype(int), np.loadtxt(o + "/class_issues.csv", delimiter=",", skiprows=1)))
h = ml.dataset.overall_multilabel_health_score(labels, P)
print("health", float(open(o + "/overall_label_health_score.txt").read()) == h)
EOF
    if [ -z "${LA_SANITIZED:-}" ]; then
        for w in ranked scores per_class health; do
            check "same $w as labelaudit.multilabel_classification" grep -q "^$w True" "$TMP/py.out"
        done
    else
        echo "SKIP multi-label Python cross-check under sanitizers"
    fi
    la audit --multi-label --labels "$D/labels.npy" --pred-probs "$D/probs.csv" --out "$TMP/o5" --quiet
    expect_rc 0 "labels as a 0/1 indicator .npy"
    for f in ranked.csv label_quality.csv class_issues.csv is_label_issue.csv; do
        check "the indicator .npy gives the same $f" cmp "$TMP/o1/$f" "$TMP/o5/$f"
    done
    "$PY" -c "import numpy as np; y = np.load('$D/labels.npy').astype(np.int64); y[3, 2] = 2; np.save('$D/bad2.npy', y)"
    la audit --multi-label --labels "$D/bad2.npy" --pred-probs "$D/probs.csv" --out "$TMP/bad" --quiet
    expect_rc 2 "an indicator cell of 2 is refused"
    expect_err "bad2.npy.*row 3 \(0-based\), column 2: 2 is not 0 or 1" "names the row and column"
    "$PY" -c "import numpy as np; np.save('$D/bad3.npy', np.load('$D/labels.npy')[:, :3])"
    la audit --multi-label --labels "$D/bad3.npy" --pred-probs "$D/probs.csv" --out "$TMP/bad" --quiet
    expect_rc 2 "an indicator matrix with the wrong column count is refused"
    expect_err "must be N x 4" "says the shape it needs"
else
    echo "SKIP multi-label Python cross-check: $PY with numpy not found"
fi

# bad input: exit 2, the file and line named, nothing written
sed '4s/"[0-9,]*"/"0,7"/' "$D/labels.csv" > "$D/bad_index.csv"
la audit --multi-label --labels "$D/bad_index.csv" --pred-probs "$D/probs.csv" --out "$TMP/bad" --quiet
expect_rc 2 "a class index out of range is refused"
expect_err "bad_index.csv:4: .*'7' is not a class \(indices 0..3\)" "names the file, line and token"
check "no output directory left by the failed run" test ! -e "$TMP/bad/ranked.csv"
sed 's/^id,labels$/id,tags/' "$D/labels.csv" > "$D/bad_col.csv"
la audit --multi-label --labels "$D/bad_col.csv" --pred-probs "$D/probs.csv" --out "$TMP/bad" --quiet
expect_rc 2 "no labels column is refused"
expect_err "bad_col.csv:1: no 'labels' \(or 'label'\) column" "names the missing column"
head -101 "$D/labels.csv" > "$D/short.csv"
la audit --multi-label --labels "$D/short.csv" --pred-probs "$D/probs.csv" --out "$TMP/bad" --quiet
expect_rc 2 "row counts that disagree are refused"
expect_err "200 probability rows for the 100 examples" "says both counts"
awk 'NR == 1 { print; next } { print $1 ",\"0,1,2,3\"" }' FS=, "$D/labels.csv" > "$D/all.csv"
la audit --multi-label --labels "$D/all.csv" --pred-probs "$D/probs.csv" --out "$TMP/bad" --quiet
expect_rc 2 "a class given to every example is refused (as cleanlab does)"
expect_err "class 0 is given to every example" "names the class"
sed '3s/^0\.[0-9]*/1.5/' "$D/probs.csv" > "$D/bad_probs.csv"
la audit --multi-label --labels "$D/labels.csv" --pred-probs "$D/bad_probs.csv" --out "$TMP/bad" --quiet
expect_rc 2 "a probability above 1 is refused"
la audit --multi-label --labels "$D/labels.csv" --pred-probs "$D/probs.csv" --out "$TMP/bad" --filter-by low_self_confidence
expect_rc 2 "--filter-by low_self_confidence is refused with --multi-label"
expect_err "not supported with --multi-label" "says why"
la audit --multi-label --labels "$D/labels.csv" --pred-probs "$D/probs.csv" --out "$TMP/bad" --filter-by noise_posterior
expect_rc 2 "--filter-by noise_posterior is refused with --multi-label"
la audit --multi-label --labels "$D/labels.csv" --pred-probs "$D/probs.csv" --out "$TMP/bad" --db "$TMP/x.db"
expect_rc 2 "--db is refused with --multi-label"
la audit --multi-label --pred-probs "$D/probs.csv" --out "$TMP/bad" --data "$D/labels.csv"
expect_rc 2 "--multi-label without --labels is refused"
