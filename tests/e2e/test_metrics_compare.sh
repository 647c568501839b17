# test_metrics_compare.sh — `labelaudit metrics --compare BEFORE.json`: the
# per-class before/after table (text) and the "compare" object (json), against
# hand-made labels, probabilities and metrics.json files; mismatched class
# lists and broken files refused with exit 2 and the differences named.
. tests/e2e/lib.sh

cd "$TMP" || exit 1
printf 'label\ncat\ndog\ncat\nbird\ndog\ncat\n' > y.csv
printf 'bird,cat,dog\n0.1,0.8,0.1\n0.2,0.3,0.5\n0.6,0.3,0.1\n0.7,0.2,0.1\n0.1,0.1,0.8\n0.2,0.7,0.1\n' > before.csv
printf 'bird,cat,dog\n0.1,0.8,0.1\n0.2,0.3,0.5\n0.1,0.8,0.1\n0.7,0.2,0.1\n0.1,0.1,0.8\n0.2,0.7,0.1\n' > after.csv

la metrics --labels y.csv --pred-probs before.csv --out b --quiet
expect_rc 0 "compare: the before metrics.json written"
la metrics --labels y.csv --pred-probs after.csv --compare b/metrics.json
expect_rc 0 "compare: exit 0"
# before: row 3 (cat) predicted bird -> cat recall 2/3, F1 0.8; bird F1 2/3
expect_out '^bird +1 +0\.6667 +1\.0000 +\+0\.3333 +1\.0000 +1\.0000 +1\.0000 +1\.0000$' "compare: bird row"
expect_out '^cat +3 +0\.8000 +1\.0000 +\+0\.2000 +0\.6667 +1\.0000 +0\.9167 +1\.0000$' "compare: cat row"
expect_out '^dog +2 +1\.0000 +1\.0000 +\+0\.0000' "compare: dog row"
expect_out '^balanced accuracy +before 0\.8889 +after 1\.0000 +delta \+0\.1111$' "compare: balanced accuracy before/after"
expect_out '^macro F1 +before 0\.8222 +after 1\.0000 +delta \+0\.1778$' "compare: macro F1 before/after"
check "compare: no supports-differ note for the same examples" sh -c "! grep -q 'supports differ' '$OUT'"

la metrics --labels y.csv --pred-probs after.csv --compare b/metrics.json --format json
expect_rc 0 "compare json: exit 0"
if command -v python3 >/dev/null 2>&1; then
    check "compare json: compare object with per-class deltas" python3 - "$OUT" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["compare"]
assert c["before"] == "b/metrics.json" and c["after"] == "after.csv"
pc = {e["class"]: e for e in c["per_class"]}
assert list(pc) == ["bird", "cat", "dog"]
assert abs(pc["cat"]["f1_before"] - 0.8) < 1e-9 and abs(pc["cat"]["f1_after"] - 1) < 1e-9
assert abs(pc["cat"]["f1_delta"] - 0.2) < 1e-9 and pc["cat"]["support"] == 3
assert abs(pc["cat"]["recall_before"] - 2 / 3) < 1e-9
assert abs(c["macro_f1"]["delta"] - (1 - 0.8222222222)) < 1e-6
assert abs(d["macro_f1"] - 1) < 1e-9          # the document itself is unchanged
EOF
fi
la metrics --labels y.csv --pred-probs after.csv --compare b/metrics.json --out a --quiet
check "compare: --out's metrics.json carries no compare object" sh -c "! grep -q '\"compare\"' a/metrics.json"

# hand-made "before" documents: another class list, another order, broken
cat > other.json <<'EOF'
{"balanced_accuracy": 0.5, "macro_f1": 0.5, "per_class": [
 {"class": "bird", "support": 1, "f1": 0.5, "recall": 0.5, "pr_auc": 0.5},
 {"class": "cat", "support": 3, "f1": 0.5, "recall": 0.5, "pr_auc": 0.5},
 {"class": "horse", "support": 2, "f1": 0.5, "recall": 0.5, "pr_auc": 0.5},
 {"class": "emu", "support": 2, "f1": 0.5, "recall": 0.5, "pr_auc": 0.5}]}
EOF
la metrics --labels y.csv --pred-probs after.csv --compare other.json
expect_rc 2 "mismatched classes: exit 2"
expect_err "other.json: class lists differ \(4 vs 3 classes\): only here: 'horse', 'emu'; only in this evaluation: 'dog'" \
    "mismatched classes: both sides' differences listed"
check "mismatched classes: nothing on stdout" test ! -s "$OUT"
printf '{"balanced_accuracy": 0.5, "macro_f1": 0.5, "per_class": [
 {"class": "cat", "support": 3, "f1": 0.5, "recall": 0.5, "pr_auc": 0.5},
 {"class": "bird", "support": 1, "f1": 0.5, "recall": 0.5, "pr_auc": 0.5},
 {"class": "dog", "support": 2, "f1": 0.5, "recall": 0.5, "pr_auc": 0.5}]}\n' > order.json
la metrics --labels y.csv --pred-probs after.csv --compare order.json
expect_rc 2 "classes in another order: exit 2"
expect_err "order.json: same classes in a different order: class 0 is 'cat' here but 'bird' in this evaluation" \
    "classes in another order: first difference named"
printf '{"balanced_accuracy": 0.5, "macro_f1": 0.5, "per_class": [
 {"class": "bird", "support": 1, "f1": 0.5, "recall": 0.5},
 {"class": "cat", "support": 3, "f1": 0.5, "recall": 0.5, "pr_auc": 0.5},
 {"class": "dog", "support": 2, "f1": 0.5, "recall": 0.5, "pr_auc": 0.5}]}\n' > nopr.json
la metrics --labels y.csv --pred-probs after.csv --compare nopr.json
expect_rc 2 "missing pr_auc: exit 2"; expect_err "nopr.json: per_class\[0\] has no finite number 'pr_auc'" "missing pr_auc: named"
printf '{"balanced_accuracy": 0.5, ' > trunc.json
la metrics --labels y.csv --pred-probs after.csv --compare trunc.json
expect_rc 2 "truncated JSON: exit 2"; expect_err "trunc.json:1: not a JSON file" "truncated JSON: named"
la metrics --labels y.csv --pred-probs after.csv --compare no-such.json
expect_rc 2 "missing file: exit 2"; expect_err "no-such.json" "missing file: named"
la metrics --labels y.csv --pred-probs after.csv --compare
expect_rc 2 "--compare without a value: exit 2"

# different supports (another test set): the table says so
printf 'label\ncat\ndog\ncat\nbird\ndog\ndog\n' > y2.csv
la metrics --labels y2.csv --pred-probs after.csv --compare b/metrics.json
expect_rc 0 "different examples: exit 0"
expect_out 'supports differ' "different examples: noted under the table"
la metrics --help
expect_out '--compare METRICS_JSON' "--help documents --compare"
