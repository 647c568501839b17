# test_inspect.sh — `labelaudit inspect` on every real data set: the 17 CSV
# tables, the Fashion-MNIST IDX files, both PNG sets as manifest and folder;
# and the shared loader options. Figures are those of ../shared/data/README.md.
. tests/e2e/lib.sh
T="$DATA/tabular"

la inspect --help;  expect_rc 0 "help exits 0"; expect_out 'usage: labelaudit inspect' "help shows usage"
expect_out '--max-pixels' "help lists the loader options"
la inspect;         expect_rc 2 "no dataset is a usage error"
la inspect --bogus "$T/iris.csv"; expect_rc 2 "unknown option is a usage error"
la inspect "$T/iris.csv" --format;  expect_rc 2 "missing option value is a usage error"
la inspect "$T/iris.csv" --format xml; expect_rc 2 "bad --format value"
la inspect "$T/iris.csv" --missing maybe; expect_rc 2 "bad --missing value"
la inspect "$T/iris.csv" --image-size 28; expect_rc 2 "bad --image-size value"
la inspect "$T/iris.csv" --max-pixels -5; expect_rc 2 "bad --max-pixels value"
la inspect "$T/iris.csv" --format-in tiff; expect_rc 2 "bad --format-in value"
la inspect "$DATA/nonexistent.csv"; expect_rc 2 "missing file exits 2"; expect_err 'nonexistent\.csv: cannot open' "missing file named"

# every table: N, classes, imbalance; the ones with empty cells need --missing
while read -r name n k ratio d missing_at; do
    if [ "$missing_at" != - ]; then
        la inspect "$T/$name.csv"
        expect_rc 2 "$name: default --missing error exits 2"
        expect_err "$name\\.csv:$missing_at: missing value" "$name: first missing cell named ($missing_at)"
        la inspect "$T/$name.csv" --missing mean --format json
    else
        la inspect "$T/$name.csv" --format json
    fi
    expect_rc 0 "$name: loads"
    expect_out "\"n\": $n," "$name: N = $n"
    expect_out "\"k\": $k," "$name: K = $k"
    expect_out "\"d\": $d," "$name: D = $d"
    expect_out "\"imbalance_ratio\": $ratio" "$name: imbalance $ratio"
done <<'TABLE'
iris 150 3 1.0 4 -
wine 178 3 1.47 13 -
breast_cancer 569 2 1.6 30 -
digits 1797 10 1.05 64 -
Satellite 6435 6 2.44 36 -
LetterRecognition 20000 26 1.10 16 -
Vehicle 846 4 1.09 18 -
Glass 214 6 8.44 9 -
Vowel 990 11 1.0 10 -
Sonar 208 2 1.14 60 -
Ionosphere 351 2 1.78 34 -
BreastCancer 699 2 1.90 10 25: column 'Bare.nuclei'
Soybean 683 19 11.5 35 33: column 'hail'
HouseVotes84 435 2 1.58 32 2: column 'V11'
Shuttle 58000 7 4558.6 9 -
penguins 344 3 2.23 10 5: column 'bill_length_mm'
penguins_raw 344 3 2.23 269 2: column 'Delta 15 N \(o/oo\)'
TABLE

# text output: classes with counts, column types, missing per column
la inspect "$T/penguins.csv" --missing mean
expect_out '^classes +3, imbalance 2\.2 \(largest 152 / smallest 68\)' "penguins: imbalance line"
expect_out '^  Chinstrap +68$' "penguins: class counts"
expect_out '^  island +categorical +0 +3$' "penguins: categorical column with 3 categories"
expect_out '^  sex +categorical +11 +2$' "penguins: missing per column"
expect_out '^  bill_length_mm +numeric +2$' "penguins: numeric column"
expect_out '^missing +19 cells' "penguins: 19 missing cells (README)"
la inspect "$T/Soybean.csv" --missing zero
expect_out '^missing +2337 cells' "Soybean: 2337 missing cells (README)"
la inspect "$T/HouseVotes84.csv" --missing mean
expect_out '^missing +392 cells' "HouseVotes84: 392 missing cells (README)"
la inspect "$T/penguins_raw.csv" --missing mean --format json
expect_out '"Adult, 1 Egg Stage"' "penguins_raw: quoted comma kept in a category"
expect_out '"missing_cells": 336' "penguins_raw: 336 missing cells (README)"

# loader options
la inspect "$T/iris.csv" --features "sepal length (cm),petal width (cm)" --format json
expect_out '"d": 2,' "--features selects 2 columns"
expect_out '"type": "unused"' "--features: other columns unused"
la inspect "$T/iris.csv" --features "no such column"
expect_rc 2 "--features: unknown column"; expect_err "column 'no such column'" "--features: unknown column named"
la inspect "$T/iris.csv" --label-col "sepal length (cm)" --features "sepal width (cm)"
expect_rc 0 "--label-col: any column can be the label"
expect_out '^classes +35,' "--label-col: 35 distinct sepal lengths"
la inspect "$T/iris.csv" --label-col nope
expect_rc 2 "--label-col: missing column"; expect_err "no label column 'nope'" "--label-col: named"
la inspect "$T/iris.csv" --id-col label --label-col id
expect_rc 2 "--id-col duplicate of label column is refused"
la inspect "$T/iris.csv" --classes tests/data/io/iris_classes.txt --format json
expect_rc 0 "--classes: loads"
check "--classes: order of the file" sh -c "tr -d ' \\n' <'$OUT' | grep -q '\"classes\":\\[{\"name\":\"virginica\"'"
la inspect "$T/iris.csv" --classes tests/data/io/iris_classes_short.txt
expect_rc 2 "--classes: label not in the list"; expect_err "iris\\.csv:52: label 'versicolor' is not in the class list" "--classes: line named"
la inspect "$T/iris.csv" --format-in manifest
expect_rc 2 "--format-in manifest on a table: refused"; expect_err "no 'path' column" "--format-in manifest: reason"
la inspect tests/data/io/multiline_ok.csv --missing zero --format json
expect_rc 0 "quoted newlines, CRLF, blank line: loads"
expect_out '"n": 3,' "quoted newlines: 3 rows"
expect_out 'say \\"hi\\", then\\r\\nleave' "quoted newline kept inside the field"

