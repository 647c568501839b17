# test_report_rebalance.sh — issue 19 in the HTML report, through the binary:
# a run recorded by `cv --rebalance auto --db` gets a rebalancing panel (one
# row per fold, every compared strategy's inner score, the chosen one
# marked, the gain over plain and its standard error as tooltips), and after
# `retrain --threshold FILE --db` the operating point chosen by `metrics
# --precision-at-least` is ringed on its class's out-of-fold PR curve, with
# the precision and recall where it was chosen and on the test set. A run
# without either shows neither. The final model's panel names `--stop-on balanced`.
. tests/e2e/lib.sh

python3 - "$TMP/train.csv" "$TMP/test.csv" <<'PY'
import random, sys
for path, seed, n in ((sys.argv[1], 1, 1500), (sys.argv[2], 2, 1500)):
    r = random.Random(seed)
    with open(path, 'w') as f:
        f.write('id,f1,f2,f3,label\n')
        for i in range(n):
            rare = r.random() < 0.06
            m = 2.0 if rare else 0.0
            f.write('r%05d,%s,%s\n' % (i, ','.join('%.5f' % (m + r.gauss(0, 1)) for _ in range(3)),
                                       'rare' if rare else 'common'))
PY
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# plain run: neither panel nor mark
la cv --data "$TMP/train.csv" --out "$TMP/plain/p.npy" --audit "$TMP/plain/audit" --db "$TMP/plain.db" --threads 2 --quiet
expect_rc 0 "plain cv --audit --db"
la report --db "$TMP/plain.db" --out "$TMP/plain/rep" --quiet
expect_rc 0 "report of the plain run"
check "plain run: no rebalancing panel" sh -c "! grep -q 'id=\"rebalance\"' '$TMP/plain/rep/index.html'"
check "plain run: no operating point" sh -c "! grep -q 'class=\"op\"' '$TMP/plain/rep/index.html'"

# --rebalance auto recorded: the panel
la cv --data "$TMP/train.csv" --out "$TMP/auto/p.npy" --rebalance auto --audit "$TMP/auto/audit" \
   --db "$TMP/auto.db" --threads 2 --quiet
expect_rc 0 "cv --rebalance auto --audit --db"
la report --db "$TMP/auto.db" --out "$TMP/auto/rep" --quiet
expect_rc 0 "report of the auto run"
H="$TMP/auto/rep/index.html"
check "auto run: the rebalancing panel is there" grep -q 'id="rebalance"' "$H"
python3 - "$H" "$TMP/auto/metrics.json" > "$TMP/panel.txt" <<'PY'
import html, json, re, sys
page = open(sys.argv[1]).read()
m = json.load(open(sys.argv[2]))
sec = page[page.index('id="rebalance"'):]
sec = sec[:sec.index('</section>')]
heads = [html.unescape(h) for h in re.findall(r'<th>([^<]*)</th>', sec)][1:]
print('heads', heads == m['rebalance']['compared'])
rows = re.findall(r'<tr><td>(\d+)</td>(.*?)</tr>', sec)
print('rows', len(rows) == len(m['folds']))
ok_scores = ok_chosen = ok_tip = True
for (fold, cells), f in zip(rows, m['folds']):
    rb = f['rebalance']
    tds = re.findall(r'<td([^>]*)>(.*?)</td>', cells)
    for name, (attr, body) in zip(heads, tds):
        v = float(re.sub(r'<[^>]+>|&#10003;', '', body).strip())
        ok_scores &= abs(v - rb['scores'][name]) < 5e-5
        ok_chosen &= (('&#10003;' in body) == (name == rb['chosen']))
        if name != 'plain':
            g = re.search(r'gain over plain ([-+0-9.]+), standard error ([0-9.]+)', attr)
            ok_tip &= bool(g) and abs(float(g.group(1)) - rb['gain_over_plain'][name]) < 5e-5 \
                and abs(float(g.group(2)) - rb['gain_se'][name]) < 5e-5
print('scores', ok_scores)
print('chosen', ok_chosen)
print('tips', ok_tip)
PY
for w in heads rows scores chosen tips; do
    check "auto panel: $w agree with metrics.json" grep -q "^$w True" "$TMP/panel.txt"
done

# the operating point: metrics --precision-at-least -> retrain --threshold --db
la metrics --labels "$TMP/auto/labels.npy" --pred-probs "$TMP/auto/p.npy" --classes "$TMP/auto/classes.txt" \
   --precision-at-least 0.6 --threshold-out "$TMP/thr.json" --quiet
expect_rc 0 "metrics --precision-at-least 0.6 --threshold-out"
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --threshold "$TMP/thr.json" --db "$TMP/auto.db" \
   --out "$TMP/rt" --threads 2 --quiet
expect_rc 0 "retrain --threshold --db"
check "retrain records where the point was chosen" \
    test "$(jq_ "$TMP/rt/metrics.json" "abs(d['threshold']['chosen_precision'] - json.load(open('$TMP/thr.json'))['precision']) < 1e-9")" = True
la report --db "$TMP/auto.db" --out "$TMP/auto/rep2" --quiet
expect_rc 0 "report after retrain --threshold"
python3 - "$TMP/auto/rep2/index.html" "$TMP/thr.json" "$TMP/rt/metrics.json" > "$TMP/op.txt" <<'PY'
import html, json, re, sys
page = open(sys.argv[1]).read()
t = json.load(open(sys.argv[2])); rt = json.load(open(sys.argv[3]))
cv = page[page.index('id="cv"'):]
cv = cv[:cv.index('</section>')]
g = re.findall(r'<g class="op"><title>([^<]*)</title><circle cx="([0-9.]+)" cy="([0-9.]+)"', cv)
print('one', len(g) == 1)
tip, cx, cy = g[0]
tip = html.unescape(tip)
# the chart maps recall r to 46 + 300 r and precision p to 12 + 300 (1 - p)
print('where', abs(float(cx) - (46 + 300 * t['recall'])) < 0.06 and abs(float(cy) - (12 + 300 * (1 - t['precision']))) < 0.06)
pc = rt['per_class'][t['class_index']]
print('tip', tip.startswith('operating point of rare:') and ('%.3f' % t['precision']) in tip
      and ('test set precision %.3f, recall %.3f' % (pc['precision'], pc['recall'])) in tip)
PY
for w in one where tip; do check "operating point: $w" grep -q "^$w True" "$TMP/op.txt"; done

# the final model's panel names the early-stopping rule when it is not accuracy
la retrain --data "$TMP/train.csv" --test "$TMP/test.csv" --model mlp --hidden 8 --epochs 5 --stop-on balanced \
   --db "$TMP/auto.db" --out "$TMP/rtm" --threads 2 --quiet
expect_rc 0 "retrain --model mlp --stop-on balanced --db"
la report --db "$TMP/auto.db" --out "$TMP/auto/rep3" --quiet
expect_rc 0 "report after the mlp retrain"
check "the final model's panel says it stopped on the class-balanced loss" \
    grep -q "loss ce, sampler none, early stopping on the class-balanced validation loss)" "$TMP/auto/rep3/index.html"
check "the logreg retrain's panel (earlier report) says nothing of it" \
    sh -c "! grep -q 'early stopping on' '$TMP/auto/rep2/index.html'"
