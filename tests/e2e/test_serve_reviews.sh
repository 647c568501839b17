# test_serve_reviews.sh — `serve --reviews-per-item R [--next active-learning]`
# over curl: every example goes to R reviewers; nobody sees another's answer
# (page data, JSON API, queue listing) before giving theirs; an example is done
# at R answers and refuses more; own-only undo; every answer kept (reviews
# table, decision log) while the queue rows stay untouched; `consensus --db`
# reads exactly those answers and `clean --consensus` applies them; the
# ActiveLab order (lowest score first, recomputed on each answer); and the bad
# inputs (R < 1, R above the reviewers, --next without R, bad probabilities).
. tests/e2e/lib.sh
. tests/browser/serve_lib.sh

DIG="$DATA/tabular/digits.csv"
awk -F, 'NR==1{print "id,label";next}{print $1","$3}' "$DATA/noise/digits_asym10_seed1.csv" > "$TMP/noisy.csv"
DB="$TMP/r.db"
la cv --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/cv/pp.npy" --audit "$TMP/audit" --db "$DB" --quiet
expect_rc 0 "setup: cv + audit + db on noisy digits"
RV="$TMP/reviewers"; reviewers_file "$RV" ann bob cat
CT='Content-Type: application/json'
# j FILE EXPR — evaluates a Python expression over the JSON in FILE (d), prints it
j() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1; }
as() { n=$1; shift; anon_code -H "Authorization: Bearer $(token_of "$n")" "$@"; }
decide_as() { post_as "$1" /api/decide "$2"; }
dump() { sqlite3 "$DB" "SELECT count(*) FROM decision_log; SELECT count(*), COALESCE(sum(version),0) FROM reviews;
                       SELECT count(*) FROM queue WHERE status <> 'pending' OR version <> 0"; }

# ---- bad input ------------------------------------------------------------------
la serve --db "$DB" --reviewers "$RV" --reviews-per-item 0 --port 0
expect_rc 2 "R = 0 exits 2"; expect_err "reviews-per-item' must be between 1 and" "R = 0: says the range"
la serve --db "$DB" --reviewers "$RV" --reviews-per-item two --port 0
expect_rc 2 "R not a number exits 2"; expect_err "needs a whole number, got 'two'" "says what is wrong"
la serve --db "$DB" --reviewers "$RV" --reviews-per-item 4 --port 0
expect_rc 2 "R above the reviewers exits 2"
expect_err "reviews-per-item 4 needs at least 4 reviewers, and .*reviewers lists 3" "names R, the file and its count"
la serve --db "$DB" --reviewer ann --reviews-per-item 2 --port 0
expect_rc 2 "R = 2 with one (minted) reviewer exits 2"; expect_err "only one can sign in" "says why"
la serve --db "$DB" --reviewers "$RV" --next active-learning --port 0
expect_rc 2 "--next without --reviews-per-item exits 2"; expect_err "give --reviews-per-item R" "says what to add"
la serve --db "$DB" --reviewers "$RV" --reviews-per-item 2 --next soonest --port 0
expect_rc 2 "--next soonest exits 2"; expect_err "rank or active-learning" "lists the orders"
la serve --db "$DB" --reviewers "$RV" --reviews-per-item 2 --pred-probs "$TMP/cv/pp.npy" --port 0
expect_rc 2 "--pred-probs without --next active-learning exits 2"
printf '0.5,0.5\n0.5,0.5\n' > "$TMP/p2.csv"
la serve --db "$DB" --reviewers "$RV" --reviews-per-item 2 --next active-learning --pred-probs "$TMP/p2.csv" --port 0
expect_rc 2 "probabilities of the wrong shape exit 2"; expect_err "p2.csv: has 2 rows of probabilities but run 1 has 1797" "names the file and both sizes"
sqlite3 "$DB" .dump > "$TMP/dump0"

# ---- R = 2, rank order -----------------------------------------------------------
check "serve --reviews-per-item 2 starts" serve_start "$DB" --reviewers "$RV" --reviews-per-item 2
grep -q '2 reviews per example, next by rank' "$TMP/serve.err" && pass "banner states R and the order" || fail "banner" "$(cat "$TMP/serve.err")"
code=$(as ann "$URL/api/next"); [ "$code" = 200 ] && pass "GET /api/next 200" || fail "GET /api/next 200" "$code"
Q1=$(j "$TMP/.body" 'd["item"]["qid"]'); R1=$(j "$TMP/.body" 'd["item"]["rank"]')
[ "$R1" = 1 ] && pass "next in rank order: rank 1 first" || fail "next in rank order" "$R1"
[ "$(j "$TMP/.body" 'd["todo"]')" = 183 ] && pass "183 examples to do" || fail "183 to do" "$(head -c 300 "$TMP/.body")"
code=$(decide_as ann "{\"qid\":$Q1,\"version\":0,\"decision\":\"keep\",\"verdict\":\"false_alarm\"}")
[ "$code" = 200 ] && pass "ann answers keep" || fail "ann answers keep" "$code $(head -c 300 "$TMP/.body")"
[ "$(j "$TMP/.body" '(d["item"]["status"], d["item"]["answers"], d["item"]["hidden"], d["item"]["others"])')" = "('keep', 1, False, [])" ] \
  && pass "ann sees her answer, 1 answer, nobody else's yet" || fail "ann's view after answering" "$(head -c 400 "$TMP/.body")"

# bob has not answered: nothing of ann's anywhere he can read
code=$(as bob "$URL/api/state?limit=500"); [ "$code" = 200 ] && pass "bob's state 200" || fail "bob's state" "$code"
cp "$TMP/.body" "$TMP/bob_state.json"
[ "$(j "$TMP/bob_state.json" '[(i["status"], i["reviewer"], i["verdict"], i["hidden"], i["others"], i["answers"]) for i in d["items"] if i["qid"]=='"$Q1"']')" = "[('pending', None, None, True, None, 1)]" ] \
  && pass "listing: bob sees the row pending, hidden, no reviewer, 1 answer given" || fail "bob's listing of the row" "$(j "$TMP/bob_state.json" '[i for i in d["items"] if i["qid"]=='"$Q1"']')"
grep -q 'ann' "$TMP/bob_state.json" && fail "bob's state names ann nowhere" "found" || pass "bob's state names ann nowhere"
grep -q 'false_alarm' "$TMP/bob_state.json" && fail "bob's state carries ann's verdict nowhere" "found" || pass "bob's state carries ann's verdict nowhere"
[ "$(j "$TMP/bob_state.json" 'd["progress"]["overall"]["decided"], d["progress"]["reviews"]["answers"]')" = "(0, 1)" ] \
  && pass "bob's progress: his own 0 decided; the session 1 answer" || fail "bob's progress" "$(j "$TMP/bob_state.json" 'd["progress"]["reviews"]')"
as bob "$URL/api/next" >/dev/null; cp "$TMP/.body" "$TMP/bob_next.json"
[ "$(j "$TMP/bob_next.json" 'd["item"]["qid"], d["item"]["hidden"]')" = "($Q1, True)" ] && pass "bob's next is the same row, hidden" || fail "bob's next" "$(head -c 300 "$TMP/bob_next.json")"
grep -q 'ann\|false_alarm' "$TMP/bob_next.json" && fail "/api/next hides ann's answer" "found" || pass "/api/next hides ann's answer"
as bob "$URL/" >/dev/null; cp "$TMP/.body" "$TMP/page_bob"; as cat "$URL/" >/dev/null
cmp -s "$TMP/.body" "$TMP/page_bob" && ! grep -q "$(token_of ann)" "$TMP/page_bob" && pass "the page holds no data: the same for every reviewer" || fail "the page holds no answer" "pages differ"

# bob answers: now he sees ann's; the row is done
code=$(decide_as bob "{\"qid\":$Q1,\"version\":0,\"decision\":\"relabel\",\"new_label\":3}")
[ "$code" = 200 ] && pass "bob answers relabel" || fail "bob answers relabel" "$code $(head -c 300 "$TMP/.body")"
[ "$(j "$TMP/.body" '(d["item"]["done"], [(o["reviewer"], o["status"], o["verdict"]) for o in d["item"]["others"]])')" = "(True, [('ann', 'keep', 'false_alarm')])" ] \
  && pass "after answering bob sees ann's answer; 2 of 2: done" || fail "bob sees ann's answer" "$(head -c 500 "$TMP/.body")"
as ann "$URL/api/state?limit=500" >/dev/null
[ "$(j "$TMP/.body" '[[(o["reviewer"], o["status"], o["new_label"]) for o in i["others"]] for i in d["items"] if i["qid"]=='"$Q1"']')" = "[[('bob', 'relabel', 3)]]" ] \
  && pass "ann (answered) now sees bob's answer in the listing" || fail "ann sees bob's" "$(head -c 300 "$TMP/.body")"

# cat: the row is done for him; he cannot answer it, and sees nothing of it
as cat "$URL/api/state?limit=500" >/dev/null; cp "$TMP/.body" "$TMP/cat_state.json"
[ "$(j "$TMP/cat_state.json" '[(i["done"], i["can_answer"], i["hidden"], i["others"]) for i in d["items"] if i["qid"]=='"$Q1"']')" = "[(True, False, True, None)]" ] \
  && pass "cat: the row is done, not his to answer, answers hidden" || fail "cat's view of the done row" "$(head -c 300 "$TMP/cat_state.json")"
grep -q '"ann"\|"bob"' "$TMP/cat_state.json" && fail "cat's state names neither reviewer" "found" || pass "cat's state names neither reviewer"
B0=$(dump)
code=$(decide_as cat "{\"qid\":$Q1,\"version\":0,\"decision\":\"drop\"}")
[ "$code" = 409 ] && [ "$(j "$TMP/.body" 'd["conflict"]')" = done ] && pass "a third answer on a done row: 409 done" || fail "third answer refused" "$code $(head -c 300 "$TMP/.body")"
grep -q 'is done: 2 reviewers answered it' "$TMP/.body" && pass "409 says the row is done and why" || fail "409 message" "$(head -c 300 "$TMP/.body")"
grep -q '"ann"\|"bob"' "$TMP/.body" && fail "the 409 leaks no answer" "found" || pass "the 409 leaks no answer"
[ "$(dump)" = "$B0" ] && pass "refused answer wrote nothing" || fail "refused answer wrote nothing" "$(dump)"
as cat "$URL/api/next" >/dev/null
[ "$(j "$TMP/.body" 'd["item"]["qid"] != '"$Q1"' and d["item"]["rank"] == 2')" = True ] && pass "cat's next skips the done row" || fail "cat's next" "$(head -c 200 "$TMP/.body")"
as cat "$URL/api/state?status=pending&limit=500" >/dev/null
[ "$(j "$TMP/.body" 'd["total"], any(i["qid"]=='"$Q1"' for i in d["items"])')" = "(182, False)" ] && pass "status=pending: the rows still to answer (182)" || fail "pending filter" "$(j "$TMP/.body" 'd["total"]')"

# stale version, own change, undo (own only)
code=$(decide_as ann "{\"qid\":$Q1,\"version\":0,\"decision\":\"drop\"}")
[ "$code" = 409 ] && [ "$(j "$TMP/.body" 'd["conflict"]')" = stale_version ] && pass "ann with a stale version: 409 stale_version" || fail "stale version" "$code"
code=$(decide_as ann "{\"qid\":$Q1,\"version\":1,\"decision\":\"relabel\",\"new_label\":3}")
[ "$code" = 200 ] && pass "ann may change her own answer on a done row" || fail "own change" "$code $(head -c 200 "$TMP/.body")"
code=$(post_as bob /api/undo '{"reviewer":"ann"}'); [ "$code" = 403 ] && pass "bob cannot undo as ann (403)" || fail "undo as another" "$code"
code=$(post_as bob /api/undo '{}')
[ "$code" = 200 ] && [ "$(j "$TMP/.body" 'd["item"]["status"], d["item"]["answers"], d["item"]["hidden"]')" = "('pending', 1, True)" ] \
  && pass "bob's undo takes only his answer back (1 left, hidden again)" || fail "bob's undo" "$code $(head -c 300 "$TMP/.body")"
code=$(post_as bob /api/undo '{}'); [ "$code" = 404 ] && pass "bob: nothing more to undo (404)" || fail "second undo" "$code"
as ann "$URL/api/next" >/dev/null
code=$(post_as ann /api/undo '{}')
[ "$code" = 200 ] && [ "$(j "$TMP/.body" 'd["item"]["status"]')" = keep ] && pass "ann's undo restores her answer before (keep)" || fail "ann's undo" "$code $(head -c 300 "$TMP/.body")"
for bad in '{"qid":1,"version":0,"decision":"maybe"}' '{"qid":1,"version":0,"decision":"relabel","new_label":10}' \
           '{"qid":1,"version":0,"decision":"skip","verdict":"error"}'; do
  code=$(decide_as cat "$bad"); [ "$code" = 400 ] && pass "bad answer $bad -> 400" || fail "bad answer $bad" "$code"
done
code=$(decide_as cat '{"qid":99999,"version":0,"decision":"keep"}'); [ "$code" = 404 ] && pass "unknown row -> 404" || fail "unknown row" "$code"

# R reached on the first 6 rows: ann keeps, bob relabels to the suggested class on even ranks
for q in $(as ann "$URL/api/state?limit=6" >/dev/null; j "$TMP/.body" '" ".join(str(i["qid"]) for i in d["items"])'); do
  as ann "$URL/api/state?limit=500" >/dev/null; v=$(j "$TMP/.body" '[i["version"] for i in d["items"] if i["qid"]=='"$q"'][0]')
  [ "$q" = "$Q1" ] || decide_as ann "{\"qid\":$q,\"version\":$v,\"decision\":\"keep\"}" >/dev/null
  as bob "$URL/api/state?limit=500" >/dev/null
  s=$(j "$TMP/.body" '[i["suggested"] for i in d["items"] if i["qid"]=='"$q"'][0]')
  decide_as bob "{\"qid\":$q,\"version\":0,\"decision\":\"relabel\",\"new_label\":$s}" >/dev/null
done
as cat "$URL/api/state?limit=500" >/dev/null
[ "$(j "$TMP/.body" 'd["progress"]["reviews"]["done"], d["progress"]["reviews"]["answers"], d["progress"]["reviews"]["todo"]')" = "(6, 12, 177)" ] \
  && pass "6 rows done with 12 answers; 177 left for cat" || fail "session progress" "$(j "$TMP/.body" 'd["progress"]["reviews"]')"
serve_stop

# every answer is kept; the queue is untouched
[ "$(sqlite3 "$DB" "SELECT count(*) FROM queue WHERE status <> 'pending' OR version <> 0")" = 0 ] && pass "queue rows untouched by answers" || fail "queue untouched" "changed"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM reviews WHERE status IN ('keep','relabel','drop')")" = 12 ] && pass "12 answers in reviews" || fail "answers stored" "$(sqlite3 "$DB" 'SELECT * FROM reviews')"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM decision_log WHERE id IN (SELECT log_id FROM review_entries)")" = "$(sqlite3 "$DB" 'SELECT count(*) FROM decision_log')" ] \
  && pass "every answer and undo is in the decision log, marked" || fail "log marked" "differs"
