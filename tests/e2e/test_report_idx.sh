# test_report_idx.sh — the report of an image dataset without image files
# (IDX): audit --db stores the flagged examples' pixel rows in the database
# and the report writes crisp thumbnails from them, without the dataset. A run
# that stored none (an older labelaudit's) gets text cards and a note. Fixture:
# tests/data/idx/fm200-*, the first 200 Fashion-MNIST t10k images and labels.
. tests/e2e/lib.sh

prep() { _v=${LA_VALGRIND:-0}; LA_VALGRIND=0; la "$@"; LA_VALGRIND=$_v; }  # setup, never under valgrind
mkdir -p "$TMP/ds"
cp tests/data/idx/fm200-images-idx3-ubyte.gz tests/data/idx/fm200-labels-idx1-ubyte.gz \
   tests/data/idx/classes.txt "$TMP/ds/"
IMG="$TMP/ds/fm200-images-idx3-ubyte.gz"

prep cv --data "$IMG" --classes "$TMP/ds/classes.txt" --model logreg --folds 3 --seed 1 \
    --out "$TMP/pp.npy" --audit "$TMP/audit" --db "$TMP/db.sqlite" --quiet
expect_rc 0 "idx: cv + audit --db"
check "idx: the audit recorded --classes in its options" \
    grep -q '"classes": *"[^"]*classes.txt"' "$TMP/audit/summary.json"
flagged=$(($(wc -l < "$TMP/audit/label_issues.csv") - 1))
check "idx: some examples flagged ($flagged)" test "$flagged" -gt 0

# run the report from another directory: the recorded paths are absolute
la_report() { ( cd "$TMP" && la report --db db.sqlite --out rep "$@"; echo "$RC" > "$TMP/.rc" ); RC=$(cat "$TMP/.rc"); }
la_report
expect_rc 0 "idx: report exits 0"
expect_err "$flagged flagged examples on [0-9]+ pages, [0-9]+ thumbnails" "idx: the report names the flagged count"
nt=$(sed -n 's/.* pages, \([0-9]*\) thumbnails.*/\1/p' "$ERR")
check "idx: a thumbnail per flagged example, and the typical examples' ($nt >= $flagged)" test "$nt" -ge "$flagged"
REP="$TMP/rep"
n_img=$(grep -o 'src="assets/thumbs/[0-9]*\.png" width="112"' "$REP/issues-1.html" | wc -l)
check "idx: every card of the first sheet has an <img> ($n_img)" test "$n_img" -eq "$flagged"
missing=0
for src in $(grep -o 'assets/thumbs/[0-9]*\.png' "$REP"/issues-*.html "$REP"/class-*.html | cut -d: -f2 | sort -u); do
    # a PNG of 112 x 112 (28 x 28 upscaled 4x): signature, then IHDR width/height
    hdr=$(od -An -tx1 -N24 "$REP/$src" 2>/dev/null | tr -d ' \n')
    case $hdr in 89504e470d0a1a0a*0000007000000070) ;; *) missing=$((missing + 1)) ;; esac
done
check "idx: every referenced thumbnail is a 112x112 PNG" test "$missing" -eq 0
row=$(awk -F, 'NR == 2 {print $2}' "$TMP/audit/label_issues.csv")
check "idx: the top card shows row $row's thumbnail" grep -q "src=\"assets/thumbs/$row.png\"" "$REP/issues-1.html"
check "idx: cards carry no 'no image' placeholder" sh -c "! grep -q 'no image or feature values' '$REP'/issues-*.html"
# pixel-exact: the thumbnail is the IDX row upscaled 4x by nearest neighbour
if [ -x "$LA_BUILD/tests/test_report" ] && command -v python3 >/dev/null 2>&1; then
    want=$(python3 - "$IMG" "$row" <<'EOF'
import gzip, sys
d = gzip.open(sys.argv[1]).read()
r = int(sys.argv[2]); px = d[16 + r * 784: 16 + (r + 1) * 784]
print("%.1f" % (sum(1 for b in px if b < 240) * 16 * 100.0 / (112 * 112)))
EOF
)
    got=$("$LA_BUILD/tests/test_report" --png-stats "$REP/assets/thumbs/$row.png" | awk '{print $4}')
    check "idx: thumbnail ink matches the pixel row ($got% vs $want%)" \
        awk "BEGIN { d = $got - $want; exit !(d < 0.06 && d > -0.06) }"
fi

# the dataset and the probabilities gone: the report reads only the database
mv "$TMP/ds" "$TMP/ds-moved"
mv "$TMP/pp.npy" "$TMP/pp-moved.npy"
la_report
expect_rc 0 "idx, dataset and pred_probs moved: report still exits 0"
expect_err "$flagged flagged examples on [0-9]+ pages, $nt thumbnails" "idx, dataset moved: every thumbnail still made (from the database)"
check "idx, dataset moved: the top card still shows row $row's thumbnail" \
    grep -q "src=\"assets/thumbs/$row.png\"" "$REP/issues-1.html"
check "idx, dataset moved: no 'unavailable' note" sh -c "! grep -q 'thumbnails unavailable' '$REP/index.html'"

# a run recorded before the digest existed (no run_digest row, no pixels):
# text cards and a note that says why
if command -v python3 >/dev/null 2>&1 && python3 -c 'import sqlite3' 2>/dev/null; then
    python3 - "$TMP/db.sqlite" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("delete from example_pixels"); c.execute("delete from run_pr_points"); c.execute("delete from run_digest")
c.commit()
PY
    la_report
    expect_rc 0 "idx, run without a digest: report still exits 0"
    check "idx, run without a digest: the summary says why there are no thumbnails" \
        grep -q 'thumbnails unavailable' "$REP/index.html"
    check "idx, run without a digest: no thumbnails referenced" sh -c "! grep -q 'assets/thumbs/' '$REP'/issues-1.html"
fi
