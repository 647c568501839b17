#!/usr/bin/python3
"""audit_filters.py -- flip detection of each audit filter on probabilities
already computed by cnn_measure.py (no training: a few seconds per model).

usage: audit_filters.py DRAW_DIR MODEL_DIR... [-- FILTER...]
  DRAW_DIR   a cnn_measure.py draw directory (noise.csv, noisy.csv)
  MODEL_DIR  subdirectories of it holding p.npy (e.g. cnn cnn_augment)
  FILTER     --filter-by values (default: all seven)
One markdown row per (model, filter): flagged, precision, recall, F1 of the
flagged examples against the injected flips. Environment: LA (binary)."""
import csv, os, subprocess, sys, tempfile
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LA = os.environ.get("LA", os.path.join(HERE, "..", "labelaudit"))
FILTERS = ["prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
           "predicted_neq_given", "low_normalized_margin", "low_self_confidence"]


def main():
    args = sys.argv[1:]
    filters = FILTERS
    if "--" in args:
        filters, args = args[args.index("--") + 1:], args[:args.index("--")]
    draw, models = args[0], args[1:]
    rows = list(csv.DictReader(open(os.path.join(draw, "noise.csv"), newline="")))
    flipped = np.array([r["true_label"] != r["noisy_label"] for r in rows])
    print("| model | filter | flagged | precision | recall | F1 |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            for f in filters:
                out = os.path.join(tmp, m + "_" + f)
                subprocess.run([LA, "audit", "--labels", os.path.join(draw, "noisy.csv"), "--pred-probs",
                                os.path.join(draw, m, "p.npy"), "--filter-by", f, "--out", out, "--quiet"],
                               check=True)
                flag = np.zeros(len(rows), bool)
                for r in csv.DictReader(open(os.path.join(out, "label_issues.csv"), newline="")):
                    flag[int(r["index"])] = True
                tp = int((flag & flipped).sum())
                p, rc = tp / max(int(flag.sum()), 1), tp / max(int(flipped.sum()), 1)
                print("| %s | %s | %d | %.3f | %.3f | %.3f |" % (m, f, flag.sum(), p, rc,
                                                               2 * p * rc / max(p + rc, 1e-12)), flush=True)


if __name__ == "__main__":
    main()
