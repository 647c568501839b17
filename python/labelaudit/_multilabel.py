"""_multilabel.py — the one-vs-rest helpers of cleanlab 2.9.0's multi-label
support (internal/multilabel_utils.py): multi-hot labels and the binary
[1 - p, p] problem of one class. Each binary problem is then solved by the
single-label C functions, as cleanlab composes its own.
"""
import numpy as np

from ._validation import get_num_classes


def int2onehot(labels, K):
    out = np.zeros((len(labels), K), dtype=int)
    for i, lab in enumerate(labels):
        for c in lab:
            if not isinstance(c, (int, np.integer)):
                raise TypeError("labels must be lists of class indices")
            out[i, c] = 1
    return out


def get_onehot_num_classes(labels, pred_probs=None):
    num_classes = get_num_classes(labels=labels, pred_probs=pred_probs)
    try:
        y_one = int2onehot(labels, K=num_classes)
    except (TypeError, IndexError):
        raise ValueError("wrong format for labels, should be a list of list[indices], please check the "
                         "documentation in find_label_issues for further information")
    return y_one, num_classes


def stack_complement(pred_prob_slice):
    return np.vstack((1 - pred_prob_slice, pred_prob_slice)).T
