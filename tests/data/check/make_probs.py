#!/usr/bin/python3
# make_probs.py — regenerates the out-of-fold probability fixtures of the
# `check` end-to-end test, so that test does not depend on `labelaudit cv`.
#
# For digits (../shared/data/tabular/digits.csv) and each label version
# (true, sym10, sym30 from ../shared/data/noise/digits_*_seed1.csv), trains
# standardized multinomial logistic regression on those labels with
# scikit-learn's cross_val_predict (5 stratified folds, shuffled, seed 0) and
# writes the out-of-fold probabilities as float32 .npy, columns in byte-wise
# sorted class order (sklearn's classes_, also labelaudit's default order).
#
# Run with Debian's interpreter (python3-sklearn):
#   /usr/bin/python3 tests/data/check/make_probs.py ../shared/data tests/data/check
import csv
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data, out = sys.argv[1], sys.argv[2]
with open(f"{data}/tabular/digits.csv", newline="") as f:
    rows = list(csv.DictReader(f))
feat = [c for c in rows[0] if c not in ("id", "label")]
X = np.array([[float(r[c]) for c in feat] for r in rows])
ids = [r["id"] for r in rows]

versions = {}
with open(f"{data}/noise/digits_sym10_seed1.csv", newline="") as f:
    noise = list(csv.DictReader(f))
assert [r["id"] for r in noise] == ids
versions["true"] = [r["true_label"] for r in noise]
versions["sym10"] = [r["noisy_label"] for r in noise]
with open(f"{data}/noise/digits_sym30_seed1.csv", newline="") as f:
    noise30 = list(csv.DictReader(f))
assert [r["id"] for r in noise30] == ids
versions["sym30"] = [r["noisy_label"] for r in noise30]

classes = sorted(set(versions["true"]))
with open(f"{out}/classes.txt", "w") as f:
    f.write("\n".join(classes) + "\n")
for name, labels in versions.items():
    y = np.array([classes.index(v) for v in labels])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    cvs = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    p = cross_val_predict(model, X, y, cv=cvs, method="predict_proba")
    np.save(f"{out}/digits_{name}_probs.npy", p.astype(np.float32))
    acc = (p.argmax(1) == np.array([classes.index(v) for v in versions["true"]])).mean()
    print(f"{name}: oof accuracy vs true labels {acc:.4f}")
