# test_hardening.sh — hostile input end to end: the class names of
# ../shared/data/bad (script tag, quotes and comma, SQL) through cv, audit
# --db, decisions import/export and report (HTML-escaped, stored byte-exact
# through bound parameters, CSV round trip); manifests whose paths leave the
# dataset root (refused unless --allow-outside-root); decompression bombs and
# lying headers refused before decoding, in bounded memory; every fuzz crash
# input of tests/regress/image replayed through the binary.
. tests/e2e/lib.sh
T=$TMP
ESC="$DATA/bad/escaping_labels.csv"
S1='<script>alert(1)</script>'; S2='Bob'"'"'s "best", boot'; S3="Robert'); DROP TABLE labels;--"

# ---- hostile names: cv, audit --db, SQL binding ------------------------------
la cv --data "$ESC" --out "$T/p.npy" --folds 3 --quiet; expect_rc 0 "cv on hostile class names"
python3 - "$ESC" "$T/noisy.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
names = sorted(set(r['label'] for r in rows))
w = csv.writer(open(sys.argv[2], 'w', newline=''), lineterminator='\n')
w.writerow(['id', 'label'])
for i, r in enumerate(rows):   # every 10th label moved to the next class
    w.writerow([r['id'], names[(names.index(r['label']) + 1) % 3] if i % 10 == 0 else r['label']])
PY
DB="$T/h.db"
la audit --data "$ESC" --labels "$T/noisy.csv" --pred-probs "$T/p.npy" --out "$T/a" --db "$DB" --quiet --bootstrap 20
expect_rc 0 "audit --db with hostile names"
got=$(sqlite3 "$DB" 'SELECT name FROM run_classes ORDER BY class_index' 2>/dev/null)
want=$(printf '%s\n%s\n%s' "$S1" "$S2" "$S3")
check "class names stored byte-exact (bound parameters)" test "$got" = "$want"
check "no table dropped, schema intact" test "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('runs','run_classes','examples','queue','decision_log')")" = 5
check "summary.json holds the names as JSON strings" python3 -c '
import json, sys; s = json.load(open(sys.argv[1])); assert sorted(s["classes"]) == sorted(sys.argv[2:]), s["classes"]' "$T/a/summary.json" "$S1" "$S2" "$S3"

# ---- decisions with hostile reviewer, note and new label: import/export -----
la decisions --db "$DB" --all
python3 - "$OUT" "$T/imp.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows, 'nothing queued'
w = csv.writer(open(sys.argv[2], 'w', newline=''), lineterminator='\n')
w.writerow(['id', 'decision', 'new_label', 'reviewer', 'note'])
for r in rows[:5]:
    w.writerow([r['id'], 'relabel', 'Bob\'s "best", boot', '<img src=x onerror=alert(1)>', "'); DROP TABLE decision_log;--\nline 2"])
PY
la decisions --db "$DB" --import "$T/imp.csv" --quiet; expect_rc 0 "import of hostile decisions"
la decisions --db "$DB"; cp "$OUT" "$T/exp.csv"
check "CSV export reads back the hostile values unchanged" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 5, rows
for r in rows:
    assert r["new_label"] == "Bob'"'"'s \"best\", boot", r
    assert r["reviewer"] == "<img src=x onerror=alert(1)>", r
    assert r["note"] == "'"'"'); DROP TABLE decision_log;--\nline 2", r' "$T/exp.csv"
la decisions --db "$DB" --format json
check "JSON export parses" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT"
check "decision_log still there" test "$(sqlite3 "$DB" 'SELECT count(*) FROM decision_log')" -ge 5

# ---- HTML report ----------------------------------------------------------------
la report --db "$DB" --out "$T/rep" --quiet; expect_rc 0 "report with hostile names"
check "no raw <script>alert in any page" sh -c '! grep -l "<script>alert" "$1"/*.html' sh "$T/rep"
check "no raw <img src=x in any page" sh -c '! grep -l "<img src=x" "$1"/*.html' sh "$T/rep"
check "names shown escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/rep/index.html"
check "quotes escaped inside attributes or text" sh -c 'grep -q "Bob&#39;s &quot;best&quot;, boot\|Bob&#x27;s &quot;best&quot;, boot" "$1"/*.html' sh "$T/rep"

