"""_stages.py — labelaudit beyond cleanlab: the whole audit (la_audit_run:
flags, ranking, every K x K estimate, the error rate with its bootstrap
interval, the health score; optionally the CLI's files and the review
database) and cross-validation (la_load + la_cv_metrics: out-of-fold
probabilities from any dataset the CLI reads, with the rebalancing options
and the run's metrics.json) as Python functions returning numpy arrays
and plain dicts. pred_probs may be a .npy path (memory-mapped, not loaded).
"""
import ctypes as C
import ctypes.util
import json

import numpy as np

from . import _lib
from ._lib import LaError, check, ptr

_p, _z, _e = C.c_void_p, C.c_size_t, C.POINTER(LaError)
_libc = C.CDLL(ctypes.util.find_library("c"))   # la_cv_metrics' text is released with free()
_libc.free.argtypes = [_p]
_libc.free.restype = None


class LoadOptions(C.Structure):
    _fields_ = [(n, C.c_char_p) for n in ("format", "label_col", "id_col", "features", "missing", "classes_file",
                                          "idx_labels", "npy_labels")] + \
               [("image_w", C.c_int), ("image_h", C.c_int), ("rgb", C.c_int), ("max_pixels", C.c_longlong),
                ("allow_outside_root", C.c_int)]


class CvOptions(C.Structure):
    _fields_ = [("model", C.c_char_p), ("folds", C.c_int), ("seed", C.c_uint64), ("threads", C.c_int),
                ("standardize", C.c_int), ("l2", C.c_double), ("max_iter", C.c_int), ("epochs", C.c_int),
                ("hidden", C.c_int * 4), ("knn_k", C.c_int),
                ("loss", C.c_char_p), ("tau", C.c_double), ("sampler", C.c_char_p), ("oversample_ratio", C.c_double),
                ("decouple", C.c_int), ("rebalance_auto", C.c_int), ("select_by", C.c_char_p),
                ("raw_probs", C.c_int)]


class AuditOptions(C.Structure):
    _fields_ = [("filter_by", C.c_char_p), ("rank_by", C.c_char_p), ("frac_noise", C.c_double),
                ("num_to_remove_per_class", _p), ("min_examples_per_class", C.c_long), ("corrected", C.c_int),
                ("bootstrap", C.c_int), ("confidence", C.c_double), ("seed", C.c_uint64), ("threads", C.c_int),
                ("dataset", _p)]


_L = _lib.lib
for name, res, args in [
        ("la_load_options_init", None, [C.POINTER(LoadOptions)]),
        ("la_load", C.c_int, [C.c_char_p, C.POINTER(LoadOptions), C.POINTER(_p), _e]),
        ("la_dataset_free", None, [_p]),
        ("la_dataset_n", _z, [_p]), ("la_dataset_k", _z, [_p]), ("la_dataset_d", _z, [_p]),
        ("la_dataset_labels", _p, [_p]), ("la_dataset_class_name", C.c_char_p, [_p, _z]),
        ("la_dataset_id", C.c_char_p, [_p, _z]),
        ("la_cv_options_init", None, [C.POINTER(CvOptions)]),
        ("la_cv_metrics", C.c_int, [_p, C.POINTER(CvOptions), _p, _p, C.POINTER(_p), _e]),
        ("la_audit_options_init", None, [C.POINTER(AuditOptions)]),
        ("la_audit_run", C.c_int, [_p, _p, C.c_int, _z, _z, C.POINTER(AuditOptions), C.POINTER(_p), _e]),
        ("la_audit_free", None, [_p]),
        ("la_audit_num_flagged", _z, [_p]), ("la_audit_ranked", _p, [_p]),
        ("la_audit_is_issue", C.c_int, [_p, _z]), ("la_audit_suggested", C.c_int32, [_p, _z]),
        ("la_audit_confident_joint", _p, [_p, C.c_int]), ("la_audit_joint", _p, [_p]),
        ("la_audit_noise_matrix", _p, [_p]), ("la_audit_inverse_noise_matrix", _p, [_p]),
        ("la_audit_priors", _p, [_p]), ("la_audit_thresholds", _p, [_p]),
        ("la_audit_error_rate", C.c_double, [_p, C.POINTER(C.c_double), C.POINTER(C.c_double)]),
        ("la_audit_health", C.c_double, [_p]),
        ("la_audit_write", C.c_int, [_p, C.c_char_p, _e]),
        ("la_record", C.c_int, [C.c_char_p, _p, _p, C.POINTER(C.c_int64), _e]),
        ("la_report", C.c_int, [C.c_char_p, C.c_int64, C.c_char_p, _e])]:
    f = getattr(_L, name)
    f.restype = res
    f.argtypes = args


