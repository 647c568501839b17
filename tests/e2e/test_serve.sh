# test_serve.sh — `labelaudit serve` over HTTP with curl and raw sockets: the
# API, who may sign in (a minted token printed in a ?token= URL, --token, a
# reviewers file), the reviewer taken from the session, run scope, security
# (Host check, CSRF, Origin, path traversal and symlink escapes, size limits,
# RFC 9112 framing attacks, malformed HTTP), two concurrent reviewers, own-only
# undo, and a graceful stop under load. Every wait is bounded; the server is
# always killed (trap).
. tests/e2e/lib.sh
. tests/browser/serve_lib.sh

DS="$TMP/ds"; DB="$TMP/review.db"
serve_dataset "$DS"
ln -s /etc/passwd "$DS/evil.png"
ln -s .. "$DS/up"; cp "$DATA/bad/images/fm-t10k-00000.png" "$TMP/outside.png"
serve_fixture "$DB" "$DS/manifest_escaping_labels.csv"
RV="$TMP/reviewers"; reviewers_file "$RV" alice bob A B C K

# ---- command line ----------------------------------------------------------
la serve --help;                          expect_rc 0 "serve --help exits 0"; expect_out '--token' "serve help lists --token"
la serve;                                 expect_rc 2 "serve without --db is a usage error"
la serve --db "$TMP/none.db";             expect_rc 2 "serve on a missing database exits 2"
la serve --db "$DB" --port 70000;         expect_rc 2 "serve rejects port 70000"
la serve --db "$DB" --bind 0.0.0.0 --port 0; expect_rc 2 "non-loopback bind without --token refused (exit 2)"
expect_err 'token' "refusal mentions the token"
la serve --db "$DB" --bind 0.0.0.0 --token short --port 0; expect_rc 2 "too short token refused"
la serve --db "$DB" --bind nonsense --token 0123456789abcdef0123 --port 0; expect_rc 2 "bad bind address exits 2"

la serve --db "$DB" --reviewers "$TMP/none";      expect_rc 2 "missing reviewers file exits 2"
cp "$RV" "$TMP/rv_open"; chmod 644 "$TMP/rv_open"
la serve --db "$DB" --reviewers "$TMP/rv_open" --port 0; expect_rc 2 "reviewers file readable by others refused"
expect_err 'chmod 600' "refusal says how to fix the file mode"
printf 'ann tok-ann-0123456789abcdef\nbob short\n' > "$TMP/rv_bad"; chmod 600 "$TMP/rv_bad"
la serve --db "$DB" --reviewers "$TMP/rv_bad" --port 0; expect_rc 2 "bad token in the reviewers file exits 2"
expect_err 'rv_bad:2: token' "bad reviewers line named file:line"
la serve --db "$DB" --reviewers "$RV" --token 0123456789abcdef0123 --port 0; expect_rc 2 "--reviewers with --token refused"

# ---- the default: a minted token, printed in a full ?token= URL ------------------
check "default server starts" serve_start "$DB"
grep -q "^labelaudit serve: reviewer .*: open http://127.0.0.1:$PORT/?token=[0-9a-f]\{64\}$" "$TMP/serve.out" \
  && pass "minted token printed in a full ?token= URL on stdout" || fail "minted token URL" "$(cat "$TMP/serve.out")"
code=$(anon_code "$URL/");                 [ "$code" = 401 ] && pass "default: no token -> 401 (never open to every local user)" || fail "default: no token -> 401" "$code"
grep -q '"error"' "$TMP/.body" && pass "401 is a JSON error" || fail "401 is a JSON error" "$(head -c 200 "$TMP/.body")"
code=$(anon_code "$URL/api/state");        [ "$code" = 401 ] && pass "default: API without token -> 401" || fail "default: API without token -> 401" "$code"
code=$(anon_code -D "$TMP/.hdr" "$URL/?token=$TOK")
[ "$code" = 303 ] && grep -qi "^set-cookie: la_session_$PORT=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict" "$TMP/.hdr" \
  && pass "?token= sets la_session_PORT (HttpOnly, SameSite=Strict) and redirects" || fail "?token= sets the session cookie" "$code $(cat "$TMP/.hdr")"
grep -qi "^set-cookie:.*$TOK" "$TMP/.hdr" && fail "cookie does not hold the token" "it does" || pass "cookie does not hold the token"
tr -d '\r' < "$TMP/.hdr" | grep -qi '^location: /$' && pass "redirect drops the token from the address" || fail "redirect to /" "$(cat "$TMP/.hdr")"
code=$(http_code "$URL/api/state?limit=1"); [ "$code" = 200 ] && pass "default: bearer token -> 200" || fail "default: bearer token -> 200" "$code"
serve_stop
grep -q 'stopped' "$TMP/serve.err" && pass "SIGTERM: says stopped (stderr)" || fail "SIGTERM: says stopped" "$(cat "$TMP/serve.err")"
check "--quiet server starts" serve_start "$DB" --quiet
[ ! -s "$TMP/serve.err" ] && pass "--quiet: nothing on stderr" || fail "--quiet: nothing on stderr" "$(cat "$TMP/serve.err")"
[ "$(wc -l < "$TMP/serve.out")" = 2 ] && pass "--quiet: only the two address lines on stdout" || fail "--quiet: address lines" "$(cat "$TMP/serve.out")"
serve_stop

