"""multilabel_classification/rank.py — cleanlab 2.9.0's
multilabel_classification.rank: per-class scores in C, aggregated by the
exponential moving average (alpha 0.8), softmin or any callable."""
from .. import _ml_core
from .._multilabel import int2onehot
from .._validation import assert_valid_inputs, get_num_classes


def _labels_to_binary(labels, pred_probs):
    assert_valid_inputs(X=None, y=labels, pred_probs=pred_probs, multi_label=True, allow_one_class=True)
    return int2onehot(labels, K=get_num_classes(labels=labels, pred_probs=pred_probs))


def get_label_quality_scores(labels, pred_probs, *, method="self_confidence", adjust_pred_probs=False,
                             aggregator_kwargs={"method": "exponential_moving_average", "alpha": 0.8}):
    y = _labels_to_binary(labels, pred_probs)
    if method not in _ml_core._METHODS:
        raise ValueError(f"Invalid method name: {method}")
    agg = dict(aggregator_kwargs) if aggregator_kwargs else {"method": "exponential_moving_average", "alpha": 0.8}
    if "method" not in agg:
        raise TypeError("Aggregator.__init__() missing 1 required positional argument: 'method'")
    return _ml_core.scores(y, pred_probs, method, adjust_pred_probs, agg)


def get_label_quality_scores_per_class(labels, pred_probs, *, method="self_confidence", adjust_pred_probs=False):
    y = _labels_to_binary(labels, pred_probs)
    return _ml_core.class_scores(y, pred_probs, method, adjust_pred_probs)
