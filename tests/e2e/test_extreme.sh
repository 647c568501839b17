# test_extreme.sh — extreme shapes: each is a clear error (exit 2 naming the
# file, and the line where there is one) or a correct result with bounded
# memory. Empty, header only, one row, one class, a single-example class,
# K = 1000, N = 1,000,000 (10,000,000 with LA_TEST_BIG=1), a 1 MB line,
# 100,000 columns, NUL bytes, invalid UTF-8, NaN/Inf/negative probabilities,
# the 1e-6 tolerance, rows not summing to 1, labels outside 0..K-1, class
# names absent from the probability header. Needs python3.
. tests/e2e/lib.sh
GEN="python3 tests/e2e/gen_shapes.py"
T=$TMP
# under valgrind (50x slower) the big shapes shrink tenfold
BIGN=1000000; WIDE=100000
[ "${LA_VALGRIND:-0}" = 1 ] && { BIGN=100000; WIDE=10000; }
printf 'label\n0\n1\n2\n0\n1\n2\n' >"$T/l.csv"
printf 'p0,p1,p2\n0.8,0.1,0.1\n0.1,0.8,0.1\n0.1,0.1,0.8\n0.1,0.8,0.1\n0.2,0.7,0.1\n0.1,0.2,0.7\n' >"$T/p.csv"
# swaps line 3 of p.csv (the second example) for $1
probs_with() { sed "3s/.*/$1/" "$T/p.csv" >"$T/x.csv"; }
aud() { la audit --quiet --bootstrap 20 "$@"; }
# runs the binary like la; sets MEM to its peak resident memory in KB (GNU
# time), or 0 when not measured (no /usr/bin/time, valgrind, sanitizers)
peak_kb() {
    if [ -x /usr/bin/time ] && [ "${LA_VALGRIND:-0}" != 1 ] && [ "${LA_SANITIZED:-0}" != 1 ]; then
        /usr/bin/time -f '%M' -o "$T/.mem" "$LA_BIN" "$@" >"$OUT" 2>"$ERR"; RC=$?; MEM=$(tail -1 "$T/.mem")
    else la "$@"; MEM=0; fi
}

aud --labels "$T/l.csv" --pred-probs "$T/p.csv" --out "$T/ok"
expect_rc 0 "baseline 6 x 3 audit"

# ---- empty, header only, one row, one class ---------------------------------
: >"$T/empty.csv"
aud --labels "$T/empty.csv" --pred-probs "$T/p.csv" --out "$T/o"; expect_rc 2 "empty labels file: exit 2"; expect_err 'empty\.csv:1: empty file' "empty labels: file named"
aud --labels "$T/l.csv" --pred-probs "$T/empty.csv" --out "$T/o"; expect_rc 2 "empty probabilities file: exit 2"; expect_err 'empty\.csv.*empty file' "empty probabilities: file named"
printf 'label\n' >"$T/hl.csv"; printf 'p0,p1,p2\n' >"$T/hp.csv"
aud --labels "$T/hl.csv" --pred-probs "$T/hp.csv" --out "$T/o"; expect_rc 2 "header-only files: exit 2"; expect_err 'hp\.csv: no examples' "header only: 'no examples'"
aud --labels "$T/hl.csv" --pred-probs "$T/p.csv" --out "$T/o"; expect_rc 2 "header-only labels vs 6 rows: exit 2"; expect_err 'hl\.csv: 0 labels but .*6 rows' "length mismatch named"
la inspect "$T/hl.csv" --format-in csv; expect_rc 2 "inspect header-only table: exit 2"
printf 'label\n1\n' >"$T/l1.csv"; printf 'p0,p1,p2\n0.1,0.8,0.1\n' >"$T/p1.csv"
aud --labels "$T/l1.csv" --pred-probs "$T/p1.csv" --out "$T/o"; expect_rc 2 "one row (N = 1): exit 2"; expect_err 'at least 2 classes' "N = 1: needs two classes"
printf 'label\n0\n1\n' >"$T/l2.csv"; printf 'p0,p1\n0.9,0.1\n0.3,0.7\n' >"$T/p2.csv"
aud --labels "$T/l2.csv" --pred-probs "$T/p2.csv" --out "$T/o2"; expect_rc 0 "N = 2, K = 2: runs"
check "N = 2: no issue flagged" test "$(cat "$T/o2/num_label_issues_off_diagonal.txt")" = 0
printf 'p0\n1\n1\n' >"$T/pk1.csv"; printf 'label\n0\n0\n' >"$T/lk1.csv"
aud --labels "$T/lk1.csv" --pred-probs "$T/pk1.csv" --out "$T/o"; expect_rc 2 "one class (K = 1): exit 2"; expect_err 'pk1\.csv: need at least 2 classes' "K = 1 named"
printf 'label\n1\n1\n1\n1\n1\n1\n' >"$T/lall1.csv"
aud --labels "$T/lall1.csv" --pred-probs "$T/p.csv" --out "$T/o"; expect_rc 2 "every label the same class (1): exit 2"
printf 'label\n0\n0\n0\n1\n2\n2\n' >"$T/ls1.csv"
aud --labels "$T/ls1.csv" --pred-probs "$T/p.csv" --out "$T/os1"; expect_rc 0 "a class with a single example: runs"
check "single-example class: 2 issues (rows 2 and 4 look like class 1)" test "$(cat "$T/os1/num_label_issues_off_diagonal.txt")" = 2

