#!/bin/sh
# bench_mpi.sh — labelaudit-mpi's single-node scaling and the read floor
# (issue 18): for N x K float32 .npy files (default 1M x 100 and 10M x 10,
# made by bench/gen_probs-like numpy code when missing), medians of REPS runs
# of wall and CPU (user + sys, children included) for
#   read     read(2) of the file from the page cache (bench/read_floor.c)
#   sum      the same plus a 16-accumulator vectorized float32 sum
#   t1, t2   ./labelaudit audit --threads 1 / 2
#   np1, np2 mpirun -np 1 / 2 ./labelaudit-mpi audit --threads 1
# and the ratio of each audit to the sum floor. Needs make and make mpi.
#   sh bench/bench_mpi.sh [DIR]     (DIR keeps the generated files; /tmp/la-bench-mpi)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dir=${1:-/tmp/la-bench-mpi}
REPS=${REPS:-3}
NICE=${NICE:-nice -n 10}
mkdir -p "$dir"
command -v mpirun >/dev/null || { echo "bench_mpi: mpirun not installed, skipped"; exit 0; }
[ -x "$root/labelaudit-mpi" ] || { echo "bench_mpi: run make mpi first, skipped"; exit 0; }
cc -O3 -march=native -o "$dir/read_floor" "$here/read_floor.c" || exit 1
gen() { # name n k
    [ -s "$dir/$1_p.npy" ] && return 0
    /usr/bin/python3 - "$dir/$1" "$2" "$3" <<'PY'
import sys, numpy as np
out, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(5)
y = rng.integers(0, k, n)
p = np.lib.format.open_memmap(out + "_p.npy", mode="w+", dtype=np.float32, shape=(n, k))
for s in range(0, n, 500_000):
    m = min(500_000, n - s)
    z = rng.standard_normal((m, k), dtype=np.float32); z[np.arange(m), y[s:s + m]] += 2.5
    e = np.exp(z); e /= e.sum(1, keepdims=True); p[s:s + m] = e
p.flush()
flip = rng.random(n) < 0.1; y[flip] = rng.integers(0, k, flip.sum())
np.save(out + "_l.npy", y.astype(np.int64))
PY
}
# med3 CMD...: median wall and CPU seconds of REPS runs, "wall cpu"
med() {
    i=0; : >"$dir/.t"
    while [ $i -lt "$REPS" ]; do
        /usr/bin/time -f "%e %U %S" -o "$dir/.one" $NICE "$@" >/dev/null 2>&1
        awk '{printf "%s %.2f\n", $1, $2 + $3}' "$dir/.one" >>"$dir/.t"; i=$((i + 1))
    done
    w=$(cut -d' ' -f1 "$dir/.t" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    c=$(cut -d' ' -f2 "$dir/.t" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$w $c"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf "%-10s %-6s %8s %8s %8s\n" file run wall_s cpu_s x_floor
for spec in "a 1000000 100" "b 10000000 10"; do
    set -- $spec
    gen "$1" "$2" "$3"
    P="$dir/$1_p.npy"; L="$dir/$1_l.npy"; O=/dev/shm/la-bench-mpi-out
    cat "$P" "$L" >/dev/null   # page cache
    floor=""
    for run in read sum t1 t2 np1 np2; do
        case $run in
        read|sum) r=$(med "$dir/read_floor" "$run" "$P") ;;
        t1|t2) r=$(med "$root/labelaudit" audit --labels "$L" --pred-probs "$P" --out "$O" --quiet --threads "${run#t}") ;;
        np*) r=$(med mpirun --allow-run-as-root --oversubscribe -np "${run#np}" "$root/labelaudit-mpi" audit \
                 --labels "$L" --pred-probs "$P" --out "$O" --quiet --threads 1) ;;
        esac
        w=${r% *}; c=${r#* }
        [ "$run" = sum ] && floor=$w
        x=$( [ -n "$floor" ] && awk -v a="$w" -v b="$floor" 'BEGIN {printf "%.1f", a / b}' || echo "-")
        printf "%-10s %-6s %8s %8s %8s\n" "$2x$3" "$run" "$w" "$c" "$x"
    done
    rm -rf "$O"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
