#!/usr/bin/python3
"""cnn_measure.py -- flip detection of one noise draw for several models
(bench_cnn.sh; Debian python3 + numpy, sklearn and PIL for 'sk').

usage: cnn_measure.py TRAIN KIND RATE SEED MODEL...
  TRAIN  an IDX images file (labels beside it: images-idx3 -> labels-idx1)
         or a directory with manifest.csv (id,path,label)
  KIND   asym (bench/make_noise.py, the rule of shared/data/README "noise/",
         name "<dataset>-bench") or sym (exactly round(rate n_c) of each
         class flipped to a uniformly drawn other class)
  MODEL  'sk' = scikit-learn MLPClassifier((256,), adam, early_stopping=True)
         on standardized pixels, out-of-fold by StratifiedKFold(5); anything
         else = labelaudit cv arguments joined by ':' (e.g. 'cnn:--augment').
         'avg:A+B+C' = the mean of the out-of-fold probabilities of models
         A, B, C run before on the same draw (the equal-weight ensemble).
         Every model is audited with cleanlab 2.9.0's defaults (cv --audit or
         labelaudit audit), recorded in OUT/db.sqlite for `clean`.
Environment: LA (binary), W (work dir, /tmp/la-bench-cnn), NICE (19),
AUDIT_ARGS (audit options for every model, e.g. "--filter-by low_normalized_margin";
default none: cleanlab's defaults).
One line per model: out-of-fold accuracy against the TRUE labels, precision,
recall and F1 of the flagged examples against the injected flips, wall and
CPU seconds (user + sys of the children; 'sk' its own process time). Work
directory of a draw: W/<name>_n<N>_<kind><rate>_s<seed>/ (noise.csv,
noisy.csv, one directory per model with p.npy, audit/, db.sqlite)."""
import csv, os, resource, subprocess, sys, time, zlib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from loop_data import read_idx  # noqa: E402

LA = os.environ.get("LA", os.path.join(HERE, "..", "labelaudit"))
W = os.environ.get("W", "/tmp/la-bench-cnn")
NICE = ["nice", "-n", os.environ.get("NICE", "19")]
AUDIT_ARGS = os.environ.get("AUDIT_ARGS", "").split()


def load(train):
    """ids, labels (strings), a loader of X (n x d float32 in [0, 1]), cv --data."""
    if os.path.isdir(train):
        rows = list(csv.DictReader(open(os.path.join(train, "manifest.csv"), newline="")))

        def X():
            from PIL import Image
            return np.stack([np.asarray(Image.open(os.path.join(train, r["path"])).convert("L"),
                                        dtype=np.float32).ravel() / 255 for r in rows])
        return [r["id"] for r in rows], [r["label"] for r in rows], X, os.path.join(train, "manifest.csv")
    y = read_idx(train.replace("images-idx3", "labels-idx1"))
    return ([str(i) for i in range(len(y))], [str(int(v)) for v in y],
            lambda: read_idx(train).reshape(len(y), -1).astype(np.float32) / 255, train)


def make_noise(wd, name, ids, labels, kind, rate, seed):
    true_csv, noise = os.path.join(wd, "true.csv"), os.path.join(wd, "noise.csv")
    with open(true_csv, "w") as f:
        f.write("id,label\n")
        f.writelines("%s,%s\n" % t for t in zip(ids, labels))
    if kind == "asym":
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_noise.py"), true_csv, name + "-bench",
                        str(seed), str(rate), noise], check=True)
        return noise
    lab = np.array(labels)
    classes = sorted(set(labels))
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), 9, rate])
    noisy = lab.copy()
    for c in classes:
        idx = np.flatnonzero(lab == c)
        others = [o for o in classes if o != c]
        for i in rng.choice(idx, size=int(np.floor(rate / 100 * len(idx) + 0.5)), replace=False):
            noisy[i] = others[rng.integers(len(others))]
    with open(noise, "w") as f:
        f.write("id,true_label,noisy_label\n")
        f.writelines("%s,%s,%s\n" % t for t in zip(ids, labels, noisy))
    return noise


