#!/usr/bin/python3
"""make_noise.py -- class-conditional (asymmetric) label noise by the rule of
../shared/data/README.md "noise/": classes in sorted byte order; every class c
gets 1-3 target classes with Dirichlet(2,...,2) shares (rng seeded
[seed, crc32(name), 0]); exactly round_half_up(rate * n_c) examples of c are
flipped (rng seeded [seed, crc32(name), 2, rate%]), split among the targets by
largest remainder, in a seeded random order. Reproduces the shipped
noise/*_asym*.csv files exactly (checked on digits asym10/asym30). Needs Debian's python3-numpy (run with /usr/bin/python3).

usage: make_noise.py LABELS_IN NAME SEED RATE_PERCENT OUT.csv [STRUCTURE.tsv]
LABELS_IN: a CSV id,label (class names). OUT: id,true_label,noisy_label.
"""
import csv, sys, zlib
import numpy as np


def round_half_up(x):
    return int(np.floor(x + 0.5))


def structure(classes, name, seed):
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
    left = total - sum(base)
    order = sorted(range(len(raw)), key=lambda i: -(raw[i] - base[i]))
    for i in order[:left]:
        base[i] += 1
    return base


def main():
    src, name, seed, pct, out = sys.argv[1:6]
    seed, pct = int(seed), int(pct)
    rows = list(csv.DictReader(open(src, newline="")))
    labels = [r["label"] for r in rows]
    classes = sorted(set(labels), key=lambda s: s.encode())
    st = structure(classes, name, seed)
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), 2, pct])
    noisy = list(labels)
    for c in classes:
        idx = np.array([i for i, l in enumerate(labels) if l == c])
        nf = round_half_up(pct / 100.0 * len(idx))
        chosen = np.sort(rng.choice(idx, size=nf, replace=False))
        counts = largest_remainder(nf, [s for _, s in st[c]])
        # the targets, counts[j] of target j, in a seeded random order
        tl = rng.permutation(np.repeat(np.array([t for t, _ in st[c]], dtype=object), counts))
        for i, t in zip(chosen, tl):
            noisy[i] = t
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "true_label", "noisy_label"])
        for r, t, n in zip(rows, labels, noisy):
            w.writerow([r["id"], t, n])
    if len(sys.argv) > 6:
        with open(sys.argv[6], "w") as f:
            for c in classes:
                for t, s in st[c]:
                    f.write("%s\t%d\t%s\t%s\t%.6f\n" % (name, seed, c, t, s))


if __name__ == "__main__":
    main()
