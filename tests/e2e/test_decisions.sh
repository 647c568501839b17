# test_decisions.sh — `labelaudit decisions`: export (CSV, JSON) and the
# all-or-nothing import, with the hostile class names of
# bad/manifest_escaping_labels.csv reading back unchanged, and every bad row
# named by file:line with nothing written.
. tests/e2e/lib.sh
. tests/browser/serve_lib.sh

DS="$TMP/ds"; DB="$TMP/review.db"
serve_dataset "$DS"
serve_fixture "$DB" "$DS/manifest_escaping_labels.csv"
q() { sqlite3 "$DB" "$1"; }

la decisions --help;                     expect_rc 0 "decisions --help exits 0"; expect_out '--import FILE' "help lists --import"
la decisions;                            expect_rc 2 "decisions without --db is a usage error"
la decisions --db "$TMP/none.db";        expect_rc 2 "missing database exits 2"
[ ! -e "$TMP/none.db" ] && pass "missing database not created" || fail "missing database not created" "created"
la decisions --db "$DB" --format xml;    expect_rc 2 "unknown format exits 2"
la decisions --db "$DB" --run 9;         expect_rc 2 "missing run exits 2"; expect_err 'no run 9' "missing run named"
la decisions --db "$DB" --import x.csv --format json; expect_rc 2 "--import with --format is a usage error"

la decisions --db "$DB"
expect_rc 0 "export with no decisions exits 0"
[ "$(cat "$OUT")" = "id,decision,new_label,reviewer,note,given,suggested,score,rank,decided_at,verdict" ] && pass "empty export is the header only" || fail "empty export is the header only" "$(head -c 300 "$OUT")"

# Decisions naming every hostile class, with quotes, commas and a newline in notes.
cat > "$TMP/in.csv" <<'CSV'
id,decision,new_label,reviewer,note
fm-t10k-00000,relabel,"Bob's ""best"", boot",ann,"said ""no"", twice"
fm-t10k-00008,relabel,<script>alert(1)</script>,ann,
fm-t10k-00009,relabel,Robert'); DROP TABLE labels;--,"O'Brien, Pat","two
lines"
fm-t10k-00011,keep,,ann,
fm-t10k-00012,drop,,ann,blurry
fm-t10k-00021,skip,,ann,
CSV
la decisions --db "$DB" --import "$TMP/in.csv"
expect_rc 0 "import of 6 decisions exits 0"; expect_err 'imported 6 decisions' "import count reported"
[ "$(q "SELECT count(*) FROM decision_log WHERE source = 'import'")" = 6 ] && pass "6 import entries logged" || fail "6 import entries logged" "$(q "SELECT count(*) FROM decision_log")"
[ "$(q "SELECT reviewer FROM queue WHERE dataset_id = 'fm-t10k-00009'")" = "O'Brien, Pat" ] && pass "reviewer stored byte-exact" || fail "reviewer stored byte-exact" "$(q "SELECT reviewer FROM queue WHERE dataset_id = 'fm-t10k-00009'")"
[ "$(q "SELECT name FROM run_classes WHERE class_index = (SELECT new_label FROM queue WHERE dataset_id = 'fm-t10k-00009')")" = "Robert'); DROP TABLE labels;--" ] \
  && pass "relabel to the SQL-injection name stored as a plain value" || fail "relabel to the SQL-injection name" "$(q "SELECT new_label FROM queue WHERE dataset_id = 'fm-t10k-00009'")"

la decisions --db "$DB" --out "$TMP/out.csv"
expect_rc 0 "CSV export exits 0"; expect_file "$TMP/out.csv" "CSV export written"
grep -q '^fm-t10k-00000,relabel,"Bob.s ""best"", boot",ann,"said ""no"", twice",' "$TMP/out.csv" && pass "CSV quotes commas and quotes" || fail "CSV quotes commas and quotes" "$(head -3 "$TMP/out.csv")"
[ "$(grep -c . "$TMP/out.csv")" -ge 7 ] && pass "CSV export holds header + 6 decisions" || fail "CSV export holds 6 decisions" "$(wc -l < "$TMP/out.csv")"
# Read it back with an independent CSV reader: every name unchanged.
python3 - "$TMP/out.csv" > "$TMP/py.txt" 2>&1 <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
want = {"fm-t10k-00000": "Bob's \"best\", boot", "fm-t10k-00008": "<script>alert(1)</script>",
        "fm-t10k-00009": "Robert'); DROP TABLE labels;--"}
