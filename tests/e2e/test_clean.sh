# test_clean.sh — `labelaudit clean` on real data: an audit run of digits
# with 10% asymmetric noise, a few imported reviewer decisions, then every
# policy (none, drop, relabel, --min-quality), reviewer decisions winning over
# the automatic policy, changes.csv content, the CSV output re-loading with the
# same columns (byte-identical when nothing changes), the manifest output of
# an image dataset re-loading, and refusals (other dataset, foreign --out).
. tests/e2e/lib.sh

DIG="$DATA/tabular/digits.csv"
awk -F, 'NR==1{print "id,label";next}{print $1","$3}' "$DATA/noise/digits_asym10_seed1.csv" > "$TMP/noisy.csv"
DB="$TMP/a.db"
la cv --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/cv/pp.npy" --audit "$TMP/audit" --db "$DB" --quiet
expect_rc 0 "setup: cv + audit + db on noisy digits"
NFLAG=$(($(wc -l < "$TMP/audit/label_issues.csv") - 1))
[ "$NFLAG" -gt 20 ] && pass "setup: audit flags examples ($NFLAG)" || fail "setup: audit flags examples" "$NFLAG"

la clean --help; expect_rc 0 "clean --help exits 0"; expect_out '--min-quality' "help lists --min-quality"
la clean --data "$DIG" --out "$TMP/x"; expect_rc 2 "clean without --db is a usage error"
la clean --db "$DB" --data "$DIG" --out "$TMP/x" --auto maybe; expect_rc 2 "bad --auto exits 2"
la clean --db "$DB" --data "$DIG" --out "$TMP/x" --min-quality 2; expect_rc 2 "--min-quality out of [0,1] exits 2"

# --auto none without decisions: nothing changes
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/none"
expect_rc 0 "auto none exits 0"
[ "$(cat "$TMP/none/changes.csv")" = "id,old_label,new_label,why" ] && pass "auto none: changes.csv is the header only" || fail "auto none: changes.csv is the header only" "$(head -3 "$TMP/none/changes.csv")"
[ "$(wc -l < "$TMP/none/digits.csv")" = "$(wc -l < "$DIG")" ] && pass "auto none: every row kept" || fail "auto none: every row kept" "$(wc -l < "$TMP/none/digits.csv")"
[ "$(head -1 "$TMP/none/digits.csv")" = "$(head -1 "$DIG")" ] && pass "header unchanged" || fail "header unchanged" "differs"

# the CSV written carries the labels in use (--labels): it equals the noisy file's
la inspect "$TMP/none/digits.csv" --format json
expect_rc 0 "cleaned CSV re-loads"
awk -F, 'NR>1{print $1","$NF}' "$TMP/none/digits.csv" > "$TMP/none_labels.csv"
tail -n +2 "$TMP/noisy.csv" | cmp -s - "$TMP/none_labels.csv" && pass "label column = the --labels in use" || fail "label column = the --labels in use" "differs"

# same dataset, own labels, nothing to apply: byte-identical copy
DB2="$TMP/own.db"
la cv --data "$DIG" --out "$TMP/cv2/pp.npy" --audit "$TMP/audit2" --db "$DB2" --quiet
la clean --db "$DB2" --data "$DIG" --out "$TMP/same" --quiet
expect_rc 0 "clean with own labels exits 0"
cmp -s "$DIG" "$TMP/same/digits.csv" && pass "no change: output byte-identical to input" || fail "no change: output byte-identical to input" "differs"

# reviewer decisions: relabel, drop, keep on three flagged ids
ID1=$(awk -F, 'NR==2{print $3}' "$TMP/audit/label_issues.csv")
ID2=$(awk -F, 'NR==3{print $3}' "$TMP/audit/label_issues.csv")
ID3=$(awk -F, 'NR==4{print $3}' "$TMP/audit/label_issues.csv")
G1=$(awk -F, 'NR==2{print $4}' "$TMP/audit/label_issues.csv")
S1=$(awk -F, 'NR==2{print $5}' "$TMP/audit/label_issues.csv")
NEW=zero; [ "$G1" = zero ] && NEW=one; [ "$S1" = "$NEW" ] && NEW=two; [ "$G1" = "$NEW" ] && NEW=three
printf 'id,decision,new_label,reviewer,note\n%s,relabel,%s,ann,\n%s,drop,,bob,\n%s,keep,,ann,\n' "$ID1" "$NEW" "$ID2" "$ID3" > "$TMP/dec.csv"
la decisions --db "$DB" --import "$TMP/dec.csv" --quiet
expect_rc 0 "setup: decisions imported"

