# test_consensus.sh — `labelaudit consensus` through the binary: cleanlab
# 2.9.0 parity on every golden case of ../shared/golden-multiannotator (wide
# CSV, and the same labels as a long CSV), Dawid-Skene, refusals of bad input
# (file, line, reason; exit 2), the all-or-nothing output directory, and the
# database workflow: two reviewers' decisions imported into an audit run,
# consensus --db, clean --consensus applying the consensus labels, and the
# reviewer table that consensus --db leaves for the report.
. tests/e2e/lib.sh

MA="$SHARED/golden-multiannotator"
CMP="tests/e2e/cs_compare.py"

la consensus --help; expect_rc 0 "consensus --help exits 0"; expect_out '--consensus M' "help lists --consensus"
la consensus --out "$TMP/x"; expect_rc 2 "consensus without labels is a usage error"
la consensus --labels a.csv --db b.db --out "$TMP/x"; expect_rc 2 "--labels with --db is a usage error"
la consensus --labels a.csv --out "$TMP/x"; expect_rc 2 "--labels without --pred-probs is a usage error"
la consensus --labels a.csv --pred-probs p.npy --out "$TMP/x" --consensus mode; expect_rc 2 "bad --consensus exits 2"
la consensus --labels a.csv --pred-probs p.npy --out "$TMP/x" --score confidence_weighted_entropy --adjust-pred-probs
expect_rc 2 "--adjust-pred-probs with confidence_weighted_entropy refused (as cleanlab)"

