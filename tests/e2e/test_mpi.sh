# test_mpi.sh — labelaudit-mpi (make mpi) against the single-process binary,
# on loopback: `mpirun -np 1|2|3|4 labelaudit-mpi audit ...` must give the
# same exit status, the same "labelaudit:" messages (a rank's " (rank r of
# n)" suffix aside), the same stdout (timings masked) and byte-identical
# output directories as `labelaudit audit ...`:
#   - every golden case (.npy inputs): the default run with every score file
#     at -np 1, 2 and 4; every --filter-by, the two other rankings and the
#     frac_noise / num_to_remove_per_class / min_examples_per_class variants
#     of the three pruning filters at -np 3; the CSV inputs at -np 2;
#   - a synthetic 600,000 x 10 float32 file (three 8 MB chunks in one
#     process, class arrays of ~60,000 that cross rank boundaries mid-block,
#     probabilities on a 1/32 grid so the pruning cuts tie) at -np 1, 2, 4;
#   - a bad probability in the last rank's rows: every rank exits 2 with the
#     single-process message, and no output directory appears;
#   - a rank killed with SIGKILL mid-run: the job ends non-zero, no output;
#   - sharded inputs (every golden case in 4 shards at -np 1-4, the synthetic
#     file in 5 shards at -np 1, 2, 4) against one process on the
#     concatenated files, and a pattern matching nothing;
#   - the kNN dataset checks (near_duplicate, outlier, exact_duplicate,
#     leakage, image near duplicates) at -np 1-4 on every golden-issues case,
#     a planted Fashion-MNIST subset (with the label audit and leakage) and
#     the planted idx images of test_checks.sh: the same files byte for byte;
#   - cv: folds spread over 2 and 3 ranks (logreg, mlp with learning curves,
#     --audit after it): the same probabilities, folds, labels, classes and
#     metrics.json (timings and peak RSS masked) as one process.
# Skipped (with a message) when mpirun or the binary (LA_MPI_BIN) is absent.
. tests/e2e/lib.sh
MPI_BIN=${LA_MPI_BIN:-}
if ! command -v mpirun >/dev/null 2>&1 || [ -z "$MPI_BIN" ] || [ ! -x "$MPI_BIN" ]; then
    pass "mpi tests skipped: mpirun or LA_MPI_BIN (make mpi) not available"
    exit 0
fi
[ "${LA_VALGRIND:-0}" = 1 ] && { pass "mpi tests skipped under valgrind"; exit 0; }
MPIRUN="mpirun --allow-run-as-root --oversubscribe"
PY=/usr/bin/python3

# normalized stdout (timings masked) and the labelaudit lines of stderr
norm_out() { sed -E 's/ in [0-9.]+ s$/ in T s/' "$1"; }
norm_err() { grep '^labelaudit' "$1" | sed -E 's/ \(rank [0-9]+ of [0-9]+\)//'; }

# same NAME NP ARGS...: the audit by both binaries, compared
same() {
    name=$1; np=$2; shift 2
    rm -rf "$TMP/s" "$TMP/m"
    "$LA_BIN" audit "$@" --out "$TMP/s" >"$TMP/s.out" 2>"$TMP/s.err"; rs=$?
    $MPIRUN -np "$np" "$MPI_BIN" audit "$@" --out "$TMP/m" >"$TMP/m.out" 2>"$TMP/m.err"; rm=$?
    why=""
    [ "$rs" = "$rm" ] || why="exit $rm, one process $rs"
    if [ -z "$why" ] && [ -d "$TMP/s" ] && ! diff -r "$TMP/s" "$TMP/m" >"$TMP/d" 2>&1; then why="outputs differ: $(head -c 300 "$TMP/d")"; fi
    if [ -z "$why" ] && [ ! -d "$TMP/s" ] && [ -e "$TMP/m" ]; then why="mpi wrote $TMP/m, one process nothing"; fi
    if [ -z "$why" ] && [ "$(norm_out "$TMP/s.out")" != "$(norm_out "$TMP/m.out")" ]; then why="stdout differs"; fi
    if [ -z "$why" ] && [ "$(norm_err "$TMP/s.err")" != "$(norm_err "$TMP/m.err")" ]; then
        why="messages differ: '$(norm_err "$TMP/s.err" | head -2)' vs '$(norm_err "$TMP/m.err" | head -2)'"
    fi
    if [ -z "$why" ]; then pass "$name (np $np, exit $rs)"; else fail "$name (np $np)" "$why"; fi
}

