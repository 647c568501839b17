#!/usr/bin/python3
"""loop_data.py -- data preparation and bookkeeping for bench_loop.sh
(Debian python3 + numpy; run with /usr/bin/python3).

  labels IDX_LABELS OUT.csv          id,label from an IDX labels file (ids 0..N-1)
  noisy NOISE.csv OUT.csv            id,label with the noisy_label column
  imbalance FMNIST_DIR SEED MAJ RARE OUTDIR
        a 99:1 binary task from two Fashion-MNIST classes, as IDX + classes.txt:
        train = 4000 MAJ + 40 RARE (seeded from the 60k training set),
        test  = 3000 MAJ (1000 t10k + 2000 training images not used for
        training) + 30 RARE (seeded from t10k): the same 99:1 prevalence
  subsample FMNIST_DIR N SEED OUTDIR  a seeded stratified subsample of N of the 60000
                                     training images: OUTDIR/train-{images-idx3,labels-idx1}-ubyte
  labelacc TRUE.csv IDX_LABELS       share of IDX labels equal to the true ones
                                     (same row order; IDX label = class index)
  detect NOISE.csv AUDIT_DIR         precision/recall of the audit's flags
                                     against the injected flips
  keptacc NOISE.csv CHANGES.csv      share of correct labels among the examples
                                     clean kept (after --auto drop)
  keptlabels NOISE.csv CHANGES.csv OUT.csv  those examples with the cleaned
                                     set's ids 0..N'-1: id,true_label,noisy_label,label
                                     (label = true; a NOISE.csv for the cleaned set)
"""
import csv, gzip, os, sys
import numpy as np


def read_idx(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def write_idx(path, arr):
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, arr.ndim]))
        for d in arr.shape:
            f.write(int(d).to_bytes(4, "big"))
        f.write(arr.tobytes())


def cmd_labels(src, out):
    y = read_idx(src)
    with open(out, "w") as f:
        f.write("id,label\n")
        for i, v in enumerate(y):
            f.write("%d,%d\n" % (i, v))


def cmd_noisy(src, out):
    with open(src, newline="") as f, open(out, "w") as g:
        g.write("id,label\n")
        for r in csv.DictReader(f):
            g.write("%s,%s\n" % (r["id"], r["noisy_label"]))


NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
         "Sneaker", "Bag", "Ankle boot"]


def cmd_imbalance(fm, seed, maj, rare, outdir):
    seed, maj, rare = int(seed), int(maj), int(rare)
    rng = np.random.default_rng([seed, maj, rare])
    Xtr = read_idx(os.path.join(fm, "train-images-idx3-ubyte.gz"))
    ytr = read_idx(os.path.join(fm, "train-labels-idx1-ubyte.gz"))
    Xte = read_idx(os.path.join(fm, "t10k-images-idx3-ubyte.gz"))
    yte = read_idx(os.path.join(fm, "t10k-labels-idx1-ubyte.gz"))
    mj = rng.permutation(np.flatnonzero(ytr == maj))
    rr = rng.choice(np.flatnonzero(ytr == rare), 40, replace=False)
    tr_idx = np.concatenate([mj[:4000], rr])
    tr_y = np.concatenate([np.zeros(4000), np.ones(40)])
    te_rare = rng.choice(np.flatnonzero(yte == rare), 30, replace=False)
    te_X = np.concatenate([Xte[yte == maj], Xtr[mj[4000:6000]], Xte[te_rare]])
    te_y = np.concatenate([np.zeros(1000 + 2000), np.ones(30)])
    p = rng.permutation(len(tr_idx))
    q = rng.permutation(len(te_y))
    os.makedirs(os.path.join(outdir, "train"), exist_ok=True)
    os.makedirs(os.path.join(outdir, "test"), exist_ok=True)
    write_idx(os.path.join(outdir, "train", "images-idx3-ubyte"), Xtr[tr_idx][p])
    write_idx(os.path.join(outdir, "train", "labels-idx1-ubyte"), tr_y[p])
    write_idx(os.path.join(outdir, "test", "images-idx3-ubyte"), te_X[q])
    write_idx(os.path.join(outdir, "test", "labels-idx1-ubyte"), te_y[q])
    for sub in ("train", "test"):
        with open(os.path.join(outdir, sub, "classes.txt"), "w") as f:
            f.write("%s\n%s\n" % ("majority", "rare"))


def cmd_subsample(fm, n, seed, outdir):
    n, seed = int(n), int(seed)
    X = read_idx(os.path.join(fm, "train-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(fm, "train-labels-idx1-ubyte.gz"))
    rng = np.random.default_rng([seed, n])
    per = n // 10
    idx = np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), per, replace=False)
                                  for c in range(10)]))
    os.makedirs(outdir, exist_ok=True)
    write_idx(os.path.join(outdir, "train-images-idx3-ubyte"), X[idx])
    write_idx(os.path.join(outdir, "train-labels-idx1-ubyte"), y[idx])


def cmd_labelacc(true_csv, idx_labels):
    t = [int(r["label"]) for r in csv.DictReader(open(true_csv, newline=""))]
    y = read_idx(idx_labels)
    assert len(t) == len(y), (len(t), len(y))
    print("%.4f" % np.mean(np.array(t) == y))


def cmd_detect(noise_csv, audit_dir):
    rows = list(csv.DictReader(open(noise_csv, newline="")))
    flipped = {r["id"] for r in rows if r["true_label"] != r["noisy_label"]}
    issues = os.path.join(audit_dir, "label_issues.csv")
    flagged = set()
    with open(issues, newline="") as f:
        for r in csv.DictReader(f):
            if r.get("is_label_issue", "1") in ("1", "true", "True"):
                flagged.add(r["id"] if "id" in r else r["index"])
    tp = len(flagged & flipped)
    print("%d %d %d %.4f %.4f" % (len(flagged), len(flipped), tp,
                                  tp / max(len(flagged), 1), tp / max(len(flipped), 1)))


def cmd_keptacc(noise_csv, changes_csv):
    """Share of correct labels among the examples `clean` kept, after its
    relabels (changes.csv: new_label 'dropped' for a removed id, else the
    new class index)."""
    new = {r["id"]: r["new_label"] for r in csv.DictReader(open(changes_csv, newline=""))}
    kept = [new.get(r["id"], r["noisy_label"]) == r["true_label"]
            for r in csv.DictReader(open(noise_csv, newline="")) if new.get(r["id"]) != "dropped"]
    print("%.4f" % np.mean(kept))


def cmd_keptlabels(noise_csv, changes_csv, out):
    """The examples clean kept, with the cleaned set's ids (its rows
    renumbered 0..N'-1): id,true_label,noisy_label,label where label is the
    true one (for --labels) and noisy_label the one they kept (for detect)."""
    dropped = {r["id"] for r in csv.DictReader(open(changes_csv, newline=""))
               if r["new_label"] == "dropped"}
    kept = [r for r in csv.DictReader(open(noise_csv, newline="")) if r["id"] not in dropped]
    with open(out, "w") as f:
        f.write("id,true_label,noisy_label,label\n")
        for i, r in enumerate(kept):
            f.write("%d,%s,%s,%s\n" % (i, r["true_label"], r["noisy_label"], r["true_label"]))


if __name__ == "__main__":
    cmd = sys.argv[1]
    {"labels": cmd_labels, "noisy": cmd_noisy, "imbalance": cmd_imbalance,
     "labelacc": cmd_labelacc, "subsample": cmd_subsample, "detect": cmd_detect,
     "keptacc": cmd_keptacc, "keptlabels": cmd_keptlabels}[cmd](*sys.argv[2:])
