#!/usr/bin/python3
"""score_issues.py — precision, recall and F1 of audit's flagged examples
(is_label_issue.csv, one 0/1 per row) against the known flips (.npy 0/1).
usage: score_issues.py AUDIT_DIR/is_label_issue.csv flipped.npy   -> one JSON line"""
import json, sys
import numpy as np
flag = np.loadtxt(sys.argv[1], skiprows=1, dtype=np.int64).astype(bool)
true = np.load(sys.argv[2]).astype(bool)
tp = int((flag & true).sum()); fp = int((flag & ~true).sum()); fn = int((~flag & true).sum())
p = tp / max(tp + fp, 1); r = tp / max(tp + fn, 1)
print(json.dumps({"flagged": int(flag.sum()), "flipped": int(true.sum()), "precision": round(p, 4),
                  "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-12), 4)}))