# ---- K = 1000 ---------------------------------------------------------------
$GEN manyk "$T/k" 2000 1000
peak_kb audit --quiet --bootstrap 20 --labels "$T/k_l.npy" --pred-probs "$T/k_p.npy" --out "$T/ok1000"; mem=$MEM
expect_rc 0 "K = 1000, N = 2000: runs"
check "K = 1000: the 286 moved rows (every 7th) are the issues" test "$(cat "$T/ok1000/num_label_issues_off_diagonal.txt")" = 286
check "K = 1000: peak memory under 400 MB ($mem KB)" test "$mem" -lt 400000

# ---- N = 1,000,000 (and 10,000,000 with LA_TEST_BIG=1), streamed .npy -------
for n in $BIGN ${LA_TEST_BIG:+10000000}; do
    $GEN binary "$T/b" $n
    peak_kb audit --quiet --bootstrap 20 --labels "$T/b_l.npy" --pred-probs "$T/b_p.npy" --out "$T/ob"; mem=$MEM
    expect_rc 0 "N = $n: runs"
    check "N = $n: exactly the flipped tenth found" test "$(cat "$T/ob/num_label_issues_off_diagonal.txt")" = $(((n + 9) / 10))
    # the float32 probabilities alone are 8 bytes per example
    check "N = $n: peak memory $mem KB under 80 bytes per example" test "$mem" -lt $((n * 80 / 1000 + 40000))
    rm -f "$T"/b_*.npy; rm -rf "$T/ob"
done

# ---- a 1 MB line, 100,000 columns -------------------------------------------
python3 - "$T" "$WIDE" <<'PY'
import sys
t = sys.argv[1]
open(t + '/long_t.csv', 'w').write('id,x,label\n' + 'a' * 1048576 + ',1,x\nb,2,y\nc,3,x\n')
open(t + '/long_p.csv', 'w').write('p0,p1\n0.' + '1' * 1048576 + ',0.5\n0.5,0.5\n')
open(t + '/long_l.csv', 'w').write('label\n0\n1\n')
k = int(sys.argv[2])
open(t + '/wide_p.csv', 'w').write(','.join('p%d' % j for j in range(100000)) + '\n' + (','.join(['0.00001'] * 100000) + '\n') * 2)
open(t + '/wide_l.csv', 'w').write('label\n0\n1\n')
open(t + '/wide_t.csv', 'w').write('id,' + ','.join('f%d' % j for j in range(k)) + ',label\n'
                                  + 'a,' + ','.join(['1'] * k) + ',x\n' + 'b,' + ','.join(['2'] * k) + ',y\n')
