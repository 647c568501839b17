"""gen_outliers.py — a planted outlier set for the image outlier scores (issue
16): N Fashion-MNIST test images with a few percent of non-clothing 28 x 28
images in their place, in four kinds taken in turn: sklearn digits (8 x 8,
upscaled bilinearly to 16-21 px and centred by their centre of mass, as MNIST
is made), drawn shapes (ring, square outline, cross, triangle outline),
inverted clothing (1 - x) and 12 x 12 crops of clothing blown up to 28 x 28.
Usage: gen_outliers.py OUT_DIR SEED FM_IMAGES.gz DIGITS.csv [N] [FRACTION]
[FM_LABELS.gz]. Writes OUT_DIR/features.npy (N x 784 float32 in [0, 1]),
OUT_DIR/truth.txt (one line per row: 0 clothing, 1 planted), OUT_DIR/kind.txt
(the kind or '-') and, given the labels, OUT_DIR/labels.txt (the clothing's
class, a random class for a planted image). Needs numpy only."""
import csv
import gzip
import os
import sys

import numpy as np


def resize(img, h, w):
    """Bilinear resize (align corners) of a 2-D array to h x w."""
    ys = np.linspace(0, img.shape[0] - 1, h)
    xs = np.linspace(0, img.shape[1] - 1, w)
    rows = np.array([np.interp(xs, np.arange(img.shape[1]), r) for r in img])
    return np.array([np.interp(ys, np.arange(img.shape[0]), c) for c in rows.T]).T


def digit(d8, size):
    out = np.zeros((28, 28))
    o = (28 - size) // 2
    out[o:o + size, o:o + size] = np.clip(resize(d8, size, size), 0, 1)
    yy, xx = np.mgrid[:28, :28]
    m = out.sum()
    cy, cx = (yy * out).sum() / m, (xx * out).sum() / m
    return np.roll(out, (int(round(14 - cy)), int(round(14 - cx))), axis=(0, 1))


def shape(rng):
    yy, xx = np.mgrid[:28, :28].astype(float)
    cx, cy = rng.uniform(10, 18, 2)
    r = rng.uniform(5, 10)
    dx, dy = xx - cx, yy - cy
    kind = rng.integers(4)
    if kind == 0:
        on = (dx * dx + dy * dy < r * r) & (dx * dx + dy * dy > (r - 2.5) ** 2)
    elif kind == 1:
        on = (abs(dx) < r) & (abs(dy) < r) & ~((abs(dx) < r - 2.5) & (abs(dy) < r - 2.5))
    elif kind == 2:
        on = ((abs(dx - dy) < 1.5) | (abs(dx + dy) < 1.5)) & (abs(dx) < r)
    else:
        inside = (dy > -r) & (dy < r / 2)
        on = ((abs(dy - r / 2) < 1.2) & (abs(dx) < r)) | (inside & ((abs(2 * dx - dy - r) < 2) | (abs(2 * dx + dy + r) < 2)))
    return on * rng.uniform(0.6, 1.0)


def main():
    out, seed, fm_path, digits_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 1500
    frac = float(sys.argv[6]) if len(sys.argv) > 6 else 0.03
    raw = gzip.open(fm_path).read()
    total = int.from_bytes(raw[4:8], "big")
    fm = np.frombuffer(raw, np.uint8, total * 784, 16).reshape(total, 28, 28) / 255.0
    with open(digits_path) as f:
        rows = list(csv.DictReader(f))
    digs = np.array([[float(r["pixel_%d_%d" % (i, j)]) for i in range(8) for j in range(8)] for r in rows])
    digs = digs.reshape(-1, 8, 8) / 16.0
    rng = np.random.default_rng(seed)
    pick = rng.choice(total, n, replace=False)
    x = fm[pick].copy()
    m = int(round(n * frac))
    pos = rng.choice(n, m, replace=False)
    kinds = ["-"] * n
    for t, p in enumerate(pos):
        k = ("digit", "shape", "invert", "crop")[t % 4]
        kinds[p] = k
        if k == "digit":
            x[p] = digit(digs[rng.integers(len(digs))], int(rng.integers(16, 22)))
        elif k == "shape":
            x[p] = shape(rng)
        elif k == "invert":
            x[p] = 1.0 - fm[rng.integers(total)]
        else:
            src = fm[rng.integers(total)]
            y0, x0 = rng.integers(4, 10, 2)
            x[p] = np.clip(resize(src[y0:y0 + 12, x0:x0 + 12], 28, 28), 0, 1)
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "features.npy"), x.reshape(n, 784).astype(np.float32))
    with open(os.path.join(out, "truth.txt"), "w") as f:
        f.write("".join("%d\n" % (k != "-") for k in kinds))
    with open(os.path.join(out, "kind.txt"), "w") as f:
        f.write("".join(k + "\n" for k in kinds))
    if len(sys.argv) > 7:
        lab = np.frombuffer(gzip.open(sys.argv[7]).read(), np.uint8, total, 8)[pick].astype(int)
        lab[pos] = np.random.default_rng(seed + 1000).integers(0, 10, len(pos))
        with open(os.path.join(out, "labels.txt"), "w") as f:
            f.write("".join("%d\n" % v for v in lab))


if __name__ == "__main__":
    main()