la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/rev"
expect_rc 0 "reviewer decisions applied"
grep -qx "$ID1,$G1,$NEW,reviewer:ann" "$TMP/rev/changes.csv" && pass "relabel by reviewer in changes.csv" || fail "relabel by reviewer in changes.csv" "$(cat "$TMP/rev/changes.csv")"
grep -qx "$ID2,[a-z]*,dropped,reviewer:bob" "$TMP/rev/changes.csv" && pass "drop by reviewer in changes.csv" || fail "drop by reviewer in changes.csv" "$(cat "$TMP/rev/changes.csv")"
[ "$(wc -l < "$TMP/rev/changes.csv")" = 3 ] && pass "only the two decisions change anything (auto none)" || fail "only the two decisions change anything" "$(wc -l < "$TMP/rev/changes.csv")"
grep -q "^$ID2," "$TMP/rev/digits.csv" && fail "dropped row removed" "still there" || pass "dropped row removed"
grep -q "^$ID1,.*,$NEW\$" "$TMP/rev/digits.csv" && pass "relabeled row has the new label" || fail "relabeled row has the new label" "$(grep "^$ID1," "$TMP/rev/digits.csv" | tail -c 40)"

# --auto relabel: reviewers win, keep protected, the rest automatic
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/rel" --auto relabel --format json
expect_rc 0 "auto relabel exits 0"
expect_out '"by_reviewer": 2' "json summary counts reviewer changes"
grep -qx "$ID1,$G1,$NEW,reviewer:ann" "$TMP/rel/changes.csv" && pass "reviewer relabel overrides the automatic one" || fail "reviewer relabel overrides the automatic one" "$(grep "^$ID1," "$TMP/rel/changes.csv")"
grep -q "^$ID3," "$TMP/rel/changes.csv" && fail "keep is never relabeled automatically" "changed" || pass "keep is never relabeled automatically"
NAUTO=$(grep -c ',automatic:relabel$' "$TMP/rel/changes.csv")
[ "$NAUTO" -gt 10 ] && [ "$NAUTO" -le $((NFLAG - 3)) ] && pass "unreviewed flagged rows relabeled ($NAUTO)" || fail "unreviewed flagged rows relabeled" "$NAUTO of $NFLAG"
[ "$(wc -l < "$TMP/rel/digits.csv")" = $(($(wc -l < "$DIG") - 1)) ] && pass "auto relabel keeps every row but the dropped one" || fail "auto relabel keeps rows" "$(wc -l < "$TMP/rel/digits.csv")"

# --auto drop
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/drop" --auto drop
expect_rc 0 "auto drop exits 0"
NDROP=$(grep -c ',dropped,' "$TMP/drop/changes.csv")
[ "$(wc -l < "$TMP/drop/digits.csv")" = $(($(wc -l < "$DIG") - NDROP)) ] && pass "auto drop removes exactly the dropped rows ($NDROP)" || fail "auto drop removes the dropped rows" "$(wc -l < "$TMP/drop/digits.csv") vs $NDROP"
[ "$(grep -c ',automatic:drop$' "$TMP/drop/changes.csv")" = $((NDROP - 1)) ] && pass "automatic drops + the reviewer's one" || fail "automatic drops" "$(grep -c ',automatic:drop$' "$TMP/drop/changes.csv")"
la inspect "$TMP/drop/digits.csv"; expect_rc 0 "dropped CSV re-loads"

# --min-quality: only the most suspect ones
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/mq" --auto drop --min-quality 0.001
expect_rc 0 "min-quality exits 0"
NMQ=$(grep -c ',automatic:drop$' "$TMP/mq/changes.csv")
[ "$NMQ" -lt $((NDROP - 1)) ] && pass "--min-quality limits automatic drops ($NMQ < $((NDROP - 1)))" || fail "--min-quality limits automatic drops" "$NMQ"
awk -F, 'NR>1 && $6 < 0.001 {n++} END {print n+0}' "$TMP/audit/label_issues.csv" > "$TMP/nq"
[ "$NMQ" -le "$(cat "$TMP/nq")" ] && pass "--min-quality drops only scores below Q" || fail "--min-quality drops only scores below Q" "$NMQ > $(cat "$TMP/nq")"

