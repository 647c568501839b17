#!/bin/sh
# test_checks_golden.sh — near_duplicate and outlier against cleanlab 2.9.0's
# Datalab issue managers on every case of $SHARED/golden-issues (see its
# README), through the real binary: `audit --features FILE.npy` with the
# case's options (k, threshold, metric). Flags and near-duplicate sets must
# be identical; scores and distances within 1e-6 (tests/golden/compare_checks.awk);
# the median NN distance and the outlier issue threshold in summary.json too.
. "$(dirname "$0")/lib.sh"
CMP="$(dirname "$0")/../golden/compare_checks.awk"
GI="$SHARED/golden-issues"

# the value of "key" inside params.json's "options" object, or empty
opt() { sed -n '/"options"/,/}/p' "$1" | grep "\"$2\"" | sed 's/.*: *//; s/[",]//g'; }
# the first number after "key" in a JSON file (within the named section when given)
num() { sed -n "/\"$2\"/,/}/p" "$1" | grep "\"$3\"" | head -1 | sed 's/.*: *//; s/[",]//g'; }
close() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-6) }'; }

ncases=0
for case in "$GI"/*/; do
    case=${case%/}
    [ -f "$case/params.json" ] || continue
    c=$(basename "$case"); p="$case/params.json"; ncases=$((ncases + 1))
    set --
    k=$(opt "$p" k); t=$(opt "$p" threshold); m=$(opt "$p" metric)
    [ -n "$k" ] && set -- "$@" --k "$k"
    [ -n "$t" ] && set -- "$@" --near-duplicate-threshold "$t"
    [ -n "$m" ] && set -- "$@" --metric "$m"
    O="$TMP/$c"
    la audit --features "$case/features.npy" --out "$O" --quiet --threads 2 "$@"
    expect_rc 0 "$c: audit --features $*"
    for kind in near_duplicate outlier; do
        if awk -v kind=$kind -f "$CMP" "$case/$kind.csv" "$O/$kind.csv" >"$TMP/.cmp" 2>&1; then pass "$c: $kind.csv"
        else fail "$c: $kind.csv" "$(head -3 "$TMP/.cmp")"; fi
    done
    if awk -v kind=sets -f "$CMP" "$case/near_duplicate_sets.txt" "$O/near_duplicate_sets.csv" >"$TMP/.cmp" 2>&1
    then pass "$c: near_duplicate_sets"; else fail "$c: near_duplicate_sets" "$(head -3 "$TMP/.cmp")"; fi
    gm=$(num "$p" near_duplicate median_distance_to_nearest_neighbor)
    om=$(num "$O/summary.json" knn median_distance_to_nearest_neighbor)
    check "$c: median NN distance $om (golden $gm)" close "$om" "$gm"
    gt=$(num "$p" outlier issue_threshold); ot=$(num "$O/summary.json" outlier issue_threshold)
    check "$c: outlier issue threshold $ot (golden $gt)" close "$ot" "$gt"
    gmetric=$(num "$p" near_duplicate metric)
    check "$c: metric $gmetric" grep -q "\"metric\": \"$gmetric\"" "$O/summary.json"
    # the same result on one thread
    la audit --features "$case/features.npy" --out "$O-1" --quiet --threads 1 "$@"
    check "$c: one thread, same files" cmp -s "$O/near_duplicate.csv" "$O-1/near_duplicate.csv"
done
check "golden-issues cases found ($ncases)" test "$ncases" -ge 6
