#!/bin/sh
# bench_checks.sh — the dataset checks at scale: wall time and peak RSS
# (/usr/bin/time -v) of `labelaudit audit` without --pred-probs on
#   1. Fashion-MNIST train, 60,000 x 784 pixels (IDX): every check (the
#      kNN for near_duplicate/outlier, exact duplicates, image defects and the
#      shift-tolerant image near duplicates);
#   2. 1,000,000 x 128 float32 embeddings (bench/gen_embed.c, generated once
#      into $TMPDIR, 512 MB): near_duplicate, outlier, exact_duplicate.
#      Brute-force kNN is N^2 D = 1.3e14 multiply-adds: tens of minutes on two
#      cores. N_EMBED=200000 runs a smaller one (the cost grows as N^2).
# Not part of `make test`. Needs ../shared (LA_SHARED) for Fashion-MNIST.
set -u
LA="${LA_BIN:-./labelaudit}"
SHARED="${LA_SHARED:-../shared}"
FM="$SHARED/data/fashion-mnist/train-images-idx3-ubyte.gz"
N_EMBED="${N_EMBED:-1000000}"
THREADS="${THREADS:-$(nproc)}"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/la-bench-checks.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
if [ ! -x /usr/bin/time ]; then echo "bench_checks: /usr/bin/time missing (apt-get install time)"; exit 0; fi

run() { # label, then the audit arguments
    label=$1; shift
    /usr/bin/time -v "$LA" audit "$@" --threads "$THREADS" --quiet 2>"$TMPD/time" >/dev/null
    rc=$?
    wall=$(grep 'Elapsed (wall' "$TMPD/time" | sed 's/.*: //')
    rss=$(grep 'Maximum resident' "$TMPD/time" | sed 's/.*: //')
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$TMPD/time")
    # CPU seconds as well as wall: on a shared machine the wall time depends on the load
    printf '%-44s exit %s  wall %s  cpu %s s  peak RSS %d MB\n' "$label" "$rc" "$wall" "$cpu" $((rss / 1024))
}

if [ -f "$FM" ]; then
    run "fashion-mnist 60000x784, every check" --data "$FM" --out "$TMPD/fm"
    grep -A15 '"counts"' "$TMPD/fm/summary.json" | grep -v ': 0' | tr -d '\n '; echo
    run "fashion-mnist 60000x784, near_duplicate+outlier" --data "$FM" --issues near_duplicate,outlier --out "$TMPD/fm2"
else
    echo "bench_checks: no $FM, Fashion-MNIST skipped"
fi

cc -O2 -o "$TMPD/gen_embed" "$(dirname "$0")/gen_embed.c" -lm || exit 1
"$TMPD/gen_embed" "$TMPD/emb.npy" "$N_EMBED" 128
run "embeddings ${N_EMBED}x128 float32" --features "$TMPD/emb.npy" \
    --issues near_duplicate,outlier,exact_duplicate --out "$TMPD/emb"
grep -A15 '"counts"' "$TMPD/emb/summary.json" | grep -v ': 0' | tr -d '\n '; echo