# --auto drop --relabel-below: the surest suggestions relabel, the other flagged rows drop
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/rb" --auto relabel --relabel-below 0.01
expect_rc 2 "--relabel-below without --auto drop exits 2"; expect_err 'goes with --auto drop' "refusal says why"
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/rb" --auto drop --relabel-below 0.01
expect_rc 0 "auto drop --relabel-below exits 0"
NRB=$(grep -c ',automatic:relabel$' "$TMP/rb/changes.csv")
NRD=$(grep -c ',automatic:drop$' "$TMP/rb/changes.csv")
[ "$NRB" -gt 0 ] && [ "$NRD" -gt 0 ] && pass "--relabel-below: some relabeled ($NRB), the rest dropped ($NRD)" || fail "--relabel-below splits relabel and drop" "$NRB relabeled, $NRD dropped"
[ $((NRB + NRD)) = $((NDROP - 1)) ] && pass "--relabel-below: every automatic drop of --auto drop is now a drop or a relabel" || fail "--relabel-below covers the same rows" "$NRB + $NRD vs $((NDROP - 1))"
# every relabeled id had a score below 0.01 and got the suggested class (label_issues.csv: id $3, suggested $5, quality $6)
awk -F, 'NR==FNR { if (FNR > 1) { q[$3] = $6; s[$3] = $5 } next }
         $4 == "automatic:relabel" && !(q[$1] < 0.01 && s[$1] == $3) { bad++ }
         END { exit bad > 0 }' "$TMP/audit/label_issues.csv" "$TMP/rb/changes.csv" \
    && pass "--relabel-below: relabeled rows scored below Q and took the suggested class" \
    || fail "--relabel-below: relabeled rows scored below Q and took the suggested class" "$(head -5 "$TMP/rb/changes.csv")"
[ "$(wc -l < "$TMP/rb/digits.csv")" = $(($(wc -l < "$DIG") - NRD - 1)) ] && pass "--relabel-below keeps the relabeled rows" || fail "--relabel-below keeps the relabeled rows" "$(wc -l < "$TMP/rb/digits.csv")"

# --auto drop --relabel-above: relabel where the suggested class's probability
# (recorded by the audit, examples.suggested_p) is at least P, drop the rest
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    r=$(/usr/bin/python3 - "$TMP/cv/pp.npy" "$DB" <<'PY'
import sqlite3, sys
import numpy as np
P = np.load(sys.argv[1])
db = sqlite3.connect(sys.argv[2])
run = db.execute("select max(id) from runs").fetchone()[0]
rows = db.execute("select row, suggested, suggested_p from examples where run_id = ?", (run,)).fetchall()
bad = sum(1 for r, s, p in rows if s != P[r].argmax() or p != P[r].max())
print("ok" if len(rows) == len(P) and bad == 0 else "%d of %d rows differ" % (bad, len(rows)))
PY
)
    [ "$r" = ok ] && pass "audit --db records the suggested class's probability, the row maximum, for every example"         || fail "audit --db records the suggested class's probability" "$r"
fi
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/ra" --auto relabel --relabel-above 0.9
expect_rc 2 "--relabel-above without --auto drop exits 2"; expect_err 'relabel-above goes with --auto drop' "refusal says why"
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/ra" --auto drop --relabel-above 0
expect_rc 2 "--relabel-above 0 exits 2"; expect_err 'must be in \(0, 1\]' "refusal says the range"
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/ra" --auto drop --relabel-above 0.9
expect_rc 0 "auto drop --relabel-above 0.9 exits 0"
NAB=$(grep -c ',automatic:relabel$' "$TMP/ra/changes.csv")
NAD=$(grep -c ',automatic:drop$' "$TMP/ra/changes.csv")
[ "$NAB" -gt 0 ] && [ "$NAD" -gt 0 ] && pass "--relabel-above: some relabeled ($NAB), the rest dropped ($NAD)" || fail "--relabel-above splits relabel and drop" "$NAB relabeled, $NAD dropped"
[ $((NAB + NAD)) = $((NDROP - 1)) ] && pass "--relabel-above: every automatic drop of --auto drop is now a drop or a relabel" || fail "--relabel-above covers the same rows" "$NAB + $NAD vs $((NDROP - 1))"
# relabeled: suggested_p >= 0.9 and the suggested class; dropped: below 0.9 (from the database)
RUN=$(sqlite3 "$DB" "select max(id) from runs where id in (select run_id from examples)")
sqlite3 -csv "$DB" "select e.dataset_id, e.suggested_p >= 0.9, c.name from examples e join run_classes c on c.run_id = e.run_id and c.class_index = e.suggested where e.run_id = $RUN and e.rank is not null" > "$TMP/sp.csv"
awk -F, 'NR==FNR { sure[$1] = $2; sug[$1] = $3; next }
         FNR > 1 && $4 == "automatic:relabel" && !(sure[$1] == 1 && sug[$1] == $3) { bad++ }
         FNR > 1 && $4 == "automatic:drop" && sure[$1] != 0 { bad++ }
         END { exit bad > 0 }' "$TMP/sp.csv" "$TMP/ra/changes.csv" \
    && pass "--relabel-above: relabeled rows had p(suggested) >= P and took it, dropped rows were below P" \
    || fail "--relabel-above follows p(suggested)" "$(head -3 "$TMP/sp.csv"); $(head -3 "$TMP/ra/changes.csv")"
