"""cl_checks.py — cleanlab 2.9.0's near_duplicate and outlier issue managers on
a feature matrix, the way Datalab.find_issues runs them (near_duplicate first;
the outlier manager reuses its kNN graph from the shared statistics), without
Datalab itself: Datalab imports the Hugging Face `datasets` package, which is
not installed here. Usage: cl_checks.py FEATURES.npy OUT_DIR; writes
OUT_DIR/near_duplicate.csv (index,is_near_duplicate_issue) and
OUT_DIR/outlier.csv (index,is_outlier_issue) and prints the seconds per stage.
Run with PYTHONPATH=<cleanlab 2.9.0 source> (bench/bench_cleanlab.sh does)."""
import os
import sys
import time

import numpy as np
from cleanlab.datalab.internal.issue_manager.duplicate import NearDuplicateIssueManager
from cleanlab.datalab.internal.issue_manager.outlier import OutlierIssueManager


class Lab:
    """The part of Datalab the two managers read: get_info('statistics')."""

    def __init__(self):
        self.info = {"statistics": {}}
        self.labels = None

    def get_info(self, key):
        return self.info[key]

    def collect(self, mgr):
        # Datalab's InfoCollector merges each manager's statistics (the kNN graph)
        self.info["statistics"].update(mgr.info.get("statistics", {}))


def main():
    feats, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    X = np.load(feats)
    lab = Lab()
    t1 = time.time()
    nd = NearDuplicateIssueManager(lab)
    nd.find_issues(features=X)
    lab.collect(nd)
    t2 = time.time()
    od = OutlierIssueManager(lab)
    od.find_issues(features=X)
    t3 = time.time()
    flags = nd.issues["is_near_duplicate_issue"].to_numpy()
    np.savetxt(os.path.join(out, "near_duplicate.csv"),
               np.c_[np.arange(len(flags)), flags.astype(int)], fmt="%d", delimiter=",",
               header="index,is_near_duplicate_issue", comments="")
    flags = od.issues["is_outlier_issue"].to_numpy()
    np.savetxt(os.path.join(out, "outlier.csv"),
               np.c_[np.arange(len(flags)), flags.astype(int)], fmt="%d", delimiter=",",
               header="index,is_outlier_issue", comments="")
    print("cleanlab: load %.1f s, near_duplicate %.1f s, outlier %.1f s (graph %s)"
          % (t1 - t0, t2 - t1, t3 - t2,
             "reused" if "weighted_knn_graph" in lab.info["statistics"] else "rebuilt"))


if __name__ == "__main__":
    main()