got = {r["id"]: r["new_label"] for r in rows if r["decision"] == "relabel"}
assert got == want, got
note = [r["note"] for r in rows if r["id"] == "fm-t10k-00009"][0]
assert note == "two\nlines", repr(note)
print("ok")
PY
[ "$(cat "$TMP/py.txt")" = ok ] && pass "hostile names read back unchanged (python csv)" || fail "hostile names read back unchanged" "$(cat "$TMP/py.txt")"

la decisions --db "$DB" --format json
expect_rc 0 "JSON export exits 0"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["run"]==1 and len(d["decisions"])==6 and d["decisions"][0]["new_label"]=="Bob'"'"'s \"best\", boot", d' "$OUT" 2>/dev/null \
  && pass "JSON export parses with names intact" || fail "JSON export parses with names intact" "$(head -c 300 "$OUT")"
la decisions --db "$DB" --all
[ "$(grep -c ',pending,' "$OUT")" = 54 ] && pass "--all exports pending rows too" || fail "--all exports pending rows too" "$(grep -c ',pending,' "$OUT")"

# Round trip: importing the export into a fresh database gives the same export.
DB2="$TMP/second.db"
serve_fixture "$DB2" "$DS/manifest_escaping_labels.csv"
la decisions --db "$DB2" --import "$TMP/out.csv";  expect_rc 0 "exported CSV imports into a fresh database"
la decisions --db "$DB2"; cut -d, -f1-5 "$OUT" > "$TMP/a"; cut -d, -f1-5 "$TMP/out.csv" > "$TMP/b"
cmp -s "$TMP/a" "$TMP/b" && pass "round trip: same decisions" || fail "round trip: same decisions" "$(diff "$TMP/a" "$TMP/b" | head -5)"

# ---- bad imports: file:line named, nothing written -------------------------------------
before=$(q "SELECT count(*) FROM decision_log"); snap=$(q "SELECT group_concat(id || status || version) FROM queue")
bad() {   # bad NAME CONTENT LINE REGEX
    printf "$2" > "$TMP/bad.csv"
    la decisions --db "$DB" --import "$TMP/bad.csv"
    expect_rc 2 "$1: exit 2"
    expect_err "bad.csv:$3: .*$4" "$1: names line $3"
}
H='id,decision,new_label,reviewer,note\n'
bad "unknown id"        "${H}fm-t10k-00000,keep,,x,\nno-such-id,keep,,x,\n"          3 "unknown id 'no-such-id'"
bad "bad decision"      "${H}fm-t10k-00000,keep,,x,\nfm-t10k-00008,approve,,x,\n"   3 "bad decision 'approve'"
bad "unknown class"     "${H}fm-t10k-00000,relabel,Cat,x,\n"                        2 "unknown class 'Cat'"
bad "relabel no label"  "${H}fm-t10k-00000,relabel,,x,\n"                           2 "needs a new_label"
bad "label with keep"   "${H}fm-t10k-00000,keep,<script>alert(1)</script>,x,\n"     2 "only relabel"
bad "ragged row"        "${H}fm-t10k-00000,keep,,x\n"                               2 "expected 5 fields, got 4"
bad "open quote"        "${H}fm-t10k-00000,keep,,x,\nfm-t10k-00008,keep,,\"x,\n"    3 "never closed"
bad "no id column"      'decision,new_label\nkeep,\n'                               1 "no 'id' column"
printf '' > "$TMP/bad.csv"; la decisions --db "$DB" --import "$TMP/bad.csv"; expect_rc 2 "empty file exits 2"; expect_err 'bad.csv: empty file' "empty file named"
la decisions --db "$DB" --import "$TMP/nope.csv"; expect_rc 2 "missing import file exits 2"; expect_err 'nope.csv: cannot open' "missing import file named"
[ "$(q "SELECT count(*) FROM decision_log")" = "$before" ] && pass "failed imports logged nothing" || fail "failed imports logged nothing" "$(q "SELECT count(*) FROM decision_log") vs $before"
[ "$(q "SELECT group_concat(id || status || version) FROM queue")" = "$snap" ] && pass "failed imports changed no queue row" || fail "failed imports changed no queue row" "changed"

