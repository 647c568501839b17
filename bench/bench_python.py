"""bench_python.py — one side of bench_python.sh: times, in this process,
find_label_issues + get_label_quality_scores (cleanlab's default arguments)
from `labelaudit` or `cleanlab` on an N x K float32 array generated from a
fixed seed, REPS times, and prints one JSON line: median and all wall
seconds and CPU seconds (with the pool's children), peak RSS of this process (and of its children, for cleanlab's
multiprocessing pool) above the RSS with the array loaded, and a digest of
the answers so the two sides can be compared.
    bench_python.py labelaudit|cleanlab N K REPS
"""
import hashlib
import json
import resource
import statistics
import sys
import time

import numpy as np


def data(n, k, seed=17):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    labels = y_true.copy()
    flip = rng.random(n) < 0.1
    labels[flip] = rng.integers(0, k, int(flip.sum()))
    p = rng.random((n, k), dtype=np.float32)
    p[np.arange(n), y_true] += np.float32(k / 8)
    p /= p.sum(axis=1, keepdims=True)
    return labels, np.ascontiguousarray(p, dtype=np.float32)


def rss_mb(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss / 1024.0


def cpu_s():
    """User + system CPU seconds of this process and its (pool) children."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def main():
    which, n, k, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    labels, p = data(n, k)
    base = rss_mb()
    if which == "labelaudit":
        from labelaudit.filter import find_label_issues
        from labelaudit.rank import get_label_quality_scores
    else:
        from cleanlab.filter import find_label_issues
        from cleanlab.rank import get_label_quality_scores
    times, cpus = [], []
    for _ in range(reps):
        c0 = cpu_s()
        t0 = time.perf_counter()
        issues = find_label_issues(labels, p)
        scores = get_label_quality_scores(labels, p)
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_s() - c0)
    digest = hashlib.sha1(np.asarray(issues, dtype=bool).tobytes()).hexdigest()[:12]
    print(json.dumps({"impl": which, "n": n, "k": k, "median_s": statistics.median(times), "times_s": times,
                      "median_cpu_s": statistics.median(cpus),
                      "peak_rss_mb_above_input": round(rss_mb() - base, 1), "input_mb": round(p.nbytes / 2**20, 1),
                      "children_peak_rss_mb": round(rss_mb(resource.RUSAGE_CHILDREN), 1),
                      "num_issues": int(np.sum(issues)), "issues_sha1": digest,
                      "scores_mean": float(np.mean(scores))}))


if __name__ == "__main__":
    main()