FILTERS="prune_by_noise_rate prune_by_class both confident_learning predicted_neq_given low_normalized_margin low_self_confidence noise_posterior"
ncases=0
for case in "$GOLDEN"/*/; do
    case=${case%/}
    [ -f "$case/case.json" ] || continue
    c=$(basename "$case"); ncases=$((ncases + 1))
    L="$case/labels.npy"; P="$case/pred_probs.npy"
    for np in 1 2 4; do same "$c: default --scores" "$np" --labels "$L" --pred-probs "$P" --scores --quiet --threads 1; done
    same "$c: csv inputs --scores" 2 --labels "$case/labels.csv" --pred-probs "$case/pred_probs.csv" --scores --quiet
    for F in $FILTERS; do same "$c: --filter-by $F" 3 --labels "$L" --pred-probs "$P" --filter-by "$F" --quiet; done
    for F in prune_by_noise_rate prune_by_class both; do
        same "$c: $F --frac-noise 0.5" 3 --labels "$L" --pred-probs "$P" --filter-by "$F" --frac-noise 0.5 --quiet
        same "$c: $F --num-to-remove-per-class" 3 --labels "$L" --pred-probs "$P" --filter-by "$F" \
            --num-to-remove-per-class "$case/num_to_remove_per_class.csv" --quiet
        same "$c: $F --min-examples-per-class 5" 3 --labels "$L" --pred-probs "$P" --filter-by "$F" \
            --min-examples-per-class 5 --quiet
    done
    for R in normalized_margin confidence_weighted_entropy; do
        same "$c: --rank-by $R" 3 --labels "$L" --pred-probs "$P" --rank-by "$R" --quiet
    done
done
check "golden cases found ($ncases)" test "$ncases" -ge 1
# the printed summary and --top table, timings masked
G1="$GOLDEN/noisegen_k10_n20000"
[ -d "$G1" ] && same "noisegen: printed summary --top 5" 2 --labels "$G1/labels.npy" --pred-probs "$G1/pred_probs.npy" --top 5

# ---- a multi-chunk synthetic file ------------------------------------------
N=${LA_MPI_N:-600000}
$PY - "$TMP/syn" "$N" <<'EOF'
import sys, numpy as np
out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(18)
k = 10
y = rng.integers(0, k, n)
logits = rng.normal(0, 1.5, (n, k)); logits[np.arange(n), y] += 2.0
p = np.exp(logits); p /= p.sum(1, keepdims=True)
p = np.round(p * 32) / 32           # a coarse grid: exact ties at the cuts
flip = rng.random(n) < 0.2          # 20% of labels changed
y[flip] = rng.integers(0, k, flip.sum())
np.save(out + "_p.npy", p.astype(np.float32)); np.save(out + "_l.npy", y.astype(np.int64))
bad = p.astype(np.float32); bad[n - 7, 3] = 1.5   # in the last rank's rows
np.save(out + "_bad.npy", bad)
EOF
check "synthetic ${N} x 10 written" test -s "$TMP/syn_p.npy"
for np in 1 2 4; do
    same "synthetic ${N}x10 default --scores" "$np" --labels "$TMP/syn_l.npy" --pred-probs "$TMP/syn_p.npy" --scores --quiet
done
for F in prune_by_noise_rate both low_normalized_margin; do
    same "synthetic --filter-by $F --rank-by confidence_weighted_entropy" 2 --labels "$TMP/syn_l.npy" \
        --pred-probs "$TMP/syn_p.npy" --filter-by "$F" --rank-by confidence_weighted_entropy --quiet
done

# ---- sharded inputs ----------------------------------------------------------
# same_sh NAME NP LABELS PROBS CAT_L CAT_P [ARGS...]: mpirun on the shards
# against one process on their concatenation (summary.json's *_path lines
# record the arguments as given, so they are left out)
same_sh() {
    name=$1; np=$2; sl=$3; sp=$4; cl=$5; cp=$6; shift 6
    rm -rf "$TMP/s" "$TMP/m"
    "$LA_BIN" audit --labels "$cl" --pred-probs "$cp" "$@" --out "$TMP/s" >"$TMP/s.out" 2>"$TMP/s.err"; rs=$?
    $MPIRUN -np "$np" "$MPI_BIN" audit --labels "$sl" --pred-probs "$sp" "$@" --out "$TMP/m" >"$TMP/m.out" 2>"$TMP/m.err"; rm=$?
    why=""
    [ "$rs" = 0 ] && [ "$rm" = 0 ] || why="exit $rm, one process $rs: $(head -c 300 "$TMP/m.err")"
    if [ -z "$why" ] && ! diff -r -I '_path": ' "$TMP/s" "$TMP/m" >"$TMP/d" 2>&1; then why="outputs differ: $(head -c 300 "$TMP/d")"; fi
    if [ -z "$why" ]; then pass "shards: $name (np $np)"; else fail "shards: $name (np $np)" "$why"; fi
}
for case in "$GOLDEN"/*/; do
    case=${case%/}
    [ -f "$case/case.json" ] || continue
    c=$(basename "$case"); d="$TMP/sh_$c"
    $PY - "$case" "$d" <<'EOF2'
