#!/usr/bin/env python3
"""rebalance_table.py OUT -- the tables of bench_rebalance.sh (markdown).

For each task and model, one row per strategy, means over the seeds of the
rare class's precision and recall at the argmax, PR-AUC (average precision)
and the best recall at precision >= 0.5 (R@P50), computed here from the
probabilities the runs wrote (.npy, read with the standard library).
Fashion-MNIST tasks: the 1:1 test split weighted to the 99:1 training prior
(a majority row counts w = 99 n_rare / n_major); "PR-AUC 1:1" is unweighted.
Shuttle: out-of-fold, means over the rare classes (share < 1/(2K)), and each
rare class's PR-AUC. "auto chose": the strategies picked, over folds x seeds.
"""
import json, os, struct, sys
from collections import Counter

ORDER = ['plain', 'stop-balanced', 'balanced', 'weighted', 'focal', 'logit-adjusted', 'oversample-0.2',
         'oversample-naive', 'decouple', 'auto', 'auto-r@p0.5', 'auto-guarded']
TRAIN_RATIO = 99.0   # majority : minority rows of the Fashion-MNIST training sets

def npy(path):
    with open(path, 'rb') as f:
        assert f.read(6) == b'\x93NUMPY'
        major = f.read(2)[0]
        hl = struct.unpack('<H' if major == 1 else '<I', f.read(2 if major == 1 else 4))[0]
        hdr = eval(f.read(hl).decode('latin1'))
        shape, code = hdr['shape'], hdr['descr']
        data = f.read()
    fmt = {'<f8': 'd', '<i8': 'q'}[code]
    vals = struct.unpack('<%d%s' % (len(data) // 8, fmt), data)
    if len(shape) == 2:
        k = shape[1]
        return [vals[i * k:(i + 1) * k] for i in range(shape[0])]
    return list(vals)

def curve(y, s, w):
    """(recall, precision) after each distinct threshold, decreasing score."""
    order = sorted(range(len(s)), key=lambda i: -s[i])
    P = sum(w[i] for i in range(len(y)) if y[i])
    tp = fp = 0.0
    pts = []
    for j, i in enumerate(order):
        if y[i]: tp += w[i]
        else: fp += w[i]
        if j + 1 < len(order) and s[order[j + 1]] == s[i]:
            continue
        pts.append((tp / P if P else 0.0, tp / (tp + fp) if tp + fp else 0.0))
    return pts

def class_stats(labels, probs, c, w):
    y = [l == c for l in labels]
    s = [p[c] for p in probs]
    pred = [max(range(len(p)), key=lambda j: (p[j], -j)) == c for p in probs]
    tp = sum(w[i] for i in range(len(y)) if y[i] and pred[i])
    pp = sum(w[i] for i in range(len(y)) if pred[i])
    pos = sum(w[i] for i in range(len(y)) if y[i])
    pts = curve(y, s, w)
    ap, r0 = 0.0, 0.0
    for r, p in pts:
        ap += (r - r0) * p
        r0 = r
    rap = max([r for r, p in pts if p >= 0.5] or [0.0])
    return [tp / pp if pp else 0.0, tp / pos if pos else 0.0, ap, rap]

def unweighted_ap(labels, probs, c):
    return class_stats(labels, probs, c, [1.0] * len(labels))[2]

def chosen(run):
    if not run.get('rebalance'):
        return Counter()
    if run.get('folds') and 'rebalance' in run['folds'][0]:
        return Counter(f['rebalance']['chosen'] for f in run['folds'])
    return Counter([run['rebalance']['chosen']])

def one_run(task, d):
    run = json.load(open(os.path.join(d, 'run.json')))
    if task == 'shuttle':
        labels, probs = npy(os.path.join(d, 'labels.npy')), npy(os.path.join(d, 'p.npy'))
        pcs = run['per_class']
        n, k = sum(p['support'] for p in pcs), len(pcs)
        cls = [i for i, p in enumerate(pcs) if p['support'] > 0 and 2 * k * p['support'] < n]
        w = [1.0] * len(labels)
        st = [class_stats(labels, probs, c, w) for c in cls]
        mean = [sum(x[i] for x in st) / len(st) for i in range(4)]
        return mean, [x[2] for x in st], [pcs[c]['class'] for c in cls], chosen(run)
    labels, probs = npy(os.path.join(d, 'test_labels.npy')), npy(os.path.join(d, 'test_pred_probs.npy'))
    n1 = sum(1 for l in labels if l == 1)
    n0 = len(labels) - n1
    wmaj = TRAIN_RATIO * n1 / n0
    w = [1.0 if l == 1 else wmaj for l in labels]
    return class_stats(labels, probs, 1, w), [unweighted_ap(labels, probs, 1)], ['1:1'], chosen(run)

def summarize(out, task, model):
    rows = []
    for name in ORDER:
        d = os.path.join(out, 'runs', task, model, name)
        if not os.path.isdir(d):
            continue
        res, secs, picks = [], [], Counter()
        for seed in sorted(os.listdir(d)):
            sd = os.path.join(d, seed)
            if not os.path.exists(os.path.join(sd, 'done')):
                continue
            m, extra, names, ch = one_run(task, sd)
            res.append((m, extra))
            picks.update(ch)
            secs.append(float(open(os.path.join(sd, 'seconds')).read()))
        if not res:
            continue
        mean = [sum(r[0][i] for r in res) / len(res) for i in range(4)]
        ex = [sum(r[1][i] for r in res) / len(res) for i in range(len(res[0][1]))]
        rows.append((name, mean, ex, names, picks, sum(secs) / len(secs), len(res)))
    return rows

def main():
    out = sys.argv[1]
    titles = {'ts': 'Fashion-MNIST T-shirt/top 4950 vs Shirt 50, test split at the 99:1 prior, rare = Shirt',
              'pc': 'Fashion-MNIST Pullover 4950 vs Coat 50, test split at the 99:1 prior, rare = Coat',
              'sb': 'Fashion-MNIST Sneaker 4950 vs Ankle boot 50, test split at the 99:1 prior, rare = Ankle boot',
              'shuttle': 'Shuttle, 5-fold out-of-fold, means over the rare classes'}
    for task in ('ts', 'pc', 'sb', 'shuttle'):
        for model in ('logreg', 'mlp', 'cnn'):
            rows = summarize(out, task, model)
            if not rows:
                continue
            print('### %s — %s\n' % (titles[task], model))
            hdr = '| strategy | precision | recall | PR-AUC | R@P50 |'
            hdr += ''.join(' PR-AUC %s |' % n for n in rows[0][3]) + ' seconds | auto chose |'
            print(hdr)
            print('|' + '---|' * (hdr.count('|') - 1))
            plain = rows[0][1] if rows[0][0] == 'plain' else None
            for name, m, ex, _, picks, secs, nseeds in rows:
                flag = ' (loses PR-AUC)' if plain and name != 'plain' and m[2] < plain[2] - 5e-4 else ''
                if nseeds != rows[0][6]:
                    flag += ' (%d seed%s)' % (nseeds, 's' if nseeds > 1 else '')
                line = '| %s%s | %.3f | %.3f | %.3f | %.3f |' % (name, flag, m[0], m[1], m[2], m[3])
                line += ''.join(' %.3f |' % x for x in ex)
                line += ' %.1f | %s |' % (secs, ', '.join('%s %d' % kv for kv in sorted(picks.items())))
                print(line)
            print('\n(mean of %d seeds unless the row says otherwise)\n' % rows[0][6])

main()
