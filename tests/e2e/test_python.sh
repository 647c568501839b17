#!/bin/sh
# test_python.sh — the Python package (python/labelaudit over the shared
# library of LA_BUILD) under Debian's python3 + pytest: tests/python/test_*.py,
# one PASS/FAIL line per pytest case. Skipped with the reason when python3,
# numpy or pytest is absent, or under sanitizers (an ASan library cannot be
# loaded into an uninstrumented interpreter).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=${LA_PYTHON:-/usr/bin/python3}
skip() { echo "SKIP python tests: $1"; exit 0; }
[ -n "${LA_SANITIZED:-}" ] && skip "sanitized build (liblabelaudit.so is instrumented)"
[ -x "$PY" ] || skip "$PY not found (apt-get install python3)"
"$PY" -c "import numpy" 2>/dev/null || skip "numpy missing (apt-get install python3-numpy)"
"$PY" -c "import pytest" 2>/dev/null || skip "pytest missing (apt-get install python3-pytest)"
so="$LA_BUILD/liblabelaudit.so"
[ -f "$so" ] || { echo "FAIL python: $so not built (make lib)"; exit 0; }
log=$(mktemp); trap 'rm -f "$log"' EXIT
cd "$root"
LABELAUDIT_LIB="$so" PYTHONPATH="$root/python" "$PY" -m pytest -p no:cacheprovider -q -rA tests/python \
    >"$log" 2>&1
rc=$?
sed -n 's/^PASSED \(.*\)/PASS python \1/p; s/^SKIPPED \(.*\)/SKIP python \1/p' "$log"
sed -n 's/^FAILED \(.*\)/FAIL python \1/p; s/^ERROR \(.*\)/FAIL python \1/p' "$log"
if [ "$rc" -ne 0 ] && ! grep -q '^FAILED\|^ERROR' "$log"; then cat "$log"; echo "FAIL python: pytest exited $rc"; fi
[ "$rc" -ne 0 ] && tail -40 "$log"

# pip install ./python offline with Debian's pip and setuptools (no index, no
# build isolation), from a copy of the package with this build's library, into
# a target directory; then import it from elsewhere, without the source tree
# on the path or LABELAUDIT_LIB.
if "$PY" -m pip --version >/dev/null 2>&1 && "$PY" -c "import setuptools" 2>/dev/null; then
    t=$(mktemp -d); trap 'rm -f "$log"; rm -rf "$t"' EXIT
    cp -r "$root/python" "$t/src" && rm -rf "$t/src/build" "$t/src"/*.egg-info && cp "$so" "$t/src/labelaudit/"
    if "$PY" -m pip install --no-index --no-build-isolation --no-deps --quiet --target "$t/site" "$t/src" \
        >"$log" 2>&1; then
        echo "PASS python: pip install ./python offline (Debian setuptools)"
    else
        echo "FAIL python: pip install ./python offline: $(tail -3 "$log")"
    fi
    cat > "$t/use.py" <<'PYEOF'
import os, numpy as np
import labelaudit, labelaudit.multilabel_classification as ml
from labelaudit.filter import find_label_issues
assert labelaudit.__file__.startswith(os.environ["PYTHONPATH"]), labelaudit.__file__
rng = np.random.default_rng(0)
p = rng.dirichlet(np.ones(3), 300); y = p.argmax(1); y[:10] = (y[:10] + 1) % 3
print("flagged", int(find_label_issues(y, p).sum()))
print("ml", ml.rank.get_label_quality_scores([[int(c)] for c in y], p).shape)
lab = labelaudit.Datalab({"y": y}, label_name="y", verbosity=0)
lab.find_issues(pred_probs=p, features=rng.normal(size=(300, 4)))
print("datalab", list(lab.get_issue_summary()["issue_type"]))
PYEOF
    if (cd "$t" && env -u LABELAUDIT_LIB PYTHONPATH="$t/site" "$PY" use.py >"$log" 2>&1) &&
        grep -q "^datalab \['label', 'outlier', 'near_duplicate'\]" "$log" && grep -q "^ml (300,)" "$log"; then
        echo "PASS python: the installed package imports and runs (filter, multilabel, Datalab)"
    else
        echo "FAIL python: the installed package: $(tail -5 "$log")"
    fi
else
    echo "SKIP python: pip install test (python3-pip or python3-setuptools missing)"
fi
exit 0
