"""test_datalab.py — labelaudit.check_dataset and labelaudit.Datalab (the C
dataset checks through la_check_run) against cleanlab 2.9.0's Datalab
outputs in the golden-issues cases (flags and sets identical, scores within
1e-6, the summary score as Datalab's mean), the label type against the
golden confident-learning outputs, labelaudit's own types on planted data,
the files against the binary's, and bad input.
"""
import csv
import json
import os
import subprocess

import pytest

np = pytest.importorskip("numpy", reason="numpy is not installed: the Python package tests need python3-numpy")
pd = pytest.importorskip("pandas", reason="pandas is not installed: Datalab needs python3-pandas")
labelaudit = pytest.importorskip("labelaudit", reason="labelaudit is not importable (run `make python`)")

HERE = os.path.dirname(__file__)
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("LA_SHARED", os.path.join(ROOT, "..", "shared"))
if not os.path.isdir(os.path.join(SHARED, "golden-issues")):
    SHARED = "/work/shared"
GI = os.path.join(SHARED, "golden-issues")
GOLDEN = os.path.join(SHARED, "golden")
BIN = os.environ.get("LA_BIN", os.path.join(ROOT, "build", "labelaudit"))
CASES = sorted(c for c in os.listdir(GI) if os.path.isfile(os.path.join(GI, c, "params.json"))) \
    if os.path.isdir(GI) else []


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def _case(c):
    d = os.path.join(GI, c)
    with open(os.path.join(d, "params.json")) as f:
        p = json.load(f)
    o = p.get("options", {})
    kw = {k: o[k] for k in ("k", "metric", "threshold") if k in o}
    return d, p, kw


@pytest.mark.skipif(not CASES, reason=f"no golden-issues cases under {GI}")
@pytest.mark.parametrize("case", CASES)
def test_datalab_matches_cleanlab_golden(case):
    d, p, kw = _case(case)
    X = np.load(os.path.join(d, "features.npy"))
    lab = labelaudit.Datalab({"id": np.arange(len(X))}, verbosity=0)
    nd_kw = dict(kw)
    od_kw = {k: v for k, v in kw.items() if k != "threshold"}
    lab.find_issues(features=X, issue_types={"near_duplicate": nd_kw, "outlier": od_kw})
    nd, od = lab.get_issues("near_duplicate"), lab.get_issues("outlier")
    g_nd, g_od = _rows(os.path.join(d, "near_duplicate.csv")), _rows(os.path.join(d, "outlier.csv"))
    assert list(nd.columns) == ["is_near_duplicate_issue", "near_duplicate_score", "near_duplicate_sets",
                                "distance_to_nearest_neighbor"]
    assert list(od.columns) == ["is_outlier_issue", "outlier_score"]
    assert [int(r["is_near_duplicate_issue"]) for r in g_nd] == nd["is_near_duplicate_issue"].astype(int).tolist()
    assert [int(r["is_outlier_issue"]) for r in g_od] == od["is_outlier_issue"].astype(int).tolist()
    np.testing.assert_allclose(nd["near_duplicate_score"], [float(r["near_duplicate_score"]) for r in g_nd],
                               atol=1e-6, rtol=0)
    np.testing.assert_allclose(nd["distance_to_nearest_neighbor"],
                               [float(r["distance_to_nearest_neighbor"]) for r in g_nd], atol=1e-6, rtol=0)
    np.testing.assert_allclose(od["outlier_score"], [float(r["outlier_score"]) for r in g_od], atol=1e-6, rtol=0)
    with open(os.path.join(d, "near_duplicate_sets.txt")) as f:
        sets = f.read().split("\n")[1:1 + len(X)]
    assert [[int(v) for v in s.split()] for s in sets] == [list(s) for s in nd["near_duplicate_sets"]]
    s = lab.get_issue_summary()
    assert list(s["issue_type"]) == ["outlier", "near_duplicate"]
    assert list(s.columns) == ["issue_type", "score", "num_issues"]
    assert s.set_index("issue_type").loc["near_duplicate", "num_issues"] == p["near_duplicate"]["num_issues"]
    assert s.set_index("issue_type").loc["outlier", "num_issues"] == p["outlier"]["num_issues"]
    assert s.set_index("issue_type").loc["outlier", "score"] == pytest.approx(
        np.mean([float(r["outlier_score"]) for r in g_od]), abs=1e-6)
    info = lab.get_info("near_duplicate")
    assert info["metric"] == p["near_duplicate"]["metric"]
    assert info["median_nn_distance"] == pytest.approx(
        float(p["near_duplicate"]["median_distance_to_nearest_neighbor"]), abs=1e-6)
    assert lab.get_info("outlier")["issue_threshold"] == pytest.approx(float(p["outlier"]["issue_threshold"]),
                                                                                    abs=1e-6)


