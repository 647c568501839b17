#!/bin/sh
# bench_cleanlab.sh — labelaudit's near_duplicate + outlier checks side by side
# with cleanlab 2.9.0's issue managers (bench/cl_checks.py) on the same
# features: CPU seconds (user + sys), wall time and peak RSS from
# /usr/bin/time -v, and whether both flag the same rows.
#   1. Fashion-MNIST train pixels / 255 as float32 (the features labelaudit
#      uses for the IDX file), the first N_FM rows (default 10000; 60000 = all;
#      0 skips it);
#   2. N_EMBED x 128 float32 embeddings from bench/gen_embed.c (default 20000;
#      the documented figures used 100000 and 200000).
# Sizes are the knob: the cost of both grows as N^2 D, so the defaults take a
# few minutes, N_FM=60000 N_EMBED=100000 about 7 minutes on a 2-core VM.
# Needs CLEANLAB_SRC (a cleanlab 2.9.0 source tree) or an installed cleanlab,
# /usr/bin/python3 with numpy/scipy/sklearn/pandas, ../shared (LA_SHARED).
# Not part of `make test`; `make bench` calls it with the defaults.
set -u
here=$(cd "$(dirname "$0")" && pwd)
LA="${LA_BIN:-./labelaudit}"
PY="${PYTHON:-/usr/bin/python3}"
SHARED="${LA_SHARED:-../shared}"
FM="$SHARED/data/fashion-mnist/train-images-idx3-ubyte.gz"
N_FM="${N_FM:-10000}"
N_EMBED="${N_EMBED:-20000}"
THREADS="${THREADS:-$(nproc)}"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/la-bench-cl.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
if [ ! -x /usr/bin/time ]; then echo "bench_cleanlab: /usr/bin/time missing (apt-get install time)"; exit 0; fi
if ! PYTHONPATH="${CLEANLAB_SRC:-}" "$PY" -c "import cleanlab.datalab.internal.issue_manager.outlier" 2>/dev/null; then
    echo "bench_cleanlab: cleanlab not importable (set CLEANLAB_SRC to a 2.9.0 source tree): skipped"; exit 0
fi
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

timed() { # label, then the command; prints cpu/wall/rss from /usr/bin/time -v
    label=$1; shift
    /usr/bin/time -v "$@" 2>"$TMPD/time" >"$TMPD/stdout"
    rc=$?
    wall=$(grep 'Elapsed (wall' "$TMPD/time" | sed 's/.*: //')
    rss=$(grep 'Maximum resident' "$TMPD/time" | sed 's/.*: //')
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$TMPD/time")
    printf '%-40s exit %s  cpu %7s s  wall %8s  peak RSS %5d MB\n' "$label" "$rc" "$cpu" "$wall" $((rss / 1024))
}

same() { # labelaudit dir, cleanlab dir: do the flags agree row for row?
    for t in near_duplicate outlier; do
        "$PY" - "$1/$t.csv" "$2/$t.csv" "$t" <<'PYEOF'
import sys, csv
la = [int(r["is_%s_issue" % sys.argv[3]]) for r in csv.DictReader(open(sys.argv[1]))]
cl = [int(r["is_%s_issue" % sys.argv[3]]) for r in csv.DictReader(open(sys.argv[2]))]
diff = sum(a != b for a, b in zip(la, cl)) + abs(len(la) - len(cl))
print("  %-15s labelaudit flags %6d, cleanlab %6d, rows that differ: %d"
      % (sys.argv[3], sum(la), sum(cl), diff))
PYEOF
    done
}

compare() { # label, features.npy
    timed "labelaudit $1" "$LA" audit --features "$2" --issues near_duplicate,outlier \
        --threads "$THREADS" --quiet --out "$TMPD/la"
    timed "cleanlab 2.9.0 $1" env PYTHONPATH="${CLEANLAB_SRC:-}" "$PY" "$here/cl_checks.py" "$2" "$TMPD/cl"
    sed 's/^/  /' "$TMPD/stdout"
    same "$TMPD/la" "$TMPD/cl"
}

if [ "$N_FM" -gt 0 ] && [ -f "$FM" ]; then
    "$PY" - "$FM" "$N_FM" "$TMPD/fm.npy" <<'PYEOF'
import gzip, sys, numpy as np
raw = gzip.open(sys.argv[1]).read()
n = min(int(sys.argv[2]), int.from_bytes(raw[4:8], "big"))
x = np.frombuffer(raw, np.uint8, n * 784, 16).reshape(n, 784)
np.save(sys.argv[3], (x / np.float32(255)).astype(np.float32))
PYEOF
    compare "fashion-mnist ${N_FM}x784" "$TMPD/fm.npy"
    rm -f "$TMPD/fm.npy"
elif [ "$N_FM" -gt 0 ]; then
    echo "bench_cleanlab: no $FM, Fashion-MNIST skipped"
fi

cc -O2 -o "$TMPD/gen_embed" "$here/gen_embed.c" -lm || exit 1
"$TMPD/gen_embed" "$TMPD/emb.npy" "$N_EMBED" 128 >/dev/null
compare "embeddings ${N_EMBED}x128 f32" "$TMPD/emb.npy"
