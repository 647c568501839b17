#!/bin/sh
# bench_serve.sh — `labelaudit serve` under load: sequential decisions (each
# its own committed transaction), the latency of a 60-card page, and 4 clients
# racing on the same examples (exactly one save per example, the rest 409).
# Uses the hostile-names fixture of the serve tests (60 examples) and a
# keep-alive Python client. Run from the repository root after `make`.
set -eu
cd "$(dirname "$0")/.."
BIN=${LA_BIN:-./labelaudit}
DATA=${LA_SHARED:-../shared}/data
TMP=$(mktemp -d "${TMPDIR:-/tmp}/la-bench-serve.XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
sh tests/browser/serve_fixture.sh "$TMP/b.db" "$DATA/bad/manifest_escaping_labels.csv" >/dev/null
"$BIN" serve --db "$TMP/b.db" --port 0 > "$TMP/out" 2>&1 &
pid=$!
i=0; port=""
while [ $i -lt 100 ] && [ -z "$port" ]; do
    port=$(sed -n 's|^labelaudit serve: http://[^ ]*:\([0-9][0-9]*\)/ .*|\1|p' "$TMP/out")
    sleep 0.1; i=$((i + 1))
done
[ -n "$port" ] || { echo "serve did not start: $(cat "$TMP/out")"; exit 1; }
token=$(sed -n 's|^labelaudit serve: reviewer .*?token=\([0-9a-f]*\)$|\1|p' "$TMP/out")
python3 - "$port" "$token" <<'PY'
import http.client, json, re, statistics, sys, threading, time
port, token = int(sys.argv[1]), sys.argv[2]
auth = {'Authorization': 'Bearer ' + token}
# each request is its own connection (serve answers Connection: close);
# http.client reconnects by itself
def conn(): return http.client.HTTPConnection('127.0.0.1', port, timeout=30)
c = conn()
c.request('GET', '/api/state?limit=500', headers=auth); items = json.loads(c.getresponse().read())['items']
def decide(cc, it, who):
    cc.request('POST', '/api/decide', headers=dict(auth, **{'Content-Type': 'application/json'}),
               body=json.dumps({'qid': it['qid'], 'version': it['version'], 'decision': 'keep'}))
    r = cc.getresponse(); r.read(); return r.status
lat = []
for it in items[:30]:
    t = time.perf_counter(); s = decide(c, it, 'solo'); lat.append(time.perf_counter() - t)
    assert s == 200, s
print('serve: 30 sequential decisions, median %.1f ms, max %.1f ms (one transaction each)'
      % (1000 * statistics.median(lat), 1000 * max(lat)))
pl = []
for _ in range(30):
    t = time.perf_counter(); c.request('GET', '/api/state?limit=60', headers=auth); c.getresponse().read(); pl.append(time.perf_counter() - t)
print('serve: /api/state with 60 cards and progress, median %.1f ms' % (1000 * statistics.median(pl)))
res = []; lock = threading.Lock()
def worker(who):
    cc = conn(); out = [decide(cc, it, who) for it in items[30:60]]
    with lock: res.extend(out)
ths = [threading.Thread(target=worker, args=('w%d' % k,)) for k in range(4)]
t = time.perf_counter(); [x.start() for x in ths]; [x.join() for x in ths]; dt = time.perf_counter() - t
print('serve: 4 clients racing on the same 30 examples: %d requests in %.2f s, %d saved, %d conflicts (409)'
      % (len(res), dt, res.count(200), res.count(409)))
assert res.count(200) == 30 and res.count(409) == 90
PY
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