@pytest.mark.skipif(not os.path.isdir(os.path.join(GOLDEN, "digits_logreg_k10_n1797")), reason="no golden case")
def test_datalab_label_type_matches_golden():
    d = os.path.join(GOLDEN, "digits_logreg_k10_n1797")
    labels, pp = np.load(os.path.join(d, "labels.npy")), np.load(os.path.join(d, "pred_probs.npy"))
    names = np.array(["c%d" % i for i in range(10)])
    lab = labelaudit.Datalab(pd.DataFrame({"y": names[labels]}), label_name="y", verbosity=0)
    lab.find_issues(pred_probs=pp)
    li = lab.get_issues("label")
    assert list(li.columns) == ["is_label_issue", "label_score", "given_label", "predicted_label"]
    with open(os.path.join(d, "issues_prune_by_noise_rate.csv")) as f:
        golden = [int(r[-1]) for r in list(csv.reader(f))[1:]]
    assert li["is_label_issue"].astype(int).tolist() == golden
    with open(os.path.join(d, "label_quality_self_confidence.csv")) as f:
        gs = [float(r[-1]) for r in list(csv.reader(f))[1:]]
    np.testing.assert_allclose(li["label_score"], gs, rtol=0, atol=1e-15)
    assert li["given_label"].tolist() == names[labels].tolist()
    assert li["predicted_label"].tolist() == names[pp.argmax(1)].tolist()
    with open(os.path.join(d, "overall_label_health_score.txt")) as f:
        health = float(f.read())
    assert lab.get_issue_summary("label")["score"][0] == pytest.approx(health, abs=1e-12)
    assert lab.get_issue_summary("label")["num_issues"][0] == sum(golden)
    assert lab.labels.tolist() == labels.tolist() and lab.class_names == names.tolist()


def _planted(rng):
    X = rng.normal(size=(120, 6))
    X[10] = X[3]                               # exact duplicate, same label
    X[20] = X[4]                               # exact duplicate, different label
    X[30] = X[5] + 1e-4                        # near duplicate
    X[40] *= 30                                # far away
    y = np.arange(120) % 3
    y[10], y[20] = y[3], (y[4] + 1) % 3
    return X, y


def test_own_types_exact_duplicate_label_conflict_leakage():
    X, y = _planted(np.random.default_rng(1))
    test = np.vstack([X[7], np.random.default_rng(2).normal(size=(5, 6)) * 5, X[50]])
    lab = labelaudit.Datalab({"label": y}, label_name="label", verbosity=0)
    lab.find_issues(features=X, test_features=test,
                    issue_types={"near_duplicate": {}, "outlier": {"metric": "euclidean"}, "exact_duplicate": {},
                                 "leakage": {}})
    ex = lab.get_issues("exact_duplicate")
    assert sorted(np.flatnonzero(ex["is_exact_duplicate_issue"])) == [3, 4, 10, 20]
    assert list(ex["exact_duplicate_sets"][3]) == [10]
    lc = lab.get_issues("label_conflict")
    assert sorted(np.flatnonzero(lc["is_label_conflict_issue"])) == [4, 20]
    assert list(lc.columns) == ["is_label_conflict_issue", "label_conflict_score"]
    assert lab.get_info("label_conflict")["groups"] == [[4, 20]]
    nd = lab.get_issues("near_duplicate")
    assert nd["is_near_duplicate_issue"][5] and nd["is_near_duplicate_issue"][30]
    assert 30 in list(nd["near_duplicate_sets"][5])
    assert lab.get_issues("outlier")["outlier_score"].idxmin() == 40
    leaks = lab.get_issues("leakage")
    assert sorted(leaks["test_index"].tolist()) == [0, 6]
    assert sorted(leaks["train_index"].tolist()) == [7, 50]
    assert set(leaks["kind"]) == {"exact"}
    s = lab.get_issue_summary().set_index("issue_type")
    assert s.loc["exact_duplicate", "num_issues"] == 4 and s.loc["label_conflict", "num_issues"] == 2
    assert s.loc["leakage", "num_issues"] == 2
    full = lab.get_issues()
    assert {"is_outlier_issue", "is_near_duplicate_issue", "is_exact_duplicate_issue"} <= set(full.columns)


