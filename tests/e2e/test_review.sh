# test_review.sh — `labelaudit review`, the terminal review: scripted through a
# pipe (one command per line) and interactively in tmux (raw single keys,
# send-keys / capture-pane), with undo, quit and resume. Every wait is bounded;
# the tmux server (a private socket) is always killed.
. tests/e2e/lib.sh
. tests/browser/serve_lib.sh

DS="$TMP/ds"; DB="$TMP/review.db"
serve_dataset "$DS"
serve_fixture "$DB" "$DS/manifest_escaping_labels.csv"
q() { sqlite3 "$DB" "$1"; }

la review --help;                 expect_rc 0 "review --help exits 0"; expect_out 'k keep' "help lists the keys"
la review;                        expect_rc 2 "review without --db is a usage error"
la review --db "$TMP/none.db";    expect_rc 2 "review on a missing database exits 2"
la review --db "$DB" --run 99 </dev/null; expect_rc 2 "review of a missing run exits 2"; expect_err 'no run 99' "missing run named"

# ---- scripted: one command per line -------------------------------------------
printf 'k\nr\nbogus\nc Cat\nc Bob'"'"'s "best", boot\nd\ns\nq\nk\n' > "$TMP/cmds"
la review --db "$DB" --reviewer "pipe" < "$TMP/cmds"
expect_rc 0 "scripted review exits 0"
expect_out 'id: +fm-t10k-00000' "first example shown (lowest score first)"
expect_out 'suggested: ' "suggested label shown"
expect_out 'image: +.*images/fm-t10k-00000.png' "image path shown"
expect_out "unknown command 'bogus'" "unknown command reported, review goes on"
expect_out "unknown class 'Cat'" "unknown class reported"
expect_out 'stopped: 4 decided in this session, 1 skipped for later' "quit reports the session count (skip apart)"
[ "$(q "SELECT group_concat(status, ',') FROM (SELECT status FROM queue WHERE id <= 6 ORDER BY id)")" = "keep,relabel,relabel,drop,skip,pending" ] \
  && pass "decisions stored in rank order" || fail "decisions stored in rank order" "$(q "SELECT id, status FROM queue WHERE id <= 6")"
[ "$(q "SELECT new_label FROM queue WHERE id = 3")" = 1 ] && pass "relabel by exact hostile class name" || fail "relabel by exact hostile class name" "$(q "SELECT * FROM queue WHERE id = 3")"
[ "$(q "SELECT count(*) FROM decision_log WHERE source = 'review' AND reviewer = 'pipe'")" = 5 ] && pass "5 decisions logged with source review" || fail "5 decisions logged" "$(q "SELECT count(*) FROM decision_log")"
[ "$(q "SELECT status FROM queue WHERE id = 7")" = pending ] && pass "nothing decided after quit" || fail "nothing decided after quit" "$(q "SELECT * FROM queue WHERE id = 7")"

printf 'u\nq\n' | la review --db "$DB" --reviewer pipe
expect_rc 0 "undo run exits 0"; expect_out 'undone' "undo reported"
[ "$(q "SELECT status FROM queue WHERE id = 5")" = pending ] && pass "undo reverted the last decision (skip)" || fail "undo reverted the last decision" "$(q "SELECT * FROM queue WHERE id = 5")"
printf 'q\n' | la review --db "$DB"
expect_out 'id: +fm-t10k-00038' "resume at the next pending example" 
printf 'u\n' | la review --db "$DB" --reviewer nobody
expect_out 'cannot undo: nothing to undo' "undo with nothing to undo is reported"
la review --db "$DB" --reviewer "$(printf 'a\033[2Jb')" </dev/null; expect_rc 2 "reviewer with control characters refused"

# ---- interactive: tmux, raw single keys -------------------------------------------
if command -v tmux >/dev/null 2>&1; then
    TM="la-review-$$"
    trap 'tmux -L "$TM" kill-server 2>/dev/null; serve_cleanup' EXIT INT TERM
    pane() { tmux -L "$TM" capture-pane -p -t rv -S -200 2>/dev/null; }
    wait_for() {   # wait_for REGEX name: up to 10 s
        i=0
        while [ $i -lt 100 ]; do
            pane | grep -Eq -- "$1" && { pass "$2"; return 0; }
            sleep 0.1; i=$((i + 1))
        done
        fail "$2" "screen never showed /$1/: $(pane | tail -8 | tr '\n' '|')"
        return 1
    }
    keys() { tmux -L "$TM" send-keys -t rv "$@"; }
    tmux -L "$TM" new-session -d -s rv -x 120 -y 50 \
        "\"$LA_BIN\" review --db \"$DB\" --reviewer tina; echo EXIT=\$?; stty -a | tr ' ' '\n' | grep -x -- '-*icanon'; sleep 60"
    wait_for 'keys: k r c d s u q' "tmux: review starts in raw-key mode"
    wait_for 'id: +fm-t10k-00038' "tmux: shows the next pending example"
    keys k;   wait_for 'saved: keep' "tmux: k keeps without Enter"
    keys x;   wait_for "'x' is not a key here" "tmux: unknown key reported"
    keys '?'; wait_for 'u undo your last decision' "tmux: ? shows help"
    keys c;   wait_for 'relabel to \(index or name' "tmux: c asks for a class"
    keys 0 Enter; wait_for 'saved: relabel -> <script>alert\(1\)</script>' "tmux: relabel to class 0"
    keys u;   wait_for 'undone' "tmux: u undoes"
    keys d;   wait_for 'saved: drop' "tmux: d drops"
    keys q;   wait_for 'EXIT=0' "tmux: q quits with status 0"
    wait_for '^icanon$' "tmux: terminal restored (canonical mode) after quit"
    tmux -L "$TM" kill-server 2>/dev/null
    [ "$(q "SELECT count(*) FROM decision_log WHERE reviewer = 'tina' AND source = 'review'")" = 3 ] && pass "tmux: 3 decisions logged" || fail "tmux: 3 decisions logged" "$(q "SELECT count(*) FROM decision_log WHERE reviewer = 'tina'")"
    [ "$(q "SELECT count(*) FROM queue WHERE reviewer = 'tina'")" = 2 ] && pass "tmux: 2 decisions stand after undo" || fail "tmux: 2 decisions stand" "$(q "SELECT id, status FROM queue WHERE reviewer = 'tina'")"