# BOM + CRLF import, columns in another order, extra columns ignored.
printf '\357\273\277note,reviewer,decision,id,extra\r\nfine,zed,drop,fm-t10k-00022,whatever\r\n' > "$TMP/crlf.csv"
la decisions --db "$DB" --import "$TMP/crlf.csv"; expect_rc 0 "BOM + CRLF + reordered columns import"
[ "$(q "SELECT status || '|' || reviewer || '|' || note FROM queue WHERE dataset_id = 'fm-t10k-00022'")" = "drop|zed|fine" ] && pass "BOM/CRLF values clean" || fail "BOM/CRLF values clean" "$(q "SELECT * FROM queue WHERE dataset_id = 'fm-t10k-00022'")"

# ---- verdicts (schema 004): what the reviewer found, beside the action ----------------
[ "$(q "SELECT count(*) FROM queue WHERE verdict IS NOT NULL")" = 0 ] && pass "decisions imported without a verdict column have none" || fail "no verdict without the column" "$(q "SELECT count(*) FROM queue WHERE verdict IS NOT NULL")"
cat > "$TMP/verdicts.csv" <<'CSV'
id,decision,new_label,reviewer,note,verdict
fm-t10k-00023,relabel,<script>alert(1)</script>,vic,,error
fm-t10k-00028,drop,,vic,,ambiguous
fm-t10k-00036,keep,,vic,,false_alarm
fm-t10k-00037,keep,,vic,,
CSV
la decisions --db "$DB" --import "$TMP/verdicts.csv"; expect_rc 0 "import with a verdict column exits 0"
[ "$(q "SELECT group_concat(dataset_id || '=' || ifnull(verdict, '-'), ' ') FROM (SELECT * FROM queue WHERE dataset_id IN ('fm-t10k-00023','fm-t10k-00028','fm-t10k-00036','fm-t10k-00037') ORDER BY dataset_id)")" \
  = "fm-t10k-00023=error fm-t10k-00028=ambiguous fm-t10k-00036=false_alarm fm-t10k-00037=-" ] \
  && pass "verdicts stored (empty = none)" || fail "verdicts stored" "$(q "SELECT dataset_id, verdict FROM queue WHERE reviewer = 'vic'")"
[ "$(q "SELECT count(*) FROM decision_log WHERE source = 'import' AND verdict IS NOT NULL")" = 3 ] && pass "verdicts logged" || fail "verdicts logged" "$(q "SELECT count(*) FROM decision_log WHERE verdict IS NOT NULL")"
la decisions --db "$DB"
grep -q '^fm-t10k-00028,drop,,vic,,.*,ambiguous$' "$OUT" && pass "CSV export ends with the verdict" || fail "CSV export ends with the verdict" "$(grep 00031 "$OUT")"
grep -q '^fm-t10k-00037,keep,,vic,,.*Z,$' "$OUT" && pass "CSV export: no verdict is an empty field" || fail "CSV export: no verdict empty" "$(grep 00033 "$OUT")"
la decisions --db "$DB" --format json
python3 -c 'import json,sys; d={r["id"]: r["verdict"] for r in json.load(open(sys.argv[1]))["decisions"]}; assert d["fm-t10k-00023"]=="error" and d["fm-t10k-00037"] is None and d["fm-t10k-00000"] is None, d' "$OUT" 2>/dev/null \
  && pass "JSON export carries verdict (null when none)" || fail "JSON export carries verdict" "$(head -c 300 "$OUT")"
# the export reads back with its verdicts
DB3="$TMP/third.db"; serve_fixture "$DB3" "$DS/manifest_escaping_labels.csv"
la decisions --db "$DB" --out "$TMP/v-out.csv"; la decisions --db "$DB3" --import "$TMP/v-out.csv"; expect_rc 0 "export with verdicts imports back"
[ "$(sqlite3 "$DB3" "SELECT group_concat(dataset_id || verdict, ' ') FROM queue WHERE verdict IS NOT NULL")" = "$(q "SELECT group_concat(dataset_id || verdict, ' ') FROM queue WHERE verdict IS NOT NULL")" ] \
  && pass "round trip keeps verdicts" || fail "round trip keeps verdicts" "$(sqlite3 "$DB3" "SELECT dataset_id, verdict FROM queue WHERE verdict IS NOT NULL")"
dump0=$(sqlite3 "$DB" .dump | md5sum)
HV='id,decision,new_label,reviewer,note,verdict\n'
bad "bad verdict"       "${HV}fm-t10k-00038,keep,,x,,error\nfm-t10k-00039,keep,,x,,maybe\n"  3 "verdict.*bad verdict 'maybe'"
bad "verdict with skip" "${HV}fm-t10k-00038,skip,,x,,error\n"                                2 "verdict 'error' given with decision 'skip'"
bad "verdict case"      "${HV}fm-t10k-00038,keep,,x,,Error\n"                                2 "bad verdict 'Error'"
[ "$(sqlite3 "$DB" .dump | md5sum)" = "$dump0" ] && pass "refused verdict imports leave the database unchanged" || fail "refused verdict imports leave the database unchanged" "dump differs"

