"""_checks.py — the dataset checks of the C library (la_check_run, the
checks/ stage of `labelaudit check`) as one Python function returning plain
numpy arrays. Features, pixels and labels pass by pointer: C-contiguous
float32/float64 features are read in place (np.memmap too); the GIL is
released during the C work (ctypes). Datalab (datalab.py) is built on it.
"""
import ctypes as C

import numpy as np

from . import _lib
from ._lib import lib

CHECK_NAMES = ("near_duplicate", "outlier", "exact_duplicate", "leakage", "image")


def _features(x, what):
    if x is None:
        return None, 0
    if isinstance(x, (str, bytes)) or hasattr(x, "__fspath__"):
        x = np.load(x, mmap_mode="r")
    a = x if isinstance(x, np.ndarray) else np.asarray(x)
    if a.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (N x D), got shape {a.shape}")
    if a.dtype == np.float32 and a.flags.c_contiguous:
        return a, _lib.LA_F32
    if a.dtype == np.float64 and a.flags.c_contiguous:
        return a, _lib.LA_F64
    return np.ascontiguousarray(a, dtype=np.float64), _lib.LA_F64


def _pixels(px, n):
    if px is None:
        return None, (0, 0, 0)
    a = np.ascontiguousarray(px, dtype=np.float32)
    if a.ndim == 3:
        a = a[..., None]
    if a.ndim != 4 or a.shape[0] != n:
        raise ValueError(f"pixels must be N x H x W [x C] with N = {n}, got shape {np.shape(px)}")
    return a, (a.shape[2], a.shape[1], a.shape[3])


def _strings(v, n, what):
    if v is None:
        return None, None
    enc = [str(s).encode() for s in v]
    if len(enc) != n:
        raise ValueError(f"{what}: {len(enc)} entries for {n} examples")
    arr = (C.c_char_p * len(enc))(*enc)
    return arr, enc


def _split(features, labels, pixels, image_paths, keep, what="features"):
    """A LaCheckSplit over the caller's arrays; keep collects what must stay
    alive during the call."""
    x, dt = _features(features, what)
    n = x.shape[0] if x is not None else None
    if n is None and pixels is not None:
        n = len(pixels)
    if n is None and image_paths is not None:
        n = len(image_paths)
    if n is None:
        raise ValueError("the checks need features, pixels or image_paths")
    s = _lib.LaCheckSplit()
    s.n = n
    if x is not None:
        s.features, s.dtype, s.d = _lib.ptr(x), dt, x.shape[1]
    if labels is not None:
        y = _lib.labels_arg(labels)
        if y.shape != (n,):
            raise ValueError(f"labels: {y.size} entries for {n} examples")
        s.labels = _lib.ptr(y)
        keep.append(y)
    px, (w, h, c) = _pixels(pixels, n)
    if px is not None:
        s.pixels, s.image_w, s.image_h, s.channels = _lib.ptr(px), w, h, c
    paths, enc = _strings(image_paths, n, "image_paths")
    if paths is not None:
        s.image_paths = C.cast(paths, C.POINTER(C.c_char_p))
    keep.extend([x, px, paths, enc])
    return s


def _copy(p, shape, dtype):
    if not p:
        return None
    count = int(np.prod(shape))
    if count == 0:
        return np.zeros(shape, dtype=dtype)
    return np.ctypeslib.as_array(p, shape=(count,)).astype(dtype, copy=True).reshape(shape)


def _groups(h, files, n_ex):
    st, mem, conf = C.POINTER(C.c_size_t)(), C.POINTER(C.c_int64)(), C.POINTER(C.c_uint8)()
    g = lib.la_checks_groups(h, files, C.byref(st), C.byref(mem), C.byref(conf))
    if g == 0:
        return []
    start = _copy(st, (g + 1,), np.int64)
    members = _copy(mem, (int(start[-1]),), np.int64)
    conflict = _copy(conf, (g,), bool)
    return [(members[start[t]:start[t + 1]], bool(conflict[t])) for t in range(g)]


