#!/bin/sh
# test_noise.sh — `labelaudit noise`: seeded and reproducible, flips the
# requested fraction, writes the noise matrix, refuses bad arguments.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; export TMPDIR; fi
. "$(dirname "$0")/lib.sh"
L="$GOLDEN/balanced_k3_n1000/labels.csv"

la noise --help
expect_rc 0 "noise --help"
expect_out "--trace" "noise --help lists flags"
la noise --labels "$L" --trace 2.4 --seed 7 --out "$TMP/a.csv" --noise-matrix "$TMP/nm.csv"
expect_rc 0 "noise runs"
expect_out "flipped" "noise reports the flips"
la noise --labels "$L" --trace 2.4 --seed 7 --out "$TMP/b.csv"
check "same seed, same labels" cmp "$TMP/a.csv" "$TMP/b.csv"
la noise --labels "$L" --trace 2.4 --seed 8 --out "$TMP/c.csv"
check "other seed, other labels" sh -c "! cmp -s '$TMP/a.csv' '$TMP/c.csv'"
check "header and row count kept" sh -c "[ \"\$(head -1 '$TMP/a.csv')\" = label ] && [ \$(wc -l < '$TMP/a.csv') -eq \$(wc -l < '$L') ]"
check "noise matrix columns sum to 1, trace 2.4" awk -F, 'NR > 1 { for (j = 1; j <= NF; j++) s[j] += $j; tr += $(NR - 1) }
    END { for (j = 1; j <= 3; j++) if (s[j] < 1 - 1e-9 || s[j] > 1 + 1e-9) exit 1; if (tr < 2.4 - 1e-9 || tr > 2.4 + 1e-9) exit 1 }' "$TMP/nm.csv"
# the flipped fraction is about 1 - trace/K = 20%
check "about 20% flipped" sh -c "paste -d, '$L' '$TMP/a.csv' | awk -F, 'NR > 1 && \$1 != \$2 { f++ } END { exit !(f >= 150 && f <= 250) }'"
la noise --labels "$L" --trace 2.4 --seed 7 --out "$TMP/a.npy" --format json
expect_rc 0 "noise to .npy"
expect_out '"noise_matrix"' "noise --format json"
la noise --labels "$L" --trace 3.5 --seed 7 --out "$TMP/d.csv"
expect_rc 2 "trace above K refused"
la noise --labels "$L" --trace 2 --out "$TMP/d.csv"
expect_rc 2 "seed required"
la noise --labels "$TMP/none.csv" --trace 2 --seed 1 --out "$TMP/d.csv"
expect_rc 2 "missing labels file"
