# test_serve_browser.sh — the review page in a real browser: headless Chromium
# (Debian's /usr/bin/chromium, driven by playwright-core from npm; `make
# test-deps` installs it) signs in with Ada's token from a reviewers file,
# makes decisions with the keyboard and the mouse, meets Bob's (his own
# token), then they are read back from SQLite. Bounded in time; the server is always
# killed (trap in serve_lib.sh).
. tests/e2e/lib.sh
. tests/browser/serve_lib.sh

if ! command -v node >/dev/null 2>&1 || [ ! -x /usr/bin/chromium ] || \
   [ ! -f tests/browser/node_modules/playwright-core/package.json ]; then
    fail "browser test prerequisites" "needs node, /usr/bin/chromium and playwright-core: run 'make test-deps'"
    exit 0
fi

DS="$TMP/ds"; DB="$TMP/review.db"
serve_dataset "$DS"
serve_fixture "$DB" "$DS/manifest_escaping_labels.csv"
sqlite3 "$DB" "UPDATE examples SET quality = 4.6e-08 WHERE run_id = 1 AND rank = 1"   # a score that used to read 0.000
reviewers_file "$TMP/reviewers" Ada Bob
check "server starts" serve_start "$DB" --reviewers "$TMP/reviewers"

HOME="$TMP" timeout 120 node tests/browser/serve_browser.mjs "$URL" "$(token_of Ada)" "$(token_of Bob)" \
    "${LA_SERVE_SCREENSHOT:-}" > "$TMP/browser.out" 2>&1
rc=$?
cat "$TMP/browser.out" | grep -E '^(PASS|FAIL) '
[ $rc = 0 ] && pass "browser script finished" || fail "browser script finished" "exit $rc: $(grep -v '^PASS' "$TMP/browser.out" | head -5)"

# Read the decisions back from SQLite.
q() { sqlite3 "$DB" "$1"; }
[ "$(q "SELECT status || '|' || reviewer FROM queue WHERE id = 1")" = "keep|Ada" ] && pass "db: card 1 keep by Ada" || fail "db: card 1 keep by Ada" "$(q "SELECT * FROM queue WHERE id = 1")"
[ "$(q "SELECT q.status || '|' || (q.new_label = e.suggested) FROM queue q JOIN examples e ON e.run_id = q.run_id AND e.row = q.row WHERE q.id = 2")" = "relabel|1" ] \
  && pass "db: card 2 relabelled to its suggestion" || fail "db: card 2 relabelled to its suggestion" "$(q "SELECT * FROM queue WHERE id = 2")"
[ "$(q "SELECT status FROM queue WHERE id = 3")" = pending ] && pass "db: card 3 skipped over, still pending" || fail "db: card 3 pending" "$(q "SELECT * FROM queue WHERE id = 3")"
[ "$(q "SELECT status FROM queue WHERE id = 4")" = drop ] && pass "db: card 4 drop" || fail "db: card 4 drop" "$(q "SELECT * FROM queue WHERE id = 4")"
[ "$(q "SELECT status || '|' || note FROM queue WHERE id = 6")" = "skip|blurry <b>bold</b>" ] && pass "db: card 6 skip with its note (mouse)" || fail "db: card 6 skip with its note" "$(q "SELECT * FROM queue WHERE id = 6")"
[ "$(q "SELECT status || '|' || version FROM queue WHERE id = 7")" = "pending|2" ] && pass "db: card 7 relabel undone" || fail "db: card 7 relabel undone" "$(q "SELECT * FROM queue WHERE id = 7")"
[ "$(q "SELECT count(*) FROM decision_log WHERE queue_id = 7 AND status = 'relabel' AND new_label = 0 AND reviewer = 'Ada'")" = 1 ] && pass "db: the undone relabel stays in the log" || fail "db: undone relabel logged" "$(q "SELECT * FROM decision_log WHERE queue_id = 7")"
[ "$(q "SELECT status || '|' || reviewer FROM queue WHERE id = 8")" = "drop|Bob" ] && pass "db: conflict did not overwrite Bob's decision" || fail "db: conflict did not overwrite" "$(q "SELECT * FROM queue WHERE id = 8")"
[ "$(q "SELECT status || '|' || verdict || '|' || reviewer FROM queue WHERE id = 30")" = "keep|error|Ada" ] && pass "db: card 30 kept with the verdict error (keys e, k)" || fail "db: card 30 verdict" "$(q "SELECT * FROM queue WHERE id = 30")"
[ "$(q "SELECT count(*) FROM queue WHERE verdict IS NOT NULL")" = 1 ] && pass "db: no other card has a verdict" || fail "db: one verdict" "$(q "SELECT id, verdict FROM queue WHERE verdict IS NOT NULL")"
[ "$(q "SELECT count(*) FROM queue WHERE status <> 'pending'")" = 6 ] && pass "db: exactly 6 decided" || fail "db: exactly 6 decided" "$(q "SELECT count(*) FROM queue WHERE status <> 'pending'")"
[ "$(q "SELECT count(*) FROM decision_log WHERE source = 'serve' AND reviewer = 'Ada'")" = 6 ] && pass "db: Ada's 6 decisions logged" || fail "db: Ada's 6 decisions logged" "$(q "SELECT count(*) FROM decision_log WHERE reviewer = 'Ada'")"
[ "$(q "SELECT count(*) FROM run_classes WHERE name = 'Robert''); DROP TABLE labels;--'")" = 1 ] && pass "db: hostile class names intact" || fail "db: hostile class names intact" "changed"

serve_stop
[ "$SERVE_RC" = 0 ] && pass "server stops cleanly" || fail "server stops cleanly" "exit $SERVE_RC"
