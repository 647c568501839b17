#!/usr/bin/python3
# check_redraw.py OUT RATE DRAWS SEED0 — writes DRAWS independent redraws of
# symmetric label noise at RATE on digits (each class flips exactly
# round(RATE * n_c) examples to a uniformly drawn other class, numpy PCG64
# seeded SEED0 + draw), with out-of-fold probabilities from scikit-learn
# (standardized logistic regression, 5 stratified folds) trained on the noisy
# labels: OUT/y_RATE_D.csv (id,label) and OUT/p_RATE_D.npy. Used by
# bench_check.sh to measure the false-alarm and detection rates of `check`.
# Needs Debian's python3-sklearn (run with /usr/bin/python3).
import csv
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

out, rate, draws, seed0 = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = os.environ.get("LA_SHARED", os.path.join(os.path.dirname(__file__), "../../shared")) + "/data"
rows = list(csv.DictReader(open(f"{data}/tabular/digits.csv", newline="")))
feat = [c for c in rows[0] if c not in ("id", "label")]
X = np.array([[float(r[c]) for c in feat] for r in rows])
ids = [r["id"] for r in rows]
classes = sorted(set(r["label"] for r in rows))
y = np.array([classes.index(r["label"]) for r in rows])
for d in range(draws):
    rng = np.random.default_rng(seed0 + d)
    yn = y.copy()
    for c in range(len(classes)):
        idx = np.where(y == c)[0]
        for i in rng.choice(idx, int(round(rate * len(idx))), replace=False):
            yn[i] = rng.choice([k for k in range(len(classes)) if k != c])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    p = cross_val_predict(model, X, yn, method="predict_proba",
                          cv=StratifiedKFold(5, shuffle=True, random_state=d))
    np.save(f"{out}/p_{rate}_{d}.npy", p.astype(np.float32))
    with open(f"{out}/y_{rate}_{d}.csv", "w") as f:
        f.write("id,label\n")
        f.writelines(f"{i},{classes[v]}\n" for i, v in zip(ids, yn))
with open(f"{out}/classes.txt", "w") as f:
    f.write("\n".join(classes) + "\n")