# ---- golden parity: every case, wide and long ----------------------------------
opts_of() {  # the case's options as flags
    sed -n 's/.*"consensus_method": "\([a-z_]*\)".*/--consensus \1/p; s/.*"quality_method": "\([a-z_]*\)".*/--quality \1/p' "$1/params.json" | tr '\n' ' '
}
for d in "$MA"/*/; do
    c=$(basename "$d")
    # shellcheck disable=SC2046
    la consensus --labels "$d/labels.csv" --pred-probs "$d/pred_probs.npy" --out "$TMP/g/$c" $(opts_of "$d")
    expect_rc 0 "golden $c: exits 0"
    if python3 "$CMP" "$d" "$TMP/g/$c" > "$TMP/cmp.txt"; then pass "golden $c: cleanlab parity (wide)"
    else fail "golden $c: cleanlab parity (wide)" "$(grep -v ': ok' "$TMP/cmp.txt" | head -3)"; fi
    # the same labels as id,annotator,label rows
    awk -F, 'NR==1{for(j=1;j<=NF;j++)h[j]=$j; print "id,annotator,label"; next}
             {for(j=1;j<=NF;j++) if($j!="") print NR-2","h[j]","$j}' "$d/labels.csv" > "$TMP/long_$c.csv"
    # shellcheck disable=SC2046
    la consensus --labels "$TMP/long_$c.csv" --pred-probs "$d/pred_probs.npy" --out "$TMP/gl/$c" $(opts_of "$d")
    if python3 "$CMP" "$d" "$TMP/gl/$c" > "$TMP/cmp.txt"; then pass "golden $c: cleanlab parity (long CSV)"
    else fail "golden $c: cleanlab parity (long CSV)" "$(grep -v ': ok' "$TMP/cmp.txt" | head -3)"; fi
done

# options the golden cases lack, against cleanlab's own outputs (tests/data/consensus/README)
REF=tests/data/consensus
la consensus --labels "$MA/five_annotators_k4_n300/labels.csv" --pred-probs "$MA/five_annotators_k4_n300/pred_probs.npy" \
    --out "$TMP/r1" --calibrate --score normalized_margin --adjust-pred-probs
expect_rc 0 "--calibrate --score normalized_margin --adjust-pred-probs exits 0"; expect_out 'temperature-scaled by' "calibration reports its temperature"
python3 "$CMP" "$REF/five_calibrate_margin_adjust" "$TMP/r1" > "$TMP/cmp.txt" && pass "calibrate + normalized_margin + adjust: cleanlab parity" || fail "calibrate + normalized_margin + adjust: cleanlab parity" "$(grep -v ': ok' "$TMP/cmp.txt" | head -3)"
la consensus --labels "$MA/binary_confusable_n500/labels.csv" --pred-probs "$MA/binary_confusable_n500/pred_probs.npy" \
    --out "$TMP/r2" --score confidence_weighted_entropy --consensus majority_vote
python3 "$CMP" "$REF/binary_cwe_majority" "$TMP/r2" > "$TMP/cmp.txt" && pass "majority_vote + confidence_weighted_entropy: cleanlab parity" || fail "majority_vote + confidence_weighted_entropy: cleanlab parity" "$(grep -v ': ok' "$TMP/cmp.txt" | head -3)"

G5="$MA/five_annotators_k4_n300"
# as df.to_csv() writes it: the index as an unnamed first column, floats (NaN columns) as 4.0
awk -F, -v OFS=, 'NR==1{print "",$0; next} {for(j=1;j<=NF;j++) if($j!="") $j=$j".0"; print NR-2,$0}' "$G5/labels.csv" > "$TMP/pandas.csv"
la consensus --labels "$TMP/pandas.csv" --pred-probs "$G5/pred_probs.npy" --out "$TMP/pd"
python3 "$CMP" "$G5" "$TMP/pd" > "$TMP/cmp.txt" && pass "a df.to_csv() file (index column, 4.0 labels): cleanlab parity" || fail "a df.to_csv() file: cleanlab parity" "$(grep -v ': ok' "$TMP/cmp.txt" | head -3)"
la consensus --labels "$G5/labels.csv" --pred-probs "$G5/pred_probs.npy" --out "$TMP/ds" --consensus dawid-skene --format json
expect_rc 0 "dawid-skene exits 0"; expect_out '"ds_iterations": [1-9]' "dawid-skene reports its EM iterations"
[ "$(wc -l < "$TMP/ds/label_quality.csv")" = 301 ] && pass "dawid-skene: one row per example" || fail "dawid-skene: one row per example" "$(wc -l < "$TMP/ds/label_quality.csv")"

# ---- the output directory -------------------------------------------------------
mkdir -p "$TMP/foreign"; echo keep > "$TMP/foreign/mine.txt"
la consensus --labels "$G5/labels.csv" --pred-probs "$G5/pred_probs.npy" --out "$TMP/foreign"
expect_rc 2 "an existing directory that is no consensus output is refused"
[ -f "$TMP/foreign/mine.txt" ] && [ ! -f "$TMP/foreign/label_quality.csv" ] && pass "refused --out left untouched" || fail "refused --out left untouched" "changed"
la consensus --labels "$G5/labels.csv" --pred-probs "$G5/pred_probs.npy" --out "$TMP/g/five_annotators_k4_n300" --consensus majority_vote
expect_rc 0 "an earlier consensus output is replaced"
ls "$TMP/g" | grep -q tmp && fail "no temporary directory left" "$(ls "$TMP/g")" || pass "no temporary directory left"

# ---- bad input: exit 2 naming file, line and reason --------------------------------
sed '3s/^[0-9]*/7/' "$G5/labels.csv" > "$TMP/outside.csv"
la consensus --labels "$TMP/outside.csv" --pred-probs "$G5/pred_probs.npy" --out "$TMP/b1"
expect_rc 2 "label outside the classes exits 2"; expect_err 'outside.csv:3: column .annotator_0.: label .7. is not a class' "names file, line, annotator and label"
sed '4s/.*/,,,,/' "$G5/labels.csv" > "$TMP/nobody.csv"
la consensus --labels "$TMP/nobody.csv" --pred-probs "$G5/pred_probs.npy" --out "$TMP/b2"
expect_rc 2 "an example nobody labelled exits 2"; expect_err 'nobody.csv:4: .*no annotator labelled it' "names file and line"
head -101 "$G5/labels.csv" > "$TMP/short.csv"
la consensus --labels "$TMP/short.csv" --pred-probs "$G5/pred_probs.npy" --out "$TMP/b3"
expect_rc 2 "probabilities of the wrong shape exit 2"; expect_err 'pred_probs.npy: has 300 rows of probabilities but .*short.csv has 100 examples' "names both files and both sizes"
printf 'id,annotator,label\na,x,0\na,y,1\nb,x,1\nb,y,1\na,x,1\n' > "$TMP/dup.csv"
printf 'id,p0,p1\na,0.5,0.5\nb,0.2,0.8\n' > "$TMP/p2.csv"
la consensus --labels "$TMP/dup.csv" --pred-probs "$TMP/p2.csv" --out "$TMP/b4"
expect_rc 2 "the same (id, annotator) twice exits 2"; expect_err "dup.csv:6: id 'a', annotator 'x': labelled twice \(first on line 2\)" "names both lines"
printf 'id,annotator,label\nb,x,1\na,x,0\na,y,1\nb,y,1\n' > "$TMP/ok.csv"
la consensus --labels "$TMP/ok.csv" --pred-probs "$TMP/p2.csv" --out "$TMP/ok"
expect_rc 0 "long CSV with probabilities by id exits 0"
grep -q '^b,1,0.7999' "$TMP/ok/label_quality.csv" && pass "probabilities follow the labels' ids" || fail "probabilities follow the labels' ids" "$(cat "$TMP/ok/label_quality.csv")"
printf 'a,b\n0,\n,1\n' > "$TMP/single.csv"; printf '0.5,0.5\n0.5,0.5\n' > "$TMP/p22.csv"
la consensus --labels "$TMP/single.csv" --pred-probs "$TMP/p22.csv" --out "$TMP/b5"
expect_rc 2 "every example with one label exits 2"; expect_err 'single label' "says why"
printf 'x\ny\nz\n' > "$TMP/classes3.txt"
la consensus --labels "$TMP/ok.csv" --pred-probs "$TMP/p2.csv" --classes "$TMP/classes3.txt" --out "$TMP/b6"
expect_rc 2 "--classes of another size exits 2"; expect_err 'classes3.txt: 3 classes' "names the class file"

