# test_rebalance_loses.sh — issue 19's "without saying so", through the binary:
# when --rebalance auto (recall-guarded, the default) chooses a candidate whose
# pooled inner PR-AUC is below plain's (the guard admits a loss within one
# bootstrap error), cv records it per fold (loses_pr_auc, chosen_pr_auc_gain,
# its error) and at the top (loses_pr_auc_folds), warns on stderr naming the
# fold, and the report's rebalancing panel shows a warning for that fold;
# retrain on that fold's training rows makes the same choice and says so too.
# Fixture: Glass (214 rows, 6 classes, logreg, --seed 2), whose fold 1 chooses
# blend:balanced at PR-AUC -0.0088 (error 0.0097). Folds that keep plain or
# gain PR-AUC are not flagged.
. tests/e2e/lib.sh

G="$DATA/tabular/Glass.csv"
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

la cv --data "$G" --out "$TMP/cv/p.npy" --rebalance auto --seed 2 --threads 2 --audit "$TMP/cv/audit" \
   --db "$TMP/g.db" --quiet
expect_rc 0 "glass cv --rebalance auto --seed 2"
M="$TMP/cv/metrics.json"
check "the default selection is recall-guarded at 0.5" test "$(jq_ "$M" "d['rebalance']['select_by'], d['rebalance']['precision']")" = "recall-guarded 0.5"
# the folds that lose, recomputed from the recorded guard: chosen not plain and
# its pooled PR-AUC gain below zero
LOSE=$(jq_ "$M" "' '.join(str(i) for i, f in enumerate(d['folds']) if f['rebalance']['chosen'] != 'plain' and f['rebalance']['pr_auc_gain'][f['rebalance']['chosen']] < 0)")
check "the fixture has a fold whose choice loses inner PR-AUC ($LOSE)" test -n "$LOSE"
check "loses_pr_auc_folds lists exactly those folds" test "$(jq_ "$M" "' '.join(str(i) for i in d['rebalance']['loses_pr_auc_folds'])")" = "$LOSE"
check "per fold, loses_pr_auc is set exactly there" test "$(jq_ "$M" "' '.join(str(i) for i, f in enumerate(d['folds']) if f['rebalance'].get('loses_pr_auc') is True)")" = "$LOSE"
check "per fold, the loss and its error are the chosen's recorded guard" test "$(jq_ "$M" "all(f['rebalance']['chosen_pr_auc_gain'] == f['rebalance']['pr_auc_gain'][f['rebalance']['chosen']] and f['rebalance']['chosen_pr_auc_gain_se'] == f['rebalance']['pr_auc_gain_se'][f['rebalance']['chosen']] for f in d['folds'] if f['rebalance'].get('loses_pr_auc'))")" = True
check "the guard held: every loss is within one bootstrap error" test "$(jq_ "$M" "all(-f['rebalance']['chosen_pr_auc_gain'] <= f['rebalance']['chosen_pr_auc_gain_se'] for f in d['folds'] if f['rebalance'].get('loses_pr_auc'))")" = True
F1=${LOSE%% *}
CH=$(jq_ "$M" "d['folds'][$F1]['rebalance']['chosen']")
expect_err "warning: cv: fold $F1 chose $CH: inner PR-AUC 0\\.[0-9]{4} below plain's \\(within its bootstrap error 0\\.[0-9]{4}\\); recall at precision 0\\.5 \\+0\\.[0-9]{4}" \
    "stderr says which fold loses PR-AUC, by how much, and what it gained (even under --quiet)"
check "one stderr line per losing fold" test "$(grep -c 'inner PR-AUC .* below plain' "$ERR")" = "$(echo "$LOSE" | wc -w)"