def audit_cmd(data, labels, out):
    return [LA, "audit", "--data", data, "--labels", labels, "--pred-probs", out + "/p.npy", "--out",
            out + "/audit", "--db", out + "/db.sqlite", "--quiet"] + AUDIT_ARGS


def main():
    train, kind, rate, seed, models = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
    name = os.path.basename(train.rstrip("/")).split(".")[0]
    ids, labels, loadX, data = load(train)
    tag = "%s_n%d_%s%d_s%d" % (name, len(ids), kind, rate, seed)
    wd = os.path.join(W, tag)
    os.makedirs(wd, exist_ok=True)
    rows = list(csv.DictReader(open(make_noise(wd, name, ids, labels, kind, rate, seed), newline="")))
    noisy_csv = os.path.join(wd, "noisy.csv")
    with open(noisy_csv, "w") as f:
        f.write("id,label\n")
        f.writelines("%s,%s\n" % (r["id"], r["noisy_label"]) for r in rows)
    classes = sorted({r["true_label"] for r in rows})
    ytrue = np.array([classes.index(r["true_label"]) for r in rows])
    ynoisy = np.array([classes.index(r["noisy_label"]) for r in rows])
    flipped = ytrue != ynoisy
    for mdl in models:
        out = os.path.join(wd, mdl.replace(":", "_").replace("-", "").replace("+", "_"))
        os.makedirs(out, exist_ok=True)
        if os.path.exists(out + "/db.sqlite"):
            os.remove(out + "/db.sqlite")
        t0, c0 = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)
        p0 = time.process_time()
        if mdl == "sk":
            from sklearn.model_selection import StratifiedKFold
            from sklearn.neural_network import MLPClassifier
            X = loadX()
            X = (X - X.mean(0)) / (X.std(0) + 1e-8)
            P = np.zeros((len(rows), len(classes)))
            for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, ynoisy):
                m = MLPClassifier((256,), early_stopping=True, random_state=seed, max_iter=200)
                P[te] = m.fit(X[tr], ynoisy[tr]).predict_proba(X[te])
            np.save(out + "/p.npy", P)
            cmd = audit_cmd(data, noisy_csv, out)
        elif mdl.startswith("avg:"):
            # the equal-weight ensemble of members already run on this draw:
            # the mean of their out-of-fold probabilities (same folds, same seed)
            P = np.mean([np.load(os.path.join(wd, m, "p.npy")) for m in mdl[4:].split("+")], axis=0)
            np.save(out + "/p.npy", P)
            cmd = audit_cmd(data, noisy_csv, out)
        else:
            cmd = NICE + [LA, "cv", "--data", data, "--labels", noisy_csv, "--out", out + "/p.npy",
                          "--audit", out + "/audit", "--db", out + "/db.sqlite", "--quiet"] + AUDIT_ARGS + \
                ["--model"] + mdl.split(":")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime + (time.process_time() - p0 if mdl == "sk" else 0)
        P = np.load(out + "/p.npy")
        flag = np.zeros(len(rows), bool)
        for r in csv.DictReader(open(os.path.join(out, "audit", "label_issues.csv"), newline="")):
            if r.get("is_label_issue", "1") in ("1", "true", "True"):
                flag[int(r["index"])] = True
        tp = int((flag & flipped).sum())
        p, rc = tp / max(int(flag.sum()), 1), tp / max(int(flipped.sum()), 1)
        f1 = 2 * p * rc / max(p + rc, 1e-12)
        print("| %s | %s | %.4f | %.3f | %.3f | %.3f | %.0f | %.0f |" % (
            tag, mdl.replace(":", " "), (P.argmax(1) == ytrue).mean(), p, rc, f1, time.time() - t0, cpu), flush=True)


if __name__ == "__main__":
    main()
