#!/bin/sh
# test_readme.sh — README.md's examples as executable documentation: every
# ```sh block runs (from a scratch copy of the repository root, where
# tryout/data is what `make example-data` builds) through the real binary, and every block
# marked as an example's output must match what the command prints, so the
# README cannot drift from the program. The convention (HTML-comment markers:
# skip, exit N, output, output of:) is in tests/e2e/readme_blocks.py. Each
# labelaudit call goes through a logging wrapper: `serve` gets --port 0 and is
# stopped once it has answered an HTTP request, `review` reads stdin from
# /dev/null. The Quick start's placeholders data.csv and test.csv are the
# digits split of tests/data/retrain, quality/baseline.json an audit of
# data.csv. First, the harness is run on a small
# README with a known failure of each kind, which it must report.
. tests/e2e/lib.sh
REPO=$(pwd)
PY="${LA_PYTHON:-python3}"
HERE="$REPO/tests/e2e"

# make_tree DIR — a scratch repository root: ./labelaudit (the wrapper), the
# repository files the examples read, tryout/data, the Quick start's files.
make_tree() {
    d=$1
    mkdir -p "$d/repo/tests" "$d/bin"
    ln -s "$REPO/tests/data" "$d/repo/tests/data"
    ln -s "$REPO/tests/e2e" "$d/repo/tests/e2e"
    ln -s "$REPO/tools" "$d/repo/tools"
    # the examples' data, as `make example-data` builds it (built once, below)
    mkdir -p "$d/repo/tryout"
    ln -s "$TMP/example-data" "$d/repo/tryout/data"
    cp "$REPO/tests/data/retrain/digits_train.csv" "$d/repo/data.csv"
    cp "$REPO/tests/data/retrain/digits_test.csv" "$d/repo/test.csv"
    # the Quick start's committed baseline: an audit of data.csv itself
    mkdir -p "$d/repo/quality" "$d/fixture"
    (cd "$d/repo" && "$LA_BIN" cv --data data.csv --out "$d/fixture/p.npy" --quiet &&
        "$LA_BIN" audit --data data.csv --pred-probs "$d/fixture/p.npy" --out "$d/fixture/audit" \
            --summary quality/baseline.json --quiet) >"$d/fixture/log" 2>&1 ||
        echo "FAIL fixture: quality/baseline.json: $(tail -c 300 "$d/fixture/log")"
    cat >"$d/bin/labelaudit" <<'EOF'
#!/bin/sh
# the README's labelaudit: the real binary, each call logged as "STATUS<TAB>ARGS"
case "$1" in
serve)
    shift
    log=$LA_README_LOG.serve
    # emptied here, not by the background job's redirection: the loop below
    # must never read the previous serve's address before the job truncates
    : >"$log"
    "$LA_BIN" serve "$@" --port 0 >>"$log" 2>&1 &
    pid=$!
    url=; i=0
    while [ -z "$url" ] && [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do
        url=$(grep -o 'http://[^ ]*token=[^ ]*' "$log" | head -n 1)
        [ -n "$url" ] || url=$(grep -o 'http://[^ ]*' "$log" | head -n 1)
        [ -n "$url" ] || sleep 0.1
        i=$((i + 1))
    done
    rc=1
    if [ -n "$url" ] && "${LA_PYTHON:-python3}" - "$url" <<'PY'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=10).read()
except urllib.error.HTTPError as e:
    sys.exit(e.code >= 500)
PY
    then rc=0; fi
    kill -TERM $pid 2>/dev/null
    wait $pid || rc=1
    cat "$log"
    [ $rc = 0 ] || echo "readme-test: serve did not answer at '${url:-no address printed}'" >&2
    set -- serve "$@" ;;
review)
    "$LA_BIN" "$@" </dev/null
    rc=$? ;;
*)
    "$LA_BIN" "$@"
    rc=$? ;;
esac
printf '%s\t%s\n' "$rc" "$*" >>"$LA_README_LOG"
exit $rc
EOF
    chmod +x "$d/bin/labelaudit"
    ln -s ../bin/labelaudit "$d/repo/labelaudit"
}

# run_readme README DIR — runs README's blocks in DIR/repo; one PASS/FAIL line
# per run block and per output block, named README:LINE.
run_readme() {
    readme=$1; d=$2; tag=$3
    make_tree "$d"
    if ! "$PY" "$HERE/readme_blocks.py" extract "$readme" "$d/blocks" >"$d/extract.err" 2>&1; then
        fail "$tag: markers" "$(cat "$d/extract.err")"
        return
    fi
    while IFS="	" read -r name kind arg; do
        line=$(echo "$name" | sed 's/^0*//')
        case $kind in
        skip) echo "skip $tag:$line: $arg" ;;
        run|exit)
            want=0; [ "$kind" = exit ] && want=$arg
            : >"$d/log"
            (cd "$d/repo" && PATH="$d/bin:$PATH" LA_README_LOG="$d/log" LA_BIN="$LA_BIN" \
                timeout 300 sh -e "$d/blocks/$name.sh") >"$d/blocks/$name.out" 2>&1
            rc=$?
            last=$(tail -n 1 "$d/log" | cut -f1)
            bad=$(sed '$d' "$d/log" | awk -F'\t' '$1 != 0' | head -n 1)
            [ "$kind" = run ] && bad=$(awk -F'\t' '$1 != 0' "$d/log" | head -n 1)
            if [ ! -s "$d/log" ]; then
                fail "$tag:$line runs" "no labelaudit call ran (exit $rc): $(tail -c 400 "$d/blocks/$name.out")"
            elif [ -n "$bad" ]; then
                fail "$tag:$line runs" "'labelaudit $(echo "$bad" | cut -f2)' exited $(echo "$bad" | cut -f1): $(tail -c 600 "$d/blocks/$name.out")"
            elif [ "$rc" != "$want" ] || [ "${last:-0}" != "$want" ]; then
                fail "$tag:$line runs" "block exited $rc, last labelaudit call $last, expected $want: $(tail -c 600 "$d/blocks/$name.out")"
            else
                pass "$tag:$line runs (exit $want, $(wc -l <"$d/log") labelaudit calls)"
            fi ;;
        output|output-of)
            out=$d/blocks/$arg.out
            if [ "$kind" = output-of ]; then
                out=$d/blocks/$name.out
                (cd "$d/repo" && PATH="$d/bin:$PATH" LA_README_LOG="$d/log" LA_BIN="$LA_BIN" \
                    timeout 300 sh -c "$arg") >"$out" 2>&1
            fi
            if why=$("$PY" "$HERE/readme_blocks.py" compare "$d/blocks/$name.expect" "$out"); then
                pass "$tag:$line output as printed"
            else
                fail "$tag:$line output as printed" "$why"
            fi ;;
        esac
    done <"$d/blocks/index"
}

