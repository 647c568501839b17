"""rank.py — cleanlab 2.9.0's cleanlab.rank on the C core: label quality
scores (self_confidence, normalized_margin, confidence_weighted_entropy,
optionally on threshold-adjusted probabilities), the per-label score
functions, order_label_issues and the ensemble scores (weights in Python,
scores in C). Scores are float64 whatever the input dtype.
"""
import warnings

import numpy as np

from . import _lib
from ._lib import LaError, check, ptr
from ._validation import CLIPPING_LOWER_BOUND, assert_valid_inputs

_METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")


def _scores(labels, pred_probs, method, adjust, check_range=False):
    if method not in _METHODS:
        raise ValueError(
            f"""
            {method} is not a valid scoring method for rank_by!
            Please choose a valid rank_by: self_confidence, normalized_margin, confidence_weighted_entropy
            """)
    if adjust and method == "confidence_weighted_entropy":
        raise ValueError(f"adjust_pred_probs is not currently supported for {method}.")
    y = _lib.labels_arg(labels)
    p, dt = _lib.probs_arg(pred_probs)
    n, k = p.shape
    out = np.empty(n, dtype=np.float64)
    err = LaError()
    check(_lib.lib.la_cl_label_quality_scores(ptr(y), ptr(p), dt, n, k, method.encode(), int(bool(adjust)),
                                              int(check_range), 0, ptr(out), err), err)
    return out


def get_label_quality_scores(labels, pred_probs, *, method="self_confidence", adjust_pred_probs=False):
    assert_valid_inputs(X=None, y=labels, pred_probs=pred_probs, multi_label=False, allow_one_class=True,
                        range_in_c=True)
    return _scores(np.asarray(labels), pred_probs, method, adjust_pred_probs, check_range=True)


def get_self_confidence_for_each_label(labels, pred_probs):
    return _scores(labels, pred_probs, "self_confidence", False)


def get_normalized_margin_for_each_label(labels, pred_probs):
    return _scores(labels, pred_probs, "normalized_margin", False)


def get_confidence_weighted_entropy_for_each_label(labels, pred_probs):
    return _scores(labels, pred_probs, "confidence_weighted_entropy", False)


def order_label_issues(label_issues_mask, labels, pred_probs, *, rank_by="self_confidence", rank_by_kwargs={}):
    allow_one_class = False
    if isinstance(labels, np.ndarray) or all(isinstance(lab, int) for lab in labels):
        if set(labels) == {0}:
            allow_one_class = True
    assert_valid_inputs(X=None, y=labels, pred_probs=pred_probs, multi_label=False, allow_one_class=allow_one_class)
    label_issues_idx = np.arange(len(labels))[label_issues_mask]
    label_quality_scores = get_label_quality_scores(labels, pred_probs, method=rank_by, **rank_by_kwargs)
    label_quality_scores_issues = label_quality_scores[label_issues_mask]
    return label_issues_idx[np.argsort(label_quality_scores_issues)]


def find_top_issues(quality_scores, *, top=10):
    if top is None or top > len(quality_scores):
        top = len(quality_scores)
    return np.argsort(quality_scores)[:top]


def _log_loss(labels, p):
    """sklearn's log_loss for integer labels (mean negative log likelihood,
    probabilities clipped and renormalised as sklearn 1.2 does)."""
    from sklearn.metrics import log_loss
    return log_loss(labels, p)


def get_label_quality_ensemble_scores(labels, pred_probs_list, *, method="self_confidence", adjust_pred_probs=False,
                                      weight_ensemble_members_by="accuracy", custom_weights=None,
                                      log_loss_search_T_values=[1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 2e2],
                                      verbose=True):
    assert isinstance(pred_probs_list, list), \
        f"pred_probs_list needs to be a list. Provided pred_probs_list is a {type(pred_probs_list)}"
    assert len(pred_probs_list) > 0, "pred_probs_list is empty."
    if len(pred_probs_list) == 1:
        warnings.warn(
            """
            pred_probs_list only has one element.
            Consider using get_label_quality_scores() if you only have a single array of pred_probs.
            """)
    for pred_probs in pred_probs_list:
        assert_valid_inputs(X=None, y=labels, pred_probs=pred_probs, multi_label=False)
    if custom_weights is not None and weight_ensemble_members_by != "custom":
        raise ValueError(
            """
            custom_weights provided but weight_ensemble_members_by is not "custom"!
            """)
    neg_log_loss_weights = None
    if weight_ensemble_members_by == "log_loss_search":
        best_eval_log_loss = float("inf")
        for t in log_loss_search_T_values:
            neg_log_loss_list = []
            for pred_probs in pred_probs_list:
                clipped = np.clip(pred_probs, a_min=CLIPPING_LOWER_BOUND, a_max=None)
                clipped /= clipped.sum(axis=1)[:, np.newaxis]
                neg_log_loss_list.append(np.exp(-t * _log_loss(labels, clipped)))
            w = np.array(neg_log_loss_list) / sum(neg_log_loss_list)
            avg = sum([w[i] * p for i, p in enumerate(pred_probs_list)])
            ev = _log_loss(labels, avg)
            if best_eval_log_loss > ev:
                best_eval_log_loss = ev
                neg_log_loss_weights = w.copy()
    scores_list, accuracy_list = [], []
    for pred_probs in pred_probs_list:
        scores_list.append(get_label_quality_scores(labels=labels, pred_probs=pred_probs, method=method,
                                                    adjust_pred_probs=adjust_pred_probs))
        if weight_ensemble_members_by == "accuracy":
            accuracy_list.append((pred_probs.argmax(axis=1) == labels).mean())
    if verbose:
        print(f"Weighting scheme for ensemble: {weight_ensemble_members_by}")
    scores_ensemble = np.vstack(scores_list).T
    if weight_ensemble_members_by == "uniform":
        return scores_ensemble.mean(axis=1)
    if weight_ensemble_members_by == "accuracy":
        weights = np.array(accuracy_list) / sum(accuracy_list)
        if verbose:
            print("Ensemble members will be weighted by their relative accuracy")
            for i, acc in enumerate(accuracy_list):
                print(f"  Model {i} accuracy : {acc}")
                print(f"  Model {i} weight   : {weights[i]}")
        return (scores_ensemble * weights).sum(axis=1)
    if weight_ensemble_members_by == "log_loss_search":
        weights = neg_log_loss_weights
        if verbose:
            print("Ensemble members will be weighted by log-loss between their predicted probabilities and given labels")
            for i, weight in enumerate(weights):
                print(f"  Model {i} weight   : {weight}")
        return (scores_ensemble * weights).sum(axis=1)
    if weight_ensemble_members_by == "custom":
        assert custom_weights is not None, "custom_weights is None! Please pass a valid custom_weights."
        assert len(custom_weights) == len(pred_probs_list), \
            "Length of custom_weights array must match the number of models: len(pred_probs_list)."
        return (scores_ensemble * custom_weights).sum(axis=1)
    raise ValueError(
        f"""
        {weight_ensemble_members_by} is not a valid weighting method for weight_ensemble_members_by!
        Please choose a valid weight_ensemble_members_by: uniform, accuracy, custom
        """)