def _enc(s):
    return None if s is None else str(s).encode()


def _copy(addr, ctype, shape):
    """A numpy copy of the C array at addr (the object owning it is freed after)."""
    n = int(np.prod(shape))
    if n == 0:
        return np.zeros(shape, dtype=np.dtype(ctype))
    buf = (ctype * n).from_address(addr)
    return np.ctypeslib.as_array(buf).reshape(shape).copy()


def _probs(pred_probs):
    if isinstance(pred_probs, str):
        pred_probs = np.load(pred_probs, mmap_mode="r")
    return pred_probs


def audit(labels, pred_probs, *, filter_by="prune_by_noise_rate", rank_by="self_confidence", frac_noise=1.0,
          num_to_remove_per_class=None, min_examples_per_class=1, corrected=False, bootstrap=1000, confidence=0.95,
          seed=0, threads=0, out_dir=None, db=None):
    """The labelaudit audit of labels (n ints in 0..k-1) against pred_probs (n x k
    array or .npy path): a dict of numpy arrays and numbers. out_dir: also write
    the CLI's audit files there; db: also record the run in that review database
    (its run id is returned as 'run_id')."""
    p, dt = _lib.probs_arg(_probs(pred_probs))
    y = _lib.labels_arg(labels)
    n, k = p.shape
    if len(y) != n:
        raise ValueError("pred_probs and labels must have same length.")
    o = AuditOptions()
    _L.la_audit_options_init(o)
    o.filter_by, o.rank_by = _enc(filter_by), _enc(rank_by)
    o.frac_noise, o.min_examples_per_class, o.corrected = float(frac_noise), int(min_examples_per_class), int(corrected)
    o.bootstrap, o.confidence, o.seed, o.threads = int(bootstrap), float(confidence), int(seed), int(threads)
    keep = None
    if num_to_remove_per_class is not None:
        keep = np.ascontiguousarray(np.broadcast_to(np.asarray(num_to_remove_per_class, dtype=np.int64), (k,)))
        o.num_to_remove_per_class = keep.ctypes.data
    au = _p()
    err = LaError()
    check(_L.la_audit_run(ptr(y), ptr(p), dt, n, k, o, C.byref(au), err), err)
    try:
        m = _L.la_audit_num_flagged(au)
        lo, hi = C.c_double(), C.c_double()
        rate = _L.la_audit_error_rate(au, C.byref(lo), C.byref(hi))
        res = {
            "is_label_issue": _issues_fast(au, n, _L.la_audit_ranked(au), m),
            "ranked": _copy(_L.la_audit_ranked(au), C.c_uint32, (m,)).astype(np.int64),
            "confident_joint": _copy(_L.la_audit_confident_joint(au, 0), C.c_int64, (k, k)),
            "confident_joint_calibrated": _copy(_L.la_audit_confident_joint(au, 1), C.c_int64, (k, k)),
            "joint": _copy(_L.la_audit_joint(au), C.c_double, (k, k)),
            "noise_matrix": _copy(_L.la_audit_noise_matrix(au), C.c_double, (k, k)),
            "inverse_noise_matrix": _copy(_L.la_audit_inverse_noise_matrix(au), C.c_double, (k, k)),
            "priors": _copy(_L.la_audit_priors(au), C.c_double, (k,)),
            "thresholds": _copy(_L.la_audit_thresholds(au), C.c_double, (k,)),
            "error_rate": rate, "error_rate_interval": (lo.value, hi.value),
            "health": _L.la_audit_health(au),
        }
        res["suggested"] = np.asarray(p).argmax(axis=1)      # the C suggestion is the same first argmax
        if out_dir is not None:
            check(_L.la_audit_write(au, _enc(out_dir), err), err)
        if db is not None:
            p64 = np.ascontiguousarray(p, dtype=np.float64)
            rid = C.c_int64(0)
            check(_L.la_record(_enc(db), au, ptr(p64), C.byref(rid), err), err)
            res["run_id"] = rid.value
        return res
    finally:
        _L.la_audit_free(au)


