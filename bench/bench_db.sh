#!/bin/sh
# bench_db.sh — writing an audit run to SQLite: db_record_audit of N examples
# (K = 10, 5% flagged into the review queue, string ids) in one transaction
# with one reused prepared statement, then, after 1000 decisions, a second
# run of the same dataset (the carry-over path). Prints wall and CPU seconds
# per step (CPU time is the figure to trust on a loaded machine) and the
# database size. Uses the test_db binary's --bench mode (make units).
set -u
BUILD="${LA_BUILD:-build}"
BIN="$BUILD/tests/test_db"
[ -x "$BIN" ] || make -s "$BIN" >/dev/null || { echo "bench_db: cannot build $BIN"; exit 1; }
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/la-bench-db.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
printf '%10s %14s %14s %20s %20s %7s\n' examples "write wall s" "write cpu s" "re-audit wall s" "re-audit cpu s" "db MB"
for n in ${SIZES:-100000 1000000}; do
    out=$(nice "$BIN" --bench "$n" "$TMPD/b$n.db") || { echo "bench_db: failed at N=$n"; exit 1; }
    set -- $out
    printf '%10s %14s %14s %20s %20s %7s\n' "$1" "$2" "$3" "$4" "$5" "$6"
    rm -f "$TMPD/b$n.db"*
done
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null), $(nproc 2>/dev/null) CPUs)"
