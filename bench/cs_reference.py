#!/usr/bin/env python3
"""cs_reference.py LABELS.csv PRED_PROBS.npy OUT_DIR [key=value ...] — writes what
cleanlab's get_label_quality_multiannotator(..., return_detailed_quality=True)
and get_active_learning_scores return, in the four CSV files of `labelaudit
consensus`, for parity checks of options the golden cases do not cover
(calibrate_probs, label_quality_score_kwargs, ...). Needs numpy, pandas and
cleanlab 2.9.0 importable. Options: consensus_method=, quality_method=,
calibrate_probs=1, method=, adjust_pred_probs=1."""
import os, sys
import numpy as np
import pandas as pd
from cleanlab.multiannotator import get_label_quality_multiannotator, get_active_learning_scores

labels = pd.read_csv(sys.argv[1])
probs = np.load(sys.argv[2])
out = sys.argv[3]
kw, lqs = {}, {}
for a in sys.argv[4:]:
    k, v = a.split("=", 1)
    if k in ("method",):
        lqs[k] = v
    elif k == "adjust_pred_probs":
        lqs[k] = bool(int(v))
    elif k == "calibrate_probs":
        kw[k] = bool(int(v))
    else:
        kw[k] = v
res = get_label_quality_multiannotator(labels, probs, return_detailed_quality=True, verbose=False,
                                       label_quality_score_kwargs=lqs, **kw)
al, _ = get_active_learning_scores(labels, probs)
os.makedirs(out, exist_ok=True)
f = "%.17g"
res["label_quality"].to_csv(os.path.join(out, "label_quality.csv"), index_label="index", float_format=f)
res["annotator_stats"].to_csv(os.path.join(out, "annotator_stats.csv"), index_label="annotator", float_format=f)
res["detailed_label_quality"].to_csv(os.path.join(out, "detailed_label_quality.csv"), index_label="index",
                                     float_format=f)
pd.DataFrame({"active_learning_score": al}).to_csv(os.path.join(out, "active_learning.csv"), index_label="index",
                                                   float_format=f)
