# test_report_idx.sh — the report of an image dataset without image files
# (IDX): it reloads the dataset with the loader options the audit recorded
# (--classes) and writes crisp thumbnails from the pixel rows. Fixture:
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
expect_err "$flagged thumbnails" "idx: one thumbnail per flagged example"
REP="$TMP/rep"
n_img=$(grep -o 'src="assets/thumbs/[0-9]*\.png"' "$REP/issues-1.html" | wc -l)
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

# the dataset gone: the report still works, text cards and a note
mv "$TMP/ds" "$TMP/ds-moved"
la_report
expect_rc 0 "idx, dataset moved: report still exits 0"
check "idx, dataset moved: the summary says why there are no thumbnails" \
    grep -q 'thumbnails unavailable' "$REP/index.html"
check "idx, dataset moved: no thumbnails referenced" sh -c "! grep -q 'assets/thumbs/' '$REP'/issues-1.html"
