"""labelaudit — cleanlab 2.9.0's classification API (filter, count, rank,
dataset) computed in-process by the labelaudit C library
(liblabelaudit.so through ctypes; the GIL is released during C work).

    from labelaudit.filter import find_label_issues   # was: from cleanlab.filter import ...

Beyond cleanlab: labelaudit.audit(labels, pred_probs) (the whole audit as a
dict of arrays, optionally the CLI's files and the review database),
labelaudit.cv(path) (out-of-fold probabilities from a dataset file),
labelaudit.report(db, out_dir), labelaudit.check_dataset(features, ...) (the
dataset checks as arrays) and labelaudit.Datalab (cleanlab's Datalab for the
label, outlier and near_duplicate types, and labelaudit's own checks).
"""
from . import _lib
from . import count, dataset, filter, rank  # noqa: A004
from . import multilabel_classification
from ._lib import LabelauditError
from ._stages import audit, cv, report
from ._checks import check_dataset
from .datalab import Datalab

__version__ = _lib.version()
__all__ = ["count", "dataset", "filter", "rank", "multilabel_classification", "audit", "cv", "report",
           "check_dataset", "Datalab", "LabelauditError"]
