#!/bin/sh
# run.sh — `make bench`: runs every bench/bench_*.sh in name order. Each script
# prints its own figures; a failing script is reported and the others still run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
status=0
export REBALANCE_QUICK="${REBALANCE_QUICK:-1}"   # bench_rebalance.sh: the short case (0 = issue 19's full tables)
for b in "$here"/bench_*.sh; do
    [ -f "$b" ] || continue
    echo "== $(basename "$b")"
    sh "$b" || { echo "FAILED: $(basename "$b")"; status=1; }
done
exit $status
