"""_ml_core.py — multi-label label issues and scores (cleanlab 2.9.0's
one-vs-rest semantics) over the C core: la_cl_multilabel_find_label_issues
(every class's binary find_label_issues in one call) and
la_cl_multilabel_scores (every class's binary score); the aggregation of the
K per-class scores (exponential moving average, softmin, any callable) is
numpy here, as in cleanlab.internal.multilabel_scorer.
"""
import numpy as np

from . import _lib
from ._lib import LaClOptions, LaError, check, ptr
from ._multilabel import get_onehot_num_classes

_METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")


def _onehot_u8(y_one):
    return np.ascontiguousarray(y_one, dtype=np.uint8)


def _check_binary_problems(y_one):
    """cleanlab validates each class's binary labels: a class given to every
    example leaves one class (1) in that problem, which it refuses."""
    if len(y_one) and (y_one.min(axis=0) == 1).any():
        raise ValueError("Labels must contain at least 2 classes.")


def class_scores(y_one, pred_probs, method="self_confidence", adjust_pred_probs=False):
    """(N, K) per-class label quality scores."""
    if method not in _METHODS:
        raise ValueError(f"Invalid method name: {method}")
    if adjust_pred_probs and method == "confidence_weighted_entropy":
        raise ValueError("adjust_pred_probs is not currently supported for ClassLabelScorer.CONFIDENCE_WEIGHTED_ENTROPY.")
    oh = _onehot_u8(y_one)
    p, dt = _lib.probs_arg(pred_probs)
    n, k = p.shape
    out = np.empty((n, k))
    err = LaError()
    check(_lib.lib.la_cl_multilabel_scores(ptr(oh), ptr(p), dt, n, k, method.encode(), int(bool(adjust_pred_probs)),
                                           0, ptr(out), err), err)
    return out


def exponential_moving_average(s, *, alpha=None, axis=1, **_):
    K = s.shape[1]
    s_sorted = np.fliplr(np.sort(s, axis=axis))
    if alpha is None:
        alpha = float(2 / (K + 1))
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in the interval [0, 1], got {alpha}")
    s_T = s_sorted.T
    s_ema, s_next = s_T[0], s_T[1:]
    for s_i in s_next:
        s_ema = alpha * s_i + (1 - alpha) * s_ema
    return s_ema


def _softmax(x, temperature=1.0, axis=None, shift=False):
    x = x / temperature
    if shift:
        x = x - np.max(x, axis=axis, keepdims=True)
    exp_x = np.exp(x)
    return exp_x / np.sum(exp_x, axis=axis, keepdims=True)


def softmin(s, *, temperature=0.1, axis=1, **_):
    return np.einsum("ij,ij->i", s, _softmax(x=1 - s, temperature=temperature, axis=axis, shift=True))


AGGREGATORS = {"exponential_moving_average": exponential_moving_average, "softmin": softmin}


def aggregate(scores, method="exponential_moving_average", **kwargs):
    if isinstance(method, str):
        if method not in AGGREGATORS:
            raise ValueError(f"Invalid aggregation method specified: '{method}', must be one of the following: "
                             f"{list(AGGREGATORS.keys())}")
        method = AGGREGATORS[method]
    if not callable(method):
        raise TypeError(f"Expected callable method, got {type(method)}")
    if not (isinstance(scores, np.ndarray) and scores.ndim == 2):
        raise ValueError(f"Expected 2D array for scores, got {type(scores)} with shape {scores.shape}")
    kwargs["axis"] = 1
    return method(scores, **kwargs)


def _strict(y_one, pred_probs):
    if not (y_one.ndim == 2 and y_one.shape[1] > 1 and np.array_equal(np.unique(y_one), [0, 1])):
        raise ValueError("Labels must be in multi-label format.")
    if y_one.shape != pred_probs.shape:
        raise ValueError("Labels and predicted probabilities must have the same shape.")


def scores(y_one, pred_probs, method="self_confidence", adjust_pred_probs=False, aggregator=None):
    """Aggregated (N,) scores; aggregator = {'method': ..., **kwargs} (EMA, alpha 0.8 by default)."""
    _strict(y_one, pred_probs)
    agg = dict(aggregator) if aggregator else {"method": "exponential_moving_average", "alpha": 0.8}
    return aggregate(class_scores(y_one, pred_probs, method, adjust_pred_probs), **agg)


