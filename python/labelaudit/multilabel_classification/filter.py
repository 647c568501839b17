"""multilabel_classification/filter.py — cleanlab 2.9.0's
multilabel_classification.filter: find_label_issues (any example with an
issue in any class) and find_multilabel_issues_per_class, every class's
binary problem solved in C. low_memory=True gives the exact
answer with default settings (cleanlab's batched estimator approximates it)."""
import warnings

import numpy as np

from .. import _ml_core
from .._validation import assert_valid_inputs


_DEFAULTS = {"filter_by": "prune_by_noise_rate", "num_to_remove_per_class": None, "confident_joint": None,
             "n_jobs": None, "frac_noise": 1.0, "min_examples_per_class": 1}


def _low_memory_args(rank_by_kwargs, args):
    """cleanlab's low_memory=True runs its batched estimate with default
    settings and warns about every other argument; labelaudit warns the same
    way and computes the exact answer with the defaults (its C path holds
    ~25 bytes per example, never a copy of pred_probs)."""
    if rank_by_kwargs:
        warnings.warn("`rank_by_kwargs` is not used when `low_memory=True`.")
    for name, val in args.items():
        if val is not _DEFAULTS[name] and val != _DEFAULTS[name]:
            warnings.warn(f"`{name}` is not used when `low_memory=True`.")
    return dict(_DEFAULTS)


def find_label_issues(labels, pred_probs, return_indices_ranked_by=None, rank_by_kwargs={},
                      filter_by="prune_by_noise_rate", frac_noise=1.0, num_to_remove_per_class=None,
                      min_examples_per_class=1, confident_joint=None, n_jobs=None, verbose=False, low_memory=False):
    if low_memory:
        d = _low_memory_args(rank_by_kwargs, {"filter_by": filter_by, "num_to_remove_per_class": num_to_remove_per_class,
                                              "confident_joint": confident_joint, "n_jobs": n_jobs,
                                              "frac_noise": frac_noise, "min_examples_per_class": min_examples_per_class})
        return _ml_core.find_label_issues(labels, pred_probs, return_indices_ranked_by, {}, d["filter_by"],
                                          d["frac_noise"], None, d["min_examples_per_class"], None, None)
    return _ml_core.find_label_issues(labels, pred_probs, return_indices_ranked_by, rank_by_kwargs, filter_by,
                                      frac_noise, num_to_remove_per_class, min_examples_per_class, confident_joint,
                                      n_jobs)


def find_multilabel_issues_per_class(labels, pred_probs, return_indices_ranked_by=None, rank_by_kwargs={},
                                     filter_by="prune_by_noise_rate", frac_noise=1.0, num_to_remove_per_class=None,
                                     min_examples_per_class=1, confident_joint=None, n_jobs=None, verbose=False,
                                     low_memory=False):
    if low_memory:
        d = _low_memory_args(rank_by_kwargs, {"filter_by": filter_by, "num_to_remove_per_class": num_to_remove_per_class,
                                              "confident_joint": confident_joint, "n_jobs": n_jobs,
                                              "frac_noise": frac_noise, "min_examples_per_class": min_examples_per_class})
        filter_by, frac_noise, min_examples_per_class = d["filter_by"], d["frac_noise"], d["min_examples_per_class"]
        num_to_remove_per_class = confident_joint = n_jobs = None
        rank_by_kwargs = {}
    issues, y_one = _ml_core.per_class_issues(labels, pred_probs, filter_by, frac_noise, num_to_remove_per_class,
                                              min_examples_per_class, confident_joint, n_jobs)
    if return_indices_ranked_by is None:
        return issues
    from ..rank import get_label_quality_scores
    from .._multilabel import stack_complement
    issues_list, labels_list, probs_list = [], [], []
    for c in range(y_one.shape[1]):
        b = stack_complement(pred_probs[:, c])
        q = get_label_quality_scores(y_one[:, c], b, method=return_indices_ranked_by, **(rank_by_kwargs or {}))
        idx = np.flatnonzero(issues[:, c])
        issues_list.append(idx[np.argsort(q[idx])])
        labels_list.append(y_one[:, c])
        probs_list.append(b)
    return issues_list, labels_list, probs_list
