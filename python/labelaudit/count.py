"""count.py — cleanlab 2.9.0's cleanlab.count on the C core: thresholds, the
confident joint (computed, calibrated), the joint, the latent estimates
(py, noise matrix, inverse) and the number of label issues. Same names,
arguments, return types and errors as cleanlab; multi_label is not supported.
"""
import warnings

import numpy as np

from . import _lib
from ._lib import LaError, check, ptr
from ._multilabel import get_onehot_num_classes, stack_complement
from ._validation import TINY_VALUE, assert_valid_inputs, labels_to_array, value_counts


def _nk(labels, pred_probs):
    y = _lib.labels_arg(labels)
    p, dt = _lib.probs_arg(pred_probs)
    return y, p, dt, p.shape[0], p.shape[1]


def get_confident_thresholds(labels, pred_probs, multi_label=False):
    if multi_label:
        assert isinstance(labels, list)
        y_one, num_classes = get_onehot_num_classes(labels, pred_probs)
        out = np.ndarray((num_classes, 2))
        for c, (lab, col) in enumerate(zip(y_one.T, pred_probs.T)):
            out[c] = get_confident_thresholds(lab, stack_complement(col))
        return out
    y, p, dt, n, k = _nk(labels_to_array(labels), pred_probs)
    out = np.empty(k, dtype=np.float64)
    err = LaError()
    check(_lib.lib.la_cl_thresholds(ptr(y), ptr(p), dt, n, k, ptr(out), err), err)
    return out


def compute_confident_joint(labels, pred_probs, *, thresholds=None, calibrate=True, multi_label=False,
                            return_indices_of_off_diagonals=False):
    if multi_label:
        if not isinstance(labels, list):
            raise TypeError("`labels` must be list when `multi_label=True`.")
        y_one, num_classes = get_onehot_num_classes(labels, pred_probs)
        cjs = np.ndarray(shape=(num_classes, 2, 2), dtype=np.int64)
        offs = []
        for c, (lab, col) in enumerate(zip(y_one.T, pred_probs.T)):
            r = compute_confident_joint(lab, stack_complement(col), thresholds=thresholds, calibrate=calibrate,
                                        return_indices_of_off_diagonals=return_indices_of_off_diagonals)
            if return_indices_of_off_diagonals:
                cjs[c], ind = r
                offs.append(ind)
            else:
                cjs[c] = r
        return (cjs, offs) if return_indices_of_off_diagonals else cjs
    y, p, dt, n, k = _nk(np.asarray(labels), pred_probs)
    thr = None if thresholds is None else np.ascontiguousarray(np.broadcast_to(np.asarray(thresholds, dtype=np.float64), (k,)))
    cj = np.empty((k, k), dtype=np.int64)
    off = np.empty(n, dtype=np.uint8) if return_indices_of_off_diagonals else None
    err = LaError()
    check(_lib.lib.la_cl_confident_joint(ptr(y), ptr(p), dt, n, k, ptr(thr), int(bool(calibrate)), 0, ptr(cj),
                                         ptr(off), None, err), err)
    cj = cj.astype(int, copy=False)
    if return_indices_of_off_diagonals:
        return cj, np.flatnonzero(off)
    return cj


def calibrate_confident_joint(confident_joint, labels, *, multi_label=False):
    if multi_label:
        if not isinstance(labels, list):
            raise TypeError("`labels` must be list when `multi_label=True`.")
        y_one, num_classes = get_onehot_num_classes(labels)
        out = np.ndarray(shape=(num_classes, 2, 2), dtype=np.int64)
        for c, (cj, y) in enumerate(zip(confident_joint, y_one.T)):
            out[c] = calibrate_confident_joint(cj, labels=y)
        return out
    cj = np.ascontiguousarray(confident_joint, dtype=np.float64)
    k = len(cj)
    counts = np.ascontiguousarray(value_counts(labels, num_classes=k), dtype=np.float64)
    out = np.empty((k, k), dtype=np.int64)
    err = LaError()
    check(_lib.lib.la_cl_calibrate(ptr(cj), ptr(counts), k, ptr(out), err), err)
    return out.astype(int, copy=False)