# ---- basic API --------------------------------------------------------------
check "server starts on a free port" serve_start "$DB" --reviewers "$RV"
TOK=$(token_of alice)
code=$(http_code "$URL/");                 [ "$code" = 200 ] && pass "GET / 200" || fail "GET / 200" "got $code"
grep -q 'name="csrf"' "$TMP/.body" && pass "page carries a CSRF meta" || fail "page carries a CSRF meta" "no meta"
grep -q '<script>alert' "$TMP/.body" && fail "page holds no raw hostile name" "found" || pass "page holds no raw hostile name"
CSRF=$(csrf_token)
[ ${#CSRF} = 64 ] && pass "CSRF token is 64 hex" || fail "CSRF token is 64 hex" "'$CSRF'"
code=$(http_code "$URL/api/state?limit=100"); [ "$code" = 200 ] && pass "GET /api/state 200" || fail "GET /api/state 200" "$code"
grep -q '"total":60' "$TMP/.body" && pass "state lists 60 queued examples" || fail "state lists 60 queued examples" "$(head -c 200 "$TMP/.body")"
grep -q '"reviewer":"alice"' "$TMP/.body" && pass "state names the signed-in reviewer" || fail "state names the reviewer" "$(head -c 200 "$TMP/.body")"
grep -q 'alert(1)' "$TMP/.body" && ! grep -q '<script>' "$TMP/.body" && pass "hostile class names JSON-escaped" || fail "hostile class names JSON-escaped" "raw < in JSON"
grep -q '"image":"/img/images/fm-t10k-00000.png"' "$TMP/.body" && pass "image URL relative to the dataset root" || fail "image URL relative to the dataset root" "$(head -c 300 "$TMP/.body")"
code=$(http_code "$URL/api/state?class=1&status=pending&min=0.1&max=0.5"); [ "$code" = 200 ] && pass "filters accepted" || fail "filters accepted" "$code"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["items"] and all(i["given"]==1 and 0.1<=i["score"]<=0.5 and i["status"]=="pending" for i in d["items"]), d' "$TMP/.body" 2>/dev/null \
  && pass "filters by class, status and score range" || fail "filters by class, status and score range" "$(head -c 300 "$TMP/.body")"
for q in 'class=99' 'status=bogus' 'min=abc' 'limit=0' 'limit=100000' 'offset=-1'; do
  code=$(http_code "$URL/api/state?$q"); [ "$code" = 400 ] && pass "bad filter $q -> 400" || fail "bad filter $q -> 400" "$code"
done
code=$(http_code -D "$TMP/.hdr" "$URL/img/images/fm-t10k-00000.png")
[ "$code" = 200 ] && grep -qi '^content-type: image/png' "$TMP/.hdr" && pass "image served as image/png" || fail "image served as image/png" "$code"
grep -qi "^content-security-policy: default-src 'none'" "$TMP/.hdr" && pass "CSP header sent" || fail "CSP header sent" "missing"
grep -qi '^x-content-type-options: nosniff' "$TMP/.hdr" && pass "nosniff header sent" || fail "nosniff header sent" "missing"

# ---- hostile requests ----------------------------------------------------------
for p in '/img/../../../../etc/passwd' '/img/%2e%2e/%2e%2e/%2e%2e/etc/passwd' '/img//etc/passwd' \
         '/img/images/../../manifest_escaping_labels.csv' '/img/evil.png' '/img/up/outside.png' \
         '/img/images%2f..%2f..%2fetc%2fpasswd' '/img/images/..%5c..%5cetc' ; do
  code=$(http_code --path-as-is "$URL$p")
  [ "$code" = 403 ] && pass "traversal $p -> 403" || fail "traversal $p -> 403" "got $code"
done
code=$(http_code "$URL/img/manifest_escaping_labels.csv"); [ "$code" = 403 ] && pass "non-image file inside root -> 403" || fail "non-image file inside root -> 403" "$code"
code=$(http_code "$URL/img/images/nope.png"); [ "$code" = 404 ] && pass "missing image -> 404" || fail "missing image -> 404" "$code"
code=$(http_code "$URL/nope");            [ "$code" = 404 ] && pass "unknown path -> 404" || fail "unknown path -> 404" "$code"
code=$(http_code "$URL/api/decide");      [ "$code" = 405 ] && pass "GET on a POST route -> 405" || fail "GET on a POST route -> 405" "$code"
code=$(http_code -X POST "$URL/");        [ "$code" = 405 ] && pass "POST on a GET route -> 405" || fail "POST on a GET route -> 405" "$code"
code=$(http_code -X DELETE "$URL/api/state"); [ "$code" = 405 ] && pass "DELETE -> 405" || fail "DELETE -> 405" "$code"
code=$(http_code -H 'Host: evil.example' "$URL/"); [ "$code" = 403 ] && pass "foreign Host (DNS rebinding) -> 403" || fail "foreign Host -> 403" "$code"
code=$(http_code "$URL/$(head -c 5000 /dev/zero | tr '\0' a)"); [ "$code" = 414 ] && pass "URL over 2 KB -> 414" || fail "URL over 2 KB -> 414" "$code"
J='{"qid":1,"version":0,"decision":"keep"}'
code=$(anon_code -b "$JAR" -X POST -H 'Content-Type: application/json' --data-binary "$J" "$URL/api/decide"); [ "$code" = 403 ] && pass "session POST without CSRF token -> 403" || fail "session POST without CSRF token -> 403" "$code"
code=$(anon_code -b "$JAR" -X POST -H 'Content-Type: application/json' -H 'X-CSRF-Token: 00' --data-binary "$J" "$URL/api/decide"); [ "$code" = 403 ] && pass "session POST with wrong CSRF token -> 403" || fail "session POST with wrong CSRF token -> 403" "$code"
code=$(post_cookie /api/decide "$J" -H 'Origin: http://evil.example'); [ "$code" = 403 ] && pass "cross-origin POST -> 403" || fail "cross-origin POST -> 403" "$code"
code=$(post_cookie /api/decide "$J" -H "Origin: http://127.0.0.1:$((PORT + 1))"); [ "$code" = 403 ] && pass "Origin with another port -> 403" || fail "Origin with another port -> 403" "$code"
code=$(post_cookie /api/decide "$J" -H "Origin: https://127.0.0.1:$PORT"); [ "$code" = 403 ] && pass "Origin with another scheme -> 403" || fail "Origin with another scheme -> 403" "$code"
code=$(post_cookie /api/decide "$J" -H 'Origin: null'); [ "$code" = 403 ] && pass "Origin null -> 403" || fail "Origin null -> 403" "$code"
code=$(anon_code -b "$JAR" -X POST -H 'Content-Type: application/jsonp' -H "X-CSRF-Token: $CSRF" --data-binary "$J" "$URL/api/decide"); [ "$code" = 415 ] && pass "Content-Type application/jsonp -> 415" || fail "Content-Type application/jsonp -> 415" "$code"
code=$(http_code -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data "a=b" "$URL/api/decide"); [ "$code" = 415 ] && pass "form POST -> 415" || fail "form POST -> 415" "$code"
[ "$(sqlite3 "$DB" "SELECT status FROM queue WHERE id = 1")" = pending ] && pass "refused POSTs changed nothing" || fail "refused POSTs changed nothing" "$(sqlite3 "$DB" "SELECT * FROM queue WHERE id = 1")"
code=$(post /api/decide '{"qid":1,'); [ "$code" = 400 ] && pass "truncated JSON -> 400" || fail "truncated JSON -> 400" "$code"
code=$(post /api/decide '[1,2]'); [ "$code" = 400 ] && pass "JSON array body -> 400" || fail "JSON array body -> 400" "$code"
code=$(post /api/decide '{"qid":1,"version":0,"decision":"burn"}'); [ "$code" = 400 ] && pass "bad decision -> 400" || fail "bad decision -> 400" "$code"
code=$(post /api/decide '{"qid":1,"version":0,"decision":"relabel","new_label":7}'); [ "$code" = 400 ] && pass "relabel to a class out of range -> 400" || fail "relabel to a class out of range -> 400" "$code"
code=$(post /api/decide '{"qid":1,"version":0,"decision":"keep","reviewer":"mallory"}'); [ "$code" = 403 ] && pass "naming another reviewer in the body -> 403" || fail "naming another reviewer -> 403" "$code"
code=$(post /api/decide '{"qid":99999,"version":0,"decision":"keep"}'); [ "$code" = 404 ] && pass "unknown queue id -> 404" || fail "unknown queue id -> 404" "$code"
head -c 100000 /dev/zero | tr '\0' ' ' > "$TMP/big.json"
code=$(http_code -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/big.json" "$URL/api/decide"); [ "$code" = 413 ] && pass "100 KB body -> 413" || fail "100 KB body -> 413" "$code"
grep -q '^{"error":' "$TMP/.body" && pass "413 is a JSON error" || fail "413 is a JSON error" "$(head -c 100 "$TMP/.body")"
code=$(http_code -X POST -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big.json" "$URL/api/decide")
case $code in 413|000) pass "chunked 100 KB body refused ($code)";; *) fail "chunked 100 KB body refused" "$code";; esac
r=$(raw_http 'GARBAGE\r\n\r\n');                       case $r in "HTTP/1."?" 400"*) pass "garbage request line -> 400";; *) fail "garbage request line -> 400" "'$r'";; esac
r=$(raw_http 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n'); case $r in "HTTP/1."?" 400"*) pass "header without colon -> 400";; *) fail "header without colon -> 400" "'$r'";; esac
r=$(raw_http 'GET / HTTP/1.1\r\n\r\n');                 case $r in "HTTP/1."?" 40"[03]*) pass "HTTP/1.1 without Host -> 400/403";; *) fail "HTTP/1.1 without Host -> 400/403" "'$r'";; esac
r=$(raw_http 'GET / HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n'); case $r in "HTTP/1."?" 400"*) pass "extra token in request line -> 400";; *) fail "extra token in request line -> 400" "'$r'";; esac
r=$(raw_http "GET /$(head -c 9000 /dev/zero | tr '\0' a) HTTP/1.1\r\n\r\n"); case $r in "HTTP/1."?" 414"*) pass "9 KB request line -> 414";; *) fail "9 KB request line -> 414" "'$r'";; esac
r=$(raw_http 'GET / HTTP/7.0\r\nHost: x\r\n\r\n');      case $r in "HTTP/1."?" 505"*) pass "unknown HTTP version -> 505";; *) fail "unknown HTTP version -> 4xx/505" "'$r'";; esac
r=$(raw_http 'POST /api/decide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n'); case $r in "HTTP/1."?" 4"*) pass "negative Content-Length -> 4xx";; *) fail "negative Content-Length -> 4xx" "'$r'";; esac
r=$(raw_http 'GET /\001\002 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'); case $r in "HTTP/1."?" 4"*) pass "control bytes in the URL -> 4xx";; *) fail "control bytes in the URL -> 4xx" "'$r'";; esac
# a client that connects and sends nothing must not block anyone else
( timeout 8 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; sleep 6' _ "$PORT" ) 2>/dev/null &
idle=$!
sleep 0.3
code=$(http_code "$URL/api/state?limit=1"); [ "$code" = 200 ] && pass "server keeps serving after hostile requests" || fail "server keeps serving after hostile requests" "$code"
kill "$idle" 2>/dev/null
kill -0 "$SERVE_PID" 2>/dev/null && pass "server process still alive" || fail "server process still alive" "died"

# ---- decisions, conflicts, undo ---------------------------------------------------
CSRF=$(csrf_token)
[ ${#CSRF} = 64 ] && pass "session CSRF token is 64 hex" || fail "session CSRF token is 64 hex" "'$CSRF'"
code=$(post_cookie /api/decide '{"qid":1,"version":0,"decision":"keep"}' -H "Origin: $URL"); [ "$code" = 200 ] && pass "decide keep in a browser session (same Origin) -> 200" || fail "decide keep -> 200" "$code"
[ "$(sqlite3 "$DB" "SELECT reviewer FROM queue WHERE id = 1")" = alice ] && pass "decision recorded under the session's reviewer" || fail "decision under the session's reviewer" "$(sqlite3 "$DB" "SELECT * FROM queue WHERE id = 1")"
code=$(post_as bob /api/decide '{"qid":1,"version":0,"decision":"drop"}'); [ "$code" = 409 ] && pass "stale version -> 409 conflict" || fail "stale version -> 409 conflict" "$code"
grep -q '"status":"keep"' "$TMP/.body" && grep -q 'alice' "$TMP/.body" && pass "conflict reply shows the current decision" || fail "conflict reply shows the current decision" "$(head -c 300 "$TMP/.body")"
grep -q '"conflict":"other_reviewer"' "$TMP/.body" && grep -q 'another reviewer, alice, decided' "$TMP/.body" && pass "409 says another reviewer decided it" || fail "409 says another reviewer decided it" "$(head -c 300 "$TMP/.body")"
code=$(post /api/decide '{"qid":1,"version":0,"decision":"drop"}'); [ "$code" = 409 ] && grep -q '"conflict":"stale_version"' "$TMP/.body" && grep -q 'stale version' "$TMP/.body" \
  && pass "409 on one's own stale version says so" || fail "409 stale version" "$code $(head -c 300 "$TMP/.body")"
code=$(post_as bob /api/decide '{"qid":2,"version":0,"decision":"relabel","new_label":0,"note":"looks like <b>"}'); [ "$code" = 200 ] && pass "decide relabel -> 200" || fail "decide relabel -> 200" "$code"
st=$(sqlite3 "$DB" "SELECT status, new_label, reviewer, version FROM queue WHERE id = 2")
[ "$st" = "relabel|0|bob|1" ] && pass "relabel stored in SQLite" || fail "relabel stored in SQLite" "$st"
before=$(sqlite3 "$DB" .dump | md5sum)
code=$(post_as bob /api/undo '{"reviewer":"alice"}'); [ "$code" = 403 ] && pass "undo of another's decision refused (403)" || fail "undo of another's decision refused" "$code"
code=$(post_as C /api/undo '{}');  [ "$code" = 404 ] && pass "a reviewer with no decision has nothing to undo (404)" || fail "undo with nothing of one's own" "$code"
[ "$(sqlite3 "$DB" .dump | md5sum)" = "$before" ] && pass "refused undos left the database unchanged" || fail "refused undos left the database unchanged" "changed"
code=$(post_cookie /api/undo '{}');  [ "$code" = 200 ] && pass "undo own last decision -> 200" || fail "undo -> 200" "$code"
st=$(sqlite3 "$DB" "SELECT status FROM queue WHERE id = 1"); [ "$st" = pending ] && pass "undo restored pending" || fail "undo restored pending" "$st"
[ "$(sqlite3 "$DB" "SELECT status || '|' || reviewer FROM queue WHERE id = 2")" = "relabel|bob" ] && pass "alice's undo left bob's decision" || fail "alice's undo left bob's decision" "$(sqlite3 "$DB" "SELECT * FROM queue WHERE id = 2")"
code=$(post_cookie /api/undo '{}');  [ "$code" = 404 ] && pass "nothing left to undo -> 404" || fail "nothing left to undo -> 404" "$code"
code=$(post_as bob /api/undo '{}');    [ "$code" = 200 ] && pass "second reviewer undoes own -> 200" || fail "second reviewer undo" "$code"
n=$(sqlite3 "$DB" "SELECT count(*) FROM decision_log"); [ "$n" = 4 ] && pass "every decision and undo logged (4)" || fail "every decision and undo logged" "$n"

# ---- two clients at once --------------------------------------------------------
# Same examples: A and B both decide queue rows 11..30 from version 0 at once.
# Exactly one wins each row; the other gets 409. Different examples: A takes
# 31..45, B 46..60, all must be saved.
client() {   # client NAME FIRST LAST DECISION OUT
    i=$2; : > "$5"
    while [ "$i" -le "$3" ]; do
        post_as "$1" /api/decide "{\"qid\":$i,\"version\":0,\"decision\":\"$4\"}" >> "$5"; echo >> "$5"
        i=$((i + 1))
    done
}
client A 11 30 keep "$TMP/a1" & a=$!
client B 11 30 drop "$TMP/b1" & b=$!
wait $a; wait $b
ok=$(cat "$TMP/a1" "$TMP/b1" | grep -c '^200$'); cf=$(cat "$TMP/a1" "$TMP/b1" | grep -c '^409$')
[ "$ok" = 20 ] && [ "$cf" = 20 ] && pass "same examples: 20 saved, 20 conflicts" || fail "same examples: 20 saved, 20 conflicts" "200s=$ok 409s=$cf"
n=$(sqlite3 "$DB" "SELECT count(*) FROM queue WHERE id BETWEEN 11 AND 30 AND version = 1 AND status IN ('keep','drop')")
[ "$n" = 20 ] && pass "each contested row decided exactly once" || fail "each contested row decided exactly once" "$n"
client A 31 45 keep "$TMP/a2" & a=$!
client B 46 60 skip "$TMP/b2" & b=$!
wait $a; wait $b
ok=$(cat "$TMP/a2" "$TMP/b2" | grep -c '^200$')
[ "$ok" = 30 ] && pass "different examples: all 30 saved" || fail "different examples: all 30 saved" "$ok"
n=$(sqlite3 "$DB" "SELECT count(*) FROM queue WHERE (id BETWEEN 31 AND 45 AND status='keep' AND reviewer='A') OR (id BETWEEN 46 AND 60 AND status='skip' AND reviewer='B')")
[ "$n" = 30 ] && pass "nothing lost: 30 rows with the right reviewer" || fail "nothing lost" "$n"
n=$(sqlite3 "$DB" "SELECT count(*) FROM decision_log WHERE source = 'serve'")
[ "$n" = 52 ] && pass "decision log holds every saved decision (52)" || fail "decision log holds every saved decision" "$n"
code=$(http_code "$URL/api/state?status=decided&limit=1")
grep -q '"overall":{"total":60,"decided":50,"keep":[0-9]*,"relabel":[0-9]*,"drop":[0-9]*,"skip":15}' "$TMP/.body" && pass "progress: 50 of 60 not pending, 15 of them skipped (decide later)" || fail "progress: 50 of 60 not pending" "$(head -c 300 "$TMP/.body")"

# ---- graceful stop under load ------------------------------------------------------
sqlite3 "$DB" "SELECT 1" >/dev/null
client C 3 10 keep "$TMP/c1" &
c=$!
sleep 0.2
serve_stop
wait $c 2>/dev/null
[ "$SERVE_RC" = 0 ] && pass "SIGTERM: clean exit 0" || fail "SIGTERM: clean exit 0" "exit $SERVE_RC"
grep -q 'stopped' "$TMP/serve.err" && pass "SIGTERM: says stopped" || fail "SIGTERM: says stopped" "$(cat "$TMP/serve.err")"
acked=$(grep -c '^200$' "$TMP/c1"); saved=$(sqlite3 "$DB" "SELECT count(*) FROM queue WHERE id BETWEEN 3 AND 10 AND reviewer = 'C'")
[ "$acked" -le "$saved" ] && pass "every acknowledged decision committed ($acked acked, $saved saved)" || fail "acknowledged decisions committed" "acked $acked saved $saved"
ic=$(sqlite3 "$DB" "PRAGMA integrity_check"); [ "$ic" = ok ] && pass "integrity_check ok after stop" || fail "integrity_check ok after stop" "$ic"

# ---- kill -9 under load: every acknowledged decision is on disk ----------------------
check "server restarts on the same database" serve_start "$DB" --reviewers "$RV"
v() { sqlite3 "$DB" "SELECT version FROM queue WHERE id = $1"; }
: > "$TMP/k1"
for i in 3 4 5 6 7 8 9 10; do
    post_as K /api/decide "{\"qid\":$i,\"version\":$(v $i),\"decision\":\"drop\"}" >> "$TMP/k1"; echo " $i" >> "$TMP/k1"
done &
k=$!
sleep 0.5
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
wait $k 2>/dev/null
ic=$(sqlite3 "$DB" "PRAGMA integrity_check"); [ "$ic" = ok ] && pass "kill -9: integrity_check ok" || fail "kill -9: integrity_check ok" "$ic"
lost=0
for i in $(grep '^200 ' "$TMP/k1" | cut -d' ' -f2); do
    [ "$(sqlite3 "$DB" "SELECT reviewer FROM queue WHERE id = $i")" = K ] || lost=$((lost + 1))
done
[ "$lost" = 0 ] && pass "kill -9: no acknowledged decision lost ($(grep -c '^200 ' "$TMP/k1") acked)" || fail "kill -9: acknowledged decisions lost" "$lost"
n=$(sqlite3 "$DB" "SELECT count(*) FROM queue q WHERE reviewer = 'K' AND NOT EXISTS (SELECT 1 FROM decision_log l WHERE l.queue_id = q.id AND l.reviewer = 'K')")
[ "$n" = 0 ] && pass "kill -9: queue and log agree" || fail "kill -9: queue and log agree" "$n rows without log"

# ---- token mode: --token T names one reviewer (--reviewer) -------------------------------
TOK=0123456789abcdef0123456789abcdef
check "server with --token starts" serve_start "$DB" --token "$TOK" --reviewer tess
code=$(anon_code "$URL/");                                  [ "$code" = 401 ] && pass "token: none -> 401" || fail "token: none -> 401" "$code"
code=$(anon_code -H "Authorization: Bearer nope" "$URL/");   [ "$code" = 403 ] && pass "token: wrong bearer -> 403" || fail "token: wrong bearer -> 403" "$code"
code=$(http_code "$URL/api/state?limit=1"); [ "$code" = 200 ] && grep -q '"reviewer":"tess"' "$TMP/.body" && pass "token: right bearer -> 200 as tess" || fail "token: right bearer -> 200" "$code"
code=$(anon_code -H "Cookie: la_session_$PORT=wrong" "$URL/"); [ "$code" = 403 ] && pass "token: unknown session cookie -> 403" || fail "token: wrong cookie -> 403" "$code"
code=$(anon_code -H "Cookie: la_token=$TOK" "$URL/");       [ "$code" = 401 ] && pass "token: the old la_token cookie is no credential" || fail "token: la_token cookie" "$code"
code=$(anon_code "$URL/?token=wrong");                      [ "$code" = 403 ] && pass "token: wrong ?token= -> 403" || fail "token: wrong ?token= -> 403" "$code"
CSRF=$(csrf_token)
code=$(anon_code -b "$JAR" "$URL/img/images/fm-t10k-00000.png"); [ "$code" = 200 ] && pass "token: session cookie -> 200" || fail "token: cookie -> 200" "$code"
code=$(anon_code "$URL/img/images/fm-t10k-00000.png");       [ "$code" = 401 ] && pass "token: images need it too" || fail "token: images need it too" "$code"
serve_stop
[ "$SERVE_RC" = 0 ] && pass "token server stops cleanly" || fail "token server stops cleanly" "exit $SERVE_RC"

# ---- run scope: serving run 1, nothing of run 2 can be read or changed -------------------
DB2="$TMP/two.db"
serve_fixture "$DB2" "$DS/manifest_escaping_labels.csv"
sqlite3 "$DB2" "BEGIN;
  INSERT INTO runs (id, created_at, version, kind, dataset_path, dataset_hash, n, k, method, rank_by, options_json,
                    error_rate, health, num_flagged, summary_json)
    SELECT 2, '2026-01-02T00:00:00Z', version, kind, dataset_path, dataset_hash, n, k, method, rank_by, options_json,
           error_rate, health, num_flagged, summary_json FROM runs WHERE id = 1;
  INSERT INTO run_classes (run_id, class_index, name, given_count, num_issues, error_rate, quality)
    SELECT 2, class_index, name, given_count, num_issues, error_rate, quality FROM run_classes WHERE run_id = 1;
  INSERT INTO examples (run_id, row, dataset_id, given, suggested, quality, is_issue, rank, image_path)
    SELECT 2, row, dataset_id, given, suggested, quality, is_issue, rank, image_path FROM examples WHERE run_id = 1;
  INSERT INTO queue (run_id, row, dataset_id) SELECT 2, row, dataset_id FROM examples WHERE run_id = 2 ORDER BY rank;
  COMMIT;"
Q2=$(sqlite3 "$DB2" "SELECT min(id) FROM queue WHERE run_id = 2")
check "server on run 1 of a two-run database starts" serve_start "$DB2" --run 1 --reviewers "$RV"
TOK=$(token_of alice)
before=$(sqlite3 "$DB2" .dump | md5sum)
code=$(post /api/decide "{\"qid\":$Q2,\"version\":0,\"decision\":\"drop\"}"); [ "$code" = 404 ] && pass "run scope: deciding a queue row of run 2 -> 404" || fail "run scope: cross-run decision refused" "$code $(head -c 200 "$TMP/.body")"
grep -q "no queue entry $Q2 in run 1" "$TMP/.body" && pass "run scope: the refusal names the served run" || fail "run scope: refusal message" "$(head -c 200 "$TMP/.body")"
CSRF=$(csrf_token)
code=$(post_cookie /api/decide "{\"qid\":$Q2,\"version\":0,\"decision\":\"keep\"}"); [ "$code" = 404 ] && pass "run scope: also from a browser session" || fail "run scope: browser session" "$code"
code=$(http_code "$URL/api/state?limit=500"); python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["run"]==1 and d["total"]==60 and all(i["qid"]<int(sys.argv[2]) for i in d["items"]) else 1)' "$TMP/.body" "$Q2" \
  && pass "run scope: state lists only run 1's rows" || fail "run scope: state lists only run 1" "$(head -c 200 "$TMP/.body")"
[ "$(sqlite3 "$DB2" .dump | md5sum)" = "$before" ] && pass "run scope: database dump unchanged" || fail "run scope: database dump unchanged" "changed"
code=$(post /api/decide '{"qid":1,"version":0,"decision":"keep"}'); [ "$code" = 200 ] && pass "run scope: a row of run 1 can be decided" || fail "run scope: run 1 row" "$code"
sqlite3 "$DB2" "UPDATE queue SET status = 'drop', reviewer = 'bob', version = 1 WHERE id = $Q2"
code=$(post /api/undo '{}'); [ "$code" = 200 ] && [ "$(sqlite3 "$DB2" "SELECT status FROM queue WHERE id = $Q2")" = drop ] && pass "run scope: undo stays in run 1" || fail "run scope: undo" "$code"
serve_stop

# ---- RFC 9112 framing over raw sockets: 400 (or 413) and close, no second response ---------
check "server for the framing attacks starts" serve_start "$DB2" --run 1 --reviewers "$RV"
TOK=$(token_of alice)
before=$(sqlite3 "$DB2" .dump | md5sum)
python3 tests/e2e/serve_raw.py "$PORT" "$TOK" > "$TMP/raw.out" 2>&1 || true
grep -E '^(PASS|FAIL) ' "$TMP/raw.out"
[ "$(grep -c '^PASS' "$TMP/raw.out")" = 18 ] && pass "all 18 raw-socket cases ran (each 400 names its fault)" || fail "raw-socket cases" "$(grep -v '^PASS' "$TMP/raw.out" | head -5)"
n=$(sqlite3 "$DB2" "SELECT count(*) FROM decision_log WHERE queue_id = 3")
[ "$n" = 1 ] && pass "only the one well-framed decision reached the database" || fail "framing: decisions in the log" "$n"
kill -0 "$SERVE_PID" 2>/dev/null && pass "server alive after the framing attacks" || fail "server alive after the framing attacks" "died"
serve_stop

# ---- verdicts: optional, validated (400 JSON, nothing written), stored, undone -------
VDB="$TMP/verdict.db"; serve_fixture "$VDB" "$DS/manifest_escaping_labels.csv"
check "verdict server starts" serve_start "$VDB" --reviewers "$RV"
vdump=$(sqlite3 "$VDB" .dump | md5sum)
for vj in '"verdict":"maybe"' '"verdict":"Error"' '"verdict":3' '"verdict":["error"]'; do
  code=$(post_as K /api/decide '{"qid":50,"version":0,"decision":"keep",'"$vj"'}')
  [ "$code" = 400 ] && grep -q '"error":"verdict must be' "$TMP/.body" && pass "bad verdict $vj -> 400 naming it" || fail "bad verdict $vj -> 400" "$code $(head -c 200 "$TMP/.body")"
done
code=$(post_as K /api/decide '{"qid":50,"version":0,"decision":"skip","verdict":"error"}')
[ "$code" = 400 ] && grep -q 'a verdict needs a decision' "$TMP/.body" && pass "verdict with skip -> 400" || fail "verdict with skip -> 400" "$code $(head -c 200 "$TMP/.body")"
[ "$(sqlite3 "$VDB" .dump | md5sum)" = "$vdump" ] && pass "refused verdicts left the database unchanged" || fail "refused verdicts left the database unchanged" "changed"
code=$(post_as K /api/decide '{"qid":50,"version":0,"decision":"drop","verdict":"ambiguous"}')
[ "$code" = 200 ] && grep -q '"verdict":"ambiguous"' "$TMP/.body" && pass "decision with a verdict -> 200, item carries it" || fail "decision with a verdict" "$code $(head -c 300 "$TMP/.body")"
[ "$(sqlite3 "$VDB" "SELECT status || '|' || verdict FROM queue WHERE id = 50")" = "drop|ambiguous" ] && pass "verdict stored beside the action" || fail "verdict stored" "$(sqlite3 "$VDB" "SELECT * FROM queue WHERE id = 50")"
code=$(post_as K /api/decide '{"qid":50,"version":1,"decision":"keep","verdict":null}')
[ "$code" = 200 ] && grep -q '"verdict":null' "$TMP/.body" && pass "verdict null = none" || fail "verdict null = none" "$code $(head -c 300 "$TMP/.body")"
code=$(post_as K /api/undo '{}')
[ "$code" = 200 ] && [ "$(sqlite3 "$VDB" "SELECT status || '|' || verdict FROM queue WHERE id = 50")" = "drop|ambiguous" ] && pass "undo restores the verdict before" || fail "undo restores the verdict" "$(sqlite3 "$VDB" "SELECT * FROM queue WHERE id = 50")"
post_as K /api/undo '{}' >/dev/null
[ "$(sqlite3 "$VDB" "SELECT status || '|' || ifnull(verdict, '-') FROM queue WHERE id = 50")" = "pending|-" ] && pass "undo back to pending clears the verdict" || fail "undo to pending" "$(sqlite3 "$VDB" "SELECT * FROM queue WHERE id = 50")"
code=$(http_code "$URL/")
grep -q "toggleVerdict(i, 'false_alarm')" "$TMP/.body" && grep -q '<kbd>e</kbd> a genuine label error' "$TMP/.body" && pass "page has verdict keys (e, a, f) and says so" || fail "page has verdict keys" "missing"
serve_stop

# ---- a real run: cv + audit --db on digits-png, then serve it -------------------------
mkdir -p "$TMP/real"
la cv --data "$DATA/digits-png/manifest.csv" --out "$TMP/real/probs.npy" --audit "$TMP/real/audit" \
      --db "$TMP/real/review.db" --quiet --threads 2
expect_rc 0 "cv + audit --db on digits-png"
[ ! -s "$OUT" ] && pass "cv --quiet prints nothing on stdout" || fail "cv --quiet prints nothing on stdout" "$(head -3 "$OUT")"
if [ "$RC" = 0 ] && serve_start "$TMP/real/review.db" --reviewer e2e; then
    code=$(http_code "$URL/api/state?limit=1")
    img=$(sed -n 's/.*"image":"\([^"]*\)".*/\1/p' "$TMP/.body")
    qid=$(sed -n 's/.*"qid":\([0-9]*\).*/\1/p' "$TMP/.body")
    case $img in /img/images/*.png) pass "real run: image URL under the dataset root";; *) fail "real run: image URL under the dataset root" "$(head -c 300 "$TMP/.body")";; esac
    code=$(http_code "$URL$img"); [ "$code" = 200 ] && pass "real run: thumbnail served" || fail "real run: thumbnail served" "$code"
    code=$(post /api/decide "{\"qid\":$qid,\"version\":0,\"decision\":\"keep\"}"); [ "$code" = 200 ] && pass "real run: decision saved" || fail "real run: decision saved" "$code"
    serve_stop
    la decisions --db "$TMP/real/review.db"; expect_out ',keep,,e2e,' "real run: decision exported"
else
    fail "real run: serve starts" "$(cat "$TMP/serve.err")"
fi