def per_class_issues(labels, pred_probs, filter_by="prune_by_noise_rate", frac_noise=1.0,
                     num_to_remove_per_class=None, min_examples_per_class=1, confident_joint=None, n_jobs=None):
    """(N, K) bool: each class's binary find_label_issues mask."""
    import warnings
    y_one, num_classes = get_onehot_num_classes(labels, pred_probs)
    if confident_joint is not None:
        shape = confident_joint.shape
        if shape == (num_classes, num_classes):
            warnings.warn("The new recommended format for `confident_joint` in multi_label settings is (num_classes,2,2) "
                          "as output by compute_confident_joint(...,multi_label=True). Your K x K confident_joint in the "
                          "old format is being ignored.")
            confident_joint = None
        elif shape != (num_classes, 2, 2):
            raise ValueError("confident_joint should be of shape (num_classes, 2, 2)")
    _check_binary_problems(y_one)
    if num_to_remove_per_class is not None and filter_by in ("confident_learning", "predicted_neq_given",
                                                             "low_normalized_margin", "low_self_confidence"):
        raise ValueError(
            "filter_by 'confident_learning', 'predicted_neq_given', 'low_normalized_margin' "
            "or 'low_self_confidence' is not supported (yet) when setting 'num_to_remove_per_class'")
    oh = _onehot_u8(y_one)
    p, dt = _lib.probs_arg(pred_probs)
    n, k = p.shape
    o = LaClOptions()
    _lib.lib.la_cl_options_init(o)
    o.filter_by = filter_by.encode()
    o.frac_noise = float(frac_noise)
    o.min_examples_per_class = int(min_examples_per_class)
    o.threads = int(n_jobs or 0)
    keep = []
    if num_to_remove_per_class is not None:
        r = np.ascontiguousarray(np.asarray(num_to_remove_per_class, dtype=np.int64)[:k])
        keep.append(r)
        o.num_to_remove_per_class = r.ctypes.data
    if confident_joint is not None and filter_by != "confident_learning":
        cj = np.ascontiguousarray(np.rint(np.asarray(confident_joint, dtype=np.float64)).astype(np.int64))
        keep.append(cj)
        o.confident_joint = cj.ctypes.data
    out = np.empty((n, k), dtype=np.uint8)
    err = LaError()
    check(_lib.lib.la_cl_multilabel_find_label_issues(ptr(oh), ptr(p), dt, n, k, o, ptr(out), err), err)
    return out.view(bool), y_one


def find_label_issues(labels, pred_probs, return_indices_ranked_by=None, rank_by_kwargs={},
                      filter_by="prune_by_noise_rate", frac_noise=1.0, num_to_remove_per_class=None,
                      min_examples_per_class=1, confident_joint=None, n_jobs=None):
    """cleanlab's _find_label_issues_multilabel (low_memory=False)."""
    if filter_by in ("low_normalized_margin", "low_self_confidence"):
        num_errors = int(find_label_issues(labels, pred_probs, confident_joint=confident_joint,
                                           filter_by="confident_learning").sum())
        y_one, _ = get_onehot_num_classes(labels, pred_probs)
        q = scores(y_one, pred_probs)
        idx = np.argsort(q)[:num_errors]
        mask = np.zeros(len(labels), dtype=bool)
        mask[idx] = True
        if return_indices_ranked_by is not None:
            qi = scores(y_one[mask], pred_probs[mask], return_indices_ranked_by, **_base_kwargs(rank_by_kwargs))
            return idx[np.argsort(qi)]
        return mask
    issues, y_one = per_class_issues(labels, pred_probs, filter_by, frac_noise, num_to_remove_per_class,
                                     min_examples_per_class, confident_joint, n_jobs)
    if return_indices_ranked_by is None:
        return issues.sum(axis=1) >= 1
    if return_indices_ranked_by not in _METHODS:
        raise ValueError(
            f"""
            {return_indices_ranked_by} is not a valid scoring method for rank_by!
            Please choose a valid rank_by: self_confidence, normalized_margin, confidence_weighted_entropy
            """)
    idx = np.flatnonzero(issues.any(axis=1))
    q = scores(y_one, pred_probs, return_indices_ranked_by, **_base_kwargs(rank_by_kwargs))
    return idx[np.argsort(q[idx])]


def _base_kwargs(rank_by_kwargs):
    return {"adjust_pred_probs": bool((rank_by_kwargs or {}).get("adjust_pred_probs", False))}
