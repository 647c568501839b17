#!/bin/sh
# bench_load.sh — loader cost: wall time and peak RSS (/usr/bin/time -v) of
# `labelaudit inspect` on the largest inputs: Fashion-MNIST train as IDX
# (60000 x 784 float32 = 188 MB of features), the same pixels as a 134 MB CSV
# (generated once into $TMPDIR), Shuttle.csv (58000 rows), and the 3000-image
# PNG manifest. Needs ../shared (LA_SHARED) and python3 for the CSV.
# Prints one line per input: seconds (median of RUNS) and peak RSS in MB.
set -u
LA="${LA_BIN:-./labelaudit}"
SHARED="${LA_SHARED:-../shared}"
DATA="$SHARED/data"
RUNS="${RUNS:-3}"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/la-bench-load.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT

if [ ! -x /usr/bin/time ]; then echo "bench_load: /usr/bin/time missing (apt-get install time)"; exit 0; fi
if [ ! -d "$DATA" ]; then echo "bench_load: no $DATA, skipped"; exit 0; fi

# the IDX pixels as CSV: id, p0..p783, label
CSV="$TMPD/fm60k.csv"
python3 - "$DATA/fashion-mnist" "$CSV" <<'PY' || { echo "bench_load: python3 needed for the CSV"; CSV=; }
import gzip, sys
d, out = sys.argv[1], sys.argv[2]
img = gzip.open(d + '/train-images-idx3-ubyte.gz').read()[16:]
lab = gzip.open(d + '/train-labels-idx1-ubyte.gz').read()[8:]
with open(out, 'w') as f:
    f.write('id,' + ','.join('p%d' % i for i in range(784)) + ',label\n')
    for i in range(60000):
        f.write('fm-%05d,' % i + ','.join(map(str, img[i * 784:(i + 1) * 784])) + ',c%d\n' % lab[i])
PY

run() {   # run NAME ARGS...: median wall seconds, max RSS over RUNS
    name=$1; shift
    secs=""; rss=0
    i=0
    while [ $i -lt "$RUNS" ]; do
        nice /usr/bin/time -v "$LA" inspect --quiet "$@" 2>"$TMPD/time" >/dev/null || { echo "$name: FAILED"; sed 's/^/  /' "$TMPD/time" | head -3; return; }
        s=$(sed -n 's/.*Elapsed (wall clock) time.*: \(.*\)$/\1/p' "$TMPD/time" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
        r=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$TMPD/time")
        secs="$secs $s"
        [ "$r" -gt "$rss" ] && rss=$r
        i=$((i + 1))
    done
    med=$(echo $secs | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%-34s %7.2f s  %6.1f MB peak RSS\n' "$name" "$med" "$(echo "$rss" | awk '{print $1/1024}')"
}

echo "bench_load: median of $RUNS runs, labelaudit inspect --quiet"
run "idx fashion-mnist 60000x784"   "$DATA/fashion-mnist/train-images-idx3-ubyte.gz"
echo "  (the features alone: 60000 x 784 x 4 B = 179.4 MB)"
[ -n "$CSV" ] && run "csv 60000x784 ($(du -m "$CSV" | cut -f1) MB)" "$CSV"
run "csv Shuttle 58000x9"           "$DATA/tabular/Shuttle.csv"
run "csv penguins_raw (one-hot 269)" "$DATA/tabular/penguins_raw.csv" --missing mean
run "png manifest 3000x28x28"       "$DATA/fashion-mnist-png/manifest.csv"
run "png folder 1797x8x8"           "$DATA/digits-png/images"