def _issues_fast(au, n, ranked_addr, m):
    mask = np.zeros(n, dtype=bool)
    mask[_copy(ranked_addr, C.c_uint32, (m,)).astype(np.int64)] = True
    return mask


def report(db, out_dir, run_id=0):
    """Writes the HTML report of run run_id (0: the latest) of review database db into out_dir."""
    err = LaError()
    check(_L.la_report(_enc(db), int(run_id), _enc(out_dir), err), err)


def cv(path, *, model="logreg", folds=5, seed=0, threads=0, standardize=True, l2=None, max_iter=0, epochs=0,
       hidden=None, knn_k=0, loss=None, tau=None, sampler=None, oversample_ratio=None, decouple=False,
       rebalance=None, select_by=None, raw_probs=False, label_col=None, id_col=None, features=None, format=None,
       missing=None, classes_file=None):
    """Cross-validates model on the dataset at path (any format the CLI loads):
    {'pred_probs': n x k out-of-fold probabilities, 'folds', 'labels',
    'class_names', 'ids', 'metrics': the run's metrics.json as a dict}; identical
    to `labelaudit cv` with the same options. model: logreg, mlp, knn or cnn
    (images). Rebalancing as the command's flags: loss ('weighted', 'balanced',
    'focal', 'logit-adjusted', ...), tau, sampler ('oversample', 'undersample'),
    oversample_ratio, decouple (mlp, cnn), rebalance='auto' with select_by
    ('recall-guarded:0.5' by default; metrics['rebalance'] and each fold's
    say what was compared and chosen), raw_probs."""
    if rebalance not in (None, "none", "auto"):
        raise ValueError("rebalance must be 'auto' or 'none', not %r" % (rebalance,))
    lo = LoadOptions()
    _L.la_load_options_init(lo)
    for name, val in (("format", format), ("label_col", label_col), ("id_col", id_col), ("features", features),
                      ("missing", missing), ("classes_file", classes_file)):
        if val is not None:
            setattr(lo, name, _enc(val))
    ds = _p()
    err = LaError()
    check(_L.la_load(_enc(path), lo, C.byref(ds), err), err)
    try:
        n, k = _L.la_dataset_n(ds), _L.la_dataset_k(ds)
        co = CvOptions()
        _L.la_cv_options_init(co)
        co.model, co.folds, co.seed, co.threads = _enc(model), int(folds), int(seed), int(threads)
        co.standardize = int(bool(standardize))
        if l2 is not None:
            co.l2 = float(l2)
        co.max_iter, co.epochs, co.knn_k = int(max_iter), int(epochs), int(knn_k)
        for i, h in enumerate((hidden or [])[:4]):
            co.hidden[i] = int(h)
        for name, val in (("loss", loss), ("sampler", sampler), ("select_by", select_by)):
            if val is not None:
                setattr(co, name, _enc(val))
        co.tau = float(tau or 0.0)
        co.oversample_ratio = float(oversample_ratio or 0.0)
        co.decouple, co.raw_probs = int(bool(decouple)), int(bool(raw_probs))
        co.rebalance_auto = int(rebalance == "auto")
        probs = np.empty((n, k))
        fold = np.empty(n, dtype=np.int32)
        doc = _p()
        check(_L.la_cv_metrics(ds, co, ptr(probs), ptr(fold), C.byref(doc), err), err)
        try:
            metrics = json.loads(C.string_at(doc.value).decode())
        finally:
            _libc.free(doc)
        return {"pred_probs": probs, "folds": fold,
                "labels": _copy(_L.la_dataset_labels(ds), C.c_int32, (n,)).astype(np.int64),
                "class_names": [_L.la_dataset_class_name(ds, c).decode() for c in range(k)],
                "ids": [_L.la_dataset_id(ds, i).decode() for i in range(n)], "metrics": metrics}
    finally:
        _L.la_dataset_free(ds)
