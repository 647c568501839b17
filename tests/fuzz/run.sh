#!/bin/sh
# run.sh [SECONDS] [TARGET...] — builds the libFuzzer targets (tests/fuzz/fuzz_*.c)
# against the library compiled by clang with -fsanitize=fuzzer-no-link,address,
# undefined in build-fuzz/, then runs each for SECONDS (default 30) starting from
# its committed seed corpus (tests/fuzz/corpus/<target>/, read-only: new inputs go
# to build-fuzz/corpus/<target>/). A crash, leak, timeout or OOM leaves its input
# in build-fuzz/crashes/<target>/ and makes the script exit 1. Called by
# `make fuzz` (FUZZ_SECONDS). Needs clang and libclang-rt-14-dev.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-30}
[ $# -gt 0 ] && shift
targets=${*:-"csv_table labels npy idx manifest image summary serve consensus decisions"}
B=$root/build-fuzz
CC=${FUZZ_CC:-clang}
cd "$root" || exit 2

echo "fuzz: building the library with $CC (build-fuzz/)"
CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" make -s BUILD=build-fuzz CC="$CC" SAN=1 WARN=-w \
    build-fuzz/liblabelaudit.a build-fuzz/labelaudit -j2 || exit 2
LIBS="$(pkg-config --libs sqlite3 zlib jansson stb openblas libmicrohttpd) -lcsv -lm -pthread"
INC="$(pkg-config --cflags stb openblas)"

# The review database for fuzz_serve and fuzz_decisions: the hostile-names manifest of the shared
# bad/ data (or a two-image manifest of our own) queued by the fixture script.
mkdir -p "$B/serve"
man=${LA_SHARED:-$root/../shared}/data/bad/manifest_escaping_labels.csv
if [ ! -f "$man" ]; then
    man=$B/serve/manifest.csv
    printf 'id,path,label\na,a.png,x\nb,b.png,y\n' >"$man"
fi
if command -v sqlite3 >/dev/null; then
    # built under a private name, then renamed: two run.sh at once (one
    # target each) must not build the same file together
    sh "$root/tests/browser/serve_fixture.sh" "$B/serve/review.db.$$" "$man" || exit 2
    mv -f "$B/serve/review.db.$$" "$B/serve/review.db" || exit 2
    export LA_FUZZ_DB="$B/serve/review.db" LA_FUZZ_ROOT="$(cd "$(dirname "$man")" && pwd)"
else
    echo "fuzz: no sqlite3 shell, fuzz_serve tests the pure helpers only"
fi

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in $targets; do
    bin=$B/fuzz/fuzz_$t
    mkdir -p "$B/fuzz" "$B/corpus/$t" "$B/crashes/$t"
    $CC -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $INC -I"$root" \
        -o "$bin" "$here/fuzz_$t.c" "$B/liblabelaudit.a" $LIBS || { status=2; continue; }
    maxlen=4096
    case $t in image|idx|npy) maxlen=16384 ;; esac
    echo "fuzz: fuzz_$t for ${secs}s"
    nice "$bin" -max_total_time="$secs" -max_len=$maxlen -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -print_final_stats=0 -artifact_prefix="$B/crashes/$t/" \
        "$B/corpus/$t" "$here/corpus/$t" >"$B/fuzz/$t.log" 2>&1
    rc=$?
    tail -n 1 "$B/fuzz/$t.log" | sed "s/^/  /"
    if [ $rc -ne 0 ]; then
        status=1
        echo "FAIL fuzz_$t (exit $rc): see $B/fuzz/$t.log and $B/crashes/$t/"
        grep -E "ERROR|SUMMARY|runtime error" "$B/fuzz/$t.log" | head -5 | sed 's/^/  /'
    else
        echo "PASS fuzz_$t"
    fi
done
exit $status