def test_image_defects_from_pixels():
    rng = np.random.default_rng(3)
    px = rng.uniform(0.2, 0.8, size=(30, 16, 16)).astype(np.float32)
    px[4] = 0.01                               # dark, flat
    px[9] = 0.99                               # bright, flat
    r = labelaudit.check_dataset(pixels=px, issue_types=["image"])
    names = r["image"]["defects"]
    assert r["ran"] == ["image"]
    assert r["image"]["is_issue"][4, names.index("dark")] and r["image"]["is_issue"][9, names.index("bright")]
    assert not r["image"]["is_issue"][0, names.index("dark")]
    lab = labelaudit.Datalab({"i": np.arange(30)}, verbosity=0)
    lab.find_issues(pixels=px, issue_types={"image": {}})
    assert lab.get_issues("dark")["is_dark_issue"][4]
    assert lab.get_issue_summary("bright")["num_issues"][0] >= 1


def test_check_dataset_arrays_memmap_and_float32(tmp_path):
    X, y = _planted(np.random.default_rng(4))
    p = tmp_path / "f.npy"
    np.save(p, X.astype(np.float32))
    a = labelaudit.check_dataset(str(p), y)
    b = labelaudit.check_dataset(np.load(p), y)
    assert a["ran"] == ["near_duplicate", "outlier", "exact_duplicate"]
    for key in ("is_issue", "score"):
        np.testing.assert_array_equal(a["outlier"][key], b["outlier"][key])
        np.testing.assert_array_equal(a["near_duplicate"][key], b["near_duplicate"][key])
    assert a["knn_index"].shape == (120, 10) and a["metric"] == "cosine"
    assert a["count"]["label_conflict"] == 2
    iss = a["issues"]
    assert set(iss["type"]) >= {"exact_duplicate", "label_conflict", "near_duplicate"}
    assert iss["type"][0] == "label_conflict"  # most severe first


@pytest.mark.skipif(not os.access(BIN, os.X_OK), reason=f"no labelaudit binary at {BIN}")
def test_files_equal_the_binary(tmp_path):
    X, y = _planted(np.random.default_rng(5))
    np.save(tmp_path / "f.npy", X)
    subprocess.run([BIN, "audit", "--features", str(tmp_path / "f.npy"), "--out", str(tmp_path / "bin"),
                    "--quiet", "--threads", "2"], check=True)
    labelaudit.check_dataset(X, issue_types=["near_duplicate", "outlier", "exact_duplicate"],
                             out_dir=tmp_path / "py")
    for f in ("near_duplicate.csv", "near_duplicate_sets.csv", "outlier.csv", "exact_duplicate.csv", "issues.csv"):
        assert (tmp_path / "bin" / f).read_bytes() == (tmp_path / "py" / f).read_bytes(), f


def test_bad_input():
    X, y = _planted(np.random.default_rng(6))
    bad = X.copy()
    bad[7, 2] = np.nan
    with pytest.raises(ValueError, match="row 7 .*column 2: NaN"):
        labelaudit.check_dataset(bad)
    with pytest.raises(ValueError, match="k = 200 nearest neighbours needs more than 120"):
        labelaudit.check_dataset(X, k=200)
    with pytest.raises(ValueError, match="unknown issue type 'typo'"):
        labelaudit.check_dataset(X, issue_types=["typo"])
    with pytest.raises(ValueError, match="unknown metric"):
        labelaudit.check_dataset(X, metric="manhattan")
    with pytest.raises(ValueError, match="leakage"):
        labelaudit.check_dataset(X, issue_types=["leakage"])
    lab = labelaudit.Datalab({"y": y}, label_name="y", verbosity=0)
    with pytest.raises(ValueError, match="not supported"):
        lab.find_issues(features=X, issue_types={"non_iid": {}})
    with pytest.raises(ValueError, match="needs pred_probs"):
        lab.find_issues(features=X, issue_types={"label": {}})
    with pytest.raises(ValueError, match="has 3 rows but the dataset has 120"):
        lab.find_issues(features=X[:3])
    with pytest.raises(ValueError, match="No issues available"):
        lab.get_issues()
    with pytest.raises(ValueError, match="Label column 'nope' not found"):
        labelaudit.Datalab({"y": y}, label_name="nope")