else
    fail "tmux test" "tmux not installed (make test-deps)"
fi

# ---- skip = decide later: skipped examples come back once nothing is pending -------
q "UPDATE queue SET status = 'keep', version = version + 1 WHERE status = 'pending' AND id <> 7"
q "UPDATE queue SET status = 'skip', reviewer = 'pipe', version = version + 1 WHERE id = 7"
q "UPDATE examples SET quality = 4.6e-08 WHERE run_id = 1 AND row = (SELECT row FROM queue WHERE id = 7)"
sid=$(q "SELECT dataset_id FROM queue WHERE id = 7")
printf 'q\n' | la review --db "$DB"
expect_out "id: +$sid" "skip: the skipped example is shown again when nothing is pending"
expect_out 'skipped earlier' "skip: it is marked as skipped earlier"
expect_out '59 of 60 decided, 1 skipped for later' "skip: progress does not count skip as decided"
expect_out 'score: +4\.6e-8 ' "a tiny score is readable (4.6e-8, not 0.0000)"
printf 's\n' | la review --db "$DB"
expect_out 'nothing pending in run 1: 59 of 60 decided, 1 skipped \(shown again next time\)' "skip again: shown once per session, then the summary"
printf 'k\n' | la review --db "$DB" --reviewer pipe
[ "$(q "SELECT status FROM queue WHERE id = 7")" = keep ] && pass "skip: deciding the skipped example later" || fail "skip: deciding later" "$(q "SELECT * FROM queue WHERE id = 7")"

# ---- verdicts: e / a / f, sent with the next keep, relabel or drop (not with skip) ----
VDB="$TMP/verdict.db"; serve_fixture "$VDB" "$DS/manifest_escaping_labels.csv"
printf 'e\nk\nf\nd\na\na\nk\ne\ns\nq\n' > "$TMP/vcmds"; la review --db "$VDB" --reviewer ver < "$TMP/vcmds"
expect_rc 0 "review with verdicts exits 0"
expect_out 'verdict error: now keep, relabel or drop' "verdict choice acknowledged"; expect_out 'verdict cleared' "pressing it again clears it"
vq() { sqlite3 "$VDB" "$1"; }
[ "$(vq "SELECT group_concat(status || ':' || ifnull(verdict, '-'), ',') FROM (SELECT status, verdict FROM decision_log WHERE reviewer = 'ver' ORDER BY id)")" = "keep:error,drop:false_alarm,keep:-,skip:-" ] \
  && pass "verdicts stored with their decisions (none with skip, none once cleared)" || fail "verdicts stored" "$(vq "SELECT status, verdict FROM decision_log WHERE reviewer = 'ver'")"
printf 'u\nu\nu\nu\nq\n' | la review --db "$VDB" --reviewer ver
[ "$(vq "SELECT count(*) FROM queue WHERE verdict IS NOT NULL OR status <> 'pending'")" = 0 ] && pass "undo clears the verdicts again" || fail "undo clears the verdicts" "$(vq "SELECT id, verdict FROM queue WHERE verdict IS NOT NULL")"

# ---- all decided ------------------------------------------------------------------
q "UPDATE queue SET status = 'keep', version = version + 1 WHERE status = 'pending'"
la review --db "$DB" </dev/null
expect_rc 0 "nothing pending exits 0"; expect_out 'nothing pending in run 1: 60 of 60 decided' "nothing pending reported"

# ---- a tabular run without stored feature summaries: values computed from the data --------
mkdir -p "$TMP/tab"
awk -F, 'NR==1{print "id,label"; next}{print $1","$3}' "$DATA/noise/digits_sym10_seed1.csv" > "$TMP/tab/labels.csv"
la cv --data "$DATA/tabular/digits.csv" --labels "$TMP/tab/labels.csv" --out "$TMP/tab/p.npy" \
      --audit "$TMP/tab/audit" --db "$TMP/tab/r.db" --quiet --threads 2
expect_rc 0 "cv + audit --db on tabular digits with 10% noise"
printf 'q\n' | la review --db "$TMP/tab/r.db"
expect_out '^features:' "tabular run: feature values shown"
expect_out 'pixel_[0-9]_[0-9] +[0-9.]+ +\(given-class mean [0-9.e-]+, suggested-class mean' "tabular run: values with both class means"