def _collect(h):
    """Every result of the la_checks handle h as numpy arrays and lists."""
    n, k = lib.la_checks_n(h), lib.la_checks_k(h)
    out = {"n": n, "k": k, "metric": lib.la_checks_metric(h).decode(),
           "ran": [c for c in ("label",) + CHECK_NAMES if lib.la_checks_ran(h, c.encode())]}
    out["knn_index"] = _copy(lib.la_checks_knn_index(h), (n, k), np.int64)
    out["knn_distance"] = _copy(lib.la_checks_knn_distance(h), (n, k), np.float64)
    if "near_duplicate" in out["ran"] and out["knn_index"] is not None:
        start = _copy(lib.la_checks_near_duplicate_set_start(h), (n + 1,), np.int64)
        members = _copy(lib.la_checks_near_duplicate_sets(h), (int(start[-1]),), np.int64)
        out["near_duplicate"] = {
            "is_issue": _copy(lib.la_checks_near_duplicate_flags(h), (n,), bool),
            "score": _copy(lib.la_checks_near_duplicate_scores(h), (n,), np.float64),
            "sets": [members[start[i]:start[i + 1]] for i in range(n)],
            "median_nn_distance": lib.la_checks_median_nn_distance(h)}
    if "outlier" in out["ran"]:
        out["outlier"] = {
            "is_issue": _copy(lib.la_checks_outlier_flags(h), (n,), bool),
            "score": _copy(lib.la_checks_outlier_scores(h), (n,), np.float64),
            "avg_distance": _copy(lib.la_checks_outlier_avg_distance(h), (n,), np.float64),
            "issue_threshold": lib.la_checks_outlier_threshold(h)}
    if "exact_duplicate" in out["ran"]:
        out["exact_duplicate"] = {"rows": _groups(h, 0, n), "files": _groups(h, 1, n)}
    if "leakage" in out["ran"]:
        m = lib.la_checks_num_leaks(h)
        cols = {c: np.zeros(m, dt) for c, dt in (("test", np.int64), ("train", np.int64), ("kind", np.int32),
                                                 ("distance", np.float64), ("score", np.float64))}
        if m:
            lib.la_checks_leaks(h, *(_lib.ptr(cols[c]) for c in ("test", "train", "kind", "distance", "score")))
        cols["kind"] = np.array([lib.la_check_leak_kind_name(int(v)).decode() for v in cols["kind"]], dtype=object)
        out["leakage"] = cols
    if "image" in out["ran"]:
        nd = lib.la_check_num_defects()
        m = lib.la_checks_num_image_pairs(h)
        pa, pb, pc = np.zeros(m, np.int64), np.zeros(m, np.int64), np.zeros(m, np.float64)
        if m:
            lib.la_checks_image_pairs(h, _lib.ptr(pa), _lib.ptr(pb), _lib.ptr(pc))
        out["image"] = {"defects": [lib.la_check_defect_name(j).decode() for j in range(nd)],
                        "score": _copy(lib.la_checks_defect_scores(h), (n, nd), np.float64),
                        "is_issue": _copy(lib.la_checks_defect_flags(h), (n, nd), bool),
                        "near_duplicate_pairs": {"a": pa, "b": pb, "correlation": pc}}
    m = lib.la_checks_num_issues(h)
    idx, typ, sc, par = np.zeros(m, np.int64), np.zeros(m, np.int32), np.zeros(m, np.float64), np.zeros(m, np.int64)
    if m:
        lib.la_checks_issues(h, _lib.ptr(idx), _lib.ptr(typ), _lib.ptr(sc), _lib.ptr(par))
    names = [lib.la_check_issue_name(t).decode() for t in range(lib.la_check_num_issue_types())]
    out["issues"] = {"index": idx, "type": np.array([names[t] for t in typ], dtype=object), "score": sc,
                     "partner": par}
    out["count"] = {names[t]: int(lib.la_checks_count(h, t)) for t in range(len(names))}
    return out


def check_dataset(features=None, labels=None, *, test_features=None, pixels=None, image_paths=None,
                  test_pixels=None, test_image_paths=None, issue_types=None, k=10, near_duplicate_threshold=0.13,
                  outlier_threshold=0.37037, metric=None, n_jobs=None, label_issues=None, label_scores=None,
                  out_dir=None):
    """Runs labelaudit's dataset checks (the `check --issues` stage) in-process.

    features: N x D array (float32/float64 read in place), a .npy path (memory-mapped) or None.
    labels: N class indices (for label conflicts among exact duplicates), or None.
    test_features / test_pixels / test_image_paths: a test split, for "leakage".
    pixels: N x H x W [x C] floats in [0, 1]; image_paths: N image files ("image" checks).
    issue_types: a subset of near_duplicate, outlier, exact_duplicate, leakage, image (None: every
    check the inputs allow; a named check the inputs do not allow raises ValueError).
    label_issues / label_scores: a label audit's N flags and scores to merge into the issue list.
    out_dir: also write the files `labelaudit check --out DIR` writes.
    Returns a dict of numpy arrays: per check its flags and scores, the kNN graph, the issue list.
    """
    keep = []
    train = _split(features, labels, pixels, image_paths, keep)
    if label_issues is not None:
        li = np.ascontiguousarray(label_issues, dtype=np.uint8)
        ls = np.ascontiguousarray(label_scores if label_scores is not None else np.zeros(train.n), dtype=np.float64)
        if li.shape != (train.n,) or ls.shape != (train.n,):
            raise ValueError(f"label_issues and label_scores need {train.n} entries")
        train.label_issue, train.label_score = _lib.ptr(li), _lib.ptr(ls)
        keep += [li, ls]
    test = None
    if test_features is not None or test_pixels is not None or test_image_paths is not None:
        test = _split(test_features, None, test_pixels, test_image_paths, keep, "test_features")
    o = _lib.LaCheckOptions()
    lib.la_check_options_init(C.byref(o))
    if issue_types is not None:
        types = [issue_types] if isinstance(issue_types, str) else list(issue_types)
        for t in types:
            if t not in CHECK_NAMES + ("label",):
                raise ValueError(f"unknown issue type {t!r}: labelaudit's checks are {', '.join(CHECK_NAMES)}")
        o.checks = ",".join(types).encode()
    o.k, o.near_dup_threshold, o.outlier_threshold = int(k), float(near_duplicate_threshold), float(outlier_threshold)
    o.metric = metric.encode() if metric else None
    o.threads = int(n_jobs) if n_jobs else 0
    err = _lib.LaError()
    h = C.c_void_p()
    rc = lib.la_check_run(C.byref(train), C.byref(test) if test is not None else None, C.byref(o), C.byref(h),
                          C.byref(err))
    _lib.check(rc, err)
    try:
        if out_dir is not None:
            _lib.check(lib.la_checks_write(h, str(out_dir).encode(), C.byref(err)), err)
        return _collect(h)
    finally:
        lib.la_checks_free(h)
