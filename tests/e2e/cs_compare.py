#!/usr/bin/env python3
"""cs_compare.py GOLDEN_DIR OUT_DIR — compares `labelaudit consensus` outputs with
cleanlab 2.9.0's (tests/e2e/test_consensus.sh): labels, counts and worst classes
identical, agreement fractions within 1e-9, quality and active-learning scores
within 1e-6. Plain Python (csv module). Prints one line per file; exit 1 on a
mismatch."""
import csv, math, sys

EXACT = {"index", "consensus_label", "num_annotations", "worst_class", "num_examples_labeled", "annotator"}
AGREEMENT = {"annotator_agreement", "agreement_with_consensus"}

def rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))

def close(a, b, tol):
    if a == "" or b == "":
        return a == b
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return abs(x - y) <= tol

def compare(name, gold, mine):
    g, m = rows(gold), rows(mine)
    if g[0] != m[0]:
        return "header %r != %r" % (m[0], g[0])
    if len(g) != len(m):
        return "%d rows, expected %d" % (len(m) - 1, len(g) - 1)
    worst = 0.0
    for r, (gr, mr) in enumerate(zip(g[1:], m[1:]), start=2):
        for col, a, b in zip(g[0], gr, mr):
            if col in EXACT:
                if a != b and not (a and b and float(a) == float(b)):
                    return "line %d column %s: %s, expected %s" % (r, col, b, a)
                continue
            tol = 1e-9 if col in AGREEMENT else 1e-6
            if not close(a, b, tol):
                return "line %d column %s: %s, expected %s" % (r, col, b, a)
            if a and b:
                worst = max(worst, abs(float(a) - float(b)))
    return "ok (max |diff| %.3g)" % worst

bad = 0
for name in ("label_quality.csv", "annotator_stats.csv", "detailed_label_quality.csv", "active_learning.csv"):
    res = compare(name, "%s/%s" % (sys.argv[1], name), "%s/%s" % (sys.argv[2], name))
    print("%s: %s" % (name, res))
    bad += not res.startswith("ok")
sys.exit(1 if bad else 0)
