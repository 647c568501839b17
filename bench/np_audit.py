#!/usr/bin/python3
"""np_audit.py - a numpy stand-in for the reference on the default path.

cleanlab itself cannot be installed here (no PyPI), so the benchmark measures
this re-implementation of what cleanlab 2.9's
filter.find_label_issues(labels, pred_probs, return_indices_ranked_by=
'self_confidence') does, written the way cleanlab writes it: the whole N x K
matrix loaded in memory, vectorised numpy per step, the same summation and
sort routines (np.mean, np.argsort). It is a proxy for the reference's cost,
not the reference. It also serves as a cross-check: it writes the ranked
indices so bench_audit.sh can compare them with labelaudit's ranked.csv.

usage: np_audit.py LABELS.npy PRED_PROBS.npy OUT_RANKED.csv
"""
import sys
import numpy as np


def round_preserving_sum(x):
    ints = np.round(x)
    orig = np.round(np.sum(x))
    cur = np.round(np.sum(ints))
    while abs(cur - orig) > 1e-6:
        diff = np.round(orig - cur)
        inc = -1 if int(diff) < 0 else 1
        changes = min(int(abs(diff)), len(x))
        order = np.argsort(x - ints)
        idx = order[::-1][:changes] if inc == 1 else order[:changes]
        for i in idx:
            ints[i] += inc
        cur = np.round(np.sum(ints))
    return ints.astype(int)


def main():
    labels = np.load(sys.argv[1])
    p = np.load(sys.argv[2]).astype(np.float64)   # cleanlab works on float64 copies
    n, k = p.shape
    counts = np.bincount(labels, minlength=k)
    # thresholds: mean self-confidence per given class
    t = np.array([np.mean(p[:, c][labels == c]) if counts[c] else 2.0 for c in range(k)])
    t = np.clip(t, 2e-6, None)
    # confident joint
    pb = p >= t - 1e-6
    nconf = pb.sum(axis=1)
    guess = np.where(nconf > 1, p.argmax(axis=1), pb.argmax(axis=1))
    ok = nconf > 0
    cj = np.zeros((k, k), dtype=np.int64)
    np.add.at(cj, (labels[ok], guess[ok]), 1)
    np.fill_diagonal(cj, cj.diagonal().clip(min=1))
    # calibration
    cal = (cj.T / np.clip(cj.sum(axis=1), 1e-100, None) * counts).T
    cal = cal / np.clip(np.sum(cal), 1e-100, None) * n
    cjc = np.array([round_preserving_sum(r) for r in cal])
    # prune counts (nmin = 1, frac_noise = 1)
    P = cjc.T.astype(float)
    d = P.diagonal().copy()
    nd = np.maximum(d, 1)
    nz = np.maximum(np.count_nonzero(P, axis=0) - 1.0, 1.0)
    M = P - (nd - d) / nz
    M[M < 0] = 0
    np.fill_diagonal(M, nd)
    P = np.array([round_preserving_sum(r) for r in M.astype(int)])
    # prune_by_noise_rate
    mask = np.zeros(n, dtype=bool)
    for c in range(k):
        sel = labels == c
        if counts[c] <= 1:
            continue
        pc = p[sel]
        m = np.zeros(len(pc), dtype=bool)
        for j in range(k):
            num = P[j][c]
            if j != c and num > 0:
                margin = pc[:, j] - pc[:, c]
                m[np.argsort(-margin)[:num]] = True
        mask[np.where(sel)[0][m]] = True
    # forgiveness
    adj = p.copy()
    adj[np.arange(n), labels] += 1e-6
    mask[adj.argmax(axis=1) == labels] = False
    idx = np.where(mask)[0]
    sc = p[idx, labels[idx]]
    ranked = idx[np.argsort(sc)]
    with open(sys.argv[3], "w") as f:
        f.write("index\n")
        f.write("".join("%d\n" % i for i in ranked))


if __name__ == "__main__":
    main()
