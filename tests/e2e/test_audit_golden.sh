#!/bin/sh
# test_audit_golden.sh — runs the real binary on every golden case in
# $GOLDEN (cleanlab 2.9.0 outputs), from both the .npy and the CSV inputs,
# and compares every output file with tests/golden/compare.awk: integers,
# masks and index lists exactly, floats within 1e-9 rel + 1e-12 abs.
# Covers all filter_by values, frac_noise 0.5, num_to_remove_per_class (file
# and n0,n1,.. forms), min_examples_per_class 5, the three rankings, the
# label_quality_* score files, and the refusals listed in error.txt.
# Hundreds of small runs: keep their fsync'ed outputs on tmpfs when there is one.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; export TMPDIR; fi
. "$(dirname "$0")/lib.sh"
CMP="$(dirname "$0")/../golden/compare.awk"

# golden file -> our file, compared; missing expected file = skipped
cmpf() { # name expected got
    if awk -f "$CMP" "$2" "$3" >"$TMP/.cmp" 2>&1; then pass "$1"; else fail "$1" "$(head -3 "$TMP/.cmp")"; fi
}
refused() { # case file: 1 when error.txt lists the file
    [ -f "$1/error.txt" ] && cut -f1 "$1/error.txt" | grep -qx "$2"
}

BASE="thresholds.csv confident_joint.csv confident_joint_calibrated.csv off_diagonal_indices.csv joint.csv
py.csv noise_matrix.csv inverse_noise_matrix.csv py_raw.csv noise_matrix_raw.csv inverse_noise_matrix_raw.csv
num_label_issues_off_diagonal.txt num_label_issues_off_diagonal_calibrated.txt overall_label_health_score.txt
class_label_quality.csv overlapping_classes.csv"
SCORES="self_confidence normalized_margin confidence_weighted_entropy self_confidence_adjusted normalized_margin_adjusted"
FILTERS="prune_by_noise_rate prune_by_class both confident_learning predicted_neq_given low_normalized_margin low_self_confidence"

ncases=0
for case in "$GOLDEN"/*/; do
    case=${case%/}
    [ -f "$case/case.json" ] || continue
    cname=$(basename "$case")
    ncases=$((ncases + 1))
    for form in npy csv; do
        L="$case/labels.$form"; P="$case/pred_probs.$form"
        t="$cname/$form"
        O="$TMP/$cname-$form"
        # default run with every score file
        threads=1; [ "$form" = npy ] && threads=2
        la audit --labels "$L" --pred-probs "$P" --out "$O" --scores --quiet --threads "$threads"
        expect_rc 0 "$t: audit --scores"
        for f in $BASE; do cmpf "$t: $f" "$case/$f" "$O/$f"; done
        cmpf "$t: is_label_issue.csv (default)" "$case/issues_prune_by_noise_rate.csv" "$O/is_label_issue.csv"
        cmpf "$t: ranked.csv (default)" "$case/ranked_self_confidence.csv" "$O/ranked.csv"
        for m in $SCORES; do
            f="label_quality_$m.csv"
            if refused "$case" "$f"; then
                check "$t: $f refused (not written)" test ! -e "$O/$f"
                if [ "$m" = confidence_weighted_entropy ]; then
                    expect_err "not written" "$t: $f refusal warned"
                fi
            else
                cmpf "$t: $f" "$case/$f" "$O/$f"
            fi
        done
        check "$t: cwe_adjusted never written" test ! -e "$O/label_quality_confidence_weighted_entropy_adjusted.csv"
        # every filter
        for F in $FILTERS; do
            la audit --labels "$L" --pred-probs "$P" --out "$O-$F" --filter-by "$F" --quiet
            if refused "$case" "issues_$F.csv"; then expect_rc 2 "$t: issues_$F refused"; continue; fi
            expect_rc 0 "$t: --filter-by $F"
            cmpf "$t: issues_$F.csv" "$case/issues_$F.csv" "$O-$F/is_label_issue.csv"
        done
        # variants of the three pruning filters
        if [ "$form" = npy ]; then R="$case/num_to_remove_per_class.csv"
        else R=$(tail -n +2 "$case/num_to_remove_per_class.csv" | paste -sd, -); fi
        for F in prune_by_noise_rate prune_by_class both; do
            for v in frac_noise_0.5 num_to_remove_per_class min_examples_per_class_5; do
                case $v in
                frac_noise_0.5) opt="--frac-noise 0.5" ;;
                num_to_remove_per_class) opt="--num-to-remove-per-class $R" ;;
                min_examples_per_class_5) opt="--min-examples-per-class 5" ;;
                esac
                # shellcheck disable=SC2086
                la audit --labels "$L" --pred-probs "$P" --out "$O-$F-$v" --filter-by "$F" $opt --quiet
                if refused "$case" "issues_${F}__$v.csv"; then expect_rc 2 "$t: issues_${F}__$v refused"; continue; fi
                expect_rc 0 "$t: $F $v"
                cmpf "$t: issues_${F}__$v.csv" "$case/issues_${F}__$v.csv" "$O-$F-$v/is_label_issue.csv"
            done
        done
        # rankings
        for R in normalized_margin confidence_weighted_entropy; do
            la audit --labels "$L" --pred-probs "$P" --out "$O-rank-$R" --rank-by "$R" --quiet
            if refused "$case" "ranked_$R.csv"; then
                expect_rc 2 "$t: ranked_$R refused"
                check "$t: ranked_$R refused writes nothing" test ! -e "$O-rank-$R/ranked.csv"
                continue
            fi
            expect_rc 0 "$t: --rank-by $R"
            cmpf "$t: ranked_$R.csv" "$case/ranked_$R.csv" "$O-rank-$R/ranked.csv"
        done
        rm -rf "$O"*
    done
done
check "golden cases found ($ncases)" test "$ncases" -ge 1