sqlite3 "$DB" "DELETE FROM decision_log" 2>/dev/null && fail "decision log stays append-only" "deleted" || pass "decision log stays append-only"

# a one-decision session's undo never takes an answer back
check "serve without R starts on the same database" serve_start "$DB" --reviewers "$RV"
code=$(post_as ann /api/undo '{}'); [ "$code" = 404 ] && pass "single-reviewer undo ignores the answers (404)" || fail "single undo" "$code $(head -c 200 "$TMP/.body")"
serve_stop

# ---- consensus --db reads exactly these answers; clean applies them ----------------
la consensus --db "$DB" --out "$TMP/cons" --format json
expect_rc 0 "consensus --db over the answers exits 0"; expect_out '"annotators": 2' "ann and bob are the annotators"
[ "$(($(wc -l < "$TMP/cons/label_quality.csv") - 1))" = 6 ] && pass "6 examples in the consensus" || fail "6 examples" "$(cat "$TMP/cons/label_quality.csv")"
sqlite3 -csv "$DB" "SELECT q.dataset_id, r.reviewer, CASE r.status WHEN 'keep' THEN e.given ELSE r.new_label END
                    FROM reviews r JOIN queue q ON q.id = r.queue_id JOIN examples e ON e.run_id = q.run_id AND e.row = q.row
                    WHERE r.status IN ('keep','relabel') ORDER BY 1, 2" > "$TMP/answers.csv"
