"""noise_rule.py — injected label noise by the rule the shared test data uses
(its README, "noise/"), reproducing those files byte for byte, so examples and
benchmarks can make the same noise from Debian packages alone.

  flip(labels, name, seed, pct, kind) -> noisy labels (a new list)

Classes are taken in byte-wise order. For every class c with n_c examples,
exactly round_half_up(pct/100 x n_c) of them, chosen uniformly without
replacement, are flipped:
  sym   to a class drawn uniformly from the other K-1 (rng [seed, crc32(name), 1, pct]);
  asym  into c's 1-3 target classes with Dirichlet(2,...,2) shares (the
        structure's rng [seed, crc32(name), 0], so asym rates of one seed share
        it), counts by largest remainder, targets in a seeded random order
        (rng [seed, crc32(name), 2, pct]).
Needs numpy (Debian's python3-numpy).
"""
import zlib

import numpy as np


def round_half_up(x):
    return int(np.floor(x + 0.5))


def byte_order(labels):
    return sorted(set(labels), key=lambda s: s.encode())


def structure(classes, name, seed):
    """{class: [(target, share), ...]}: the asym noise structure of (name, seed)."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), 0])
    out = {}
    for c in classes:
        others = [o for o in classes if o != c]
        m = int(rng.integers(1, 4))
        targets = list(rng.choice(others, size=m, replace=False))
        shares = rng.dirichlet([2.0] * m)
        out[c] = list(zip(targets, shares))
    return out


def largest_remainder(total, shares):
    raw = [total * s for s in shares]
    base = [int(np.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: -(raw[i] - base[i]))
    for i in order[:total - sum(base)]:
        base[i] += 1
    return base


def flip(labels, name, seed, pct, kind):
    classes = byte_order(labels)
    st = structure(classes, name, seed) if kind == "asym" else None
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), 1 if kind == "sym" else 2, pct])
    noisy = list(labels)
    for c in classes:
        idx = np.array([i for i, l in enumerate(labels) if l == c])
        nf = round_half_up(pct / 100.0 * len(idx))
        chosen = np.sort(rng.choice(idx, size=nf, replace=False))
        if kind == "sym":
            others = [o for o in classes if o != c]
            new = [others[k] for k in rng.integers(0, len(others), size=nf)]
        else:
            counts = largest_remainder(nf, [s for _, s in st[c]])
            new = rng.permutation(np.repeat(np.array([t for t, _ in st[c]], dtype=object), counts))
        for i, t in zip(chosen, new):
            noisy[i] = t
    return noisy