# the report: a warning in the rebalancing panel for that fold, and in the run details
la report --db "$TMP/g.db" --out "$TMP/rep" --quiet
expect_rc 0 "report of the run"
H="$TMP/rep/index.html"
r=$(python3 - "$H" "$M" <<'PY'
import html, json, re, sys
page = open(sys.argv[1]).read()
m = json.load(open(sys.argv[2]))
sec = page[page.index('id="rebalance"'):]
sec = sec[:sec.index('</section>')]
warned = [int(x) for x in re.findall(r'<p class="rbwarn">[^<]*fold (\d+) chose <b>[^<]*</b>, which <b>loses inner PR-AUC</b>', sec)]
want = m['rebalance']['loses_pr_auc_folds']
ok = warned == want
for i in want:
    rb = m['folds'][i]['rebalance']
    ok &= ('fold %d chose <b>%s</b>' % (i, html.escape(rb['chosen']))) in sec
    ok &= ('%+.4f (bootstrap error %.4f)' % (rb['chosen_pr_auc_gain'], rb['chosen_pr_auc_gain_se'])) in sec
print('ok' if ok else 'warned %s want %s' % (warned, want))
PY
)
check "report: one panel warning per losing fold, with its loss and error ($r)" test "$r" = ok
check "report: the run details name the losing folds" grep -q "chosen by recall-guarded); loses inner PR-AUC on fold $F1" "$H"

# a run whose choices never lose: no note, an empty list, no warning
la cv --data "$G" --out "$TMP/cv1/p.npy" --rebalance auto --seed 1 --threads 2 --quiet
expect_rc 0 "glass cv --rebalance auto --seed 1"
check "seed 1: no fold loses PR-AUC (recomputed)" test "$(jq_ "$TMP/cv1/metrics.json" "sum(1 for f in d['folds'] if f['rebalance']['chosen'] != 'plain' and f['rebalance']['pr_auc_gain'][f['rebalance']['chosen']] < 0)")" = 0
check "seed 1: loses_pr_auc_folds is empty" test "$(jq_ "$TMP/cv1/metrics.json" "d['rebalance']['loses_pr_auc_folds']")" = "[]"
check "seed 1: no stderr note" sh -c "! grep -q 'inner PR-AUC' '$ERR'"

# retrain on fold F1's training rows with that fold's seed (seed + f x 1000003):
# the same inner comparison, the same choice, said the same way
python3 - "$G" "$TMP/cv/folds.csv" "$F1" "$TMP/fold.csv" <<'PY'
import csv, sys
folds = {r['id']: r['fold'] for r in csv.DictReader(open(sys.argv[2]))}
rows = list(csv.reader(open(sys.argv[1])))
with open(sys.argv[4], 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(rows[0])
    w.writerows(r for r in rows[1:] if folds[r[0]] != sys.argv[3])
PY
la retrain --data "$TMP/fold.csv" --test "$G" --out "$TMP/rt" --rebalance auto --seed $((2 + F1 * 1000003)) --quiet
expect_rc 0 "retrain --rebalance auto on fold $F1's training rows"
R="$TMP/rt/metrics.json"
check "retrain makes fold $F1's choice ($CH) and records the loss" test "$(jq_ "$R" "d['rebalance']['chosen'], d['rebalance'].get('loses_pr_auc'), d['rebalance']['precision']")" = "$CH True 0.5"
expect_err "warning: retrain chose $CH: inner PR-AUC 0\\.[0-9]{4} below plain's \\(within" "retrain says so on stderr"
la retrain --data "$G" --test "$G" --out "$TMP/rt2" --rebalance auto --seed 2 --quiet
check "retrain keeping plain: no loss recorded, no note" test "$(jq_ "$TMP/rt2/metrics.json" "d['rebalance']['chosen'], 'loses_pr_auc' in d['rebalance']")/$(grep -c 'inner PR-AUC' "$ERR")" = "plain False/0"

# the unguarded selections say so too (the PR-AUC is computed beside their score)
la cv --data "$G" --out "$TMP/rap/p.npy" --rebalance auto --select-by recall-at-precision:0.5 --seed 2 --threads 2 --quiet
expect_rc 0 "glass cv --select-by recall-at-precision:0.5"
P="$TMP/rap/metrics.json"
check "recall-at-precision: the PR-AUC gains are recorded" test "$(jq_ "$P" "all('pr_auc_gain' in f['rebalance'] for f in d['folds'])")" = True
check "recall-at-precision: loses_pr_auc_folds agrees with the recorded gains" test "$(jq_ "$P" "d['rebalance']['loses_pr_auc_folds'] == [i for i, f in enumerate(d['folds']) if f['rebalance']['chosen'] != 'plain' and f['rebalance']['pr_auc_gain'][f['rebalance']['chosen']] < 0]")" = True