python3 - "$TMP/answers.csv" "$TMP/cons" <<'PY' > "$TMP/agree.txt" 2>&1
import csv, sys
ans = {}
for i, r, y in csv.reader(open(sys.argv[1])): ans.setdefault(i, {})[r] = y
lq = list(csv.DictReader(open(sys.argv[2] + "/label_quality.csv")))
dq = {row["index"]: row for row in csv.DictReader(open(sys.argv[2] + "/detailed_label_quality.csv"))}
ok = len(lq) == len(ans) and all(int(row["num_annotations"]) == len(ans[row["index"]]) for row in lq)
ok = ok and all((dq[i]["quality_annotator_" + r] != "") for i in ans for r in ans[i])
# unanimous rows: the consensus is their label
ok = ok and all(row["consensus_label"] == list(ans[row["index"]].values())[0] for row in lq if len(set(ans[row["index"]].values())) == 1)
print("agree" if ok else "differ %r %r" % (ans, lq))
PY
grep -q '^agree$' "$TMP/agree.txt" && pass "consensus --db reads exactly the stored answers" || fail "consensus input" "$(cat "$TMP/agree.txt")"
la clean --consensus "$TMP/cons" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/clean"
expect_rc 0 "clean --consensus exits 0"
awk 'NR==FNR{name[NR-1]=$0; next} FNR>1{split($0,f,","); print f[1]","name[f[2]]}' "$TMP/cons/classes.txt" "$TMP/cons/label_quality.csv" | sort > "$TMP/cons_names.csv"
awk -F, 'NR>1{print $1","$2}' "$TMP/clean/digits.csv" 2>/dev/null | sort > /dev/null
python3 - "$TMP/cons_names.csv" "$TMP/clean/changes.csv" "$TMP/noisy.csv" <<'PY' > "$TMP/clean.txt" 2>&1
import csv, sys
cons = dict(csv.reader(open(sys.argv[1])))
chg = {r["id"]: r for r in csv.DictReader(open(sys.argv[2]))}
given = {r["id"]: r["label"] for r in csv.DictReader(open(sys.argv[3]))}
want = {i for i in cons if cons[i] != given[i]}
ok = set(chg) == want and all(chg[i]["new_label"] == cons[i] and chg[i]["why"] == "reviewer:consensus" for i in want)
print("applied %d" % len(want) if ok and want else "differ %r %r" % (want, chg))
PY
grep -q '^applied [1-9]' "$TMP/clean.txt" && pass "clean relabels exactly where the consensus differs ($(cat "$TMP/clean.txt"))" || fail "clean applies the consensus" "$(cat "$TMP/clean.txt")"

