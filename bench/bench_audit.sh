#!/bin/sh
# bench_audit.sh — how close `labelaudit audit` runs to the memory/disk
# bandwidth. For each N x K x dtype it generates synthetic out-of-fold
# probabilities (bench/gen_probs.c), then times, as medians of REPS runs:
#   sum     one streaming pass summing the .npy (bench/sum_pass.c): the floor
#   audit   labelaudit audit, default filter and ranking, all cores
#   numpy   bench/np_audit.py, a numpy re-implementation of cleanlab's default
#           path (cleanlab cannot be installed here), once, N <= 1e6 only;
#           its ranked list is compared with labelaudit's
# and prints wall seconds and CPU seconds (user + sys; steadier on a shared
# machine), the audit/sum ratios, peak RSS (/usr/bin/time) and RSS per example.
#
# Environment: LA_BENCH_DIR (data, default /tmp/labelaudit-bench, several GB),
# LA_BENCH_LARGE=1 adds N = 1e7 (4-8 GB files per size), LA_BENCH_REPS (3),
# LA_BENCH_KEEP=1 keeps the generated files; LA_BENCH_N, LA_BENCH_K,
# LA_BENCH_TYPES override the lists, LA_BENCH_NUMPY=0 skips the numpy proxy (e.g. LA_BENCH_N=10000000 LA_BENCH_K=100
# LA_BENCH_TYPES=f32). Runs under nice.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${LA_BIN:-$here/../build/labelaudit}
[ -x "$bin" ] || bin=$here/../labelaudit
dir=${LA_BENCH_DIR:-/tmp/labelaudit-bench}
reps=${LA_BENCH_REPS:-3}
py=/usr/bin/python3
mkdir -p "$dir"
cc -O2 -o "$dir/gen_probs" "$here/gen_probs.c" -lm || exit 1
cc -O2 -o "$dir/sum_pass" "$here/sum_pass.c" || exit 1
export OPENBLAS_NUM_THREADS=1
NICE="nice -n 10"

sizes="100000 1000000"
[ "${LA_BENCH_LARGE:-0}" = 1 ] && sizes="$sizes 10000000"
sizes=${LA_BENCH_N:-$sizes}
ks=${LA_BENCH_K:-"10 100"}
types=${LA_BENCH_TYPES:-"f32 f64"}

# median of the numbers on stdin
median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
# runs "$@" under /usr/bin/time; appends "seconds kb" to $dir/.t
timed() { /usr/bin/time -f "%e %M %U %S" -o "$dir/.t1" "$@" >/dev/null 2>"$dir/.err"; rc=$?; cat "$dir/.t1" >>"$dir/.t"; return $rc; }
# median CPU seconds (user + sys) of the runs in $dir/.t
cpu_median() { awk '{print $3 + $4}' "$dir/.t" | median; }

echo "labelaudit audit benchmark ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), reps=$reps, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-9s %-4s %-4s %7s %8s %6s %8s %8s %6s %7s %6s %8s %9s %s\n' N K type sum_s audit_s ratio sum_cpu audit_cpu ratio rss_MB B/ex numpy_s np_rss_MB same_ranked
for n in $sizes; do
    for k in $ks; do
        for t in $types; do
            p="$dir/p_${n}_${k}_$t.npy"; l="$dir/l_${n}_$k.npy"
            [ -s "$p" ] || $NICE "$dir/gen_probs" "$n" "$k" "$t" 1 "$p" "$l" || exit 1
            "$dir/sum_pass" "$p" >/dev/null   # warm the page cache
            : >"$dir/.t"
            i=0; while [ $i -lt "$reps" ]; do timed $NICE "$dir/sum_pass" "$p"; i=$((i + 1)); done
            sum_s=$(cut -d' ' -f1 "$dir/.t" | median); sum_c=$(cpu_median)
            : >"$dir/.t"
            i=0; while [ $i -lt "$reps" ]; do
                timed $NICE "$bin" audit --labels "$l" --pred-probs "$p" --out "$dir/out" --quiet || { cat "$dir/.err"; exit 1; }
                i=$((i + 1))
            done
            au_s=$(cut -d' ' -f1 "$dir/.t" | median); au_c=$(cpu_median)
            au_kb=$(cut -d' ' -f2 "$dir/.t" | sort -n | tail -1)
            np_s=-; np_mb=-; same=-
            if [ "${LA_BENCH_NUMPY:-1}" = 1 ] && [ "$n" -le 1000000 ] && [ -x "$py" ] && $py -c 'import numpy' 2>/dev/null; then
                : >"$dir/.t"
                if timed $NICE $py "$here/np_audit.py" "$l" "$p" "$dir/np_ranked.csv"; then
                    np_s=$(cut -d' ' -f1 "$dir/.t"); np_mb=$(( $(cut -d' ' -f2 "$dir/.t") / 1024 ))
                    if cmp -s "$dir/np_ranked.csv" "$dir/out/ranked.csv"; then same=yes; else same=NO; fi
                else
                    np_s=failed
                fi
            fi
            printf '%-9s %-4s %-4s %7s %8s %6s %8s %8s %6s %7s %6s %8s %9s %s\n' "$n" "$k" "$t" "$sum_s" "$au_s" \
                "$(awk -v a="$au_s" -v s="$sum_s" 'BEGIN {printf "%.1f", (s > 0 ? a / s : 0)}')" \
                "$sum_c" "$au_c" "$(awk -v a="$au_c" -v s="$sum_c" 'BEGIN {printf "%.1f", (s > 0 ? a / s : 0)}')" \
                "$((au_kb / 1024))" "$(awk -v kb="$au_kb" -v n="$n" 'BEGIN {printf "%.1f", kb * 1024 / n}')" \
                "$np_s" "$np_mb" "$same"
            [ "${LA_BENCH_KEEP:-0}" = 1 ] || rm -f "$p"
        done
        [ "${LA_BENCH_KEEP:-0}" = 1 ] || rm -f "$dir/l_${n}_$k.npy"
    done
done
rm -rf "$dir/out" "$dir/.t" "$dir/.t1" "$dir/.err" "$dir/np_ranked.csv"