# IDX: the shared copy (with classes.txt) and Debian's package (without)
la inspect "$DATA/fashion-mnist/t10k-images-idx3-ubyte.gz"
expect_rc 0 "idx t10k: loads"
expect_out '^examples +10000$' "idx t10k: 10000 examples"
expect_out '^features +784$' "idx t10k: 784 features"
expect_out '^  Ankle boot +1000$' "idx t10k: class names from classes.txt"
# (the 60000-image train file is loaded once, by tests/unit/test_io.c)
cp "$DATA/fashion-mnist/t10k-images-idx3-ubyte.gz" "$TMP/imgs.gz"
la inspect "$TMP/imgs.gz"
expect_rc 2 "idx without labels: exit 2"; expect_err "imgs\\.gz: no labels file found" "idx without labels: reason"
la inspect "$TMP/imgs.gz" --idx-labels "$DATA/fashion-mnist/t10k-labels-idx1-ubyte.gz"
expect_rc 0 "idx --idx-labels: loads"
expect_out '^  9 +1000$' "idx without classes.txt: names 0..9"
la inspect "$TMP/imgs.gz" --idx-labels "$DATA/fashion-mnist/train-labels-idx1-ubyte.gz"
expect_rc 2 "idx: label count mismatch"; expect_err "60000 labels for 10000 images" "idx: mismatch named"
gunzip -c "$DATA/fashion-mnist/t10k-labels-idx1-ubyte.gz" | head -c 5000 > "$TMP/short-labels-idx1-ubyte"
la inspect "$TMP/imgs.gz" --idx-labels "$TMP/short-labels-idx1-ubyte"
expect_rc 2 "idx: truncated labels"; expect_err "short-labels-idx1-ubyte: truncated" "idx: truncated file named"
# a header declaring 4 billion images in a 116-byte file: refused before any allocation
printf '\000\000\010\003\377\377\377\360\000\000\000\034\000\000\000\034' > "$TMP/lie-images-idx3-ubyte"
head -c 100 /dev/zero >> "$TMP/lie-images-idx3-ubyte"
printf '\000\000\010\001\377\377\377\360' > "$TMP/lie-labels-idx1-ubyte"
head -c 4000 /dev/zero | gzip -c >> "$TMP/lie-labels-idx1-ubyte"
la inspect "$TMP/lie-images-idx3-ubyte"
expect_rc 2 "idx: lying header exits 2"; expect_err "lie-.*: truncated: the header declares 4294967280" "idx: lying header named"
printf '\000\000\015\003' > "$TMP/float-images-idx3-ubyte"
la inspect "$TMP/float-images-idx3-ubyte" --idx-labels "$DATA/fashion-mnist/t10k-labels-idx1-ubyte.gz"
expect_rc 2 "idx: float type refused"; expect_err "element type 0x0d is not supported" "idx: type named"
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    la inspect /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
    expect_rc 0 "debian idx: loads"
    expect_out '^  0 +1000$' "debian idx: classes 0..9"
fi

# PNG sets, manifest and folder forms agree
for set in fashion-mnist-png:3000:784 digits-png:1797:64; do
    name=${set%%:*}; rest=${set#*:}; n=${rest%%:*}; d=${rest#*:}
    la inspect "$DATA/$name/manifest.csv" --format json
    expect_rc 0 "$name manifest: loads"; expect_out "\"n\": $n," "$name manifest: N"; expect_out "\"d\": $d," "$name manifest: D"
    expect_out '"format": "manifest"' "$name manifest: detected"
    grep -v -e '"path"' -e '"format"' "$OUT" > "$TMP/m.json"
    la inspect "$DATA/$name/images" --format json
    expect_rc 0 "$name folder: loads"; expect_out '"format": "folder"' "$name folder: detected"
    grep -v -e '"path"' -e '"format"' "$OUT" > "$TMP/f.json"
    check "$name: folder and manifest give the same summary" cmp -s "$TMP/m.json" "$TMP/f.json"
done
la inspect "$DATA/digits-png/manifest.csv" --rgb --image-size 16x16
expect_rc 0 "--rgb --image-size: loads"
expect_out '^images +16x16 rgb \(D = 768\)' "--rgb --image-size: D = 16*16*3"
la inspect "$DATA/digits-png/manifest.csv" --max-pixels 63
expect_rc 2 "--max-pixels below 8x8: refused"; expect_err 'manifest\.csv:2: .*8x8 = 64 pixels, over the limit of 63' "--max-pixels: size named"
