"""la_cleanlab_plugin.py — a pytest plugin that substitutes labelaudit's
functions for cleanlab's before cleanlab's own test modules import them, so
cleanlab 2.9.0's test suite measures labelaudit (run_cleanlab_tests.sh).

Every public function that labelaudit.{filter,count,rank,dataset} and
labelaudit.multilabel_classification.{filter,rank,dataset} define
under a cleanlab name replaces the original in every loaded cleanlab module
that holds it (so `from cleanlab.filter import find_label_issues` in a test,
and cleanlab.classification's internal calls, both get labelaudit's).
LA_SUBSTITUTE=0 disables the substitution (the plain-cleanlab baseline).
The substituted names are listed in the pytest header.
"""
import inspect
import os
import sys

SUBSTITUTED = []


def _substitute():
    import importlib
    import labelaudit
    mods = ["cleanlab.filter", "cleanlab.count", "cleanlab.rank", "cleanlab.dataset", "cleanlab.classification",
            "cleanlab.multilabel_classification.filter", "cleanlab.multilabel_classification.rank",
            "cleanlab.multilabel_classification.dataset", "cleanlab.internal.multilabel_scorer",
            "cleanlab.experimental.label_issues_batched", "cleanlab.benchmarking.noise_generation"]
    for m in mods:
        try:
            importlib.import_module(m)
        except Exception:  # an optional module
            pass
    pairs = []
    for name in ("filter", "count", "rank", "dataset", "multilabel_classification.filter",
                 "multilabel_classification.rank", "multilabel_classification.dataset"):
        ours = importlib.import_module("labelaudit." + name)
        theirs = sys.modules["cleanlab." + name]
        for attr, fn in vars(ours).items():
            if attr.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != ours.__name__:
                continue
            orig = getattr(theirs, attr, None)
            if inspect.isfunction(orig):
                pairs.append((orig, fn, f"cleanlab.{name}.{attr}"))
    for orig, fn, label in pairs:
        for mname, mod in list(sys.modules.items()):
            if not mname.startswith("cleanlab") or mod is None:
                continue
            for attr, val in list(vars(mod).items()):
                if val is orig:
                    setattr(mod, attr, fn)
        SUBSTITUTED.append(label)


if os.environ.get("LA_SUBSTITUTE", "1") != "0":
    _substitute()


def pytest_report_header(config):
    if not SUBSTITUTED:
        return "labelaudit: no substitution (plain cleanlab)"
    return f"labelaudit: {len(SUBSTITUTED)} cleanlab functions substituted: " + ", ".join(SUBSTITUTED)


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(pytest_report_header(None))