# ---- the examples' data -----------------------------------------------------
# make example-data rebuilds from Debian packages exactly the shared files the
# README's examples read (so its quoted figures hold for a user without ../shared)
sh "$REPO/tools/example_data.sh" "$TMP/example-data" >"$TMP/example-data.log" 2>&1 ||
    fail "example data: tools/example_data.sh" "$(tail -c 300 "$TMP/example-data.log")"
for f in tabular/Glass.csv tabular/penguins.csv tabular/digits.csv digits-png/manifest.csv \
         fashion-mnist-png/manifest.csv noise/digits_sym10_seed1.csv noise/digits_sym30_seed1.csv \
         noise/digits_asym10_seed1.csv noise/fashion-mnist-png_sym10_seed1.csv; do
    if cmp -s "$TMP/example-data/$f" "$DATA/$f"; then pass "example data: $f as shipped"
    else fail "example data: $f as shipped" "differs from $DATA/$f"; fi
done
if diff -r -q "$TMP/example-data/digits-png/images" "$DATA/digits-png/images" >/dev/null &&
   diff -r -q "$TMP/example-data/fashion-mnist-png/images" "$DATA/fashion-mnist-png/images" >/dev/null; then
    pass "example data: every PNG as shipped"
else
    fail "example data: every PNG as shipped" "$(diff -r -q "$TMP/example-data/digits-png/images" "$DATA/digits-png/images" | head -n 2)"
fi

# ---- the harness finds what it should ---------------------------------------
mkdir -p "$TMP/self"
cat >"$TMP/self/README.md" <<'EOF'
```sh
./labelaudit inspect data.csv
```
<!-- readme-test: output -->
```
dataset   data.csv
...
examples  1347
```
```sh
./labelaudit inspect no-such.csv
```
<!-- readme-test: exit 2 -->
```sh
./labelaudit inspect data.csv
./labelaudit inspect no-such.csv
```
<!-- readme-test: output of: ./labelaudit inspect data.csv -->
```
examples  1348
```
<!-- readme-test: skip: not run -->
```sh
./labelaudit inspect no-such.csv
```
<!-- readme-test: output of: echo 'threshold 0.402521 of 7' -->
```
threshold 0.402522 of 7
```
<!-- readme-test: output of: echo 'threshold 0.402519 of 7' -->
```
threshold 0.402522 of 7
```
<!-- readme-test: output of: echo 'rate 1.8e-03' -->
```
rate 1.5e-03
```
EOF
run_readme "$TMP/self/README.md" "$TMP/self/w" self >"$TMP/self/result"
sed 's/: .*//' "$TMP/self/result" >"$TMP/self/verdicts"
cat >"$TMP/self/want" <<'EOF'
PASS self:1 runs (exit 0, 1 labelaudit calls)
PASS self:5 output as printed
FAIL self:10 runs
PASS self:14 runs (exit 2, 2 labelaudit calls)
FAIL self:19 output as printed
skip self:23
PASS self:27 output as printed
FAIL self:31 output as printed
FAIL self:35 output as printed
EOF
if cmp -s "$TMP/self/verdicts" "$TMP/self/want"; then
    pass "harness: a failing call, a wrong figure, a last-digit rounding, exit N and skip are told apart"
else
    fail "harness: a failing call, a wrong figure, a last-digit rounding, exit N and skip are told apart" "$(cat "$TMP/self/result")"
fi
printf '<!-- readme-test: sometimes -->\n```sh\ntrue\n```\n' >"$TMP/self/bad.md"
run_readme "$TMP/self/bad.md" "$TMP/self/w2" bad >"$TMP/self/result2"
if grep -q '^FAIL bad: markers: .*unknown readme-test marker' "$TMP/self/result2"; then
    pass "harness: an unknown marker is refused"
else
    fail "harness: an unknown marker is refused" "$(cat "$TMP/self/result2")"
fi

# ---- README.md ----------------------------------------------------------------
# LA_README_WORK=DIR keeps the scratch tree (DIR/blocks/LINE.out: what each
# block printed, to refresh the README's figures from); DIR must not exist.
t0=$(date +%s)
run_readme "$REPO/README.md" "${LA_README_WORK:-$TMP/readme}" README.md
echo "README examples: $(( $(date +%s) - t0 )) s"
