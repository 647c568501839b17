#!/bin/sh
# test_audit_numpy.sh — cross-check beyond the golden cases: tie-heavy inputs
# (probabilities rounded to coarse steps, K from 17 to 40, so numpy's
# introsort tie order decides the calibration, the pruning cuts and the
# ranking) audited by labelaudit and by bench/np_audit.py, a numpy
# re-implementation of cleanlab's default path; the ranked lists must be
# identical. Skipped when Debian's python3-numpy is not installed.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; export TMPDIR; fi
. "$(dirname "$0")/lib.sh"
need_python numpy
NP="$(dirname "$0")/../../bench/np_audit.py"
"$PY" - "$TMP" <<'PYEOF'
import sys
import numpy as np
out = sys.argv[1]
for seed, (n, k, q) in enumerate([(5000, 25, 20), (3000, 17, 8), (6000, 30, 10), (800, 40, 4), (2000, 3, 6)]):
    rng = np.random.default_rng(seed + 11)
    t = rng.integers(0, k, size=n)
    z = rng.normal(size=(n, k))
    z[np.arange(n), t] += 2.5
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    p = np.clip(np.round(p * q) / q, 0, 1)
    y = t.copy()
    flip = rng.random(n) < 0.15
    y[flip] = rng.integers(0, k, size=flip.sum())
    np.save(f"{out}/tie{seed}_p.npy", p)
    np.save(f"{out}/tie{seed}_l.npy", y.astype(np.int64))
PYEOF
for s in 0 1 2 3 4; do
    "$PY" "$NP" "$TMP/tie${s}_l.npy" "$TMP/tie${s}_p.npy" "$TMP/np$s.csv"
    la audit --labels "$TMP/tie${s}_l.npy" --pred-probs "$TMP/tie${s}_p.npy" --out "$TMP/o$s" --quiet --threads 2
    expect_rc 0 "tie case $s audited"
    check "tie case $s: ranked list equals numpy's" cmp "$TMP/np$s.csv" "$TMP/o$s/ranked.csv"
done

# Larger than one 8 MB chunk, so the streaming driver's floors (estimated
# from the first chunk, cl_run.c) decide what stage 3 keeps. On shuffled
# rows they hold. With few classes (many flips per class pair) and the rows
# sorted by descending margin, the first chunk is unlike the rest, the floors
# land above the final cut, and stage 3 must re-run without them. Both must
# give numpy's ranked list.
"$PY" - "$TMP" <<'PYEOF'
import sys
import numpy as np
out = sys.argv[1]
def make(n, k, seed, dtype):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, k, size=n)
    z = rng.normal(size=(n, k))
    z[np.arange(n), t] += 3
    p = np.exp(z)
    p = (p / p.sum(1, keepdims=True)).astype(dtype)
    y = t.copy()
    flip = rng.random(n) < 0.2
    y[flip] = rng.integers(0, k, size=flip.sum())
    return p, y.astype(np.int64)
p, y = make(60000, 50, 7, np.float32)
np.save(f"{out}/big_p.npy", p)
np.save(f"{out}/big_l.npy", y)
p, y = make(600000, 4, 8, np.float64)
order = np.argsort(-(p.max(1) - p[np.arange(len(y)), y]), kind="stable")
np.save(f"{out}/sorted_p.npy", p[order])
np.save(f"{out}/sorted_l.npy", y[order])
PYEOF
for s in big:0 sorted:1; do
    cs=${s%:*}; reruns=${s#*:}
    "$PY" "$NP" "$TMP/${cs}_l.npy" "$TMP/${cs}_p.npy" "$TMP/np_$cs.csv"
    LABELAUDIT_TIMING=1 la audit --labels "$TMP/${cs}_l.npy" --pred-probs "$TMP/${cs}_p.npy" --out "$TMP/o_$cs" --quiet --threads 2
    expect_rc 0 "$cs (more than one chunk) audited"
    check "$cs: ranked list equals numpy's" cmp "$TMP/np_$cs.csv" "$TMP/o_$cs/ranked.csv"
    expect_err "\($reruns re-runs without floors" "$cs: stage 3 re-ran $reruns times without floors"
done