# ---- --next active-learning -----------------------------------------------------------
check "serve --next active-learning starts" serve_start "$DB" --reviewers "$RV" --reviews-per-item 2 --next active-learning
grep -q 'next by active-learning score' "$TMP/serve.err" && pass "banner names the ActiveLab order" || fail "AL banner" "$(cat "$TMP/serve.err")"
as cat "$URL/api/state?status=pending&limit=500" >/dev/null; cp "$TMP/.body" "$TMP/al0.json"
[ "$(j "$TMP/al0.json" '[i["priority"] for i in d["items"]] == sorted(i["priority"] for i in d["items"]) and d["total"] == 177 and all(i["priority"] is not None for i in d["items"])')" = True ] \
  && pass "listing of the rows to do: lowest ActiveLab score first" || fail "AL listing order" "$(head -c 300 "$TMP/al0.json")"
as cat "$URL/api/next" >/dev/null; cp "$TMP/.body" "$TMP/aln.json"
N1=$(j "$TMP/aln.json" 'd["item"]["qid"]')
[ "$N1" = "$(j "$TMP/al0.json" 'd["items"][0]["qid"]')" ] && pass "next = the lowest score among the rows cat has to do" || fail "AL next" "$N1"
[ "$(j "$TMP/aln.json" 'd["order"]')" = active-learning ] && pass "/api/next names its order" || fail "order" "$(head -c 200 "$TMP/aln.json")"
P0=$(j "$TMP/al0.json" '[i["priority"] for i in d["items"] if i["qid"]=='"$N1"'][0]')
code=$(decide_as ann "{\"qid\":$N1,\"version\":0,\"decision\":\"keep\"}")
as cat "$URL/api/state?limit=500" >/dev/null
P1=$(j "$TMP/.body" '[i["priority"] for i in d["items"] if i["qid"]=='"$N1"'][0]')
[ "$code" = 200 ] && [ "$P0" != "$P1" ] && pass "an answer recomputes the scores ($P0 -> $P1)" || fail "AL recompute" "$code $P0 $P1"
as cat "$URL/api/state?status=pending&limit=500" >/dev/null; cp "$TMP/.body" "$TMP/al1.json"
as cat "$URL/api/next" >/dev/null
[ "$(j "$TMP/.body" 'd["item"]["qid"]')" = "$(j "$TMP/al1.json" 'min(d["items"], key=lambda i: (i["priority"], i["rank"]))["qid"]')" ] \
  && pass "cat's next after the answer: the lowest recomputed score" || fail "AL next after answer" "$(head -c 200 "$TMP/.body")"
