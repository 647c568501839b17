#!/usr/bin/env python3
"""bench_consensus.py LABELAUDIT [GOLDEN_DIR] — consensus accuracy and
annotator-quality rank correlation of `labelaudit consensus` with
best_quality (CROWDLAB), majority_vote and dawid-skene: on the golden cases
(true_labels.npy) and on simulated annotators with systematic confusions
(class swaps, a class-blind annotator, spammers). Plain Python: a small .npy
reader, its own RNG. Prints a Markdown table (docs/issue-21.md)."""
import csv, math, os, random, struct, subprocess, sys, tempfile

METHODS = ["best_quality", "majority_vote", "dawid-skene"]


def read_npy(path):
    """1-D int64 / float64 or 2-D float64 .npy, little-endian, C order."""
    with open(path, "rb") as f:
        data = f.read()
    hlen = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + hlen].decode()
    body = data[10 + hlen:]
    shape = tuple(int(x) for x in header.split("'shape': (")[1].split(")")[0].split(",") if x.strip())
    code = "q" if "'<i8'" in header else "d"
    vals = struct.unpack("<%d%s" % (len(body) // 8, code), body)
    if len(shape) == 1:
        return list(vals)
    k = shape[1]
    return [list(vals[i * k:(i + 1) * k]) for i in range(shape[0])]


def spearman(x, y):
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for t in range(i, j + 1):
                r[order[t]] = (i + j) / 2.0
            i = j + 1
        return r
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    num = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    den = math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))
    return num / den if den else float("nan")


def run(la, labels, probs, method, out):
    subprocess.run([la, "consensus", "--labels", labels, "--pred-probs", probs, "--out", out, "--consensus", method,
                    "--quiet"], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "label_quality.csv")) as f:
        cons = [int(r["consensus_label"]) for r in csv.DictReader(f)]
    with open(os.path.join(out, "annotator_stats.csv")) as f:
        quality = {r["annotator"]: float(r["annotator_quality"] or "nan") for r in csv.DictReader(f)}
    return cons, quality


def true_annotator_accuracy(labels_csv, truth):
    with open(labels_csv) as f:
        rows = list(csv.DictReader(f))
    acc = {}
    for name in rows[0].keys():
        if name == "id":
            continue
        got = [(int(float(r[name])), truth[i]) for i, r in enumerate(rows) if r[name] not in ("", "nan")]
        acc[name] = sum(a == b for a, b in got) / len(got)
    return acc


def evaluate(la, name, labels, probs, truth, tmp):
    acc_true = true_annotator_accuracy(labels, truth)
    row = [name]
    for m in METHODS:
        cons, q = run(la, labels, probs, m, os.path.join(tmp, name + "-" + m))
        accuracy = sum(c == t for c, t in zip(cons, truth)) / len(truth)
        names = sorted(acc_true)
        rho = spearman([q[a] for a in names], [acc_true[a] for a in names])
        row.append("%.3f / %.2f" % (accuracy, rho))
    return row


def simulate(tmp, seed=7, n=1500, k=5, coverage=0.45):
    """Annotators: two careful (92%), two with class swaps (0<->1 and 2->3 at
    80%), one who calls every 4 a 0, two spammers; a model of ~70% accuracy."""
    rnd = random.Random(seed)
    truth = [rnd.randrange(k) for _ in range(n)]
    def careful(y):
        return y if rnd.random() < 0.92 else rnd.randrange(k)
    def swapper(y):
        if y in (0, 1) and rnd.random() < 0.8:
            return 1 - y
        if y == 2 and rnd.random() < 0.8:
            return 3
        return y if rnd.random() < 0.95 else rnd.randrange(k)
    def blind(y):
        return 0 if y == 4 else (y if rnd.random() < 0.9 else rnd.randrange(k))
    def spammer(y):
        return rnd.randrange(k)
    kinds = [("careful_a", careful), ("careful_b", careful), ("swap_a", swapper), ("swap_b", swapper),
             ("blind_4", blind), ("spam_a", spammer), ("spam_b", spammer)]
    labels = os.path.join(tmp, "sim_labels.csv")
    probs = os.path.join(tmp, "sim_probs.csv")
    with open(labels, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([a for a, _ in kinds])
        for i in range(n):
            cells = [str(fn(truth[i])) if rnd.random() < coverage else "" for _, fn in kinds]
            if all(c == "" for c in cells):
                j = rnd.randrange(len(kinds))
                cells[j] = str(kinds[j][1](truth[i]))
            w.writerow(cells)
    with open(probs, "w", newline="") as f:
        w = csv.writer(f)
        for i in range(n):
            z = [rnd.gauss(0, 1) + (1.4 if c == truth[i] else 0) for c in range(k)]
            e = [math.exp(v) for v in z]
            s = sum(e)
            w.writerow(["%.17g" % (v / s) for v in e])
    return labels, probs, truth


def main():
    la = sys.argv[1]
    golden = sys.argv[2] if len(sys.argv) > 2 else "../shared/golden-multiannotator"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in sorted(os.listdir(golden)):
            d = os.path.join(golden, case)
            if not os.path.isdir(d):
                continue
            truth = read_npy(os.path.join(d, "true_labels.npy"))
            rows.append(evaluate(la, case, os.path.join(d, "labels.csv"), os.path.join(d, "pred_probs.npy"), truth, tmp))
        labels, probs, truth = simulate(tmp)
        rows.append(evaluate(la, "simulated_systematic_k5_n1500_m7", labels, probs, truth, tmp))
    print("| case | " + " | ".join(METHODS) + " |")
    print("|---|" + "---|" * len(METHODS))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print("\ncells: consensus accuracy against the true classes / Spearman correlation of annotator_quality "
          "with each annotator's true accuracy")


if __name__ == "__main__":
    main()
