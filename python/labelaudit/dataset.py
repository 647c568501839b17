"""dataset.py — cleanlab 2.9.0's cleanlab.dataset on the C core: classes
ranked by label quality, overlapping classes, the overall label health score
and the health summary (the joint, the per-class table and the overlap table
in C; the DataFrames and printing here). Needs pandas for the DataFrames.
"""
import numpy as np

from . import _lib
from ._lib import LaError, check, ptr
from .count import estimate_joint, num_label_issues

EPSILON = 1e-6


def _get_num_examples(labels=None, confident_joint=None):
    if labels is None and confident_joint is None:
        raise ValueError(
            "Error: num_examples is None. You must either provide confident_joint, "
            "or provide both num_example and joint as input parameters.")
    return len(labels) if labels is not None else int(np.sum(confident_joint))


def _multilabel(name):
    raise ValueError(name)


def rank_classes_by_label_quality(labels=None, pred_probs=None, *, class_names=None, num_examples=None, joint=None,
                                  confident_joint=None, multi_label=False):
    import pandas as pd
    if multi_label:
        raise ValueError("For multilabel data, please instead call:  "
                         "multilabel_classification.dataset.overall_multilabel_health_score()")
    if joint is None:
        joint = estimate_joint(labels=labels, pred_probs=pred_probs, confident_joint=confident_joint)
    if num_examples is None:
        num_examples = _get_num_examples(labels=labels)
    j = np.ascontiguousarray(joint, dtype=np.float64)
    k = len(j)
    rows = np.empty((k, 6))
    err = LaError()
    check(_lib.lib.la_cl_class_quality(ptr(j), k, int(num_examples), ptr(rows), err), err)
    df = pd.DataFrame({
        "Class Index": rows[:, 0].astype(int),
        "Label Issues": rows[:, 1].astype(int),
        "Inverse Label Issues": rows[:, 2].astype(int),
        "Label Noise": rows[:, 3],
        "Inverse Label Noise": rows[:, 4],
        "Label Quality Score": rows[:, 5],
    })
    if class_names is not None:
        df.insert(loc=0, column="Class Name", value=[class_names[c] for c in rows[:, 0].astype(int)])
    return df


def find_overlapping_classes(labels=None, pred_probs=None, *, asymmetric=False, class_names=None,
                             num_examples=None, joint=None, confident_joint=None, multi_label=False):
    import pandas as pd
    if multi_label:
        raise ValueError("For multilabel data, please instead call: "
                         "multilabel_classification.dataset.common_multilabel_issues()")
    if joint is None:
        joint = estimate_joint(labels=labels, pred_probs=pred_probs, confident_joint=confident_joint)
    if num_examples is None:
        num_examples = _get_num_examples(labels=labels, confident_joint=confident_joint)
    j = np.ascontiguousarray(joint, dtype=np.float64)
    k = len(j)
    if asymmetric:
        # every ordered pair: a DataFrame sort of k(k-1) joint entries (no C table for it)
        rcv = [(a, b, j[a, b]) for a in range(k) for b in range(k) if a != b]
        df = pd.DataFrame(rcv, columns=["Class Index A", "Class Index B", "Joint Probability"])
        df.insert(loc=2, column="Num Overlapping Examples",
                  value=(df["Joint Probability"] * num_examples).round().astype(int))
        df = df.sort_values(by="Joint Probability", ascending=False).reset_index(drop=True)
    else:
        m = k * (k - 1) // 2
        rows = np.empty((m, 4))
        err = LaError()
        check(_lib.lib.la_cl_overlapping_classes(ptr(j), k, int(num_examples), ptr(rows), err), err)
        df = pd.DataFrame({"Class Index A": rows[:, 0].astype(int), "Class Index B": rows[:, 1].astype(int),
                           "Num Overlapping Examples": rows[:, 2].astype(int), "Joint Probability": rows[:, 3]})
    if class_names is not None:
        df.insert(loc=0, column="Class Name A", value=df["Class Index A"].apply(lambda x: class_names[x]))
        df.insert(loc=1, column="Class Name B", value=df["Class Index B"].apply(lambda x: class_names[x]))
    return df


def overall_label_health_score(labels=None, pred_probs=None, *, num_examples=None, confident_joint=None, joint=None,
                               multi_label=False, verbose=True):
    if multi_label:
        raise ValueError("For multilabel data, please instead call: "
                         "multilabel_classification.dataset.overall_multilabel_health_score()")
    if num_examples is None:
        num_examples = _get_num_examples(labels=labels, confident_joint=confident_joint)
    if pred_probs is None or labels is None:
        if joint is None:
            joint = estimate_joint(labels=labels, pred_probs=pred_probs, confident_joint=confident_joint)
        joint_trace = joint.trace()
        num_issues = (num_examples * (1 - joint_trace)).round().astype(int)
        health_score = joint_trace
    else:
        num_issues = num_label_issues(labels=labels, pred_probs=pred_probs, confident_joint=confident_joint)
        health_score = 1 - num_issues / num_examples
    if verbose:
        print(f" * Overall, about {(1 - health_score):.0%} ({num_issues:,} of the {num_examples:,}) "
              f"labels in your dataset have potential issues.\n"
              f" ** The overall label health score for this dataset is: {health_score:.2f}.")
    return health_score


def _display(df):
    try:
        from IPython.display import display
        display(df)
    except ImportError:
        print(df)


def health_summary(labels=None, pred_probs=None, *, asymmetric=False, class_names=None, num_examples=None,
                   joint=None, confident_joint=None, multi_label=False, verbose=True):
    if multi_label:
        raise ValueError("For multilabel data, please call multilabel_classification.dataset.health_summary")
    if joint is None:
        joint = estimate_joint(labels=labels, pred_probs=pred_probs, confident_joint=confident_joint)
    if num_examples is None:
        num_examples = _get_num_examples(labels=labels)
    if verbose:
        longest_line = f"|   for your dataset with {num_examples:,} examples and {len(joint):,} classes.  |\n"
        print("-" * (len(longest_line) - 1) + "\n"
              + f"|  Generating a Cleanlab Dataset Health Summary{' ' * (len(longest_line) - 49)}|\n"
              + longest_line
              + f"|  Note, Cleanlab is not a medical doctor... yet.{' ' * (len(longest_line) - 51)}|\n"
              + "-" * (len(longest_line) - 1) + "\n")
    df_q = rank_classes_by_label_quality(labels=labels, pred_probs=pred_probs, class_names=class_names,
                                         num_examples=num_examples, joint=joint, confident_joint=confident_joint)
    if verbose:
        print("Overall Class Quality and Noise across your dataset (below)")
        print("-" * 60, "\n", flush=True)
        _display(df_q)
    df_o = find_overlapping_classes(labels=labels, pred_probs=pred_probs, asymmetric=asymmetric,
                                    class_names=class_names, num_examples=num_examples, joint=joint,
                                    confident_joint=confident_joint)
    if verbose:
        print("\nClass Overlap. In some cases, you may want to merge classes in the top rows (below)\n"
              + "-" * 83 + "\n", flush=True)
        _display(df_o)
        print()
    health_score = overall_label_health_score(labels=labels, pred_probs=pred_probs, num_examples=num_examples,
                                              confident_joint=confident_joint, verbose=verbose)
    if verbose:
        print("\nGenerated with <3 from Cleanlab.\n")
    return {"overall_label_health_score": health_score, "joint": joint, "classes_by_label_quality": df_q,
            "overlapping_classes": df_o}
