#!/usr/bin/python3
"""fm_noise.py — 20% asymmetric label noise on all 60000 Fashion-MNIST
training labels, by the generation rule of ../shared/data/README.md "noise/":
classes in sorted order; each class gets 1-3 target classes (drawn without
replacement) with Dirichlet(2,...,2) shares from default_rng([seed,
crc32(name), 0]); exactly round_half_up(rate * n_c) examples of each class are
chosen uniformly without replacement from default_rng([seed, crc32(name), 2,
rate%]) and split among the targets in proportion to the shares (largest
remainder). Name "fashion-mnist-train", seed 1.

usage: /usr/bin/python3 bench/fm_noise.py LABELS.gz RATE_PERCENT OUT_noisy.npy OUT_flipped.npy
"""
import gzip, sys, zlib
import numpy as np

path, pct, out_noisy, out_flip = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with gzip.open(path, "rb") as f:
    y = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)
name, seed = "fashion-mnist-train", 1
crc = zlib.crc32(name.encode())
K = int(y.max()) + 1
rs = np.random.default_rng([seed, crc, 0])
targets, shares = {}, {}
for c in range(K):
    m = int(rs.integers(1, 4))
    others = [o for o in range(K) if o != c]
    targets[c] = list(rs.choice(others, size=m, replace=False))
    shares[c] = rs.dirichlet([2.0] * m)
rf = np.random.default_rng([seed, crc, 2, pct])
noisy = y.copy()
for c in range(K):
    idx = np.flatnonzero(y == c)
    nflip = int(np.floor(pct / 100.0 * len(idx) + 0.5))
    chosen = rf.choice(idx, size=nflip, replace=False)
    raw = shares[c] * nflip
    cnt = np.floor(raw).astype(int)
    for j in np.argsort(-(raw - cnt), kind="stable")[: nflip - cnt.sum()]:
        cnt[j] += 1
    pos = 0
    for t, n_t in zip(targets[c], cnt):
        noisy[chosen[pos:pos + n_t]] = t
        pos += n_t
np.save(out_noisy, noisy.astype(np.int64))
np.save(out_flip, (noisy != y).astype(np.int64))
print("flipped %d of %d (%.2f%%)" % ((noisy != y).sum(), len(y), 100.0 * (noisy != y).mean()))
