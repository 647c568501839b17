"""_lib.py — loads liblabelaudit.so with ctypes and declares the C API
(include/labelaudit.h) the package calls. ctypes releases the GIL during
every foreign call. Arrays pass by pointer: C-contiguous float32/float64
probabilities are never copied; anything else is converted once.
Search order: $LABELAUDIT_LIB, the .so beside this file, ../../build/.
"""
import ctypes as C
import os

import numpy as np

LA_F32, LA_F64 = 4, 8


class LaError(C.Structure):
    _fields_ = [("status", C.c_int), ("file", C.c_char * 1024), ("line", C.c_long),
                ("column", C.c_char * 256), ("msg", C.c_char * 1024)]

    @property
    def message(self):
        return self.msg.decode("utf-8", "replace")


class LaClOptions(C.Structure):
    _fields_ = [("filter_by", C.c_char_p), ("rank_by", C.c_char_p), ("frac_noise", C.c_double),
                ("num_to_remove_per_class", C.c_void_p), ("min_examples_per_class", C.c_long),
                ("confident_joint", C.c_void_p), ("threads", C.c_int)]


class LaCheckSplit(C.Structure):
    _fields_ = [("features", C.c_void_p), ("dtype", C.c_int), ("n", C.c_size_t), ("d", C.c_size_t),
                ("labels", C.c_void_p), ("pixels", C.c_void_p), ("image_w", C.c_int), ("image_h", C.c_int),
                ("channels", C.c_int), ("image_paths", C.POINTER(C.c_char_p)), ("ids", C.POINTER(C.c_char_p)),
                ("label_issue", C.c_void_p), ("label_score", C.c_void_p)]


class LaCheckOptions(C.Structure):
    _fields_ = [("checks", C.c_char_p), ("k", C.c_size_t), ("near_dup_threshold", C.c_double),
                ("outlier_threshold", C.c_double), ("metric", C.c_char_p), ("threads", C.c_int)]


def _find_library():
    here = os.path.dirname(os.path.abspath(__file__))
    cands = [os.environ.get("LABELAUDIT_LIB"), os.path.join(here, "liblabelaudit.so"),
             os.path.join(here, "..", "..", "build", "liblabelaudit.so")]
    for c in cands:
        if c and os.path.exists(c):
            return c
    raise ImportError("labelaudit: liblabelaudit.so not found (run `make python`, or set LABELAUDIT_LIB)")