# ---- --summary: reviewed proportions with Wilson intervals, the corrected rate ---------
la decisions --db "$DB" --summary --import "$TMP/verdicts.csv"; expect_rc 2 "--summary with --import is a usage error"
la decisions --db "$DB" --summary --run 9; expect_rc 2 "--summary of a missing run exits 2"; expect_err 'no run 9' "--summary: missing run named"
la decisions --db "$DB2" --summary; expect_rc 0 "--summary without verdicts exits 0"; expect_out 'no decision has a verdict yet' "--summary says none has a verdict"
la decisions --db "$DB" --summary
expect_rc 0 "--summary exits 0"
expect_out '^overall +[0-9]+ +3  0\.333 \[0\.061, 0\.792\]  0\.333 \[0\.061, 0\.792\]  0\.333 \[0\.061, 0\.792\]' "text: overall shares of 3 verdicts with Wilson intervals"
expect_out 'corrected rate = est. rate x precision' "text states the formula"
la decisions --db "$DB" --summary --format json
expect_rc 0 "--summary --format json exits 0"
# an independent Wilson (scipy-free) and the decided count from the database itself
python3 - "$OUT" "$(q "SELECT count(*) FROM queue WHERE status IN ('keep','relabel','drop')")" "$(q "SELECT error_rate FROM runs WHERE id = 1")" > "$TMP/py.txt" 2>&1 <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1])); decided = int(sys.argv[2]); rate = float(sys.argv[3])
def wilson(x, n, z=1.959963984540054):
    p = x / n; den = 1 + z * z / n; c = (p + z * z / (2 * n)) / den
    h = z / den * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)); return max(0, c - h), min(1, c + h)
o = d["overall"]
assert o["decided"] == decided and o["judged"] == 3, o
for k in ("error", "ambiguous", "false_alarm"):
    lo, hi = wilson(1, 3)
    assert o[k]["x"] == 1 and o[k]["n"] == 3 and abs(o[k]["lo"] - lo) < 1e-9 and abs(o[k]["hi"] - hi) < 1e-9, (k, o[k], lo, hi)
assert abs(o["corrected_error_rate"] - rate / 3) < 1e-9 and abs(o["corrected_hi"] - rate * wilson(1, 3)[1]) < 1e-9, o
none = [c for c in d["classes"] if c["judged"] == 0]
assert all(c["error"]["p"] is None and c["corrected_error_rate"] is None for c in none), none
assert sum(c["judged"] for c in d["classes"]) == 3 and sum(c["decided"] for c in d["classes"]) == decided
print("ok")
PY
[ "$(cat "$TMP/py.txt")" = ok ] && pass "JSON summary: counts, Wilson intervals and corrected rate check out" || fail "JSON summary checks out" "$(cat "$TMP/py.txt")"

# ---- the report's reviewer section shows the same summary ------------------------------
la report --db "$DB" --out "$TMP/rep" --quiet; expect_rc 0 "report of a run with verdicts"
python3 - "$TMP/rep/index.html" "$TMP/py.txt" > "$TMP/py2.txt" 2>&1 <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<table class="cls" id="verdict-table">(.*?)</table>', html, re.S)
assert m, "no verdict table"
rows = re.findall(r"<tr><td>(.*?)</td><td>(\d+)</td><td>(\d+)</td><td>(.*?)</td>", m.group(1))
assert rows[0][0] == "overall" and rows[0][2] == "3", rows[0]
assert rows[0][3].startswith('0.333 <span class="muted">[0.061, 0.792]</span>'), rows[0]
assert len(rows) == 4 and "&lt;script&gt;" in "".join(r[0] for r in rows), rows
assert "<script>alert" not in m.group(1)
assert 'id="reviewers"' in html and "What reviewers found" in html
print("ok")
PY
[ "$(cat "$TMP/py2.txt")" = ok ] && pass "report: verdict table in the reviewer section, names escaped" || fail "report: verdict table" "$(cat "$TMP/py2.txt")"
la report --db "$DB2" --out "$TMP/rep2" --quiet
grep -q 'verdict-table' "$TMP/rep2/index.html" && fail "report without verdicts has no verdict table" "found" || pass "report without verdicts has no verdict table"
