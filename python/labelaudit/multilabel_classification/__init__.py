"""labelaudit.multilabel_classification — cleanlab 2.9.0's
multilabel_classification (filter, rank, dataset) on the C core: each class
is the binary problem cleanlab solves (labels 0/1, probabilities [1-p, p])."""
from . import dataset, filter, rank  # noqa: A004

__all__ = ["dataset", "filter", "rank"]