# ---- manifests leaving the dataset root -----------------------------------------
mkdir -p "$T/ds/images" "$T/elsewhere"
cp "$DATA/bad/images/fm-t10k-00000.png" "$T/ds/images/a.png"
cp "$DATA/bad/images/fm-t10k-00001.png" "$T/ds/images/b.png" 2>/dev/null || cp "$T/ds/images/a.png" "$T/ds/images/b.png"
cp "$T/ds/images/a.png" "$T/elsewhere/c.png"
ln -s "$T/elsewhere" "$T/ds/link"
printf 'id,path,label\na,images/a.png,x\nb,../elsewhere/c.png,y\n' >"$T/ds/dotdot.csv"
printf 'id,path,label\na,images/a.png,x\nb,%s,y\n' "$T/elsewhere/c.png" >"$T/ds/abs.csv"
printf 'id,path,label\na,images/a.png,x\nb,link/c.png,y\n' >"$T/ds/sym.csv"
printf 'id,path,label\na,images/a.png,x\nb,images/../images/b.png,y\n' >"$T/ds/inside.csv"
for m in dotdot abs sym; do
    la inspect "$T/ds/$m.csv"; expect_rc 2 "manifest path escaping the root ($m): refused"
    expect_err "$m\\.csv:3" "escape ($m): manifest line named"
    la inspect "$T/ds/$m.csv" --allow-outside-root; expect_rc 0 "escape ($m) allowed with --allow-outside-root"
done
la inspect "$T/ds/inside.csv"; expect_rc 0 "a '..' that stays inside the root is fine"

# ---- decompression bombs and lying headers: refused before decoding ------------
for img in decompression_bomb huge_dimensions; do
    cp "$DATA/bad/$img.png" "$T/ds/images/$img.png"
    printf 'id,path,label\na,images/a.png,x\nb,images/%s.png,y\n' "$img" >"$T/ds/$img.csv"
    if [ -x /usr/bin/time ] && [ "${LA_VALGRIND:-0}" != 1 ] && [ "${LA_SANITIZED:-0}" != 1 ]; then
        /usr/bin/time -f '%M %e' -o "$T/.mem" "$LA_BIN" inspect "$T/ds/$img.csv" >"$OUT" 2>"$ERR"; RC=$?
        set -- $(tail -1 "$T/.mem")
        check "$img: refused in under 50 MB ($1 KB)" test "$1" -lt 50000
    else la inspect "$T/ds/$img.csv"; fi
    expect_rc 2 "$img: exit 2"
    expect_err "$img\\.csv:3: image '[^']*$img\\.png'.*(pixels|size).*refused before decoding" "$img: file, line, size, refused before decoding"
done

# ---- fuzz crash inputs, replayed through the binary -----------------------------
for f in tests/regress/image/*; do
    [ -f "$f" ] || continue
    n=$(basename "$f")
    cp "$f" "$T/ds/images/$n"
    printf 'id,path,label\na,images/a.png,x\nb,images/%s,y\nc,images/b.png,x\n' "$n" >"$T/ds/r.csv"
    la inspect "$T/ds/r.csv" --image-size 4x4; expect_rc 2 "regress/image/$n: a clean refusal (exit 2)"
    expect_err "r\\.csv:3: image" "regress/image/$n: manifest line named"
done
for f in tests/regress/npy/*; do   # .npy fuzz findings: as labels and as probabilities
    [ -f "$f" ] || continue
    n=$(basename "$f")
    printf 'label\n0\n1\n' >"$T/r_labels.csv"
    la audit --labels "$f" --pred-probs "$f" --out "$T/r_npy"; expect_rc 2 "regress/npy/$n as labels: a clean refusal (exit 2)"
    expect_err "$n" "regress/npy/$n as labels: the file named"
    la audit --labels "$T/r_labels.csv" --pred-probs "$f" --out "$T/r_npy"; expect_rc 2 "regress/npy/$n as pred-probs: a clean refusal (exit 2)"
    expect_err "$n.*shape" "regress/npy/$n as pred-probs: the file and the shape named"
done