# ---- the database: two reviewers, consensus --db, clean --consensus -------------------
DIG="$DATA/tabular/digits.csv"
awk -F, 'NR==1{print "id,label";next}{print $1","$3}' "$DATA/noise/digits_asym10_seed1.csv" > "$TMP/noisy.csv"
DB="$TMP/a.db"
la cv --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/cv/pp.npy" --audit "$TMP/audit" --db "$DB" --quiet
expect_rc 0 "setup: cv + audit + db on noisy digits"

# labels as class names, probabilities with cv's classes.txt beside them (no
# --classes): names map by that file; a list of another size is not used
awk -F, 'NR==1{print "id,annotator,label"; next} {print $1",ann,"$2; if (NR%2) print $1",bob,"$3}' \
    "$DATA/noise/digits_asym10_seed1.csv" > "$TMP/long_names.csv"
la consensus --labels "$TMP/long_names.csv" --pred-probs "$TMP/cv/pp.npy" --out "$TMP/bnames" --quiet
expect_rc 0 "class names map by the classes.txt beside the probabilities"
k0=$(awk -F, 'NR==2{print $2}' "$TMP/bnames/label_quality.csv")
name0=$(sed -n "$((k0 + 1))p" "$TMP/cv/classes.txt")
[ "$name0" = "$(awk -F, 'NR==2{print $2}' "$DATA/noise/digits_asym10_seed1.csv")" ] &&
    pass "  ... first consensus label is the true class by name ($name0)" ||
    fail "  ... first consensus label is the true class by name" "column $k0 is '$name0'"
mkdir -p "$TMP/cv3"; cp "$TMP/cv/pp.npy" "$TMP/cv3/pp.npy"; printf 'x\ny\nz\n' > "$TMP/cv3/classes.txt"
la consensus --labels "$TMP/long_names.csv" --pred-probs "$TMP/cv3/pp.npy" --out "$TMP/bnames3"
expect_rc 2 "a classes.txt of another size is not used: the names are refused"
expect_err "classes.txt" "  ... with a warning naming classes.txt"
# true classes by id (the clean digits), the flagged ids with their given label
awk -F, 'NR>1{print $1","$NF}' "$DIG" | sort > "$TMP/truth.csv"
awk -F, 'NR>1{print $3","$4}' "$TMP/audit/label_issues.csv" | sort > "$TMP/flagged.csv"
join -t, "$TMP/flagged.csv" "$TMP/truth.csv" > "$TMP/ft.csv"     # id,given,true
# alice is right on every example; bob keeps every given label but the first 20 she corrects
awk -F, 'BEGIN{print "id,decision,new_label,reviewer"} {if($2==$3) print $1",keep,,alice"; else print $1",relabel,"$3",alice"}' "$TMP/ft.csv" > "$TMP/alice.csv"
awk -F, 'BEGIN{print "id,decision,new_label,reviewer"} {if($2!=$3 && n<20){n++; print $1",relabel,"$3",bob"} else print $1",keep,,bob"}' "$TMP/ft.csv" > "$TMP/bob.csv"
la decisions --db "$DB" --import "$TMP/alice.csv"; expect_rc 0 "alice's decisions imported"
la decisions --db "$DB" --import "$TMP/bob.csv"; expect_rc 0 "bob's decisions imported (after hers, on the same rows)"
la consensus --db "$DB" --out "$TMP/dbc" --format json
expect_rc 0 "consensus --db exits 0"; expect_out '"annotators": 2' "two reviewers found in the decision log"
NF=$(wc -l < "$TMP/ft.csv")
[ "$(($(wc -l < "$TMP/dbc/label_quality.csv") - 1))" = "$NF" ] && pass "one consensus row per reviewed example" || fail "one consensus row per reviewed example" "$(wc -l < "$TMP/dbc/label_quality.csv") vs $NF"
head -1 "$TMP/dbc/detailed_label_quality.csv" | grep -q '^index,quality_annotator_alice,quality_annotator_bob$' && pass "a quality column per reviewer" || fail "a quality column per reviewer" "$(head -1 "$TMP/dbc/detailed_label_quality.csv")"
grep -q '^digits-' "$TMP/dbc/label_quality.csv" && pass "consensus indexed by dataset id" || fail "consensus indexed by dataset id" "$(sed -n 2p "$TMP/dbc/label_quality.csv")"
[ -s "$TMP/dbc/classes.txt" ] && pass "the run's class names written" || fail "the run's class names written" "missing"
# where both reviewers agree, the consensus is their label
AGREE_BAD=$(awk -F, 'NR>1 && $4==1' "$TMP/dbc/label_quality.csv" | wc -l)
[ "$AGREE_BAD" -gt 0 ] && pass "unanimous examples present ($AGREE_BAD)" || fail "unanimous examples present" 0
la consensus --db "$DB" --run 99 --out "$TMP/dbx"; expect_rc 2 "consensus --db with an unknown run exits 2"

