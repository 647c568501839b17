"""filter.py — cleanlab 2.9.0's cleanlab.filter.find_label_issues on the C
core: every filter_by, frac_noise, num_to_remove_per_class,
min_examples_per_class, a supplied confident_joint, and the ranking
(return_indices_ranked_by with rank_by_kwargs). One streaming pass set over
the caller's array (no copy for C-contiguous float32/float64), threads in C
(n_jobs), the GIL released. multi_label is not supported.
"""
import multiprocessing
import warnings

import numpy as np

from . import _lib
from ._lib import LaClOptions, LaError, check, ptr
from ._validation import assert_valid_inputs, get_num_classes
from .rank import _METHODS, order_label_issues, get_label_quality_scores  # noqa: F401

# "noise_posterior" is labelaudit's own (not cleanlab's): the low_* filters'
# count, ranked by P(true = given | x, given) under the estimated noise matrix
_FILTERS = ["low_normalized_margin", "low_self_confidence", "prune_by_noise_rate", "prune_by_class", "both",
            "confident_learning", "predicted_neq_given", "noise_posterior"]
_NO_NOISE_ARGS = ["confident_learning", "predicted_neq_given", "low_normalized_margin", "low_self_confidence",
                  "noise_posterior"]


def _check_args(labels, pred_probs, filter_by, frac_noise, num_to_remove_per_class, confident_joint, multi_label):
    assert filter_by in _FILTERS
    allow_one_class = _all_zero(labels)
    assert_valid_inputs(X=None, y=labels, pred_probs=pred_probs, multi_label=multi_label,
                        allow_one_class=allow_one_class, range_in_c=not multi_label)
    if filter_by in _NO_NOISE_ARGS and (frac_noise != 1.0 or num_to_remove_per_class is not None):
        warnings.warn(
            "frac_noise and num_to_remove_per_class parameters are only supported"
            " for filter_by 'prune_by_noise_rate', 'prune_by_class', and 'both'. They "
            "are not supported for methods 'confident_learning', 'predicted_neq_given', "
            "'low_normalized_margin' or 'low_self_confidence'.")
    if num_to_remove_per_class is not None and filter_by in _NO_NOISE_ARGS:
        raise ValueError(
            "filter_by 'confident_learning', 'predicted_neq_given', 'low_normalized_margin' "
            "or 'low_self_confidence' is not supported (yet) when setting 'num_to_remove_per_class'")
    if filter_by == "confident_learning" and isinstance(confident_joint, np.ndarray):
        warnings.warn(
            "The supplied `confident_joint` is ignored when `filter_by = 'confident_learning'`; confident joint will be "
            "re-estimated from the given labels. To use your supplied `confident_joint`, please specify a different "
            "`filter_by` value.")


def _all_zero(labels):
    """cleanlab's `set(labels) == {0}` test for integer labels, without a set."""
    if isinstance(labels, np.ndarray) and labels.dtype.kind in "iub" and labels.ndim == 1:
        return labels.size > 0 and labels.min() == 0 and labels.max() == 0
    if isinstance(labels, np.ndarray) or all(isinstance(lab, int) for lab in labels):
        return set(labels) == {0}
    return False


def find_label_issues(labels, pred_probs, *, return_indices_ranked_by=None, rank_by_kwargs=None,
                      filter_by="prune_by_noise_rate", frac_noise=1.0, num_to_remove_per_class=None,
                      min_examples_per_class=1, confident_joint=None, n_jobs=None, verbose=False,
                      multi_label=False):
    if not rank_by_kwargs:
        rank_by_kwargs = {}
    _check_args(labels, pred_probs, filter_by, frac_noise, num_to_remove_per_class, confident_joint, multi_label)
    K = get_num_classes(labels=labels, pred_probs=pred_probs, label_matrix=confident_joint)
    if n_jobs is None:
        n_jobs = multiprocessing.cpu_count()
    else:
        assert n_jobs >= 1
    if multi_label:
        if not isinstance(labels, list):
            raise TypeError("`labels` must be list when `multi_label=True`.")
        warnings.warn(
            "The multi_label argument to filter.find_label_issues() is deprecated and will be removed in future "
            "versions. Please use `multilabel_classification.filter.find_label_issues()` instead.",
            DeprecationWarning)
        from . import _ml_core
        return _ml_core.find_label_issues(labels, pred_probs, return_indices_ranked_by, rank_by_kwargs, filter_by,
                                          frac_noise, num_to_remove_per_class, min_examples_per_class,
                                          confident_joint, n_jobs)
    y = _lib.labels_arg(np.asarray(labels))
    p, dt = _lib.probs_arg(pred_probs)
    n = p.shape[0]
    o = LaClOptions()
    _lib.lib.la_cl_options_init(o)
    o.filter_by = filter_by.encode()
    o.frac_noise = float(frac_noise)
    o.min_examples_per_class = int(min_examples_per_class)
    o.threads = int(n_jobs)
    keep = []
    if num_to_remove_per_class is not None:
        r = np.ascontiguousarray(np.broadcast_to(np.asarray(num_to_remove_per_class, dtype=np.int64), (K,)))
        keep.append(r)
        o.num_to_remove_per_class = r.ctypes.data
    if confident_joint is not None and filter_by != "confident_learning":
        cj = np.ascontiguousarray(np.rint(np.asarray(confident_joint, dtype=np.float64)).astype(np.int64))
        if cj.shape != (K, K):
            raise ValueError(f"label matrix must be K x K, not {cj.shape}")
        keep.append(cj)
        o.confident_joint = cj.ctypes.data
    rank_in_c = return_indices_ranked_by is not None and not rank_by_kwargs
    if return_indices_ranked_by is not None and return_indices_ranked_by not in _METHODS:
        rank_in_c = False
    if rank_in_c:
        o.rank_by = return_indices_ranked_by.encode()
    mask = np.empty(n, dtype=np.uint8)
    ranked = np.empty(n, dtype=np.uint32) if rank_in_c else None
    n_ranked = _lib.C.c_size_t(0)
    err = LaError()
    check(_lib.lib.la_cl_find_label_issues(ptr(y), ptr(p), dt, n, K, o, ptr(mask), ptr(ranked), n_ranked, err), err)
    label_issues_mask = mask.view(bool)
    if verbose:
        print("Number of label issues found: {}".format(int(label_issues_mask.sum())))
    if return_indices_ranked_by is None:
        return label_issues_mask
    if rank_in_c:
        return ranked[:n_ranked.value].astype(np.int64)
    return order_label_issues(label_issues_mask=label_issues_mask, labels=labels, pred_probs=pred_probs,
                              rank_by=return_indices_ranked_by, rank_by_kwargs=rank_by_kwargs)


def find_predicted_neq_given(labels, pred_probs, *, multi_label=False):
    assert_valid_inputs(X=None, y=labels, pred_probs=pred_probs, multi_label=multi_label)
    if multi_label:
        if not isinstance(labels, list):
            raise TypeError("`labels` must be list when `multi_label=True`.")
        from ._multilabel import get_onehot_num_classes
        y_one, _ = get_onehot_num_classes(labels, pred_probs)
        return _ml_predicted_neq_given(y_one, pred_probs)
    return np.argmax(pred_probs, axis=1) != np.asarray(labels)


def _ml_predicted_neq_given(y_one, pred_probs):
    """Per class: argmax of [1 - p, p] (ties to class 0) differs from the label."""
    p = np.asarray(pred_probs)
    pred = (p > 1 - p).astype(int)
    return (pred != y_one).any(axis=1)
