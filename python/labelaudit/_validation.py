"""_validation.py — cleanlab 2.9.0's input checks (internal/validation.py,
internal/util.py), with the same exception types and messages, so callers
that test for them see no difference. Pure Python over numpy: O(N) on labels,
one min/max over pred_probs.
"""
import numpy as np

FLOATING_POINT_COMPARISON = 1e-6
TINY_VALUE = 1e-100
CLIPPING_LOWER_BOUND = 1e-6
EPSILON = 1e-6

try:
    import pandas as _pd
    _LABEL_TYPES = (list, np.ndarray, np.generic, _pd.Series, _pd.DataFrame)
except ImportError:  # pragma: no cover
    _pd = None
    _LABEL_TYPES = (list, np.ndarray, np.generic)


def labels_to_array(y):
    if _pd is not None and isinstance(y, (_pd.Series, _pd.DataFrame)):
        y = y.to_numpy()
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        return y
    try:
        return np.asarray(y)
    except Exception:
        raise ValueError("List of labels must be convertable to 1D numpy array via: np.ndarray(labels).")


def assert_valid_class_labels(y, allow_missing_classes=True, allow_one_class=False):
    if y.ndim != 1:
        raise ValueError("Labels must be 1D numpy array.")
    if y.dtype.kind in "USO" and any(isinstance(label, str) for label in y):
        raise ValueError("Labels cannot be strings, they must be zero-indexed integers corresponding to class indices.")
    integer = y.dtype.kind in "iub" and y.size > 0
    if not integer and not np.equal(np.mod(y, 1), 0).all():
        raise ValueError("Labels must be zero-indexed integers corresponding to class indices.")
    if (y.min() if integer else min(y)) < 0:
        raise ValueError("Labels must be positive integers corresponding to class indices.")
    if integer and allow_missing_classes:
        # the number of distinct labels without sorting them (np.unique's count)
        lo, hi = int(y.min()), int(y.max())
        if not allow_one_class and lo == hi:
            raise ValueError("Labels must contain at least 2 classes.")
        return
    unique_classes = np.unique(y)
    if (not allow_one_class) and (len(unique_classes) < 2):
        raise ValueError("Labels must contain at least 2 classes.")
    if not allow_missing_classes:
        if (unique_classes != np.arange(len(unique_classes))).any():
            msg = "cleanlab requires zero-indexed integer labels (0,1,2,..,K-1), but in "
            msg += "your case: np.unique(labels) = {}. ".format(str(unique_classes))
            msg += "Every class in (0,1,2,..,K-1) must be present in labels as well."
            raise TypeError(msg)


def assert_valid_inputs(X, y, pred_probs=None, multi_label=False, allow_missing_classes=True,
                        allow_one_class=False, range_in_c=False):
    """cleanlab's checks; range_in_c = True leaves the probability range to
    the C pass that reads them anyway (C-contiguous float32/float64 only)."""
    if not isinstance(y, _LABEL_TYPES):
        raise TypeError("labels should be a numpy array or pandas Series.")
    if not multi_label:
        y = labels_to_array(y)
        assert_valid_class_labels(y=y, allow_missing_classes=allow_missing_classes, allow_one_class=allow_one_class)
    if pred_probs is not None:
        if not isinstance(pred_probs, (np.ndarray, np.generic)):
            raise TypeError("pred_probs must be a numpy array.")
        if len(pred_probs) != len(y):
            raise ValueError("pred_probs and labels must have same length.")
        if len(pred_probs.shape) != 2:
            raise ValueError("pred_probs array must have shape: num_examples x num_classes.")
        if not multi_label:
            highest_class = (y.max() if y.dtype.kind in "iub" else max(y)) + 1
        else:
            highest_class = max([max(y_i) for y_i in y if len(y_i) != 0]) + 1
        if pred_probs.shape[1] < highest_class:
            raise ValueError(f"pred_probs must have at least {highest_class} columns, based on the largest class "
                             "index which appears in labels.")
        if range_in_c and pred_probs.flags.c_contiguous and pred_probs.dtype in (np.float32, np.float64):
            pass
        elif (np.min(pred_probs) < 0 - FLOATING_POINT_COMPARISON) or (np.max(pred_probs) > 1 + FLOATING_POINT_COMPARISON):
            raise ValueError("Values in pred_probs must be between 0 and 1.")
        if X is not None:
            import warnings
            warnings.warn("When X and pred_probs are both provided, the former may be ignored.")


def value_counts(x, *, num_classes=None):
    unique_classes, counts = np.unique(x, return_counts=True)
    if num_classes is None or num_classes == len(unique_classes):
        return counts
    labels_are_integers = np.issubdtype(np.array(x).dtype, np.integer)
    if labels_are_integers and num_classes <= np.max(unique_classes):
        raise ValueError(f"Required: num_classes > max(x), but {num_classes} <= {np.max(x)}.")
    total_counts = np.zeros(num_classes, dtype=int)
    count_ids = unique_classes if labels_are_integers else slice(len(unique_classes))
    total_counts[count_ids] = counts
    return total_counts


def get_num_classes(labels=None, pred_probs=None, label_matrix=None):
    if pred_probs is not None:
        return pred_probs.shape[1]
    if label_matrix is not None:
        if label_matrix.shape[0] != label_matrix.shape[1]:
            raise ValueError(f"label matrix must be K x K, not {label_matrix.shape}")
        return label_matrix.shape[0]
    if labels is None:
        raise ValueError("Cannot determine number of classes from None input")
    if any(isinstance(lab, list) for lab in labels):
        return len(set(c for grp in labels for c in grp))
    return len(set(labels))


def multilabel_not_supported(name):
    raise NotImplementedError(f"labelaudit: multi_label=True is not supported in {name} "
                              "(use cleanlab.multilabel_classification)")
