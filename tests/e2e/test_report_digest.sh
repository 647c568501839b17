# test_report_digest.sh — the report reads only the database and image files:
# after cv + audit --db on a tabular dataset, the dataset file and the
# pred_probs file are deleted and the report is written again, byte for byte
# the same (feature values on the cards, precision-recall curves). A database
# written by the previous release (LA_OLD_BIN, default /work/base/labelaudit,
# skipped when absent) still opens, migrates and reports.
. tests/e2e/lib.sh

prep() { _v=${LA_VALGRIND:-0}; LA_VALGRIND=0; la "$@"; LA_VALGRIND=$_v; }  # setup, never under valgrind
mkdir -p "$TMP/ds"
cp "$DATA/tabular/Glass.csv" "$TMP/ds/Glass.csv"
prep cv --data "$TMP/ds/Glass.csv" --model logreg --folds 3 --seed 1 --threads 2 \
    --out "$TMP/pp.npy" --audit "$TMP/audit" --db "$TMP/g.db" --quiet
expect_rc 0 "glass: cv + audit --db"
la report --db "$TMP/g.db" --out "$TMP/rep" --quiet
expect_rc 0 "glass: report with the inputs present"
check "glass: cards show feature values" grep -q 'class="feat"' "$TMP/rep/issues-1.html"
check "glass: precision-recall curves drawn" grep -q '<polyline' "$TMP/rep/index.html"
mv "$TMP/rep" "$TMP/rep1"   # the same output name both times: the next-steps panel names it

rm -f "$TMP/ds/Glass.csv" "$TMP/pp.npy"
la report --db "$TMP/g.db" --out "$TMP/rep" --quiet
expect_rc 0 "glass, dataset and pred_probs deleted: report exits 0"
check "glass, inputs deleted: every page byte-identical" diff -r "$TMP/rep1" "$TMP/rep"
check "glass, inputs deleted: no 'unavailable' note" sh -c "! grep -q 'unavailable' '$TMP/rep/index.html'"
check "glass, inputs deleted: the cards still show the model's probabilities" grep -q 'class="why"' "$TMP/rep/issues-1.html"
check "glass, inputs deleted: the cards still show the features against both classes" grep -q '<svg class="scale"' "$TMP/rep/issues-1.html"

# --- a database of the previous release -----------------------------------
OLD=${LA_OLD_BIN:-/work/base/labelaudit}
if [ -x "$OLD" ]; then
    cp "$DATA/tabular/Glass.csv" "$TMP/ds/Glass.csv"
    LA_VALGRIND=0 "$OLD" cv --data "$TMP/ds/Glass.csv" --model logreg --folds 3 --seed 1 --threads 2 \
        --out "$TMP/old.npy" --audit "$TMP/old-audit" --db "$TMP/old.db" --quiet >/dev/null 2>&1
    check "old release: cv + audit --db" test -s "$TMP/old.db"
    rm -f "$TMP/ds/Glass.csv" "$TMP/old.npy"
    la report --db "$TMP/old.db" --out "$TMP/rep-old"
    expect_rc 0 "old release's database: report exits 0"
    check "old release: the summary says why cards carry no values" \
        grep -q 'recorded by an older labelaudit' "$TMP/rep-old/index.html"
    check "old release: operating points instead of curves" \
        grep -q "Each class's operating point" "$TMP/rep-old/index.html"
    check "old release: the panel says why there are no curves" \
        grep -q "stored no curve points" "$TMP/rep-old/index.html"
    n=$(grep -o '<figure class="card' "$TMP/rep-old"/issues-*.html | wc -l)
    check "old release: one card per flagged example ($n)" test "$n" -gt 0
    la decisions --db "$TMP/old.db" --out "$TMP/old-dec.csv"
    expect_rc 0 "old release's database: decisions export works"
fi
