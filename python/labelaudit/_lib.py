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