PY
la inspect "$T/long_t.csv"; expect_rc 0 "CSV table with a 1 MB id: loads"
aud --labels "$T/long_l.csv" --pred-probs "$T/long_p.csv" --out "$T/o"; expect_rc 0 "probability with 1 MB of digits: parsed"
peak_kb inspect "$T/wide_t.csv"; mem=$MEM
expect_rc 0 "CSV table with $WIDE columns: loads"; check "$WIDE columns: under 200 MB ($mem KB)" test "$mem" -lt 200000
aud --labels "$T/wide_l.csv" --pred-probs "$T/wide_p.csv" --out "$T/o"; expect_rc 2 "100,000 probability columns (K x K = 80 GB): exit 2"
expect_err 'wide_p\.csv: 100000 classes .*16384' "K too large: named before allocating"

# ---- NUL bytes, invalid UTF-8 -------------------------------------------------
printf 'label\n0\n1\0\n2\n0\n1\n2\n' >"$T/lnul.csv"
aud --labels "$T/lnul.csv" --pred-probs "$T/p.csv" --out "$T/o"; expect_rc 2 "NUL byte in labels: exit 2"; expect_err 'lnul\.csv:3: NUL byte' "NUL: file and line"
printf 'p0,p1,p2\n0.8,0.1,0.1\n0.1,0.8\0,0.1\n' >"$T/pnul.csv"
aud --labels "$T/l.csv" --pred-probs "$T/pnul.csv" --out "$T/o"; expect_rc 2 "NUL byte in probabilities: exit 2"; expect_err 'pnul\.csv:3: NUL byte' "NUL in probabilities: line"
printf 'id,x,label\na,1,x\nb,2\0,y\n' >"$T/tnul.csv"
la inspect "$T/tnul.csv"; expect_rc 2 "NUL byte in a CSV table: exit 2"; expect_err 'tnul\.csv:3' "NUL in table: line"
printf 'label\nca\377t\ndog\nbird\n' >"$T/lu.csv"; printf 'ca\377t,dog,bird\n0.8,0.1,0.1\n0.1,0.8,0.1\n0.1,0.1,0.8\n' >"$T/pu.csv"
aud --labels "$T/lu.csv" --pred-probs "$T/pu.csv" --out "$T/o"; expect_rc 2 "invalid UTF-8 class name: exit 2"; expect_err 'pu\.csv:1: field 1 is not valid UTF-8' "invalid UTF-8: file, line, field"
printf 'id,x,label\na,1,caf\303\251\nb,2,d\300\257g\n' >"$T/tu.csv"
la inspect "$T/tu.csv"; expect_rc 2 "overlong UTF-8 in a table: exit 2"; expect_err 'tu\.csv:3: field 3 is not valid UTF-8' "overlong UTF-8: line and field"
printf 'cat\nd\355\240\200g\nbird\n' >"$T/cls.txt"
aud --labels "$T/l.csv" --pred-probs "$T/p.csv" --classes "$T/cls.txt" --out "$T/o"; expect_rc 2 "UTF-16 surrogate in a class list: exit 2"; expect_err 'cls\.txt:2' "class list line named"
printf 'id,x,label\na,1,caf\303\251\nb,2,\360\237\220\261\n' >"$T/tok.csv"
la inspect "$T/tok.csv" --format json; expect_rc 0 "valid multi-byte UTF-8 (é, 🐱): loads"; expect_out '"name": "café"' "UTF-8 names kept in JSON"

