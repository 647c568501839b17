"""multilabel_classification/dataset.py — cleanlab 2.9.0's
multilabel_classification.dataset: common_multilabel_issues,
rank_classes_by_multilabel_quality, overall_multilabel_health_score,
multilabel_health_summary over the per-class masks computed in C."""
from collections import defaultdict

import numpy as np

from .. import _ml_core
from .filter import find_label_issues


def _get_num_examples_multilabel(labels=None, confident_joint=None):
    if labels is None and confident_joint is None:
        raise ValueError("Error: num_examples is None. You must either provide confident_joint, or provide both "
                         "num_example and joint as input parameters.")
    return len(labels) if labels is not None else int(np.sum(confident_joint[0]))


def common_multilabel_issues(labels=list, pred_probs=None, *, class_names=None, confident_joint=None):
    import pandas as pd
    num_examples = _get_num_examples_multilabel(labels=labels, confident_joint=confident_joint)
    issues, y_one = _ml_core.per_class_issues(labels, pred_probs, confident_joint=confident_joint)
    summary = defaultdict(list)
    for c in range(y_one.shape[1]):
        label, iss = y_one[:, c], issues[:, c]
        for given, count in ((True, int(np.logical_and(label == 1, iss).sum())),
                             (False, int(np.logical_and(label == 0, iss).sum()))):
            if class_names is not None:
                summary["Class Name"].append(class_names[c])
            summary["Class Index"].append(c)
            summary["In Given Label"].append(given)
            summary["In Suggested Label"].append(not given)
            summary["Num Examples"].append(count)
            summary["Issue Probability"].append(count / num_examples)
    return pd.DataFrame.from_dict(summary).sort_values(by=["Issue Probability"], ascending=False).reset_index(drop=True)


def rank_classes_by_multilabel_quality(labels=None, pred_probs=None, *, class_names=None, joint=None,
                                       confident_joint=None):
    import pandas as pd
    issues_df = common_multilabel_issues(labels=labels, pred_probs=pred_probs, class_names=class_names,
                                         confident_joint=joint)
    num_examples = _get_num_examples_multilabel(labels=labels, confident_joint=confident_joint)
    cols = ["Class Name", "Class Index", "Label Issues", "Inverse Label Issues", "Label Noise",
            "Inverse Label Noise", "Label Quality Score"]
    if class_names is None:
        cols = cols[1:]
    d = defaultdict(defaultdict)
    for _, row in issues_df.iterrows():
        c = row["Class Index"]
        if class_names is not None:
            d[c]["Class Name"] = row["Class Name"]
        if row["In Given Label"]:
            d[c]["Label Issues"] = int(row["Issue Probability"] * num_examples)
            d[c]["Label Noise"] = row["Issue Probability"]
            d[c]["Label Quality Score"] = 1 - d[c]["Label Noise"]
        else:
            d[c]["Inverse Label Issues"] = int(row["Issue Probability"] * num_examples)
            d[c]["Inverse Label Noise"] = row["Issue Probability"]
    out = defaultdict(list)
    for c in d:
        out["Class Index"].append(c)
        for key in d[c]:
            out[key].append(d[c][key])
    return pd.DataFrame.from_dict(out).sort_values(by="Label Quality Score", ascending=True).reset_index(drop=True)[cols]


def overall_multilabel_health_score(labels=None, pred_probs=None, *, confident_joint=None):
    num_examples = _get_num_examples_multilabel(labels=labels)
    issues = find_label_issues(labels=labels, pred_probs=pred_probs, confident_joint=confident_joint)
    return 1.0 - sum(issues) / num_examples


def multilabel_health_summary(labels=None, pred_probs=None, *, class_names=None, num_examples=None,
                              confident_joint=None, verbose=True):
    from ..dataset import _display
    if num_examples is None:
        num_examples = _get_num_examples_multilabel(labels=labels)
    if verbose:
        longest_line = f"|   for your dataset with {num_examples:,} examples "
        print("-" * (len(longest_line) - 1) + "\n"
              + f"|  Generating a Cleanlab Dataset Health Summary{' ' * (len(longest_line) - 49)}|\n"
              + longest_line
              + f"|  Note, Cleanlab is not a medical doctor... yet.{' ' * (len(longest_line) - 51)}|\n"
              + "-" * (len(longest_line) - 1) + "\n")
    df_q = rank_classes_by_multilabel_quality(labels=labels, pred_probs=pred_probs, class_names=class_names,
                                              confident_joint=confident_joint)
    if verbose:
        print("Overall Class Quality and Noise across your dataset (below)")
        print("-" * 60, "\n", flush=True)
        _display(df_q)
    df_c = common_multilabel_issues(labels=labels, pred_probs=pred_probs, class_names=class_names,
                                    confident_joint=confident_joint)
    if verbose:
        print("\nCommon multilabel issues are" + "\n" + "-" * 83 + "\n", flush=True)
        _display(df_c)
        print()
    health = overall_multilabel_health_score(labels=labels, pred_probs=pred_probs, confident_joint=confident_joint)
    if verbose:
        print("\nGenerated with <3 from Cleanlab.\n")
    return {"overall_multilabel_health_score": health, "classes_by_multilabel_quality": df_q,
            "common_multilabel_issues": df_c}
