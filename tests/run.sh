#!/bin/sh
# run.sh [unit|e2e] — runs the cmocka unit test binaries and the end-to-end
# scripts, and closes with one line "N passed, N failed" (every cmocka case and
# every e2e check counts once). Exit status 1 when anything failed.
#
# Environment: LA_BIN (binary under test), LA_BUILD (build dir with tests/),
# LA_VALGRIND=1 runs the binary under valgrind memcheck in e2e scripts.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${LA_BIN:?LA_BIN must name the labelaudit binary}"
: "${LA_BUILD:?LA_BUILD must name the build directory}"
export LA_BIN LA_BUILD
export LA_SHARED="${LA_SHARED:-$(cd "$here/../.." && pwd)/shared}"
what="${1:-all}"
passed=0; failed=0; failures=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ "$what" != e2e ]; then
    for t in "$LA_BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        t0=$(date +%s)
        (cd "$here/.." && "$t") >"$log" 2>&1
        rc=$?
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$f" -gt 0 ]; then
            cat "$log"; failures="$failures $name"
        fi
        echo "unit  $name: $p passed, $f failed ($(( $(date +%s) - t0 )) s)"
    done
fi

if [ "$what" != unit ]; then
    for s in "$here"/e2e/test_*.sh; do
        [ -f "$s" ] || continue
        name=$(basename "$s" .sh)
        t0=$(date +%s)
        (cd "$here/.." && sh "$s") >"$log" 2>&1
        rc=$?
        p=$(grep -c '^PASS ' "$log")
        f=$(grep -c '^FAIL ' "$log")
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $name exited $rc" >>"$log"; fi
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$f" -gt 0 ]; then
            grep -v '^PASS ' "$log"; failures="$failures $name"
        fi
        echo "e2e   $name: $p passed, $f failed ($(( $(date +%s) - t0 )) s)"
    done
fi

[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