lib = C.CDLL(_find_library())
_p = C.c_void_p
_z = C.c_size_t
_e = C.POINTER(LaError)
_sig = {
    "la_version": (C.c_char_p, []),
    "la_cl_thresholds": (C.c_int, [_p, _p, C.c_int, _z, _z, _p, _e]),
    "la_cl_confident_joint": (C.c_int, [_p, _p, C.c_int, _z, _z, _p, C.c_int, C.c_int, _p, _p, _p, _e]),
    "la_cl_calibrate": (C.c_int, [_p, _p, _z, _p, _e]),
    "la_cl_estimate_latent": (C.c_int, [_p, _p, _z, C.c_char_p, C.c_int, _p, _p, _p, _e]),
    "la_cl_class_quality": (C.c_int, [_p, _z, _z, _p, _e]),
    "la_cl_overlapping_classes": (C.c_int, [_p, _z, _z, _p, _e]),
    "la_cl_label_quality_scores": (C.c_int, [_p, _p, C.c_int, _z, _z, C.c_char_p, C.c_int, C.c_int, C.c_int, _p,
                                             _e]),
    "la_cl_options_init": (None, [C.POINTER(LaClOptions)]),
    "la_cl_find_label_issues": (C.c_int, [_p, _p, C.c_int, _z, _z, C.POINTER(LaClOptions), _p, _p,
                                          C.POINTER(C.c_size_t), _e]),
    "la_cl_multilabel_scores": (C.c_int, [_p, _p, C.c_int, _z, _z, C.c_char_p, C.c_int, C.c_int, _p, _e]),
    "la_cl_multilabel_find_label_issues": (C.c_int, [_p, _p, C.c_int, _z, _z, C.POINTER(LaClOptions), _p, _e]),
    "la_check_options_init": (None, [C.POINTER(LaCheckOptions)]),
    "la_check_run": (C.c_int, [C.POINTER(LaCheckSplit), C.POINTER(LaCheckSplit), C.POINTER(LaCheckOptions),
                               C.POINTER(C.c_void_p), _e]),
    "la_checks_free": (None, [_p]),
    "la_checks_ran": (C.c_int, [_p, C.c_char_p]),
    "la_checks_n": (_z, [_p]),
    "la_checks_k": (_z, [_p]),
    "la_checks_metric": (C.c_char_p, [_p]),
    "la_checks_knn_index": (C.POINTER(C.c_int64), [_p]),
    "la_checks_knn_distance": (C.POINTER(C.c_double), [_p]),
    "la_checks_near_duplicate_flags": (C.POINTER(C.c_uint8), [_p]),
    "la_checks_near_duplicate_scores": (C.POINTER(C.c_double), [_p]),
    "la_checks_near_duplicate_set_start": (C.POINTER(C.c_size_t), [_p]),
    "la_checks_near_duplicate_sets": (C.POINTER(C.c_int64), [_p]),
    "la_checks_median_nn_distance": (C.c_double, [_p]),
    "la_checks_outlier_flags": (C.POINTER(C.c_uint8), [_p]),
    "la_checks_outlier_scores": (C.POINTER(C.c_double), [_p]),
    "la_checks_outlier_avg_distance": (C.POINTER(C.c_double), [_p]),
    "la_checks_outlier_threshold": (C.c_double, [_p]),
    "la_checks_groups": (_z, [_p, C.c_int, C.POINTER(C.POINTER(C.c_size_t)), C.POINTER(C.POINTER(C.c_int64)),
                             C.POINTER(C.POINTER(C.c_uint8))]),
    "la_checks_num_leaks": (_z, [_p]),
    "la_checks_leaks": (None, [_p, _p, _p, _p, _p, _p]),
    "la_check_leak_kind_name": (C.c_char_p, [C.c_int]),
    "la_checks_num_image_pairs": (_z, [_p]),
    "la_checks_image_pairs": (None, [_p, _p, _p, _p]),
    "la_check_num_defects": (C.c_int, []),
    "la_check_defect_name": (C.c_char_p, [C.c_int]),
    "la_checks_defect_scores": (C.POINTER(C.c_double), [_p]),
    "la_checks_defect_flags": (C.POINTER(C.c_uint8), [_p]),
    "la_check_num_issue_types": (C.c_int, []),
    "la_check_issue_name": (C.c_char_p, [C.c_int]),
    "la_checks_count": (_z, [_p, C.c_int]),
    "la_checks_num_issues": (_z, [_p]),
    "la_checks_issues": (None, [_p, _p, _p, _p, _p]),
    "la_checks_write": (C.c_int, [_p, C.c_char_p, _e]),
}
for _name, (_res, _args) in _sig.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args


class LabelauditError(RuntimeError):
    """A failure inside the C library that has no cleanlab counterpart."""


def check(rc, err, exc=None):
    """Raises for a non-zero status: exc (default ValueError for bad input,
    LabelauditError otherwise) with the library's message."""
    if rc == 0:
        return
    if exc is None:
        exc = ValueError if rc == 2 else LabelauditError
    raise exc(err.message)


def ptr(a):
    return a.ctypes.data_as(C.c_void_p) if a is not None else None


def probs_arg(pred_probs):
    """(array, dtype code): the caller's array itself when it is C-contiguous
    float32/float64, else one float64 copy."""
    a = pred_probs
    if not isinstance(a, np.ndarray):
        a = np.asarray(a)
    if a.dtype == np.float32 and a.flags.c_contiguous:
        return a, LA_F32
    if a.dtype == np.float64 and a.flags.c_contiguous:
        return a, LA_F64
    return np.ascontiguousarray(a, dtype=np.float64), LA_F64


def labels_arg(labels):
    return np.ascontiguousarray(labels, dtype=np.int32)


def version():
    return lib.la_version().decode()