# a run recorded before suggested_p existed (NULL): refused, nothing written
cp "$DB" "$TMP/old.db"
sqlite3 "$TMP/old.db" "update examples set suggested_p = NULL"
la clean --db "$TMP/old.db" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/ra_old" --auto drop --relabel-above 0.9
expect_rc 2 "--relabel-above on a run without p(suggested) exits 2"
expect_err "old\.db: run [0-9]+ has no probabilities of the suggested classes" "refusal names the database and says why"
check "nothing written for it" test ! -e "$TMP/ra_old"

# re-running replaces an earlier clean output; a foreign directory is refused
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/drop" --auto none --quiet
expect_rc 0 "earlier clean output replaced"
[ "$(wc -l < "$TMP/drop/digits.csv")" = $(($(wc -l < "$DIG") - 1)) ] && pass "replaced output is the new one" || fail "replaced output is the new one" "$(wc -l < "$TMP/drop/digits.csv")"
mkdir -p "$TMP/foreign"; echo keep > "$TMP/foreign/notes.txt"
la clean --db "$DB" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/foreign"
expect_rc 2 "foreign --out directory refused"; expect_err 'not an earlier clean output' "refusal says why"
[ -f "$TMP/foreign/notes.txt" ] && pass "foreign directory untouched" || fail "foreign directory untouched" "gone"
ls -d "$TMP"/*.tmp.* >/dev/null 2>&1 && fail "no temp dir left" "$(ls -d "$TMP"/*.tmp.*)" || pass "no temp dir left"

# a run of another dataset is refused by id
head -1000 "$DIG" > "$TMP/small.csv"
la clean --db "$DB" --data "$TMP/small.csv" --out "$TMP/bad"
expect_rc 2 "other dataset (fewer rows) refused"; expect_err 'does not match run' "mismatch explained"
sed 's/^digits-0005,/digits-x005,/' "$DIG" > "$TMP/renamed.csv"
la clean --db "$DB" --data "$TMP/renamed.csv" --out "$TMP/bad"
expect_rc 2 "other dataset (different id) refused"; expect_err "digits-x005" "mismatching id named"
[ -e "$TMP/bad" ] && fail "nothing written on refusal" "exists" || pass "nothing written on refusal"
la clean --db "$DB" --run 99 --data "$DIG" --out "$TMP/bad"; expect_rc 2 "missing run exits 2"

# image manifest: paths relative to the new manifest, re-loadable
MAN="$DATA/digits-png/manifest.csv"
DB3="$TMP/img.db"
la cv --data "$MAN" --labels "$TMP/noisy.csv" --out "$TMP/cv3/pp.npy" --audit "$TMP/audit3" --db "$DB3" --quiet
expect_rc 0 "setup: image manifest audited"
la clean --db "$DB3" --data "$MAN" --labels "$TMP/noisy.csv" --out "$TMP/img" --auto drop
expect_rc 0 "manifest clean exits 0"
[ "$(head -1 "$TMP/img/manifest.csv")" = "id,path,label" ] && pass "manifest header id,path,label" || fail "manifest header" "$(head -1 "$TMP/img/manifest.csv")"
NID=$(($(wc -l < "$MAN") - $(grep -c ',dropped,' "$TMP/img/changes.csv")))
[ "$(wc -l < "$TMP/img/manifest.csv")" = "$NID" ] && pass "manifest drops the dropped images" || fail "manifest drops the dropped images" "$(wc -l < "$TMP/img/manifest.csv") vs $NID"
P1=$(awk -F, 'NR==2{print $2}' "$TMP/img/manifest.csv")
[ -f "$TMP/img/$P1" ] && pass "image paths valid relative to the new manifest" || fail "image paths valid relative to the new manifest" "$P1"
la inspect "$TMP/img/manifest.csv" --allow-outside-root
expect_rc 0 "cleaned manifest re-loads (--allow-outside-root)"
