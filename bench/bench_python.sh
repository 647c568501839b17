#!/bin/sh
# bench_python.sh — the Python package in-process against cleanlab 2.9.0 on
# the same arrays: find_label_issues + get_label_quality_scores (default
# arguments) on N x K float32 (1,000,000 x 100 unless LA_BENCH_PY_N /
# LA_BENCH_PY_K), median of LA_BENCH_REPS (3) runs each, peak RSS above the
# input, the speed-up (wall and CPU seconds), and whether both flagged the same examples. Each side
# runs in its own process (bench_python.py). cleanlab is imported from
# CLEANLAB_SRC (a v2.9.0 source tree) or the environment; without it only
# labelaudit is timed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PY=/usr/bin/python3
n=${LA_BENCH_PY_N:-1000000}
k=${LA_BENCH_PY_K:-100}
reps=${LA_BENCH_REPS:-3}
$PY -c "import numpy" 2>/dev/null || { echo "bench_python: skipped (no numpy for $PY)"; exit 0; }
[ -f "$root/build/liblabelaudit.so" ] || make -C "$root" lib >/dev/null || exit 1
export LABELAUDIT_LIB="$root/build/liblabelaudit.so"
la=$(PYTHONPATH="$root/python" $PY "$here/bench_python.py" labelaudit "$n" "$k" "$reps") || exit 1
echo "$la"
cl=""
if PYTHONPATH="${CLEANLAB_SRC:-}" $PY -c "import cleanlab" 2>/dev/null; then
    cl=$(PYTHONPATH="${CLEANLAB_SRC:-}" $PY "$here/bench_python.py" cleanlab "$n" "$k" "$reps") || exit 1
    echo "$cl"
else
    echo "bench_python: cleanlab not importable (set CLEANLAB_SRC): labelaudit timed alone"
fi
LA="$la" CL="$cl" $PY - <<'PYEOF'
import json, os
la = json.loads(os.environ["LA"])
cl = json.loads(os.environ["CL"]) if os.environ["CL"] else None
print(f"python  {la['n']} x {la['k']} float32: labelaudit {la['median_s']:.3f} s median ({la['median_cpu_s']:.2f} CPU s), "
      f"peak RSS +{la['peak_rss_mb_above_input']} MB over the {la['input_mb']} MB input")
if cl:
    print(f"python  cleanlab 2.9.0 {cl['median_s']:.3f} s median ({cl['median_cpu_s']:.2f} CPU s), peak RSS +{cl['peak_rss_mb_above_input']} MB "
          f"(pool children peak {cl['children_peak_rss_mb']} MB); speed-up {cl['median_s'] / la['median_s']:.1f}x "
          f"(CPU {cl['median_cpu_s'] / la['median_cpu_s']:.1f}x); "
          f"same issues: {la['issues_sha1'] == cl['issues_sha1']} ({la['num_issues']} vs {cl['num_issues']})")
PYEOF
