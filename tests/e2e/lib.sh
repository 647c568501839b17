# lib.sh — sourced by every end-to-end script. Each check prints one line,
# "PASS name" or "FAIL name: why"; tests/run.sh counts them.
#
#   la ARGS...            runs the binary (under valgrind when LA_VALGRIND=1,
#                         every LA_VALGRIND_EVERY-th call only when that is set),
#                         stdout in $OUT, stderr in $ERR, status in $RC
#   expect_rc N name      checks $RC
#   expect_err RE name    checks stderr matches the extended regex RE
#   expect_out RE name    checks stdout matches RE
#   expect_file F name    checks F exists and is not empty
#   check name CMD...     passes when CMD succeeds
#   need_python MOD...    sets PY (Debian's python3) or skips the script, with
#                         a SKIP line, when it lacks one of the modules
set -u
: "${LA_BIN:?}"
SHARED="${LA_SHARED:-../shared}"
DATA="$SHARED/data"
GOLDEN="$SHARED/golden"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/la-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
OUT="$TMP/.stdout"; ERR="$TMP/.stderr"; RC=0

LA_CALLS=$((${LA_VALGRIND_EVERY:-1} - 1))   # so the first call is always checked
la() {
    # LA_VALGRIND_EVERY=N: only every Nth call runs under valgrind (the rest
    # natively), so `make valgrind` covers every script in bounded time.
    LA_CALLS=$((LA_CALLS + 1))
    if [ "${LA_VALGRIND:-0}" = 1 ] && [ $((LA_CALLS % ${LA_VALGRIND_EVERY:-1})) = 0 ]; then
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            "$LA_BIN" "$@" >"$OUT" 2>"$ERR"
    else
        "$LA_BIN" "$@" >"$OUT" 2>"$ERR"
    fi
    RC=$?
    if [ "$RC" = 99 ]; then echo "FAIL valgrind: labelaudit $*"; sed 's/^/  /' "$ERR" | head -40; fi
    return 0
}
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
expect_rc() {
    if [ "$RC" = "$1" ]; then pass "$2"; else fail "$2" "exit $RC, expected $1; stderr: $(head -c 600 "$ERR")"; fi
}
expect_err() {
    if grep -Eq -- "$1" "$ERR"; then pass "$2"; else fail "$2" "stderr does not match /$1/: $(head -c 600 "$ERR")"; fi
}
expect_out() {
    if grep -Eq -- "$1" "$OUT"; then pass "$2"; else fail "$2" "stdout does not match /$1/: $(head -c 600 "$OUT")"; fi
}
expect_file() {
    if [ -s "$1" ]; then pass "$2"; else fail "$2" "missing or empty file $1"; fi
}
check() {
    name=$1; shift
    if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name" "command failed: $*"; fi
}
need_python() {
    PY=/usr/bin/python3
    if ! [ -x "$PY" ] || ! "$PY" -c "import $(echo "$@" | tr ' ' ,)" 2>/dev/null; then
        echo "SKIP $(basename "$0" .sh): $PY lacks one of: $* (apt-get install $(printf 'python3-%s ' "$@"))"
        exit 0
    fi
}