import os, sys, numpy as np
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
P = np.load(src + "/pred_probs.npy"); L = np.load(src + "/labels.npy")
n = len(L); cuts = [0, n // 3 - 1, n // 3 - 1, n - n // 4, n]   # uneven, one empty shard
for i in range(4):
    np.save(f"{out}/part{i}.npy", P[cuts[i]:cuts[i + 1]]); np.save(f"{out}/lab{i}.npy", L[cuts[i]:cuts[i + 1]])
EOF2
    for np in 1 2 3 4; do
        same_sh "$c --scores" "$np" "$d/lab*.npy" "$d/part*.npy" "$case/labels.npy" "$case/pred_probs.npy" --scores --quiet
    done
    same_sh "$c --filter-by both --rank-by normalized_margin" 3 "$d/lab*.npy" "$d/part*.npy" "$case/labels.npy" \
        "$case/pred_probs.npy" --filter-by both --rank-by normalized_margin --quiet
done
# the synthetic matrix in 5 shards, cuts inside 8 MB chunks and inside ranks
$PY - "$TMP/syn_p.npy" "$TMP/shs" <<'EOF2'
import os, sys, numpy as np
p = np.load(sys.argv[1]); out = sys.argv[2]; os.makedirs(out); n = len(p)
cuts = [0, 1, n // 3 + 7, n // 2 - 5, n - 2, n]
for i in range(5): np.save(f"{out}/p{i}.npy", p[cuts[i]:cuts[i + 1]])
EOF2
for np in 1 2 4; do
    same_sh "synthetic ${N}x10 in 5 shards --scores" "$np" "$TMP/syn_l.npy" "$TMP/shs/p*.npy" "$TMP/syn_l.npy" \
        "$TMP/syn_p.npy" --scores --quiet --threads 1
done
rm -rf "$TMP/m"
$MPIRUN -np 2 "$MPI_BIN" audit --labels "$TMP/syn_l.npy" --pred-probs "$TMP/nope/p*.npy" --out "$TMP/m" >/dev/null 2>"$TMP/m.err"; rm=$?
check "shards: a pattern matching nothing exits 2 on every rank ($rm)" test "$rm" = 2
check "shards: ... naming the pattern" grep -q "nope/p\*.npy: the pattern matches no file" "$TMP/m.err"
check "shards: ... no output" test ! -e "$TMP/m"

# ---- the kNN dataset checks over ranks ---------------------------------------
# same_dc NAME NP ARGS...: `audit ARGS` (the checks, with or without the
# label audit) by both binaries: same exit status, same files byte for byte
same_dc() {
    name=$1; np=$2; shift 2
    rm -rf "$TMP/s" "$TMP/m"
    "$LA_BIN" audit "$@" --out "$TMP/s" --quiet >"$TMP/s.out" 2>"$TMP/s.err"; rs=$?
    $MPIRUN -np "$np" "$MPI_BIN" audit "$@" --out "$TMP/m" --quiet >"$TMP/m.out" 2>"$TMP/m.err"; rm=$?
    why=""
    [ "$rs" = "$rm" ] || why="exit $rm, one process $rs: $(head -c 300 "$TMP/m.err")"
    [ -z "$why" ] && [ "$rs" != 0 ] && why="exit $rs: $(head -c 300 "$TMP/s.err")"
    if [ -z "$why" ] && ! diff -r "$TMP/s" "$TMP/m" >"$TMP/d" 2>&1; then why="outputs differ: $(head -c 300 "$TMP/d")"; fi
    if [ -z "$why" ]; then pass "checks: $name (np $np)"; else fail "checks: $name (np $np)" "$why"; fi
}
GI="$SHARED/golden-issues"
ngi=0
for case in "$GI"/*/; do
    case=${case%/}
    [ -f "$case/features.npy" ] || continue
    c=$(basename "$case"); ngi=$((ngi + 1))
    set --
    k=$(sed -n '/"options"/,/}/p' "$case/params.json" | grep '"k"' | sed 's/.*: *//; s/[",]//g')
    m=$(sed -n '/"options"/,/}/p' "$case/params.json" | grep '"metric"' | sed 's/.*: *//; s/[",]//g')
    [ -n "$k" ] && set -- "$@" --k "$k"
    t=$(sed -n '/"options"/,/}/p' "$case/params.json" | grep '"threshold"' | sed 's/.*: *//; s/[",]//g')
    [ -n "$m" ] && set -- "$@" --metric "$m"
    [ -n "$t" ] && set -- "$@" --near-duplicate-threshold "$t"
    for np in 1 2 3 4; do same_dc "$c $*" "$np" --features "$case/features.npy" --threads 1 "$@"; done
done
check "golden-issues cases found ($ngi)" test "$ngi" -ge 6
# a planted Fashion-MNIST subset: 1,400 training images + 20 exact copies (5
# relabelled), 20 noisy copies, 10 noise images; 300 test images + 15 leaked
# training rows; labels and probabilities for the label audit beside
FM="$SHARED/data/fashion-mnist"
if [ -f "$FM/train-images-idx3-ubyte.gz" ]; then
    $PY - "$FM" "$TMP/fm" <<'EOF2'
import gzip, os, struct, sys, numpy as np
src, out = sys.argv[1], sys.argv[2]; os.makedirs(out)
def imgs(p):
    b = gzip.open(p).read(); n, r, c = struct.unpack(">III", b[4:16])
    return np.frombuffer(b, np.uint8, offset=16).reshape(n, r * c)
X = imgs(src + "/train-images-idx3-ubyte.gz")[:1400].astype(np.float32) / 255
y = np.frombuffer(gzip.open(src + "/train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)[:1400].astype(np.int64)
T = imgs(src + "/t10k-images-idx3-ubyte.gz")[:300].astype(np.float32) / 255
rng = np.random.default_rng(18); n0 = len(X)
ex = rng.choice(n0, 20, replace=False); nr = rng.choice(n0, 20, replace=False)
near = np.clip(X[nr] + rng.normal(0, 0.01, X[nr].shape).astype(np.float32), 0, 1)
F = np.concatenate([X, X[ex], near, rng.random((10, X.shape[1])).astype(np.float32)])
L = np.concatenate([y, y[ex], y[nr], rng.integers(0, 10, 10)]); L[n0:n0 + 5] = (L[n0:n0 + 5] + 1) % 10
TF = np.concatenate([T, F[rng.choice(n0, 15, replace=False)]])
n = len(F); lg = rng.normal(0, 1.5, (n, 10)); lg[np.arange(n), L] += 2.0
p = np.exp(lg); p /= p.sum(1, keepdims=True)
np.save(out + "/f.npy", F); np.save(out + "/tf.npy", TF); np.save(out + "/l.npy", L); np.save(out + "/p.npy", p)
EOF2
    for np in 1 2 3 4; do
        same_dc "fashion-mnist planted, with the label audit and leakage" "$np" --features "$TMP/fm/f.npy" \
            --test-features "$TMP/fm/tf.npy" --labels "$TMP/fm/l.npy" --pred-probs "$TMP/fm/p.npy" --scores --threads 1
    done
    same_dc "fashion-mnist planted, checks alone, euclidean k 5" 3 --features "$TMP/fm/f.npy" \
        --test-features "$TMP/fm/tf.npy" --metric euclidean --k 5 --threads 2
    check "fashion-mnist: the planted leaks are found" test "$(grep -c ',near,\|,exact,' "$TMP/s/leakage.csv")" -ge 15
else
    pass "fashion-mnist checks over ranks skipped: $FM missing"
fi
# images (the idx dataset of test_checks.sh): image near duplicates and image leakage over ranks
IDX=tests/data/idx
if [ -f "$IDX/fm200-images-idx3-ubyte.gz" ]; then
    $PY tests/e2e/gen_checks_data.py "$TMP/pl" "$IDX/fm200-images-idx3-ubyte.gz" "$IDX/fm200-labels-idx1-ubyte.gz" >/dev/null
    for np in 2 4; do
        same_dc "planted idx images with --test" "$np" --data "$TMP/pl/train-images-idx3-ubyte" \
            --idx-labels "$TMP/pl/train-labels-idx1-ubyte" --test "$TMP/pl/test-images-idx3-ubyte" --threads 1
    done
fi

# ---- a failing rank: bad data in the last rank's part -----------------------
same "bad probability on the last rank" 4 --labels "$TMP/syn_l.npy" --pred-probs "$TMP/syn_bad.npy" --quiet
expect_rc_m() { if [ "$rm" = 2 ]; then pass "$1"; else fail "$1" "exit $rm"; fi; }
expect_rc_m "bad probability: exit 2 across ranks"
check "bad probability: the message names the row and the rank" grep -q "row $((N - 7)), column 3.*(rank 3 of 4)" "$TMP/m.err"
check "bad probability: no output directory" test ! -e "$TMP/m"

# ---- a rank killed mid-run ---------------------------------------------------
rm -rf "$TMP/k"
$MPIRUN -np 2 "$MPI_BIN" audit --labels "$TMP/syn_l.npy" --pred-probs "$TMP/syn_p.npy" --out "$TMP/k" --scores \
    --quiet --threads 1 >"$TMP/k.out" 2>"$TMP/k.err" &
job=$!
victim=""; i=0
while [ -z "$victim" ] && [ $i -lt 200 ]; do   # rank 1 among mpirun's children, by its environment
    for p in $(ps -o pid= --ppid "$job" 2>/dev/null); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && victim=$p
    done
    sleep 0.02; i=$((i + 1))
done
sleep 0.05
[ -n "$victim" ] && kill -9 "$victim" 2>/dev/null
wait "$job"; krc=$?
check "killed rank: found rank 1's process" test -n "$victim"
check "killed rank: the job exits non-zero ($krc)" test "$krc" -ne 0
check "killed rank: mpirun names the dead rank" grep -qiE "signal 9|killed" "$TMP/k.err"
check "killed rank: no output directory" test ! -e "$TMP/k"

# ---- cv: folds over ranks -------------------------------------------------
T="$DATA/tabular"
mask_json() { sed -E 's/"(seconds|load_seconds|peak_rss_mb|boot_seconds)": [0-9.e+-]+/"\1": T/' "$1"; }
# same_cv NAME NP ARGS...: cv by both binaries into $TMP/cs and $TMP/cm
same_cv() {
    name=$1; np=$2; shift 2
    rm -rf "$TMP/cs" "$TMP/cm"
    "$LA_BIN" cv "$@" --out "$TMP/cs/p.npy" --quiet >/dev/null 2>"$TMP/cs.err"; rs=$?
    $MPIRUN -np "$np" "$MPI_BIN" cv "$@" --out "$TMP/cm/p.npy" --quiet >/dev/null 2>"$TMP/cm.err"; rm=$?
    why=""
    [ "$rs" = 0 ] && [ "$rm" = 0 ] || why="exit $rm, one process $rs: $(head -c 300 "$TMP/cm.err")"
    for f in p.npy labels.npy folds.csv classes.txt; do
        [ -z "$why" ] && ! cmp -s "$TMP/cs/$f" "$TMP/cm/$f" && why="$f differs"
    done
    [ -z "$why" ] && [ "$(mask_json "$TMP/cs/metrics.json")" != "$(mask_json "$TMP/cm/metrics.json")" ] && why="metrics.json differs"
    if [ -z "$why" ]; then pass "cv $name (np $np)"; else fail "cv $name (np $np)" "$why"; fi
}
if [ -f "$T/iris.csv" ] && [ -f "$T/digits.csv" ]; then
    for np in 2 3; do
        same_cv "iris logreg" "$np" --data "$T/iris.csv" --seed 1 --threads 2
        same_cv "digits mlp (curves)" "$np" --data "$T/digits.csv" --model mlp --hidden 32 --epochs 4 --seed 2 --threads 2
    done
    same_cv "iris logreg 7 folds" 4 --data "$T/iris.csv" --folds 7 --seed 3 --threads 1
    "$LA_BIN" cv --data "$T/iris.csv" --seed 3 --out "$TMP/a1/p.npy" --audit "$TMP/a1/audit" --quiet >/dev/null 2>&1
    $MPIRUN -np 3 "$MPI_BIN" cv --data "$T/iris.csv" --seed 3 --out "$TMP/a3/p.npy" --audit "$TMP/a3/audit" \
        --quiet >/dev/null 2>&1
    check "cv --audit over 3 ranks: the audit directory of one process (paths aside)" \
        diff -r -I "_path\": " "$TMP/a1/audit" "$TMP/a3/audit"
else
    pass "cv over ranks skipped: $T/iris.csv or digits.csv missing"
fi

# --db over ranks: the examples recorded (labels, suggestions, their
# probabilities, scores, ranks) are one process's, row for row
CASE="$GOLDEN/digits_logreg_k10_n1797"
if [ -f "$CASE/labels.npy" ] && command -v sqlite3 >/dev/null 2>&1; then
    "$LA_BIN" audit --labels "$CASE/labels.npy" --pred-probs "$CASE/pred_probs.npy" --out "$TMP/d1" --db "$TMP/d1.db" \
        --quiet >/dev/null 2>&1
    $MPIRUN -np 3 "$MPI_BIN" audit --labels "$CASE/labels.npy" --pred-probs "$CASE/pred_probs.npy" --out "$TMP/d3" \
        --db "$TMP/d3.db" --quiet >/dev/null 2>&1
    Q="select row, given, suggested, printf('%.17g', suggested_p), printf('%.17g', quality), is_issue, rank from examples order by row"
    sqlite3 "$TMP/d1.db" "$Q" > "$TMP/d1.rows"
    sqlite3 "$TMP/d3.db" "$Q" > "$TMP/d3.rows"
    check "audit --db over 3 ranks records one process's examples (suggested_p too)" cmp -s "$TMP/d1.rows" "$TMP/d3.rows"
    check "and every example has its suggested class's probability" \
        test "$(sqlite3 "$TMP/d3.db" 'select count(*) from examples where suggested_p is null')" = 0
fi
