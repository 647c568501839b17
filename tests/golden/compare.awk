# compare.awk — compares a labelaudit output file with a golden file.
#   awk -f compare.awk EXPECTED GOT     exit 0 when they agree, else 1
# Same line count and field count; a field agrees when it is textually equal,
# or both are numbers, the expected one is not an integer, and
# |got - expected| <= 1e-9 * |expected| + 1e-12 (golden README tolerance).
# Integers (counts, masks, indices) must match exactly; "nan" matches "nan".
function isnum(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
function isint(s) { return s ~ /^[-+]?[0-9]+$/ }
function absv(x) { return x < 0 ? -x : x }
BEGIN { FS = "," ; bad = 0 }
FNR == NR { exp_line[FNR] = $0; nexp = FNR; next }
{
    ngot = FNR
    if (FNR > nexp) { if (!bad) printf "%s: extra line %d: %s\n", FILENAME, FNR, $0; bad = 1; next }
    if ($0 == exp_line[FNR]) next
    ne = split(exp_line[FNR], e, ","); ng = split($0, g, ",")
    if (ne != ng) { printf "%s: line %d: %d fields, expected %d\n", FILENAME, FNR, ng, ne; bad = 1; next }
    for (i = 1; i <= ne; i++) {
        if (e[i] == g[i]) continue
        if (isnum(e[i]) && isnum(g[i]) && !isint(e[i])) {
            x = e[i] + 0; y = g[i] + 0
            if (absv(y - x) <= 1e-9 * absv(x) + 1e-12) continue
        }
        printf "%s: line %d field %d: got %s, expected %s\n", FILENAME, FNR, i, g[i], e[i]
        bad = 1
        break
    }
}
END {
    if (ngot + 0 < nexp) { printf "%s: %d lines, expected %d\n", ARGV[2], ngot + 0, nexp; bad = 1 }
    exit bad
}
