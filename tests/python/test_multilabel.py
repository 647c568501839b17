"""test_multilabel.py — labelaudit.multilabel_classification: every class is
the binary problem [1 - p, p] that the single-label functions solve (checked
against them, which test_labelaudit.py checks against cleanlab's golden
outputs), the exponential-moving-average aggregation against its formula,
and cleanlab's refusals.
"""
import pytest

np = pytest.importorskip("numpy", reason="numpy is not installed: the Python package tests need python3-numpy")
labelaudit = pytest.importorskip("labelaudit", reason="labelaudit is not importable (run `make python`)")
from labelaudit import count, filter, rank  # noqa: E402
from labelaudit.multilabel_classification import dataset as mld  # noqa: E402
from labelaudit.multilabel_classification import filter as mlf  # noqa: E402
from labelaudit.multilabel_classification import rank as mlr  # noqa: E402


def _data(n=400, k=4, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.random((n, k)) < 0.35
    p = np.clip(np.where(truth, rng.beta(5, 2, (n, k)), rng.beta(2, 5, (n, k))), 0, 1)
    given = truth.copy()
    flip = rng.random((n, k)) < 0.08
    given[flip] = ~given[flip]
    labels = [list(np.flatnonzero(r)) for r in given]
    labels = [[int(c) for c in r] for r in labels]
    return labels, p, given.astype(int)


def _binary(p, c):
    return np.vstack((1 - p[:, c], p[:, c])).T


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
                                       "predicted_neq_given"])
def test_per_class_is_the_binary_problem(filter_by):
    labels, p, y = _data()
    per = mlf.find_multilabel_issues_per_class(labels, p, filter_by=filter_by)
    for c in range(p.shape[1]):
        assert np.array_equal(per[:, c], filter.find_label_issues(y[:, c], _binary(p, c), filter_by=filter_by))
    assert np.array_equal(mlf.find_label_issues(labels, p, filter_by=filter_by), per.any(axis=1))


def test_scores_and_ema():
    labels, p, y = _data()
    per = mlr.get_label_quality_scores_per_class(labels, p)
    for c in range(p.shape[1]):
        assert np.array_equal(per[:, c], rank.get_label_quality_scores(y[:, c], _binary(p, c)))
    s = np.fliplr(np.sort(per, axis=1)).T
    ema = s[0]
    for si in s[1:]:
        ema = 0.8 * si + (1 - 0.8) * ema
    assert np.array_equal(mlr.get_label_quality_scores(labels, p), ema)
    soft = mlr.get_label_quality_scores(labels, p, aggregator_kwargs={"method": "softmin", "temperature": 0.1})
    assert soft.shape == (len(labels),) and np.all((soft >= 0) & (soft <= 1))
    mn = mlr.get_label_quality_scores(labels, p, aggregator_kwargs={"method": np.min})
    assert np.array_equal(mn, per.min(axis=1))


def test_ranked_and_counts():
    labels, p, y = _data()
    ranked = mlf.find_label_issues(labels, p, return_indices_ranked_by="self_confidence")
    mask = mlf.find_label_issues(labels, p)
    assert set(ranked) == set(np.flatnonzero(mask))
    q = mlr.get_label_quality_scores(labels, p)
    assert np.all(np.diff(q[ranked]) >= 0)
    cj = count.compute_confident_joint(labels, p, multi_label=True)
    assert cj.shape == (p.shape[1], 2, 2)
    for c in range(p.shape[1]):
        assert np.array_equal(cj[c], count.compute_confident_joint(y[:, c], _binary(p, c)))
    j = count.estimate_joint(labels, p, multi_label=True)
    assert np.allclose(j.sum(axis=(1, 2)), 1)
    n = count.num_label_issues(labels, p, multi_label=True)
    assert n == mlf.find_label_issues(labels, p, filter_by="confident_learning").sum()
    assert 0 < mld.overall_multilabel_health_score(labels, p) <= 1


def test_dataset_tables():
    pytest.importorskip("pandas", reason="pandas is needed for the DataFrames")
    labels, p, y = _data()
    df = mld.common_multilabel_issues(labels, p)
    assert list(df.columns) == ["Class Index", "In Given Label", "In Suggested Label", "Num Examples",
                                "Issue Probability"]
    assert len(df) == 2 * p.shape[1]
    q = mld.rank_classes_by_multilabel_quality(labels, p)
    assert list(q["Label Quality Score"]) == sorted(q["Label Quality Score"])
    s = mld.multilabel_health_summary(labels, p, verbose=False)
    assert set(s) == {"overall_multilabel_health_score", "classes_by_multilabel_quality", "common_multilabel_issues"}


def test_refusals():
    labels, p, y = _data()
    with pytest.raises(ValueError, match="Invalid method name"):
        mlr.get_label_quality_scores(labels, p, method="nope")
    with pytest.raises(ValueError, match="not supported"):
        mlf.find_label_issues(labels, p, filter_by="confident_learning", num_to_remove_per_class=[1] * 4)
    with pytest.raises(ValueError, match=r"shape \(num_classes, 2, 2\)"):
        mlf.find_label_issues(labels, p, confident_joint=np.ones((3, 3)))
    with pytest.raises(TypeError):  # cleanlab raises the same (a 2-D array is unhashable there too)
        filter.find_label_issues(np.array(y), p, multi_label=True)
