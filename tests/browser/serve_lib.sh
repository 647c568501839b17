# serve_lib.sh — sourced by the serve/review/decisions end-to-end tests (after
# tests/e2e/lib.sh): a copy of the hostile-names image dataset in $TMP, a
# fixture database over it, and starting/stopping `labelaudit serve` on a free
# loopback port with every wait bounded in time.
#
#   serve_dataset DIR          copies bad/manifest_escaping_labels.csv + images
#   serve_fixture DB MANIFEST  builds the review database (serve_fixture.sh)
#   serve_start DB [ARGS...]   starts serve --port 0; sets SERVE_PID, PORT, URL and,
#                              when serve minted a token, TOK (the ?token= it printed)
#   serve_stop                 SIGTERM, waits up to 10 s, then SIGKILL; sets SERVE_RC
#   reviewers_file F NAME...   writes a reviewers file (mode 0600): NAME $(token_of NAME)
#   token_of NAME              the test token of reviewer NAME
#   http_code / post ...       curl as $TOK (Authorization: Bearer), prints the status
#   anon_code ...              curl without any credential
#   csrf_token                 signs in with ?token=$TOK (cookie jar $JAR), prints the
#                              session's CSRF token
#   post_cookie PATH JSON      POST in that browser session (cookie + CSRF)

SERVE_PIDS=""
serve_cleanup() {
    for p in $SERVE_PIDS; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap serve_cleanup EXIT INT TERM

serve_dataset() {
    mkdir -p "$1/images"
    cp "$DATA/bad/manifest_escaping_labels.csv" "$1/"
    cp "$DATA"/bad/images/fm-t10k-*.png "$1/images/"
}

serve_fixture() {
    sh tests/browser/serve_fixture.sh "$1" "$2" >/dev/null
}

serve_start() {
    db=$1; shift
    # emptied here, not only by the redirection below: the background job may
    # start after the first read of the loop, which would see the last server's port
    : >"$TMP/serve.out"
    "$LA_BIN" serve --db "$db" --port 0 "$@" >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVE_PID=$!
    SERVE_PIDS="$SERVE_PIDS $SERVE_PID"
    PORT=""
    i=0
    while [ $i -lt 100 ]; do                       # at most 10 s
        PORT=$(sed -n 's|^labelaudit serve: http://[^ ]*:\([0-9][0-9]*\)/ .*|\1|p' "$TMP/serve.out" | head -1)
        [ -n "$PORT" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.1; i=$((i + 1))
    done
    URL="http://127.0.0.1:$PORT"
    minted=$(sed -n 's|^labelaudit serve: reviewer .*: open http://.*/?token=\([0-9a-f]*\)$|\1|p' "$TMP/serve.out" | head -1)
    [ -n "$minted" ] && TOK=$minted
    [ -n "$PORT" ]
}

token_of() {
    printf 'tok-%s-0123456789abcdef' "$1"
}

reviewers_file() {
    f=$1; shift
    : > "$f"; chmod 600 "$f"
    for n in "$@"; do echo "$n $(token_of "$n")" >> "$f"; done
}

serve_stop() {
    kill -TERM "$SERVE_PID" 2>/dev/null
    i=0
    while kill -0 "$SERVE_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$SERVE_PID" 2>/dev/null; then kill -9 "$SERVE_PID"; fi
    wait "$SERVE_PID" 2>/dev/null
    SERVE_RC=$?
}

JAR="$TMP/.jar"
csrf_token() {
    rm -f "$JAR"
    curl -s --max-time 5 -c "$JAR" -o /dev/null "$URL/?token=$TOK"
    curl -s --max-time 5 -b "$JAR" "$URL/" | sed -n 's/.*name="csrf" content="\([0-9a-f]*\)".*/\1/p'
}

# anon_code [curl args...] — prints only the status code (000 on failure).
anon_code() {
    curl -s -o "$TMP/.body" -w '%{http_code}' --max-time 10 "$@" 2>/dev/null
}

# http_code [curl args...] — the same as reviewer $TOK (bearer token).
http_code() {
    if [ -n "${TOK:-}" ]; then anon_code -H "Authorization: Bearer $TOK" "$@"; else anon_code "$@"; fi
}

# post PATH JSON [extra curl args] — POST as $TOK (a bearer needs no CSRF token).
post() {
    p=$1; j=$2; shift 2
    http_code -X POST -H 'Content-Type: application/json' --data-binary "$j" "$@" "$URL$p"
}

# post_as NAME PATH JSON — POST as reviewer NAME of a reviewers_file.
post_as() {
    n=$1; p=$2; j=$3
    anon_code -X POST -H "Authorization: Bearer $(token_of "$n")" -H 'Content-Type: application/json' \
        --data-binary "$j" "$URL$p"
}

# post_cookie PATH JSON [extra curl args] — POST in the browser session of csrf_token.
post_cookie() {
    p=$1; j=$2; shift 2
    anon_code -b "$JAR" -X POST -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" \
        --data-binary "$j" "$@" "$URL$p"
}

# raw_http TEXT — sends TEXT (printf format) on a raw TCP connection, prints the
# first response line (bash /dev/tcp; at most 5 s).
raw_http() {
    timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "$2" >&3; head -1 <&3' _ "$PORT" "$1" 2>/dev/null | tr -d '\r'
}
