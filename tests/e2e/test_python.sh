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
exit 0
