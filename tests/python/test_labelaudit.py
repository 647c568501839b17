"""test_labelaudit.py — the Python package against cleanlab 2.9.0's golden
outputs (/work/shared/golden, or $LA_GOLDEN): every filter, ranking, score,
the thresholds, confident joints, joint, latent estimates, issue counts and
the dataset tables, bit for bit (confidence-weighted entropy to 1e-12: log
differs from numpy's in the last place), float32 input without a copy, and
cleanlab's errors. Skipped (with the reason) when numpy or the library is
missing.
"""
import csv
import os
import warnings

import pytest

np = pytest.importorskip("numpy", reason="numpy is not installed: the Python package tests need python3-numpy")
labelaudit = pytest.importorskip("labelaudit", reason="labelaudit is not importable (run `make python`)")
from labelaudit import count, dataset, filter, rank  # noqa: E402

GOLDEN = os.environ.get("LA_GOLDEN", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "golden"))
if not os.path.isdir(GOLDEN):
    GOLDEN = "/work/shared/golden"
CASES = sorted(d for d in os.listdir(GOLDEN) if os.path.isfile(os.path.join(GOLDEN, d, "case.json"))) \
    if os.path.isdir(GOLDEN) else []
FILTERS = ["prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
           "low_normalized_margin", "low_self_confidence"]
RANKS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]


def _read(case, name):
    with open(os.path.join(GOLDEN, case, name)) as f:
        rows = list(csv.reader(f))
    return np.array([[float(x) for x in r] for r in rows[1:]])


def _errors(case):
    p = os.path.join(GOLDEN, case, "error.txt")
    if not os.path.exists(p):
        return {}
    return {line.split("\t")[0]: line.rstrip("\n").split("\t")[2] for line in open(p) if line.strip()}


def _load(case):
    d = os.path.join(GOLDEN, case)
    return np.load(os.path.join(d, "labels.npy")), np.load(os.path.join(d, "pred_probs.npy"))


def _has(case, name):
    return os.path.exists(os.path.join(GOLDEN, case, name))


pytestmark = pytest.mark.skipif(not CASES, reason=f"no golden cases in {GOLDEN}")


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith(("digits", "noisegen", "balanced"))])
def test_noise_posterior(case):
    """labelaudit's own filter: the off-diagonal count of lowest posteriors
    P(true = given | x, given) = p_i NM[i][i] / sum_j p_j NM[i][j], with the
    noise matrix of count.estimate_py_and_noise_matrices_from_probabilities
    (the audit's noise_matrix.csv)."""
    y, p = _load(case)
    mask = filter.find_label_issues(y, p, filter_by="noise_posterior")
    _, nm, _, _ = count.estimate_py_and_noise_matrices_from_probabilities(y, p)
    num = p * nm[y, :]
    q = num[np.arange(len(y)), y] / num.sum(1)
    m = count.num_label_issues(y, p, estimation_method="off_diagonal")
    want = np.zeros(len(y), bool)
    want[np.argsort(q, kind="stable")[:m]] = True
    assert mask.sum() == m and np.array_equal(mask, want)
    ranked = filter.find_label_issues(y, p, filter_by="noise_posterior", return_indices_ranked_by="self_confidence")
    assert sorted(ranked.tolist()) == np.flatnonzero(want).tolist()


@pytest.mark.parametrize("case", CASES)
def test_filters(case):
    y, p = _load(case)
    remove = _read(case, "num_to_remove_per_class.csv").ravel().astype(int)
    for f in FILTERS:
        variants = [("", {})]
        if f in ("prune_by_noise_rate", "prune_by_class", "both"):
            variants += [("__frac_noise_0.5", {"frac_noise": 0.5}),
                         ("__min_examples_per_class_5", {"min_examples_per_class": 5}),
                         ("__num_to_remove_per_class", {"num_to_remove_per_class": remove})]
        for suffix, kw in variants:
            name = f"issues_{f}{suffix}.csv"
            if not _has(case, name):
                continue
            want = _read(case, name).ravel().astype(bool)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = filter.find_label_issues(y, p, filter_by=f, **kw)
            assert got.dtype == bool and np.array_equal(got, want), (case, name)


@pytest.mark.parametrize("case", CASES)
def test_ranked_and_scores(case):
    y, p = _load(case)
    errs = _errors(case)
    for r in RANKS:
        name = f"ranked_{r}.csv"
        if name in errs:
            with pytest.raises(ValueError, match="interval"):
                filter.find_label_issues(y, p, return_indices_ranked_by=r)
        elif _has(case, name):
            want = _read(case, name).ravel().astype(int)
            assert np.array_equal(filter.find_label_issues(y, p, return_indices_ranked_by=r), want), (case, r)
        for adj in (False, True):
            name = f"label_quality_{r}{'_adjusted' if adj else ''}.csv"
            if name in errs:
                with pytest.raises(ValueError, match=errs[name].split(" ")[0]):
                    rank.get_label_quality_scores(y, p, method=r, adjust_pred_probs=adj)
                continue
            if not _has(case, name):
                continue
            want = _read(case, name).ravel()
            got = rank.get_label_quality_scores(y, p, method=r, adjust_pred_probs=adj)
            if r == "confidence_weighted_entropy":
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
            else:
                assert np.array_equal(got, want), (case, name)


