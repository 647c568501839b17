# test_api.sh — the public C API against the binary: tests/api/test_api.c
# (built against include/labelaudit.h and liblabelaudit.so only) runs
# load -> cv -> audit -> write in-process on the bundled Fashion-MNIST
# sample; its probabilities and audit files must equal the binary's.
. tests/e2e/lib.sh
API="$LA_BUILD/api/test_api"
[ -x "$API" ] || { fail "api test program" "missing $API (make units builds it)"; exit 0; }
D=tests/data/idx/fm200-images-idx3-ubyte.gz
C=tests/data/idx/classes.txt

la cv --data "$D" --classes "$C" --seed 3 --threads 2 --out "$TMP/pp.npy" --audit "$TMP/bin_audit" --quiet
expect_rc 0 "binary: cv --audit on the sample"
"$API" "$D" "$C" "$TMP/pp.npy" "$TMP/bin_audit" "$TMP/api_audit" > "$TMP/api.out" 2>&1
rc=$?
cat "$TMP/api.out"
[ $rc = 0 ] && pass "test_api exits 0" || fail "test_api exits 0" "exit $rc"
for f in "$TMP"/bin_audit/*.csv; do
    b=$(basename "$f")
    check "api audit file $b equals the binary's" cmp "$f" "$TMP/api_audit/$b"
done
# summary.json: the same but for the input files the binary was given (the
# library was handed memory): their paths and the recorded --classes file
strip_paths() { grep -v '_path": \|"classes": "/' "$1" | sed 's/,$//'; }
strip_paths "$TMP/bin_audit/summary.json" > "$TMP/bin_summary"
strip_paths "$TMP/api_audit/summary.json" > "$TMP/api_summary"
check "api summary.json equals the binary's (input paths aside)" cmp "$TMP/bin_summary" "$TMP/api_summary"
check "api summary.json says the probabilities came from memory" grep -q '"pred_probs_path": "(in memory)"' "$TMP/api_audit/summary.json"
