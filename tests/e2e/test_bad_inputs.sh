# test_bad_inputs.sh — every file of ../shared/data/bad through the binary:
# the broken ones exit 2 with one line naming the file (and the line from the
# README's table), the VALID ones load. Images are reached through manifests
# and folders built in $TMP, since a single image is not a dataset.
. tests/e2e/lib.sh
B="$DATA/bad"

# one error line, exit 2, names the file
bad() {   # bad NAME REGEX ARGS...
    name=$1; re=$2; shift 2
    la inspect "$@"
    expect_rc 2 "$name: exit 2"
    expect_err "$re" "$name: message"
    check "$name: one line on stderr" test "$(wc -l <"$ERR")" -eq 1
    check "$name: nothing on stdout" test ! -s "$OUT"
}

bad ragged_row        'ragged_row\.csv:42: expected 6 fields, got 5'                            "$B/ragged_row.csv"
bad unterminated      'unterminated_quote\.csv:77: unterminated quoted field'                   "$B/unterminated_quote.csv"
bad nonnumeric        "nonnumeric_value\\.csv:23: column 'sepal width \\(cm\\)': '#VALUE!' is not a number" "$B/nonnumeric_value.csv"
bad empty_label       "empty_label\\.csv:101: column 'label': empty label"                      "$B/empty_label.csv"
bad duplicate_ids     "duplicate_ids\\.csv:60: duplicate id 'iris-0057': line 59 and line 60"    "$B/duplicate_ids.csv"
bad empty_csv         'empty\.csv: empty file: no header row'                                   "$B/empty.csv"
bad missing_image     "manifest_missing_image\\.csv:17: image 'images/fm-t10k-99999\\.png': cannot open" "$B/manifest_missing_image.csv"
bad mixed_sizes       "manifest_mixed_sizes\\.csv:32: image 'images/digits-0000-8x8\\.png': image is 8x8 but the earlier images are 28x28" \
                      "$B/manifest_mixed_sizes.csv"
bad corrupt_images    "manifest_corrupt_images\\.csv:12: image 'truncated\\.png': cannot decode image: corrupt or truncated" \
                      "$B/manifest_corrupt_images.csv"
expect_err 'line 27: not_an_image\.png: not an image' "corrupt_images: line 27 reported too"
expect_err 'line 42: empty\.png: empty file'          "corrupt_images: line 42 reported too"
expect_err 'line 57: huge_dimensions\.png: image declares 100000x100000' "corrupt_images: line 57 reported too"

# mixed sizes are fine once --image-size says how to resize
la inspect "$B/manifest_mixed_sizes.csv" --image-size 28x28
expect_rc 0 "mixed_sizes + --image-size: loads"
expect_out 'seen 8x8: 1' "mixed_sizes + --image-size: native sizes listed"

# each broken image alone, as a one-class folder and as a one-line manifest
for img in empty truncated not_an_image huge_dimensions decompression_bomb; do
    mkdir -p "$TMP/$img/cls"
    cp "$B/$img.png" "$TMP/$img/cls/"
    printf 'id,path,label\nx,cls/%s.png,cls\n' "$img" > "$TMP/$img/manifest.csv"
done
bad empty_png_folder     'empty/cls/empty\.png: empty file'                                    "$TMP/empty"
bad empty_png_manifest   "empty/manifest\\.csv:2: image 'cls/empty\\.png': empty file"          "$TMP/empty/manifest.csv"
bad truncated_png        'truncated/cls/truncated\.png: cannot decode image: corrupt or truncated' "$TMP/truncated"
bad not_an_image_png     'not_an_image/cls/not_an_image\.png: not an image stb_image can read \(unknown image type\)' "$TMP/not_an_image"
bad huge_dimensions_png  'huge_dimensions/cls/huge_dimensions\.png: image declares 100000x100000 = 10000000000 pixels, over the limit' \
                         "$TMP/huge_dimensions"
bad bomb_png             'decompression_bomb/cls/decompression_bomb\.png: image declares 16384x16384 = 268435456 pixels, over the limit of 64000000' \
                         "$TMP/decompression_bomb"
bad bomb_manifest        "decompression_bomb/manifest\\.csv:2: image 'cls/decompression_bomb\\.png': image declares 16384x16384" \
                         "$TMP/decompression_bomb/manifest.csv"