# the reviewer table lands in the report
la report --db "$DB" --out "$TMP/rep"; expect_rc 0 "report after consensus --db exits 0"
grep -q '<section class="panel" id="reviewers">' "$TMP/rep/index.html" && pass "the report has a reviewer table" || fail "the report has a reviewer table" "missing"
grep -A3 'id="reviewers"' "$TMP/rep/index.html" | grep -q '<tr><td>bob</td><td>'"$NF"'</td>' && pass "reviewer table: bob first (lowest quality), with his count" || fail "reviewer table: bob first" "$(grep -A4 'id="reviewers"' "$TMP/rep/index.html")"
grep -c '<tr><td>alice</td>' "$TMP/rep/index.html" | grep -q '^1$' && pass "reviewer table: one row for alice" || fail "reviewer table: one row for alice" "count differs"
la report --db "$TMP/own.db" --out "$TMP/rep0" 2>/dev/null
la cv --data "$DIG" --out "$TMP/cv0/pp.npy" --audit "$TMP/audit0" --db "$TMP/plain.db" --quiet
la report --db "$TMP/plain.db" --out "$TMP/rep0"
grep -q 'id="reviewers"' "$TMP/rep0/index.html" && fail "no reviewer table without consensus --db" "present" || pass "no reviewer table without consensus --db"

la clean --consensus "$TMP/dbc" --data "$DIG" --labels "$TMP/noisy.csv" --out "$TMP/clean" --format json
expect_rc 0 "clean --consensus exits 0"
NCHG=$(awk -F, 'NR>1' "$TMP/clean/changes.csv" | wc -l)
# consensus classes (names) by id vs the given labels
awk 'NR==FNR{name[NR-1]=$0; next} FNR>1{split($0,f,","); print f[1]","name[f[2]]}' "$TMP/dbc/classes.txt" "$TMP/dbc/label_quality.csv" | sort > "$TMP/cons.csv"
WANT=$(join -t, "$TMP/flagged.csv" "$TMP/cons.csv" | awk -F, '$2!=$3' | wc -l)
[ "$NCHG" = "$WANT" ] && [ "$NCHG" -gt 0 ] && pass "clean relabels exactly where the consensus differs ($NCHG)" || fail "clean relabels exactly where the consensus differs" "$NCHG vs $WANT"
grep -q ',reviewer:consensus$' "$TMP/clean/changes.csv" && pass "changes say reviewer:consensus" || fail "changes say reviewer:consensus" "$(sed -n 2p "$TMP/clean/changes.csv")"
FIXED=$(join -t, "$TMP/cons.csv" "$TMP/truth.csv" | awk -F, '$2==$3' | wc -l)
GIVEN_OK=$(awk -F, '$2==$3' "$TMP/ft.csv" | wc -l)
[ "$FIXED" -gt $((GIVEN_OK + 20)) ] && pass "consensus beats the given labels and bob's on the reviewed examples ($FIXED vs $GIVEN_OK + 20 of $NF)" || fail "consensus accuracy" "$FIXED vs $GIVEN_OK of $NF"
la clean --consensus "$TMP/nowhere" --data "$DIG" --out "$TMP/clean2"
expect_rc 2 "clean --consensus with a missing directory exits 2"
la clean --consensus "$TMP/dbc" --db "$DB" --data "$DIG" --out "$TMP/clean3"
expect_rc 2 "clean --consensus with --db is a usage error"
