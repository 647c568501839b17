#!/bin/sh
# test_audit_numpy.sh — cross-check beyond the golden cases: tie-heavy inputs
# (probabilities rounded to coarse steps, K from 17 to 40, so numpy's
# introsort tie order decides the calibration, the pruning cuts and the
# ranking) audited by labelaudit and by bench/np_audit.py, a numpy
# re-implementation of cleanlab's default path; the ranked lists must be
# identical. Skipped when Debian's python3-numpy is not installed.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; export TMPDIR; fi
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c 'import numpy' 2>/dev/null; then
    echo "SKIP numpy not available"
    exit 0
fi
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