if [ "${LA_SANITIZED:-0}" != 1 ] && [ "${LA_VALGRIND:-0}" != 1 ]; then
    # refused from the header: no 268 MB pixel buffer, so 250 MB of address space is plenty (decoding would need over 500 MB)
    ( ulimit -v 250000; "$LA_BIN" inspect "$TMP/decompression_bomb" >/dev/null 2>&1; echo $? >"$TMP/bomb.rc" )
    check "bomb: rejected within 250 MB of address space" test "$(cat "$TMP/bomb.rc")" = 2
fi
# a single image file is not a dataset, and says so
for img in empty truncated not_an_image huge_dimensions decompression_bomb; do
    la inspect "$B/$img.png"
    expect_rc 2 "$img.png as a dataset: exit 2"
    expect_err "$img\\.png" "$img.png as a dataset: file named"
done

# VALID: bom_crlf.csv gives exactly what iris.csv gives
la inspect "$DATA/tabular/iris.csv" --format json;  grep -v '"path"' "$OUT" > "$TMP/iris.json"
la inspect "$B/bom_crlf.csv" --format json;         grep -v '"path"' "$OUT" > "$TMP/bom.json"
expect_rc 0 "bom_crlf: loads"
check "bom_crlf: same inspect output as iris.csv" cmp -s "$TMP/iris.json" "$TMP/bom.json"
expect_out '"name": "id"' "bom_crlf: first column is id, not BOM+id"

# VALID: hostile class names load byte-exact
la inspect "$B/escaping_labels.csv"
expect_rc 0 "escaping_labels: loads"
expect_out '<script>alert\(1\)</script> +50$' "escaping_labels: script name byte-exact"
grep -qF "Bob's \"best\", boot" "$OUT" && pass "escaping_labels: quoted name byte-exact" || fail "escaping_labels: quoted name byte-exact" "$(cat "$OUT")"
grep -qF "Robert'); DROP TABLE labels;--" "$OUT" && pass "escaping_labels: sql name byte-exact" || fail "escaping_labels: sql name byte-exact" "$(cat "$OUT")"
la inspect "$B/manifest_escaping_labels.csv"
expect_rc 0 "manifest_escaping_labels: loads"
expect_out 'examples +60$' "manifest_escaping_labels: 60 images"
grep -qF "Bob's \"best\", boot" "$OUT" && pass "manifest_escaping_labels: quoted name byte-exact" || fail "manifest_escaping_labels: quoted name byte-exact" "$(cat "$OUT")"

# manifests may not leave their directory
bad escape_manifest "escape_manifest\\.csv:2: column 'path': '\\.\\./x\\.png' leaves the manifest's directory" \
    tests/data/io/escape_manifest.csv
mkdir -p "$TMP/out/in"
ln -s "$B/images/fm-t10k-00000.png" "$TMP/out/in/link.png"
printf 'id,path,label\na,link.png,x\n' > "$TMP/out/in/m.csv"
bad symlink_escape "m\\.csv:2: column 'path': 'link\\.png' leaves the manifest's directory" "$TMP/out/in/m.csv"
la inspect "$TMP/out/in/m.csv" --allow-outside-root
expect_rc 0 "symlink out + --allow-outside-root: loads"

# quoted newlines keep line numbers right
bad multiline_ragged 'multiline_ragged\.csv:6: expected 3 fields, got 2' tests/data/io/multiline_ragged.csv

# more hostile tables, made on the fly
printf 'id,x,label\n' > "$TMP/header_only.csv"
bad header_only 'header_only\.csv: no data rows after the header' "$TMP/header_only.csv"
printf 'id,x,label\na,1,p\nb,2"x,q\n' > "$TMP/stray_quote.csv"
bad stray_quote 'stray_quote\.csv:3: malformed quoting' "$TMP/stray_quote.csv"
printf 'id,x,label\na,1,p\nb,2\000,q\n' > "$TMP/nul.csv"
bad nul_byte 'nul\.csv:3: NUL byte' "$TMP/nul.csv"
printf 'id,x,x,label\na,1,2,p\n' > "$TMP/dup_header.csv"
bad dup_header "dup_header\\.csv:1: column 'x': column name appears twice in the header \\(columns 2 and 3\\)" "$TMP/dup_header.csv"
printf 'id,x,label\n\n\n' > "$TMP/blank_rows.csv"
bad blank_rows 'blank_rows\.csv: no data rows' "$TMP/blank_rows.csv"
printf '\n\n' > "$TMP/only_blank.csv"
bad only_blank 'only_blank\.csv: no header row' "$TMP/only_blank.csv"
