#!/bin/sh
# test_classes.sh — one --classes reader for every command: a class list
# saved by a Windows editor (UTF-8 byte order mark, CRLF line ends, a blank
# line) is accepted by `inspect` (the loaders) and by `audit` (label names)
# alike, with the same result as the plain file; and both refuse a duplicate
# or a bad name with the same file:line message.
. "$(dirname "$0")/lib.sh"
T="$DATA/tabular"
EX=tests/data/audit

printf '\357\273\277virginica\r\nsetosa\r\n\r\nversicolor\r\n' >"$TMP/iris_bom.txt"
la inspect "$T/iris.csv" --classes tests/data/io/iris_classes.txt --format json
expect_rc 0 "inspect: plain class list loads"
cp "$OUT" "$TMP/plain.json"
la inspect "$T/iris.csv" --classes "$TMP/iris_bom.txt" --format json
expect_rc 0 "inspect: class list with BOM and CRLF loads"
check "inspect: BOM + CRLF list = plain list" cmp "$TMP/plain.json" "$OUT"

printf 'cat\ndog\nfox\n' >"$TMP/plain.txt"
printf '\357\273\277cat\r\ndog\r\n\r\nfox\r\n' >"$TMP/bom.txt"
tail -n +2 $EX/pred_probs.csv | sed '1i p0,p1,p2' >"$TMP/pp.csv"
la audit --labels $EX/labels.csv --pred-probs "$TMP/pp.csv" --classes "$TMP/plain.txt" --out "$TMP/a1" --quiet
expect_rc 0 "audit: plain class list maps label names"
la audit --labels $EX/labels.csv --pred-probs "$TMP/pp.csv" --classes "$TMP/bom.txt" --out "$TMP/a2" --quiet
expect_rc 0 "audit: class list with BOM and CRLF maps label names"
check "audit: BOM + CRLF list gives the same mask" cmp "$TMP/a1/is_label_issue.csv" "$TMP/a2/is_label_issue.csv"
check "audit: BOM + CRLF list gives the same class names" \
    sh -c "grep -A4 '\"classes\"' '$TMP/a2/summary.json' | tr -d ' \\n' | grep -q '\"classes\":\\[\"cat\",\"dog\",\"fox\"\\]'"

# the same refusals, with the same words, from both commands
printf '\357\273\277cat\r\ndog\r\ncat\r\n' >"$TMP/dup.txt"
la inspect "$T/iris.csv" --classes "$TMP/dup.txt"
expect_rc 2 "inspect: duplicate class refused"
expect_err "dup\\.txt:3: class 'cat' listed twice \\(also on line 1\\)" "inspect: duplicate named with both lines"
la audit --labels $EX/labels.csv --pred-probs "$TMP/pp.csv" --classes "$TMP/dup.txt" --out "$TMP/a3" --quiet
expect_rc 2 "audit: duplicate class refused"
expect_err "dup\\.txt:3: class 'cat' listed twice \\(also on line 1\\)" "audit: duplicate named with both lines"
printf '\r\n\n' >"$TMP/empty.txt"
la inspect "$T/iris.csv" --classes "$TMP/empty.txt"
expect_rc 2 "inspect: empty class list refused"; expect_err 'empty\.txt: class list is empty' "inspect: empty list named"
la audit --labels $EX/labels.csv --pred-probs "$TMP/pp.csv" --classes "$TMP/empty.txt" --out "$TMP/a4" --quiet
expect_rc 2 "audit: empty class list refused"; expect_err 'empty\.txt: class list is empty' "audit: empty list named"
