"""datalab.py — a Datalab-like audit of a dataset on the C core: cleanlab
2.9.0's `Datalab(data, label_name).find_issues(...)`, `get_issues(type)`,
`get_issue_summary()` and `get_info(type)` for the issue types "label",
"outlier" and "near_duplicate" (same columns, same numbers: the C checks
reproduce Datalab's issue managers), plus labelaudit's own types
"exact_duplicate" (with "label_conflict"), "leakage" and "image" defects.
Needs pandas, as cleanlab's Datalab does. Not here: cleanlab's other issue
types (non_iid, class_imbalance, null, underperforming_group,
data_valuation), label issues from features alone (a kNN classifier),
regression and multi-label tasks, reports, saving and loading.
"""
import numpy as np

from . import _checks

# cleanlab's order of the default types; labelaudit's own types after them
_CLEANLAB_TYPES = ("label", "outlier", "near_duplicate")
_OWN_TYPES = ("exact_duplicate", "leakage", "image")
_KNN_KEYS = {"k", "metric"}
_ARG_KEYS = {"near_duplicate": {"k", "metric", "threshold"}, "outlier": {"k", "metric", "threshold"},
             "label": set(), "exact_duplicate": set(), "leakage": {"k", "metric", "threshold"}, "image": set()}


def _pd():
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - Debian ships python3-pandas
        raise ImportError("labelaudit.Datalab needs pandas (apt-get install python3-pandas)") from e
    return pd


