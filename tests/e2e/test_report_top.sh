# test_report_top.sh — what tells a reviewer what to do next, through the
# real binary: `audit --top N` (an aligned table: image paths for an image
# manifest, telling features for a tabular dataset), `audit --format json`
# with the issue rows (summary.json's keys unchanged), bad --top values; the
# report's cards (bars with the stored probabilities, a plain-words reason,
# typical examples), the intervals in the tiles, the next-steps commands
# naming this database and run, the noise-matrix cells' support.
. tests/e2e/lib.sh

prep() { _v=${LA_VALGRIND:-0}; LA_VALGRIND=0; la "$@"; LA_VALGRIND=$_v; }  # setup, never under valgrind
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
G="$DATA/tabular/Glass.csv"
prep cv --data "$G" --model logreg --folds 3 --seed 1 --threads 2 --out "$TMP/g/pp.npy" --quiet
expect_rc 0 "glass: cv"

# --- audit --top ---------------------------------------------------------------
la audit --data "$G" --pred-probs "$TMP/g/pp.npy" --out "$TMP/g/a" --top 5 --quiet
expect_rc 0 "audit --top 5 exits 0"
expect_out '^top 5 of [0-9]+ flagged \(ranked by self_confidence' "--top: the heading says how many of how many"
n=$(grep -c '^ *[0-9][0-9]*  Glass-' "$OUT")
check "--top 5: five rows ($n)" test "$n" -eq 5
expect_out '^rank  id +given +suggested +score +telling features' "--top: the header names the columns"
expect_out '^   1  Glass-[0-9]+ .* [A-Za-z]+ [0-9.]+ \(given [0-9.]+, sugg\. [0-9.]+\)' "--top: a tabular row shows telling features"
# every row's score starts where the header's does
col=$(awk 'NR == 2 { print index($0, "score") }' "$OUT")
bad=$(awk -v c="$col" 'NR > 2 && substr($0, c - 2, 2) != "  " { n++ } END { print n + 0 }' "$OUT")
check "--top: the score column is aligned (header at $col, $bad rows off)" test "$bad" -eq 0
# the ranked ids are label_issues.csv's first rows, in order
want=$(awk -F, 'NR > 1 && NR <= 6 { print $3 }' "$TMP/g/a/label_issues.csv" | tr '\n' ' ')
got=$(awk 'NR > 2 { print $2 }' "$OUT" | tr '\n' ' ')
check "--top: rows in label_issues.csv's order ($got)" test "$got" = "$want"
la audit --data "$G" --pred-probs "$TMP/g/pp.npy" --out "$TMP/g/a" --top 0
expect_rc 2 "--top 0 refused"; expect_err "top" "--top 0: the message names the option"
la audit --data "$G" --pred-probs "$TMP/g/pp.npy" --out "$TMP/g/a" --top many
expect_rc 2 "--top many refused"

# --- audit --format json with the issue rows --------------------------------------
la audit --data "$G" --pred-probs "$TMP/g/pp.npy" --out "$TMP/g/j" --format json
expect_rc 0 "--format json exits 0"
cp "$OUT" "$TMP/all.json"
la audit --data "$G" --pred-probs "$TMP/g/pp.npy" --out "$TMP/g/j3" --format json --top 3
cp "$OUT" "$TMP/top3.json"
r=$("$PY" - "$TMP/all.json" "$TMP/g/j/summary.json" "$TMP/top3.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2])); t = json.load(open(sys.argv[3]))
rows = d.pop('issues')
ok = d == s and len(rows) == s['num_flagged'] and [r['rank'] for r in rows] == list(range(1, len(rows) + 1))
ok = ok and all(set(r) == {'rank', 'row', 'id', 'given', 'suggested', 'score', 'image_path', 'features'} for r in rows)
ok = ok and rows[0]['given'] in s['classes'] and rows[0]['features'][0]['name']
ok = ok and t['issues'] == rows[:3]
print('ok' if ok else 'bad')
PYEOF
)
check "--format json: summary.json's keys unchanged, every flagged row, --top 3 the first three ($r)" test "$r" = ok

# --- an image manifest: --top shows the image paths --------------------------------
M="$DATA/digits-png/manifest.csv"
prep cv --data "$M" --model logreg --folds 3 --seed 4 --threads 2 --out "$TMP/d/pp.npy" --audit "$TMP/d/a" \
    --db "$TMP/d.db" --quiet
expect_rc 0 "digits: cv + audit --db"
la audit --data "$M" --pred-probs "$TMP/d/pp.npy" --out "$TMP/d/a2" --top 3 --quiet
expect_rc 0 "digits: audit --top 3"
expect_out '^rank  id +given +suggested +score +image$' "digits --top: the last column is the image"
expect_out '^   1  .*\.png$' "digits --top: rows end in the image path"