serve_stop

# ---- review (terminal) --reviews-per-item ----------------------------------------------
TDB="$TMP/t.db"
la cv --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/cv2/pp.npy" --audit "$TMP/audit2" --db "$TDB" --quiet
la review --db "$TDB" --reviewer ann --reviews-per-item 0 < /dev/null
expect_rc 2 "review: R = 0 exits 2"; expect_err "between 1 and" "review: says the range"
la review --db "$TDB" --reviewer ann --next active-learning < /dev/null
expect_rc 2 "review: --next without R exits 2"
printf 'k\nk\nq\n' > "$TMP/keys"; la review --db "$TDB" --reviewer ann --reviews-per-item 2 < "$TMP/keys"
expect_rc 0 "review: ann answers two examples"; expect_out "2 reviewers per example, next by rank" "review: banner names R"
expect_out "others: no other answer yet" "review: nothing to show ann yet"
printf 'd\nq\n' > "$TMP/keys"; la review --db "$TDB" --reviewer bob --reviews-per-item 2 < "$TMP/keys"
expect_rc 0 "review: bob answers one"
sed -n '/^saved:/q;p' "$OUT" | grep -q 'ann' && fail "review: ann's answer hidden before bob's" "shown" || pass "review: ann's answer hidden before bob's"
expect_out "^others: ann: keep" "review: after answering bob sees ann's answer"
printf 'k\nu\nq\n' > "$TMP/keys"; la review --db "$TDB" --reviewer cat --reviews-per-item 2 < "$TMP/keys"
expect_rc 0 "review: cat answers and undoes"
expect_out "rank 2\)" "review: cat starts at rank 2 (rank 1 is done)"
expect_out "undone: your last decision" "review: undo takes cat's answer back"
[ "$(sqlite3 "$TDB" "SELECT count(*) FROM reviews WHERE reviewer = 'cat' AND status <> 'pending'")" = 0 ] && pass "review: cat's answer gone after undo" || fail "review: cat's undo" "$(sqlite3 "$TDB" 'SELECT * FROM reviews')"
[ "$(sqlite3 "$TDB" "SELECT count(*) FROM queue WHERE status <> 'pending'")" = 0 ] && pass "review: the queue rows untouched" || fail "review: queue untouched" "changed"
printf 'q\n' > "$TMP/keys"; la review --db "$TDB" --reviewer dan --reviews-per-item 2 --next active-learning < "$TMP/keys"
expect_rc 0 "review --next active-learning runs"; expect_out "next by active-learning score" "review: banner names the order"
check "serve on the same database for the AL order" serve_start "$TDB" --reviewers "$RV" --reviews-per-item 2 --next active-learning
as cat "$URL/api/next" >/dev/null; WANT=$(j "$TMP/.body" 'd["item"]["id"]')
serve_stop
grep -q "^id: *$WANT " "$OUT" && pass "review shows the same next example as serve's ActiveLab order ($WANT)" || fail "review AL order" "$WANT vs $(grep '^id:' "$OUT")"
