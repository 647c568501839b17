# compare_checks.awk — one golden-issues file against ours (tests/e2e/test_checks_golden.sh).
#   awk -v kind=near_duplicate|sets|outlier -f compare_checks.awk GOLDEN OURS
# near_duplicate: golden index,flag,score,nn,dist vs ours index,id,flag,score,nn,dist;
# outlier: golden index,flag,score vs ours index,id,flag,score;
# sets: golden "# comment" then one line per example vs ours index,id,set.
# Flags and sets must be equal, floats within 1e-6; a different nearest
# neighbour is accepted when the distances agree (ties). Prints the first
# problems and exits 1 on any.
BEGIN { FS = ","; tol = 1e-6; bad = 0 }
function abs(x) { return x < 0 ? -x : x }
function problem(msg) { if (bad < 5) print msg; bad++ }
FNR == 1 { file++ }
file == 1 && kind == "sets" && FNR == 1 { next }
file == 1 && kind == "sets" { g[FNR - 2] = $0; ng = FNR - 1; next }
file == 1 && FNR == 1 { next }
file == 1 { g[$1] = $0; ng = FNR - 1; next }
FNR == 1 { next }
kind == "sets" {
    split($0, o, ","); s = o[3]
    if (s != g[o[1]]) problem("set of " o[1] ": golden '" g[o[1]] "', ours '" s "'")
    seen++; next
}
{
    n = split(g[$1], e, ","); seen++
    if (n == 0) { problem("row " $1 " not in golden"); next }
    if ($3 != e[2]) problem("row " $1 ": flag " $3 ", golden " e[2])
    if (abs($4 - e[3]) > tol) problem("row " $1 ": score " $4 ", golden " e[3])
    if (kind == "near_duplicate") {
        if (abs($6 - e[5]) > tol) problem("row " $1 ": distance " $6 ", golden " e[5])
        if ($5 != e[4]) ties++
    }
}
END {
    if (seen != ng) problem("rows: ours " seen ", golden " ng)
    if (ties) print ties " nearest neighbours differ at equal distance (ties)"
    exit bad > 0
}