def estimate_joint(labels, pred_probs, *, confident_joint=None, multi_label=False):
    if multi_label:
        if not isinstance(labels, list):
            raise TypeError("`labels` must be list when `multi_label=True`.")
        y_one, num_classes = get_onehot_num_classes(labels, pred_probs)
        cjc = compute_confident_joint(labels, pred_probs, calibrate=True, multi_label=True) \
            if confident_joint is None else confident_joint
        out = np.ndarray((num_classes, 2, 2))
        for c, (y, col) in enumerate(zip(y_one.T, pred_probs.T)):
            out[c] = estimate_joint(y, stack_complement(col), confident_joint=cjc[c])
        return out
    if confident_joint is None:
        calibrated_cj = compute_confident_joint(labels, pred_probs, calibrate=True)
    elif labels is not None:
        calibrated_cj = calibrate_confident_joint(confident_joint, labels)
    else:
        calibrated_cj = confident_joint
    return calibrated_cj / np.clip(float(np.sum(calibrated_cj)), a_min=TINY_VALUE, a_max=None)


def estimate_latent(confident_joint, labels, *, py_method="cnt", converge_latent_estimates=False):
    cj = np.ascontiguousarray(confident_joint, dtype=np.float64)
    k = len(cj)
    label_counts = value_counts(labels, num_classes=k)
    ps = np.ascontiguousarray(label_counts / float(len(labels)), dtype=np.float64)
    if py_method not in ("cnt", "eqn", "marginal", "marginal_ps"):
        raise ValueError("py_method {} should be in [cnt, eqn, marginal, marginal_ps]".format(py_method))
    py = np.empty(k)
    nm = np.empty((k, k))
    inv = np.empty((k, k))
    err = LaError()
    rc = _lib.lib.la_cl_estimate_latent(ptr(cj), ptr(ps), k, py_method.encode(), int(bool(converge_latent_estimates)),
                                        ptr(py), ptr(nm), ptr(inv), err)
    if rc and err.message == "Singular matrix":
        raise np.linalg.LinAlgError("Singular matrix")
    check(rc, err)
    return py, nm, inv


def estimate_py_and_noise_matrices_from_probabilities(labels, pred_probs, *, thresholds=None,
                                                      converge_latent_estimates=True, py_method="cnt",
                                                      calibrate=True):
    confident_joint = compute_confident_joint(labels=labels, pred_probs=pred_probs, thresholds=thresholds,
                                              calibrate=calibrate)
    assert isinstance(confident_joint, np.ndarray)
    py, noise_matrix, inv_noise_matrix = estimate_latent(confident_joint=confident_joint, labels=labels,
                                                         py_method=py_method,
                                                         converge_latent_estimates=converge_latent_estimates)
    return py, noise_matrix, inv_noise_matrix, confident_joint


def num_label_issues(labels, pred_probs, *, confident_joint=None, estimation_method="off_diagonal",
                     multi_label=False):
    valid_methods = ["off_diagonal", "off_diagonal_calibrated", "off_diagonal_custom"]
    if isinstance(confident_joint, np.ndarray) and estimation_method != "off_diagonal_custom":
        warnings.warn(
            "The supplied `confident_joint` is ignored as `confident_joint` is recomuputed internally using "
            "the supplied `labels` and `pred_probs`. If you still want to use custom `confident_joint` call function "
            "with `estimation_method='off_diagonal_custom'`.")
    if multi_label:
        from ._ml_core import find_label_issues as _ml_find
        return sum(_ml_find(labels, pred_probs, confident_joint=confident_joint, filter_by="confident_learning"))
    labels = labels_to_array(labels)
    assert_valid_inputs(X=None, y=labels, pred_probs=pred_probs)
    if estimation_method == "off_diagonal":
        y, p, dt, n, k = _nk(labels, pred_probs)
        cj = np.empty((k, k), dtype=np.int64)
        num = np.zeros(1, dtype=np.int64)
        err = LaError()
        check(_lib.lib.la_cl_confident_joint(ptr(y), ptr(p), dt, n, k, None, 0, 0, ptr(cj), None, ptr(num), err), err)
        return np.int64(num[0])
    if estimation_method == "off_diagonal_calibrated":
        cj = compute_confident_joint(labels=labels, pred_probs=pred_probs, calibrate=True)
        joint = estimate_joint(labels, pred_probs, confident_joint=cj)
    elif estimation_method == "off_diagonal_custom":
        if not isinstance(confident_joint, np.ndarray):
            raise ValueError(
                f"""
                No `confident_joint` provided. For 'estimation_method' = {estimation_method} you need to provide pre-calculated
                `confident_joint` matrix. Use a different `estimation_method` if you want the `confident_joint` matrix to
                be calculated for you.
                """)
        joint = estimate_joint(labels, pred_probs, confident_joint=confident_joint)
    else:
        raise ValueError(
            f"""
            {estimation_method} is not a valid estimation method!
            Please choose a valid estimation method: {valid_methods}
            """)
    frac_issues = 1.0 - joint.trace()
    return np.rint(frac_issues * len(labels)).astype(int)
