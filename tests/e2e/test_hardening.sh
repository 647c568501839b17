# test_hardening.sh — hostile input end to end: the class names of
# ../shared/data/bad (script tag, quotes and comma, SQL) through cv, audit
# --db, decisions import/export and report (HTML-escaped, stored byte-exact
# through bound parameters, CSV round trip); manifests whose paths leave the
# dataset root (refused unless --allow-outside-root); decompression bombs and
# lying headers refused before decoding, in bounded memory; every fuzz crash
# input of tests/regress/{image,npy,summary,decisions} replayed through the binary.
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
check "class_label_quality.csv and overlapping_classes.csv: hostile names quoted in the name columns, as classes.txt" python3 -c '
import csv, sys
d = sys.argv[1]; names = open(d + "/classes.txt").read().splitlines()
q = list(csv.DictReader(open(d + "/class_label_quality.csv", newline="")))
assert [r["Class Name"] for r in q] == [names[int(r["Class Index"])] for r in q] and len(q) == 3, q
assert sorted(names) == sorted(sys.argv[2:]), names
o = list(csv.DictReader(open(d + "/overlapping_classes.csv", newline="")))
assert all(r["Class Name A"] == names[int(r["Class Index A"])] and r["Class Name B"] == names[int(r["Class Index B"])] for r in o), o' "$T/a" "$S1" "$S2" "$S3"
# the same audit without names (index labels, probabilities with no classes.txt beside them)
mkdir -p "$T/bare" && cp "$T/p.npy" "$T/bare/p.npy"
python3 - "$T/noisy.csv" "$T/a/classes.txt" "$T/labels_idx.csv" <<'PY'
import csv, sys
names = open(sys.argv[2]).read().splitlines()
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
with open(sys.argv[3], 'w') as f:
    f.write('label\n' + ''.join('%d\n' % names.index(r['label']) for r in rows))
PY
la audit --labels "$T/labels_idx.csv" --pred-probs "$T/bare/p.npy" --out "$T/a_plain" --quiet
expect_rc 0 "audit on index labels, no class names"
check "no class names: no name columns (cleanlab's DataFrames without class_names)" \
    grep -qx 'Class Index,Label Issues,Inverse Label Issues,Label Noise,Inverse Label Noise,Label Quality Score' "$T/a_plain/class_label_quality.csv"
la audit --labels "$T/labels_idx.csv" --pred-probs "$T/bare/p.npy" --classes "$T/a/classes.txt" --out "$T/a_named" --quiet
expect_rc 0 "audit on index labels with --classes"
check "with names: the same numbers; name columns added, K x K files labelled by name (unnamed: the reference's c0.. layout)" python3 -c '
import csv, sys
a, b = sys.argv[1], sys.argv[2]
rd = lambda p: list(csv.reader(open(p, newline="")))
names = open(b + "/classes.txt").read().splitlines()
for f, extra in (("class_label_quality.csv", 1), ("overlapping_classes.csv", 2)):
    assert [r[extra:] for r in rd(b + "/" + f)] == rd(a + "/" + f), f
for f, corner in (("confident_joint.csv", "given/true"), ("joint.csv", "given/true"), ("noise_matrix.csv", "given/true"),
                  ("inverse_noise_matrix.csv", "true/given"), ("confident_joint_calibrated.csv", "given/true")):
    x, y = rd(a + "/" + f), rd(b + "/" + f)
    assert x[0] == ["c%d" % c for c in range(3)] and len(x[1]) == 3, (f, x)
    assert y[0] == [corner] + names and [r[0] for r in y[1:]] == names, (f, y)
    assert x[1:] == [r[1:] for r in y[1:]], f' "$T/a_plain" "$T/a_named"

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
for f in tests/regress/summary/*; do   # summary.json fuzz findings, judged by check
    [ -f "$f" ] || continue
    n=$(basename "$f")
    la check --summary "$f" --max-error-rate 0.1; expect_rc 2 "regress/summary/$n: a clean refusal (exit 2)"
    expect_err "$n: " "regress/summary/$n: the file named"
done
# decisions --import findings (ids of the hostile-names manifest, so the import
# would be applied were it not refused): exit 2 naming file and line, nothing
# imported, and the JSON export of the queue still works
if command -v sqlite3 >/dev/null; then
    sh tests/browser/serve_fixture.sh "$T/rfx.db" "$DATA/bad/manifest_escaping_labels.csv"
    for f in tests/regress/decisions/*; do
        [ -f "$f" ] || continue
        n=$(basename "$f")
        rm -f "$T/r.db" "$T/r.db-wal" "$T/r.db-shm"; cp "$T/rfx.db" "$T/r.db"
        la decisions --db "$T/r.db" --import "$f"; expect_rc 2 "regress/decisions/$n: a clean refusal (exit 2)"
        expect_err "$n:[0-9]+: .*(UTF-8|NUL byte)" "regress/decisions/$n: file, line and reason named"
        la decisions --db "$T/r.db" --format json; expect_rc 0 "regress/decisions/$n: the JSON export still works"
        check "regress/decisions/$n: nothing imported" test "$(sqlite3 "$T/r.db" 'SELECT count(*) FROM decision_log')" = 0
    done
else
    echo "FAIL regress/decisions: no sqlite3 shell (apt-get install sqlite3)"
fi
