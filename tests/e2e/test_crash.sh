# test_crash.sh — crash safety with real kills: `kill -9` during `audit --db`
# (mid-write of a 100,000-example run), during `report`, and during
# `decisions --import`; afterwards the database passes PRAGMA integrity_check,
# every earlier run and decision is intact, and no half-written output file or
# report directory sits in place of a good one. Skipped under valgrind (the
# timing is the point). Needs python3 and the sqlite3 shell.
. tests/e2e/lib.sh
[ "${LA_VALGRIND:-0}" = 1 ] && { pass "crash tests skipped under valgrind"; exit 0; }
command -v sqlite3 >/dev/null || { fail "sqlite3 shell" "not installed (TEST_DEB_PKGS)"; exit 0; }
GEN="python3 tests/e2e/gen_shapes.py"
T_SERVE_OUT="$TMP/serve.out"
DB="$TMP/crash.db"
N=${LA_CRASH_N:-100000}

# Waits (at most 60 s) until file $2 is larger than $3 bytes or process $1 ended.
wait_grow() {
    i=0
    while [ $i -lt 3000 ] && [ "$(stat -c %s "$2" 2>/dev/null || echo 0)" -le "$3" ] && kill -0 "$1" 2>/dev/null; do
        sleep 0.02; i=$((i + 1))
    done
}
kill9() { kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
integrity() { [ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ]; }
json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1"; }
q() { sqlite3 "$DB" "$1"; }

# ---- a database with one run and 60 decisions --------------------------------
$GEN binary "$TMP/small" 1000
$GEN binary "$TMP/big" "$N"
la audit --labels "$TMP/small_l.npy" --pred-probs "$TMP/small_p.npy" --out "$TMP/a1" --db "$DB" --quiet --bootstrap 20
expect_rc 0 "first audit --db"
la decisions --db "$DB" --all
awk -F, 'NR > 1 && NR <= 61 { print $1 ",keep,,alice,checked" }' "$OUT" | sed '1i id,decision,new_label,reviewer,note' >"$TMP/dec1.csv"
la decisions --db "$DB" --import "$TMP/dec1.csv" --quiet
expect_rc 0 "60 decisions imported"
la decisions --db "$DB" --format csv; cp "$OUT" "$TMP/dec1.export"
check "60 decisions recorded" test "$(q 'SELECT count(*) FROM decision_log')" -ge 60
cp "$TMP/a1/summary.json" "$TMP/a1.summary"
runs1=$(q 'SELECT id, n, num_flagged FROM runs ORDER BY id')

after_kill() {   # $1 = what was killed
    check "$1: PRAGMA integrity_check ok" integrity
    check "$1: earlier runs intact" test "$(q 'SELECT id, n, num_flagged FROM runs WHERE id = 1')" = "$(echo "$runs1" | head -1)"
    la decisions --db "$DB" --run 1 --format csv
    check "$1: earlier decisions intact" cmp -s "$OUT" "$TMP/dec1.export"
}

# ---- kill -9 during audit --db: early, and while the examples are written ---
# A fast machine can finish the audit between the poll that sees the WAL grow and
# the kill; such an attempt recorded a complete run (checked below like any
# other) and is repeated, up to 5 times, so the kill lands mid-write.
for when in early dbwrite; do
    attempt=0
    while :; do
        attempt=$((attempt + 1))
        w0=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)   # a killed run may leave frames behind
        "$LA_BIN" audit --labels "$TMP/big_l.npy" --pred-probs "$TMP/big_p.npy" --out "$TMP/a1" \
            --db "$DB" --quiet --bootstrap 20 >/dev/null 2>&1 &
        pid=$!
        if [ $when = early ]; then sleep 0.05; else wait_grow $pid "$DB-wal" $((w0 + 65536)); fi
        alive=no; kill -0 $pid 2>/dev/null && alive=yes
        kill9 $pid
        { [ $alive = yes ] || [ $attempt -ge 5 ]; } && break
    done
    check "audit --db killed ($when) while running" test $alive = yes
    after_kill "audit killed ($when)"
    # the run is either absent (rolled back) or complete: all its N examples
    check "audit killed ($when): no half run recorded" test "$(q 'SELECT count(*) FROM runs r WHERE r.n <> (SELECT count(*) FROM examples e WHERE e.run_id = r.id)')" = 0
    check "audit killed ($when): no orphan examples" test "$(q 'SELECT count(*) FROM examples WHERE run_id NOT IN (SELECT id FROM runs)')" = 0
    for f in "$TMP"/a1/*.json "$TMP"/a1/*.csv; do
        case $f in *.json) json_ok "$f" || fail "audit killed ($when): $f" "not valid JSON" ;; esac
    done
    check "audit killed ($when): summary.json is complete JSON" json_ok "$TMP/a1/summary.json"
done

# ---- a second, complete run (the big one), then kill -9 during report --------
la audit --labels "$TMP/big_l.npy" --pred-probs "$TMP/big_p.npy" --out "$TMP/a2" --db "$DB" --quiet --bootstrap 20
expect_rc 0 "big audit --db completes after the kills"
R2=$(q 'SELECT max(id) FROM runs')
check "the big run is complete" test "$(q "SELECT count(*) FROM examples WHERE run_id = $R2")" = "$N"
la report --db "$DB" --run 1 --out "$TMP/rep" --quiet
expect_rc 0 "report of run 1"
landed=no
for delay in 0.02 0.1 0.3; do
    cp "$TMP/rep/index.html" "$TMP/rep.before"   # the report in place before this attempt
    "$LA_BIN" report --db "$DB" --run $R2 --out "$TMP/rep" --per-page 50 --quiet >/dev/null 2>&1 &
    pid=$!
    sleep $delay
    # the exit status says whether the kill landed (probing with kill -0 first
    # races against a report that finishes in between)
    kill -9 $pid 2>/dev/null; rc=0; wait $pid 2>/dev/null || rc=$?
    if cmp -s "$TMP/rep/index.html" "$TMP/rep.before"; then
        [ $rc = 137 ] && landed=yes
        pass "report killed after ${delay}s: the old report is still in place"
    else   # the new report was renamed into place before the kill or the exit: it is whole
        check "report after ${delay}s (rc $rc): the new report in place is complete" grep -q '</html>' "$TMP/rep/index.html"
        check "report after ${delay}s: the new report is of run $R2" grep -q "run $R2" "$TMP/rep/index.html"
    fi
    check "report killed after ${delay}s: integrity_check ok" integrity
done
check "a kill landed while report was running" test $landed = yes
rm -rf "$TMP"/rep.tmp.*
la report --db "$DB" --run 1 --out "$TMP/rep" --quiet
expect_rc 0 "report after the kills"

# ---- kill -9 during review decisions: serve with 4 clients POSTing ----------
if command -v curl >/dev/null; then
    ctok=crash-token-0123456789abcdef
    "$LA_BIN" serve --db "$DB" --run $R2 --port 0 --token $ctok >"$T_SERVE_OUT" 2>/dev/null &
    spid=$!
    port=""; i=0
    while [ -z "$port" ] && [ $i -lt 100 ] && kill -0 $spid 2>/dev/null; do
        sleep 0.1; i=$((i + 1))
        port=$(sed -n 's|^labelaudit serve: http://[^ ]*:\([0-9][0-9]*\)/.*|\1|p' "$T_SERVE_OUT" | head -1)
    done
    url="http://127.0.0.1:$port"
    curl -s --max-time 5 -c "$TMP/jar" -o /dev/null "$url/?token=$ctok"      # a browser session
    csrf=$(curl -s --max-time 5 -b "$TMP/jar" "$url/" | sed -n 's/.*name="csrf" content="\([0-9a-f]*\)".*/\1/p')
    check "serve started with a CSRF token" test ${#csrf} = 64
    sqlite3 "$DB" "SELECT id FROM queue WHERE run_id = $R2 AND status = 'pending' ORDER BY id LIMIT 400" >"$TMP/qids"
    before_log=$(q 'SELECT count(*) FROM decision_log')
    for c in 0 1 2 3; do   # client c decides every 4th pending entry, logging the acknowledged ones
        (awk -v c=$c 'NR % 4 == c' "$TMP/qids" | while read -r qid; do
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$url/api/decide" \
                -b "$TMP/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
                -d "{\"qid\": $qid, \"version\": 0, \"decision\": \"keep\"}")
            [ "$code" = 200 ] && echo "$qid" >>"$TMP/acked.$c"
        done) &
    done
    sleep 2
    kill -9 $spid; wait $spid 2>/dev/null
    wait
    cat "$TMP"/acked.* 2>/dev/null | sort -n >"$TMP/acked"
    n_ack=$(wc -l <"$TMP/acked")
    check "serve killed mid-stream after $n_ack acknowledged decisions (some, not all 400)" test "$n_ack" -gt 0 -a "$n_ack" -lt 400
    after_kill "serve killed"
    sqlite3 "$DB" "SELECT id FROM queue WHERE run_id = $R2 AND status = 'keep' ORDER BY id" >"$TMP/kept"
    check "every acknowledged decision is in the queue" sh -c 'comm -23 "$1" "$2" | grep -q . && exit 1 || exit 0' sh "$TMP/acked" "$TMP/kept"
    check "decision log holds every acknowledged decision" test $(($(q 'SELECT count(*) FROM decision_log') - before_log)) -ge "$n_ack"
    check "queue and decision log agree" test "$(q "SELECT count(*) FROM queue q WHERE run_id = $R2 AND status = 'keep' AND NOT EXISTS (SELECT 1 FROM decision_log d WHERE d.queue_id = q.id)")" = 0