class Datalab:
    """Datalab(data, label_name=None, image_key=None, verbosity=1).

    data: a dict of columns, a pandas DataFrame, or a list of dicts; label_name: the column of
    given labels (any hashable values: classes are their sorted unique values, as in cleanlab).
    """

    def __init__(self, data, label_name=None, image_key=None, task=None, verbosity=1):
        pd = _pd()
        if task not in (None, "classification"):
            raise ValueError(f"labelaudit.Datalab supports task='classification' only, not {task!r}")
        self.data = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
        self.label_name, self.image_key, self.verbosity = label_name, image_key, verbosity
        self._labels, self._label_map = None, {}
        if label_name is not None:
            if label_name not in self.data.columns:
                raise ValueError(f"Label column '{label_name}' not found in dataset.")
            raw = self.data[label_name].to_numpy()
            classes, codes = np.unique(raw, return_inverse=True)
            self._labels = codes.astype(np.int64)
            self._label_map = dict(enumerate(classes.tolist()))
        self.issues = pd.DataFrame(index=range(len(self.data)))
        self._columns = {}                      # issue type -> its columns in self.issues
        self.issue_summary = pd.DataFrame(columns=["issue_type", "score", "num_issues"]).astype(
            {"score": np.float64, "num_issues": np.int64})
        self.info = {"statistics": {"num_examples": len(self.data), "class_names": list(self._label_map.values()),
                                    "num_classes": len(self._label_map)}}

    def __len__(self):
        return len(self.data)

    @property
    def labels(self):
        return self._labels

    @property
    def class_names(self):
        return list(self._label_map.values())

    # ---- find_issues ---------------------------------------------------------

    def _types(self, issue_types, features, pred_probs, test_features, pixels):
        if issue_types is None:
            t = {}
            if pred_probs is not None and self._labels is not None:
                t["label"] = {}
            if features is not None:
                t["outlier"], t["near_duplicate"] = {}, {}
            return t
        t = {}
        for name, kw in dict(issue_types).items():
            if name not in _CLEANLAB_TYPES + _OWN_TYPES:
                raise ValueError(f"issue type {name!r} is not supported by labelaudit.Datalab (supported: "
                                 f"{', '.join(_CLEANLAB_TYPES + _OWN_TYPES)})")
            bad = set(kw or {}) - _ARG_KEYS[name]
            if bad:
                raise ValueError(f"issue type {name!r}: unsupported argument(s) {sorted(bad)}")
            t[name] = dict(kw or {})
        if "label" in t and (pred_probs is None or self._labels is None):
            raise ValueError("issue type 'label' needs pred_probs and a label_name (labelaudit does not train a "
                             "kNN classifier on features)")
        if any(n in t for n in ("outlier", "near_duplicate", "exact_duplicate")) and features is None \
                and pixels is None:
            raise ValueError("issue types outlier, near_duplicate and exact_duplicate need features")
        if "leakage" in t and test_features is None:
            raise ValueError("issue type 'leakage' needs test_features")
        if "image" in t and pixels is None:
            raise ValueError("issue type 'image' needs pixels")
        return t

    def find_issues(self, *, pred_probs=None, features=None, knn_graph=None, issue_types=None,
                    test_features=None, pixels=None, n_jobs=None):
        """Finds the issues of the requested types (dict: type -> its arguments; None: label when
        pred_probs is given, outlier and near_duplicate when features are given).
        near_duplicate / outlier arguments: k, metric, threshold, as cleanlab's."""
        if knn_graph is not None:
            raise ValueError("knn_graph is not supported by labelaudit.Datalab: pass features")
        n = len(self.data)
        for what, a in (("pred_probs", pred_probs), ("features", features)):
            if a is not None and len(a) != n:
                raise ValueError(f"{what} has {len(a)} rows but the dataset has {n} examples")
        types = self._types(issue_types, features, pred_probs, test_features, pixels)
        order = [t for t in _CLEANLAB_TYPES + _OWN_TYPES if t in types]
        if "label" in types:
            self._find_label(pred_probs)
        c_types = [t for t in order if t != "label"]
        for group in self._knn_groups(c_types, types):
            self._find_checks(group, types, features, test_features, pixels, n_jobs)
        self.info["statistics"]["health_score"] = float(self.issue_summary["score"].mean())
        if self.verbosity:
            print(f"Finding {', '.join(order)} issues ...\n\nAudit complete. "
                  f"{int(self.issue_summary['num_issues'].sum())} issues found in the dataset.")

    @staticmethod
    def _knn_groups(c_types, types):
        """Runs of checks sharing one kNN graph (the same k and metric)."""
        groups = {}
        for t in c_types:
            key = (types[t].get("k", 10), types[t].get("metric"))
            if t == "near_duplicate" and "outlier" in types and key != (types["outlier"].get("k", 10),
                                                                         types["outlier"].get("metric")):
                key = key + ("nd",)
            groups.setdefault(key, []).append(t)
        return list(groups.values())

    def _find_checks(self, group, types, features, test_features, pixels, n_jobs):
        first = types[group[0]]
        nd_t = types.get("near_duplicate", {}).get("threshold", 0.13)
        od_t = types.get("outlier", {}).get("threshold", 0.37037)
        r = _checks.check_dataset(features, self._labels, test_features=test_features, pixels=pixels,
                                  issue_types=group, k=first.get("k", 10), near_duplicate_threshold=nd_t,
                                  outlier_threshold=od_t, metric=first.get("metric"), n_jobs=n_jobs)
        for t in group:
            getattr(self, "_take_" + t)(r, types[t])

    # ---- each type into issues / summary / info ---------------------------------

    def _put(self, name, is_issue, score, summary_score, info, extra=None):
        pd = _pd()
        cols = {f"is_{name}_issue": np.asarray(is_issue, dtype=bool), f"{name}_score": np.asarray(score)}
        cols.update(extra or {})
        self._columns[name] = list(cols)
        new = pd.DataFrame(cols, index=self.issues.index)
        self.issues = pd.concat([self.issues.drop(columns=[c for c in new.columns if c in self.issues.columns]),
                                 new], axis=1)
        row = pd.DataFrame({"issue_type": [name], "score": [float(summary_score)],
                            "num_issues": [int(np.sum(is_issue))]})
        kept = self.issue_summary[self.issue_summary["issue_type"] != name]
        self.issue_summary = pd.concat([kept, row], axis=0, ignore_index=True) if len(kept) else row
        self.info[name] = info

    def _find_label(self, pred_probs):
        from . import count, dataset, filter, rank
        labels = self._labels
        pred_probs = np.asarray(pred_probs)
        py, nm, inv, cj = count.estimate_py_and_noise_matrices_from_probabilities(labels, pred_probs)
        is_issue = filter.find_label_issues(labels, pred_probs, confident_joint=cj)
        score = rank.get_label_quality_scores(labels, pred_probs)
        health = dataset.overall_label_health_score(labels, pred_probs, verbose=False)
        names = np.array([self._label_map[i] for i in range(len(self._label_map))], dtype=object)
        pred = pred_probs.argmax(axis=1)
        info = {"given_label": names[labels], "predicted_label": names[pred], "py": py, "noise_matrix": nm,
                "inverse_noise_matrix": inv, "confident_joint": cj, "num_label_issues": int(is_issue.sum()),
                "average_label_quality": float(score.mean()),
                "confident_thresholds": count.get_confident_thresholds(labels, pred_probs)}
        self._put("label", is_issue, score, health, info)

    def _take_near_duplicate(self, r, kw):
        nd = r["near_duplicate"]
        info = {"metric": r["metric"], "k": r["k"], "threshold": kw.get("threshold", 0.13),
                "median_nn_distance": nd["median_nn_distance"], "near_duplicate_sets": nd["sets"],
                "distance_to_nearest_neighbor": r["knn_distance"][:, 0].copy(),
                "nearest_neighbor": r["knn_index"][:, 0].tolist(), "knn_index": r["knn_index"],
                "knn_distance": r["knn_distance"]}
        self._put("near_duplicate", nd["is_issue"], nd["score"], nd["score"].mean(), info)

    def _take_outlier(self, r, kw):
        od = r["outlier"]
        info = {"metric": r["metric"], "k": r["k"], "threshold": kw.get("threshold", 0.37037),
                "issue_threshold": od["issue_threshold"], "average_distance": od["avg_distance"],
                "nearest_neighbor": r["knn_index"][:, 0].tolist(), "distance_to_nearest_neighbor":
                r["knn_distance"][:, 0].copy()}
        self._put("outlier", od["is_issue"], od["score"], od["score"].mean(), info)

    def _by_example(self, r, name):
        """Per-example flags and scores of an issue type from the issue list:
        score 1 where the type did not flag the example."""
        n = len(self.data)
        flag, score = np.zeros(n, bool), np.ones(n)
        iss = r["issues"]
        m = iss["type"] == name
        flag[iss["index"][m]] = True
        score[iss["index"][m]] = iss["score"][m]
        return flag, score

    def _take_exact_duplicate(self, r, kw):
        groups = r["exact_duplicate"]["rows"] + r["exact_duplicate"]["files"]
        sets = [np.zeros(0, np.int64) for _ in range(len(self.data))]
        for members, _ in groups:
            for i in members:
                sets[i] = members[members != i]
        for name in ("exact_duplicate", "label_conflict"):
            flag, score = self._by_example(r, name)
            info = {"groups": [g.tolist() for g, c in groups if name == "exact_duplicate" or c]}
            extra = {"exact_duplicate_sets": sets} if name == "exact_duplicate" else None
            self._put(name, flag, score, score.mean(), info, extra)

    def _take_leakage(self, r, kw):
        pd = _pd()
        lk = r["leakage"]
        table = pd.DataFrame({"test_index": lk["test"], "train_index": lk["train"], "kind": lk["kind"],
                              "distance": lk["distance"], "leakage_score": lk["score"]})
        n_test = None if lk["test"].size == 0 else int(lk["test"].max()) + 1
        self.info["leakage"] = {"leaks": table, "num_leaked": int(lk["test"].size), "max_test_index": n_test}
        row = pd.DataFrame({"issue_type": ["leakage"], "score": [float(lk["score"].mean()) if lk["score"].size
                                                                  else 1.0], "num_issues": [int(lk["test"].size)]})
        kept = self.issue_summary[self.issue_summary["issue_type"] != "leakage"]
        self.issue_summary = pd.concat([kept, row], axis=0, ignore_index=True) if len(kept) else row

    def _take_image(self, r, kw):
        img = r["image"]
        for j, name in enumerate(img["defects"]):
            s = img["score"][:, j]
            if np.all(np.isnan(s)):
                continue
            s = np.where(np.isnan(s), 1.0, s)
            self._put(name, img["is_issue"][:, j], s, s.mean(), {"check": "image"})
        pairs = img["near_duplicate_pairs"]
        if pairs["a"].size or "near_duplicate" in r["ran"]:
            flag, score = self._by_example(r, "image_near_duplicate")
            self._put("image_near_duplicate", flag, score, score.mean(),
                      {"pairs": list(zip(pairs["a"].tolist(), pairs["b"].tolist(), pairs["correlation"].tolist()))})

    # ---- results -------------------------------------------------------------------

    def get_issues(self, issue_name=None):
        """Per-example DataFrame: every type's is_<type>_issue and <type>_score columns, or one
        type's columns (label adds given_label and predicted_label, near_duplicate adds
        near_duplicate_sets and distance_to_nearest_neighbor, as cleanlab does). "leakage" returns
        one row per leaked test example (test_index, train_index, kind, distance, leakage_score)."""
        if self.issues.empty:
            raise ValueError("No issues available for retrieval. Please check the following before using "
                             "`get_issues`:\n1. Ensure `find_issues` was executed.")
        if issue_name is None:
            return self.issues
        if issue_name == "leakage" and "leakage" in self.info:
            return self.info["leakage"]["leaks"]
        # by type, not cleanlab's substring match: "label" is not "label_conflict"
        columns = self._columns.get(issue_name, [])
        if not columns:
            raise ValueError(f"No columns found for issue type '{issue_name}'. Ensure `find_issues` has been "
                             "executed with this issue type.")
        out = self.issues[columns]
        info = self.info.get(issue_name, {})
        if issue_name == "label":
            out = out.assign(given_label=info["given_label"], predicted_label=info["predicted_label"])
        if issue_name == "near_duplicate":
            out = out.assign(near_duplicate_sets=info["near_duplicate_sets"],
                             distance_to_nearest_neighbor=info["distance_to_nearest_neighbor"])
        return out

    def get_issue_summary(self, issue_name=None):
        """DataFrame issue_type, score (the type's overall quality, lower = worse: the mean score,
        or the overall label health score for "label"), num_issues."""
        if self.issue_summary.empty:
            raise ValueError("No issues found in the dataset. Call `find_issues` before calling "
                             "`get_issue_summary`.")
        if issue_name is None:
            return self.issue_summary
        mask = self.issue_summary["issue_type"] == issue_name
        if not mask.any():
            raise ValueError(f"Issue type {issue_name} not found in the summary.")
        return self.issue_summary[mask].reset_index(drop=True)

    def get_info(self, issue_name=None):
        if issue_name is None:
            return self.info
        if issue_name not in self.info:
            raise ValueError(f"issue_name {issue_name} not found in self.info. These have not been computed "
                             "yet.")
        return self.info[issue_name]

    def report(self, num_examples=5):
        """Prints the summary and the worst examples of each type."""
        print(self.get_issue_summary().to_string(index=False))
        for t in self.issue_summary["issue_type"]:
            if t == "leakage":
                print(f"\n---- leakage ----\n{self.get_issues('leakage').head(num_examples).to_string()}")
                continue
            df = self.get_issues(t)
            worst = df[df[f"is_{t}_issue"]].sort_values(f"{t}_score").head(num_examples)
            print(f"\n---- {t}: {int(df[f'is_{t}_issue'].sum())} issues ----\n{worst.to_string()}")