# --- the report: cards, tiles, next steps ------------------------------------------
la report --db "$TMP/d.db" --out "$TMP/d report" --quiet
expect_rc 0 "digits: report"
S="$TMP/d report/issues-1.html"; I="$TMP/d report/index.html"
check "cards: a plain-words reason" grep -q '<p class="why">The model gives the given label ' "$S"
check "cards: probability bars with values" grep -Eq '<div class="pr g" role="listitem" data-class="[^"]+" data-p="[0-9.e-]+"' "$S"
check "cards: the score kept in a tooltip, not shown as text" grep -q 'title="label quality score (self_confidence): ' "$S"
if grep -q '>score [0-9]' "$S"; then fail "cards: no bare score" "found '>score N'"; else pass "cards: no bare score"; fi
check "cards: typical examples of the suggested class" grep -q '<span class="tl">typical suggested: ' "$S"
check "cards: typical thumbnails with alt text" grep -Eq '<img src="assets/thumbs/[0-9]+.png" width="40" height="40" loading="lazy" alt="typical ' "$S"
check "sheet: a note that decisions are made in serve" grep -q "labelaudit serve --db $TMP/d.db --run 1</code>" "$S"
check "tiles: the error-rate interval" grep -Eq '<div class="ci">95% interval [0-9.]+%\.\.[0-9.]+%</div><div class="l">est. label-error rate' "$I"
check "tiles: the error-count interval" grep -Eq '<div class="ci">95% interval [0-9]+\.\.[0-9]+</div><div class="l">est. label errors' "$I"
check "tiles: the health score's interval" grep -Eq '<div class="ci">95% interval 0\.[0-9]+\.\.[01]\.[0-9]+</div><div class="l">label health score' "$I"
check "class table: per-class intervals" grep -Eq '<td class="ci">[0-9.]+%\.\.[0-9.]+%</td>' "$I"
check "noise matrix: cells' support in titles" grep -Eq 'rests on [0-9]+ of [0-9]+ examples counted as true' "$I"
for c in serve review decisions clean retrain report; do
    check "next steps: labelaudit $c for this db and run" grep -q "<code class=\"cmd\" tabindex=\"0\">labelaudit $c --db $TMP/d.db --run 1" "$I"
done
check "next steps: clean names the dataset" grep -q -- "--data $M" "$I"
check "next steps: report names this output directory" grep -Fq -- "--out &#39;$TMP/d report&#39;</code>" "$I"
# the probabilities on the cards are pred_probs' (rank 1's row, given and top class)
r=$("$PY" - "$TMP/d.db" "$TMP/d/pp.npy" "$S" <<'PYEOF'
import sqlite3, sys, re, html
import numpy as np
c = sqlite3.connect(sys.argv[1]); p = np.load(sys.argv[2]); page = open(sys.argv[3]).read()
row, given = c.execute("select row, given from examples where run_id = 1 and rank = 1").fetchone()
names = [n for (n,) in c.execute("select name from run_classes where run_id = 1 order by class_index")]
card = page[page.index('<figure'):page.index('</figure>')]
bars = {html.unescape(m[0]): float(m[1]) for m in re.findall(r'data-class="([^"]+)" data-p="([^"]+)"', card)}
top = int(np.argmax(p[row]))
ok = abs(bars[names[given]] - p[row, given]) < 1e-5 * max(1, p[row, given]) and abs(bars[names[top]] - p[row, top]) < 1e-5
print('ok' if ok and len(bars) >= 3 else 'bad %r' % bars)
PYEOF
)
check "cards: rank 1's bars carry pred_probs' values ($r)" test "$r" = ok

# --- run details: cv --rebalance auto's choice and retrain's operating point -------
prep cv --data "$G" --model logreg --folds 3 --seed 1 --threads 2 --rebalance auto --out "$TMP/rb/pp.npy" \
    --audit "$TMP/rb/audit" --db "$TMP/rb.db" --quiet
expect_rc 0 "glass: cv --rebalance auto + audit --db"
prep metrics --labels "$TMP/rb/labels.npy" --pred-probs "$TMP/rb/pp.npy" --classes "$TMP/rb/classes.txt" \
    --precision-at-least 0.5 --threshold-out "$TMP/th.json" --quiet
expect_rc 0 "glass: metrics --threshold-out"
prep retrain --data "$G" --test "$G" --model logreg --threshold "$TMP/th.json" --out "$TMP/rt" --db "$TMP/rb.db" --run 1 --quiet
expect_rc 0 "glass: retrain --threshold --db"
la report --db "$TMP/rb.db" --out "$TMP/rb report" --quiet
expect_rc 0 "glass: report of the rebalanced run"
RI="$TMP/rb report/index.html"
check "run details: the rebalancing choice per fold" \
    grep -Eq 'class rebalancing \(cv --rebalance auto\)</td><td class="mono" style="text-align:left">[a-z_-]+ in [0-9] folds?' "$RI"
check "run details: the prior correction" grep -q 'prior correction of the probabilities</td><td class="mono" style="text-align:left">applied' "$RI"
cls=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['class'])" "$TMP/th.json")
check "run details: the operating point retrain used ($cls)" \
    grep -q "operating point (retrain --threshold)</td><td class=\"mono\" style=\"text-align:left\">predict $cls when its probability &gt;= 0\.[0-9]* (" "$RI"
la report --db "$TMP/d.db" --out "$TMP/d report" --quiet
if grep -q 'class rebalancing' "$TMP/d report/index.html"; then fail "run details: no rebalancing row without --rebalance" "found"
else pass "run details: no rebalancing row without --rebalance"; fi