fi

# ---- kill -9 during decisions --import (one transaction) --------------------
la decisions --db "$DB" --run $R2 --all
awk -F, 'NR > 1 { print $1 ",drop,,bob," }' "$OUT" | sed '1i id,decision,new_label,reviewer,note' >"$TMP/dec2.csv"
nd=$(($(wc -l <"$TMP/dec2.csv") - 1))
before=$(q 'SELECT count(*) FROM decision_log')
landed=no
for delay in 0.05 0.1 0.2 0.3 0.5; do
    "$LA_BIN" decisions --db "$DB" --run $R2 --import "$TMP/dec2.csv" --quiet >/dev/null 2>&1 &
    pid=$!
    sleep $delay
    kill -0 $pid 2>/dev/null && landed=yes
    kill9 $pid
    got=$(($(q 'SELECT count(*) FROM decision_log') - before))
    check "decisions --import killed after ${delay}s: all or nothing ($got of $nd)" test "$got" = 0 -o "$got" = "$nd"
    [ "$got" = 0 ] || break
done
check "a kill landed while decisions --import was running" test $landed = yes
after_kill "decisions --import killed"
if [ "$got" = 0 ]; then
    la decisions --db "$DB" --run $R2 --import "$TMP/dec2.csv" --quiet
    expect_rc 0 "the import succeeds when run again"
fi
check "every queued example of the big run decided" test "$(q "SELECT count(*) FROM queue WHERE run_id = $R2 AND status = 'pending'")" = 0
after_kill "after the re-import"
