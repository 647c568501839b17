#!/usr/bin/python3
"""example_data.py OUT — the README's example data, rebuilt from Debian packages.

Writes, under OUT, the files the README's worked examples read:

  tabular/Glass.csv       r-cran-mlbench's Glass (type codes -> UCI names)
  tabular/penguins.csv    r-cran-palmerpenguins' penguins (NA -> empty cell)
  tabular/digits.csv      python3-sklearn's load_digits (labels zero..nine)
  digits-png/             the same 1797 digits as 8x8 gray PNG + manifest.csv
  fashion-mnist-png/      3000 Fashion-MNIST training images (300 per class)
                          as 28x28 PNG + manifest.csv, from dataset-fashion-mnist
  noise/<set>_<kind><rate>_seed<s>.csv   id,true_label,noisy_label, by the
                          shared test data's rule (tools/noise_rule.py)

Every CSV has an `id` first column (`<dataset>-NNNN`), a header, LF line ends
and minimal quoting. Needs r-base-core, r-cran-mlbench, r-cran-palmerpenguins,
python3-sklearn, python3-numpy, python3-pil and dataset-fashion-mnist
(tools/example_data.sh installs them). Deterministic: the same packages give
the same bytes.
"""
import csv
import gzip
import io
import os
import subprocess
import sys

import numpy as np
from PIL import Image

import noise_rule

FASHION = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DIGIT_NAMES = ["zero", "one", "two", "three", "four",
               "five", "six", "seven", "eight", "nine"]
GLASS_TYPES = {"1": "building_windows_float_processed",
               "2": "building_windows_non_float_processed",
               "3": "vehicle_windows_float_processed",
               "5": "containers", "6": "tableware", "7": "headlamps"}


def write_csv(path, header, rows):
    """Writes a CSV atomically (temp file + rename), minimal quoting, LF."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, path)


def r_table(expr):
    """An R data set as CSV text rows (strings exactly as R prints them)."""
    out = subprocess.run(["Rscript", "-e", "write.csv(%s, row.names=FALSE)" % expr],
                         check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return rows[0], rows[1:]


def ids(name, n):
    return ["%s-%04d" % (name, i) for i in range(n)]


def glass(out):
    header, rows = r_table("{library(mlbench); data(Glass); Glass}")
    t = header.index("Type")
    body = [[i] + [v for j, v in enumerate(r) if j != t] + [GLASS_TYPES[r[t]]]
            for i, r in zip(ids("Glass", len(rows)), rows)]
    write_csv(os.path.join(out, "tabular/Glass.csv"),
              ["id"] + [h for j, h in enumerate(header) if j != t] + ["label"], body)


def penguins(out):
    header, rows = r_table("{library(palmerpenguins); as.data.frame(penguins)}")
    s = header.index("species")
    rest = [j for j in range(len(header)) if j != s]
    body = [[i, r[s]] + ["" if r[j] == "NA" else r[j] for j in rest]
            for i, r in zip(ids("penguins", len(rows)), rows)]
    write_csv(os.path.join(out, "tabular/penguins.csv"),
              ["id", "label"] + [header[j] for j in rest], body)


def digits(out):
    from sklearn.datasets import load_digits
    d = load_digits()
    x = d.data.astype(int)
    names = [DIGIT_NAMES[k] for k in d.target]
    row_ids = ids("digits", len(names))
    header = ["id"] + ["pixel_%d_%d" % (r, c) for r in range(8) for c in range(8)] + ["label"]
    write_csv(os.path.join(out, "tabular/digits.csv"), header,
              [[i] + list(map(str, v)) + [n] for i, v, n in zip(row_ids, x, names)])
    # pixel = floor((v * 255 + 8) / 16): 0 -> 0, 8 -> 128, 16 -> 255
    pixels = ((x * 255 + 8) // 16).astype(np.uint8).reshape(-1, 8, 8)
    manifest = []
    for i, img, n in zip(row_ids, pixels, names):
        rel = "images/%s/%s.png" % (n, i)
        save_png(os.path.join(out, "digits-png", rel), img)
        manifest.append([i, rel, n])
    write_csv(os.path.join(out, "digits-png/manifest.csv"), ["id", "path", "label"], manifest)
    return row_ids, names


def save_png(path, img):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(img, mode="L").save(path, optimize=False)


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_png(out):
    labels = idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz"))
    images = idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"))
    rng = np.random.default_rng(0)
    chosen = np.sort(np.concatenate(
        [rng.choice(np.flatnonzero(labels == k), 300, replace=False) for k in range(10)]))
    manifest = []
    for n in chosen:
        i, name = "fm-train-%05d" % n, FASHION_CLASSES[labels[n]]
        rel = "images/%s/%s.png" % (name, i)
        save_png(os.path.join(out, "fashion-mnist-png", rel), images[n])
        manifest.append([i, rel, name])
    write_csv(os.path.join(out, "fashion-mnist-png/manifest.csv"), ["id", "path", "label"], manifest)
    return [m[0] for m in manifest], [m[2] for m in manifest]


def noise(out, name, row_ids, labels, kind, pct, seed):
    noisy = noise_rule.flip(labels, name, seed, pct, kind)
    write_csv(os.path.join(out, "noise/%s_%s%d_seed%d.csv" % (name, kind, pct, seed)),
              ["id", "true_label", "noisy_label"], zip(row_ids, labels, noisy))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: example_data.py OUT")
    out = sys.argv[1]
    glass(out)
    penguins(out)
    d_ids, d_labels = digits(out)
    f_ids, f_labels = fashion_png(out)
    for kind, pct in (("sym", 10), ("sym", 30), ("asym", 10), ("asym", 30)):
        noise(out, "digits", d_ids, d_labels, kind, pct, 1)
    noise(out, "fashion-mnist-png", f_ids, f_labels, "sym", 10, 1)


if __name__ == "__main__":
    main()