# ---- NaN, Inf, negative, tolerance, row sums --------------------------------
probs_with '0.1,nan,0.1'; aud --labels "$T/l.csv" --pred-probs "$T/x.csv" --out "$T/o"; expect_rc 2 "NaN probability: exit 2"; expect_err "x\.csv:3: column '1': probability is nan" "NaN: line and column"
probs_with '0.1,inf,0.1'; aud --labels "$T/l.csv" --pred-probs "$T/x.csv" --out "$T/o"; expect_rc 2 "Inf probability: exit 2"; expect_err "x\.csv:3: column '1'" "Inf: line and column"
probs_with '-0.1,0.8,0.1'; aud --labels "$T/l.csv" --pred-probs "$T/x.csv" --out "$T/o"; expect_rc 2 "negative probability: exit 2"; expect_err "x\.csv:3: column '0': probability -0.1 is outside" "negative: line and column"
probs_with '0.1,1.0000005,0.1'; aud --labels "$T/l.csv" --pred-probs "$T/x.csv" --out "$T/o"; expect_rc 0 "1 + 5e-7 is within the 1e-6 tolerance"
probs_with '0.1,1.00001,0.1'; aud --labels "$T/l.csv" --pred-probs "$T/x.csv" --out "$T/o"; expect_rc 2 "1 + 1e-5 is beyond the tolerance: exit 2"
probs_with '-0.0000005,0.9,0.1'; aud --labels "$T/l.csv" --pred-probs "$T/x.csv" --out "$T/o"; expect_rc 0 "-5e-7 is within the tolerance"
probs_with '0.5,0.5,0.5'; aud --labels "$T/l.csv" --pred-probs "$T/x.csv" --out "$T/osum"; expect_rc 0 "a row summing to 1.5: accepted as given (no renormalization)"
# class 1 threshold = mean p_1 over its rows = (0.5 + 0.7) / 2 = 0.6 with the raw
# 0.5; renormalizing the row to (1/3, 1/3, 1/3) would give 0.5167
check "row sum 1.5: used unchanged (class 1 threshold 0.6, not renormalized)" grep -qx '0.59999999999999998' "$T/osum/thresholds.csv"
sed '2,$s/^\([^,]*\),\([^,]*\),\(.*\)$/\1,\2,0/' "$T/p.csv" >"$T/x.csv"
aud --labels "$T/l.csv" --pred-probs "$T/x.csv" --out "$T/o"; expect_rc 0 "rows summing to less than 1 (a zeroed column): accepted"
printf '\x93NUMPY\x01\x00v\x00{'"'"'descr'"'"': '"'"'<f8'"'"', '"'"'fortran_order'"'"': False, '"'"'shape'"'"': (2, 2), }' >"$T/nan.npy"
python3 -c "
import struct,sys
h=\"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }\"; h=h+' '*((64-(11+len(h))%64)%64)+'\n'
open(sys.argv[1],'wb').write(b'\x93NUMPY\x01\x00'+struct.pack('<H',len(h))+h.encode()+struct.pack('<4d',0.9,0.1,float('nan'),0.5))" "$T/nan.npy"
printf 'label\n0\n1\n' >"$T/l01.csv"
aud --labels "$T/l01.csv" --pred-probs "$T/nan.npy" --out "$T/o"; expect_rc 2 "NaN in a .npy: exit 2"; expect_err 'nan\.npy.*row 1, column 0.*not a finite number' "NaN in .npy: row and column"

# ---- labels outside 0..K-1, names absent from the header --------------------
printf 'label\n0\n1\n3\n0\n1\n2\n' >"$T/lo.csv"
aud --labels "$T/lo.csv" --pred-probs "$T/p.csv" --out "$T/o"; expect_rc 2 "label 3 with K = 3: exit 2"; expect_err 'lo\.csv:4: label 3 .*out of range' "label out of range: line"
printf 'label\n0\n1\n-1\n0\n1\n2\n' >"$T/ln.csv"
aud --labels "$T/ln.csv" --pred-probs "$T/p.csv" --out "$T/o"; expect_rc 2 "label -1: exit 2"; expect_err 'ln\.csv:4: .*negative' "negative label: line"
printf 'label\ncat\ndog\nbird\ncat\ndog\nfish\n' >"$T/lnames.csv"
printf 'cat,dog,bird\n0.8,0.1,0.1\n0.1,0.8,0.1\n0.1,0.1,0.8\n0.1,0.8,0.1\n0.2,0.7,0.1\n0.1,0.2,0.7\n' >"$T/pnames.csv"
aud --labels "$T/lnames.csv" --pred-probs "$T/pnames.csv" --out "$T/o"; expect_rc 2 "class 'fish' not in the probability header: exit 2"
expect_err "lnames\.csv:7: column 'label': unknown class 'fish'" "absent class name: line and name"
printf 'label\n0\n1\n2\n0\n1\n' >"$T/lshort.csv"
aud --labels "$T/lshort.csv" --pred-probs "$T/p.csv" --out "$T/o"; expect_rc 2 "5 labels for 6 rows: exit 2"
aud --labels "$T/lshort.csv" --pred-probs "$T/p.csv" --out "$T/never"
check "a refused run writes no output directory" test ! -e "$T/never"
