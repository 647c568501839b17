#!/usr/bin/python3
"""sk_logreg_cv.py — the scikit-learn baseline for bench/bench_cv.sh.

Fashion-MNIST train (60000 x 784), pixels / 255, standardized inside each
training fold (Pipeline), LogisticRegression(lbfgs, C=1.0), 5 folds.
The folds are read from labelaudit's folds.csv (id,fold) when given, so both
tools are scored on identical splits; otherwise StratifiedKFold(5, shuffle, 0).
Prints one JSON line: accuracy, log_loss, seconds (fit+predict only).

usage: /usr/bin/python3 bench/sk_logreg_cv.py IMAGES.gz LABELS.gz [folds.csv] [max_iter]
"""
import gzip, json, resource, sys, time
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
from sklearn.model_selection import cross_val_predict, StratifiedKFold, PredefinedSplit
from sklearn.metrics import accuracy_score, log_loss


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd)
    return arr.reshape(dims[0], -1) if nd > 1 else arr


X = idx(sys.argv[1]).astype(np.float64) / 255.0
y = idx(sys.argv[2]).astype(np.int64)
if len(sys.argv) > 3 and sys.argv[3] != "-":
    fold = np.zeros(len(y), dtype=np.int64)
    with open(sys.argv[3]) as f:
        next(f)
        for i, line in enumerate(f):
            fold[i] = int(line.rsplit(",", 1)[1])
    cv = PredefinedSplit(fold)
else:
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
max_iter = int(sys.argv[4]) if len(sys.argv) > 4 else 100
model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, solver="lbfgs", max_iter=max_iter))
t0 = time.time()
c0 = resource.getrusage(resource.RUSAGE_SELF)
P = cross_val_predict(model, X, y, cv=cv, method="predict_proba")
c1 = resource.getrusage(resource.RUSAGE_SELF)
dt = time.time() - t0
cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
print(json.dumps({"accuracy": accuracy_score(y, P.argmax(1)), "log_loss": log_loss(y, P),
                  "seconds": dt, "cpu_seconds": cpu, "max_iter": max_iter,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
