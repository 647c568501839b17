#!/usr/bin/python3
"""make_noise.py -- class-conditional (asymmetric) label noise by the rule of
the shared test data's README "noise/" (tools/noise_rule.py), which reproduces
the shipped noise/*_asym*.csv files exactly (checked on digits asym10/asym30).
Needs Debian's python3-numpy (run with /usr/bin/python3).

usage: make_noise.py LABELS_IN NAME SEED RATE_PERCENT OUT.csv [STRUCTURE.tsv]
LABELS_IN: a CSV id,label (class names). OUT: id,true_label,noisy_label.
"""
import csv, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from noise_rule import byte_order, flip, structure  # noqa: E402


def main():
    src, name, seed, pct, out = sys.argv[1:6]
    seed, pct = int(seed), int(pct)
    rows = list(csv.DictReader(open(src, newline="")))
    labels = [r["label"] for r in rows]
    noisy = flip(labels, name, seed, pct, "asym")
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "true_label", "noisy_label"])
        for r, t, n in zip(rows, labels, noisy):
            w.writerow([r["id"], t, n])
    if len(sys.argv) > 6:
        with open(sys.argv[6], "w") as f:
            for c, pairs in structure(byte_order(labels), name, seed).items():
                for t, s in pairs:
                    f.write("%s\t%d\t%s\t%s\t%.6f\n" % (name, seed, c, t, s))


if __name__ == "__main__":
    main()
