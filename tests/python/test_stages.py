"""test_stages.py — labelaudit.cv / labelaudit.audit / labelaudit.report
against the real binary ($LA_BIN, else build/labelaudit) on the bundled
Fashion-MNIST sample: the same out-of-fold probabilities bit for bit, the
same audit files' numbers (confident joints, joint, noise matrices, priors,
thresholds, flags, ranking), a .npy path read memory-mapped, a review
database and report written from Python.
"""
import csv
import os
import subprocess

import pytest

np = pytest.importorskip("numpy", reason="numpy is not installed: the Python package tests need python3-numpy")
labelaudit = pytest.importorskip("labelaudit", reason="labelaudit is not importable (run `make python`)")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("LA_BIN", os.path.join(ROOT, "build", "labelaudit"))
DATA = os.path.join(ROOT, "tests", "data", "idx", "fm200-images-idx3-ubyte.gz")
CLASSES = os.path.join(ROOT, "tests", "data", "idx", "classes.txt")

pytestmark = pytest.mark.skipif(not os.access(BIN, os.X_OK), reason=f"no labelaudit binary at {BIN}")


def _csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    if rows[0][0] in ("given/true", "true/given"):   # a K x K file: row labels first
        rows = [r[1:] for r in rows]
    return np.array([[float(x) for x in r] for r in rows[1:]])


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("bin")
    subprocess.run([BIN, "cv", "--data", DATA, "--classes", CLASSES, "--seed", "3", "--threads", "2",
                    "--out", str(d / "pp.npy"), "--audit", str(d / "audit"), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    return d


def test_cv_matches_binary(binary_run):
    r = labelaudit.cv(DATA, classes_file=CLASSES, seed=3, threads=2)
    want = np.load(binary_run / "pp.npy")
    assert r["pred_probs"].shape == want.shape and np.array_equal(r["pred_probs"], want)
    assert len(r["class_names"]) == want.shape[1] and len(r["labels"]) == want.shape[0]
    assert set(np.unique(r["folds"])) == set(range(5))


def test_audit_matches_binary(binary_run, tmp_path):
    a = binary_run / "audit"
    labels = np.load(binary_run / "labels.npy") if (binary_run / "labels.npy").exists() else \
        labelaudit.cv(DATA, classes_file=CLASSES, seed=3, threads=2)["labels"]
    res = labelaudit.audit(labels, str(binary_run / "pp.npy"), out_dir=str(tmp_path / "py_audit"))
    assert np.array_equal(res["confident_joint"], _csv(a / "confident_joint.csv"))
    assert np.array_equal(res["confident_joint_calibrated"], _csv(a / "confident_joint_calibrated.csv"))
    for key, name in (("joint", "joint.csv"), ("noise_matrix", "noise_matrix.csv"),
                      ("inverse_noise_matrix", "inverse_noise_matrix.csv")):
        assert np.array_equal(res[key], _csv(a / name)), key
    assert np.array_equal(res["priors"], _csv(a / "py.csv").ravel())
    assert np.array_equal(res["thresholds"], _csv(a / "thresholds.csv").ravel())
    assert np.array_equal(res["is_label_issue"], _csv(a / "is_label_issue.csv").ravel().astype(bool))
    assert np.array_equal(res["ranked"], _csv(a / "ranked.csv").ravel().astype(int))
    lo, hi = res["error_rate_interval"]
    assert lo <= res["error_rate"] <= hi and 0 < res["health"] <= 1
    for f in ("is_label_issue.csv", "ranked.csv"):
        assert open(tmp_path / "py_audit" / f).read() == open(a / f).read(), f
    # K x K files: the same numbers as text; unlabelled here (no names given,
    # the reference's layout), labelled by class name in the binary's run (cv
    # knows the names)
    def body(p):
        rows = list(csv.reader(open(p, newline="")))
        named = rows[0][0] in ("given/true", "true/given")
        return [r[1:] if named else r for r in rows[1:]]
    for f in ("confident_joint.csv", "joint.csv"):
        assert body(tmp_path / "py_audit" / f) == body(a / f), f
    # the same answers as the cleanlab-style functions
    p = np.load(binary_run / "pp.npy")
    assert np.array_equal(res["is_label_issue"], labelaudit.filter.find_label_issues(labels, p))


def test_record_and_report(binary_run, tmp_path):
    p = np.load(binary_run / "pp.npy")
    labels = labelaudit.cv(DATA, classes_file=CLASSES, seed=3, threads=2)["labels"]
    db = str(tmp_path / "review.db")
    res = labelaudit.audit(labels, p.astype(np.float32), db=db)
    assert res["run_id"] >= 1
    labelaudit.report(db, str(tmp_path / "report"))
    assert os.path.exists(tmp_path / "report" / "index.html")


def test_errors_are_value_errors(tmp_path):
    with pytest.raises(ValueError):
        labelaudit.cv(str(tmp_path / "missing.csv"))
    with pytest.raises(ValueError):
        labelaudit.audit([0, 1, 5], np.full((3, 2), 0.5))


def _binary_cv(tmp_path, *flags):
    out = tmp_path / "b" / "pp.npy"
    subprocess.run([BIN, "cv", "--data", DATA, "--classes", CLASSES, "--seed", "2", "--threads", "2",
                    "--out", str(out), "--quiet", *flags], check=True, stdout=subprocess.DEVNULL)
    import json
    return np.load(out), json.load(open(out.parent / "metrics.json"))


def test_cv_rebalance_auto_matches_binary(tmp_path):
    # --rebalance auto from Python: the same probabilities, and metrics.json's
    # record of what each fold compared and chose
    flags = ["--rebalance", "auto", "--select-by", "pr-auc", "--folds", "3"]
    want, doc = _binary_cv(tmp_path, *flags)
    r = labelaudit.cv(DATA, classes_file=CLASSES, seed=2, threads=2, folds=3, rebalance="auto", select_by="pr-auc")
    m = r["metrics"]["rebalance"]
    assert m["mode"] == "auto" and m["select_by"] == "pr-auc"
    assert m["compared"] == doc["rebalance"]["compared"]
    assert all(f["rebalance"]["chosen"] in f["rebalance"]["scores"] for f in r["metrics"]["folds"])
    assert sum(m["chosen"].values()) == 3
    assert [f["rebalance"]["chosen"] for f in r["metrics"]["folds"]] == [f["rebalance"]["chosen"] for f in doc["folds"]]
    assert np.array_equal(r["pred_probs"], want)


def test_cv_rebalancing_options_match_binary(tmp_path):
    cases = [
        (dict(loss="logit-adjusted", tau=0.5), ["--loss", "logit-adjusted", "--tau", "0.5"]),
        (dict(oversample_ratio=0.3, raw_probs=True), ["--oversample-ratio", "0.3", "--raw-probs"]),
        (dict(model="mlp", hidden=[16], epochs=4, decouple=True), ["--model", "mlp", "--hidden", "16", "--epochs", "4",
                                                                   "--decouple"]),
        (dict(model="cnn", epochs=2, decouple=True, sampler="undersample"),
         ["--model", "cnn", "--epochs", "2", "--decouple", "--sampler", "undersample"]),
    ]
    for i, (kw, flags) in enumerate(cases):
        want, doc = _binary_cv(tmp_path / str(i), *flags)
        r = labelaudit.cv(DATA, classes_file=CLASSES, seed=2, threads=2, **kw)
        assert np.array_equal(r["pred_probs"], want), kw
        assert r["metrics"].get("prior_correction") == doc.get("prior_correction"), kw
        assert r["metrics"]["per_class"] == doc["per_class"], kw


def test_cv_rebalancing_errors(tmp_path):
    for kw in (dict(rebalance="auto", loss="focal"), dict(decouple=True), dict(select_by="f1", rebalance="auto"),
               dict(sampler="oversample", oversample_ratio=0.2), dict(oversample_ratio=2.0), dict(loss="hinge"),
               dict(model="svm"), dict(rebalance="always")):
        with pytest.raises(ValueError):
            labelaudit.cv(DATA, classes_file=CLASSES, threads=2, **kw)
