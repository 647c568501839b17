#!/bin/sh
# bench_check.sh — does `labelaudit check` tell a real rise from noise?
# Draws digits label noise at 10% ten times (independent redraws: the true
# rate never changes) and at 13% five times, gets out-of-fold probabilities
# from scikit-learn (bench/check_redraw.py), audits each draw, then counts
#   false alarms: check of redraw i+1 against redraw i at the same 10% rate
#                 (9 pairs) fails — with the interval rule, and with a naive
#                 rule "fail when the point estimate rises at all";
#   detections:   check of a 13% draw against a 10% draw fails (5 pairs).
# Needs /usr/bin/python3 with python3-sklearn; about a minute on 2 cores.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${LA_BIN:-$here/../build/labelaudit}
py=/usr/bin/python3
if ! $py -c 'import sklearn' 2>/dev/null; then echo "skipped: $py has no sklearn (apt-get install python3-sklearn)"; exit 0; fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/la-bench-check.XXXXXX")
trap 'rm -rf "$dir"' EXIT
nice $py "$here/check_redraw.py" "$dir" 0.1 10 100 || exit 1
nice $py "$here/check_redraw.py" "$dir" 0.13 5 200 || exit 1
for y in "$dir"/y_*.csv; do
    t=${y##*/y_}; t=${t%.csv}
    nice "$bin" audit --labels "$y" --pred-probs "$dir/p_$t.npy" --classes "$dir/classes.txt" \
        --out "$dir/a_$t" --summary "$dir/s_$t.json" --quiet || exit 1
done
rate() { $py -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["error_rate"])' "$1"; }
fa=0; naive=0
printf '%-28s %-8s %-8s %s\n' "pair (same 10% rate)" "before" "after" "check"
for i in 0 1 2 3 4 5 6 7 8; do
    j=$((i + 1))
    "$bin" check --summary "$dir/s_0.1_$j.json" --baseline "$dir/s_0.1_$i.json" --quiet >/dev/null
    rc=$?
    [ $rc = 1 ] && fa=$((fa + 1))
    a=$(rate "$dir/s_0.1_$i.json"); b=$(rate "$dir/s_0.1_$j.json")
    if $py -c "import sys; sys.exit(0 if $b > $a else 1)"; then naive=$((naive + 1)); fi
    printf '%-28s %-8s %-8s exit %s\n' "redraw $i -> $j" "$a" "$b" "$rc"
done
det=0
for i in 0 1 2 3 4; do
    "$bin" check --summary "$dir/s_0.13_$i.json" --baseline "$dir/s_0.1_$i.json" --quiet >/dev/null
    rc=$?
    [ $rc = 1 ] && det=$((det + 1))
    printf '%-28s %-8s %-8s exit %s\n' "10% draw $i -> 13% draw $i" "$(rate "$dir/s_0.1_$i.json")" "$(rate "$dir/s_0.13_$i.json")" "$rc"
done
echo "false alarms, interval rule (default --max-increase 0): $fa / 9"
echo "false alarms, naive rule (any rise of the estimate):    $naive / 9"
echo "detections of 10% -> 13% noise:                          $det / 5"