@pytest.mark.parametrize("case", CASES)
def test_counts(case):
    y, p = _load(case)
    assert np.array_equal(count.get_confident_thresholds(y, p), _read(case, "thresholds.csv").ravel())
    cj = count.compute_confident_joint(y, p, calibrate=False)
    assert np.array_equal(cj, _read(case, "confident_joint.csv"))
    cjc = count.compute_confident_joint(y, p)
    assert np.array_equal(cjc, _read(case, "confident_joint_calibrated.csv"))
    assert np.array_equal(count.calibrate_confident_joint(cj, y), cjc)
    _, off = count.compute_confident_joint(y, p, return_indices_of_off_diagonals=True)
    if _has(case, "off_diagonal_indices.csv"):
        assert np.array_equal(off, _read(case, "off_diagonal_indices.csv").ravel().astype(int))
    assert np.array_equal(count.estimate_joint(y, p), _read(case, "joint.csv"))
    py, nm, inv, cj2 = count.estimate_py_and_noise_matrices_from_probabilities(y, p)
    assert np.array_equal(py, _read(case, "py.csv").ravel())
    assert np.array_equal(nm, _read(case, "noise_matrix.csv"))
    assert np.array_equal(inv, _read(case, "inverse_noise_matrix.csv"))
    py0, nm0, inv0 = count.estimate_latent(cjc, y)
    assert np.array_equal(py0, _read(case, "py_raw.csv").ravel())
    assert np.array_equal(nm0, _read(case, "noise_matrix_raw.csv"))
    assert np.array_equal(inv0, _read(case, "inverse_noise_matrix_raw.csv"))
    errs = _errors(case)
    for method in ("off_diagonal", "off_diagonal_calibrated"):
        name = f"num_label_issues_{method}.txt"
        if name in errs:
            with pytest.raises(ValueError):
                count.num_label_issues(y, p, estimation_method=method)
        elif _has(case, name):
            want = int(open(os.path.join(GOLDEN, case, name)).read())
            assert count.num_label_issues(y, p, estimation_method=method) == want
    assert count.num_label_issues(y, p, confident_joint=cj, estimation_method="off_diagonal_custom") == \
        np.rint((1 - np.trace(count.estimate_joint(y, p, confident_joint=cj))) * len(y))


@pytest.mark.parametrize("case", CASES)
def test_dataset_tables(case):
    pytest.importorskip("pandas", reason="pandas is needed for the DataFrames")
    y, p = _load(case)
    if "class_label_quality.csv" in _errors(case):
        return
    got = dataset.rank_classes_by_label_quality(y, p).to_numpy(dtype=float)
    assert np.array_equal(got, _read(case, "class_label_quality.csv"))
    got = dataset.find_overlapping_classes(y, p).to_numpy(dtype=float)
    assert np.array_equal(got, _read(case, "overlapping_classes.csv"))
    if _has(case, "overall_label_health_score.txt"):
        want = float(open(os.path.join(GOLDEN, case, "overall_label_health_score.txt")).read())
        assert dataset.overall_label_health_score(y, p, verbose=False) == want
    s = dataset.health_summary(y, p, verbose=False)
    assert set(s) == {"overall_label_health_score", "joint", "classes_by_label_quality", "overlapping_classes"}


def test_float32_zero_copy_and_same_answers():
    y, p = _load("noisegen_k10_n20000" if "noisegen_k10_n20000" in CASES else CASES[0])
    p32 = p.astype(np.float32)
    arr, code = labelaudit._lib.probs_arg(p32)
    assert arr is p32 and code == labelaudit._lib.LA_F32
    # the reference on float32 data: the same float32 values widened to float64
    p64 = p32.astype(np.float64)
    for f in FILTERS:
        assert np.array_equal(filter.find_label_issues(y, p32, filter_by=f), filter.find_label_issues(y, p64, filter_by=f))
    assert np.array_equal(rank.get_label_quality_scores(y, p32), rank.get_label_quality_scores(y, p64))
    # non-contiguous input is converted, not refused
    pf = np.asfortranarray(p)
    assert np.array_equal(filter.find_label_issues(y, pf), filter.find_label_issues(y, p))


def test_supplied_joint_and_thresholds():
    y, p = _load(CASES[0])
    cj = count.compute_confident_joint(y, p)
    assert np.array_equal(filter.find_label_issues(y, p, confident_joint=cj), filter.find_label_issues(y, p))
    t = count.get_confident_thresholds(y, p)
    assert np.array_equal(count.compute_confident_joint(y, p, thresholds=t), cj)
    ones = count.compute_confident_joint(y, p, thresholds=np.ones(p.shape[1]), calibrate=False)
    assert ones.shape == cj.shape


def test_cleanlab_errors():
    y, p = _load(CASES[0])
    with pytest.raises(ValueError, match="not supported"):
        filter.find_label_issues(y, p, filter_by="confident_learning", num_to_remove_per_class=[1] * p.shape[1])
    with pytest.raises(ValueError, match="between 0 and 1"):
        filter.find_label_issues(y, p * 2)
    for bad in ((p * 2).astype(np.float32), np.where(p > 0.5, np.nan, p)):
        with pytest.raises(ValueError, match="between 0 and 1"):
            rank.get_label_quality_scores(y, bad)
    with pytest.raises(ValueError, match="at least 2 classes"):
        rank.get_label_quality_scores(np.zeros(len(y), int) + 1, p) if False else count.num_label_issues(
            np.ones(len(y), int), p)
    with pytest.raises(ValueError, match="not a valid scoring method"):
        rank.get_label_quality_scores(y, p, method="nope")
    with pytest.raises(ValueError, match="should be in"):
        count.estimate_latent(count.compute_confident_joint(y, p), y, py_method="nope")
    with pytest.raises(TypeError, match="numpy array"):
        filter.find_label_issues(y, p.tolist())
